/**
 * TCP SYN probes (and the RST sent after a SYN-ACK): the template over IPv4 and IPv6, the
 * template options of the command line (--tcp-mss .., --data-length), and the classifier of
 * the replies (SYN-ACK -> open, RST -> closed). See frame.ts for how templates are patched.
 */
import { CookieKey, cookie4Hash, cookie6 } from '../crypto/cookie.js';
import { Decoded } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { TcpFlags, TcpField, TcpPacket, emitTcp, tcpBufferLen, type TcpOption, type TcpRepr } from '../wire/tcp.js';
import { setU16, setU32 } from '../wire/bytes.js';
import { foldChecksum, pseudoHeaderSum4, sumWords } from '../wire/checksum.js';
import { Ipv4Field } from '../wire/ipv4.js';
import { Ipv6Field } from '../wire/ipv6.js';
import type { TemplateOptions } from '../core/config.js';
import { Ipv4Options, Ipv6Options, MIN_ETHERNET_FRAME, PROBE_FIELDS, checkLink4, checkLink6, ip6Words, buildBase4, buildBase6 , setDst6 } from './frame.js';
import { ClassifyContext, RecStatus, RecordKind, Verdict, fromTarget, hasPort, isOurPort, setTheirs4, setTheirs6 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1, PF_DST_PORT = 2, PF_SRC_PORT = 3, PF_SEQ = 4, PF_DST6 = 5;

/** TCP window of masscan HEAD's SYN (0x0401). */
export const SYN_WINDOW = 1025;
/** TCP window of masscan's RST and of all user-mode-stack segments. */
export const RST_WINDOW = 1200;
/** masscan HEAD's SYN options: MSS 1460. */
export const DEFAULT_TCP_OPTIONS: readonly TcpOption[] = [{ kind: 'mss', mss: 1460 }];


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

/** What a TcpOptions asks for, with the defaults filled in (setup only; both templates keep these). */
interface TcpShape {
  readonly flags: number;
  readonly window: number;
  readonly options: readonly TcpOption[];
  readonly payload: Uint8Array;
  /** 1 with --badsum (XORed into the finished TCP checksum), else 0. */
  readonly ckXor: number;
}

function tcpShape(tcp: TcpOptions): TcpShape {
  const rst = tcp.kind === 'rst';
  return {
    flags: rst ? TcpFlags.RST : TcpFlags.SYN,
    window: tcp.window ?? (rst ? RST_WINDOW : SYN_WINDOW),
    options: tcp.options ?? DEFAULT_TCP_OPTIONS,
    payload: tcp.payload ?? new Uint8Array(0),
    ckXor: tcp.badsum === true ? 1 : 0,
  };
}

/** The TCP repr of a segment of shape `s` (the base, and tests through TcpTemplate4.repr). */
function tcpRepr(s: Pick<TcpShape, 'flags' | 'window' | 'options' | 'payload'>, srcPort: number, dstPort: number, seq: number): TcpRepr {
  return {
    srcPort, dstPort, seq, ack: 0, flags: s.flags, window: s.window, urgent: 0,
    options: s.options.slice(), payload: s.payload,
  };
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
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
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
    const s = tcpShape(tcp);
    this.flags = s.flags; this.window = s.window; this.options = s.options; this.payload = s.payload; this.ckXor = s.ckXor;
    const repr = tcpRepr(s, 0, 0, 0);
    const tcpLen = tcpBufferLen(repr);
    const { frame: b, len, l2, l4, sum } = buildBase4(link, this.ttl, IpProtocol.TCP, tcpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
    this.ipSum0 = sum;
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
    return tcpRepr(this, srcPort, dstPort, seq);
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
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
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
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
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
    const s = tcpShape(tcp);
    this.flags = s.flags; this.window = s.window; this.options = s.options; this.payload = s.payload; this.ckXor = s.ckXor;
    this.srcWords = ip6Words(link.srcIp);
    const repr = tcpRepr(s, 0, 0, 0);
    const tcpLen = tcpBufferLen(repr);
    const { frame: b, len, l2, l4, sum: pseudo } = buildBase6(link, this.hopLimit, IpProtocol.TCP, tcpLen);
    this.frameLen = len;
    this.maxFrameLen = len;
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
    setDst6(f, dst, dstOff);
    f[PF_DST_PORT] = dstPort; f[PF_SRC_PORT] = srcPort; f[PF_SEQ] = seq;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
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

/**
 * A TCP segment to one of our source ports (decoded 'ok', addressed to us): SYN-ACK -> open,
 * RST -> closed, when it acknowledges our SYN's cookie and comes from a scanned port of a target.
 */
export function classifyTcp(buf: Uint8Array, d: Decoded, c: ClassifyContext, key: CookieKey, v: Verdict, v4: boolean): number {
  if (!isOurPort(c, d.dstPort)) return 0;
  const f = d.tcpFlags;
  const synAck = (f & (TcpFlags.SYN | TcpFlags.ACK | TcpFlags.RST)) === (TcpFlags.SYN | TcpFlags.ACK);
  const rst = (f & TcpFlags.RST) !== 0;
  if (!synAck && !rst) return 0;
  if (!hasPort(c.tcpPorts, d.srcPort) || !fromTarget(c, d, v4)) return 0;
  // int32 bits of the u32 fields across calls (a u32 above 2^31 crossing a call that is not
  // inlined is a heap number: an allocation per reply from 128.0.0.0 up); the hash reads bits.
  let ck: number;
  if (v4) {
    cookie4Hash(key, d.src | 0, d.srcPort, d.dst | 0, d.dstPort);
    ck = key.out[0]!;
  } else ck = cookie6(key, d.src6, 0, d.dst6, 0, d.srcPort, d.dstPort);
  // With --data-length the SYN carries data. RFC 9293 §3.10.7.2: a SYN's data may be
  // queued "for processing after the ESTABLISHED state has been reached", so a listener
  // may ack only the SYN (Linux without TCP Fast Open: ack = cookie + 1) or the data too
  // (a RST from a closed port acks it all: ack = cookie + 1 + data length). Both count.
  const over = (d.tcpAck - 1 - ck) >>> 0;
  if (over !== 0 && over !== c.dataLength) return 0;
  if (v4) setTheirs4(v, d.src | 0); else setTheirs6(v, d.src6);
  v.proto = IpProtocol.TCP; v.port = d.srcPort; v.internalPort = d.srcPort;
  v.status = synAck ? RecStatus.OPEN : RecStatus.CLOSED;
  v.reason = f & 0xff;
  if (synAck) {
    v.rst = true;
    v.myIp = d.dst | 0; v.myPort = d.dstPort; v.rstSeq = d.tcpAck | 0;
  }
  v.kind = RecordKind.STATUS;
  return v.kind;
}
