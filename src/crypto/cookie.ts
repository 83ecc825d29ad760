/**
 * The stateless SYN cookie (reference masscan-compat.md §6.1): a keyed SipHash-2-4 of the
 * 4-tuple, placed in the field the target must echo back (TCP seq -> ack-1, ICMP id+seq,
 * SCTP initiate tag, DNS/NetBIOS id, SNMP request-id).
 *
 * Key: the 64-bit scan seed written little-endian twice (k0 = k1 = seed), so the transmit and
 * receive sides of one scan (and masscan with the same --seed) agree.
 *
 * Messages (every word little-endian):
 *  - IPv4, 16 bytes: u32 ip_them, u32 port_them, u32 ip_me, u32 port_me.
 *  - IPv6, 40 bytes: u64 them.hi, u64 them.lo, u64 me.hi, u64 me.lo,
 *    u64 (port_them << 16) | port_me.
 * `port_them` is the INTERNAL port (TCP p, UDP 65536+p, SCTP 131072+p, ICMP echo 196608 with
 * port_me 0), as produced by target/ports.
 *
 * Results are the LOW 32 bits, unsigned; the high 32 bits of the same hash are left in
 * `key.high` / `key.out[1]` (see siphash.ts) for the rare user that wants 64 bits.
 * These wrappers are small so V8 inlines them into the transmit loop: their u32 result then
 * stays in a register (a non-inlined return of a u32 above 2^30 would allocate).
 *
 * Hot path: no allocation; cookie4 ~ one SipHash of 3 blocks.
 */
import { SipKey, sip16, sip40Msg } from './siphash.js';
import { PORT_ICMP_ECHO } from '../core/ports.js';

/** Internal port of an ICMP echo probe (port_me is 0 for it). */
export const ICMP_ECHO_PORT = PORT_ICMP_ECHO;

export class CookieKey extends SipKey {
  /** The 64-bit seed this key was made from. */
  readonly seed: bigint;
  /** seed: any bigint; it is reduced mod 2^64 (masscan's seed is a uint64). */
  constructor(seed: bigint) {
    const s = BigInt.asUintN(64, seed);
    super(s, s);
    this.seed = s;
  }
}

/**
 * The IPv4 cookie: low 32 bits of SipHash(seed||seed, LE32[ipThem, portThem, ipMe, portMe]).
 * ipThem/ipMe are u32 addresses (1.2.3.4 = 0x01020304); portThem internal.
 */
export function cookie4(key: CookieKey, ipThem: number, portThem: number, ipMe: number, portMe: number): number {
  sip16(key, ipThem, portThem, ipMe, portMe);
  return key.out[0];
}

/**
 * The IPv4 cookie hash into key.out ([low, high]) without returning it: for hot loops whose
 * caller may not be inlined (a returned u32 above 2^30 would be boxed; see SipKey.out).
 */
export function cookie4Hash(key: CookieKey, ipThem: number, portThem: number, ipMe: number, portMe: number): void {
  sip16(key, ipThem, portThem, ipMe, portMe);
}

/**
 * The IPv6 cookie. `them[themOff..+3]` and `me[meOff..+3]` are the addresses as four u32
 * words, most significant first (2001:db8:: = [0x20010db8, 0, 0, 0]).
 * Message u64 them.hi = (w0 << 32 | w1), them.lo = (w2 << 32 | w3), likewise me, then
 * (portThem << 16) | portMe as a u64 (portThem can exceed 16 bits: UDP/SCTP/ICMP).
 */
export function cookie6(
  key: CookieKey,
  them: Uint32Array, themOff: number,
  me: Uint32Array, meOff: number,
  portThem: number, portMe: number,
): number {
  cookie6Hash(key, them, themOff, me, meOff, portThem, portMe);
  return key.out[0];
}

/** The IPv6 cookie hash into key.out ([low, high]); see cookie4Hash. */
export function cookie6Hash(
  key: CookieKey,
  them: Uint32Array, themOff: number,
  me: Uint32Array, meOff: number,
  portThem: number, portMe: number,
): void {
  const m = key.msg;
  m[0] = them[themOff + 1]; m[1] = them[themOff];
  m[2] = them[themOff + 3]; m[3] = them[themOff + 2];
  m[4] = me[meOff + 1]; m[5] = me[meOff];
  m[6] = me[meOff + 3]; m[7] = me[meOff + 2];
  // (portThem << 16) | portMe, computed in 32 bits as masscan's C does (an unsigned shift),
  // then widened: the internal port's bits above 16 (UDP, SCTP, ICMP kinds) are shifted out
  // and the high word is 0. masscan 1.3.2's IPv6 ICMP timestamp id:seq matches only this way.
  m[8] = (portThem << 16) | (portMe & 0xffff);
  m[9] = 0;
  sip40Msg(key);
}

/**
 * Whether a TCP SYN-ACK/RST acknowledgement matches: ack - 1 == cookie (mod 2^32).
 * `ack` is the u32 acknowledgement number from the reply; the ports are from OUR point of
 * view (portThem = the reply's source port, internal TCP = plain port).
 */
export function tcpAckMatches4(key: CookieKey, ack: number, ipThem: number, portThem: number, ipMe: number, portMe: number): boolean {
  sip16(key, ipThem, portThem, ipMe, portMe);
  return ((ack - 1) >>> 0) === key.out[0];
}

/** The DNS / NetBIOS / portmap id: the low 16 bits of the cookie. */
export function cookieId16(cookie: number): number {
  return cookie & 0xffff;
}

/** The SNMP request-id: the low 31 bits of the cookie (positive INTEGER). */
export function cookieSnmp(cookie: number): number {
  return cookie & 0x7fffffff;
}
