/**
 * What every reply classifier of this directory shares: the scan's constants they read
 * (ClassifyContext), what they conclude (Verdict), and the "is it ours / is it a target"
 * tests. The per-kind classifiers live beside their templates (tcp-syn, udp, sctp, icmp,
 * ip-proto, arp); classify.ts dispatches among them. engine/receive.ts runs them per frame.
 */
import { PORT_ARP, PORT_ICMP_TIMESTAMP, PORT_OPROTO_BASE, PORT_SCTP_BASE, PORT_UDP_BASE } from '../target/ports.js';
import { Decoded } from '../wire/decode.js';
/** Record ring: kinds (word RecordWord.KIND). */
export const RecordKind = { STATUS: 1 } as const;
/** Record ring: statuses (word RecordWord.STATUS). */
export const RecStatus = { OPEN: 1, CLOSED: 2, UP: 3 } as const;

/** Internal port bases (target/ports.ts encoding). */
export const UDP_BASE = PORT_UDP_BASE;
export const SCTP_BASE = PORT_SCTP_BASE;
export const ARP_PORT = PORT_ARP;
/** ICMP timestamp (`I:1`) and the first other-protocol port (`O:0`). */
export const ICMP_TIMESTAMP_PORT = PORT_ICMP_TIMESTAMP;
export const OPROTO_PORT_BASE = PORT_OPROTO_BASE;

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
  /**
   * --data-length: bytes of data our SYNs carry. A reply may acknowledge them too (the SYN
   * takes one sequence number, each data byte one more): ack = cookie + 1 + this, or only
   * the SYN: ack = cookie + 1.
   */
  readonly dataLength: number;
  /**
   * Sorted, merged inclusive IPv4 target ranges as [begin0, end0, begin1, end1, ...]: replies
   * count only from these (ICMP errors only about these).
   */
  readonly targets4: Uint32Array;
  /** Scanned other IP protocols (`O:n`): oprotos[n] === 1; nothing about n counts otherwise. */
  readonly oprotos: Uint8Array;
  /**
   * Sorted, merged inclusive IPv6 target ranges, 8 words per range (begin then end, four
   * words each, most significant first). Empty: no IPv6 reply counts.
   */
  readonly targets6: Uint32Array;
  /**
   * The scanned TCP, UDP and SCTP ports as bitmaps (bit p of word p >>> 5; 2,048 words each):
   * a reply counts only from a port that was probed, over that protocol.
   */
  readonly tcpPorts: Uint32Array;
  readonly udpPorts: Uint32Array;
  readonly sctpPorts: Uint32Array;
  /** `I:0` (echo) and `I:1` (timestamp) are scanned. */
  readonly icmpEcho: boolean;
  readonly icmpTimestamp: boolean;
  /**
   * UDP ports whose probe carries the cookie in a field the reply echoes, ascending, with
   * how the reply echoes it (`UdpEcho`) and the field's offset in the reply's payload.
   */
  readonly udpEchoPorts: Int32Array;
  readonly udpEchoRule: Uint8Array;
  readonly udpEchoOff: Int32Array;
}

export function hasPort(bits: Uint32Array, p: number): boolean {
  return (bits[p >>> 5] & (1 << (p & 31))) !== 0;
}

/** Is the sender of the decoded packet a target of the plan (its address only)? */
export function fromTarget(c: ClassifyContext, d: Decoded, v4: boolean): boolean {
  return v4 ? inRanges4(c.targets4, d.src | 0) : inRanges6(c.targets6, d.src6);
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
  /** Our address (v4, int32 bits) and port the reply came to; the RST's sequence number (their ack, int32 bits). */
  myIp = 0;
  myPort = 0;
  rstSeq = 0;
}

export function isOurPort(c: ClassifyContext, p: number): boolean {
  return p >= c.portBegin && p <= c.portEnd;
}

export function isOurIp4(c: ClassifyContext, ip: number): boolean {
  return c.has4 && ((ip - c.ip4Begin) >>> 0) <= ((c.ip4End - c.ip4Begin) >>> 0);
}

export function isOurIp6(c: ClassifyContext, w: Uint32Array): boolean {
  const m = c.ip6;
  return c.has6 && w[0] === m[0] && w[1] === m[1] && w[2] === m[2] && w[3] === m[3];
}

/** Compare the address r[o..o+3] with w[0..3] (u32 words, most significant first): -1, 0, 1. */
export function cmp6(r: Uint32Array, o: number, w: Uint32Array): number {
  for (let i = 0; i < 4; i++) {
    const a = r[o + i], b = w[i];
    if (a !== b) return a < b ? -1 : 1;
  }
  return 0;
}

/** Is the IPv6 address w (four words) inside one of the ranges of `r` (8 words per range, sorted, disjoint)? */
export function inRanges6(r: Uint32Array, w: Uint32Array): boolean {
  let lo = 0;
  let hi = (r.length >>> 3) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp6(r, 8 * mid, w) > 0) hi = mid - 1;
    else if (cmp6(r, 8 * mid + 4, w) < 0) lo = mid + 1;
    else return true;
  }
  return false;
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

export function setTheirs4(v: Verdict, ip: number): void {
  v.version = 4;
  v.ip[0] = ip; v.ip[1] = 0; v.ip[2] = 0; v.ip[3] = 0;
}

export function setTheirs6(v: Verdict, w: Uint32Array): void {
  v.version = 6;
  v.ip[0] = w[0]; v.ip[1] = w[1]; v.ip[2] = w[2]; v.ip[3] = w[3];
}
