/**
 * A scan, from a frozen ScanConfig to closed output files (DESIGN.md §1; reference
 * masscan-compat.md §1.4, §5.3, §5.4, §8).
 *
 * Threads: one transmit worker per core (tx-worker.ts; each owns a disjoint slice of the
 * shard's index lattice, see transmit.ts), one receive worker (rx-worker.ts), and this main
 * thread, which
 *  - with several adapters (adapter[n]): one receive worker per adapter, each with its own
 *    record ring and frame ring; transmit worker t sends on adapter t mod adapters, so
 *    adapter n owns the lattice points i with i mod (shards * adapters) == offset + n *
 *    shards (target/shard.ts; i mod adapters == n unsharded, as masscan), and worker n (< the
 *    adapter count) also sends what adapter n's receive worker queues (RSTs, ARP answers);
 *  - drains the record ring in batches and hands them to the RecordSink (sink.ts);
 *  - reports progress about once a second, and notices, as ScanEvents (no printing here:
 *    the command line's console listener prints them);
 *  - after the last probe waits --wait seconds (forever: until stopped) for late replies;
 *  - on the first stop request (`signal` aborted; the CLI's first SIGINT) stops sending
 *    exactly (transmit.ts "Resume"), reports `paused` with the resume index when the scan was
 *    not complete, then waits as usual; on a second request (`force`, or `signal` during the
 *    wait) stops at once; on a `{ now: true }` reason (SIGTERM) stops at once. The sink is
 *    closed on every path, errors included.
 *
 * Tests run the same code in one thread (`runScanWith` with `inline`): the transmitters and
 * the receiver are stepped here instead of in workers, over the memory adapter.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ntpProbeEntry, type UdpPayloadEntry } from '../probes/udp-payloads.js';
import { TxMode, describeDecision, type ArbiterDecision } from './tx-arbiter.js';
import type { RxChannel, TxChannel } from '../adapter/adapter.js';
import type { ScanConfig } from '../core/config.js';
import { ScanError, isScanError, type ErrorCode } from '../error.js';
import type { BannerRecord, IpAddress, PortStatus, ScanRecord, ServiceRecord, StatusRecord } from '../core/record.js';
import type { BannerFound } from './banner-engine.js';
import { bannerSetup } from './banner-setup.js';
import { guardKernelRst, type RstGuard } from '../adapter/firewall.js';
import { pauseIndex, indexSlice } from '../target/shard.js';
import { wordsToIPv6 } from '../target/ipv6.js';
import { formatMac } from '../wire/bytes.js';
import { ICMP_ECHO_PORT } from '../crypto/cookie.js';
import { isStopNow, type RecordSink, type ScanEvent, type ScanKind, type ScanListener, type ScanStart, type ScanStopSignals } from './sink.js';
import { buildReceiver, type ReceiveSetup } from './receive.js';
import { RecStatus } from '../probes/reply.js';
import { resolveLinks, type ResolveDeps, type ResolvedLink } from '../link/resolve.js';
import { FrameRing, RecordWord, RecordRing } from './ring.js';
import { MovingRate, percentDone } from './status.js';
import {
  Cmd, MAX_RX, MAX_TX_WORKERS, RxCounter, RxState, ScanControl, STEP_DONE, Transmitter, TxCounter, WState,
  planFromRanges, plannedProbes, type TransmitSetup,
} from './transmit.js';
import { publishRx, type RxWorkerData } from './rx-worker.js';
import type { TxOpen, TxWorkerData } from './tx-worker.js';
import { templateSetup } from '../probes/tcp-syn.js';

/** Who receives a scan's records and events, and how it is stopped (sink.ts). */
export interface ScanOptions extends ScanStopSignals {
  /** The sink, or a factory called once the link is resolved (so no file is made for a scan that cannot start). */
  readonly sink: RecordSink | ((start: ScanStart) => RecordSink);
  readonly onEvent?: ScanListener | undefined;
  /**
   * The entries of --nmap-payloads / --pcap-payloads, read by the caller (cli/payload-files.ts
   * `loadUdpPayloadFiles`, as -iL files are read in cli). A config naming such a file without
   * them is refused: the engine reads no files of its own.
   */
  readonly udpPayloads?: readonly UdpPayloadEntry[] | undefined;
}

/** Everything of the outside world a scan uses; `defaultEnv()` is the real one. */
export interface ScanEnv {
  /** Monotonic milliseconds. */
  readonly nowMs: () => number;
  /** Wall clock, unix milliseconds. */
  readonly unixMs: () => number;
  readonly resolveDeps?: ResolveDeps;
  readonly cores: number;
  /**
   * Tests: run in this thread over the given channels and link (no workers, no resolution).
   * openTx is called once per transmit thread; frames sent by any of them reach `rx`.
   */
  readonly inline?: {
    readonly link: ResolvedLink;
    /** Several adapters: one link each (link 0 first); absent: [link]. */
    readonly links?: readonly ResolvedLink[];
    /** `adapter`: which link the thread sends on (thread mod links). */
    openTx(thread: number, adapter: number): TxChannel;
    readonly rx: RxChannel;
    /** Several adapters: one receive channel each (rx is adapter 0's when absent). */
    readonly rxs?: readonly RxChannel[];
    /** Called after every inline round (tests use it to stop the scan at a chosen point). */
    readonly onRound?: () => void;
    /** Records the record ring holds (a power of two; default RECORD_RING_CAPACITY): tests of its drops. */
    readonly recordRingCapacity?: number;
  };
}

export function defaultEnv(): ScanEnv {
  return {
    nowMs: () => performance.now(),
    unixMs: () => Date.now(),
    cores: availableParallelism(),
  };
}

/** The real system for link resolution (interfaces, routes, AF_PACKET). */
export async function systemResolveDeps(): Promise<ResolveDeps> {
  const ifs = await import('../adapter/interfaces.js');
  const fs = await import('node:fs');
  const read = (p: string): string => {
    try {
      return fs.readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  const af = await import('../adapter/afpacket.js');
  const bpf = await import('../adapter/bpf.js');
  return {
    listInterfaces: () => ifs.listInterfaces(),
    routes4: () => ifs.parseProcRoute(read('/proc/net/route')),
    routes6: () => ifs.parseIpv6Route(read('/proc/net/ipv6_route')),
    unixTime: () => Date.now() / 1000,
    nowMs: () => performance.now(),
    openProbeLink: (ifname, ours) => {
      const tx = af.openTx({ ifname, backend: 'sendmmsg', batch: 4 });
      try {
        const rx = af.openRx({
          ifname,
          ringBytes: 1 << 20,
          filter: bpf.buildReplyFilter({
            ipv4: ours.ipv4.map((a) => ({ first: a, last: a })),
            ipv6: ours.ipv6,
            arp: true,
          }),
        });
        return { tx, rx };
      } catch (e) {
        tx.close();
        throw e;
      }
    },
  };
}

export async function runScan(config: ScanConfig, options: ScanOptions): Promise<number> {
  const env = defaultEnv();
  return runScanWith(config, options, { ...env, resolveDeps: config.offline ? undefined : await systemResolveDeps() });
}

/** Transmit batch: frames per native send call (DESIGN.md §3: 256-1024). */
export const TX_BATCH = 512;
const RECORD_RING_CAPACITY = 1 << 16;
const FRAME_RING_BYTES = 1 << 20;
const RX_RING_BYTES = 32 * 1024 * 1024;
/** Below this rate one transmit worker is plenty (it makes ~4 M probes/s). */
const ONE_WORKER_RATE = 200_000;

/** The scan kind for the start lines. */
function scanKind(config: ScanConfig): ScanKind {
  if (config.arpscan) return 'arp';
  if (config.ports.length > 0 && config.ports.every((p) => p.begin === ICMP_ECHO_PORT && p.end === ICMP_ECHO_PORT)) return 'icmp';
  return 'syn';
}

/**
 * How many transmit workers: --tx-threads, else one per core (one for slow scans); with
 * several adapters, rounded up to a multiple of the adapter count (every adapter gets the
 * same number, at least one). Worker t sends on adapter t mod adapters (see ScanRun).
 */
export function transmitThreads(config: ScanConfig, cores: number, range: number, adapters = 1): number {
  let n = config.txThreads > 0 ? config.txThreads : config.rate <= ONE_WORKER_RATE ? 1 : Math.max(1, cores);
  if (n > MAX_TX_WORKERS) n = MAX_TX_WORKERS;
  if (n > range) n = Math.max(1, range);
  if (adapters > 1) {
    const per = Math.min(Math.ceil(n / adapters), Math.floor(MAX_TX_WORKERS / adapters));
    n = Math.max(1, per) * adapters;
  }
  return n;
}

function statusWord(s: number): PortStatus {
  return s === RecStatus.OPEN ? 'open' : s === RecStatus.CLOSED ? 'closed' : 'up';
}

/** A record of the record ring -> the StatusRecord output formats take. */
export function recordFromRing(w: Uint32Array, o: number): StatusRecord {
  const ip: IpAddress = w[o + RecordWord.VERSION] === 6
    ? { version: 6, v6: wordsToIPv6(w, o + RecordWord.IP0) }
    : { version: 4, v4: w[o + RecordWord.IP0] >>> 0 };
  const base = {
    kind: 'status' as const,
    timestamp: w[o + RecordWord.TIME],
    ip,
    ipProto: w[o + RecordWord.PROTO],
    port: w[o + RecordWord.PORT],
    status: statusWord(w[o + RecordWord.STATUS]),
    reason: w[o + RecordWord.REASON],
    ttl: w[o + RecordWord.TTL],
  };
  if (w[o + RecordWord.AUX0] === 1) {
    const hi = w[o + RecordWord.MAC_HI], lo = w[o + RecordWord.MAC_LO];
    const mac = new Uint8Array([hi >>> 8, hi & 0xff, lo >>> 24, (lo >>> 16) & 0xff, (lo >>> 8) & 0xff, lo & 0xff]);
    return { ...base, mac: formatMac(mac) };
  }
  return base;
}

/** A banner from the receive side -> the BannerRecord (or ServiceRecord) output formats take. */
export function bannerRecord(b: BannerFound): BannerRecord | ServiceRecord {
  const ip: IpAddress = b.version === 6
    ? { version: 6, v6: wordsToIPv6(Uint32Array.from(b.ip)) }
    : { version: 4, v4: b.ip[0]! >>> 0 };
  if (b.identified !== undefined) {
    return { kind: 'service', timestamp: b.time, ip, ipProto: b.ipProto ?? 6, port: b.port, ttl: b.ttl, service: b.identified.service, handshakes: b.identified.handshakes };
  }
  return {
    kind: 'banner', timestamp: b.time, ip, ipProto: b.ipProto ?? 6, port: b.port, service: b.app, ttl: b.ttl, banner: b.bytes,
    ...(b.fields !== undefined ? { fields: b.fields } : {}),
  };
}

type Phase = 'sending' | 'pausing' | 'draining' | 'waiting' | 'done';

/** A worker (thread) or an in-process stand-in, as the main loop sees it. */
interface TxHandle {
  readonly thread: number;
  readonly worker: Worker | undefined;
  readonly inline: Transmitter | undefined;
}

export async function runScanWith(config: ScanConfig, options: ScanOptions, env: ScanEnv): Promise<number> {
  const plan = planFromRanges(config.targets4, config.targets6, config.ports);
  if (plan.range === 0) throw new ScanError('ERR_EMPTY_TARGETS', 'nothing to scan: no targets or no ports');
  const need4 = plan.count4 > 0;
  const need6 = plan.count6 > 0;
  if (!(config.rate > 0)) throw new ScanError('ERR_BAD_RATE', `rate=${config.rate}: expected a rate above 0 packets/second`);

  // UDP payload files were read by the caller (options.udpPayloads), before anything started.
  // --ntp-probe other than the default goes first: a file's entry for 123 still wins.
  if ((config.nmapPayloads !== undefined || config.pcapPayloads !== undefined) && options.udpPayloads === undefined) {
    throw new ScanError('ERR_BAD_OPTION', 'payload files (--nmap-payloads/--pcap-payloads) must be read by the caller: pass ScanOptions.udpPayloads');
  }
  const udpPayloads = [
    ...(config.ntpProbe !== 'client' ? [ntpProbeEntry(config.ntpProbe)] : []),
    ...(options.udpPayloads ?? []),
  ];

  // --- links: one per adapter (adapter[n]) ---
  let links: readonly ResolvedLink[];
  if (env.inline !== undefined) links = env.inline.links ?? [env.inline.link];
  else {
    if (!config.offline && env.resolveDeps === undefined) throw new ScanError('ERR_INTERNAL', 'no system access for link resolution');
    links = resolveLinks(config, env.resolveDeps ?? NO_DEPS, need4, need6);
  }
  if (links.length < 1 || links.length > MAX_RX) throw new ScanError('ERR_INTERNAL', `${links.length} adapters`);
  const threads = transmitThreads(config, env.cores, plan.range, links.length);
  const emit: ScanListener = options.onEvent ?? (() => {});
  const startMs = env.unixMs();
  emit({ type: 'start', unixMs: startMs, scan: scanKind(config), hosts: plan.count4 + plan.count6, portsPerHost: plan.nports });
  for (const [a, link] of links.entries()) {
    for (const n of link.notes) emit({ type: 'note', text: links.length > 1 ? `adapter[${a}] ${link.ifname ?? ''}: ${n}` : n });
  }
  const names = links.map((l) => l.ifname).filter((n) => n !== undefined);
  emit({ type: 'note', text: `${threads} transmit thread${threads === 1 ? '' : 's'}${names.length > 0 ? ` on ${names.join(', ')}` : ' (offline)'}` });

  const sink = typeof options.sink === 'function' ? options.sink({ unixMs: startMs }) : options.sink;
  let run: ScanRun | undefined;
  const guards: RstGuard[] = [];
  let code: number;
  try {
    // --banners from an address the host owns: keep the host's kernel from resetting our
    // connections (its own TCP knows nothing of them). One guard per adapter.
    for (const link of links) {
      const guard = config.banners && !config.offline && env.inline === undefined && link.ifname !== undefined &&
        !config.noFirewall && ((need4 && !link.answer4) || (need6 && !link.answer6))
        ? await guardKernelRst({
          iface: link.ifname, portBegin: link.srcPort.begin, portEnd: link.srcPort.end,
          warn: (l) => emit({ type: 'warning', text: l }),
        })
        : undefined;
      if (guard === undefined) continue;
      guards.push(guard);
      if (guard.table !== undefined) {
        emit({ type: 'note', text: `firewall: nftables table ${guard.table} drops TCP to ports ${link.srcPort.begin}-${link.srcPort.end} on ${link.ifname} (${guard.mode})` });
      }
    }
    run = new ScanRun(config, options, emit, env, links, threads, plan.range, sink, udpPayloads);
    code = await run.run();
  } catch (e) {
    for (const g of guards) g.close();
    run?.cleanup();
    // The scan's own error wins over one from the sink's close.
    try {
      await sink.close();
    } catch {
      // the scan's error is the one reported
    }
    throw e;
  }
  for (const g of guards) g.close();
  run.cleanup();
  // An asynchronous sink (a database) is done committing when this resolves.
  await sink.close();
  return code;
}

/**
 * --pcap with several adapters: one file per adapter, the adapter index before the
 * extension (`scan.pcap` -> `scan.00.pcap`, `scan.01.pcap`; no extension: `scan.01`).
 * One adapter: the name as given.
 */
export function adapterFileName(name: string, adapter: number, adapters: number): string {
  if (adapters <= 1) return name;
  const idx = String(adapter).padStart(2, '0');
  const slash = name.lastIndexOf('/');
  const dot = name.lastIndexOf('.');
  if (dot > slash + 1) return `${name.slice(0, dot)}.${idx}${name.slice(dot)}`;
  return `${name}.${idx}`;
}

const NO_DEPS: ResolveDeps = {
  listInterfaces: () => [],
  routes4: () => [],
  routes6: () => [],
  unixTime: () => Date.now() / 1000,
  nowMs: () => performance.now(),
  openProbeLink: () => {
    throw new ScanError('ERR_INTERNAL', 'no packet I/O');
  },
};

class ScanRun {
  private readonly ctl = ScanControl.create();
  /** Per adapter: the records its receive worker found, and the frames it wants sent. */
  private readonly records: RecordRing[] = [];
  private readonly frames: FrameRing[] = [];
  private readonly handles: TxHandle[] = [];
  /** Resolved when each spawned worker has exited (made at spawn, so no exit is missed). */
  private readonly exits: Promise<void>[] = [];
  private readonly rxWorkers: Worker[] = [];
  private readonly inlineRx: ReturnType<typeof buildReceiver>[] = [];
  /** Adapters: worker t sends on adapter t mod nics; adapter a's receive side feeds worker a. */
  private readonly nics: number;
  private phase: Phase = 'sending';
  /** Stop requests taken (1: the first, graceful; 2: forced). */
  private stops = 0;
  /** A `{ now: true }` stop (SIGTERM). */
  private stopNow = false;
  private failure: ScanError | undefined;
  private interrupted = false;
  private pausedWritten = false;
  private stopAt = Infinity;
  private waitUntil = 0;
  private readonly totalProbes: number;
  private readonly sliceEnd: number;
  private readonly rate = new MovingRate();
  private readonly ackRate = new MovingRate();
  /** Probes alone: the ETA and, with --infinite, the status line's syn/s. */
  private readonly probeRate = new MovingRate();
  private lastStatus = 0;
  private lastFlush = 0;
  private wake: (() => void) | undefined;
  private readonly onStop = (): void => { this.takeStop(this.options.signal, 1); };
  private readonly onForce = (): void => { this.takeStop(this.options.force, 2); };
  private readonly txOpen: (TxOpen | undefined)[];
  private readonly setupBase: Omit<TransmitSetup, 'thread' | 'link'>;
  private readonly linkSetups: TransmitSetup['link'][];
  private readonly rxSetups: ReceiveSetup[];

  constructor(
    private readonly config: ScanConfig,
    private readonly options: ScanStopSignals,
    private readonly emit: (e: ScanEvent) => void,
    private readonly env: ScanEnv,
    private readonly links: readonly ResolvedLink[],
    private readonly threads: number,
    range: number,
    private readonly sink: RecordSink,
    udpPayloads: readonly UdpPayloadEntry[],
  ) {
    const c = config;
    this.nics = links.length;
    for (let a = 0; a < this.nics; a++) {
      this.records.push(RecordRing.create(env.inline?.recordRingCapacity ?? RECORD_RING_CAPACITY));
      this.frames.push(FrameRing.create(FRAME_RING_BYTES, 1514));
    }
    // The send lock of --tx-arbiter serialises every worker of the scan: with one worker per
    // adapter nothing shares an interface, so auto goes parallel.
    const arbiter = env.inline !== undefined || (c.txArbiter === 'auto' && threads === this.nics && this.nics > 1)
      ? 'parallel' : c.txArbiter;
    this.setupBase = {
      targets4: c.targets4, targets6: c.targets6, ports: c.ports, seed: c.seed, rounds: c.blackrockRounds,
      shardOne: c.shard.one, shardOf: c.shard.of, resumeIndex: c.resumeIndex, resumeCount: c.resumeCount,
      retries: c.retries, infinite: c.infinite, rate: c.rate, threads,
      // Inline transmitters share the main thread: one sends at a time anyway, and the send
      // lock could not sleep there.
      arbiter,
      udpPayloads,
    };
    const template = templateSetup(c.template);
    this.linkSetups = links.map((link) => ({
      srcMac: link.srcMac, routerMac4: link.routerMac4, routerMac6: link.routerMac6, vlan: c.vlan, ttl: c.ttl,
      src4: link.src4, src6: link.src6, srcPort: link.srcPort, template,
    }));
    const banners = c.banners ? bannerSetup(c) : undefined;
    this.rxSetups = links.map((link) => ({
      seed: c.seed, src4: link.src4, src6: link.src6, srcPort: link.srcPort, srcMac: link.srcMac,
      routerMac4: link.routerMac4, routerMac6: link.routerMac6, vlan: c.vlan, ttl: c.ttl,
      answer4: link.answer4, answer6: link.answer6, noreset: c.noreset, arpscan: c.arpscan, targets4: c.targets4,
      ports: c.ports, targets6: c.targets6, udpPayloads, banners,
      dataLength: template.dataLength, tcpOptions: template.tcpOptions, bpf: c.bpf, packetTrace: c.packetTrace, debug: c.debug,
    }));
    let total = 0;
    let end = 0;
    for (let t = 0; t < threads; t++) {
      const s = indexSlice({
        range, shardOne: c.shard.one, shardOf: c.shard.of, resumeIndex: c.resumeIndex,
        resumeCount: c.resumeCount, threads, thread: t,
      });
      total += plannedProbes(s, c.retries);
      end = s.end;
    }
    this.totalProbes = total;
    this.sliceEnd = end;
    this.ctl.setTxMode(this.setupBase.arbiter === 'serial' && threads > 1 ? TxMode.SERIAL : TxMode.PARALLEL);
    this.txOpen = links.map((link) => c.offline
      ? { kind: 'offline', batch: TX_BATCH }
      : link.ifname !== undefined
        ? { kind: 'afpacket', ifname: link.ifname, backend: c.txBackend ?? 'sendmmsg', batch: TX_BATCH }
        : undefined);
    if (env.inline !== undefined) {
      for (let a = 0; a < this.nics; a++) {
        this.inlineRx.push(buildReceiver(this.rxSetups[a]!, this.records[a]!, this.frames[a]!, () => Math.floor(env.unixMs() / 1000), null,
          (b) => this.writeBanners([b]), () => env.nowMs()));
      }
    }
  }

  /** Worker t's setup: its adapter's link. */
  private txSetup(t: number): TransmitSetup {
    return { ...this.setupBase, thread: t, link: this.linkSetups[t % this.nics]! };
  }

  private takeStop(signal: AbortSignal | undefined, level: 1 | 2): void {
    if (signal === undefined) return;
    if (isStopNow(signal.reason)) this.stopNow = true;
    else this.stops = Math.max(this.stops, level);
    this.wake?.();
  }

  async run(): Promise<number> {
    const { signal, force } = this.options;
    if (signal?.aborted === true) this.onStop();
    else signal?.addEventListener('abort', this.onStop, { once: true });
    if (force?.aborted === true) this.onForce();
    else force?.addEventListener('abort', this.onForce, { once: true });
    if (this.env.inline !== undefined) this.startInline();
    else await this.startWorkers();
    if (this.env.inline !== undefined) await this.inlineLoop();
    else await this.threadLoop();
    await this.shutdown();
    this.drainRecords();
    this.emit({
      type: 'end', sent: this.counters().probes, replies: this.ctl.rxCounter(RxCounter.VALID), found: this.ctl.rxCounter(RxCounter.FOUND),
      kernelDrops: this.ctl.rxCounter(RxCounter.KERNEL_DROPS), recordDrops: this.ctl.rxCounter(RxCounter.RECORD_DROPS),
    });
    if (this.failure !== undefined) throw this.failure;
    return 0;
  }

  cleanup(): void {
    this.options.signal?.removeEventListener('abort', this.onStop);
    this.options.force?.removeEventListener('abort', this.onForce);
    for (const h of this.handles) void h.worker?.terminate();
    for (const w of this.rxWorkers) void w.terminate();
  }

  // ------------------------------------------------------------------ start

  private startInline(): void {
    const inl = this.env.inline!;
    for (let t = 0; t < this.threads; t++) {
      const tr = new Transmitter(this.txSetup(t), inl.openTx(t, t % this.nics), this.ctl, t < this.nics ? this.frames[t]! : null,
        () => this.env.nowMs() / 1000, null);
      this.ctl.setWorkerState(t, WState.RUNNING);
      this.handles.push({ thread: t, worker: undefined, inline: tr });
    }
  }

  private fail(code: string, message: string): void {
    if (this.failure === undefined) {
      this.failure = new ScanError(code as ErrorCode, message);
    }
    this.ctl.setCmd(Cmd.ABORT);
    this.wake?.();
  }

  private spawn(file: string, data: TxWorkerData | RxWorkerData): Worker {
    const w = new Worker(new URL(file, import.meta.url), { workerData: data });
    w.on('message', (m: { type: string; code?: string; message?: string; decisions?: ArbiterDecision[]; banners?: BannerFound[] }) => {
      if (m.type === 'error') this.fail(m.code ?? 'ERR_INTERNAL', m.message ?? 'worker failed');
      else if (m.type === 'banners' && m.banners !== undefined) this.writeBanners(m.banners);
      else if (m.type === 'arbiter' && m.decisions !== undefined) {
        for (const d of m.decisions) this.emit({ type: 'note', text: describeDecision(d) });
      }
      this.wake?.();
    });
    w.on('error', (e) => this.fail(isScanError(e) ? e.code : 'ERR_INTERNAL', e instanceof Error ? e.message : String(e)));
    this.exits.push(new Promise<void>((resolve) => w.once('exit', () => { resolve(); this.wake?.(); })));
    return w;
  }

  private async startWorkers(): Promise<void> {
    for (let a = 0; a < this.nics; a++) {
      if (this.txOpen[a] === undefined) throw new ScanError('ERR_INTERNAL', 'no transmit channel');
    }
    const receiving = new Set<number>();
    for (let a = 0; a < this.nics; a++) {
      const ifname = this.links[a]!.ifname;
      if (this.config.offline || ifname === undefined) continue;
      const pcap = this.config.pcapFilename;
      const data: RxWorkerData = {
        setup: this.rxSetups[a]!, adapter: a, adapters: this.nics, ifname, ctl: this.ctl.sab, recordRing: this.records[a]!.sab,
        frameRing: this.frames[a]!.sab, pcapFilename: pcap === undefined ? undefined : adapterFileName(pcap, a, this.nics),
        ringBytes: RX_RING_BYTES,
      };
      this.rxWorkers.push(this.spawn('./rx-worker.js', data));
      receiving.add(a);
    }
    // Probes go out only once replies can be received, on every adapter.
    const deadline = this.env.nowMs() + 10_000;
    for (const a of receiving) {
      while (this.ctl.rxState(a) === RxState.STARTING && this.failure === undefined) {
        if (this.env.nowMs() > deadline) throw new ScanError('ERR_ADAPTER', `${this.links[a]!.ifname}: the receive ring did not open within 10 s`);
        await sleep(5);
      }
      if (this.failure !== undefined) throw this.failure;
    }
    for (let t = 0; t < this.threads; t++) {
      const a = t % this.nics;
      const data: TxWorkerData = {
        setup: this.txSetup(t), open: this.txOpen[a]!, ctl: this.ctl.sab,
        frameRing: t === a && receiving.has(a) ? this.frames[a]!.sab : null,
        packetTrace: this.config.packetTrace,
      };
      this.handles.push({ thread: t, worker: this.spawn('./tx-worker.js', data), inline: undefined });
    }
  }

  // ------------------------------------------------------------------ loops

  private async threadLoop(): Promise<void> {
    while (this.phase !== 'done') {
      const ready = this.records.some((r) => r.used() > 0);
      if (!ready) {
        await Promise.race([
          ...this.records.map((r) => r.waitForDataAsync(50)),
          new Promise<void>((resolve) => { this.wake = resolve; }),
        ]);
        this.wake = undefined;
      }
      this.drainRecords();
      this.control();
    }
  }

  private async inlineLoop(): Promise<void> {
    const inl = this.env.inline!;
    const rxs = this.inlineRx;
    const chans = inl.rxs ?? [inl.rx];
    const pumpAll = (): void => {
      for (let a = 0; a < this.nics; a++) this.handles[a]?.inline?.pump();
    };
    let rounds = 0;
    while (this.phase !== 'done') {
      let hint = 50;
      for (const h of this.handles) {
        const t = h.inline!;
        if (t.isFinished()) {
          if (h.thread < this.nics) t.pump();
          continue;
        }
        const r = t.step();
        if (r !== STEP_DONE && r < hint) hint = r;
      }
      for (let a = 0; a < this.nics; a++) {
        const rx = rxs[a]!, ch = chans[a]!;
        ch.poll(0, rx.onFrame);
        rx.tick();
        rx.flush();
        publishRx(this.ctl, rx, ch.stats().kernelDrops, a);
      }
      pumpAll();
      this.drainRecords();
      inl.onRound?.();
      this.control();
      rounds++;
      if (hint > 0) await sleep(Math.min(hint, 20));
      else if ((rounds & 63) === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // Late frames already queued (RSTs answering the last replies).
    pumpAll();
    for (let a = 0; a < this.nics; a++) {
      chans[a]!.poll(0, rxs[a]!.onFrame);
      rxs[a]!.closeConnections();
    }
    pumpAll();
    for (const rx of rxs) rx.flush();
  }

  // ------------------------------------------------------------------ control

  private workerSettled(t: number): boolean {
    const s = this.ctl.workerState(t);
    return s === WState.DONE || s === WState.EXITED || s === WState.FAILED;
  }

  private allSettled(): boolean {
    for (const h of this.handles) if (!this.workerSettled(h.thread)) return false;
    return true;
  }

  /** The phase machine; runs after every drain. */
  private control(): void {
    const now = this.env.nowMs();
    if (this.failure !== undefined || this.stopNow) {
      this.ctl.setCmd(Cmd.ABORT);
      if (this.interrupted) this.savePaused(true);
      this.phase = 'done';
      return;
    }
    if (this.stops >= 2 || (this.stops === 1 && this.phase === 'waiting' && !this.interrupted)) {
      // Second stop (Ctrl-C), or one while only waiting: stop now.
      if (this.phase !== 'waiting') {
        this.ctl.setCmd(Cmd.ABORT);
        this.interrupted = true;
        this.savePaused(true);
      }
      this.phase = 'done';
      return;
    }
    if (this.stops === 1 && this.phase === 'sending') {
      this.interrupted = true;
      this.emit({ type: 'stopping' });
      this.ctl.setCmd(Cmd.PAUSE);
      this.phase = 'pausing';
    }
    if (this.phase === 'pausing') {
      let ok = true;
      for (const h of this.handles) {
        const s = this.ctl.workerState(h.thread);
        if (s !== WState.PAUSED && !this.workerSettled(h.thread)) ok = false;
      }
      if (ok) {
        // Every worker is at a batch boundary: stop exactly at the furthest frontier.
        let s = 0;
        for (const h of this.handles) s = Math.max(s, this.ctl.txCounter(h.thread, TxCounter.FRONTIER));
        this.stopAt = s;
        this.ctl.setStopAt(s);
        this.ctl.setCmd(Cmd.DRAIN);
        this.phase = 'draining';
      }
    }
    if ((this.phase === 'sending' || this.phase === 'draining') && this.allSettled()) {
      if (this.interrupted) this.savePaused(false);
      this.phase = 'waiting';
      const wait = this.config.offline ? 0 : this.config.wait;
      this.waitUntil = now + (Number.isFinite(wait) ? wait * 1000 : Infinity);
    }
    if (this.phase === 'waiting' && now >= this.waitUntil) this.phase = 'done';
    if (now - this.lastStatus >= 1000 && this.phase !== 'done') {
      this.lastStatus = now;
      this.status(now);
    }
    if (now - this.lastFlush >= 200) {
      this.lastFlush = now;
      this.sink.flush?.();
    }
  }

  /**
   * The resume point (paused.conf): after a clean drain every index below stopAt is done
   * exactly; after an abort only the minimum progress is safe. Reported once, only when the
   * scan is incomplete.
   */
  private savePaused(aborted: boolean): void {
    if (this.pausedWritten) return;
    let idx: number;
    if (!aborted && Number.isFinite(this.stopAt)) idx = this.stopAt;
    else idx = pauseIndex(this.handles.map((h) => this.ctl.txCounter(h.thread, TxCounter.PROGRESS)));
    if (idx >= this.sliceEnd) return;
    this.pausedWritten = true;
    this.emit({ type: 'paused', resumeIndex: idx });
  }

  private counters(): { probes: number; frames: number } {
    let probes = 0, frames = 0;
    for (const h of this.handles) {
      probes += this.ctl.txCounter(h.thread, TxCounter.PROBES);
      frames += this.ctl.txCounter(h.thread, TxCounter.FRAMES);
    }
    return { probes, frames };
  }

  private status(now: number): void {
    const { probes, frames } = this.counters();
    const sec = now / 1000;
    this.rate.sample(sec, probes + frames);
    this.probeRate.sample(sec, probes);
    this.ackRate.sample(sec, this.ctl.rxCounter(RxCounter.VALID));
    const waiting = this.phase === 'waiting';
    this.emit({
      type: 'progress',
      progress: {
        pps: this.rate.rate(),
        percent: percentDone(probes, this.totalProbes),
        etaSeconds: this.probeRate.eta(probes, this.totalProbes, this.config.rate),
        sent: probes,
        total: this.totalProbes,
        replies: this.ctl.rxCounter(RxCounter.VALID),
        found: this.ctl.rxCounter(RxCounter.FOUND),
        kernelDrops: this.ctl.rxCounter(RxCounter.KERNEL_DROPS),
        recordDrops: this.ctl.rxCounter(RxCounter.RECORD_DROPS),
        resumeIndex: pauseIndex(this.handles.map((h) => this.ctl.txCounter(h.thread, TxCounter.PROGRESS))),
        waitLeftSeconds: waiting ? Math.max(0, Math.ceil((this.waitUntil - now) / 1000)) : undefined,
        infinite: this.config.infinite ? { synps: this.probeRate.rate(), ackps: this.ackRate.rate() } : undefined,
      },
    });
  }

  /** One batch to the sink; a throw fails the scan (the records of that batch may be lost). */
  private hand(batch: readonly ScanRecord[]): void {
    if (batch.length === 0) return;
    try {
      this.sink.write(batch);
    } catch (e) {
      this.fail(isScanError(e) ? e.code : 'ERR_FILE', e instanceof Error ? e.message : String(e));
    }
  }

  private writeBanners(bs: readonly BannerFound[]): void {
    this.hand(bs.map(bannerRecord));
  }

  private drainRecords(): void {
    for (const ring of this.records) {
      let n = 0;
      do {
        const batch: ScanRecord[] = [];
        n = ring.drain((w, o) => { batch.push(recordFromRing(w, o)); }, 4096);
        this.hand(batch);
      } while (n > 0);
    }
  }

  // ------------------------------------------------------------------ shutdown

  private async shutdown(): Promise<void> {
    this.ctl.setShutdown();
    if (this.env.inline !== undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => { timer = setTimeout(() => resolve('timeout'), 3000); });
    const r = await Promise.race([Promise.all(this.exits), timeout]);
    clearTimeout(timer);
    if (r === 'timeout') {
      this.emit({ type: 'forced-exit' });
      for (const h of this.handles) void h.worker?.terminate();
      for (const w of this.rxWorkers) void w.terminate();
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
