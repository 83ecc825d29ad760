/**
 * Linux AF_PACKET channels: the TypeScript side of native/afpacket.c. This is the only file
 * of tidescan that loads the addon: the prebuilt one shipped in the npm package
 * (prebuilds/<platform>-<arch>/tidescan_native.node, made by `npm pack`), else the one node-gyp
 * built (build/Release/tidescan_native.node, during `npm ci` or the install script's fallback).
 *
 * Transmit (DESIGN.md §3 "Transmit"): one socket per transmit worker, bound with protocol 0
 * (it receives nothing), PACKET_QDISC_BYPASS on. Two back ends behind one TxChannel:
 *   - 'sendmmsg': frames live in a plain buffer at fixed slots; one sendmmsg() per batch.
 *   - 'txring':   a TPACKET_V2 PACKET_TX_RING mapped into `frames`; frames are written in
 *                 place (zero copy) and send() hands a whole batch to the kernel.
 * Receive (DESIGN.md §3 "Receive"): a TPACKET_V3 ring (16 MiB by default) bound to ETH_P_ALL
 * with PACKET_IGNORE_OUTGOING (our own frames never enter) and an optional BPF filter
 * (bpf.ts). Blocks are walked here, in place; no native call and no allocation per frame.
 *
 * The native API (all synchronous; fds are plain numbers):
 *   openTx(ifname, qdiscBypass, sndbufBytes, frameSize, frameCount) -> {fd, ifindex, ring}
 *   sendBatch(fd, frames, slotBase, slotSize, lens, count) -> frames the kernel took
 *   txRingSend(fd, firstFrame, count, fill, lens, timeoutMs) -> 1 if it waited for space
 *   txRingFlush(fd, timeoutMs) -> true when every queued ring frame went out
 *   openRx(ifname, blockSize, blockCount, retireMs, filter, ignoreOutgoing) -> {fd, ifindex, ring}
 *   poll(fd, timeoutMs) -> revents (0 on timeout)
 *   stats(fd, out: Float64Array(3)) -> packets, drops, freezes since the last call
 *   close(fd, ring?) -> unmaps and detaches the ring, closes the socket
 *   TX_DATA_OFFSET = 32: where frame data starts inside a TX ring frame
 * Native errors carry `code` = errno name; toScanError() below turns them into one-line
 * ScanErrors naming the interface.
 */
import { createRequire } from 'node:module';
import { ScanError, isScanError } from '../error.js';
import type { FrameHandler, RxChannel, RxStats, TxBackend, TxChannel, TxStats } from './adapter.js';
import { encodeBpf, type BpfProgram } from './bpf.js';
import { checkSendCount, checkTxSlots } from './slots.js';

interface NativeOpenResult {
  readonly fd: number;
  readonly ifindex: number;
  readonly ring: ArrayBuffer | null;
}

/** The addon's exports (native/afpacket.c). */
export interface NativeAddon {
  openTx(ifname: string, qdiscBypass: boolean, sndbufBytes: number, frameSize: number, frameCount: number): NativeOpenResult;
  sendBatch(fd: number, frames: Uint8Array, slotBase: number, slotSize: number, lens: Uint16Array, count: number): number;
  txRingSend(fd: number, firstFrame: number, count: number, fill: number, lens: Uint16Array, timeoutMs: number): number;
  txRingFlush(fd: number, timeoutMs: number): boolean;
  openRx(
    ifname: string,
    blockSize: number,
    blockCount: number,
    retireMs: number,
    filter: Uint32Array | null,
    ignoreOutgoing: boolean,
  ): NativeOpenResult;
  poll(fd: number, timeoutMs: number): number;
  stats(fd: number, out: Float64Array): void;
  close(fd: number, ring?: ArrayBuffer): void;
  readonly TX_DATA_OFFSET: number;
}

/**
 * Where the addon may be, relative to this file (dist/src/adapter/), in the order tried: the
 * prebuilt one that the package ships (scripts/prebuild.cjs), then node-gyp's build. A file
 * that exists but does not load (another libc, a foreign build) is passed over for the next.
 */
export const NATIVE_CANDIDATES: readonly string[] = [
  `../../../prebuilds/${process.platform}-${process.arch}/tidescan_native.node`,
  '../../../build/Release/tidescan_native.node',
];
let native: NativeAddon | undefined;

/** Loads the addon once per thread (it is context-aware, so workers load their own copy). */
export function loadNative(): NativeAddon {
  if (native !== undefined) return native;
  const require = createRequire(import.meta.url);
  const failures: string[] = [];
  for (const rel of NATIVE_CANDIDATES) {
    let path: string;
    try {
      path = require.resolve(rel);
    } catch {
      continue;
    }
    try {
      native = require(path) as NativeAddon;
      return native;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      failures.push(`${rel.slice('../../../'.length)} failed to load: ${msg.split('\n', 1)[0]!.slice(0, 160)}`);
    }
  }
  if (failures.length > 0) throw new ScanError('ERR_NATIVE', `native addon ${failures.join('; ')}`);
  throw new ScanError(
    'ERR_NATIVE',
    `native addon is missing (prebuilds/${process.platform}-${process.arch}/tidescan_native.node or ` +
      'build/Release/tidescan_native.node): run `npm rebuild tidescan` or, in a clone, `npm ci` (node-gyp builds it)',
  );
}

/** Maps an error thrown by the addon to a one-line ScanError naming the interface. */
export function toScanError(e: unknown, ifname: string): ScanError {
  if (isScanError(e)) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
  const msg = e instanceof Error ? e.message : String(e);
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new ScanError(
        'ERR_PERMISSION',
        `${ifname}: permission denied opening a raw socket: run as root or give node CAP_NET_RAW (and CAP_NET_ADMIN)`,
      );
    case 'ENODEV':
      return new ScanError('ERR_ADAPTER', `${ifname}: no such interface (--iflist lists them)`);
    case 'ENETDOWN':
      return new ScanError('ERR_ADAPTER', `${ifname}: interface is down (ip link set ${ifname} up)`);
    case 'ERR_NATIVE_ARG':
      return new ScanError('ERR_INTERNAL', `${ifname}: ${msg}`);
    default:
      return new ScanError('ERR_ADAPTER', msg.startsWith(ifname) ? msg : `${ifname}: ${msg}`);
  }
}

function checkIfname(ifname: string): void {
  // IFNAMSIZ is 16 including the NUL; '/' and whitespace are never valid in a Linux name.
  if (ifname.length === 0 || ifname.length > 15 || /[\s/:]/.test(ifname) || ifname === '.' || ifname === '..') {
    throw new ScanError('ERR_ADAPTER', `${JSON.stringify(ifname)}: not a valid interface name`);
  }
}

// ------------------------------------------------------------------------------ transmit

export interface OpenTxOptions {
  readonly ifname: string;
  readonly backend: TxBackend;
  /** Frames per send(): the channel's capacity (1..4096; 256-1024 recommended). */
  readonly batch: number;
  /**
   * Largest frame the caller will write, in bytes (default 1514). The channel's `slotSize`
   * (the stride between slots) is at least this: 64-byte aligned for sendmmsg, a power of
   * two holding this plus the 32-byte frame header for the TX ring.
   */
  readonly slotSize?: number;
  /** Skip the qdisc layer (default true). */
  readonly qdiscBypass?: boolean;
  /** Socket send buffer (default 4 MiB; needs CAP_NET_ADMIN above net.core.wmem_max). */
  readonly sndbufBytes?: number;
  /** TX ring only: batches the ring holds (default: >= 4 and >= 1 MiB of ring). */
  readonly ringBatches?: number;
  /** TX ring only: longest wait for ring space before ERR_ADAPTER (default 2000 ms). */
  readonly stallTimeoutMs?: number;
}

const DEFAULT_MAX_FRAME = 1514;

/** sendmmsg back end: slots at fixed offsets k * slotSize of a private buffer. */
class SendmmsgTx implements TxChannel {
  readonly frames: Uint8Array;
  readonly lens: Uint16Array;
  readonly slotSize: number;
  readonly capacity: number;
  readonly maxFrameLen: number;
  slotBase = 0;
  private sent = 0;
  private ringFull = 0;
  private closed = false;
  constructor(
    private readonly n: NativeAddon,
    private readonly fd: number,
    private readonly ifname: string,
    capacity: number,
    maxFrame: number,
  ) {
    this.capacity = capacity;
    this.slotSize = (maxFrame + 63) & ~63;
    this.maxFrameLen = this.slotSize;
    this.frames = new Uint8Array(this.slotSize * capacity);
    this.lens = new Uint16Array(capacity);
  }
  send(count: number): number {
    checkSendCount(count, this.capacity);
    if (count === 0) return 0;
    let n: number;
    try {
      n = this.n.sendBatch(this.fd, this.frames, this.slotBase, this.slotSize, this.lens, count);
    } catch (e) {
      throw toScanError(e, this.ifname);
    }
    this.sent += n;
    if (n < count) this.ringFull++;
    return n;
  }
  stats(): TxStats {
    return { sent: this.sent, ringFull: this.ringFull };
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.n.close(this.fd);
  }
}

/**
 * TX ring back end. The ring holds `batches` whole batches; batch b occupies ring frames
 * b * capacity .. b * capacity + capacity - 1, and slot k of it is at
 * slotBase + k * slotSize with slotBase = b * capacity * slotSize + 32. So slot k of every
 * batch is always one of `batches` fixed frames, and template bytes written into each once
 * stay there. A short batch (count < capacity) still consumes its whole region: the unused
 * frames are marked as skips, which keeps the kernel's ring head on batch boundaries.
 */
class TxRingTx implements TxChannel {
  readonly frames: Uint8Array;
  readonly lens: Uint16Array;
  readonly slotSize: number;
  readonly capacity: number;
  readonly maxFrameLen: number;
  readonly batches: number;
  slotBase: number;
  private batchNo = 0;
  private sent = 0;
  private ringFull = 0;
  private closed = false;
  private readonly dataOff: number;
  constructor(
    private readonly n: NativeAddon,
    private readonly fd: number,
    private readonly ifname: string,
    private readonly ring: ArrayBuffer,
    capacity: number,
    frameSize: number,
    batches: number,
    private readonly stallMs: number,
  ) {
    this.capacity = capacity;
    this.slotSize = frameSize;
    this.batches = batches;
    this.dataOff = n.TX_DATA_OFFSET;
    this.maxFrameLen = frameSize - this.dataOff;
    this.frames = new Uint8Array(ring);
    this.lens = new Uint16Array(capacity);
    this.slotBase = this.dataOff;
  }
  get regions(): number {
    return this.batches;
  }
  get region(): number {
    return this.batchNo;
  }
  send(count: number): number {
    checkSendCount(count, this.capacity);
    if (count === 0) return 0;
    const first = this.batchNo * this.capacity;
    let waited: number;
    try {
      waited = this.n.txRingSend(this.fd, first, count, this.capacity, this.lens, this.stallMs);
    } catch (e) {
      throw toScanError(e, this.ifname);
    }
    // Every frame handed over is sent: frames the kernel could not take yet stay queued in
    // the ring and go with the next kick (never dropped, never sent twice).
    this.sent += count;
    if (waited !== 0) this.ringFull++;
    this.batchNo = this.batchNo + 1 === this.batches ? 0 : this.batchNo + 1;
    this.slotBase = this.batchNo * this.capacity * this.slotSize + this.dataOff;
    return count;
  }
  /** Waits (at most timeoutMs) until every queued frame went out. */
  flush(timeoutMs = 1000): boolean {
    if (this.closed) return true;
    try {
      return this.n.txRingFlush(this.fd, timeoutMs);
    } catch (e) {
      throw toScanError(e, this.ifname);
    }
  }
  stats(): TxStats {
    return { sent: this.sent, ringFull: this.ringFull };
  }
  close(): void {
    if (this.closed) return;
    try {
      this.n.txRingFlush(this.fd, 1000);
    } catch {
      // The interface may be gone; closing must still release everything.
    }
    this.closed = true;
    this.n.close(this.fd, this.ring);
  }
}

function nextPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}
function floorPow2(v: number): number {
  let p = 1;
  while (p * 2 <= v) p *= 2;
  return p;
}
function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

/**
 * Opens a transmit channel on `ifname`. Throws ScanError: ERR_PERMISSION (not root / no
 * CAP_NET_RAW), ERR_ADAPTER (no such interface, interface down), ERR_NATIVE (addon missing).
 */
export function openTx(opts: OpenTxOptions): TxChannel {
  checkIfname(opts.ifname);
  const maxFrame = opts.slotSize ?? DEFAULT_MAX_FRAME;
  checkTxSlots(opts.batch, maxFrame, 4096);
  const n = loadNative();
  const bypass = opts.qdiscBypass ?? true;
  const sndbuf = opts.sndbufBytes ?? 4 * 1024 * 1024;
  if (opts.backend === 'sendmmsg') {
    let fd: number;
    try {
      fd = n.openTx(opts.ifname, bypass, sndbuf, 0, 0).fd;
    } catch (e) {
      throw toScanError(e, opts.ifname);
    }
    return new SendmmsgTx(n, fd, opts.ifname, opts.batch, maxFrame);
  }
  if (opts.backend !== 'txring') {
    throw new ScanError('ERR_BAD_OPTION', `unknown transmit back end ${JSON.stringify(opts.backend)}`);
  }
  const frameSize = Math.max(128, nextPow2(maxFrame + n.TX_DATA_OFFSET));
  const perBatch = opts.batch * frameSize;
  let batches = opts.ringBatches ?? Math.max(4, Math.ceil((1024 * 1024) / perBatch));
  if (!Number.isInteger(batches) || batches < 2 || batches > 1024) {
    throw new ScanError('ERR_BAD_OPTION', `TX ring batches ${batches} out of range (2..1024)`);
  }
  // The ring's byte size must be a whole number of pages.
  const step = 4096 / gcd(perBatch % 4096 === 0 ? 4096 : perBatch % 4096, 4096);
  batches = Math.ceil(batches / step) * step;
  const stall = opts.stallTimeoutMs ?? 2000;
  let r: NativeOpenResult;
  try {
    r = n.openTx(opts.ifname, bypass, sndbuf, frameSize, batches * opts.batch);
  } catch (e) {
    throw toScanError(e, opts.ifname);
  }
  if (r.ring === null) throw new ScanError('ERR_NATIVE', `${opts.ifname}: TX ring was not mapped`);
  return new TxRingTx(n, r.fd, opts.ifname, r.ring, opts.batch, frameSize, batches, stall);
}

// ------------------------------------------------------------------------------- receive

export interface OpenRxOptions {
  readonly ifname: string;
  /** Ring size (default 16 MiB; at least 64 KiB). Rounded up to whole blocks. */
  readonly ringBytes?: number;
  /** Block size (default 1 MiB, or ringBytes / 16 for small rings; a power of two). */
  readonly blockBytes?: number;
  /** The kernel hands over a partly filled block after this many ms (default 5). */
  readonly retireMs?: number;
  /** Classic BPF program run by the kernel before a frame enters the ring. */
  readonly filter?: BpfProgram;
  /** Keep frames sent by this host out of the ring (default true; Linux >= 4.20). */
  readonly ignoreOutgoing?: boolean;
}

// struct tpacket_block_desc (linux/if_packet.h): version, offset_to_priv, then tpacket_hdr_v1.
const BD_STATUS = 8;
const BD_NUM_PKTS = 12;
const BD_FIRST = 16;
const BD_LEN = 20;
const BD_HDR_LEN = 48;
// struct tpacket3_hdr.
const P_NEXT = 0;
const P_SEC = 4;
const P_NSEC = 8;
const P_SNAPLEN = 12;
const P_MAC = 24;
const P3_HDR_LEN = 48;
const TP_STATUS_USER = 1;
const TP_STATUS_KERNEL = 0;
const POLLERR = 0x008;

/**
 * TPACKET_V3 receive ring. Blocks are handed to user space whole (TP_STATUS_USER in the
 * block descriptor) and back to the kernel whole (TP_STATUS_KERNEL).
 *
 * NOTE: the status word is read with Atomics.load and written with Atomics.store (both
 * sequentially consistent): the load orders every later read of the block after the
 * kernel's release of it, and the store orders every earlier read before the kernel may
 * overwrite the block. That is the barrier pair the kernel's ring protocol needs, with no
 * native call per block.
 *
 * Exported so tests can walk a synthetic ring (with a stand-in for the addon); the engine
 * opens channels with openRx().
 */
export class AfPacketRx implements RxChannel {
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private cur = 0;
  private received = 0;
  private kernelDrops = 0;
  private closed = false;
  private readonly scratch = new Float64Array(3);
  constructor(
    private readonly n: NativeAddon,
    private readonly fd: number,
    private readonly ifname: string,
    private readonly ring: ArrayBuffer,
    private readonly blockSize: number,
    private readonly blockCount: number,
  ) {
    this.u8 = new Uint8Array(ring);
    this.u16 = new Uint16Array(ring);
    this.u32 = new Uint32Array(ring);
    this.i32 = new Int32Array(ring);
  }

  poll(timeoutMs: number, onFrame: FrameHandler): number {
    if (this.closed) return 0;
    const statusAt = (this.cur * this.blockSize + BD_STATUS) >> 2;
    if ((Atomics.load(this.i32, statusAt) & TP_STATUS_USER) === 0) {
      if (timeoutMs <= 0) return 0;
      let rev: number;
      try {
        rev = this.n.poll(this.fd, Math.min(timeoutMs, 0x7fffffff) | 0);
      } catch (e) {
        throw toScanError(e, this.ifname);
      }
      if ((Atomics.load(this.i32, statusAt) & TP_STATUS_USER) === 0) {
        if ((rev & POLLERR) !== 0) throw new ScanError('ERR_ADAPTER', `${this.ifname}: receive socket error (interface down or gone?)`);
        return 0;
      }
    }
    let delivered = 0;
    // At most one lap of the ring per call, so a flood cannot keep us here forever.
    for (let b = 0; b < this.blockCount; b++) {
      const base = this.cur * this.blockSize;
      const st = (base + BD_STATUS) >> 2;
      if ((Atomics.load(this.i32, st) & TP_STATUS_USER) === 0) break;
      try {
        delivered += this.walkBlock(base, onFrame);
      } finally {
        // Released even if the handler throws, so a bad frame is not re-delivered forever.
        Atomics.store(this.i32, st, TP_STATUS_KERNEL);
        this.cur = this.cur + 1 === this.blockCount ? 0 : this.cur + 1;
      }
    }
    this.received += delivered;
    return delivered;
  }

  /**
   * Delivers the frames of one block. The kernel wrote it, but its offsets are still checked
   * against the block bounds, so a corrupt block ends the walk instead of reading elsewhere.
   */
  private walkBlock(base: number, onFrame: FrameHandler): number {
    const u32 = this.u32;
    const bs = this.blockSize;
    const num = u32[(base + BD_NUM_PKTS) >> 2];
    const blkLen = u32[(base + BD_LEN) >> 2];
    const end = blkLen <= bs ? blkLen : bs;
    let off = u32[(base + BD_FIRST) >> 2];
    let done = 0;
    for (let i = 0; i < num; i++) {
      if (off < BD_HDR_LEN || off + P3_HDR_LEN > end || (off & 3) !== 0) break;
      const h = base + off;
      const snap = u32[(h + P_SNAPLEN) >> 2];
      const mac = this.u16[(h + P_MAC) >> 1];
      if (mac < P3_HDR_LEN || off + mac + snap > end) break;
      onFrame(this.u8, h + mac, snap, u32[(h + P_SEC) >> 2], u32[(h + P_NSEC) >> 2]);
      done++;
      const next = u32[(h + P_NEXT) >> 2];
      if (next === 0) break;
      off += next;
    }
    return done;
  }

  stats(): RxStats {
    if (!this.closed) {
      try {
        this.n.stats(this.fd, this.scratch);
        this.kernelDrops += this.scratch[1];
      } catch (e) {
        throw toScanError(e, this.ifname);
      }
    }
    return { received: this.received, kernelDrops: this.kernelDrops };
  }

  close(): void {
    if (this.closed) return;
    this.stats();
    this.closed = true;
    this.n.close(this.fd, this.ring);
  }
}

/**
 * Opens a receive channel on `ifname`. Throws ScanError: ERR_PERMISSION, ERR_ADAPTER (no
 * such interface, interface down, kernel too old for PACKET_IGNORE_OUTGOING), ERR_NATIVE.
 */
export function openRx(opts: OpenRxOptions): RxChannel {
  checkIfname(opts.ifname);
  const ringBytes = opts.ringBytes ?? 16 * 1024 * 1024;
  if (!Number.isInteger(ringBytes) || ringBytes < 65536 || ringBytes > 2 ** 31) {
    throw new ScanError('ERR_BAD_OPTION', `receive ring size ${ringBytes} out of range (64 KiB..2 GiB)`);
  }
  let block = opts.blockBytes ?? (ringBytes >= 16 * 1024 * 1024 ? 1024 * 1024 : Math.max(4096, floorPow2(ringBytes / 16)));
  if (!Number.isInteger(block) || block < 4096 || block > 64 * 1024 * 1024 || nextPow2(block) !== block) {
    throw new ScanError('ERR_BAD_OPTION', `receive ring block size ${block} must be a power of two (4 KiB..64 MiB)`);
  }
  if (block > ringBytes) block = floorPow2(ringBytes);
  const blocks = Math.ceil(ringBytes / block);
  const retire = opts.retireMs ?? 5;
  if (!Number.isInteger(retire) || retire < 1 || retire > 10000) {
    throw new ScanError('ERR_BAD_OPTION', `receive block timeout ${retire} ms out of range (1..10000)`);
  }
  const filter = opts.filter !== undefined ? encodeBpf(opts.filter) : null;
  const n = loadNative();
  let r: NativeOpenResult;
  try {
    r = n.openRx(opts.ifname, block, blocks, retire, filter, opts.ignoreOutgoing ?? true);
  } catch (e) {
    throw toScanError(e, opts.ifname);
  }
  if (r.ring === null) throw new ScanError('ERR_NATIVE', `${opts.ifname}: RX ring was not mapped`);
  return new AfPacketRx(n, r.fd, opts.ifname, r.ring, block, blocks);
}
