/**
 * SCTP INIT probes: the template over IPv4 and IPv6, and the classifier of the replies
 * (INIT ACK -> open, ABORT -> closed). See frame.ts for how templates are patched.
 */
import { CookieKey, cookie4, cookie6 } from '../crypto/cookie.js';
import { Decoded } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { SctpChunkType, SCTP_HEADER_LEN, SCTP_INIT_LEN, SctpField, SctpChunkField, SctpPacket, emitSctp, sctpChecksum, type SctpRepr } from '../wire/sctp.js';
import { setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum } from '../wire/checksum.js';
import { Ipv4Field } from '../wire/ipv4.js';
import { Ipv6Field } from '../wire/ipv6.js';
import { Ipv4Options, Ipv6Options, PROBE_FIELDS, checkLink4, checkLink6, ip6Words, buildBase4, buildBase6 , setDst6 } from './frame.js';
import { ClassifyContext, RecStatus, RecordKind, SCTP_BASE, Verdict, fromTarget, hasPort, isOurPort, setTheirs4, setTheirs6 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SRC_PORT = 3, PF_SEQ = 4, PF_DST6 = 5;

export const SCTP_A_RWND = 32768;
export const SCTP_OUT_STREAMS = 10;
export const SCTP_IN_STREAMS = 2048;
export const SCTP_INITIAL_TSN = 0;

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
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
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
    const sctpLen = SCTP_HEADER_LEN + SCTP_INIT_LEN;
    const { frame: b, len, l2, l4, sum } = buildBase4(link, checkLink4(link), IpProtocol.SCTP, sctpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
    this.ipSum0 = sum;
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
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
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
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
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
    const sctpLen = SCTP_HEADER_LEN + SCTP_INIT_LEN;
    const { frame: b, len, l2, l4 } = buildBase6(link, hop, IpProtocol.SCTP, sctpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
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
    setDst6(f, dst, dstOff);
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = cookie;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
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

/**
 * An SCTP packet to one of our source ports (decoded 'ok', addressed to us) with our cookie as
 * its verification tag: INIT ACK -> open, ABORT -> closed.
 */
export function classifySctp(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, v4: boolean): number {
  if (!isOurPort(c, d.dstPort)) return 0;
  const t = d.sctpChunkType;
  if (t !== SctpChunkType.INIT_ACK && t !== SctpChunkType.ABORT) return 0;
  if (!hasPort(c.sctpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
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
