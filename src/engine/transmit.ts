/**
 * The transmit hot loop (DESIGN.md §1, §3; reference masscan-compat.md §5.3, §5.4).
 *
 * One Transmitter per transmit worker. Each owns a disjoint slice of the shard's lattice of
 * target indices (target/shard.ts `indexSlice`: shard x/y owns i = x-1 (mod y); its T workers
 * split that round-robin), and for each of its indices i sends
 *     x = blackrock.shuffle(i) -> (ip, port) = pick(x) -> cookie -> template patch
 * into the next slot of its TxChannel batch, then sends the batch with one native call.
 *
 * Retries (tidescan's rule, documented in the README): `--retries R` sends exactly R+1 probes
 * per target, about one second apart. A worker walks its slice in WINDOWS of W lattice points,
 * W = max(1, floor(rate / workers)) (one second of its probes): pass 0 sends the window's
 * points in order, then pass 1 sends the same points again, ..., pass R; then the next window.
 * So copy r of a target leaves ~r seconds after copy 0, every target gets R+1 probes, and no
 * index is ever outside [0, range). (masscan sends (R+1)^2 probes and starts at
 * shuffle(i + rate); we start at shuffle(i), the -sL order.)
 *
 * Progress, shared with the main thread after every batch (ScanControl):
 *  - PROGRESS: every index of this worker's slice below it has had all R+1 probes
 *    (the position in the last pass, else the start of the current window);
 *  - FRONTIER: no index of this worker at or above it has had any probe.
 * Resume (paused.conf `resume-index`, a GLOBAL loop index, as target/shard.ts defines it):
 *  - on the first SIGINT the main thread asks every worker to PAUSE at a batch boundary, takes
 *    S = max over workers of FRONTIER, and lets every worker DRAIN: finish all R+1 probes of
 *    each of its indices below S, and nothing at or above S. Then exactly the indices < S of
 *    this shard are done, so `--resume` with resume-index S sends exactly the rest: the
 *    interrupted run plus the resumed run equal one uninterrupted run;
 *  - if the drain is cut short (a second SIGINT), the minimum PROGRESS is written instead:
 *    still nothing is missed, at most a few probes are sent twice.
 *
 * Frames the receive side wants sent (RSTs, ARP/NDP answers) arrive through the frame ring;
 * worker 0 sends them before each probe batch and keeps doing so, after its slice is done,
 * until the main thread shuts the scan down.
 *
 * Hot path: no allocation, no closures, no BigInt; per batch one shuffleBatch, per probe one
 * pick, one SipHash cookie and one template patch.
 */
import type { TxChannel } from '../adapter/adapter.js';
import type { PortRange, Range4, Range6 } from '../core/config.js';
import { ScanError } from '../error.js';
import { Blackrock } from '../target/blackrock.js';
import { Picker, Target } from '../target/picker.js';
import type { ScanPlan } from '../target/plan.js';
import { PortList } from '../target/ports.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { indexSlice, sliceLength, type IndexSlice } from '../target/shard.js';
import { CookieKey } from '../crypto/cookie.js';
import type { FrameRing } from './ring.js';
import { SourceChooser } from '../link/source.js';
import { DEFAULT_TEMPLATE, synPayload, type TemplateSetup } from '../probes/tcp-syn.js';
import { ProbeSet4, ProbeSet6 } from '../probes/probe-set.js';
import { ipv6Bytes } from '../probes/frame.js';
import { Throttle } from './throttle.js';
import { buildPayloadTable, type UdpPayloadEntry } from '../probes/udp-payloads.js';
import { TxArbiter, TxMode, type ArbiterDecision, type TxArbiterSetting } from './tx-arbiter.js';

// ---------------------------------------------------------------------------------------
// The control block shared by the main thread, the transmit workers and the receive worker.
// ---------------------------------------------------------------------------------------

export const MAX_TX_WORKERS = 64;

/** Commands from the main thread (Int32 word CMD). */
export const Cmd = { RUN: 0, PAUSE: 1, DRAIN: 2, ABORT: 3 } as const;
/** A transmit worker's state (Int32 word per worker). */
export const WState = { INIT: 0, RUNNING: 1, PAUSED: 2, DONE: 3, EXITED: 4, FAILED: 5 } as const;

const I_CMD = 0;
const I_SHUTDOWN = 1;
/** Receive workers: one state word per adapter (at most MAX_RX), words 5..12. */
const I_RX_STATE = 5;
/** The most receive workers (adapters) a scan has (masscan: 8 adapters). */
export const MAX_RX = 8;
/** Send lock (0 free, 1 held, 2 held with a sleeper) and send mode (TxMode), see tx-arbiter.ts. */
const I_TXLOCK = 3;
const I_TXMODE = 4;
/** Spins on a held send lock before sleeping on it (a send call lasts ~0.1 ms; a futex wake-up costs more than spinning through it: 4.80 vs 4.68 M/s serial on ifb). */
const LOCK_SPINS = 200000;
const I_WSTATE = 16;
const INT_WORDS = I_WSTATE + MAX_TX_WORKERS;
const F_BASE_BYTES = 1024;
const F_STOP_AT = 0;
const F_WORKER = 8;
/** Float64 slots per transmit worker: its counters (ScanControl.txCounter). */
export const TxCounter = { PROGRESS: 0, FRONTIER: 1, PROBES: 2, FRAMES: 3, DROPPED: 4, BATCHES: 5, TOTAL: 6, PASS: 7 } as const;
const WF_SLOTS = 8;
const F_RX = F_WORKER + MAX_TX_WORKERS * WF_SLOTS;
/** Float64 slots of a receive worker: its counters (ScanControl.rxCounter). */
export const RxCounter = {
  FRAMES: 0, VALID: 1, RECORDS: 2, FOUND: 3, DUPLICATES: 4, RECORD_DROPS: 5, FRAME_DROPS: 6,
  KERNEL_DROPS: 7, RST: 8, ANSWERS: 9, UNDECODABLE: 10,
} as const;
const RF_SLOTS = 16;
const F_WORDS = F_RX + MAX_RX * RF_SLOTS;

/**
 * The receive worker's state word (ScanControl.rxState()): the main thread sends no probe
 * before RECEIVING (replies could be lost), and reads STOPPED or FAILED after shutdown.
 */
export const RxState = {
  /** Spawned; the receive ring is not open yet. */
  STARTING: 0,
  /** The ring is open and frames are being decoded. */
  RECEIVING: 1,
  /** Shut down cleanly: the last records and counters are published. */
  STOPPED: 2,
  /** Failed; an { type: 'error' } message says why. */
  FAILED: 3,
} as const;

/**
 * Shared scan state in one SharedArrayBuffer. Commands and states are Int32 words accessed
 * with Atomics; counters are Float64 written by one thread each (plain stores) and read by
 * the main thread. NOTE: a plain Float64 read racing its write is only approximate by the
 * memory model; values the resume index depends on are read after an Atomics handshake
 * (the worker stores its counters, then Atomics.store of its state; the main thread
 * Atomics.load of the state, then reads), which orders them.
 */
export class ScanControl {
  readonly sab: SharedArrayBuffer;
  readonly i32: Int32Array;
  readonly f64: Float64Array;

  static create(): ScanControl {
    return new ScanControl(new SharedArrayBuffer(F_BASE_BYTES + F_WORDS * 8));
  }

  constructor(sab: SharedArrayBuffer) {
    this.sab = sab;
    this.i32 = new Int32Array(sab, 0, INT_WORDS);
    this.f64 = new Float64Array(sab, F_BASE_BYTES, F_WORDS);
    if (INT_WORDS * 4 > F_BASE_BYTES || I_RX_STATE + MAX_RX > I_WSTATE) throw new ScanError('ERR_INTERNAL', 'control block layout');
  }

  cmd(): number {
    return Atomics.load(this.i32, I_CMD);
  }
  setCmd(c: number): void {
    Atomics.store(this.i32, I_CMD, c);
    Atomics.notify(this.i32, I_CMD);
  }
  /** Sleep at most `ms` or until the command changes from `seen`. Worker threads only. */
  sleep(seen: number, ms: number): void {
    if (ms > 0) Atomics.wait(this.i32, I_CMD, seen, ms);
  }
  shutdown(): boolean {
    return Atomics.load(this.i32, I_SHUTDOWN) !== 0;
  }
  setShutdown(): void {
    Atomics.store(this.i32, I_SHUTDOWN, 1);
    // Wake sleepers on the command word too.
    Atomics.notify(this.i32, I_CMD);
  }
  stopAt(): number {
    return this.f64[F_STOP_AT];
  }
  setStopAt(v: number): void {
    this.f64[F_STOP_AT] = v;
  }
  workerState(t: number): number {
    return Atomics.load(this.i32, I_WSTATE + t);
  }
  setWorkerState(t: number, s: number): void {
    Atomics.store(this.i32, I_WSTATE + t, s);
  }
  txMode(): number {
    return Atomics.load(this.i32, I_TXMODE);
  }
  setTxMode(m: number): void {
    Atomics.store(this.i32, I_TXMODE, m);
  }
  /** Take the send lock if it is free. */
  tryLockTx(): boolean {
    return Atomics.compareExchange(this.i32, I_TXLOCK, 0, 1) === 0;
  }
  /**
   * Take the send lock: spin a while (the holder is inside one send call), then sleep on it.
   * Worker threads only (Atomics.wait).
   */
  lockTx(): void {
    const a = this.i32;
    if (Atomics.compareExchange(a, I_TXLOCK, 0, 1) === 0) return;
    for (let k = 0; k < LOCK_SPINS; k++) {
      if (Atomics.load(a, I_TXLOCK) === 0 && Atomics.compareExchange(a, I_TXLOCK, 0, 1) === 0) return;
    }
    // Mark it contended (2) so that the holder wakes us. The bounded sleep and the shutdown
    // check cover a holder that was terminated inside its send: never wait forever.
    while (Atomics.exchange(a, I_TXLOCK, 2) !== 0) {
      if (this.shutdown()) return;
      Atomics.wait(a, I_TXLOCK, 2, 5);
    }
  }
  unlockTx(): void {
    if (Atomics.exchange(this.i32, I_TXLOCK, 0) === 2) Atomics.notify(this.i32, I_TXLOCK, 1);
  }
  /** Receive worker `a`'s state (one per adapter). */
  rxState(a = 0): number {
    return Atomics.load(this.i32, I_RX_STATE + a);
  }
  setRxState(s: number, a = 0): void {
    Atomics.store(this.i32, I_RX_STATE + a, s);
  }
  /** Transmit worker t's counter `field` (TxCounter). */
  txCounter(t: number, field: number): number {
    return this.f64[F_WORKER + t * WF_SLOTS + field];
  }
  setTxCounter(t: number, field: number, v: number): void {
    this.f64[F_WORKER + t * WF_SLOTS + field] = v;
  }
  /** A receive counter, summed over the receive workers (adapters). */
  rxCounter(field: number): number {
    let sum = 0;
    for (let a = 0; a < MAX_RX; a++) sum += this.f64[F_RX + a * RF_SLOTS + field];
    return sum;
  }
  /** Receive worker `a`'s own counter. */
  rxCounterOf(field: number, a: number): number {
    return this.f64[F_RX + a * RF_SLOTS + field];
  }
  setRxCounter(field: number, v: number, a = 0): void {
    this.f64[F_RX + a * RF_SLOTS + field] = v;
  }
}

// ---------------------------------------------------------------------------------------
// What a transmit worker needs (plain, structured-cloneable data).
// ---------------------------------------------------------------------------------------

export interface LinkSetup {
  readonly srcMac: Uint8Array;
  /** Next-hop MACs; all-zero when that family is not scanned. */
  readonly routerMac4: Uint8Array;
  readonly routerMac6: Uint8Array;
  readonly vlan: number | undefined;
  readonly ttl: number;
  /** Our IPv4 range (one address: begin === end); undefined when not scanning IPv4. */
  readonly src4: Range4 | undefined;
  /** Our IPv6 address; undefined when not scanning IPv6. */
  readonly src6: bigint | undefined;
  readonly srcPort: PortRange;
  /** The packet-template options (--tcp-mss, --data-length, ...); absent: masscan HEAD's defaults. */
  readonly template?: TemplateSetup | undefined;
}

export interface TransmitSetup {
  readonly targets4: readonly Range4[];
  readonly targets6: readonly Range6[];
  readonly ports: readonly PortRange[];
  readonly seed: bigint;
  readonly rounds: number;
  readonly shardOne: number;
  readonly shardOf: number;
  readonly resumeIndex: number;
  readonly resumeCount: number;
  readonly retries: number;
  readonly infinite: boolean;
  /** Total rate of the scan (all workers), packets per second. */
  readonly rate: number;
  readonly threads: number;
  readonly thread: number;
  readonly link: LinkSetup;
  /**
   * How workers share the interface (tx-arbiter.ts); absent = parallel. 'auto' and 'serial'
   * need the workers on threads of their own (the lock sleeps with Atomics.wait).
   */
  readonly arbiter?: TxArbiterSetting;
  /** --nmap-payloads / --pcap-payloads entries, over the built-in UDP payloads. */
  readonly udpPayloads?: readonly UdpPayloadEntry[];
}

/** The scan plan from plain config ranges (what buildPlan made in the cli, rebuilt per thread). */
export function planFromRanges(targets4: readonly Range4[], targets6: readonly Range6[], ports: readonly PortRange[]): ScanPlan {
  const t4 = RangeList4.fromRanges(targets4);
  const t6 = RangeList6.fromRanges(targets6);
  const pl = new PortList(ports);
  const count4 = t4.count();
  const c6 = t6.count();
  const nports = pl.count();
  const total = (BigInt(count4) + c6) * BigInt(nports);
  if (total >= 2n ** 53n) {
    throw new ScanError('ERR_TOO_BIG', `scan range too large: ${total} probes (the limit is 2^53)`);
  }
  return { targets4: t4, targets6: t6, ports: pl, count4, count6: Number(c6), nports, range: Number(total) };
}

/** Lattice points per window for one worker: about one second of its probes. */
export function windowSize(rate: number, threads: number): number {
  const w = Math.floor(rate / threads);
  return w >= 1 && Number.isFinite(w) ? Math.min(w, 2 ** 52) : w >= 1 ? 2 ** 52 : 1;
}

/** Probes a worker will send in one pass of its slice: sliceLength * (R+1). */
export function plannedProbes(slice: IndexSlice, retries: number): number {
  return sliceLength(slice) * (retries + 1);
}

const FRAME_TRACE_NONE = null;

/** Called for every frame sent with --packet-trace. */
export type FrameTracer = (frame: Uint8Array, off: number, len: number) => void;

/** Result of step() when the worker's slice is finished. */
export const STEP_DONE = -1;

/** How long send() may keep refusing frames before they are counted as dropped (tries). */
const SEND_RETRIES = 2000;

export class Transmitter {
  readonly thread: number;
  readonly slice: IndexSlice;
  private readonly tx: TxChannel;
  private readonly ctl: ScanControl;
  private readonly frames: FrameRing | null;
  private readonly trace: FrameTracer | null;
  private readonly plan: ScanPlan;
  private readonly picker: Picker;
  private br: Blackrock;
  private readonly seed: bigint;
  private readonly rounds: number;
  private readonly target = new Target();
  private readonly set4: ProbeSet4 | null;
  private readonly set6: ProbeSet6 | null;
  private readonly src: SourceChooser;
  /** IPv6 probes leave from the base port (masscan never spreads them). */
  private readonly src6: { readonly ip: number; readonly port: number };
  readonly throttle: Throttle;
  private readonly retries: number;
  private readonly infinite: boolean;
  private readonly window: number;
  /** Per slot: which family's base it holds (0 none, 4, 6), for mixed scans. */
  private readonly slotFam: Uint8Array;
  /** Places each slot index takes in turn in the channel's buffer (TxChannel.regions). */
  private readonly regions: number;
  private readonly mixed: boolean;
  /** Batch scratch: loop indices and their shuffles. */
  private readonly idx: Float64Array;
  private readonly xs: Float64Array;
  private readonly rOf: Uint16Array;

  // Loop state (see the module comment).
  private end: number;
  private winStart: number;
  private winEnd: number;
  private pass = 0;
  private pos: number;
  private finished = false;
  private paused = false;
  private repeat = 0;

  /** Frames built into slots 0..pending-1 and not sent yet (SERIAL mode). */
  private pending = 0;
  /** Probes per build step in SERIAL mode: a quarter batch. */
  private readonly chunk: number;
  private readonly threads: number;
  private readonly clock: () => number;
  /** Worker 0 of a multi-worker scan with --tx-arbiter auto: picks the send mode. */
  private readonly arbiter: TxArbiter | null;

  // Counters (published to the control block after every batch).
  probes = 0;
  framesSent = 0;
  dropped = 0;
  batches = 0;

  constructor(
    setup: TransmitSetup,
    tx: TxChannel,
    ctl: ScanControl,
    frames: FrameRing | null,
    clock: () => number,
    trace: FrameTracer | null = FRAME_TRACE_NONE,
  ) {
    this.thread = setup.thread;
    this.tx = tx;
    this.ctl = ctl;
    this.frames = frames;
    this.trace = trace;
    this.plan = planFromRanges(setup.targets4, setup.targets6, setup.ports);
    this.picker = new Picker(this.plan);
    this.seed = setup.seed;
    this.rounds = setup.rounds;
    this.br = new Blackrock(this.plan.range, setup.seed, setup.rounds);
    this.retries = setup.retries;
    this.infinite = setup.infinite;
    this.slice = indexSlice({
      range: this.plan.range, shardOne: setup.shardOne, shardOf: setup.shardOf,
      resumeIndex: setup.resumeIndex, resumeCount: setup.resumeCount, threads: setup.threads, thread: setup.thread,
    });
    this.window = windowSize(setup.rate, setup.threads);
    const cap = tx.capacity;
    // A TX ring moves slot k through `regions` places; each is a slot of its own to the templates.
    this.regions = tx.regions ?? 1;
    const places = cap * this.regions;
    const key = new CookieKey(setup.seed);
    const l = setup.link;
    const payloads = buildPayloadTable(setup.udpPayloads ?? []);
    const hasIp4 = this.plan.count4 > 0;
    const hasIp6 = this.plan.count6 > 0;
    if (hasIp4 && l.src4 === undefined) throw new ScanError('ERR_ADAPTER', 'no IPv4 source address for IPv4 targets: use --source-ip');
    if (hasIp6 && l.src6 === undefined) throw new ScanError('ERR_ADAPTER', 'no IPv6 source address for IPv6 targets: use --source-ip with an IPv6 address');
    const tp = l.template ?? DEFAULT_TEMPLATE;
    const tcp = { options: tp.tcpOptions, payload: synPayload(setup.seed, tp.dataLength), badsum: tp.badsum };
    const common = { vlan: l.vlan, minFrame: tp.minFrame, badsum: tp.badsum, tcp, payloads };
    this.set4 = hasIp4
      ? new ProbeSet4({ ...common, srcMac: l.srcMac, dstMac: l.routerMac4, srcIp: l.src4!.begin, ttl: l.ttl }, key, places)
      : null;
    const src6 = l.src6 !== undefined ? ipv6Bytes(l.src6) : new Uint8Array(16);
    this.set6 = hasIp6
      ? new ProbeSet6({ ...common, srcMac: l.srcMac, dstMac: l.routerMac6, srcIp: src6, hopLimit: l.ttl }, key, places)
      : null;
    const maxLen = Math.max(this.set4?.maxFrameLen ?? 0, this.set6?.maxFrameLen ?? 0);
    const slotMax = tx.maxFrameLen ?? tx.slotSize;
    if (maxLen > slotMax) {
      // Only --min-packet / --data-length make probes this long: the user's numbers, not a bug.
      throw new ScanError('ERR_BAD_OPTION', `probe frames of ${maxLen} bytes (--min-packet ${tp.minFrame}, --data-length ${tp.dataLength}) do not fit this adapter's ${slotMax}-byte frames`);
    }
    this.src = new SourceChooser(key, l.src4 ?? { begin: 0, end: 0 }, l.srcPort);
    this.src6 = { ip: 0, port: l.srcPort.begin };
    this.mixed = hasIp4 && hasIp6;
    this.slotFam = new Uint8Array(places);
    this.idx = new Float64Array(cap);
    this.xs = new Float64Array(cap);
    this.rOf = new Uint16Array(cap);
    this.throttle = new Throttle(setup.rate / setup.threads, clock);
    this.clock = clock;
    this.threads = setup.threads;
    this.chunk = Math.max(1, cap >>> 2);
    // The starting mode is the scan's to set (scan.ts, before the workers start).
    this.arbiter = setup.arbiter === 'auto' && setup.thread === 0 && setup.threads > 1
      ? new TxArbiter((m) => ctl.setTxMode(m), this.clockMs())
      : null;
    this.end = this.slice.end;
    this.winStart = this.slice.start;
    this.winEnd = this.windowEnd(this.winStart);
    this.pos = this.slice.start;
    ctl.setTxCounter(this.thread, TxCounter.TOTAL, plannedProbes(this.slice, this.retries));
    this.publish();
  }

  private clockMs(): number {
    return this.clock() * 1000;
  }

  private windowEnd(start: number): number {
    const e = start + this.window * this.slice.step;
    return e < this.end ? e : this.end;
  }

  /** Every index of this slice below this has had all its probes. */
  progress(): number {
    if (this.finished) return this.end;
    return this.pass === this.retries ? this.pos : this.winStart;
  }

  /** No index of this slice at or above this has had a probe. */
  frontier(): number {
    if (this.finished) return this.end;
    return this.pass === 0 ? this.pos : this.winEnd;
  }

  isFinished(): boolean {
    return this.finished;
  }

  private publish(): void {
    const c = this.ctl, t = this.thread;
    // Frames built but not sent (SERIAL mode) must not count as done: a paused.conf written on
    // an abort resumes from PROGRESS. The last value, from before they were built, is safe.
    if (this.pending === 0) c.setTxCounter(t, TxCounter.PROGRESS, this.progress());
    c.setTxCounter(t, TxCounter.FRONTIER, this.frontier());
    c.setTxCounter(t, TxCounter.PROBES, this.probes);
    c.setTxCounter(t, TxCounter.FRAMES, this.framesSent);
    c.setTxCounter(t, TxCounter.DROPPED, this.dropped);
    c.setTxCounter(t, TxCounter.BATCHES, this.batches);
    c.setTxCounter(t, TxCounter.PASS, this.repeat);
  }

  /** Lower the end of the slice to `stopAt` (DRAIN): nothing at or above it is sent. */
  private clampEnd(stopAt: number): void {
    if (stopAt < this.end) {
      this.end = stopAt > this.slice.start ? stopAt : this.slice.start;
      if (this.winEnd > this.end) this.winEnd = this.end;
    }
  }

  /**
   * One unit of work: send waiting ring frames (worker 0), then at most one probe batch.
   * Returns milliseconds to sleep before the next call (0: call again now), or STEP_DONE
   * when this worker's slice is finished (ring frames may still need pumping: see pump()).
   */
  step(): number {
    const cmd = this.ctl.cmd();
    if (this.frames !== null) this.pump();
    if (this.finished) return STEP_DONE;
    if (cmd === Cmd.ABORT) {
      this.flushPending();
      this.finish();
      return STEP_DONE;
    }
    if (cmd === Cmd.PAUSE) {
      if (!this.paused) {
        this.flushPending();
        this.paused = true;
        this.publish();
        this.ctl.setWorkerState(this.thread, WState.PAUSED);
      }
      return 5;
    }
    if (this.paused) {
      this.paused = false;
      this.ctl.setWorkerState(this.thread, WState.RUNNING);
    }
    if (cmd === Cmd.DRAIN) this.clampEnd(this.ctl.stopAt());
    if (this.arbiter !== null) this.arbiter.tick(this.clockMs(), this.totalProbes());
    // SERIAL mode (tx-arbiter.ts): build frames in chunks while another worker holds the send
    // lock, and send the whole batch once the lock is ours or the batch is full.
    const serial = this.ctl.txMode() === TxMode.SERIAL;
    const room = this.tx.capacity - this.pending;
    const granted = this.throttle.next(serial && room > this.chunk ? this.chunk : room);
    if (granted === 0) {
      if (this.pending > 0) this.flushPending();
      return this.throttle.waitHint();
    }
    const n = this.gather(granted);
    if (n < granted) this.throttle.refund(granted - n);
    if (n > 0) this.pending = this.fill(n, this.pending);
    if (this.pending > 0) {
      if (!serial || this.finished) this.flushPending();
      else if (this.ctl.tryLockTx()) this.sendPendingLocked();
      else if (this.pending + this.chunk > this.tx.capacity) {
        this.ctl.lockTx();
        this.sendPendingLocked();
      }
    }
    this.publish();
    if (this.finished) {
      this.ctl.setWorkerState(this.thread, WState.DONE);
      return STEP_DONE;
    }
    return 0;
  }

  /** Send the frames built and not yet sent, under the send lock in SERIAL mode. */
  flushPending(): void {
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.sendSlots(count);
  }

  /** Send the pending frames; the caller holds the send lock, which this releases. */
  private sendPendingLocked(): void {
    const count = this.pending;
    this.pending = 0;
    try {
      this.sendRaw(count);
    } finally {
      this.ctl.unlockTx();
    }
  }

  arbiterDecisions(): readonly ArbiterDecision[] {
    return this.arbiter?.decisions ?? [];
  }

  private totalProbes(): number {
    let sum = 0;
    for (let t = 0; t < this.threads; t++) sum += t === this.thread ? this.probes : this.ctl.txCounter(t, TxCounter.PROBES);
    return sum;
  }

  private finish(): void {
    if (!this.finished) {
      // PROGRESS/FRONTIER stay where the loop is when aborted (resume from the minimum).
      this.ctl.setTxCounter(this.thread, TxCounter.PROGRESS, this.progress());
      this.ctl.setTxCounter(this.thread, TxCounter.FRONTIER, this.frontier());
      this.ctl.setTxCounter(this.thread, TxCounter.PROBES, this.probes);
      this.aborted = true;
      this.finished = true;
      this.ctl.setWorkerState(this.thread, WState.DONE);
    }
  }
  private aborted = false;

  /**
   * Collect the next `want` loop indices into idx[] (with their pass in rOf[]), advancing the
   * window/pass state. Returns how many (fewer when the slice ends).
   */
  private gather(want: number): number {
    const idx = this.idx, rOf = this.rOf, step = this.slice.step;
    let n = 0;
    let pos = this.pos;
    while (n < want) {
      if (pos >= this.winEnd) {
        // End of this pass over the window: next pass, or next window.
        if (this.pass < this.retries) {
          this.pass++;
          pos = this.winStart;
          if (pos >= this.winEnd) continue;
        } else {
          this.pass = 0;
          this.winStart = this.winEnd;
          if (this.winStart >= this.end) {
            if (this.infinite && !this.aborted && this.end === this.slice.end && this.ctl.cmd() === Cmd.RUN) {
              // --infinite: start over with the next seed (masscan: seed + 1 per pass).
              this.repeat++;
              this.br = new Blackrock(this.plan.range, this.seed + BigInt(this.repeat), this.rounds);
              this.winStart = this.slice.start;
              this.winEnd = this.windowEnd(this.winStart);
              pos = this.winStart;
              if (pos >= this.winEnd) { this.finished = true; break; }
              continue;
            }
            this.finished = true;
            pos = this.end;
            break;
          }
          this.winEnd = this.windowEnd(this.winStart);
          pos = this.winStart;
          continue;
        }
      }
      idx[n] = pos;
      rOf[n] = this.pass;
      n++;
      pos += step;
    }
    this.pos = pos;
    return n;
  }

  /** Build the probes of batch entries 0..n-1 into slots w0... Returns the next free slot. */
  private fill(n: number, w0: number): number {
    this.br.shuffleBatch(this.idx, this.xs, n);
    const tx = this.tx;
    const buf = tx.frames;
    const base = tx.slotBase;
    const size = tx.slotSize;
    const lens = tx.lens;
    const t = this.target;
    const picker = this.picker;
    const set4 = this.set4, set6 = this.set6;
    const src = this.src;
    const idx = this.idx, xs = this.xs, rOf = this.rOf;
    // The probe sets remember what each place in the buffer holds: slot w of this region.
    const r0 = this.regions === 1 ? 0 : (tx.region ?? 0) * tx.capacity;
    let w = w0;
    for (let k = 0; k < n; k++) {
      const x = xs[k];
      picker.pickScan(x, t);
      const off = base + w * size;
      const place = r0 + w;
      let len: number;
      if (t.version === 4) {
        if (this.mixed && this.slotFam[place] !== 4) this.claimSlot(place, 4);
        src.choose4(idx[k] + rOf[k], x);
        len = set4!.fillTarget(buf, off, place, t, src);
      } else {
        if (this.mixed && this.slotFam[place] !== 6) this.claimSlot(place, 6);
        len = set6!.fillTarget(buf, off, place, t, this.src6);
      }
      if (len === 0) continue; // a port kind with no probe (`I:n` above 2; ARP on a raw link: ProbeSet4.fill)
      lens[w] = len;
      if (this.trace !== null) this.trace(buf, off, len);
      w++;
    }
    this.probes += n;
    return w;
  }

  /**
   * Mixed IPv4/IPv6 scans share slots between two probe sets; a slot that changes family must
   * be rewritten from its new set's base.
   */
  private claimSlot(slot: number, fam: number): void {
    const set = fam === 4 ? this.set4 : this.set6;
    if (set !== null) set.invalidateSlot(slot);
    this.slotFam[slot] = fam;
  }

  /** Send slots 0..count-1, under the send lock in SERIAL mode. */
  private sendSlots(count: number): void {
    if (this.ctl.txMode() !== TxMode.SERIAL) {
      this.sendRaw(count);
      return;
    }
    this.ctl.lockTx();
    try {
      this.sendRaw(count);
    } finally {
      this.ctl.unlockTx();
    }
  }

  /** Send slots 0..count-1, retrying what the kernel did not take (bounded), one call per try. */
  private sendRaw(count: number): void {
    const tx = this.tx;
    let done = tx.send(count);
    this.batches++;
    if (done >= count) return;
    // Rare path (full socket buffer): shift the rest to the front of the batch by moving
    // slotBase (sendmmsg slots are at fixed offsets), retry, then restore.
    const savedBase = tx.slotBase;
    let tries = 0;
    while (done < count && tries < SEND_RETRIES) {
      const left = count - done;
      const lens = tx.lens;
      for (let k = 0; k < left; k++) lens[k] = lens[done + k];
      tx.slotBase = tx.slotBase + done * tx.slotSize;
      count = left;
      done = tx.send(count);
      tries++;
      if (done < count) this.ctl.sleep(this.ctl.cmd(), 0.2);
    }
    tx.slotBase = savedBase;
    if (done < count) this.dropped += count - done;
  }

  /** Send every frame waiting in the frame ring (worker 0). Returns how many were sent. */
  pump(): number {
    const ring = this.frames;
    if (ring === null || !ring.pending()) return 0;
    // Ring frames go through slot 0 up: send the probes built there first.
    this.flushPending();
    const tx = this.tx;
    let total = 0;
    while (ring.pending()) {
      let k = 0;
      while (k < tx.capacity) {
        const len = ring.pop(tx.frames, tx.slotBase + k * tx.slotSize);
        if (len < 0) break;
        tx.lens[k] = len;
        if (this.trace !== null) this.trace(tx.frames, tx.slotBase + k * tx.slotSize, len);
        k++;
      }
      if (k === 0) break;
      this.sendSlots(k);
      total += k;
      // Those slots no longer hold probe bases.
      this.set4?.invalidate();
      this.set6?.invalidate();
      this.slotFam.fill(0);
    }
    this.framesSent += total;
    this.ctl.setTxCounter(this.thread, TxCounter.FRAMES, this.framesSent);
    return total;
  }
}
