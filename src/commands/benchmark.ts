/**
 * `--benchmark`: how fast the pieces of the probe and reply paths run on this machine, in
 * process, on one thread, with no network and no file I/O.
 *
 * Items (one table row each: name, operations per second, nanoseconds per operation):
 *   blackrock.shuffle        one index through the permutation (Blackrock.shuffle)
 *   blackrock.shuffleBatch   the same, 1024 indices per call (the transmit loop's path)
 *   siphash.cookie4          the IPv4 SYN cookie (SipHash-2-4 of 16 bytes)
 *   siphash.cookie6          the IPv6 SYN cookie (SipHash-2-4 of 40 bytes)
 *   template.syn4            an IPv4 SYN probe written into a batch slot (ProbeSet4.fillTarget:
 *                            cookie, patch, two checksums), 1024 slots reused
 *   template.udp4            the same for a UDP/53 probe (DNS payload with the cookie as id)
 *   template.syn6            an IPv6 SYN probe (ProbeSet6.fillTarget)
 *   decode.synack            decodeFrame of a 60-byte SYN-ACK (transport checksum verified)
 *   receive.classify         decodeFrame + classify (cookie check) of the same SYN-ACK
 *   offline.transmit         the whole --offline probe path: a Transmitter over an offline
 *                            channel (shuffleBatch, pick, source choice, cookie, template,
 *                            send of TX_BATCH-frame batches, as a scan sends them, that discards them)
 *
 * Inputs are fixed (seed, targets 198.18.0.0/15 x the first 64 top ports, addresses), so runs
 * compare. `--blackrock-rounds` from the command line is honoured; the seed is not (a random
 * seed per run would only add noise). Each item gets an equal share of a time budget (3.5 s in
 * all by default; TIDESCAN_BENCHMARK_MS overrides it, for quick checks): a quarter to warm up,
 * the rest timed in calls of about 5 ms, and the best call's rate is reported (see measure).
 *
 * The table goes to stdout; the exit code is 0.
 */
import os from 'node:os';
import type { ScanConfig } from '../core/config.js';
import { openOfflineTx } from '../adapter/offline.js';
import { Blackrock, BLACKROCK_DEFAULT_ROUNDS } from '../target/blackrock.js';
import { Target } from '../target/picker.js';
import { topPorts, PORT_UDP_BASE } from '../target/ports.js';
import { Decoded, decodeFrame } from '../wire/decode.js';
import { TcpFlags } from '../wire/tcp.js';
import { CookieKey, cookie4, cookie6 } from '../crypto/cookie.js';
import { ProbeSet4, ProbeSet6 } from '../probes/probe-set.js';
import { classify, classifyContext } from '../probes/classify.js';
import { Verdict } from '../probes/reply.js';
import { ScanControl, STEP_DONE, Transmitter, type TransmitSetup } from '../engine/transmit.js';
import { UdpPayloadTable } from '../probes/udp-payloads.js';
import { TIDESCAN_VERSION } from '../engine/version.js';
import { reprTcp4 } from './selftest/fixtures.js';
import { writeLineSync } from './fd-writer.js';
import { TX_BATCH } from '../engine/scan.js';

/** One benchmark item: `make` builds its fixtures and returns `run(n)`, which performs about
 * n operations and returns how many it performed. */
export interface BenchmarkItem {
  readonly name: string;
  readonly what: string;
  make(rounds: number): (n: number) => number;
}

export interface BenchmarkResult {
  readonly name: string;
  /** The best timed call's rate (see measure). */
  readonly opsPerSec: number;
  /** 1e9 / opsPerSec. */
  readonly nsPerOp: number;
  /** Operations and seconds of all timed calls together. */
  readonly ops: number;
  readonly seconds: number;
}

export interface BenchmarkOptions {
  /** Where table lines go (default: stdout). */
  readonly out?: (line: string) => void;
  /** Total time budget in ms (default: TIDESCAN_BENCHMARK_MS, else 3500). */
  readonly budgetMs?: number;
  /** Only these items (default: all). */
  readonly only?: readonly string[];
  /** Monotonic clock in ms (default: performance.now). */
  readonly now?: () => number;
}

export const DEFAULT_BENCHMARK_MS = 3500;

const SEED = 0x5eed1234abcdn;
const SRC_IP = 0x0afa0001; // 10.250.0.1
const SRC_PORT = 40000;
const DST_BASE = 0xc6120000; // 198.18.0.0/15 (RFC 2544 benchmarking range)
const DST_COUNT = 1 << 17;
const MAC_US = Uint8Array.of(0x02, 0x50, 0, 0, 0, 1);
const MAC_ROUTER = Uint8Array.of(0x02, 0x50, 0, 0, 0, 2);
const SRC6 = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x32);
const SLOTS = 1024;
const SLOT = 128;
/** Target duration of one timed call, ms. */
const CHUNK_MS = 5;

/** Results land here so no measured loop is dead code. */
let blackhole = 0;

function benchRange(): number {
  return DST_COUNT * 64;
}

function shuffleItem(rounds: number): (n: number) => number {
  const br = new Blackrock(benchRange(), SEED, rounds);
  const range = br.range;
  let i = 0;
  return (n) => {
    let acc = 0;
    for (let k = 0; k < n; k++) {
      acc += br.shuffle(i);
      i++;
      if (i === range) i = 0;
    }
    blackhole = (blackhole + acc) % 1e9;
    return n;
  };
}

function shuffleBatchItem(rounds: number): (n: number) => number {
  const br = new Blackrock(benchRange(), SEED, rounds);
  const range = br.range;
  const idx = new Float64Array(SLOTS);
  const xs = new Float64Array(SLOTS);
  let i = 0;
  return (n) => {
    let done = 0;
    while (done < n) {
      for (let k = 0; k < SLOTS; k++) {
        idx[k] = i;
        i++;
        if (i === range) i = 0;
      }
      br.shuffleBatch(idx, xs, SLOTS);
      blackhole = (blackhole + xs[SLOTS - 1]) % 1e9;
      done += SLOTS;
    }
    return done;
  };
}

function cookie4Item(): (n: number) => number {
  const key = new CookieKey(SEED);
  let i = 0;
  return (n) => {
    let acc = 0;
    for (let k = 0; k < n; k++) {
      acc = (acc + cookie4(key, (DST_BASE + (i & (DST_COUNT - 1))) >>> 0, 80 + (i & 63), SRC_IP, SRC_PORT)) | 0;
      i++;
    }
    blackhole = (blackhole + acc) % 1e9;
    return n;
  };
}

function cookie6Item(): (n: number) => number {
  const key = new CookieKey(SEED);
  const them = Uint32Array.of(0x20010db8, 1, 0, 0);
  const me = Uint32Array.of(0x20010db8, 0, 0, 0x32);
  let i = 0;
  return (n) => {
    let acc = 0;
    for (let k = 0; k < n; k++) {
      them[3] = i;
      acc = (acc + cookie6(key, them, 0, me, 0, 443, SRC_PORT)) | 0;
      i++;
    }
    blackhole = (blackhole + acc) % 1e9;
    return n;
  };
}

/** Probe fills into a 1024-slot batch, as the transmit loop does (bases written once per slot). */
function fill4Item(port: number): () => (n: number) => number {
  return () => {
    const key = new CookieKey(SEED);
    const set = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: SRC_IP, payloads: new UdpPayloadTable() }, key, SLOTS);
    const buf = new Uint8Array(SLOTS * SLOT);
    const lens = new Uint16Array(SLOTS);
    const t = new Target();
    const src = { ip: SRC_IP, port: SRC_PORT };
    t.port = port;
    let i = 0;
    return (n) => {
      let done = 0;
      while (done < n) {
        for (let k = 0; k < SLOTS; k++) {
          t.ip4 = (DST_BASE + (i & (DST_COUNT - 1))) >>> 0;
          i++;
          lens[k] = set.fillTarget(buf, k * SLOT, k, t, src);
        }
        blackhole = (blackhole + lens[SLOTS - 1] + buf[(SLOTS - 1) * SLOT + 40]) % 1e9;
        done += SLOTS;
      }
      return done;
    };
  };
}

function fill6Item(): (n: number) => number {
  const key = new CookieKey(SEED);
  const set = new ProbeSet6({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: SRC6 }, key, SLOTS);
  const buf = new Uint8Array(SLOTS * SLOT);
  const lens = new Uint16Array(SLOTS);
  const t = new Target();
  t.version = 6;
  t.ip6[0] = 0x20010db8; t.ip6[1] = 1;
  t.port = 443;
  const src = { ip: 0, port: SRC_PORT };
  let i = 0;
  return (n) => {
    let done = 0;
    while (done < n) {
      for (let k = 0; k < SLOTS; k++) {
        t.ip6[3] = i;
        i++;
        lens[k] = set.fillTarget(buf, k * SLOT, k, t, src);
      }
      blackhole = (blackhole + lens[SLOTS - 1] + buf[(SLOTS - 1) * SLOT + 60]) % 1e9;
      done += SLOTS;
    }
    return done;
  };
}

/** A SYN-ACK from 198.18.0.1:80 answering our probe (ack = cookie + 1). */
function synAck(key: CookieKey): Uint8Array {
  const them = DST_BASE + 1;
  const ack = (cookie4(key, them, 80, SRC_IP, SRC_PORT) + 1) >>> 0;
  return reprTcp4(them, SRC_IP, {
    srcPort: 80, dstPort: SRC_PORT, seq: 0x01020304, ack, flags: TcpFlags.SYN | TcpFlags.ACK, window: 65535, urgent: 0,
    options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0),
  }, 57, 1, undefined, MAC_ROUTER, MAC_US);
}

function decodeItem(): (n: number) => number {
  const frame = synAck(new CookieKey(SEED));
  const d = new Decoded(undefined, true);
  return (n) => {
    let ok = 0;
    for (let k = 0; k < n; k++) if (decodeFrame(frame, 0, frame.length, d) === 'ok') ok++;
    if (ok !== n) throw new Error('benchmark SYN-ACK does not decode');
    blackhole = (blackhole + d.tcpAck) % 1e9;
    return n;
  };
}

function classifyItem(): (n: number) => number {
  const key = new CookieKey(SEED);
  const frame = synAck(key);
  const d = new Decoded(undefined, true);
  const v = new Verdict();
  // The context a scan of 198.18.0.0/15 port 80 builds: the SYN-ACK passes every check.
  const ctx = classifyContext({
    src4: { begin: SRC_IP, end: SRC_IP }, src6: undefined, srcPort: { begin: SRC_PORT, end: SRC_PORT }, arpscan: false,
    targets4: [{ begin: DST_BASE, end: DST_BASE + DST_COUNT - 1 }], targets6: [], ports: [{ begin: 80, end: 80 }],
  });
  return (n) => {
    let found = 0;
    for (let k = 0; k < n; k++) {
      if (decodeFrame(frame, 0, frame.length, d) === 'ok') found += classify(frame, d, ctx, key, v);
    }
    if (found !== n) throw new Error('benchmark SYN-ACK is not classified open');
    blackhole = (blackhole + found) % 1e9;
    return n;
  };
}

function transmitItem(rounds: number): (n: number) => number {
  const ports = topPorts(64).map((p) => ({ begin: p, end: p }));
  const setup: TransmitSetup = {
    targets4: [{ begin: DST_BASE, end: DST_BASE + DST_COUNT - 1 }], targets6: [], ports,
    seed: SEED, rounds, shardOne: 1, shardOf: 1, resumeIndex: 0, resumeCount: 0, retries: 0, infinite: false,
    rate: Infinity, threads: 1, thread: 0,
    link: {
      srcMac: MAC_US, routerMac4: MAC_ROUTER, routerMac6: new Uint8Array(6), vlan: undefined, ttl: 255,
      src4: { begin: SRC_IP, end: SRC_IP }, src6: undefined, srcPort: { begin: SRC_PORT, end: SRC_PORT },
    },
  };
  const clock = (): number => performance.now() / 1000;
  const fresh = (): Transmitter =>
    new Transmitter(setup, openOfflineTx({ batch: TX_BATCH }), ScanControl.create(), null, clock);
  let t = fresh();
  return (n) => {
    const start = t.probes;
    let made = 0;
    while (made < n) {
      if (t.step() === STEP_DONE) {
        made = t.probes - start;
        t = fresh(); // the whole range was sent: start over (rare; 8 M probes)
        return made;
      }
      made = t.probes - start;
    }
    return made;
  };
}

/** The items, in table order. */
export const benchmarkItems: readonly BenchmarkItem[] = [
  { name: 'blackrock.shuffle', what: 'permutation, one index per call', make: (r) => shuffleItem(r) },
  { name: 'blackrock.shuffleBatch', what: 'permutation, 1024 indices per call', make: (r) => shuffleBatchItem(r) },
  { name: 'siphash.cookie4', what: 'IPv4 SYN cookie', make: () => cookie4Item() },
  { name: 'siphash.cookie6', what: 'IPv6 SYN cookie', make: () => cookie6Item() },
  { name: 'template.syn4', what: 'IPv4 SYN into a batch slot', make: fill4Item(80) },
  { name: 'template.udp4', what: 'IPv4 UDP/53 probe into a batch slot', make: fill4Item(PORT_UDP_BASE + 53) },
  { name: 'template.syn6', what: 'IPv6 SYN into a batch slot', make: () => fill6Item() },
  { name: 'decode.synack', what: 'decodeFrame of a SYN-ACK', make: () => decodeItem() },
  { name: 'receive.classify', what: 'decode + cookie check of a SYN-ACK', make: () => classifyItem() },
  { name: 'offline.transmit', what: 'whole --offline probe path, one thread', make: (r) => transmitItem(r) },
];

/**
 * Times `run` for about `ms` milliseconds: a quarter warming up (so V8 has optimised the loop),
 * then calls of about CHUNK_MS each, resized as they go. The figure kept is the best call's
 * rate: on a shared machine a call only gets slower than the code is (descheduled, the
 * optimising compiler thread starved), never faster, so the best of many short calls is the
 * reproducible one. At least one timed call, however small the budget.
 */
export function measure(run: (n: number) => number, ms: number, now: () => number): { ops: number; seconds: number; best: number } {
  const warmEnd = now() + ms / 4;
  let n = 64;
  for (;;) {
    const t0 = now();
    run(n);
    const dt = now() - t0;
    if (now() >= warmEnd) break;
    if (dt < CHUNK_MS / 2) n *= 2;
  }
  const start = now();
  const end = start + (ms * 3) / 4;
  let ops = 0;
  let best = 0;
  let t = start;
  do {
    const t0 = t;
    const done = run(n);
    t = now();
    const dt = t - t0;
    ops += done;
    if (dt > 0 && done / dt > best) best = done / dt;
    if (dt < CHUNK_MS / 2) n *= 2;
    else if (dt > CHUNK_MS * 2 && n > 1) n = Math.ceil(n / 2);
  } while (t < end);
  return { ops, seconds: (t - start) / 1000, best: best * 1000 };
}

/** False once stdout is gone (its reader quit): the default printer then stops the run. */
let stdoutOpen = true;

function stdoutLine(line: string): void {
  if (stdoutOpen) stdoutOpen = writeLineSync(1, line);
}

function budgetFromEnv(): number {
  const v = Number(process.env.TIDESCAN_BENCHMARK_MS);
  return Number.isFinite(v) && v > 0 ? Math.min(v, 600_000) : DEFAULT_BENCHMARK_MS;
}

/** One table row: name, ops/s (integer), ns/op. */
export function formatRow(r: BenchmarkResult): string {
  return `${r.name.padEnd(24)}${Math.round(r.opsPerSec).toString().padStart(14)}${r.nsPerOp.toFixed(1).padStart(12)}`;
}

/** Runs the benchmark items, prints the table (a title line, a header, one row per item), returns the rows. */
export async function runBenchmarkResults(config?: ScanConfig, opts: BenchmarkOptions = {}): Promise<BenchmarkResult[]> {
  const out = opts.out ?? stdoutLine;
  const budget = opts.budgetMs ?? budgetFromEnv();
  const now = opts.now ?? ((): number => performance.now());
  const rounds = config?.blackrockRounds ?? BLACKROCK_DEFAULT_ROUNDS;
  const items = opts.only === undefined ? benchmarkItems : benchmarkItems.filter((i) => opts.only!.includes(i.name));
  const each = budget / Math.max(1, items.length);
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  out(`tidescan ${TIDESCAN_VERSION} benchmark: node ${process.version}, ${cpu}, 1 thread, no network, ` +
    `${(budget / 1000).toFixed(1)} s, blackrock rounds ${rounds}`);
  out(`${'item'.padEnd(24)}${'ops/s'.padStart(14)}${'ns/op'.padStart(12)}`);
  const results: BenchmarkResult[] = [];
  for (const item of items) {
    if (opts.out === undefined && !stdoutOpen) break; // nobody is reading: stop (exit code 0)
    const run = item.make(rounds);
    const { ops, seconds, best } = measure(run, each, now);
    const r: BenchmarkResult = { name: item.name, ops, seconds, opsPerSec: best, nsPerOp: best > 0 ? 1e9 / best : 0 };
    results.push(r);
    out(formatRow(r));
    // Let pending I/O (the line just printed, a SIGINT) through between items.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  void blackhole;
  return results;
}

/** `--benchmark`: prints the table to stdout; exit code 0. */
export async function runBenchmark(config?: ScanConfig, opts: BenchmarkOptions = {}): Promise<number> {
  await runBenchmarkResults(config, opts);
  return 0;
}
