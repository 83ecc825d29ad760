/**
 * Probe templates (DESIGN.md §3, §4.2; reference masscan-compat.md §6.2, §6.4): the constant
 * bytes of a probe frame are built once, field by field with the wire reprs, and copied into
 * a batch slot once (`writeBase`); per probe only the changing fields are written (`patch`) and
 * the checksums are finished from sums precomputed over the constant bytes:
 *
 *   checksum = fold(sumOfConstantWords + sumOfPatchedWords)
 *
 * which is RFC 1071 arithmetic (the sum is associative and commutative), not a recompute.
 * A test checks that every patched frame equals the frame built by the reprs, checksums
 * included, for random fields.
 *
 * Contract of the hot-path methods (patch/fill): allocation-free, no closures, monomorphic
 * (each class has its own patch with fixed argument types), no bounds checks: the caller
 * supplies a slot of at least `maxFrameLen` bytes at `off`.
 *
 * Frames: Ethernet II (optionally one 802.1Q tag) or raw IP (`raw: true`, no link header).
 * Ethernet frames shorter than 60 bytes are zero-padded to 60 (the minimum without FCS);
 * the padding is part of the base and never touched. masscan sends its 58-byte SYN
 * unpadded and lets the driver pad; we pad so every back end sends the same bytes.
 *
 * Per-probe field choices (masscan HEAD, §6.2):
 *  - IPv4 identification = (ip_them ^ port_them ^ cookie) & 0xffff, no DF, TOS 0, TTL --ttl;
 *  - TCP SYN: seq = cookie, ack 0, window 1025, MSS 1460 option (data offset 6);
 *  - TCP RST (answer to a SYN-ACK): seq = the SYN-ACK's ack, ack 0, flags RST, window 1200;
 *  - UDP: payload per destination port (udp-payloads.ts) with the cookie in its id field;
 *  - ICMP/ICMPv6 echo: identifier:sequence = cookie, 48 data bytes 0x08..0x37;
 *  - ICMP timestamp request (RFC 792 type 13): identifier:sequence = cookie, three zero
 *    timestamps; over IPv6 masscan's ICMPv6 "type 13" (see EchoTemplate6);
 *  - other IP protocols (`O:n`): a bare IP header with protocol / next header n and no
 *    payload, except 4 zero bytes for GRE; the cookie in the IPv4 identification or the IPv6
 *    flow label (see OprotoTemplate4/6);
 *  - SCTP INIT: initiate tag = cookie, a_rwnd 32768, 10 out / 2048 in streams, TSN 0 (any
 *    fixed value; masscan also uses a constant);
 *  - ARP: broadcast who-has for the target address.
 */
import { ScanError } from '../error.js';
import { setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum, pseudoHeaderSum4, sumWords, udpChecksumOnWire } from '../wire/checksum.js';
import { EtherType, EthernetFrame, ETHERNET_HEADER_LEN, MAC_LEN, VLAN_TAG_LEN, emitEthernet } from '../wire/ethernet.js';
import { IpProtocol } from '../wire/ip.js';
import { IPV4_HEADER_LEN, Ipv4Field, Ipv4Packet, emitIpv4 } from '../wire/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_HEADER_LEN, Ipv6Field, Ipv6Packet, emitIpv6 } from '../wire/ipv6.js';
import { TcpField, TcpFlags, TcpPacket, emitTcp, tcpBufferLen, type TcpOption, type TcpRepr } from '../wire/tcp.js';
import { UDP_HEADER_LEN, UdpField, UdpPacket, emitUdp } from '../wire/udp.js';
import { ICMPV4_HEADER_LEN, Icmpv4Field, Icmpv4Packet, emitIcmpv4 } from '../wire/icmpv4.js';
import { ICMPV6_HEADER_LEN, Icmpv6Field, Icmpv6Packet, emitIcmpv6 } from '../wire/icmpv6.js';
import { SCTP_HEADER_LEN, SCTP_INIT_LEN, SctpField, SctpChunkField, SctpPacket, emitSctp, sctpChecksum, type SctpRepr } from '../wire/sctp.js';
import { ARP_ETH_IPV4_LEN, ArpField, ArpOperation, ArpPacket, emitArp } from '../wire/arp.js';
import { CookieKey, cookie4Hash, cookie6Hash } from '../crypto/cookie.js';
import type { Target } from '../target/picker.js';
import { ipv6ToWords } from '../target/ipv6.js';
import { UdpPayloadTable } from './udp-payloads.js';
import type { TemplateOptions } from '../core/config.js';

/** Smallest Ethernet frame without its FCS. */
export const MIN_ETHERNET_FRAME = 60;
/** TCP window of masscan HEAD's SYN (0x0401). */
export const SYN_WINDOW = 1025;
/** TCP window of masscan's RST and of all user-mode-stack segments. */
export const RST_WINDOW = 1200;
/** masscan HEAD's SYN options: MSS 1460. */
export const DEFAULT_TCP_OPTIONS: readonly TcpOption[] = [{ kind: 'mss', mss: 1460 }];
/** ICMP echo data: 48 bytes 0x08..0x37 (the classic ping pattern after a timestamp). */
export const ECHO_DATA: Uint8Array = Uint8Array.from({ length: 48 }, (_, i) => 0x08 + i);
export const SCTP_A_RWND = 32768;
export const SCTP_OUT_STREAMS = 10;
export const SCTP_IN_STREAMS = 2048;
export const SCTP_INITIAL_TSN = 0;

/**
 * Slots of the per-probe value array that `patchFields` reads (a Uint32Array of
 * PROBE_FIELDS). Why an array and not arguments: V8 passes a number to a call that it does
 * not inline as a tagged value, and every u32 above 2^30 (most addresses and cookies) then
 * needs a fresh HeapNumber: an allocation per probe. Typed-array loads and stores never
 * allocate. `patch(...)` is a small wrapper that fills the array, for callers off the hot path
 * or that V8 inlines anyway.
 */
export const ProbeField = { SRC_IP: 0, DST_IP: 1, DST_PORT: 2, SRC_PORT: 3, SEQ: 4, DST6: 5 } as const;
/** Length of a probe-field array: DST6 takes four words (5..8). */
export const PROBE_FIELDS = 9;
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SRC_PORT = 3, PF_SEQ = 4, PF_DST6 = 5;

/** How probes leave: link header and addresses that never change during a scan. */
export interface LinkOptions {
  /** Our MAC, 6 bytes. */
  readonly srcMac: Uint8Array;
  /** The next hop's MAC (router MAC for this address family), 6 bytes. */
  readonly dstMac: Uint8Array;
  /** 802.1Q VLAN id 0..4095 (priority 0), or undefined for untagged frames. */
  readonly vlan?: number | undefined;
  /** True for raw-IP links (no link header, no padding). */
  readonly raw?: boolean | undefined;
  /**
   * --min-packet: Ethernet frames shorter than this are zero-padded to it (default and floor
   * 60, the minimum without FCS). Ignored on raw-IP links (no link layer to pad).
   */
  readonly minFrame?: number | undefined;
}

export interface Ipv4Options extends LinkOptions {
  /** Source address written in the base (patch() takes the per-probe source). */
  readonly srcIp: number;
  /** IP TTL, default 255. */
  readonly ttl?: number | undefined;
}

export interface Ipv6Options extends LinkOptions {
  /** Our IPv6 address, 16 bytes. */
  readonly srcIp: Uint8Array;
  /** Hop limit, default 255. */
  readonly hopLimit?: number | undefined;
}

export interface TcpOptions {
  /** 'syn' (default) or 'rst'. */
  readonly kind?: 'syn' | 'rst' | undefined;
  /** Window; default 1025 for SYN, 1200 for RST. */
  readonly window?: number | undefined;
  /** TCP options; default MSS 1460. [] for masscan 1.3.2's option-less SYN. */
  readonly options?: readonly TcpOption[] | undefined;
  /** --data-length: bytes carried after the TCP header (constant for the scan). Default none. */
  readonly payload?: Uint8Array | undefined;
  /** --badsum: send a wrong TCP checksum (the IP header checksum stays right). */
  readonly badsum?: boolean | undefined;
}

/**
 * What the packet-template options ask for (reference §1.7), as plain data (posted to the
 * transmit workers): templateSetup reads it from the configuration's raw keys.
 */
export interface TemplateSetup {
  /** The SYN's (and RST's) TCP options, NOPs included. */
  readonly tcpOptions: readonly TcpOption[];
  /** --data-length: bytes of data in each TCP SYN (0..1459). */
  readonly dataLength: number;
  /** --min-packet: smallest Ethernet frame, 60 or more. */
  readonly minFrame: number;
  /** --badsum: wrong TCP/UDP checksums. */
  readonly badsum: boolean;
}

/** The template of a scan without template options (masscan HEAD's defaults, §6.2). */
export const DEFAULT_TEMPLATE: TemplateSetup = { tcpOptions: DEFAULT_TCP_OPTIONS, dataLength: 0, minFrame: MIN_ETHERNET_FRAME, badsum: false };

/** masscan HEAD's defaults when the option is given without a number (reference §1.7). */
export const DEFAULT_MSS = 1460, DEFAULT_WSCALE = 3, DEFAULT_TSECHO = 0x12345678;

/**
 * The TCP options for --tcp-mss / --tcp-wscale / --tcp-sackok / --tcp-tsecho, each value
 * 'enable', 'disable' or a number (cli/options.ts stores them so). Layout: MSS first (as in
 * masscan HEAD's default SYN, §6.2), then window scale, SACK-permitted and timestamps, each
 * NOP-padded to a 32-bit boundary as RFC 7323 Appendix A recommends (`NOP WS`, `NOP NOP
 * SACKOK`, `NOP NOP TS`), so the header stays a multiple of 4 without trailing EOL bytes.
 * NOTE: the compat sheet gives masscan HEAD's bytes for the MSS-only SYN; for the other
 * options it gives values, not layout (masscan 1.3.2, the one installed, has none of them),
 * so this layout is ours. The timestamp carries the whole 32-bit TSval: masscan HEAD leaves
 * its 4th byte unwritten (a bug the sheet notes), which we do not copy.
 */
export function tcpOptionsFor(mss: string | undefined, wscale: string | undefined, sackok: string | undefined, tsecho: string | undefined): TcpOption[] {
  const out: TcpOption[] = [];
  const num = (v: string | undefined, dflt: number): number | undefined =>
    v === undefined ? undefined : v === 'disable' ? undefined : v === 'enable' ? dflt : Number(v);
  // MSS is on unless --tcp-mss false: masscan HEAD's SYN always has it.
  const m = num(mss ?? 'enable', DEFAULT_MSS);
  if (m !== undefined) out.push({ kind: 'mss', mss: m });
  const w = num(wscale, DEFAULT_WSCALE);
  if (w !== undefined) out.push({ kind: 'nop' }, { kind: 'window-scale', shift: w });
  if (sackok === 'enable') out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'sack-permitted' });
  const t = num(tsecho, DEFAULT_TSECHO);
  if (t !== undefined) out.push({ kind: 'nop' }, { kind: 'nop' }, { kind: 'timestamp', tsval: t >>> 0, tsecr: 0 });
  return out;
}

/** The template of a configuration's packet-template options. */
export function templateSetup(o: TemplateOptions): TemplateSetup {
  return {
    tcpOptions: tcpOptionsFor(o.tcpMss, o.tcpWscale, o.tcpSackok, o.tcpTsecho),
    dataLength: o.dataLength,
    minFrame: Math.max(MIN_ETHERNET_FRAME, o.minPacket ?? MIN_ETHERNET_FRAME),
    badsum: o.badsum,
  };
}

/**
 * The --data-length bytes: pseudo-random, derived from the scan's seed (xorshift32 over the
 * seed's folded words), so a scan is reproducible from its seed and the data differs between
 * seeds, as nmap's --data-length sends random bytes. The same bytes in every probe of a scan:
 * they live in the template's base, so the hot path writes nothing more. Setup only (BigInt).
 */
export function synPayload(seed: bigint, n: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = Number((seed ^ (seed >> 32n)) & 0xffffffffn) >>> 0;
  if (x === 0) x = 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function bad(msg: string): never {
  throw new ScanError('ERR_BAD_OPTION', msg);
}

function checkLink(o: LinkOptions): void {
  if (o.raw === true) return;
  if (o.srcMac.length !== MAC_LEN) bad(`source MAC: expected ${MAC_LEN} bytes, got ${o.srcMac.length}`);
  if (o.dstMac.length !== MAC_LEN) bad(`router MAC: expected ${MAC_LEN} bytes, got ${o.dstMac.length}`);
  if (o.vlan !== undefined && !(Number.isInteger(o.vlan) && o.vlan >= 0 && o.vlan <= 4095)) bad(`vlan=${o.vlan}: expected 0..4095`);
}

function checkTtl(ttl: number, what: string): number {
  if (!(Number.isInteger(ttl) && ttl >= 0 && ttl <= 255)) bad(`${what}=${ttl}: expected 0..255`);
  return ttl;
}

/** checkLink plus the TTL; returns the checked TTL. */
function checkLink4(link: Ipv4Options): number {
  checkLink(link);
  return checkTtl(link.ttl ?? 255, 'ttl');
}

/** checkLink plus the IPv6 source address; returns the checked hop limit. */
function checkLink6(link: Ipv6Options): number {
  checkLink(link);
  if (link.srcIp.length !== IPV6_ADDR_LEN) bad(`IPv6 source address: expected 16 bytes`);
  return checkTtl(link.hopLimit ?? 255, 'hop limit');
}

/** Bytes of link header in front of the IP header. */
export function linkHeaderLen(o: LinkOptions): number {
  if (o.raw === true) return 0;
  return o.vlan === undefined ? ETHERNET_HEADER_LEN : ETHERNET_HEADER_LEN + VLAN_TAG_LEN;
}

/** The frame length for `contentLen` bytes from the link header on: padded on Ethernet. */
function paddedLen(o: LinkOptions, contentLen: number): number {
  const min = Math.max(MIN_ETHERNET_FRAME, o.minFrame ?? 0);
  return o.raw === true || contentLen >= min ? contentLen : min;
}

/** Write the link header for `etherType` at buf[0]. */
export function emitLink(o: LinkOptions, etherType: number, buf: Uint8Array): void {
  if (o.raw === true) return;
  emitEthernet(
    { dst: o.dstMac, src: o.srcMac, etherType, vlanTci: o.vlan === undefined ? undefined : o.vlan & 0x0fff },
    new EthernetFrame(buf, 0, buf.length),
  );
}

const ZERO_IP6 = new Uint8Array(IPV6_ADDR_LEN);

/**
 * Write a probe base's IPv6 header at buf[l2] (destination zero: patch() owns it) and return
 * the constant part of the transport pseudo-header sum (RFC 8200 §8.1): our address, the
 * upper-layer length and the next header; patch() adds the destination.
 */
function emitIp6Base(buf: Uint8Array, l2: number, src: Uint8Array, proto: number, payloadLen: number, hopLimit: number): number {
  emitIpv6(
    { src, dst: ZERO_IP6, nextHeader: proto, payloadLen, hopLimit, trafficClass: 0, flowLabel: 0 },
    new Ipv6Packet(buf, l2, IPV6_HEADER_LEN + payloadLen),
  );
  return sumWords(buf, l2 + Ipv6Field.SRC, IPV6_ADDR_LEN, 0) + (payloadLen >>> 16) + (payloadLen & 0xffff) + proto;
}

/**
 * Write a probe base's IPv4 header at buf[l2] and return its constant sum. The fields patch()
 * owns (ident, checksum, both addresses) are zero while the sum is taken, so the sum covers only
 * constant words; the source address is written afterwards (it is in the base, and patch()
 * adds it to the checksum with the destination).
 */
function emitIp4Base(buf: Uint8Array, l2: number, proto: number, payloadLen: number, ttl: number, srcIp: number): number {
  emitIpv4(
    { src: 0, dst: 0, protocol: proto, payloadLen, ttl, tos: 0, ident: 0, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(buf, l2, IPV4_HEADER_LEN + payloadLen),
  );
  setU16(buf, l2 + Ipv4Field.CHECKSUM, 0);
  const sum = sumWords(buf, l2, IPV4_HEADER_LEN, 0);
  setU32(buf, l2 + Ipv4Field.SRC, srcIp);
  return sum;
}

/** An IPv6 address as four u32 words, most significant first (the cookie6 form). Setup only (BigInt). */
export function ipv6Words(v: bigint): Uint32Array {
  const w = new Uint32Array(4);
  ipv6ToWords(v, w, 0);
  return w;
}

export { ipv6Bytes } from '../core/address.js';

/** The four big-endian words of a 16-byte IPv6 address. */
function ip6Words(a: Uint8Array): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((a[4 * i] << 24) | (a[4 * i + 1] << 16) | (a[4 * i + 2] << 8) | a[4 * i + 3]) >>> 0;
  return w;
}

// ---------------------------------------------------------------------------------------
// TCP over IPv4: SYN probes and RSTs.
// ---------------------------------------------------------------------------------------

/** A TCP segment template over IPv4: SYN (probes) or RST (after a SYN-ACK). */
export class TcpTemplate4 {
  /** Bytes patch() writes from `off` (padding included): also the slot size it needs. */
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  /** The constant frame; variable fields zero except the source address. */
  readonly base: Uint8Array;
  readonly ttl: number;
  readonly flags: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
  /** Data after the TCP header (--data-length), in the base. */
  readonly payload: Uint8Array;
  /** 1 with --badsum (XORed into the finished TCP checksum), else 0. */
  private readonly ckXor: number;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oSeq: number;
  private readonly oTcpCk: number;
  private readonly ipSum0: number;
  private readonly tcpSum0: number;

  constructor(link: Ipv4Options, tcp: TcpOptions = {}) {
    this.ttl = checkLink4(link);
    const rst = tcp.kind === 'rst';
    this.flags = rst ? TcpFlags.RST : TcpFlags.SYN;
    this.window = tcp.window ?? (rst ? RST_WINDOW : SYN_WINDOW);
    this.options = tcp.options ?? DEFAULT_TCP_OPTIONS;
    this.payload = tcp.payload ?? new Uint8Array(0);
    this.ckXor = tcp.badsum === true ? 1 : 0;
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV4_HEADER_LEN;
    const repr = this.repr(0, 0, 0);
    const tcpLen = tcpBufferLen(repr);
    this.frameLen = paddedLen(link, l4 + tcpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV4, b);
    this.ipSum0 = emitIp4Base(b, l2, IpProtocol.TCP, tcpLen, this.ttl, link.srcIp);
    emitTcp(repr, new TcpPacket(b, l4, tcpLen), null);
    // Pseudo-header without the addresses (patched per probe): protocol and TCP length.
    this.tcpSum0 = sumWords(b, l4, tcpLen, pseudoHeaderSum4(0, 0, IpProtocol.TCP, tcpLen));
    this.base = b;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oSport = l4 + TcpField.SRC_PORT;
    this.oDport = l4 + TcpField.DST_PORT;
    this.oSeq = l4 + TcpField.SEQ;
    this.oTcpCk = l4 + TcpField.CHECKSUM;
  }

  /** The TCP repr of a segment from this template (for tests and the base). */
  repr(srcPort: number, dstPort: number, seq: number): TcpRepr {
    return {
      srcPort, dstPort, seq, ack: 0, flags: this.flags, window: this.window, urgent: 0,
      options: this.options.slice(), payload: this.payload,
    };
  }

  /** Copy the constant bytes into a slot (once per slot, or when the slot held another kind). */
  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /**
   * Patch one probe into a slot holding this template's base. seq: the cookie (SYN) or the
   * SYN-ACK's ack number (RST). Returns the frame length. 18 bytes and two checksums.
   */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, dstPort: number, srcPort: number, seq: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = seq;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], seq = f[PF_SEQ];
    const id = (dstIp ^ dstPort ^ seq) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id));
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    setU32(slot, off + this.oSeq, seq);
    // --badsum flips the low bit: never the same checksum, nor its other zero (0x0000/0xffff).
    setU16(slot, off + this.oTcpCk, foldChecksum(this.tcpSum0 + addr + srcPort + dstPort + (seq >>> 16) + (seq & 0xffff)) ^ this.ckXor);
    return this.frameLen;
  }
}

/** A TCP segment template over IPv6 (one source address; destination patched). */
export class TcpTemplate6 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly hopLimit: number;
  readonly flags: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
  private readonly ckXor: number;
  /** Our address as four words, for cookie6. */
  readonly srcWords: Uint32Array;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oSeq: number;
  private readonly oTcpCk: number;
  private readonly tcpSum0: number;

  constructor(link: Ipv6Options, tcp: TcpOptions = {}) {
    this.hopLimit = checkLink6(link);
    const rst = tcp.kind === 'rst';
    this.flags = rst ? TcpFlags.RST : TcpFlags.SYN;
    this.window = tcp.window ?? (rst ? RST_WINDOW : SYN_WINDOW);
    this.options = tcp.options ?? DEFAULT_TCP_OPTIONS;
    this.payload = tcp.payload ?? new Uint8Array(0);
    this.ckXor = tcp.badsum === true ? 1 : 0;
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV6_HEADER_LEN;
    const repr: TcpRepr = {
      srcPort: 0, dstPort: 0, seq: 0, ack: 0, flags: this.flags, window: this.window, urgent: 0,
      options: this.options.slice(), payload: this.payload,
    };
    const tcpLen = tcpBufferLen(repr);
    this.frameLen = paddedLen(link, l4 + tcpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV6, b);
    const pseudo = emitIp6Base(b, l2, link.srcIp, IpProtocol.TCP, tcpLen, this.hopLimit);
    emitTcp(repr, new TcpPacket(b, l4, tcpLen), null);
    this.tcpSum0 = sumWords(b, l4, tcpLen, pseudo);
    this.base = b;
    this.oDst = l2 + Ipv6Field.DST;
    this.oSport = l4 + TcpField.SRC_PORT;
    this.oDport = l4 + TcpField.DST_PORT;
    this.oSeq = l4 + TcpField.SEQ;
    this.oTcpCk = l4 + TcpField.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** dst[dstOff..+3]: the target as four words, most significant first. */
  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, dstPort: number, srcPort: number, seq: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = seq;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], seq = f[PF_SEQ];
    const w0 = f[PF_DST6], w1 = f[PF_DST6 + 1], w2 = f[PF_DST6 + 2], w3 = f[PF_DST6 + 3];
    const o = off + this.oDst;
    setU32(slot, o, w0); setU32(slot, o + 4, w1); setU32(slot, o + 8, w2); setU32(slot, o + 12, w3);
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    setU32(slot, off + this.oSeq, seq);
    const addr = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff);
    setU16(slot, off + this.oTcpCk, foldChecksum(this.tcpSum0 + addr + srcPort + dstPort + (seq >>> 16) + (seq & 0xffff)) ^ this.ckXor);
    return this.frameLen;
  }
}

// ---------------------------------------------------------------------------------------
// UDP: one base frame per payload variant; patch writes the whole variant (payloads differ
// by port, so a slot cannot keep one base).
// ---------------------------------------------------------------------------------------

const COOKIE_NONE = 0, COOKIE_ID16 = 1, COOKIE_INT31 = 2;

/**
 * The checksum contribution of a `width`-byte big-endian field holding `v`, at an even
 * (odd = false) or odd offset from the start of the checksummed data. At an odd offset the
 * bytes pair with their neighbours the other way round: RFC 1071 §2(B) byte-order
 * independence gives the byte-swapped sum.
 */
function fieldSum(v: number, width: number, odd: boolean): number {
  if (width === 2) return odd ? ((v & 0xff) << 8) | ((v >>> 8) & 0xff) : v & 0xffff;
  const hi = v >>> 16, lo = v & 0xffff;
  return odd ? (((hi & 0xff) << 8) | (hi >>> 8)) + (((lo & 0xff) << 8) | (lo >>> 8)) : hi + lo;
}

/** Per-variant constants, in parallel arrays (monomorphic element kinds). */
interface UdpVariants {
  base: Uint8Array[];
  len: Int32Array;
  ipSum0: Int32Array;
  udpSum0: Int32Array;
  cookieKind: Uint8Array;
  cookieOff: Int32Array; // absolute offset in the frame
  cookieOdd: Uint8Array; // 1 when at an odd offset from the UDP header
}

function buildUdpVariants(
  payloads: UdpPayloadTable,
  make: (payload: Uint8Array) => { frame: Uint8Array; len: number; ipSum0: number; udpSum0: number; udpOff: number },
): { v: UdpVariants; portVariant: Int32Array; maxLen: number } {
  // One variant per distinct (bytes, cookie field): nmap's payload file maps ~33,000 ports to
  // a few dozen payloads. Variant 0 is the empty datagram of ports with no payload.
  const entries = payloads.entries();
  const keyOf = (bytes: Uint8Array, cookie: string, off: number): string => {
    let k = `${cookie}:${off}:`;
    for (let i = 0; i < bytes.length; i++) k += String.fromCharCode(bytes[i]);
    return k;
  };
  const variantOf = new Map<string, number>([[keyOf(new Uint8Array(0), 'none', 0), 0]]);
  const distinct: (typeof entries)[number][] = [];
  // Int32: with a payload on every port there are 65,537 variants at most.
  const portVariant = new Int32Array(65536);
  for (const e of entries) {
    const key = keyOf(e.bytes, e.cookie, e.cookieOffset);
    let i = variantOf.get(key);
    if (i === undefined) {
      i = distinct.length + 1;
      variantOf.set(key, i);
      distinct.push(e);
    }
    portVariant[e.port] = i;
  }
  const n = distinct.length + 1;
  const v: UdpVariants = {
    base: [], len: new Int32Array(n), ipSum0: new Int32Array(n), udpSum0: new Int32Array(n),
    cookieKind: new Uint8Array(n), cookieOff: new Int32Array(n), cookieOdd: new Uint8Array(n),
  };
  let maxLen = 0;
  for (let i = 0; i < n; i++) {
    const e = i === 0 ? undefined : distinct[i - 1];
    const m = make(e === undefined ? new Uint8Array(0) : e.bytes);
    v.base.push(m.frame);
    v.len[i] = m.len;
    v.ipSum0[i] = m.ipSum0;
    v.udpSum0[i] = m.udpSum0;
    if (m.len > maxLen) maxLen = m.len;
    if (e !== undefined) {
      v.cookieKind[i] = e.cookie === 'id16' ? COOKIE_ID16 : e.cookie === 'int31' ? COOKIE_INT31 : COOKIE_NONE;
      v.cookieOff[i] = m.udpOff + UDP_HEADER_LEN + e.cookieOffset;
      v.cookieOdd[i] = (UDP_HEADER_LEN + e.cookieOffset) & 1;
    }
  }
  return { v, portVariant, maxLen };
}

/** Write the cookie field of variant i at slot[off + cookieOff]; returns its checksum contribution. */
function writeUdpCookie(v: UdpVariants, i: number, slot: Uint8Array, off: number, cookie: number): number {
  const kind = v.cookieKind[i];
  if (kind === COOKIE_NONE) return 0;
  const o = off + v.cookieOff[i];
  if (kind === COOKIE_ID16) {
    const c = cookie & 0xffff;
    setU16(slot, o, c);
    return fieldSum(c, 2, v.cookieOdd[i] === 1);
  }
  const c = cookie & 0x7fffffff;
  setU32(slot, o, c);
  return fieldSum(c, 4, v.cookieOdd[i] === 1);
}

/**
 * --badsum for UDP: flip the low bit of the checksum on the wire, except that a result of 0
 * would mean "no checksum" (RFC 768: "An all zero transmitted checksum value means that the
 * transmitter generated no checksum"), which receivers accept: 0xfffd is sent instead (not
 * the right 0x0001 nor its other form 0xfffe).
 */
function badUdpSum(wire: number, xor: number): number {
  const w = wire ^ xor;
  return w === 0 ? 0xfffd : w;
}

/** UDP probes over IPv4, payload chosen by destination port. */
export class UdpTemplate4 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly ttl: number;
  private readonly v: UdpVariants;
  private readonly portVariant: Int32Array;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oUdpCk: number;

  /** 1 with --badsum, else 0 (see badUdpSum). */
  private readonly ckXor: number;

  constructor(link: Ipv4Options, payloads: UdpPayloadTable = new UdpPayloadTable(), badsum = false) {
    this.ckXor = badsum ? 1 : 0;
    const ttl = (this.ttl = checkLink4(link));
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV4_HEADER_LEN;
    const built = buildUdpVariants(payloads, (payload) => {
      const udpLen = UDP_HEADER_LEN + payload.length;
      const len = paddedLen(link, l4 + udpLen);
      const b = new Uint8Array(len);
      emitLink(link, EtherType.IPV4, b);
      const ipSum0 = emitIp4Base(b, l2, IpProtocol.UDP, udpLen, ttl, link.srcIp);
      emitUdp({ srcPort: 0, dstPort: 0, payload }, new UdpPacket(b, l4, udpLen), null);
      // Payload cookie fields are zero in the table's bytes, so they add nothing here.
      const udpSum0 = sumWords(b, l4, udpLen, pseudoHeaderSum4(0, 0, IpProtocol.UDP, udpLen));
      return { frame: b, len, ipSum0, udpSum0, udpOff: l4 };
    });
    this.v = built.v;
    this.portVariant = built.portVariant;
    this.maxFrameLen = built.maxLen;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oSport = l4 + UdpField.SRC_PORT;
    this.oDport = l4 + UdpField.DST_PORT;
    this.oUdpCk = l4 + UdpField.CHECKSUM;
  }

  /** Frame length of a probe to `dstPort`. */
  frameLenFor(dstPort: number): number {
    return this.v.len[this.portVariant[dstPort & 0xffff]];
  }

  /**
   * Write a whole UDP probe (no writeBase needed). dstPort: the plain UDP port; cookie: the
   * cookie of (dstIp, 65536 + dstPort, srcIp, srcPort). Returns the frame length.
   */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const v = this.v;
    const i = this.portVariant[dstPort & 0xffff];
    slot.set(v.base[i], off);
    const id = (dstIp ^ dstPort ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(v.ipSum0[i] + addr + id));
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    const ck = writeUdpCookie(v, i, slot, off, cookie);
    setU16(slot, off + this.oUdpCk, badUdpSum(udpChecksumOnWire(foldChecksum(v.udpSum0[i] + addr + srcPort + dstPort + ck)), this.ckXor));
    return v.len[i];
  }
}

/** UDP probes over IPv6. */
export class UdpTemplate6 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly hopLimit: number;
  readonly srcWords: Uint32Array;
  private readonly v: UdpVariants;
  private readonly portVariant: Int32Array;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oUdpCk: number;

  private readonly ckXor: number;

  constructor(link: Ipv6Options, payloads: UdpPayloadTable = new UdpPayloadTable(), badsum = false) {
    this.ckXor = badsum ? 1 : 0;
    const hop = (this.hopLimit = checkLink6(link));
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV6_HEADER_LEN;
    const built = buildUdpVariants(payloads, (payload) => {
      const udpLen = UDP_HEADER_LEN + payload.length;
      const len = paddedLen(link, l4 + udpLen);
      const b = new Uint8Array(len);
      emitLink(link, EtherType.IPV6, b);
      const pseudo = emitIp6Base(b, l2, link.srcIp, IpProtocol.UDP, udpLen, hop);
      emitUdp({ srcPort: 0, dstPort: 0, payload }, new UdpPacket(b, l4, udpLen), null);
      return { frame: b, len, ipSum0: 0, udpSum0: sumWords(b, l4, udpLen, pseudo), udpOff: l4 };
    });
    this.v = built.v;
    this.portVariant = built.portVariant;
    this.maxFrameLen = built.maxLen;
    this.oDst = l2 + Ipv6Field.DST;
    this.oSport = l4 + UdpField.SRC_PORT;
    this.oDport = l4 + UdpField.DST_PORT;
    this.oUdpCk = l4 + UdpField.CHECKSUM;
  }

  frameLenFor(dstPort: number): number {
    return this.v.len[this.portVariant[dstPort & 0xffff]];
  }

  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const v = this.v;
    const i = this.portVariant[dstPort & 0xffff];
    slot.set(v.base[i], off);
    const w0 = f[PF_DST6], w1 = f[PF_DST6 + 1], w2 = f[PF_DST6 + 2], w3 = f[PF_DST6 + 3];
    const o = off + this.oDst;
    setU32(slot, o, w0); setU32(slot, o + 4, w1); setU32(slot, o + 8, w2); setU32(slot, o + 12, w3);
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    const ck = writeUdpCookie(v, i, slot, off, cookie);
    const addr = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff);
    setU16(slot, off + this.oUdpCk, badUdpSum(udpChecksumOnWire(foldChecksum(v.udpSum0[i] + addr + srcPort + dstPort + ck)), this.ckXor));
    return v.len[i];
  }
}

// ---------------------------------------------------------------------------------------
// ICMP queries: echo (ping, I:0) and timestamp (I:1).
// ---------------------------------------------------------------------------------------

/** Which ICMP query a template sends: echo (`I:0`, --ping) or timestamp (`I:1`). */
export type IcmpQuery = 'echo' | 'timestamp';

/** ICMP type of a timestamp request (RFC 792) and of the reply it asks for. */
export const ICMP_TIMESTAMP_REQUEST = 13;
export const ICMP_TIMESTAMP_REPLY = 14;
/**
 * The 12 bytes after a timestamp request's identifier and sequence: originate, receive and
 * transmit timestamps, all zero as masscan sends them (the receiver fills in the last two).
 */
export const TIMESTAMP_DATA: Uint8Array = new Uint8Array(12);

/**
 * An ICMP query over IPv4 with identifier:sequence = cookie.
 *  - 'echo' (default): type 8, 48 data bytes 0x08..0x37 (IP total length 76);
 *  - 'timestamp': RFC 792 timestamp request, type 13 code 0, three zero timestamps
 *    (IP total length 40, the frame masscan 1.3.2 sends, checked in the lab).
 * The IP identification is (ip_them ^ port_them ^ cookie) & 0xffff as for every probe, with
 * the internal port 196608 / 196609 (low 16 bits 0 / 1). One class for both queries, so the
 * probe set's call sites and this class's property loads stay monomorphic.
 */
export class EchoTemplate4 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  readonly query: IcmpQuery;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  /** Low 16 bits of the internal port, xored into the IP identification. */
  private readonly idPort: number;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oIdent: number;
  private readonly oIcmpCk: number;
  private readonly ipSum0: number;
  private readonly icmpSum0: number;

  constructor(link: Ipv4Options, query: IcmpQuery = 'echo') {
    const ttl = checkLink4(link);
    this.query = query;
    const ts = query === 'timestamp';
    this.idPort = ts ? 1 : 0;
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV4_HEADER_LEN;
    const icmpLen = ICMPV4_HEADER_LEN + (ts ? TIMESTAMP_DATA.length : ECHO_DATA.length);
    this.frameLen = paddedLen(link, l4 + icmpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV4, b);
    this.ipSum0 = emitIp4Base(b, l2, IpProtocol.ICMP, icmpLen, ttl, link.srcIp);
    emitIcmpv4(
      ts
        ? { kind: 'other', type: ICMP_TIMESTAMP_REQUEST, code: 0, restOfHeader: 0, data: TIMESTAMP_DATA }
        : { kind: 'echo-request', ident: 0, seq: 0, data: ECHO_DATA },
      new Icmpv4Packet(b, l4, icmpLen),
    );
    setU16(b, l4 + Icmpv4Field.CHECKSUM, 0);
    this.icmpSum0 = sumWords(b, l4, icmpLen, 0);
    this.base = b;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oIdent = l4 + Icmpv4Field.IDENT;
    this.oIcmpCk = l4 + Icmpv4Field.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** cookie: cookie4(key, dstIp, 196608 (echo) or 196609 (timestamp), srcIp, 0). */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], cookie = f[PF_SEQ];
    const id = (dstIp ^ this.idPort ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id));
    setU32(slot, off + this.oIdent, cookie); // identifier (high 16) then sequence (low 16)
    setU16(slot, off + this.oIcmpCk, foldChecksum(this.icmpSum0 + (cookie >>> 16) + (cookie & 0xffff)));
    return this.frameLen;
  }
}

/**
 * An ICMPv6 query with identifier:sequence = cookie.
 *  - 'echo' (default): echo request, type 128, the same 48 data bytes.
 *  - 'timestamp': IPv6 has no timestamp message (RFC 4443 defines none). masscan builds its
 *    IPv6 probes by moving the IPv4 template behind an IPv6 header and only turns type 8
 *    into 128, so for `I:1` it sends an ICMPv6 message of type 13 (an unassigned error type)
 *    with the cookie and 12 zero bytes: 20 bytes, valid checksum (seen from masscan 1.3.2 in
 *    the lab). We send exactly that, so a scan's traffic is masscan's; NOTE: nothing answers
 *    it (RFC 4443 §2.4 (b): an unknown error message is passed up and never answered; Linux
 *    drops it), so IPv6 timestamp probes never produce a record, as with masscan.
 */
export class EchoTemplate6 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  readonly query: IcmpQuery;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly srcWords: Uint32Array;
  private readonly oDst: number;
  private readonly oIdent: number;
  private readonly oIcmpCk: number;
  private readonly icmpSum0: number;

  constructor(link: Ipv6Options, query: IcmpQuery = 'echo') {
    const hop = checkLink6(link);
    this.query = query;
    const ts = query === 'timestamp';
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV6_HEADER_LEN;
    const icmpLen = ICMPV6_HEADER_LEN + (ts ? TIMESTAMP_DATA.length : ECHO_DATA.length);
    this.frameLen = paddedLen(link, l4 + icmpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV6, b);
    const pseudo = emitIp6Base(b, l2, link.srcIp, IpProtocol.ICMPV6, icmpLen, hop);
    emitIcmpv6(
      ts
        ? { kind: 'other', type: ICMP_TIMESTAMP_REQUEST, code: 0, body: new Uint8Array(4 + TIMESTAMP_DATA.length) }
        : { kind: 'echo-request', ident: 0, seq: 0, data: ECHO_DATA },
      new Icmpv6Packet(b, l4, icmpLen),
      null,
    );
    this.icmpSum0 = sumWords(b, l4, icmpLen, pseudo);
    this.base = b;
    this.oDst = l2 + Ipv6Field.DST;
    this.oIdent = l4 + Icmpv6Field.IDENT;
    this.oIcmpCk = l4 + Icmpv6Field.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** cookie: cookie6(key, dst, me, 196608 (echo) or 196609 (timestamp), 0). */
  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, cookie: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
    f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const cookie = f[PF_SEQ];
    const w0 = f[PF_DST6], w1 = f[PF_DST6 + 1], w2 = f[PF_DST6 + 2], w3 = f[PF_DST6 + 3];
    const o = off + this.oDst;
    setU32(slot, o, w0); setU32(slot, o + 4, w1); setU32(slot, o + 8, w2); setU32(slot, o + 12, w3);
    setU32(slot, off + this.oIdent, cookie);
    const addr = (w0 >>> 16) + (w0 & 0xffff) + (w1 >>> 16) + (w1 & 0xffff) + (w2 >>> 16) + (w2 & 0xffff) + (w3 >>> 16) + (w3 & 0xffff);
    setU16(slot, off + this.oIcmpCk, foldChecksum(this.icmpSum0 + addr + (cookie >>> 16) + (cookie & 0xffff)));
    return this.frameLen;
  }
}

// ---------------------------------------------------------------------------------------
// Other IP protocols (`O:n`, masscan's "IP protocol scan", internal port 196864 + n).
// ---------------------------------------------------------------------------------------

/** GRE's protocol number: its probes carry 4 zero bytes (reference §10.1). */
export const IPPROTO_GRE = 47;
/** The most bytes an other-protocol probe carries after the IP header. */
export const OPROTO_MAX_PAYLOAD = 4;

/**
 * Bytes after the IP header of a probe for protocol `proto` (all of them zero): masscan's
 * payloads are empty except GRE's 4 zero bytes, a GRE header with no flags, version 0 and
 * protocol type 0 (reference §10.1), which a GRE endpoint can parse.
 */
export function oprotoPayloadLen(proto: number): number {
  return proto === IPPROTO_GRE ? 4 : 0;
}

/**
 * A bare IPv4 header with protocol = n, followed by the payload of oprotoPayloadLen(n) (zero
 * bytes). Patched per probe: total length, identification, protocol, addresses, checksum.
 *
 * The IP identification is (ip_them ^ n ^ cookie) & 0xffff with cookie = cookie4(key,
 * ip_them, 196864 + n, ip_me, 0), the rule of every other probe: it is the only field of
 * ours that an ICMP protocol-unreachable quotes back (the probe has no ports, no sequence
 * number), so the receiver checks it to accept a "closed" statelessly (receive.ts).
 * NOTE: masscan 1.3.2 accepts `O:n` and counts the probes but sends nothing (seen in the
 * lab); HEAD's fact sheet gives the payloads used here.
 */
export class OprotoTemplate4 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  /** Link header, IPv4 header (protocol and length zero), 4 zero bytes, padding. */
  readonly base: Uint8Array;
  /** Bytes from the frame start to the end of the IP header. */
  private readonly l3End: number;
  /** Smallest frame length (60 on Ethernet: the zero padding is part of the base). */
  private readonly minLen: number;
  private readonly oLen: number;
  private readonly oId: number;
  private readonly oProto: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly ipSum0: number;

  constructor(link: Ipv4Options) {
    const ttl = checkLink4(link);
    const l2 = linkHeaderLen(link);
    this.l3End = l2 + IPV4_HEADER_LEN;
    this.maxFrameLen = paddedLen(link, this.l3End + OPROTO_MAX_PAYLOAD);
    this.minLen = paddedLen(link, this.l3End);
    const b = new Uint8Array(this.maxFrameLen);
    emitLink(link, EtherType.IPV4, b);
    // Total length and protocol are per probe too: the constant sum covers neither. Protocol 0
    // adds nothing; the length word (IPV4_HEADER_LEN with no payload) is taken back out.
    this.ipSum0 = emitIp4Base(b, l2, 0, 0, ttl, link.srcIp) - IPV4_HEADER_LEN;
    setU16(b, l2 + Ipv4Field.LENGTH, 0);
    this.base = b;
    this.oLen = l2 + Ipv4Field.LENGTH;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oProto = l2 + Ipv4Field.PROTOCOL;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** proto 0..255; cookie: cookie4(key, dstIp, 196864 + proto, srcIp, 0). */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, proto: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = proto; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (DST_PORT = protocol): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], proto = f[PF_DST_PORT] & 0xff, cookie = f[PF_SEQ];
    const total = IPV4_HEADER_LEN + (proto === IPPROTO_GRE ? 4 : 0);
    const id = (dstIp ^ proto ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oLen, total);
    setU16(slot, off + this.oId, id);
    slot[off + this.oProto] = proto; // low byte of the TTL/protocol word
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id + total + proto));
    const len = this.l3End - IPV4_HEADER_LEN + total;
    return len < this.minLen ? this.minLen : len;
  }
}

/**
 * A bare IPv6 header with next header = n, followed by oprotoPayloadLen(n) zero bytes.
 * Patched per probe: flow label, payload length, next header, destination (IPv6 has no
 * header checksum).
 *
 * The flow label carries the low 20 bits of cookie6(key, them, 196864 + n, me, 0): an ICMPv6
 * parameter problem quotes our header back, and the flow label is the one field of it we
 * may choose freely (RFC 6437 §3 asks sources for labels that look uniformly random, which a
 * keyed hash is), so the receiver checks a "closed" statelessly. masscan sends flow label 0.
 * NOTE: n may be an extension-header type (0, 43, 44, 60, ...): the probe then ends where
 * that header should start, as masscan's would; a target answers with a parameter problem
 * about that header (code 0), which is not a verdict on the protocol.
 */
export class OprotoTemplate6 {
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly srcWords: Uint32Array;
  private readonly l3End: number;
  private readonly minLen: number;
  private readonly oVtf: number;
  private readonly oPayloadLen: number;
  private readonly oNext: number;
  private readonly oDst: number;

  constructor(link: Ipv6Options) {
    const hop = checkLink6(link);
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    this.l3End = l2 + IPV6_HEADER_LEN;
    this.maxFrameLen = paddedLen(link, this.l3End + OPROTO_MAX_PAYLOAD);
    this.minLen = paddedLen(link, this.l3End);
    const b = new Uint8Array(this.maxFrameLen);
    emitLink(link, EtherType.IPV6, b);
    emitIp6Base(b, l2, link.srcIp, 0, 0, hop);
    this.base = b;
    this.oVtf = l2 + Ipv6Field.VER_TC_FLOW;
    this.oPayloadLen = l2 + Ipv6Field.PAYLOAD_LEN;
    this.oNext = l2 + Ipv6Field.NEXT_HEADER;
    this.oDst = l2 + Ipv6Field.DST;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** dst[dstOff..+3]: the target as four words; cookie: cookie6(key, dst, me, 196864 + proto, 0). */
  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, proto: number, cookie: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
    f[PF_DST_PORT] = proto; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (DST_PORT = protocol): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const proto = f[PF_DST_PORT] & 0xff, cookie = f[PF_SEQ];
    const plen = proto === IPPROTO_GRE ? 4 : 0;
    // Version 6, traffic class 0, flow label = low 20 bits of the cookie.
    setU32(slot, off + this.oVtf, (0x60000000 | (cookie & 0xfffff)) >>> 0);
    setU16(slot, off + this.oPayloadLen, plen);
    slot[off + this.oNext] = proto;
    const o = off + this.oDst;
    setU32(slot, o, f[PF_DST6]); setU32(slot, o + 4, f[PF_DST6 + 1]);
    setU32(slot, o + 8, f[PF_DST6 + 2]); setU32(slot, o + 12, f[PF_DST6 + 3]);
    const len = this.l3End + plen;
    return len < this.minLen ? this.minLen : len;
  }
}

// ---------------------------------------------------------------------------------------
// SCTP INIT. NOTE: CRC32c is not an additive checksum, so patch() computes it over the 32
// SCTP bytes per probe (~30 ns); the IPv4 header checksum stays incremental.
// ---------------------------------------------------------------------------------------

/** The INIT chunk every probe carries (initiate tag patched). */
export function sctpInitRepr(srcPort: number, dstPort: number, tag: number): SctpRepr {
  return {
    srcPort, dstPort, verificationTag: 0,
    chunks: [{
      kind: 'init', flags: 0, initiateTag: tag, aRwnd: SCTP_A_RWND, outStreams: SCTP_OUT_STREAMS,
      inStreams: SCTP_IN_STREAMS, initialTsn: SCTP_INITIAL_TSN, params: new Uint8Array(0),
    }],
  };
}

/** SCTP stores its CRC32c least-significant byte first (RFC 9260 appendix A). */
function setCrcLe(b: Uint8Array, o: number, v: number): void {
  b[o] = v; b[o + 1] = v >>> 8; b[o + 2] = v >>> 16; b[o + 3] = v >>> 24;
}

export class SctpTemplate4 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  private readonly l4: number;
  private readonly sctpLen: number;
  private readonly oId: number;
  private readonly oIpCk: number;
  private readonly oSrc: number;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oTag: number;
  private readonly oCrc: number;
  private readonly ipSum0: number;

  constructor(link: Ipv4Options) {
    const ttl = checkLink4(link);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV4_HEADER_LEN;
    const sctpLen = SCTP_HEADER_LEN + SCTP_INIT_LEN;
    this.frameLen = paddedLen(link, l4 + sctpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV4, b);
    this.ipSum0 = emitIp4Base(b, l2, IpProtocol.SCTP, sctpLen, ttl, link.srcIp);
    emitSctp(sctpInitRepr(0, 0, 0), new SctpPacket(b, l4, sctpLen));
    this.base = b;
    this.l4 = l4;
    this.sctpLen = sctpLen;
    this.oId = l2 + Ipv4Field.IDENT;
    this.oIpCk = l2 + Ipv4Field.CHECKSUM;
    this.oSrc = l2 + Ipv4Field.SRC;
    this.oDst = l2 + Ipv4Field.DST;
    this.oSport = l4 + SctpField.SRC_PORT;
    this.oDport = l4 + SctpField.DST_PORT;
    this.oTag = l4 + SCTP_HEADER_LEN + SctpChunkField.INITIATE_TAG;
    this.oCrc = l4 + SctpField.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  /** cookie: cookie4(key, dstIp, 131072 + dstPort, srcIp, srcPort). */
  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp; f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP], dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const id = (dstIp ^ dstPort ^ cookie) & 0xffff;
    const addr = (srcIp >>> 16) + (srcIp & 0xffff) + (dstIp >>> 16) + (dstIp & 0xffff);
    setU16(slot, off + this.oId, id);
    setU32(slot, off + this.oSrc, srcIp);
    setU32(slot, off + this.oDst, dstIp);
    setU16(slot, off + this.oIpCk, foldChecksum(this.ipSum0 + addr + id));
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    setU32(slot, off + this.oTag, cookie);
    setCrcLe(slot, off + this.oCrc, sctpChecksum(slot, off + this.l4, this.sctpLen));
    return this.frameLen;
  }
}

export class SctpTemplate6 {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  readonly srcWords: Uint32Array;
  private readonly l4: number;
  private readonly sctpLen: number;
  private readonly oDst: number;
  private readonly oSport: number;
  private readonly oDport: number;
  private readonly oTag: number;
  private readonly oCrc: number;

  constructor(link: Ipv6Options) {
    const hop = checkLink6(link);
    this.srcWords = ip6Words(link.srcIp);
    const l2 = linkHeaderLen(link);
    const l4 = l2 + IPV6_HEADER_LEN;
    const sctpLen = SCTP_HEADER_LEN + SCTP_INIT_LEN;
    this.frameLen = paddedLen(link, l4 + sctpLen);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink(link, EtherType.IPV6, b);
    emitIp6Base(b, l2, link.srcIp, IpProtocol.SCTP, sctpLen, hop);
    emitSctp(sctpInitRepr(0, 0, 0), new SctpPacket(b, l4, sctpLen));
    this.base = b;
    this.l4 = l4;
    this.sctpLen = sctpLen;
    this.oDst = l2 + Ipv6Field.DST;
    this.oSport = l4 + SctpField.SRC_PORT;
    this.oDport = l4 + SctpField.DST_PORT;
    this.oTag = l4 + SCTP_HEADER_LEN + SctpChunkField.INITIATE_TAG;
    this.oCrc = l4 + SctpField.CHECKSUM;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  patch(slot: Uint8Array, off: number, dst: Uint32Array, dstOff: number, dstPort: number, srcPort: number, cookie: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const dstPort = f[PF_DST_PORT], srcPort = f[PF_SRC_PORT], cookie = f[PF_SEQ];
    const o = off + this.oDst;
    setU32(slot, o, f[PF_DST6]); setU32(slot, o + 4, f[PF_DST6 + 1]);
    setU32(slot, o + 8, f[PF_DST6 + 2]); setU32(slot, o + 12, f[PF_DST6 + 3]);
    setU16(slot, off + this.oSport, srcPort);
    setU16(slot, off + this.oDport, dstPort);
    setU32(slot, off + this.oTag, cookie);
    setCrcLe(slot, off + this.oCrc, sctpChecksum(slot, off + this.l4, this.sctpLen));
    return this.frameLen;
  }
}

// ---------------------------------------------------------------------------------------
// ARP who-has (--arpscan).
// ---------------------------------------------------------------------------------------

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

/** Broadcast ARP request "who has <target>? tell <us>". Ethernet only. */
export class ArpTemplate {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  private readonly oSpa: number;
  private readonly oTpa: number;

  /** link.dstMac is ignored: requests go to the broadcast address. */
  constructor(link: Ipv4Options) {
    if (link.raw === true) bad('ARP needs an Ethernet link');
    checkLink(link);
    const l2 = linkHeaderLen(link);
    this.frameLen = paddedLen(link, l2 + ARP_ETH_IPV4_LEN);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink({ srcMac: link.srcMac, dstMac: BROADCAST_MAC, vlan: link.vlan }, EtherType.ARP, b);
    emitArp(
      { operation: ArpOperation.REQUEST, senderMac: link.srcMac, senderIp: link.srcIp, targetMac: ZERO_MAC, targetIp: 0 },
      new ArpPacket(b, l2, ARP_ETH_IPV4_LEN),
    );
    this.base = b;
    this.oSpa = l2 + ArpField.SPA;
    this.oTpa = l2 + ArpField.TPA;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Uint32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP];
    setU32(slot, off + this.oSpa, srcIp);
    setU32(slot, off + this.oTpa, dstIp);
    return this.frameLen;
  }
}

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
 * All IPv4 probe kinds of a scan behind one call: `fill` computes the cookie for the target's
 * internal port (TCP p, UDP 65536+p, SCTP 131072+p, ICMP echo 196608, ICMP timestamp 196609,
 * ARP 196610, other protocol n 196864+n; port_me 0 for ICMP and other protocols), writes the
 * template base into the slot if the slot last held another kind, and patches the probe.
 * One instance per transmit worker (it keeps the slot kinds of that worker's batch).
 *
 * Hot path: the target and source are read from objects and the values travel to the
 * templates in a typed array, so nothing is boxed or allocated whether or not V8 inlines.
 */
export class ProbeSet4 {
  readonly tcp: TcpTemplate4;
  readonly udp: UdpTemplate4;
  readonly sctp: SctpTemplate4;
  readonly icmp: EchoTemplate4;
  readonly timestamp: EchoTemplate4;
  readonly oproto: OprotoTemplate4;
  readonly arp: ArpTemplate | null;
  /** Largest frame any probe can be: the slot size needed. */
  readonly maxFrameLen: number;
  private readonly key: CookieKey;
  private readonly kinds: Uint8Array;
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);

  /** slots: the number of slots in the batch this set fills (slot index < slots). */
  constructor(opts: ProbeOptions4, key: CookieKey, slots: number) {
    this.tcp = new TcpTemplate4(opts, opts.tcp);
    this.udp = new UdpTemplate4(opts, opts.payloads, opts.badsum === true);
    this.sctp = new SctpTemplate4(opts);
    this.icmp = new EchoTemplate4(opts);
    this.timestamp = new EchoTemplate4(opts, 'timestamp');
    this.oproto = new OprotoTemplate4(opts);
    this.arp = opts.raw === true ? null : new ArpTemplate(opts);
    this.maxFrameLen = Math.max(
      this.tcp.maxFrameLen, this.udp.maxFrameLen, this.sctp.maxFrameLen, this.icmp.maxFrameLen,
      this.timestamp.maxFrameLen, this.oproto.maxFrameLen, this.arp?.maxFrameLen ?? 0,
    );
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
    // int32 views of the addresses: the same bits for the hash (key.msg is an Int32Array), and
    // never boxed when V8 does not inline a cookie call, which happens once several probe
    // kinds are hot and this body outgrows its inlining budget (a u32 above 2^31 passed to a
    // call is a heap number: measured 30-50 GCs per 2e6 mixed-kind probes before, 0 after).
    const dstIp = f[PF_DST_IP] | 0, srcIp = f[PF_SRC_IP] | 0, srcPort = f[PF_SRC_PORT];
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
export class ProbeSet6 {
  readonly tcp: TcpTemplate6;
  readonly udp: UdpTemplate6;
  readonly sctp: SctpTemplate6;
  readonly icmp: EchoTemplate6;
  readonly timestamp: EchoTemplate6;
  readonly oproto: OprotoTemplate6;
  readonly maxFrameLen: number;
  /** Our address as four words (cookie6's `me`). */
  readonly srcWords: Uint32Array;
  private readonly key: CookieKey;
  private readonly kinds: Uint8Array;
  private readonly f: Uint32Array = new Uint32Array(PROBE_FIELDS);
  /** The destination as four words, for cookie6. */
  private readonly dst: Uint32Array = new Uint32Array(4);

  constructor(opts: ProbeOptions6, key: CookieKey, slots: number) {
    this.tcp = new TcpTemplate6(opts, opts.tcp);
    this.udp = new UdpTemplate6(opts, opts.payloads, opts.badsum === true);
    this.sctp = new SctpTemplate6(opts);
    this.icmp = new EchoTemplate6(opts);
    this.timestamp = new EchoTemplate6(opts, 'timestamp');
    this.oproto = new OprotoTemplate6(opts);
    this.maxFrameLen = Math.max(
      this.tcp.maxFrameLen, this.udp.maxFrameLen, this.sctp.maxFrameLen, this.icmp.maxFrameLen,
      this.timestamp.maxFrameLen, this.oproto.maxFrameLen,
    );
    this.srcWords = this.tcp.srcWords;
    this.key = key;
    this.kinds = new Uint8Array(slots);
  }

  invalidate(): void {
    this.kinds.fill(SlotKind.NONE);
  }

  /** Forget what one slot holds (another probe set wrote it), so its next fill rewrites the base. */
  invalidateSlot(slot: number): void {
    this.kinds[slot] = SlotKind.NONE;
  }

  /**
   * Write the probe for dst[dstOff..+3] (four words, most significant first) and internal
   * port `port`, from our IPv6 address and srcPort (the base port, §6.2). Same NOTE as
   * ProbeSet4.fill; the transmit loop should use fillTarget.
   */
  fill(buf: Uint8Array, off: number, slot: number, dst: Uint32Array, dstOff: number, port: number, srcPort: number): number {
    const f = this.f;
    f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
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
