/**
 * Segments per second through TcpStack.segment4 for established connections: in-order data
 * segments (100 bytes, each delivered to the host and ACKed) and pure ACKs, spread round-robin
 * over 10,000 and 100,000 connections (so the table does not sit in the CPU cache), host
 * callbacks that do nothing. Timing: user CPU time of this process, best of 5.
 * Run: `node dist/bench/stack-segments.js [--json]`.
 */
import type { StackHost } from '../src/stack/api.js';
import { TcpStack } from '../src/stack/tcp.js';
import { writeResult } from './lib/results.js';

let sink = 0;
const host: StackHost = {
  output: (_c, _f, seq) => void (sink = (sink + seq) | 0),
  opened: () => {},
  received: (_c, _b, _o, len) => void (sink = (sink + len) | 0),
  peerClosed: () => {},
  appTimer: () => {},
  closed: () => {},
};

const OUR_IP = 0xc6336401;
// Initial sequence numbers above 2^31, as half of all real ones are (not small integers in V8).
const THEIR_ISN = 0x9e3779b9;
const OUR_ISN = 0xc2b2ae35;
// Addresses and sequence numbers as int32 bits, as the engine should pass them (TcpStack.segment4).
const theirIp = (i: number) => (0xc0000000 + i) | 0;

function run(conns: number, segments: number, dataLen: number): { perSec: number; nsPerSeg: number } {
  const s = new TcpStack(
    { capacity: conns, chunkSize: 256, maxChunks: 1024, connectionTimeoutMs: 0x3fffffff, rtoMs: 1000, maxRetries: 3, window: 65535, mss: 1460 },
    host,
  );
  for (let i = 0; i < conns; i++) s.synAck4(0, theirIp(i), 80, OUR_IP, 40000, THEIR_ISN, OUR_ISN, 65535, 1460);
  const payload = new Uint8Array(dataLen).fill(0x42);
  const seq = new Int32Array(conns).fill(THEIR_ISN + 1);
  const flags = dataLen > 0 ? 0x18 : 0x10;
  let best = Infinity;
  for (let rep = 0; rep < 5; rep++) {
    const t0 = process.cpuUsage().user;
    for (let k = 0, i = 0; k < segments; k++) {
      s.segment4(1, theirIp(i), 80, OUR_IP | 0, 40000, seq[i], OUR_ISN | 0, flags, 65535, payload, 0, dataLen);
      seq[i] = (seq[i] + dataLen) | 0;
      if (++i === conns) i = 0;
    }
    best = Math.min(best, (process.cpuUsage().user - t0) / 1e6);
  }
  if (s.counters.active !== conns || s.counters.strays !== 0 || s.counters.duplicates !== 0 || s.counters.outOfOrder !== 0) {
    throw new Error(`segments not taken in order: ${JSON.stringify(s.counters)}`);
  }
  return { perSec: Math.round(segments / best), nsPerSeg: +((best * 1e9) / segments).toFixed(0) };
}

const results: Record<string, { perSec: number; nsPerSeg: number }> = {};
for (const conns of [10_000, 100_000]) {
  results[`data100B_${conns}conns`] = run(conns, 2_000_000, 100);
  results[`pureAck_${conns}conns`] = run(conns, 2_000_000, 0);
}
for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(24)} ${(v.perSec / 1e6).toFixed(2)} M segments/s (${v.nsPerSeg} ns each)`);
if (sink === 0.5) console.log(sink);
if (process.argv.includes('--json')) console.log(await writeResult('stack-segments', results));
