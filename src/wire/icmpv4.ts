/**
 * ICMP for IPv4 (RFC 792): echo request/reply, destination unreachable (with the quoted
 * datagram), and any other type kept as numbers and bytes.
 *
 *   0     1     2        4                 8
 *   | type| code| cksum  | rest of header  | data (echo payload, or the quoted IP header + data)
 *                        | ident | seq     |              (echo)
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import type { WireError } from './wire-error.js';

export const ICMPV4_HEADER_LEN = 8;

export const Icmpv4Field = { TYPE: 0, CODE: 1, CHECKSUM: 2, IDENT: 4, SEQ: 6, REST: 4, DATA: 8 } as const;

export const Icmpv4Type = {
  ECHO_REPLY: 0,
  DST_UNREACHABLE: 3,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
} as const;

/** Codes of type 3 (RFC 792, RFC 1812 §5.2.7.1). */
export const Icmpv4Unreachable = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  ADMIN_PROHIBITED: 13,
} as const;

export class Icmpv4Packet {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /** After `null`: the 8-byte header lies inside the view; the data is the rest of it. */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < ICMPV4_HEADER_LEN) return 'truncated';
    return null;
  }

  msgType(): number {
    return this.buf[this.off + Icmpv4Field.TYPE];
  }
  code(): number {
    return this.buf[this.off + Icmpv4Field.CODE];
  }
  checksum(): number {
    return getU16(this.buf, this.off + Icmpv4Field.CHECKSUM);
  }
  ident(): number {
    return getU16(this.buf, this.off + Icmpv4Field.IDENT);
  }
  seq(): number {
    return getU16(this.buf, this.off + Icmpv4Field.SEQ);
  }
  /** The 32 bits after the checksum (unused / next-hop MTU / gateway / pointer). */
  restOfHeader(): number {
    return getU32(this.buf, this.off + Icmpv4Field.REST);
  }
  dataOff(): number {
    return this.off + ICMPV4_HEADER_LEN;
  }
  dataLen(): number {
    return this.len - ICMPV4_HEADER_LEN;
  }
  /** The checksum covers the whole message (RFC 792). */
  verifyChecksum(): boolean {
    return internetChecksum(this.buf, this.off, this.len) === 0;
  }

  setMsgType(v: number): void {
    this.buf[this.off + Icmpv4Field.TYPE] = v;
  }
  setCode(v: number): void {
    this.buf[this.off + Icmpv4Field.CODE] = v;
  }
  setChecksum(v: number): void {
    setU16(this.buf, this.off + Icmpv4Field.CHECKSUM, v);
  }
  setIdent(v: number): void {
    setU16(this.buf, this.off + Icmpv4Field.IDENT, v);
  }
  setSeq(v: number): void {
    setU16(this.buf, this.off + Icmpv4Field.SEQ, v);
  }
  setRestOfHeader(v: number): void {
    setU32(this.buf, this.off + Icmpv4Field.REST, v);
  }
  fillChecksum(): void {
    this.setChecksum(0);
    this.setChecksum(internetChecksum(this.buf, this.off, this.len));
  }
}

export type Icmpv4Repr =
  | { kind: 'echo-request' | 'echo-reply'; ident: number; seq: number; data: Uint8Array }
  /** `quoted`: the original IP header + at least 8 bytes of its data (RFC 792), as sent back. */
  | { kind: 'dst-unreachable'; code: number; restOfHeader: number; quoted: Uint8Array }
  | { kind: 'other'; type: number; code: number; restOfHeader: number; data: Uint8Array };

/** Parse a message; `verifyChecksum` false skips the checksum check. Data are views. */
export function parseIcmpv4(pkt: Icmpv4Packet, verifyChecksum = true): Icmpv4Repr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (verifyChecksum && !pkt.verifyChecksum()) return 'bad-checksum';
  const data = pkt.buf.subarray(pkt.dataOff(), pkt.off + pkt.len);
  const type = pkt.msgType();
  if ((type === Icmpv4Type.ECHO_REQUEST || type === Icmpv4Type.ECHO_REPLY) && pkt.code() === 0) {
    return {
      kind: type === Icmpv4Type.ECHO_REQUEST ? 'echo-request' : 'echo-reply',
      ident: pkt.ident(),
      seq: pkt.seq(),
      data,
    };
  }
  if (type === Icmpv4Type.DST_UNREACHABLE) {
    return { kind: 'dst-unreachable', code: pkt.code(), restOfHeader: pkt.restOfHeader(), quoted: data };
  }
  return { kind: 'other', type, code: pkt.code(), restOfHeader: pkt.restOfHeader(), data };
}

export function icmpv4BufferLen(repr: Icmpv4Repr): number {
  return ICMPV4_HEADER_LEN + (repr.kind === 'dst-unreachable' ? repr.quoted.length : repr.data.length);
}

/** Write the message at `pkt.off` with its checksum; the view must be exactly the message. */
export function emitIcmpv4(repr: Icmpv4Repr, pkt: Icmpv4Packet): void {
  switch (repr.kind) {
    case 'echo-request':
    case 'echo-reply':
      pkt.setMsgType(repr.kind === 'echo-request' ? Icmpv4Type.ECHO_REQUEST : Icmpv4Type.ECHO_REPLY);
      pkt.setCode(0);
      pkt.setIdent(repr.ident);
      pkt.setSeq(repr.seq);
      pkt.buf.set(repr.data, pkt.dataOff());
      break;
    case 'dst-unreachable':
      pkt.setMsgType(Icmpv4Type.DST_UNREACHABLE);
      pkt.setCode(repr.code);
      pkt.setRestOfHeader(repr.restOfHeader);
      pkt.buf.set(repr.quoted, pkt.dataOff());
      break;
    case 'other':
      pkt.setMsgType(repr.type);
      pkt.setCode(repr.code);
      pkt.setRestOfHeader(repr.restOfHeader);
      pkt.buf.set(repr.data, pkt.dataOff());
      break;
  }
  const view = new Icmpv4Packet(pkt.buf, pkt.off, icmpv4BufferLen(repr));
  view.fillChecksum();
}
