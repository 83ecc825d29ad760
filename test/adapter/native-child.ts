/**
 * Child process of the native end-to-end test (native.test.ts), run inside a test namespace
 * with `ip netns exec`. One JSON argument says what to do; one JSON line on stdout is the
 * result. Run with no argument (e.g. by a test runner globbing files), it does nothing.
 *
 *   {"mode":"send", ifname, backend, count, batch, baseLen, dstMac, srcMac, srcIp, dstIp, port}
 *   {"mode":"recv", ifname, expect, timeoutMs, dstIp, port, baseLen}  (prints "ready" first)
 *   {"mode":"open", ifname, kind: "sendmmsg" | "txring" | "rx"}       (error code and message)
 *   {"mode":"workers", ...send fields, threads}: `threads` worker_threads each open their
 *     own socket and send count/threads frames (the addon must be context-aware)
 *
 * Frames are Ethernet/IPv4/UDP to dstIp:port carrying MAGIC and a sequence number; frame
 * `seq` is baseLen + seq % 7 bytes long, so lengths vary inside each batch.
 */
import { openRx, openTx } from '../../src/adapter/afpacket.js';
import { buildReplyFilter } from '../../src/adapter/bpf.js';
import type { TxBackend } from '../../src/adapter/adapter.js';
import { isScanError } from '../../src/error.js';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

export const MAGIC = 0x7a1de5ca;

export function frameLen(baseLen: number, seq: number): number {
  return baseLen + (seq % 7);
}

function hexMac(s: string): Uint8Array {
  return Uint8Array.from(s.split(':'), (h) => parseInt(h, 16));
}

/** Writes frame `seq` at buf[off..]; returns its length. */
export function writeFrame(
  buf: Uint8Array,
  off: number,
  seq: number,
  baseLen: number,
  dstMac: Uint8Array,
  srcMac: Uint8Array,
  srcIp: number,
  dstIp: number,
  port: number,
): number {
  const len = frameLen(baseLen, seq);
  buf.fill(0, off, off + len);
  buf.set(dstMac, off);
  buf.set(srcMac, off + 6);
  buf[off + 12] = 0x08;
  buf[off + 13] = 0x00;
  const ip = off + 14;
  const ipLen = len - 14;
  buf[ip] = 0x45;
  buf[ip + 2] = ipLen >> 8;
  buf[ip + 3] = ipLen & 0xff;
  buf[ip + 8] = 64;
  buf[ip + 9] = 17;
  for (let i = 0; i < 4; i++) {
    buf[ip + 12 + i] = (srcIp >>> (24 - 8 * i)) & 0xff;
    buf[ip + 16 + i] = (dstIp >>> (24 - 8 * i)) & 0xff;
  }
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += (buf[ip + i] << 8) | buf[ip + i + 1];
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  sum = ~sum & 0xffff;
  buf[ip + 10] = sum >> 8;
  buf[ip + 11] = sum & 0xff;
  const udp = ip + 20;
  buf[udp] = 0x9c;
  buf[udp + 1] = 0x40; // source port 40000
  buf[udp + 2] = port >> 8;
  buf[udp + 3] = port & 0xff;
  const udpLen = ipLen - 20;
  buf[udp + 4] = udpLen >> 8;
  buf[udp + 5] = udpLen & 0xff;
  const p = udp + 8;
  for (let i = 0; i < 4; i++) {
    buf[p + i] = (MAGIC >>> (24 - 8 * i)) & 0xff;
    buf[p + 4 + i] = (seq >>> (24 - 8 * i)) & 0xff;
  }
  return len;
}

interface SendArgs {
  mode: 'send' | 'workers';
  seqStart?: number;
  threads?: number;
  qdiscBypass?: boolean;
  ifname: string;
  backend: TxBackend;
  count: number;
  batch: number;
  baseLen: number;
  dstMac: string;
  srcMac: string;
  srcIp: number;
  dstIp: number;
  port: number;
}
interface RecvArgs {
  mode: 'recv';
  ifname: string;
  expect: number;
  timeoutMs: number;
  dstIp: number;
  port: number;
  baseLen: number;
  ignoreOutgoing?: boolean;
}
interface OpenArgs {
  mode: 'open';
  ifname: string;
  kind: 'sendmmsg' | 'txring' | 'rx';
}
type Args = SendArgs | RecvArgs | OpenArgs;

function doSend(a: SendArgs): object {
  const tx = openTx({ ifname: a.ifname, backend: a.backend, batch: a.batch, slotSize: 128, qdiscBypass: a.qdiscBypass ?? true });
  const dst = hexMac(a.dstMac);
  const src = hexMac(a.srcMac);
  const s0 = a.seqStart ?? 0;
  let seq = 0;
  let bytes = 0;
  let retries = 0;
  const deadline = Date.now() + 20_000;
  while (seq < a.count && Date.now() < deadline) {
    // A short last batch exercises the TX ring's skip frames.
    const n = Math.min(a.batch, a.count - seq);
    for (let k = 0; k < n; k++) {
      tx.lens[k] = writeFrame(tx.frames, tx.slotBase + k * tx.slotSize, s0 + seq + k, a.baseLen, dst, src, a.srcIp, a.dstIp, a.port);
    }
    const took = tx.send(n);
    for (let k = 0; k < took; k++) bytes += tx.lens[k];
    seq += took;
    if (took < n) retries++;
  }
  const flushed = 'flush' in tx ? (tx as unknown as { flush(ms: number): boolean }).flush(2000) : true;
  const st = tx.stats();
  tx.close();
  return { sent: st.sent, ringFull: st.ringFull, bytes, retries, flushed, slotSize: tx.slotSize };
}

function doRecv(a: RecvArgs): object {
  const filter = buildReplyFilter({ ipv4: [{ first: a.dstIp, last: a.dstIp }], ipv6: [], arp: false, ports: { first: a.port, last: a.port } });
  const rx = openRx({ ifname: a.ifname, ringBytes: 4 * 1024 * 1024, filter, ignoreOutgoing: a.ignoreOutgoing ?? true });
  process.stdout.write('ready\n');
  const seen = new Uint8Array(a.expect);
  let received = 0;
  let ours = 0;
  let dup = 0;
  let badLen = 0;
  let other = 0;
  let bytes = 0;
  let lastTs = 0;
  const onFrame = (buf: Uint8Array, off: number, len: number, sec: number, _nsec: number): void => {
    received++;
    lastTs = sec;
    if (len < 50 || buf[off + 12] !== 0x08 || buf[off + 13] !== 0x00) {
      other++;
      return;
    }
    const p = off + 42;
    const magic = ((buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3]) >>> 0;
    if (magic !== MAGIC) {
      other++;
      return;
    }
    const seq = ((buf[p + 4] << 24) | (buf[p + 5] << 16) | (buf[p + 6] << 8) | buf[p + 7]) >>> 0;
    if (seq >= a.expect) {
      other++;
      return;
    }
    if (len !== frameLen(a.baseLen, seq)) badLen++;
    if (seen[seq] !== 0) dup++;
    seen[seq] = 1;
    ours++;
    bytes += len;
  };
  const deadline = Date.now() + a.timeoutMs;
  let quietUntil = 0;
  while (Date.now() < deadline) {
    const got = rx.poll(50, onFrame);
    if (ours >= a.expect) {
      // Keep listening briefly for duplicates or strays.
      if (quietUntil === 0) quietUntil = Date.now() + 200;
      if (Date.now() > quietUntil) break;
    }
    if (got < 0) break;
  }
  const st = rx.stats();
  rx.close();
  return { received, ours, dup, badLen, other, bytes, kernelDrops: st.kernelDrops, statsReceived: st.received, lastTs };
}

function doOpen(a: OpenArgs): object {
  try {
    if (a.kind === 'rx') openRx({ ifname: a.ifname, ringBytes: 1 << 20 }).close();
    else openTx({ ifname: a.ifname, backend: a.kind, batch: 64 }).close();
    return { ok: true };
  } catch (e) {
    if (isScanError(e)) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'NOT_SCANERROR', message: String(e) };
  }
}

async function doWorkers(a: SendArgs): Promise<object> {
  const threads = a.threads ?? 2;
  const per = Math.ceil(a.count / threads);
  const results = await Promise.all(
    Array.from({ length: threads }, (_, i) => {
      const part: SendArgs = { ...a, mode: 'send', seqStart: i * per, count: Math.max(0, Math.min(per, a.count - i * per)) };
      return new Promise<{ sent: number; bytes: number }>((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: part });
        w.once('message', resolve);
        w.once('error', reject);
      });
    }),
  );
  return { sent: results.reduce((s, r) => s + r.sent, 0), bytes: results.reduce((s, r) => s + r.bytes, 0), threads };
}

if (!isMainThread) {
  parentPort?.postMessage(doSend(workerData as SendArgs));
} else {
  const raw = process.argv[2];
  if (raw !== undefined && raw.startsWith('{')) {
    const a = JSON.parse(raw) as Args;
    let out: object;
    if (a.mode === 'workers') out = await doWorkers(a);
    else if (a.mode === 'send') out = doSend(a);
    else if (a.mode === 'recv') out = doRecv(a);
    else out = doOpen(a as OpenArgs);
    process.stdout.write(`${JSON.stringify(out)}\n`);
  }
}
