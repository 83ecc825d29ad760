/**
 * SMB banners (reference masscan-compat §9.3 "139 / 445", §9.4 `smb`).
 *
 * The hello: on 445 an SMB1 NEGOTIATE offering `NT LM 0.12`, `SMB 2.002` and `SMB 2.???`
 * (`--hello smbv1`: `NT LM 0.12` only); on 139 the same after an RFC 1002 §4.3.2 SESSION
 * REQUEST (called `*SMBSERVER`, calling `TIDESCAN`), sent together.
 *
 * The conversation:
 * - an SMB2 server answers with an SMB2 NEGOTIATE response. Dialect 0x02FF (MS-SMB2 §3.3.5.3.1:
 *   "SMB 2.???" offered, the server speaks SMB 2.1 or later) asks for an SMB2 NEGOTIATE, which
 *   we send offering 2.0.2 to 3.1.1; the final response gives the dialect, the security mode,
 *   the server GUID and its times;
 * - an SMB1 server answers with an SMB1 NEGOTIATE response (its dialect, security mode and
 *   time; with extended security its GUID; without, its domain and server names);
 * - then an SMB2 SESSION_SETUP (or SMB1 SESSION_SETUP_ANDX) carrying an NTLMSSP NEGOTIATE in
 *   SPNEGO: the server's CHALLENGE tells its version and names (codec/ntlmssp.ts); SMB1 also
 *   gives its native OS and LAN manager strings. Then we close: no authentication happens.
 *
 * The `smb` banner, one line, e.g.
 *   `SMBv2 dialect=3.1.1 signing=enabled guid=… time=2026-…Z boottime=none ver=6.1.0
 *    domain=SAMBA name=HOST domain-dns=… name-dns=…`
 * with ` os=…` (SMB1's native OS) where the server sends it. NOTE: the words are ours; masscan
 * prints the same facts (` os=… ver=… domain=… name=…`) in its own arrangement.
 *
 * Bounded: a NetBIOS message over 128 KiB, a header that is not NetBIOS, or anything not SMB
 * ends the conversation; bytes that are not SMB at all become an `unknown` banner.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { Framer, clean, le16, le32 } from '../codec/frame.js';
import { BANNER_CAPS, UnknownKeeper } from './caps.js';
import { filetimeMs, findChallenge, ntlmNegotiate, parseChallenge, spnegoInit, type NtlmChallenge } from '../codec/ntlmssp.js';

export const SMB_APPS: readonly AppName[] = ['smb'];

/** The largest NetBIOS session message read. */
const MAX_MESSAGE = 131072;

/** Dialects of our SMB1 NEGOTIATE, in order (their index is what an SMB1 server answers). */
export const SMB1_DIALECTS = ['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'] as const;

/** SMB2 dialects of our SMB2 NEGOTIATE (MS-SMB2 §2.2.3). */
export const SMB2_DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] as const;

const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;

function nbss(body: readonly number[] | Uint8Array): Uint8Array {
  // RFC 1002 §4.3.1 SESSION MESSAGE: type 0, flags, 16-bit length (MS-SMB2 §2.1 uses a 24-bit
  // length over 445; our messages are short).
  const m = new Uint8Array(4 + body.length);
  m[2] = (body.length >> 8) & 0xff;
  m[3] = body.length & 0xff;
  m.set(body, 4);
  return m;
}

/** An SMB1 header (MS-CIFS §2.2.3.1) for `command`, Flags2 unicode | NT status | extended security | long names. */
function smb1Header(command: number, mid: number): number[] {
  const h = new Array<number>(32).fill(0);
  h[0] = 0xff; h[1] = 0x53; h[2] = 0x4d; h[3] = 0x42;
  h[4] = command;
  h[9] = 0x18; // Flags: case-insensitive paths, canonicalized names
  h[10] = 0x01; h[11] = 0xc8; // Flags2 0xC801
  h[26] = 0xff; h[27] = 0xfe; // PIDLow
  h[30] = mid & 0xff; h[31] = mid >> 8;
  return h;
}

/** The SMB1 NEGOTIATE (MS-CIFS §2.2.4.52.1) in a NetBIOS session message. */
export function smb1Negotiate(v1Only: boolean): Uint8Array {
  const dialects: number[] = [];
  for (const d of v1Only ? SMB1_DIALECTS.slice(0, 1) : SMB1_DIALECTS) {
    dialects.push(0x02, ...Buffer.from(d, 'latin1'), 0);
  }
  return nbss([...smb1Header(0x72, 0), 0, dialects.length & 0xff, dialects.length >> 8, ...dialects]);
}

/** RFC 1002 §4.1.1 first-level encoding of a NetBIOS name (15 chars padded, suffix byte). */
export function netbiosName(name: string, suffix: number): number[] {
  const n = (name.toUpperCase() + ' '.repeat(15)).slice(0, 15);
  const out = [0x20];
  const enc = (c: number): void => { out.push(0x41 + (c >> 4), 0x41 + (c & 15)); };
  for (let k = 0; k < 15; k++) enc(n.charCodeAt(k) & 0xff);
  enc(suffix);
  out.push(0);
  return out;
}

/** RFC 1002 §4.3.2 SESSION REQUEST: called `*SMBSERVER` (suffix 0x20), calling TIDESCAN. */
export function nbSessionRequest(): Uint8Array {
  const body = [...netbiosName('*SMBSERVER', 0x20), ...netbiosName('TIDESCAN', 0x00)];
  return Uint8Array.from([0x81, 0, 0, body.length, ...body]);
}

/** An SMB2 header (MS-SMB2 §2.2.1.2) for `command`, message id `mid`, one credit asked. */
function smb2Header(command: number, mid: number, credits: number): number[] {
  const h = new Array<number>(64).fill(0);
  h[0] = 0xfe; h[1] = 0x53; h[2] = 0x4d; h[3] = 0x42;
  h[4] = 64; // StructureSize
  h[12] = command;
  h[14] = credits;
  h[24] = mid;
  return h;
}

/**
 * The SMB2 NEGOTIATE (MS-SMB2 §2.2.3) offering SMB2_DIALECTS, with the
 * SMB2_PREAUTH_INTEGRITY_CAPABILITIES context that 3.1.1 requires (§2.2.3.1.1: SHA-512, a
 * 32-byte salt). Signing enabled, no capabilities.
 */
export function smb2Negotiate(clientGuid: Uint8Array, salt: Uint8Array): Uint8Array {
  const body: number[] = [36, 0, SMB2_DIALECTS.length, 0, 0x01, 0, 0, 0, 0, 0, 0, 0];
  for (let k = 0; k < 16; k++) body.push(clientGuid[k] ?? 0);
  const ctxAt = 64 + 36 + SMB2_DIALECTS.length * 2;
  const padded = (ctxAt + 7) & ~7; // §2.2.3.1: "the first negotiate context ... MUST be 8-byte aligned"
  body.push(padded & 0xff, padded >> 8, 0, 0, 1, 0, 0, 0); // NegotiateContextOffset, Count 1, Reserved2
  for (const d of SMB2_DIALECTS) body.push(d & 0xff, d >> 8);
  while (64 + body.length < padded) body.push(0);
  // context: type 1, DataLength 38, Reserved; HashAlgorithmCount 1, SaltLength 32, SHA-512, salt
  body.push(1, 0, 38, 0, 0, 0, 0, 0, 1, 0, 32, 0, 1, 0);
  for (let k = 0; k < 32; k++) body.push(salt[k] ?? 0);
  return nbss([...smb2Header(0x00, 1, 1), ...body]);
}

/** The SMB2 SESSION_SETUP (MS-SMB2 §2.2.5) carrying SPNEGO(NTLMSSP NEGOTIATE). */
export function smb2SessionSetup(mid: number): Uint8Array {
  const blob = spnegoInit(ntlmNegotiate());
  const body = [25, 0, 0, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 88, 0, blob.length & 0xff, blob.length >> 8, 0, 0, 0, 0, 0, 0, 0, 0, ...blob];
  return nbss([...smb2Header(0x01, mid, 1), ...body]);
}

/** The SMB1 SESSION_SETUP_ANDX with extended security (MS-SMB §2.2.4.6.1) carrying SPNEGO(NTLMSSP NEGOTIATE). */
export function smb1SessionSetup(): Uint8Array {
  const blob = spnegoInit(ntlmNegotiate());
  const words = [
    0xff, 0, 0, 0, // AndXCommand none, reserved, AndXOffset
    0xff, 0xff, 2, 0, 1, 0, // MaxBufferSize, MaxMpxCount, VcNumber
    0, 0, 0, 0, // SessionKey
    blob.length & 0xff, blob.length >> 8, 0, 0, 0, 0, // SecurityBlobLength, Reserved
    0x5c, 0xd0, 0x00, 0x80, // Capabilities: unicode, NT status, NT SMBs, large files, extended security
  ];
  // Bytes: blob, then NativeOS and NativeLanMan as empty unicode strings, 2-aligned.
  const bytes = [...blob];
  if ((32 + 1 + words.length + 2 + bytes.length) % 2 === 1) bytes.push(0);
  bytes.push(0, 0, 0, 0);
  return nbss([...smb1Header(0x73, 1), 12, ...words, bytes.length & 0xff, bytes.length >> 8, ...bytes]);
}

/** A GUID (MS-DTYP §2.3.4.2: first three fields little-endian) as text. */
function guidText(b: Uint8Array, i: number): string {
  const h = (k: number): string => b[i + k]!.toString(16).padStart(2, '0');
  return `${h(3)}${h(2)}${h(1)}${h(0)}-${h(5)}${h(4)}-${h(7)}${h(6)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}

function timeText(ms: number | null): string {
  if (ms === null || !(ms > -8.64e15 && ms < 8.64e15)) return 'none';
  const d = new Date(Math.round(ms));
  return Number.isNaN(d.getTime()) ? 'none' : d.toISOString();
}

function dialectText(d: number): string {
  if (d === 0x02ff) return '2.???';
  return `${d >> 8}.${(d >> 4) & 15}.${d & 15}`;
}

/** The NTLMSSP facts as banner words. */
export function challengeText(c: NtlmChallenge): string {
  let s = '';
  if (c.version !== null) s += ` ver=${c.version.major}.${c.version.minor}.${c.version.build}`;
  if (c.nbDomain !== '') s += ` domain=${clean(c.nbDomain)}`;
  if (c.nbComputer !== '') s += ` name=${clean(c.nbComputer)}`;
  if (c.dnsDomain !== '') s += ` domain-dns=${clean(c.dnsDomain)}`;
  if (c.dnsComputer !== '') s += ` name-dns=${clean(c.dnsComputer)}`;
  if (c.dnsTree !== '' && c.dnsTree !== c.dnsDomain) s += ` forest=${clean(c.dnsTree)}`;
  if (c.nbDomain === '' && c.nbComputer === '' && c.targetName !== '') s += ` target=${clean(c.targetName)}`;
  return s;
}

const enum S { Smb, Unknown, Done }

class SmbParser implements BannerParser {
  private state = S.Smb;
  private readonly framer = new Framer(4, (h) => {
    // RFC 1002 §4.3.1: SESSION MESSAGE 0x00, POSITIVE 0x82, NEGATIVE 0x83, RETARGET 0x84,
    // KEEP ALIVE 0x85. Over 445 MS-SMB2 §2.1 makes the length 24 bits after a zero byte.
    const t = h[0]!;
    if (t !== 0x00 && t !== 0x82 && t !== 0x83 && t !== 0x84 && t !== 0x85) return -1;
    return 4 + ((h[1]! << 16) | (h[2]! << 8) | h[3]!);
  }, MAX_MESSAGE);
  private messages = 0;
  private readonly unknownKept = new UnknownKeeper();
  private negotiated2 = false;

  constructor(private readonly out: BannerOut, private readonly conv: Conversation, private readonly random: (n: number) => Uint8Array) {}

  data(buf: Uint8Array, off: number, len: number): void {
    if (off < 0 || len <= 0 || off + len > buf.length) return;
    if (this.state === S.Unknown) { this.unknown(buf, off, len); return; }
    if (this.state !== S.Smb) return;
    const at = this.framer.push(buf, off, len, (m, n) => {
      this.messages++;
      return this.message(m, n);
    });
    if (this.framer.broken && this.state === S.Smb) {
      if (this.messages === 0) {
        // not NetBIOS/SMB at all: what came is kept as `unknown`
        this.state = S.Unknown;
        const p = this.framer.pending();
        this.unknown(p, 0, p.length);
      } else this.finish();
    }
    // the rest of the chunk after a message that was not SMB
    if (this.state === S.Unknown && at < off + len) this.unknown(buf, at, off + len - at);
  }

  end(): void {
    this.state = S.Done;
  }

  private unknown(b: Uint8Array, off: number, len: number): void {
    if (this.unknownKept.keep(this.out, b, off, len)) this.finish();
  }

  private finish(): void {
    if (this.state === S.Done) return;
    this.state = S.Done;
    this.conv.close();
  }

  private text(s: string): void {
    this.out.appendText('smb', s);
  }

  /** One NetBIOS message m[0, n). Returns false to stop reading. */
  private message(m: Uint8Array, n: number): boolean {
    const t = m[0]!;
    if (t === 0x82 || t === 0x85) return true; // session accepted; keep-alive
    if (t === 0x83 || t === 0x84) {
      // RFC 1002 §4.3.4: NEGATIVE SESSION RESPONSE carries an error code (0x80..0x8F)
      this.text(t === 0x83 ? `NetBIOS session refused (0x${(m[4] ?? 0).toString(16)})` : 'NetBIOS session retarget');
      this.finish();
      return false;
    }
    if (n < 8) { this.finish(); return false; }
    if (m[4] === 0xfe && m[5] === 0x53 && m[6] === 0x4d && m[7] === 0x42) return this.smb2(m, n);
    if (m[4] === 0xff && m[5] === 0x53 && m[6] === 0x4d && m[7] === 0x42) return this.smb1(m, n);
    if (this.messages === 1) {
      this.state = S.Unknown;
      this.unknown(m, 0, n);
      return false;
    }
    this.finish();
    return false;
  }

  private smb2(m: Uint8Array, n: number): boolean {
    const B = 4; // the SMB2 header's start; offsets in SMB2 bodies are from it
    if (n < B + 64) { this.finish(); return false; }
    const status = le32(m, B + 8, n);
    const cmd = le16(m, B + 12, n);
    const body = B + 64;
    if (cmd === 0x00) {
      if (status !== 0 || le16(m, body, n) !== 65 || n < body + 64) {
        this.text(`SMBv2 negotiate status=0x${status.toString(16).padStart(8, '0')}`);
        this.finish();
        return false;
      }
      const dialect = le16(m, body + 4, n);
      if (dialect === 0x02ff && !this.negotiated2) {
        // MS-SMB2 §3.2.5.2: on 0x02FF the client sends an SMB2 NEGOTIATE
        this.negotiated2 = true;
        this.conv.send(smb2Negotiate(this.random(16), this.random(32)));
        return true;
      }
      const sec = le16(m, body + 2, n);
      const signing = (sec & 0x0002) !== 0 ? 'required' : (sec & 0x0001) !== 0 ? 'enabled' : 'disabled';
      this.text(`SMBv2 dialect=${dialectText(dialect)} signing=${signing} guid=${guidText(m, body + 8)}` +
        ` time=${timeText(filetimeMs(m, body + 40, n))} boottime=${timeText(filetimeMs(m, body + 48, n))}`);
      this.conv.send(smb2SessionSetup(this.negotiated2 ? 2 : 1));
      return true;
    }
    if (cmd === 0x01) {
      if (status !== STATUS_MORE_PROCESSING_REQUIRED && status !== 0) {
        this.text(` session-setup status=0x${status.toString(16).padStart(8, '0')}`);
      } else {
        const so = le16(m, body + 4, n);
        const sl = le16(m, body + 6, n);
        this.blob(m, so < 0 ? n : B + so, sl < 0 ? 0 : sl, n);
      }
      this.finish();
      return false;
    }
    this.finish();
    return false;
  }

  /** The NTLMSSP CHALLENGE inside the security blob at m[at, at + len), clipped to n. */
  private blob(m: Uint8Array, at: number, len: number, n: number): void {
    const end = Math.min(n, at + len);
    const i = findChallenge(m, at, end);
    const c = i < 0 ? null : parseChallenge(m, i, end);
    if (c !== null) this.text(challengeText(c));
  }

  private smb1(m: Uint8Array, n: number): boolean {
    const B = 4;
    if (n < B + 33) { this.finish(); return false; }
    const cmd = m[B + 4]!;
    const status = le32(m, B + 5, n);
    const wc = m[B + 32]!;
    const w = B + 33; // the words
    const bcAt = w + wc * 2;
    const bc = le16(m, bcAt, n);
    const bytes = bcAt + 2;
    const bytesEnd = bc < 0 ? n : Math.min(n, bytes + bc);
    if (cmd === 0x72) {
      if (status !== 0 || wc === 0) {
        this.text(`SMBv1 negotiate status=0x${(status < 0 ? 0 : status).toString(16).padStart(8, '0')}`);
        this.finish();
        return false;
      }
      const idx = le16(m, w, n);
      if (wc !== 17) {
        // an older dialect (LANMAN), or no dialect chosen (0xFFFF)
        this.text(idx === 0xffff ? 'SMBv1 no dialect' : `SMBv1 dialect-index=${idx}`);
        this.finish();
        return false;
      }
      const secMode = m[w + 2] ?? 0;
      const caps = le32(m, w + 19, n);
      const signing = (secMode & 0x08) !== 0 ? 'required' : (secMode & 0x04) !== 0 ? 'enabled' : 'disabled';
      const dialect = idx >= 0 && idx < SMB1_DIALECTS.length ? SMB1_DIALECTS[idx]! : `#${idx}`;
      const tz = le16(m, w + 31, n);
      let s = `SMBv1 dialect=${dialect} signing=${signing} time=${timeText(filetimeMs(m, w + 23, n))}`;
      if (tz >= 0) s += ` tz=${(tz << 16) >> 16}`;
      if (caps >= 0 && (caps & 0x80000000) !== 0) {
        if (bytesEnd - bytes >= 16) s += ` guid=${guidText(m, bytes)}`;
        this.text(s);
        this.conv.send(smb1SessionSetup());
        return true;
      }
      // MS-CIFS §2.2.4.52.2 without extended security: Challenge, DomainName, ServerName (unicode)
      const chLen = m[w + 33] ?? 0;
      let i = bytes + chLen;
      const str = (): string => {
        let o = '';
        while (i + 1 < bytesEnd) {
          const c = m[i]! | (m[i + 1]! << 8);
          i += 2;
          if (c === 0) break;
          o += String.fromCharCode(c);
        }
        return o;
      };
      const domain = str();
      const name = str();
      if (domain !== '') s += ` domain=${clean(domain)}`;
      if (name !== '') s += ` name=${clean(name)}`;
      this.text(s);
      this.finish();
      return false;
    }
    if (cmd === 0x73) {
      if (status !== STATUS_MORE_PROCESSING_REQUIRED && status !== 0) {
        this.text(` session-setup status=0x${status.toString(16).padStart(8, '0')}`);
        this.finish();
        return false;
      }
      const bl = wc >= 4 ? le16(m, w + 6, n) : 0;
      const blobLen = bl < 0 ? 0 : Math.min(bl, bytesEnd - bytes);
      this.blob(m, bytes, blobLen, bytesEnd);
      // NativeOS, NativeLanMan: unicode, the first aligned to 2 from the SMB header's start
      let i = bytes + blobLen;
      if ((i - B) % 2 === 1) i++;
      const str = (): string => {
        let o = '';
        while (i + 1 < bytesEnd && o.length < 256) {
          const c = m[i]! | (m[i + 1]! << 8);
          i += 2;
          if (c === 0) break;
          o += String.fromCharCode(c);
        }
        return o;
      };
      const os = str();
      const lanman = str();
      if (os !== '') this.text(` os=${clean(os)}`);
      if (lanman !== '') this.text(` lanman=${clean(lanman)}`);
      this.finish();
      return false;
    }
    this.finish();
    return false;
  }
}

/** The `smb` module for one scan. `v1Only`: --hello smbv1. */
export function smbModule(v1Only: boolean, random: (n: number) => Uint8Array): BannerModule {
  const negotiate = smb1Negotiate(v1Only);
  const on139 = Uint8Array.from([...nbSessionRequest(), ...negotiate]);
  return {
    name: 'smb',
    hello: (t: TargetInfo) => (t.port === 139 ? on139 : negotiate),
    open: (_t, out, conv) => new SmbParser(out, conv, random),
  };
}

