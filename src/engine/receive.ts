/**
 * The receive side (reference masscan-compat.md §7; DESIGN.md §1): every frame the RX ring
 * hands us is decoded into one reused `Decoded`, classified by a pure function of its bytes
 * and the scan's constants (`classify`), deduplicated, and turned into a numeric record in
 * the record ring; frames we must send in answer (RSTs after SYN-ACKs, ARP/NDP replies for a
 * spoofed source) go into the frame ring for a transmit worker.
 *
 * What is reported (a reply must be addressed to one of our source IPs):
 *  - TCP to one of our source ports: SYN-ACK -> open, any RST -> closed; both only when
 *    ack - 1 == cookie(them, their port, us, our port) (the SYN cookie, §6.1). A valid
 *    SYN-ACK is answered with a RST unless --noreset (every one, duplicates included: a
 *    retransmitted SYN-ACK means the target did not get our RST).
 *  - UDP to one of our source ports -> open udp <their port>. Deduplicated (masscan is not).
 *  - ICMP/ICMPv6 echo reply whose identifier:sequence equals the cookie -> open icmp 0.
 *  - ICMP destination unreachable, port unreachable (v4 type 3 code 3, v6 type 1 code 4),
 *    quoting a packet from our address and source port -> closed <quoted proto/port>; a
 *    quoted TCP segment must also carry our cookie as its sequence number.
 *  - SCTP to our port with verification tag == cookie: INIT ACK -> open, ABORT -> closed.
 *  - ARP reply (--arp only) from an address we scanned, to our address -> up arp 0 + MAC.
 * Everything is deduplicated on (their address, internal port, status): a target reported
 * once per status, however many replies and retries.
 *
 * The per-frame path allocates nothing (ARP/NDP answers excepted, see responder.ts).
 */
import type { PortRange, Range4 } from '../cli/config.js';
import type { FrameRing, RecordRing } from './ring.js';
import { R } from './ring.js';
import { CookieKey, ICMP_ECHO_PORT, cookie4, cookie6 } from './cookie.js';
import { DedupTable } from './dedup.js';
import { Responder } from './responder.js';
import { TcpTemplate4, TcpTemplate6 } from './template.js';
import { Decoded, decodeFrame } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { TcpFlags } from '../wire/tcp.js';
import { SctpChunkType } from '../wire/sctp.js';
import { getU16, getU32 } from '../wire/bytes.js';

/** Record ring: kinds (word R.KIND). */
export const RecordKind = { STATUS: 1 } as const;
/** Record ring: statuses (word R.STATUS). */
export const RecStatus = { OPEN: 1, CLOSED: 2, UP: 3 } as const;

/** Internal port bases (target/ports.ts encoding). */
const UDP_BASE = 65536;
const SCTP_BASE = 131072;
const ARP_PORT = 196610;

const ARP_REPLY = 2;
const ICMP4_ECHO_REPLY = 0;
const ICMP4_UNREACH = 3;
const ICMP4_PORT_UNREACH = 3;
const ICMP6_ECHO_REPLY = 129;
const ICMP6_UNREACH = 1;
const ICMP6_PORT_UNREACH = 4;

/** The scan's constants the classifier needs. Plain data: posted to the receive worker. */
export interface ClassifyContext {
  /** Our IPv4 source range (inclusive), or undefined when the scan has no IPv4 source. */
  readonly ip4Begin: number;
  readonly ip4End: number;
  readonly has4: boolean;
  /** Our IPv6 source address as four words (most significant first). */
  readonly ip6: Uint32Array;
  readonly has6: boolean;
  /** Our source ports (inclusive). */
  readonly portBegin: number;
  readonly portEnd: number;
  /** --arp: report ARP replies from scanned addresses. */
  readonly arpscan: boolean;
  /** Sorted, merged inclusive IPv4 target ranges as [begin0, end0, begin1, end1, ...] (ARP scan). */
  readonly targets4: Uint32Array;
}

/** What `classify` concluded; one instance reused per receive thread. */
export class Verdict {
  /** 0 nothing to report; 1 a status record. */
  kind = 0;
  version = 4;
  /** Their address: IPv4 in ip[0], IPv6 in ip[0..3]. */
  readonly ip = new Uint32Array(4);
  /** IP protocol of the record (6, 17, 132, 1, 58, 0 for ARP). */
  proto = 0;
  /** Plain port (0 for ICMP/ARP) and masscan's internal port (dedup key). */
  port = 0;
  internalPort = 0;
  status = 0;
  /** TCP flags of the reply (0 otherwise). */
  reason = 0;
  ttl = 0;
  /** ARP: offset of the sender MAC in the frame; -1 otherwise. */
  macOff = -1;
  /** A valid SYN-ACK: send a RST (unless --noreset) with these fields. */
  rst = false;
  /** Our address (v4) and port the reply came to; the RST's sequence number (their ack). */
  myIp = 0;
  myPort = 0;
  rstSeq = 0;
}

function isOurPort(c: ClassifyContext, p: number): boolean {
  return p >= c.portBegin && p <= c.portEnd;
}

function isOurIp4(c: ClassifyContext, ip: number): boolean {
  return c.has4 && ((ip - c.ip4Begin) >>> 0) <= ((c.ip4End - c.ip4Begin) >>> 0);
}

function isOurIp6(c: ClassifyContext, w: Uint32Array): boolean {
  const m = c.ip6;
  return c.has6 && w[0] === m[0] && w[1] === m[1] && w[2] === m[2] && w[3] === m[3];
}

/** Branch-light binary search: is ip inside one of the [begin, end] pairs? */
export function inRanges4(r: Uint32Array, ip: number): boolean {
  let lo = 0;
  let hi = (r.length >>> 1) - 1;
  const x = ip >>> 0;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (x < r[2 * mid]) hi = mid - 1;
    else if (x > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

function setTheirs4(v: Verdict, ip: number): void {
  v.version = 4;
  v.ip[0] = ip; v.ip[1] = 0; v.ip[2] = 0; v.ip[3] = 0;
}

function setTheirs6(v: Verdict, w: Uint32Array): void {
  v.version = 6;
  v.ip[0] = w[0]; v.ip[1] = w[1]; v.ip[2] = w[2]; v.ip[3] = w[3];
}

/**
 * Classify a frame already decoded 'ok' into `d` (buf is the frame's buffer). A pure function
 * of (bytes, context, key): writes `v` and returns v.kind.
 */
export function classify(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict): number {
  v.kind = 0;
  v.rst = false;
  v.macOff = -1;
  v.reason = 0;
  if (d.ipVersion === 0) {
    // ARP: only replies, only in --arp mode, only to our address, only from a target.
    if (c.arpscan && d.arpOp === ARP_REPLY && isOurIp4(c, d.arpTargetIp) && inRanges4(c.targets4, d.arpSenderIp)) {
      setTheirs4(v, d.arpSenderIp);
      v.proto = 0; v.port = 0; v.internalPort = ARP_PORT; v.status = RecStatus.UP; v.ttl = 0;
      v.macOff = d.arpSenderMacOff;
      v.kind = RecordKind.STATUS;
    }
    return v.kind;
  }
  const v4 = d.ipVersion === 4;
  if (v4 ? !isOurIp4(c, d.dst) : !isOurIp6(c, d.dst6)) return 0;
  v.ttl = d.ttl;
  switch (d.proto) {
    case IpProtocol.TCP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      const f = d.tcpFlags;
      const synAck = (f & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === (TcpFlags.SYN | TcpFlags.ACK);
      const rst = (f & TcpFlags.RST) !== 0;
      if (!synAck && !rst) return 0;
      const ck = v4
        ? cookie4(key, d.src, d.srcPort, d.dst, d.dstPort)
        : cookie6(key, d.src6, 0, d.dst6, 0, d.srcPort, d.dstPort);
      if (((d.tcpAck - 1) >>> 0) !== ck) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.TCP; v.port = d.srcPort; v.internalPort = d.srcPort;
      v.status = synAck ? RecStatus.OPEN : RecStatus.CLOSED;
      v.reason = f & 0xff;
      if (synAck) {
        v.rst = true;
        v.myIp = d.dst; v.myPort = d.dstPort; v.rstSeq = d.tcpAck;
      }
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.UDP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.UDP; v.port = d.srcPort; v.internalPort = UDP_BASE + d.srcPort;
      v.status = RecStatus.OPEN;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.SCTP: {
      if (!isOurPort(c, d.dstPort)) return 0;
      const t = d.sctpChunkType;
      if (t !== SctpChunkType.INIT_ACK && t !== SctpChunkType.ABORT) return 0;
      const internal = SCTP_BASE + d.srcPort;
      const ck = v4
        ? cookie4(key, d.src, internal, d.dst, d.dstPort)
        : cookie6(key, d.src6, 0, d.dst6, 0, internal, d.dstPort);
      if ((d.sctpVtag >>> 0) !== ck) return 0;
      if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
      v.proto = IpProtocol.SCTP; v.port = d.srcPort; v.internalPort = internal;
      v.status = t === SctpChunkType.INIT_ACK ? RecStatus.OPEN : RecStatus.CLOSED;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    case IpProtocol.ICMP:
    case IpProtocol.ICMPV6: {
      const echoReply = v4 ? d.icmpType === ICMP4_ECHO_REPLY : d.icmpType === ICMP6_ECHO_REPLY;
      if (echoReply) {
        if (d.icmpCode !== 0 || d.icmpId < 0) return 0;
        const ck = v4
          ? cookie4(key, d.src, ICMP_ECHO_PORT, d.dst, 0)
          : cookie6(key, d.src6, 0, d.dst6, 0, ICMP_ECHO_PORT, 0);
        if ((((d.icmpId << 16) | d.icmpSeq) >>> 0) !== ck) return 0;
        if (v4) setTheirs4(v, d.src); else setTheirs6(v, d.src6);
        v.proto = d.proto; v.port = 0; v.internalPort = ICMP_ECHO_PORT;
        v.status = RecStatus.OPEN;
        v.kind = RecordKind.STATUS;
        return v.kind;
      }
      const unreach = v4
        ? d.icmpType === ICMP4_UNREACH && d.icmpCode === ICMP4_PORT_UNREACH
        : d.icmpType === ICMP6_UNREACH && d.icmpCode === ICMP6_PORT_UNREACH;
      if (!unreach || d.innerSrcPort < 0) return 0;
      // The quoted packet must be one of ours: from our address and source port.
      if (v4 ? (d.innerIpVersion !== 4 || !isOurIp4(c, d.innerSrc)) : (d.innerIpVersion !== 6 || !isOurIp6(c, d.innerSrc6))) return 0;
      if (!isOurPort(c, d.innerSrcPort)) return 0;
      const ip = d.innerProto;
      let internal: number;
      if (ip === IpProtocol.TCP) {
        internal = d.innerDstPort;
        const ck = v4
          ? cookie4(key, d.innerDst, internal, d.innerSrc, d.innerSrcPort)
          : cookie6(key, d.innerDst6, 0, d.innerSrc6, 0, internal, d.innerSrcPort);
        if ((d.innerSeq >>> 0) !== ck) return 0;
      } else if (ip === IpProtocol.UDP) {
        internal = UDP_BASE + d.innerDstPort;
      } else if (ip === IpProtocol.SCTP) {
        internal = SCTP_BASE + d.innerDstPort;
      } else {
        return 0;
      }
      if (v4) setTheirs4(v, d.innerDst); else setTheirs6(v, d.innerDst6);
      v.proto = ip; v.port = d.innerDstPort; v.internalPort = internal;
      v.status = RecStatus.CLOSED;
      v.kind = RecordKind.STATUS;
      return v.kind;
    }
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------------------
// The stateful receiver: decode -> answer ARP/NDP -> classify -> dedup -> record / RST.
// ---------------------------------------------------------------------------------------

/** Counters of a receiver, published to the main thread for the status line and tests. */
export class ReceiveCounters {
  frames = 0;
  undecodable = 0;
  /** Valid replies (before dedup). */
  valid = 0;
  duplicates = 0;
  records = 0;
  /** Records lost because the record ring stayed full. */
  recordDrops = 0;
  /** Open/up records (after dedup): the status line's found=. */
  found = 0;
  rstQueued = 0;
  answersQueued = 0;
  /** Frames for the transmit side lost because the frame ring stayed full. */
  frameDrops = 0;
}

/** Something that keeps received frames (--pcap). */
export interface FrameSink {
  writeFrame(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void;
}

export interface ReceiverParts {
  readonly ctx: ClassifyContext;
  readonly key: CookieKey;
  readonly records: RecordRing;
  /** Where RSTs and ARP/NDP answers go; null: nothing is sent back (--offline). */
  readonly frames: FrameRing | null;
  readonly responder: Responder | null;
  /** RST builders (null with --noreset or without that family). */
  readonly rst4: TcpTemplate4 | null;
  readonly rst6: TcpTemplate6 | null;
  /** Unix seconds, for records of frames without a kernel timestamp. */
  readonly wallClock: () => number;
  readonly pcap: FrameSink | null;
}

export class Receiver {
  readonly counters = new ReceiveCounters();
  private readonly d = new Decoded();
  private readonly v = new Verdict();
  private readonly dedup = new DedupTable();
  private readonly scratch = new Uint8Array(2048);
  private pendingPublish = false;
  /** Bound onFrame, created once (RxChannel.poll takes a callback). */
  readonly onFrame: (buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number) => void;

  constructor(private readonly p: ReceiverParts) {
    this.onFrame = (buf, off, len, tsSec, tsNsec) => this.handle(buf, off, len, tsSec, tsNsec);
  }

  /** Handle one frame. */
  handle(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void {
    const c = this.counters;
    c.frames++;
    const p = this.p;
    if (p.pcap !== null) p.pcap.writeFrame(buf, off, len, tsSec, tsNsec);
    const d = this.d;
    if (decodeFrame(buf, off, len, d) !== 'ok') {
      c.undecodable++;
      return;
    }
    if (p.responder !== null && p.frames !== null) {
      const n = p.responder.answer(buf, d, this.scratch);
      if (n > 0) {
        if (p.frames.push(this.scratch, 0, n)) c.answersQueued++;
        else c.frameDrops++;
        return;
      }
    }
    const v = this.v;
    if (classify(buf, d, p.ctx, p.key, v) === 0) return;
    c.valid++;
    if (v.rst && p.frames !== null) this.queueRst(v);
    const dup = v.version === 4
      ? this.dedup.seen4(v.ip[0], v.internalPort, v.status, 0)
      : this.dedup.seen6(v.ip, 0, v.internalPort, v.ip, 0, v.status);
    if (dup) {
      c.duplicates++;
      return;
    }
    this.push(buf, tsSec);
  }

  private queueRst(v: Verdict): void {
    const p = this.p;
    const s = this.scratch;
    let n = 0;
    if (v.version === 4) {
      if (p.rst4 === null) return;
      p.rst4.writeBase(s, 0);
      n = p.rst4.patch(s, 0, v.myIp, v.ip[0], v.port, v.myPort, v.rstSeq);
    } else {
      if (p.rst6 === null) return;
      p.rst6.writeBase(s, 0);
      n = p.rst6.patch(s, 0, v.ip, 0, v.port, v.myPort, v.rstSeq);
    }
    if (p.frames !== null && p.frames.push(s, 0, n)) this.counters.rstQueued++;
    else this.counters.frameDrops++;
  }

  private push(buf: Uint8Array, tsSec: number): void {
    const ring = this.p.records;
    let off = ring.reserve();
    if (off < 0) {
      // Let the main thread drain: publish what we have, wait a little, try once more.
      ring.publish();
      ring.waitForSpace(20);
      off = ring.reserve();
      if (off < 0) {
        this.counters.recordDrops++;
        return;
      }
    }
    const v = this.v;
    const w = ring.data;
    w[off + R.KIND] = RecordKind.STATUS;
    w[off + R.TIME] = tsSec > 0 ? tsSec : this.p.wallClock();
    w[off + R.VERSION] = v.version;
    w[off + R.IP0] = v.ip[0]; w[off + R.IP1] = v.ip[1]; w[off + R.IP2] = v.ip[2]; w[off + R.IP3] = v.ip[3];
    w[off + R.PROTO] = v.proto;
    w[off + R.PORT] = v.port;
    w[off + R.STATUS] = v.status;
    w[off + R.REASON] = v.reason;
    w[off + R.TTL] = v.ttl;
    if (v.macOff >= 0) {
      w[off + R.MAC_HI] = getU16(buf, v.macOff);
      w[off + R.MAC_LO] = getU32(buf, v.macOff + 2);
      w[off + R.AUX0] = 1;
    } else {
      w[off + R.MAC_HI] = 0; w[off + R.MAC_LO] = 0; w[off + R.AUX0] = 0;
    }
    this.counters.records++;
    if (v.status !== RecStatus.CLOSED) this.counters.found++;
    this.pendingPublish = true;
  }

  /** Make the records of this poll visible (once per poll, not per record). */
  flush(): void {
    if (this.pendingPublish) {
      this.p.records.publish();
      this.pendingPublish = false;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Set-up shared by the receive worker and the in-process (test) engine.
// ---------------------------------------------------------------------------------------

/** Everything a receive worker needs (plain, structured-cloneable). */
export interface ReceiveSetup {
  readonly seed: bigint;
  readonly src4: Range4 | undefined;
  readonly src6: bigint | undefined;
  readonly srcPort: PortRange;
  readonly srcMac: Uint8Array;
  readonly routerMac4: Uint8Array;
  readonly routerMac6: Uint8Array;
  readonly vlan: number | undefined;
  readonly ttl: number;
  /** Answer ARP / NDP for our source addresses (spoofed). */
  readonly answer4: boolean;
  readonly answer6: boolean;
  readonly noreset: boolean;
  readonly arpscan: boolean;
  /** IPv4 targets (ARP scan: only replies from these count). */
  readonly targets4: readonly Range4[];
}

/** IPv6 bigint -> four words, most significant first. */
export function words6(v: bigint): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn);
  return w;
}

function bytes16(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let k = 0; k < 16; k++) out[k] = Number((v >> BigInt(8 * (15 - k))) & 0xffn);
  return out;
}

export function classifyContext(s: ReceiveSetup): ClassifyContext {
  const t = new Uint32Array(2 * s.targets4.length);
  const sorted = [...s.targets4].sort((a, b) => a.begin - b.begin);
  sorted.forEach((r, k) => { t[2 * k] = r.begin >>> 0; t[2 * k + 1] = r.end >>> 0; });
  return {
    ip4Begin: s.src4?.begin ?? 0,
    ip4End: s.src4?.end ?? 0,
    has4: s.src4 !== undefined,
    ip6: s.src6 !== undefined ? words6(s.src6) : new Uint32Array(4),
    has6: s.src6 !== undefined,
    portBegin: s.srcPort.begin,
    portEnd: s.srcPort.end,
    arpscan: s.arpscan,
    targets4: t,
  };
}

/**
 * A Receiver for `s`. `frames` null: nothing is sent back (no RSTs, no ARP answers).
 * `wallClock`: unix seconds for records of frames without a kernel timestamp.
 */
export function buildReceiver(
  s: ReceiveSetup, records: RecordRing, frames: FrameRing | null, wallClock: () => number, pcap: FrameSink | null,
): Receiver {
  const ctx = classifyContext(s);
  const zeroMac = (m: Uint8Array): boolean => m.every((b) => b === 0);
  const rst4 = !s.noreset && frames !== null && s.src4 !== undefined && !zeroMac(s.routerMac4)
    ? new TcpTemplate4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan, srcIp: s.src4.begin, ttl: s.ttl }, { kind: 'rst' })
    : null;
  const rst6 = !s.noreset && frames !== null && s.src6 !== undefined && !zeroMac(s.routerMac6)
    ? new TcpTemplate6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan, srcIp: bytes16(s.src6), hopLimit: s.ttl }, { kind: 'rst' })
    : null;
  const responder = frames !== null && (s.answer4 || s.answer6)
    ? new Responder({
      mac: s.srcMac, ip4: s.src4, ip6: s.src6 !== undefined ? words6(s.src6) : undefined,
      answer4: s.answer4, answer6: s.answer6, vlan: s.vlan,
    })
    : null;
  return new Receiver({ ctx, key: new CookieKey(s.seed), records, frames, responder, rst4, rst6, wallClock, pcap });
}

