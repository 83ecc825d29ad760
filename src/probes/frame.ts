/**
 * Probe templates, the part every probe kind shares (one file per kind beside this one:
 * tcp-syn, udp, sctp, icmp, ip-proto, arp; probe-set dispatches among them) (DESIGN.md §3, §4.2; reference masscan-compat.md §6.2, §6.4): the constant
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
import { sumWords } from '../wire/checksum.js';
import { EtherType, EthernetFrame, ETHERNET_HEADER_LEN, MAC_LEN, VLAN_TAG_LEN, emitEthernet } from '../wire/ethernet.js';
import { IPV4_HEADER_LEN, Ipv4Field, Ipv4Packet, emitIpv4 } from '../wire/ipv4.js';
import { IPV6_ADDR_LEN, IPV6_HEADER_LEN, Ipv6Field, Ipv6Packet, emitIpv6 } from '../wire/ipv6.js';
import { ipv6ToWords } from '../target/ipv6.js';

/** Smallest Ethernet frame without its FCS. */
export const MIN_ETHERNET_FRAME = 60;


/**
 * Slots of the per-probe value array that `patchFields` reads (an Int32Array of
 * PROBE_FIELDS). Why an array and not arguments: V8 passes a number to a call that it does
 * not inline as a tagged value, and every u32 above 2^31 - 1 (most addresses and cookies)
 * then needs a fresh HeapNumber: an allocation per probe. Typed-array loads and stores never
 * allocate. `patch(...)` is a small wrapper that fills the array, for callers off the hot path
 * or that V8 inlines anyway.
 * Why Int32Array and not Uint32Array: a patchFields body passes the words it loads on to
 * setU32 (and others), and whether V8 inlines those depends on its budget, which runs out when
 * it inlines a patchFields into ProbeSet4's fill. A Uint32Array load above 2^31 - 1 passed to
 * such a call was boxed (Node 22: 16 bytes per probe on some runs); an int32 is a small
 * integer in Node's V8 (no pointer compression), so the callees never allocate. The bits are
 * the same: every reader uses them through `>>>`, `&`, `^` or as bytes (setU32).
 */
export const ProbeField = { SRC_IP: 0, DST_IP: 1, DST_PORT: 2, SRC_PORT: 3, SEQ: 4, DST6: 5 } as const;
/** Length of a probe-field array: DST6 takes four words (5..8). */
export const PROBE_FIELDS = 9;
const PF_DST6 = 5;

/**
 * f[DST6..+3] = dst[dstOff..+3] (the v6 patch()/fill() wrappers). Typed array to typed array:
 * allocation-free whether or not V8 inlines it.
 */
export function setDst6(f: Int32Array, dst: Uint32Array, dstOff: number): void {
  f[PF_DST6] = dst[dstOff]; f[PF_DST6 + 1] = dst[dstOff + 1]; f[PF_DST6 + 2] = dst[dstOff + 2]; f[PF_DST6 + 3] = dst[dstOff + 3];
}
// Each template file repeats the slots it reads as its own module constants (PF_SRC_IP = 0,
// ...): an imported binding is a cell load per use in the patch loops, measured as ~3-8 ns
// more per TcpTemplate4.patch (bench/probe 'patch') than constants of the same module.

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
export function bad(msg: string): never {
  throw new ScanError('ERR_BAD_OPTION', msg);
}

export function checkLink(o: LinkOptions): void {
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
export function checkLink4(link: Ipv4Options): number {
  checkLink(link);
  return checkTtl(link.ttl ?? 255, 'ttl');
}

/** checkLink plus the IPv6 source address; returns the checked hop limit. */
export function checkLink6(link: Ipv6Options): number {
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
export function paddedLen(o: LinkOptions, contentLen: number): number {
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
export function emitIp6Base(buf: Uint8Array, l2: number, src: Uint8Array, proto: number, payloadLen: number, hopLimit: number): number {
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
export function emitIp4Base(buf: Uint8Array, l2: number, proto: number, payloadLen: number, ttl: number, srcIp: number): number {
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
export function ip6Words(a: Uint8Array): Uint32Array {
  const w = new Uint32Array(4);
  for (let i = 0; i < 4; i++) w[i] = ((a[4 * i] << 24) | (a[4 * i + 1] << 16) | (a[4 * i + 2] << 8) | a[4 * i + 3]) >>> 0;
  return w;
}

/** A probe's constant frame under construction (setup only): the buffer and where its layers start. */
export interface ProbeBase {
  /** The frame: link header and IP header written, transport bytes zero. */
  readonly frame: Uint8Array;
  /** Frame length (padded on Ethernet). */
  readonly len: number;
  /** Offset of the IP header. */
  readonly l2: number;
  /** Offset of the IP payload (transport header). */
  readonly l4: number;
  /** IPv4: the constant header sum (emitIp4Base); IPv6: the constant pseudo-header sum (emitIp6Base). */
  readonly sum: number;
}

/**
 * The link and IPv4 headers of a probe base carrying `payloadLen` bytes after the IP header,
 * in a buffer with room for `extra` more (a payload patch() may add). Setup only.
 */
export function buildBase4(link: Ipv4Options, ttl: number, proto: number, payloadLen: number, extra = 0): ProbeBase {
  const b = linkedFrame(link, EtherType.IPV4, IPV4_HEADER_LEN, payloadLen + extra);
  return { ...b, sum: emitIp4Base(b.frame, b.l2, proto, payloadLen, ttl, link.srcIp) };
}

/** buildBase4 over IPv6 (`hopLimit` checked by checkLink6). Setup only. */
export function buildBase6(link: Ipv6Options, hopLimit: number, proto: number, payloadLen: number, extra = 0): ProbeBase {
  const b = linkedFrame(link, EtherType.IPV6, IPV6_HEADER_LEN, payloadLen + extra);
  return { ...b, sum: emitIp6Base(b.frame, b.l2, link.srcIp, proto, payloadLen, hopLimit) };
}

/** A zeroed frame with room for an IP header of `ipLen` and `room` bytes after it, its link header written. */
function linkedFrame(link: LinkOptions, etherType: number, ipLen: number, room: number): Omit<ProbeBase, 'sum'> {
  const l2 = linkHeaderLen(link);
  const l4 = l2 + ipLen;
  const len = paddedLen(link, l4 + room);
  const frame = new Uint8Array(len);
  emitLink(link, etherType, frame);
  return { frame, len, l2, l4 };
}
