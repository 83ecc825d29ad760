/**
 * ICMPv6 (RFC 4443) and the Neighbor Discovery messages the scanner answers or reads
 * (RFC 4861): echo, destination unreachable, neighbour solicitation/advertisement with their
 * link-layer address options, and a minimal router advertisement.
 *
 *   0     1     2        4                     8
 *   | type| code| cksum  | ident | seq         | data                          (echo)
 *   | type| code| cksum  | unused              | quoted IPv6 packet            (unreachable)
 *   | 135 | 0   | cksum  | reserved            | target (16) | options         (NS)
 *   | 136 | 0   | cksum  |R|S|O| reserved      | target (16) | options         (NA)
 *   | 134 | 0   | cksum  |hops|M|O|..|lifetime | reachable(4)| retrans(4)| options (RA)
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { foldChecksum, pseudoHeaderSum, sumWords, type IpPair } from './checksum.js';
import { MAC_LEN } from './ethernet.js';
import { IpProtocol } from './ip.js';
import type { WireError } from './wire-error.js';

export const ICMPV6_HEADER_LEN = 8;
/** NS and NA: 8-byte header + 16-byte target address. */
export const NDP_NS_NA_LEN = 24;
/** RA: 8-byte header + reachable time + retrans timer. */
export const NDP_RA_LEN = 16;

export const Icmpv6Field = {
  TYPE: 0,
  CODE: 1,
  CHECKSUM: 2,
  IDENT: 4,
  SEQ: 6,
  /** NA flags byte. */
  NA_FLAGS: 4,
  /** NS/NA target address. */
  TARGET: 8,
  /** RA fields. */
  RA_HOP_LIMIT: 4,
  RA_FLAGS: 5,
  RA_LIFETIME: 6,
  RA_REACHABLE: 8,
  RA_RETRANS: 12,
  /** Parameter problem: where in the invoking packet the error lies (RFC 4443 §3.4). */
  POINTER: 4,
  /** Error messages: the invoking packet, quoted (RFC 4443 §2.4 (c)). */
  INVOKING: 8,
} as const;

export const Icmpv6Type = {
  DST_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
  REDIRECT: 137,
} as const;

/** Codes of type 1 (RFC 4443 §3.1). */
export const Icmpv6Unreachable = {
  NO_ROUTE: 0,
  ADMIN_PROHIBITED: 1,
  BEYOND_SCOPE: 2,
  ADDRESS: 3,
  PORT: 4,
  POLICY: 5,
  REJECT_ROUTE: 6,
} as const;

export const NdpOptionType = { SOURCE_LL_ADDR: 1, TARGET_LL_ADDR: 2, PREFIX_INFO: 3, MTU: 5 } as const;
/** NA flag bits in the byte at NA_FLAGS. */
export const NdpNaFlags = { ROUTER: 0x80, SOLICITED: 0x40, OVERRIDE: 0x20 } as const;

/** At most this many NDP options are read; more is 'unsupported' (bounds the walk). */
export const NDP_MAX_OPTIONS = 16;

export class Icmpv6Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /** After `null`: the 8-byte header lies inside the view (type-specific lengths: parse). */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < ICMPV6_HEADER_LEN) return 'truncated';
    return null;
  }

  msgType(): number {
    return this.buf[this.off + Icmpv6Field.TYPE];
  }
  code(): number {
    return this.buf[this.off + Icmpv6Field.CODE];
  }
  checksum(): number {
    return getU16(this.buf, this.off + Icmpv6Field.CHECKSUM);
  }
  ident(): number {
    return getU16(this.buf, this.off + Icmpv6Field.IDENT);
  }
  seq(): number {
    return getU16(this.buf, this.off + Icmpv6Field.SEQ);
  }
  restOfHeader(): number {
    return getU32(this.buf, this.off + 4);
  }
  /** NS/NA: offset of the target address (needs len >= 24). */
  targetOff(): number {
    return this.off + Icmpv6Field.TARGET;
  }
  dataOff(): number {
    return this.off + ICMPV6_HEADER_LEN;
  }
  /** RFC 4443 §2.3: the checksum includes the IPv6 pseudo-header (next header 58). */
  verifyChecksum(pseudoSum: number): boolean {
    return foldChecksum(sumWords(this.buf, this.off, this.len, pseudoSum)) === 0;
  }

  setMsgType(v: number): void {
    this.buf[this.off + Icmpv6Field.TYPE] = v;
  }
  setCode(v: number): void {
    this.buf[this.off + Icmpv6Field.CODE] = v;
  }
  setChecksum(v: number): void {
    setU16(this.buf, this.off + Icmpv6Field.CHECKSUM, v);
  }
  setRestOfHeader(v: number): void {
    setU32(this.buf, this.off + 4, v);
  }
  fillChecksum(pseudoSum: number): void {
    this.setChecksum(0);
    this.setChecksum(foldChecksum(sumWords(this.buf, this.off, this.len, pseudoSum)));
  }
}

/**
 * Offset of the Ethernet link-layer address carried by the first NDP option of `type` in
 * `[off, end)`: -1 if there is none, or an error. RFC 4861 §4.6: "Nodes MUST silently discard
 * an ND packet that contains an option with length zero"; unknown options are skipped (§4.6:
 * "MUST silently ignore"). Allocation-free, reads only inside `[off, end)`.
 */
export function findNdpLinkAddr(buf: Uint8Array, off: number, end: number, type: number): number | WireError {
  let found = -1;
  let p = off;
  for (let n = 0; p < end; n++) {
    if (n === NDP_MAX_OPTIONS) return 'unsupported';
    if (p + 2 > end) return 'malformed';
    const len = buf[p + 1] * 8;
    if (len === 0) return 'malformed';
    if (p + len > end) return 'malformed';
    if (found < 0 && buf[p] === type && len >= 2 + MAC_LEN) found = p + 2;
    p += len;
  }
  return found;
}

/**
 * NDP messages carry `lladdr` (the source link-layer address option of NS/RA, the target one of
 * NA) and `otherOptions`: every other option, raw and in order (a DAD nonce, prefixes, MTU...).
 * Emit writes the link-layer option first, then the others: a message whose link-layer option
 * came first (all that Linux sends) round-trips exactly.
 */
export type Icmpv6Repr =
  | { kind: 'echo-request' | 'echo-reply'; ident: number; seq: number; data: Uint8Array }
  | { kind: 'dst-unreachable'; code: number; quoted: Uint8Array }
  | { kind: 'neighbor-solicit'; target: Uint8Array; lladdr: Uint8Array | undefined; otherOptions: Uint8Array }
  | { kind: 'neighbor-advert'; flags: number; target: Uint8Array; lladdr: Uint8Array | undefined; otherOptions: Uint8Array }
  | {
      kind: 'router-advert';
      hopLimit: number;
      flags: number;
      routerLifetime: number;
      reachableTime: number;
      retransTime: number;
      lladdr: Uint8Array | undefined;
      otherOptions: Uint8Array;
    }
  | { kind: 'other'; type: number; code: number; body: Uint8Array };

/**
 * Parse a message. With `ip` the checksum is verified. NDP messages are checked as RFC 4861
 * §7.1.1/§7.1.2/§6.1.2 ask (code 0, length, options); the hop limit of 255 is the IP layer's
 * to check.
 */
export function parseIcmpv6(pkt: Icmpv6Packet, ip: IpPair | null): Icmpv6Repr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (ip !== null && !pkt.verifyChecksum(pseudoHeaderSum(ip, IpProtocol.ICMPV6, pkt.len))) return 'bad-checksum';
  const type = pkt.msgType();
  const code = pkt.code();
  const end = pkt.off + pkt.len;
  const b = pkt.buf;
  switch (type) {
    case Icmpv6Type.ECHO_REQUEST:
    case Icmpv6Type.ECHO_REPLY:
      if (code !== 0) break;
      return {
        kind: type === Icmpv6Type.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
        ident: pkt.ident(),
        seq: pkt.seq(),
        data: b.subarray(pkt.dataOff(), end),
      };
    case Icmpv6Type.DST_UNREACHABLE:
      return { kind: 'dst-unreachable', code, quoted: b.subarray(pkt.dataOff(), end) };
    case Icmpv6Type.NEIGHBOR_SOLICIT:
    case Icmpv6Type.NEIGHBOR_ADVERT: {
      // RFC 4861 §7.1.1: "ICMP Code is 0", "ICMP length (derived from the IP length) is 24 or more octets".
      if (code !== 0) return 'malformed';
      if (pkt.len < NDP_NS_NA_LEN) return 'truncated';
      const solicit = type === Icmpv6Type.NEIGHBOR_SOLICIT;
      const ll = findNdpLinkAddr(
        b,
        pkt.off + NDP_NS_NA_LEN,
        end,
        solicit ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR,
      );
      if (typeof ll === 'string') return ll;
      const target = b.slice(pkt.targetOff(), pkt.targetOff() + 16);
      const lladdr = ll < 0 ? undefined : b.slice(ll, ll + MAC_LEN);
      const otherOptions = optionsWithout(b, pkt.off + NDP_NS_NA_LEN, end, ll);
      if (solicit) return { kind: 'neighbor-solicit', target, lladdr, otherOptions };
      return { kind: 'neighbor-advert', flags: b[pkt.off + Icmpv6Field.NA_FLAGS] & 0xe0, target, lladdr, otherOptions };
    }
    case Icmpv6Type.ROUTER_ADVERT: {
      // RFC 4861 §6.1.2: code 0, length 16 or more.
      if (code !== 0) return 'malformed';
      if (pkt.len < NDP_RA_LEN) return 'truncated';
      const ll = findNdpLinkAddr(b, pkt.off + NDP_RA_LEN, end, NdpOptionType.SOURCE_LL_ADDR);
      if (typeof ll === 'string') return ll;
      return {
        kind: 'router-advert',
        hopLimit: b[pkt.off + Icmpv6Field.RA_HOP_LIMIT],
        flags: b[pkt.off + Icmpv6Field.RA_FLAGS],
        routerLifetime: getU16(b, pkt.off + Icmpv6Field.RA_LIFETIME),
        reachableTime: getU32(b, pkt.off + Icmpv6Field.RA_REACHABLE),
        retransTime: getU32(b, pkt.off + Icmpv6Field.RA_RETRANS),
        lladdr: ll < 0 ? undefined : b.slice(ll, ll + MAC_LEN),
        otherOptions: optionsWithout(b, pkt.off + NDP_RA_LEN, end, ll),
      };
    }
  }
  return { kind: 'other', type, code, body: b.subarray(pkt.off + 4, end) };
}

/** A copy of the options in `[off, end)` without the option whose MAC is at `llOff` (-1: none). */
function optionsWithout(buf: Uint8Array, off: number, end: number, llOff: number): Uint8Array {
  if (llOff < 0) return buf.slice(off, end);
  const optStart = llOff - 2;
  const optEnd = optStart + buf[optStart + 1] * 8;
  const out = new Uint8Array(end - off - (optEnd - optStart));
  out.set(buf.subarray(off, optStart), 0);
  out.set(buf.subarray(optEnd, end), optStart - off);
  return out;
}

export function icmpv6BufferLen(repr: Icmpv6Repr): number {
  const ll = 'lladdr' in repr ? (repr.lladdr !== undefined ? 8 : 0) + repr.otherOptions.length : 0;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      return ICMPV6_HEADER_LEN + repr.data.length;
    case 'dst-unreachable':
      return ICMPV6_HEADER_LEN + repr.quoted.length;
    case 'neighbor-solicit':
    case 'neighbor-advert':
      return NDP_NS_NA_LEN + ll;
    case 'router-advert':
      return NDP_RA_LEN + ll;
    case 'other':
      return 4 + repr.body.length;
  }
}

function emitLinkAddrOption(buf: Uint8Array, p: number, type: number, mac: Uint8Array): void {
  buf[p] = type;
  buf[p + 1] = 1; // in units of 8 bytes
  buf.set(mac.subarray(0, MAC_LEN), p + 2);
}

/**
 * Write the message at `pkt.off` (the caller supplies `icmpv6BufferLen(repr)` bytes), with the
 * checksum when `ip` is given (else 0).
 */
export function emitIcmpv6(repr: Icmpv6Repr, pkt: Icmpv6Packet, ip: IpPair | null): void {
  const b = pkt.buf;
  const o = pkt.off;
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      pkt.setMsgType(repr.kind === 'echo-request' ? Icmpv6Type.ECHO_REQUEST : Icmpv6Type.ECHO_REPLY);
      pkt.setCode(0);
      setU16(b, o + Icmpv6Field.IDENT, repr.ident);
      setU16(b, o + Icmpv6Field.SEQ, repr.seq);
      b.set(repr.data, o + ICMPV6_HEADER_LEN);
      break;
    case 'dst-unreachable':
      pkt.setMsgType(Icmpv6Type.DST_UNREACHABLE);
      pkt.setCode(repr.code);
      pkt.setRestOfHeader(0);
      b.set(repr.quoted, o + ICMPV6_HEADER_LEN);
      break;
    case 'neighbor-solicit':
    case 'neighbor-advert': {
      const solicit = repr.kind === 'neighbor-solicit';
      pkt.setMsgType(solicit ? Icmpv6Type.NEIGHBOR_SOLICIT : Icmpv6Type.NEIGHBOR_ADVERT);
      pkt.setCode(0);
      pkt.setRestOfHeader(0);
      if (repr.kind === 'neighbor-advert') b[o + Icmpv6Field.NA_FLAGS] = repr.flags & 0xe0;
      b.set(repr.target.subarray(0, 16), o + Icmpv6Field.TARGET);
      let p = o + NDP_NS_NA_LEN;
      if (repr.lladdr !== undefined) {
        const t = solicit ? NdpOptionType.SOURCE_LL_ADDR : NdpOptionType.TARGET_LL_ADDR;
        emitLinkAddrOption(b, p, t, repr.lladdr);
        p += 8;
      }
      b.set(repr.otherOptions, p);
      break;
    }
    case 'router-advert':
      pkt.setMsgType(Icmpv6Type.ROUTER_ADVERT);
      pkt.setCode(0);
      b[o + Icmpv6Field.RA_HOP_LIMIT] = repr.hopLimit;
      b[o + Icmpv6Field.RA_FLAGS] = repr.flags;
      setU16(b, o + Icmpv6Field.RA_LIFETIME, repr.routerLifetime);
      setU32(b, o + Icmpv6Field.RA_REACHABLE, repr.reachableTime);
      setU32(b, o + Icmpv6Field.RA_RETRANS, repr.retransTime);
      if (repr.lladdr !== undefined) emitLinkAddrOption(b, o + NDP_RA_LEN, NdpOptionType.SOURCE_LL_ADDR, repr.lladdr);
      b.set(repr.otherOptions, o + NDP_RA_LEN + (repr.lladdr !== undefined ? 8 : 0));
      break;
    case 'other':
      pkt.setMsgType(repr.type);
      pkt.setCode(repr.code);
      b.set(repr.body, o + 4);
      break;
  }
  const len = icmpv6BufferLen(repr);
  const view = new Icmpv6Packet(b, o, len);
  if (ip !== null) view.fillChecksum(pseudoHeaderSum(ip, IpProtocol.ICMPV6, len));
  else view.setChecksum(0);
}
