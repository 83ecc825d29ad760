/** A recording StackHost and small helpers for the stack's tests. */
import type { CloseReason, StackHost, StackOptions } from '../../src/stack/api.js';
import { TcpStack } from '../../src/stack/tcp.js';

export const F = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface Out {
  c: number;
  flags: number;
  seq: number;
  ack: number;
  window: number;
  data: Uint8Array;
}

/** Records everything the stack does; optional hooks act like an application. */
export class Rec implements StackHost {
  out: Out[] = [];
  events: string[] = [];
  rx = new Map<number, number[]>();
  reasons = new Map<number, CloseReason>();
  onOpened: ((c: number, now: number) => void) | null = null;
  onReceived: ((c: number, now: number) => void) | null = null;
  onPeerClosed: ((c: number, now: number) => void) | null = null;
  onAppTimer: ((c: number, now: number) => void) | null = null;
  onClosed: ((c: number, reason: CloseReason, now: number) => void) | null = null;

  output(c: number, flags: number, seq: number, ack: number, window: number, buf: Uint8Array, off: number, len: number): void {
    this.out.push({ c, flags, seq: seq >>> 0, ack: ack >>> 0, window, data: buf.slice(off, off + len) });
  }
  opened(c: number, now: number): void {
    this.events.push(`opened ${c}`);
    this.rx.set(c, []);
    this.onOpened?.(c, now);
  }
  received(c: number, buf: Uint8Array, off: number, len: number, now: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) throw new Error(`received out of bounds ${off}+${len}/${buf.length}`);
    const r = this.rx.get(c) ?? [];
    for (let i = 0; i < len; i++) r.push(buf[off + i]);
    this.rx.set(c, r);
    this.events.push(`received ${c} ${len}`);
    this.onReceived?.(c, now);
  }
  peerClosed(c: number, now: number): void {
    this.events.push(`peerClosed ${c}`);
    this.onPeerClosed?.(c, now);
  }
  appTimer(c: number, now: number): void {
    this.events.push(`appTimer ${c} ${now}`);
    this.onAppTimer?.(c, now);
  }
  closed(c: number, reason: CloseReason, now: number): void {
    this.events.push(`closed ${c} ${reason}`);
    this.reasons.set(c, reason);
    this.onClosed?.(c, reason, now);
  }
  /** Take the segments output so far. */
  take(): Out[] {
    const o = this.out;
    this.out = [];
    return o;
  }
  text(c: number): string {
    return String.fromCharCode(...(this.rx.get(c) ?? []));
  }
}

export const OPTS: StackOptions = {
  capacity: 16,
  chunkSize: 64,
  maxChunks: 64,
  connectionTimeoutMs: 30_000,
  rtoMs: 200,
  maxRetries: 3,
  window: 8192,
  mss: 100,
  timeWaitMs: 500,
  maxHeld: 4,
  reserveChunks: 0,
  wheelSlots: 1024,
  tickMs: 1,
};

export const THEM = 0xc0000201; // 192.0.2.1 (documentation range; no packet leaves the process)
export const US = 0xc6336401; // 198.51.100.1
export const ISS_THEM = 1000;
export const ISS_US = 5000;

export function enc(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}

/** A stack with one connection open at time 0 from port `port`. */
export function setup(o: Partial<StackOptions> = {}, peerWindow = 65535, peerMss = 1460, port = 40000) {
  const rec = new Rec();
  const s = new TcpStack({ ...OPTS, ...o }, rec);
  const c = s.synAck4(0, THEM, 80, US, port, ISS_THEM, ISS_US + 1, peerWindow, peerMss);
  return { s, rec, c, port };
}

/** Deliver a segment from the peer on port `port` (their seq relative to ISS_THEM + 1, our ack relative to ISS_US + 1). */
export function seg(s: TcpStack, now: number, rseq: number, rack: number, flags: number, data: string | Uint8Array = '', window = 65535, port = 40000): boolean {
  const b = typeof data === 'string' ? enc(data) : data;
  return s.segment4(now, THEM, 80, US, port, (ISS_THEM + 1 + rseq) >>> 0, (ISS_US + 1 + rack) >>> 0, flags, window, b, 0, b.length);
}

/** A segment's sequence/ack numbers relative to the ISNs, for readable assertions. */
export function rel(o: Out): { flags: number; seq: number; ack: number; data: string } {
  return {
    flags: o.flags,
    seq: (o.seq - ISS_US - 1) | 0,
    ack: (o.ack - ISS_THEM - 1) | 0,
    data: String.fromCharCode(...o.data),
  };
}
