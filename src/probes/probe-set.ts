/**
 * All probe kinds of a scan behind one call per address family (ProbeSet4, ProbeSet6): the
 * transmit loop's entry to the templates of this directory.
 */
import { CookieKey, cookie4Hash, cookie6Hash } from '../crypto/cookie.js';
import type { Target } from '../target/picker.js';
import { UdpPayloadTable } from './udp-payloads.js';
import { ArpTemplate } from './arp.js';
import { Ipv4Options, Ipv6Options, PROBE_FIELDS , setDst6 } from './frame.js';
import { EchoTemplate4, EchoTemplate6 } from './icmp.js';
import { OprotoTemplate4, OprotoTemplate6 } from './ip-proto.js';
import { SctpTemplate4, SctpTemplate6 } from './sctp.js';
import { TcpOptions, TcpTemplate4, TcpTemplate6 } from './tcp-syn.js';
import { UdpTemplate4, UdpTemplate6 } from './udp.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SRC_PORT = 3, PF_SEQ = 4, PF_DST6 = 5;

// ---------------------------------------------------------------------------------------
// Dispatch by internal port, with the cookie, and per-slot bookkeeping.
// ---------------------------------------------------------------------------------------

/** Internal-port bases (the same encoding as target/ports.ts; reference §2.3, §6.1). */
const UDP_BASE = 65536, SCTP_BASE = 131072, ICMP_BASE = 196608, ICMP_ECHO = 196608, ICMP_TIMESTAMP = 196609;
const ARP_PORT = 196610, OPROTO_BASE = 196864;

/** What a batch slot currently holds (so a slot's base is rewritten only when the kind changes). */
export const SlotKind = { NONE: 0, TCP: 1, UDP: 2, SCTP: 3, ICMP: 4, ARP: 5, TIMESTAMP: 6, OPROTO: 7 } as const;

export interface ProbeOptions4 extends Ipv4Options {
  readonly tcp?: TcpOptions | undefined;
  readonly payloads?: UdpPayloadTable | undefined;
  /** --badsum: wrong UDP checksums too (TCP ones come with `tcp.badsum`). */
  readonly badsum?: boolean | undefined;
}

export interface ProbeOptions6 extends Ipv6Options {
  readonly tcp?: TcpOptions | undefined;
  readonly payloads?: UdpPayloadTable | undefined;
  /** --badsum: wrong UDP checksums too (TCP ones come with `tcp.badsum`). */
  readonly badsum?: boolean | undefined;
}

/** Where a probe leaves from: SourceChooser satisfies it (ip/port after choose4). */
export interface ProbeSource {
  /** Source IPv4 address (u32); unused by ProbeSet6. */
  readonly ip: number;
  /** Source port. For IPv6 pass the base port (masscan never spreads IPv6 source ports). */
  readonly port: number;
}

/**
 * What ProbeSet4 and ProbeSet6 share off the hot path: the slot size, the key, the kind each
 * slot of the worker's batch holds and its invalidation. Each subclass keeps its own fill
 * (one map per subclass, so its property loads stay monomorphic).
 */
abstract class SlotKinds {
  /** Largest frame any probe can be: the slot size needed. */
  readonly maxFrameLen: number;
  protected readonly key: CookieKey;
  protected readonly kinds: Uint8Array;
  protected readonly f: Int32Array = new Int32Array(PROBE_FIELDS);

  constructor(key: CookieKey, slots: number, templates: readonly ({ readonly maxFrameLen: number } | null)[]) {
    let max = 0;
    for (const t of templates) if (t !== null && t.maxFrameLen > max) max = t.maxFrameLen;
    this.maxFrameLen = max;
    this.key = key;
    this.kinds = new Uint8Array(slots);
  }

  /** Forget what the slots hold (after the batch buffer changed). */
  invalidate(): void {
    this.kinds.fill(SlotKind.NONE);
  }

  /** Forget what one slot holds (another probe set wrote it), so its next fill rewrites the base. */
  invalidateSlot(slot: number): void {
    this.kinds[slot] = SlotKind.NONE;
  }
}

/**
 * All IPv4 probe kinds of a scan behind one call: `fill` computes the cookie for the target's
 * internal port (TCP p, UDP 65536+p, SCTP 131072+p, ICMP echo 196608, ICMP timestamp 196609,
 * ARP 196610, other protocol n 196864+n; port_me 0 for ICMP and other protocols), writes the
 * template base into the slot if the slot last held another kind, and patches the probe.
 * One instance per transmit worker (it keeps the slot kinds of that worker's batch).
 *
 * Hot path: the target and source are read from objects and the values travel to the
 * templates in a typed array, so nothing is boxed or allocated whether or not V8 inlines.
 */
export class ProbeSet4 extends SlotKinds {
  readonly tcp: TcpTemplate4;
  readonly udp: UdpTemplate4;
  readonly sctp: SctpTemplate4;
  readonly icmp: EchoTemplate4;
  readonly timestamp: EchoTemplate4;
  readonly oproto: OprotoTemplate4;
  readonly arp: ArpTemplate | null;

  /** slots: the number of slots in the batch this set fills (slot index < slots). */
  constructor(opts: ProbeOptions4, key: CookieKey, slots: number) {
    const tcp = new TcpTemplate4(opts, opts.tcp);
    const udp = new UdpTemplate4(opts, opts.payloads, opts.badsum === true);
    const sctp = new SctpTemplate4(opts);
    const icmp = new EchoTemplate4(opts);
    const timestamp = new EchoTemplate4(opts, 'timestamp');
    const oproto = new OprotoTemplate4(opts);
    const arp = opts.raw === true ? null : new ArpTemplate(opts);
    super(key, slots, [tcp, udp, sctp, icmp, timestamp, oproto, arp]);
    this.tcp = tcp; this.udp = udp; this.sctp = sctp; this.icmp = icmp;
    this.timestamp = timestamp; this.oproto = oproto; this.arp = arp;
  }

  /**
   * Write the probe for (dstIp, port internal) from (srcIp, srcPort) into slot `slot` at
   * buf[off]. Returns the frame length, or 0 for a port kind without a probe (`I:n` for n
   * above 2; ARP on a raw link): the caller skips the slot.
   * NOTE: when V8 does not inline this call (it is large), address arguments above 2^30 are
   * boxed: one small allocation per probe. The transmit loop should use fillTarget.
   */
  fill(buf: Uint8Array, off: number, slot: number, srcIp: number, dstIp: number, port: number, srcPort: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp;
    f[PF_DST_IP] = dstIp;
    f[PF_SRC_PORT] = srcPort;
    return this.fillFields(buf, off, slot, port);
  }

  /**
   * fill() for target `t` (t.version 4: t.ip4, t.port internal) from `src` (ip, port):
   * reads them from the objects, so nothing is boxed or allocated (see ProbeField).
   */
  fillTarget(buf: Uint8Array, off: number, slot: number, t: Target, src: ProbeSource): number {
    const f = this.f;
    f[PF_SRC_IP] = src.ip;
    f[PF_DST_IP] = t.ip4;
    f[PF_SRC_PORT] = src.port;
    return this.fillFields(buf, off, slot, t.port);
  }

  /** The body of fill: source and destination already in this.f. */
  private fillFields(buf: Uint8Array, off: number, slot: number, port: number): number {
    const f = this.f;
    const key = this.key;
    const kinds = this.kinds;
    // f is an Int32Array, so the addresses load as int32: never boxed when V8 does not inline
    // a cookie call, which happens once several probe kinds are hot and this body outgrows its
    // inlining budget (a u32 above 2^31 passed to a call is a heap number; see ProbeField).
    const dstIp = f[PF_DST_IP], srcIp = f[PF_SRC_IP], srcPort = f[PF_SRC_PORT];
    if (port < UDP_BASE) {
      if (kinds[slot] !== SlotKind.TCP) { this.tcp.writeBase(buf, off); kinds[slot] = SlotKind.TCP; }
      cookie4Hash(key, dstIp, port, srcIp, srcPort);
      f[PF_DST_PORT] = port;
      f[PF_SEQ] = key.out[0];
      return this.tcp.patchFields(buf, off, f);
    }
    if (port < SCTP_BASE) {
      kinds[slot] = SlotKind.UDP; // UDP writes its whole frame
      cookie4Hash(key, dstIp, port, srcIp, srcPort);
      f[PF_DST_PORT] = port - UDP_BASE;
      f[PF_SEQ] = key.out[0];
      return this.udp.patchFields(buf, off, f);
    }
    if (port < ICMP_BASE) {
      if (kinds[slot] !== SlotKind.SCTP) { this.sctp.writeBase(buf, off); kinds[slot] = SlotKind.SCTP; }
      cookie4Hash(key, dstIp, port, srcIp, srcPort);
      f[PF_DST_PORT] = port - SCTP_BASE;
      f[PF_SEQ] = key.out[0];
      return this.sctp.patchFields(buf, off, f);
    }
    if (port === ICMP_ECHO) {
      if (kinds[slot] !== SlotKind.ICMP) { this.icmp.writeBase(buf, off); kinds[slot] = SlotKind.ICMP; }
      cookie4Hash(key, dstIp, ICMP_ECHO, srcIp, 0);
      f[PF_SEQ] = key.out[0];
      return this.icmp.patchFields(buf, off, f);
    }
    if (port === ICMP_TIMESTAMP) {
      if (kinds[slot] !== SlotKind.TIMESTAMP) { this.timestamp.writeBase(buf, off); kinds[slot] = SlotKind.TIMESTAMP; }
      cookie4Hash(key, dstIp, ICMP_TIMESTAMP, srcIp, 0);
      f[PF_SEQ] = key.out[0];
      return this.timestamp.patchFields(buf, off, f);
    }
    if (port >= OPROTO_BASE && port < OPROTO_BASE + 256) {
      if (kinds[slot] !== SlotKind.OPROTO) { this.oproto.writeBase(buf, off); kinds[slot] = SlotKind.OPROTO; }
      cookie4Hash(key, dstIp, port, srcIp, 0);
      f[PF_DST_PORT] = port - OPROTO_BASE;
      f[PF_SEQ] = key.out[0];
      return this.oproto.patchFields(buf, off, f);
    }
    if (port === ARP_PORT && this.arp !== null) {
      if (kinds[slot] !== SlotKind.ARP) { this.arp.writeBase(buf, off); kinds[slot] = SlotKind.ARP; }
      return this.arp.patchFields(buf, off, f);
    }
    return 0;
  }
}

/** All IPv6 probe kinds (no ARP: NDP is the responder's business). Same contract as ProbeSet4. */
export class ProbeSet6 extends SlotKinds {
  readonly tcp: TcpTemplate6;
  readonly udp: UdpTemplate6;
  readonly sctp: SctpTemplate6;
  readonly icmp: EchoTemplate6;
  readonly timestamp: EchoTemplate6;
  readonly oproto: OprotoTemplate6;
  /** Our address as four words (cookie6's `me`). */
  readonly srcWords: Uint32Array;
  /** The destination as four words, for cookie6. */
  private readonly dst: Uint32Array = new Uint32Array(4);

  constructor(opts: ProbeOptions6, key: CookieKey, slots: number) {
    const tcp = new TcpTemplate6(opts, opts.tcp);
    const udp = new UdpTemplate6(opts, opts.payloads, opts.badsum === true);
    const sctp = new SctpTemplate6(opts);
    const icmp = new EchoTemplate6(opts);
    const timestamp = new EchoTemplate6(opts, 'timestamp');
    const oproto = new OprotoTemplate6(opts);
    super(key, slots, [tcp, udp, sctp, icmp, timestamp, oproto]);
    this.tcp = tcp; this.udp = udp; this.sctp = sctp; this.icmp = icmp;
    this.timestamp = timestamp; this.oproto = oproto;
    this.srcWords = tcp.srcWords;
  }

  /**
   * Write the probe for dst[dstOff..+3] (four words, most significant first) and internal
   * port `port`, from our IPv6 address and srcPort (the base port, §6.2). Same NOTE as
   * ProbeSet4.fill; the transmit loop should use fillTarget.
   */
  fill(buf: Uint8Array, off: number, slot: number, dst: Uint32Array, dstOff: number, port: number, srcPort: number): number {
    const f = this.f;
    setDst6(f, dst, dstOff);
    f[PF_SRC_PORT] = srcPort;
    return this.fillFields(buf, off, slot, port);
  }

  /** fill() for target `t` (t.version 6: t.ip6, t.port internal), from src.port (pass the base port). */
  fillTarget(buf: Uint8Array, off: number, slot: number, t: Target, src: ProbeSource): number {
    const f = this.f;
    const dst = t.ip6;
    f[PF_DST6] = dst[0]; f[PF_DST6 + 1] = dst[1]; f[PF_DST6 + 2] = dst[2]; f[PF_DST6 + 3] = dst[3];
    f[PF_SRC_PORT] = src.port;
    return this.fillFields(buf, off, slot, t.port);
  }

  /** The body of fill: destination and source port already in this.f. */
  private fillFields(buf: Uint8Array, off: number, slot: number, port: number): number {
    const f = this.f;
    const key = this.key;
    const kinds = this.kinds;
    const me = this.srcWords;
    const srcPort = f[PF_SRC_PORT];
    const dst = this.dst;
    dst[0] = f[PF_DST6]; dst[1] = f[PF_DST6 + 1]; dst[2] = f[PF_DST6 + 2]; dst[3] = f[PF_DST6 + 3];
    if (port < UDP_BASE) {
      if (kinds[slot] !== SlotKind.TCP) { this.tcp.writeBase(buf, off); kinds[slot] = SlotKind.TCP; }
      cookie6Hash(key, dst, 0, me, 0, port, srcPort);
      f[PF_DST_PORT] = port;
      f[PF_SEQ] = key.out[0];
      return this.tcp.patchFields(buf, off, f);
    }
    if (port < SCTP_BASE) {
      kinds[slot] = SlotKind.UDP;
      cookie6Hash(key, dst, 0, me, 0, port, srcPort);
      f[PF_DST_PORT] = port - UDP_BASE;
      f[PF_SEQ] = key.out[0];
      return this.udp.patchFields(buf, off, f);
    }
    if (port < ICMP_BASE) {
      if (kinds[slot] !== SlotKind.SCTP) { this.sctp.writeBase(buf, off); kinds[slot] = SlotKind.SCTP; }
      cookie6Hash(key, dst, 0, me, 0, port, srcPort);
      f[PF_DST_PORT] = port - SCTP_BASE;
      f[PF_SEQ] = key.out[0];
      return this.sctp.patchFields(buf, off, f);
    }
    if (port === ICMP_ECHO) {
      if (kinds[slot] !== SlotKind.ICMP) { this.icmp.writeBase(buf, off); kinds[slot] = SlotKind.ICMP; }
      cookie6Hash(key, dst, 0, me, 0, ICMP_ECHO, 0);
      f[PF_SEQ] = key.out[0];
      return this.icmp.patchFields(buf, off, f);
    }
    if (port === ICMP_TIMESTAMP) {
      // masscan's ICMPv6 "type 13" (see EchoTemplate6): sent, never answered.
      if (kinds[slot] !== SlotKind.TIMESTAMP) { this.timestamp.writeBase(buf, off); kinds[slot] = SlotKind.TIMESTAMP; }
      cookie6Hash(key, dst, 0, me, 0, ICMP_TIMESTAMP, 0);
      f[PF_SEQ] = key.out[0];
      return this.timestamp.patchFields(buf, off, f);
    }
    if (port >= OPROTO_BASE && port < OPROTO_BASE + 256) {
      if (kinds[slot] !== SlotKind.OPROTO) { this.oproto.writeBase(buf, off); kinds[slot] = SlotKind.OPROTO; }
      cookie6Hash(key, dst, 0, me, 0, port, 0);
      f[PF_DST_PORT] = port - OPROTO_BASE;
      f[PF_SEQ] = key.out[0];
      return this.oproto.patchFields(buf, off, f);
    }
    return 0;
  }
}
