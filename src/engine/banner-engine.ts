/**
 * Banner grabbing on the receive side (DESIGN.md §3 "Banner stack"; reference
 * masscan-compat.md §9.1): the host of the user-mode TCP stack. It
 *  - opens a connection on each valid SYN-ACK (the SYN cookie was checked by classify) and
 *    feeds every later segment of it to the stack;
 *  - builds the stack's segments into frames (segment.ts) for the frame ring, which a
 *    transmit worker sends;
 *  - runs one banner session per connection (banners/session.ts): hello timeout, detection,
 *    the protocol's parser;
 *  - when a connection ends, hands one banner record per app-protocol to `emit`.
 * The per-segment path allocates nothing; a connection allocates its session when it opens.
 */
import type { FrameRing } from './ring.js';
import { SegmentBuilder4, SegmentBuilder6 } from './segment.js';
import { TcpStack } from '../stack/tcp.js';
import type { CloseReason, StackHost } from '../stack/api.js';
import { buildBanners, type BannerConfig, type Banners } from '../banners/registry.js';
import { BannerCollector, BannerSession } from '../banners/session.js';
import type { AppName, Conversation, TargetInfo } from '../banners/module.js';
import type { Decoded } from '../wire/decode.js';
import { TcpFlags, TcpOptionKind, findTcpOption } from '../wire/tcp.js';
import { getU16, formatIpv4 } from '../wire/bytes.js';
import { formatIPv6Words } from '../target/ipv6.js';
import { cookie4, cookie6, type CookieKey } from '../crypto/cookie.js';
import type { TcpTemplate4, TcpTemplate6 } from '../probes/tcp-syn.js';
import { rawUdpBanner, udpBanner, type UdpBanner } from '../banners/udp.js';

/** What a reconnect needs: the SYN cookie key, SYN templates and our source ports. */
export interface Redialer {
  readonly key: CookieKey;
  readonly syn4: TcpTemplate4 | null;
  readonly syn6: TcpTemplate6 | null;
  readonly portBegin: number;
  readonly portEnd: number;
}

/** Reconnects waiting for their SYN-ACK, at most (a lost SYN leaves its entry behind). */
const MAX_PENDING = 65536;

/** What a receive worker needs to grab banners (plain data: posted to the worker). */
export interface BannerSetup {
  readonly helloTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  /** Connection slots. */
  readonly capacity: number;
  readonly config: BannerConfig;
  /** --rawudp: every UDP reply also gets an `unknown` banner of its whole payload. */
  readonly rawUdp?: boolean | undefined;
  /** The window-scale shift our SYNs offer (--tcp-wscale); absent: none. */
  readonly wscale?: number | undefined;
}

/** A banner found, as it leaves the receive side (plain data: posted to the main thread). */
export interface BannerFound {
  readonly version: 4 | 6;
  /** Their address: IPv4 in ip[0]; IPv6 as four words. */
  readonly ip: readonly number[];
  readonly port: number;
  readonly ttl: number;
  /** Unix seconds. */
  readonly time: number;
  readonly app: AppName;
  readonly bytes: Uint8Array;
  readonly fields?: Readonly<Record<string, string>> | undefined;
  /** The IP protocol of the port: 17 for a UDP reply's banner; absent for TCP (6). */
  readonly ipProto?: 17 | undefined;
  /**
   * Present: not a banner but the port's service as identification found it (`app` is
   * `unknown` and `bytes` empty), and the handshakes (connections) it took.
   */
  readonly identified?: { readonly service: string; readonly handshakes: number } | undefined;
}

/** Counters published with the receive counters. */
export interface BannerCounters {
  connections: number;
  refused: number;
  banners: number;
}

/** Our receive window and segment size (RFC 9293 §3.7.1: the default send MSS is 536; we take 1460 on Ethernet). */
const WINDOW = 65535;
/** TCP header bytes before the options. */
const TCP_FIXED_HEADER = 20;
const MSS = 1460;
/** Chunks of the stack's buffer pool. */
const CHUNK = 2048;
const SCRATCH = 2048;

export class BannerEngine implements StackHost {
  readonly stack: TcpStack;
  private readonly banners: Banners;
  private readonly sessions: (BannerSession | undefined)[];
  private readonly collectors: (BannerCollector | undefined)[];
  private readonly ttls: Uint8Array;
  /** Identification reconnects sent: "their address|their port" -> attempt. */
  private readonly pending = new Map<string, number>();
  private readonly scratch = new Uint8Array(SCRATCH);
  private readonly w1 = new Uint32Array(4);
  private readonly w2 = new Uint32Array(4);
  readonly counters: BannerCounters = { connections: 0, refused: 0, banners: 0 };
  /**
   * The time of the call in progress: conversation callbacks (send, close) run inside the
   * stack's calls, which all carry it.
   */
  private now = 0;
  frameDrops = 0;
  private readonly rawUdp: boolean;
  /** Identification on (default): a UDP reply on a port without a parser is tried with every parser. */
  private readonly udpIdentify: boolean;

  constructor(
    setup: BannerSetup,
    private readonly seg4: SegmentBuilder4 | null,
    private readonly seg6: SegmentBuilder6 | null,
    private readonly frames: FrameRing | null,
    private readonly emit: (b: BannerFound) => void,
    private readonly unixSeconds: () => number,
    private readonly redial: Redialer | null = null,
  ) {
    const cap = setup.capacity;
    this.stack = new TcpStack({
      capacity: cap,
      chunkSize: CHUNK,
      // A chunk a connection on average: its hello waiting for an ACK (in-order data goes
      // straight to the parser; only out-of-order segments are held). Pages of the pool
      // that are never used are never touched, so they cost no memory.
      maxChunks: cap + 1024,
      connectionTimeoutMs: setup.connectionTimeoutMs,
      rtoMs: 1000,
      maxRetries: 4,
      window: WINDOW,
      mss: MSS,
      wscale: setup.wscale,
    }, this);
    this.banners = buildBanners(setup.config);
    this.rawUdp = setup.rawUdp === true;
    this.udpIdentify = setup.config.identify !== false;
    this.sessions = new Array<BannerSession | undefined>(cap);
    this.collectors = new Array<BannerCollector | undefined>(cap);
    this.ttls = new Uint8Array(cap);
  }

  /** A valid SYN-ACK (decoded into d): open a connection, or re-ACK a duplicate. */
  synAck(buf: Uint8Array, d: Decoded, now: number): void {
    this.now = now;
    // The options follow the 20-byte fixed header (findTcpOption scans [off, off + len)).
    const optOff = d.transportOff + TCP_FIXED_HEADER;
    const optLen = d.tcpHeaderLen - TCP_FIXED_HEADER;
    const optEnd = optOff + optLen;
    const mssAt = findTcpOption(buf, optOff, optLen, TcpOptionKind.MSS);
    const mss = mssAt >= 0 && mssAt + 4 <= optEnd && buf[mssAt + 1] === 4 ? getU16(buf, mssAt + 2) : 0;
    const wsAt = findTcpOption(buf, optOff, optLen, TcpOptionKind.WINDOW_SCALE);
    const ws = wsAt >= 0 && wsAt + 3 <= optEnd && buf[wsAt + 1] === 3 ? buf[wsAt + 2]! : -1;
    const c = d.ipVersion === 4
      ? this.stack.synAck4(now, d.src | 0, d.srcPort, d.dst | 0, d.dstPort, d.tcpSeq | 0, d.tcpAck | 0, d.tcpWindow, mss, ws)
      : this.stack.synAck6(now, d.src6, d.srcPort, d.dst6, d.dstPort, d.tcpSeq | 0, d.tcpAck | 0, d.tcpWindow, mss, ws);
    if (c < 0) this.counters.refused++;
    else this.ttls[c] = d.ttl;
  }

  /** A TCP segment that is not a SYN: true when it belonged to one of our connections. */
  segment(buf: Uint8Array, d: Decoded, now: number): boolean {
    if ((d.tcpFlags & TcpFlags.SYN) !== 0) return false;
    this.now = now;
    const len = d.payloadLen;
    // int32 views of the u32 fields: a u32 above 2^31 passed to a call that is not inlined
    // becomes a heap number (an allocation per segment); the stack takes either.
    return d.ipVersion === 4
      ? this.stack.segment4(now, d.src | 0, d.srcPort, d.dst | 0, d.dstPort, d.tcpSeq | 0, d.tcpAck | 0, d.tcpFlags, d.tcpWindow, buf, d.payloadOff, len)
      : this.stack.segment6(now, d.src6, d.srcPort, d.dst6, d.dstPort, d.tcpSeq | 0, d.tcpAck | 0, d.tcpFlags, d.tcpWindow, buf, d.payloadOff, len);
  }

  /**
   * A valid UDP reply (decoded into d; classify checked it answers our probe): its banner
   * (banners/udp.ts), emitted at once, as one datagram is the whole answer.
   */
  udpReply(buf: Uint8Array, d: Decoded): void {
    const b = udpBanner(d.srcPort, buf, d.payloadOff, d.payloadLen, this.udpIdentify);
    if (b !== null) this.emitUdp(d, b);
    // --rawudp (reference §7): the whole payload too, as masscan reports it.
    if (this.rawUdp) {
      const raw = rawUdpBanner(b, buf, d.payloadOff, d.payloadLen);
      if (raw !== null) this.emitUdp(d, raw);
    }
  }

  private emitUdp(d: Decoded, b: UdpBanner): void {
    const ip = d.ipVersion === 4 ? [d.src >>> 0] : [d.src6[0]!, d.src6[1]!, d.src6[2]!, d.src6[3]!];
    this.counters.banners++;
    this.emit({
      version: d.ipVersion === 4 ? 4 : 6, ip, port: d.srcPort, ttl: d.ttl, time: this.unixSeconds(),
      app: b.app, bytes: Uint8Array.from(Buffer.from(b.text, 'latin1')), ipProto: 17,
    });
  }

  poll(now: number): void {
    this.now = now;
    this.stack.poll(now);
  }

  /** End every open connection now (the scan is over): their banners are emitted. */
  closeAll(now: number): void {
    this.now = now;
    for (let c = 0; c < this.sessions.length; c++) {
      if (this.sessions[c] !== undefined) this.stack.abort(c, now);
    }
  }

  // ------------------------------------------------------------------ StackHost

  output(c: number, flags: number, seq: number, ack: number, window: number, buf: Uint8Array, off: number, len: number): void {
    const ring = this.frames;
    if (ring === null) return;
    const s = this.scratch;
    const st = this.stack;
    let n = 0;
    if (st.version(c) === 4) {
      if (this.seg4 === null) return;
      n = this.seg4.write(s, 0, st.ourIp4Bits(c), st.theirIp4Bits(c), st.ourPort(c), st.theirPort(c), flags, seq, ack, window, buf, off, len);
    } else {
      if (this.seg6 === null) return;
      st.ourIp6(c, this.w1);
      st.theirIp6(c, this.w2);
      n = this.seg6.write(s, 0, this.w1, this.w2, st.ourPort(c), st.theirPort(c), flags, seq, ack, window, buf, off, len);
    }
    if (!ring.push(s, 0, n)) this.frameDrops++;
  }

  opened(c: number, now: number): void {
    this.counters.connections++;
    const st = this.stack;
    let ip: string;
    if (st.version(c) === 4) ip = formatIpv4(st.theirIp4(c));
    else {
      st.theirIp6(c, this.w2);
      ip = formatIPv6Words(this.w2);
    }
    const port = st.theirPort(c);
    const t: TargetInfo = { ip, port, name: undefined };
    const out = new BannerCollector();
    const conv: Conversation = {
      send: (b) => { st.send(c, b, 0, b.length, this.now); },
      close: () => { st.close(c, this.now); },
    };
    if (this.redial !== null) conv.reconnect = (attempt) => { this.reconnect(c, attempt); };
    const k = `${ip}|${port}`;
    const attempt = this.pending.get(k) ?? 0;
    if (attempt > 0) this.pending.delete(k);
    const s = new BannerSession(this.banners, t, out, conv, attempt);
    this.sessions[c] = s;
    this.collectors[c] = out;
    const deadline = s.opened(now);
    if (deadline !== undefined) st.setAppTimer(c, deadline);
  }

  received(c: number, buf: Uint8Array, off: number, len: number, now: number): void {
    this.sessions[c]?.data(buf, off, len, now);
  }

  peerClosed(c: number, now: number): void {
    // The server has said all it will: flush and close our side too.
    this.sessions[c]?.end(now);
    this.stack.close(c, now);
  }

  appTimer(c: number, now: number): void {
    const again = this.sessions[c]?.helloTimeout(now);
    if (again !== undefined && this.sessions[c] !== undefined) this.stack.setAppTimer(c, again);
  }

  closed(c: number, _reason: CloseReason, now: number): void {
    const s = this.sessions[c];
    const out = this.collectors[c];
    this.sessions[c] = undefined;
    this.collectors[c] = undefined;
    if (s === undefined || out === undefined) return;
    s.end(now);
    // A later identification attempt on another connection speaks for this target.
    if (s.moot) return;
    const st = this.stack;
    const v4 = st.version(c) === 4;
    let ip: number[];
    if (v4) ip = [st.theirIp4(c)];
    else {
      st.theirIp6(c, this.w2);
      ip = [this.w2[0]!, this.w2[1]!, this.w2[2]!, this.w2[3]!];
    }
    const time = this.unixSeconds();
    const id = s.identified;
    if (id !== null) {
      this.emit({ version: v4 ? 4 : 6, ip, port: st.theirPort(c), ttl: this.ttls[c]!, time, app: 'unknown', bytes: new Uint8Array(0), identified: id });
    }
    for (const r of out.items()) {
      this.counters.banners++;
      this.emit({ version: v4 ? 4 : 6, ip, port: st.theirPort(c), ttl: this.ttls[c]!, time, app: r.app, bytes: r.bytes, fields: r.fields });
    }
  }

  /**
   * A new connection to c's target and port for identification attempt `attempt`: a SYN
   * with the scan's cookie from the next source port of our range (c's own 4-tuple may
   * still be closing), remembered so that its session starts at that attempt.
   */
  private reconnect(c: number, attempt: number): void {
    const r = this.redial;
    const ring = this.frames;
    if (r === null || ring === null) return;
    const st = this.stack;
    const theirPort = st.theirPort(c);
    const old = st.ourPort(c);
    const ourPort = old >= r.portEnd || old < r.portBegin ? r.portBegin : old + 1;
    const s = this.scratch;
    let n = 0;
    let k: string;
    if (st.version(c) === 4) {
      if (r.syn4 === null) return;
      const them = st.theirIp4(c), us = st.ourIp4(c);
      r.syn4.writeBase(s, 0);
      n = r.syn4.patch(s, 0, us, them, theirPort, ourPort, cookie4(r.key, them, theirPort, us, ourPort));
      k = `${formatIpv4(them)}|${theirPort}`;
    } else {
      if (r.syn6 === null) return;
      st.ourIp6(c, this.w1);
      st.theirIp6(c, this.w2);
      r.syn6.writeBase(s, 0);
      n = r.syn6.patch(s, 0, this.w2, 0, theirPort, ourPort, cookie6(r.key, this.w2, 0, this.w1, 0, theirPort, ourPort));
      k = `${formatIPv6Words(this.w2)}|${theirPort}`;
    }
    if (this.pending.size >= MAX_PENDING) this.pending.clear();
    this.pending.set(k, attempt);
    if (!ring.push(s, 0, n)) this.frameDrops++;
  }
}
