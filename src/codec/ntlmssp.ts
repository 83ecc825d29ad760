/**
 * NTLMSSP (MS-NLMP §2.2) as much as a banner needs: our NEGOTIATE_MESSAGE, wrapped in a SPNEGO
 * NegTokenInit (RFC 4178 §4.2.1) for SMB's SESSION_SETUP, and a reader of the server's
 * CHALLENGE_MESSAGE: its flags, its VERSION (MS-NLMP §2.2.2.10: the server's OS major.minor
 * and build) and its target info AV pairs (§2.2.2.1: NetBIOS and DNS names of the computer,
 * domain and forest, the timestamp).
 *
 * The reader finds the CHALLENGE by its signature anywhere in the security blob, so it works
 * whether the server wrapped it in SPNEGO (NegTokenResp) or not, with no BER decoder. Every
 * field is bounds-checked against the message.
 */
import { le16, le32, utf16At } from './frame.js';

/** "NTLMSSP\0" (MS-NLMP §2.2.1: Signature). */
export const NTLMSSP_SIGNATURE = Uint8Array.from([0x4e, 0x54, 0x4c, 0x4d, 0x53, 0x53, 0x50, 0x00]);

// MS-NLMP §2.2.2.5 NEGOTIATE flags.
export const NTLMSSP_NEGOTIATE_UNICODE = 0x00000001;
export const NTLMSSP_REQUEST_TARGET = 0x00000004;
export const NTLMSSP_NEGOTIATE_NTLM = 0x00000200;
export const NTLMSSP_NEGOTIATE_ALWAYS_SIGN = 0x00008000;
export const NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY = 0x00080000;
export const NTLMSSP_NEGOTIATE_TARGET_INFO = 0x00800000;
export const NTLMSSP_NEGOTIATE_VERSION = 0x02000000;
export const NTLMSSP_NEGOTIATE_128 = 0x20000000;
export const NTLMSSP_NEGOTIATE_56 = 0x80000000;

const OUR_FLAGS = (NTLMSSP_NEGOTIATE_UNICODE | NTLMSSP_REQUEST_TARGET | NTLMSSP_NEGOTIATE_NTLM |
  NTLMSSP_NEGOTIATE_ALWAYS_SIGN | NTLMSSP_NEGOTIATE_EXTENDED_SESSIONSECURITY | NTLMSSP_NEGOTIATE_TARGET_INFO |
  NTLMSSP_NEGOTIATE_VERSION | NTLMSSP_NEGOTIATE_128 | NTLMSSP_NEGOTIATE_56) >>> 0;

/**
 * Our NEGOTIATE_MESSAGE (MS-NLMP §2.2.1.1): no domain or workstation (empty fields pointing at
 * the payload's start, 40), and a VERSION of 10.0 build 0, NTLMSSP_REVISION_W2K3 (0x0F).
 */
export function ntlmNegotiate(): Uint8Array {
  const m = new Uint8Array(40);
  m.set(NTLMSSP_SIGNATURE, 0);
  m[8] = 1; // MessageType NtLmNegotiate
  m[12] = OUR_FLAGS & 0xff;
  m[13] = (OUR_FLAGS >>> 8) & 0xff;
  m[14] = (OUR_FLAGS >>> 16) & 0xff;
  m[15] = OUR_FLAGS >>> 24;
  // DomainNameFields (16..23) and WorkstationFields (24..31): length 0, offset 40
  m[20] = 40;
  m[28] = 40;
  // Version (32..39): major 10, minor 0, build 0, reserved, NTLMRevisionCurrent 0x0F
  m[32] = 10;
  m[39] = 0x0f;
  return m;
}

function derLen(n: number): number[] {
  // every length here is under 128 (short form), but stay correct above it
  return n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
}

function tlv(tag: number, body: readonly number[]): number[] {
  return [tag, ...derLen(body.length), ...body];
}

/** OID 1.3.6.1.5.5.2 (SPNEGO, RFC 4178 §3). */
const SPNEGO_OID = [0x2b, 0x06, 0x01, 0x05, 0x05, 0x02];
/** OID 1.3.6.1.4.1.311.2.2.10 (NTLMSSP, MS-SPNG §1.9). */
const NTLMSSP_OID = [0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a];

/**
 * `token` in a GSS-API InitialContextToken (RFC 2743 §3.1) carrying a SPNEGO NegTokenInit
 * (RFC 4178 §4.2.1) with mechTypes = [NTLMSSP] and mechToken = token.
 */
export function spnegoInit(token: Uint8Array): Uint8Array {
  const mechTypes = tlv(0xa0, tlv(0x30, tlv(0x06, NTLMSSP_OID)));
  const mechToken = tlv(0xa2, tlv(0x04, [...token]));
  const negTokenInit = tlv(0xa0, tlv(0x30, [...mechTypes, ...mechToken]));
  return Uint8Array.from(tlv(0x60, [...tlv(0x06, SPNEGO_OID), ...negTokenInit]));
}

/** What a CHALLENGE_MESSAGE tells. Names are '' when absent. */
export interface NtlmChallenge {
  readonly flags: number;
  /** The TargetName field (the domain or server name, per the flags). */
  readonly targetName: string;
  /** VERSION, when the message has one (NTLMSSP_NEGOTIATE_VERSION). */
  readonly version: { readonly major: number; readonly minor: number; readonly build: number; readonly ntlmRevision: number } | null;
  readonly nbComputer: string;
  readonly nbDomain: string;
  readonly dnsComputer: string;
  readonly dnsDomain: string;
  readonly dnsTree: string;
  /** MsvAvTimestamp as a FILETIME (100 ns since 1601), in ms since 1970; null when absent. */
  readonly timestampMs: number | null;
}

/** Index of "NTLMSSP\0" followed by MessageType 2 in b[off, end), or -1. */
export function findChallenge(b: Uint8Array, off: number, end: number): number {
  outer: for (let i = Math.max(0, off); i + 12 <= end; i++) {
    for (let k = 0; k < 8; k++) if (b[i + k] !== NTLMSSP_SIGNATURE[k]) continue outer;
    if (le32(b, i + 8, end) === 2) return i;
  }
  return -1;
}

/** A FILETIME (two LE u32 at i) in ms since 1970, or null. */
export function filetimeMs(b: Uint8Array, i: number, end: number): number | null {
  const lo = le32(b, i, end);
  const hi = le32(b, i + 4, end);
  if (lo < 0 || hi < 0 || (lo === 0 && hi === 0)) return null;
  // 11644473600 s between 1601-01-01 and 1970-01-01
  return (hi * 4294967296 + lo) / 10000 - 11644473600000;
}

/**
 * The CHALLENGE_MESSAGE at b[at, end) (MS-NLMP §2.2.1.2), or null when it is too short to be
 * one. Fields that point outside the message are read as empty.
 */
export function parseChallenge(b: Uint8Array, at: number, end: number): NtlmChallenge | null {
  if (at < 0 || end > b.length || end - at < 48 || le32(b, at + 8, end) !== 2) return null;
  const field = (f: number): [number, number] => {
    const len = le16(b, at + f, end);
    const o = le32(b, at + f + 4, end);
    if (len <= 0 || o < 0 || o > end - at || len > end - at - o) return [0, 0];
    return [at + o, len];
  };
  const flags = le32(b, at + 20, end);
  const [tnOff, tnLen] = field(12);
  const unicode = (flags & NTLMSSP_NEGOTIATE_UNICODE) !== 0;
  let targetName = '';
  if (tnLen > 0) {
    if (unicode) targetName = utf16At(b, tnOff, tnLen, end);
    else for (let k = 0; k < tnLen; k++) targetName += String.fromCharCode(b[tnOff + k]!);
  }
  // VERSION sits at 48 when present; the payload (offsets of the fields) starts after it.
  const [tiOff, tiLen] = field(40);
  let version: NtlmChallenge['version'] = null;
  if ((flags & NTLMSSP_NEGOTIATE_VERSION) !== 0 && end - at >= 56) {
    version = { major: b[at + 48]!, minor: b[at + 49]!, build: le16(b, at + 50, end), ntlmRevision: b[at + 55]! };
  }
  let nbComputer = '', nbDomain = '', dnsComputer = '', dnsDomain = '', dnsTree = '';
  let timestampMs: number | null = null;
  // MS-NLMP §2.2.2.1: AV_PAIRs, AvId and AvLen (u16 each), ending with MsvAvEOL.
  const tiEnd = tiOff + tiLen;
  let i = tiOff;
  while (i + 4 <= tiEnd) {
    const id = le16(b, i, tiEnd);
    const len = le16(b, i + 2, tiEnd);
    i += 4;
    if (id === 0 || len > tiEnd - i) break;
    const s = (): string => utf16At(b, i, len, tiEnd);
    switch (id) {
      case 1: nbComputer = s(); break;
      case 2: nbDomain = s(); break;
      case 3: dnsComputer = s(); break;
      case 4: dnsDomain = s(); break;
      case 5: dnsTree = s(); break;
      case 7: if (len === 8) timestampMs = filetimeMs(b, i, tiEnd); break;
    }
    i += len;
  }
  return { flags, targetName, version, nbComputer, nbDomain, dnsComputer, dnsDomain, dnsTree, timestampMs };
}
