/**
 * The rest of masscan HEAD's hello table (reference masscan-compat §9.3): one probe per port
 * for protocols whose servers wait for the client, and a small reader of each first reply.
 *
 * Each probe's bytes are masscan HEAD's. Its table sends the probes of nmap's service-probe
 * database (the port lists of §9.3 are those probes' port lists), a Minecraft status ping and a
 * DICOM association request as DCMTK's echoscu sends it; each builder below names the
 * specification its fields come from and the values that make the bytes the same. The unit
 * test checks every probe against those bytes and, where nmap is installed, against
 * nmap-service-probes itself.
 *
 * Each reply is read as one message (its length from its own header, or up to the blank line
 * for the text protocols), at most 4 KiB, then we close. A reply a reader recognises becomes
 * readable text: `dns-ver` (the version.bind TXT) and `minecraft` (the status JSON) have
 * masscan's names; the others have none in masscan (§9.6), so they are `unknown` records with
 * text such as `ldap searchResEntry ...` and the field `service`. A reply no reader
 * recognises is kept raw as `unknown`, as masscan keeps it.
 */
import type { AppName, BannerModule, BannerOut, BannerParser, Conversation, TargetInfo } from './module.js';
import { be16, be32, clean, latin1At, le16, le32 } from '../codec/frame.js';
import { berAt, berInt, berTotal, berWide, der, derInt, derStr, type Tlv } from '../codec/ber.js';
import { dnsAnswerStart, skipDnsName } from './udp-read.js';

/** The most bytes of one reply read. */
export const HELLO_REPLY_MAX = 4096;

/** What a reader made of a reply. */
export interface HelloReading {
  readonly app: AppName;
  readonly text: string;
}

/** One protocol of the table. */
export interface HelloProto {
  /** Registry name (`dns-tcp`, `ldap`, ...). */
  readonly name: string;
  /** The `service` field of a recognised reply. */
  readonly service: string;
  /** §9.3's ports. */
  readonly ports: readonly (number | readonly [number, number])[];
  hello(t: TargetInfo): Uint8Array;
  /**
   * The reply's whole length from its first `have` bytes b[0, have): -1 while more are needed
   * to tell, -2 when these bytes are not this protocol's framing (then what came is kept raw).
   */
  need(b: Uint8Array, have: number): number;
  /** The reply b[0, n) (n may be short of `need` when the connection ended or the cap cut it), or null. */
  read(b: Uint8Array, n: number): HelloReading | null;
}

const u = (s: string): number[] => Array.from(Buffer.from(s, 'latin1'));

// ---------------------------------------------------------------------------------------------
// text protocols (SIP, RTSP, HTTP /version): up to the blank line, plus a Content-Length body

function textNeed(b: Uint8Array, have: number): number {
  for (let i = 3; i < have; i++) {
    if (b[i] === 0x0a && b[i - 1] === 0x0d && b[i - 2] === 0x0a && b[i - 3] === 0x0d) {
      // RFC 9112 §6.3: a Content-Length gives the body's length
      const head = latin1At(b, 0, i + 1, have);
      const m = /\r\ncontent-length:[ \t]*(\d{1,9})/i.exec(head);
      return i + 1 + (m === null ? 0 : Number(m[1]));
    }
  }
  return have >= HELLO_REPLY_MAX ? HELLO_REPLY_MAX : -1;
}

/** `<status line>` and the named headers' values, one line. */
function textRead(prefix: string, headers: readonly string[], body: boolean) {
  return (b: Uint8Array, n: number): HelloReading | null => {
    const s = latin1At(b, 0, n, n);
    const eol = s.indexOf('\r\n');
    const first = eol < 0 ? s : s.slice(0, eol);
    if (!first.startsWith(prefix)) return null;
    let text = clean(first);
    const end = s.indexOf('\r\n\r\n');
    const head = end < 0 ? s : s.slice(0, end);
    for (const h of headers) {
      const m = new RegExp(`\\r\\n${h}:[ \\t]*([^\\r\\n]*)`, 'i').exec(head);
      if (m !== null) text += ` ${h.toLowerCase()}=${clean(m[1]!)}`;
    }
    if (body && end >= 0 && end + 4 < s.length) text += ` ${clean(s.slice(end + 4), 1024)}`;
    return { app: 'unknown', text };
  };
}

// ---------------------------------------------------------------------------------------------
// DNS over TCP (RFC 1035 §4.2.2: a two-octet length before each message)

/** A version.bind CHAOS TXT query (RFC 1035 §4.1; class CH = 3, type TXT = 16), id 6, RD set. */
export function dnsVersionBindQuery(): Uint8Array {
  const msg = [0x00, 0x06, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, ...u('version'), 4, ...u('bind'), 0, 0, 16, 0, 3];
  return Uint8Array.from([msg.length >> 8, msg.length & 0xff, ...msg]);
}

function dnsRead(b: Uint8Array, n: number): HelloReading | null {
  const m = 2; // the message after the TCP length
  const flags = be16(b, m + 2, n);
  if (flags < 0 || (flags & 0x8000) === 0) return null; // QR: a response
  const an = be16(b, m + 6, n);
  let i = n >= m + 12 ? dnsAnswerStart(b, m, n) : -1;
  const txt: string[] = [];
  for (let k = 0; k < an && i >= 0 && i < n; k++) {
    i = skipDnsName(b, i, n);
    if (i < 0) break;
    const type = be16(b, i, n);
    const rdlen = be16(b, i + 8, n);
    if (rdlen < 0 || i + 10 + rdlen > n) break;
    let j = i + 10;
    const rend = j + rdlen;
    if (type === 16) {
      // RFC 1035 §3.3.14: TXT-DATA is one or more <character-string>s (a length octet, then text)
      while (j < rend) {
        const l = b[j]!;
        if (j + 1 + l > rend) break;
        txt.push(latin1At(b, j + 1, l, rend));
        j += 1 + l;
      }
    }
    i = rend;
  }
  if (txt.length > 0) return { app: 'dns-ver', text: clean(txt.join(' '), 1024) };
  return { app: 'unknown', text: `dns rcode=${flags & 15} answers=${an}` };
}

// ---------------------------------------------------------------------------------------------
// Kerberos (RFC 4120 §5.4.1 KDC-REQ, §7.2.2: over TCP a 4-octet length first)

/**
 * AS-REQ for krbtgt/NM@NM (RFC 4120 §5.4.1) with no client name and no pre-auth: kdc-options
 * forwardable, proxiable, renewable, renewable-ok; till 1970-01-01; nonce 0x1f1eb9d9; etypes
 * aes256, aes128, des3, rc4, des-cbc-crc, des-cbc-md5, des-cbc-md4. The three outer lengths are
 * written in the two-octet long form (0x81 n), as the probe is.
 */
export function kerberosAsReq(): Uint8Array {
  const body = der(0x30, [
    ...der(0xa0, der(0x03, [0, 0x50, 0x80, 0, 0x10])), // kdc-options (a BIT STRING, no unused bits)
    ...der(0xa2, derStr(0x1b, 'NM')), // realm
    ...der(0xa3, der(0x30, [...der(0xa0, derInt(0)), ...der(0xa1, der(0x30, [...derStr(0x1b, 'krbtgt'), ...derStr(0x1b, 'NM')]))])), // sname, NT-UNKNOWN
    ...der(0xa5, derStr(0x18, '19700101000000Z')), // till
    ...der(0xa7, derInt(0x1f1e_b9d9)), // nonce
    ...der(0xa8, der(0x30, [18, 17, 16, 23, 1, 3, 2].flatMap((e) => derInt(e)))), // etype
  ]);
  const req = berWide(0x6a, berWide(0x30, [...der(0xa1, derInt(5)), ...der(0xa2, derInt(10)), ...berWide(0xa4, body, 1)], 1), 1);
  const n = req.length;
  return Uint8Array.from([n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, ...req]);
}

/** RFC 4120 §7.5.9 error codes a KDC answers an unauthenticated AS-REQ with. */
const KRB_ERRORS: Readonly<Record<number, string>> = {
  6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN', 7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN', 14: 'KDC_ERR_ETYPE_NOSUPP',
  24: 'KDC_ERR_PREAUTH_FAILED', 25: 'KDC_ERR_PREAUTH_REQUIRED', 68: 'KDC_ERR_WRONG_REALM',
};

/** Children of a constructed TLV, by context tag number ([n] -> its inner TLV). */
function fields(b: Uint8Array, t: Tlv): Map<number, Tlv> {
  const out = new Map<number, Tlv>();
  let i = t.start;
  while (i < t.end) {
    const c = berAt(b, i, t.end);
    if (c === null) break;
    if ((c.tag & 0xe0) === 0xa0) {
      const inner = berAt(b, c.start, c.end);
      if (inner !== null) out.set(c.tag & 0x1f, inner);
    }
    i = c.end;
  }
  return out;
}

function kerberosRead(b: Uint8Array, n: number): HelloReading | null {
  const app = berAt(b, 4, n);
  if (app === null) return null;
  const seq = berAt(b, app.start, app.end);
  if (seq === null || seq.tag !== 0x30) return null;
  const f = fields(b, seq);
  const str = (k: number): string => { const t = f.get(k); return t === undefined ? '' : clean(latin1At(b, t.start, t.end - t.start, n)); };
  if (app.tag === 0x7e) {
    // KRB-ERROR (§5.9.1): stime [4], error-code [6], realm [9], e-text [11]
    const code = f.has(6) ? berInt(b, f.get(6)!) : null;
    let s = `kerberos error=${code ?? '?'}`;
    if (code !== null && KRB_ERRORS[code] !== undefined) s += ` (${KRB_ERRORS[code]})`;
    if (str(9) !== '') s += ` realm=${str(9)}`;
    if (str(4) !== '') s += ` stime=${str(4)}`;
    if (str(11) !== '') s += ` text=${str(11)}`;
    return { app: 'unknown', text: s };
  }
  if (app.tag === 0x6b) return { app: 'unknown', text: `kerberos as-rep realm=${str(3)}` }; // AS-REP: crealm [3]
  return null;
}

// ---------------------------------------------------------------------------------------------
// Sun RPC (RFC 5531 §9 call body, §11 record marking over TCP)

/**
 * A NULL procedure call to the portmapper (program 100000) for version 104316, which no server
 * has: an RPC server answers PROG_MISMATCH with the lowest and highest versions it serves
 * (RFC 5531 §9), a banner of itself. xid 0x72fe1d13, AUTH_NONE. The same probe on 111 and 2049.
 */
export function rpcNullCall(): Uint8Array {
  const words = [0x72fe_1d13, 0, 2, 100000, 104316, 0, 0, 0, 0, 0]; // xid, CALL, rpcvers 2, prog, vers, proc 0, AUTH_NONE cred and verf
  const out = new Uint8Array(4 + words.length * 4);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0x80000000 | (words.length * 4)); // last fragment, its length
  words.forEach((w, k) => dv.setUint32(4 + 4 * k, w));
  return out;
}

const ACCEPT_STAT = ['SUCCESS', 'PROG_UNAVAIL', 'PROG_MISMATCH', 'PROC_UNAVAIL', 'GARBAGE_ARGS', 'SYSTEM_ERR'];

function rpcRead(b: Uint8Array, n: number): HelloReading | null {
  if (be32(b, 8, n) !== 1) return null; // msg_type REPLY
  const stat = be32(b, 12, n);
  if (stat === 1) return { app: 'unknown', text: `rpc reply denied stat=${be32(b, 16, n) === 0 ? 'RPC_MISMATCH' : 'AUTH_ERROR'}` };
  if (stat !== 0) return null;
  const vlen = be32(b, 20, n);
  if (vlen < 0 || vlen > 400) return null;
  const at = 24 + ((vlen + 3) & ~3);
  const as = be32(b, at, n);
  if (as < 0) return null;
  let s = `rpc reply accepted stat=${ACCEPT_STAT[as] ?? as}`;
  if (as === 2 && be32(b, at + 8, n) >= 0) s += ` low=${be32(b, at + 4, n)} high=${be32(b, at + 8, n)}`;
  return { app: 'unknown', text: s };
}

// ---------------------------------------------------------------------------------------------
// LDAP (RFC 4511 §4.5.1 SearchRequest): the root DSE, (objectClass=*)

/**
 * Message 7, a search of the root DSE for (objectClass=*), time limit 100 s. The message, the
 * SearchRequest and the empty attribute list have four-octet long-form lengths (0x84), as the
 * probe has.
 */
export function ldapRootDseSearch(): Uint8Array {
  const search = berWide(0x63, [
    ...derStr(0x04, ''), // baseObject: the root DSE
    ...der(0x0a, [0]), // scope baseObject
    ...der(0x0a, [0]), // derefAliases never
    ...derInt(0), ...derInt(100), // sizeLimit, timeLimit
    ...der(0x01, [0]), // typesOnly FALSE
    ...derStr(0x87, 'objectClass'), // filter: present
    ...berWide(0x30, [], 4), // attributes: all user attributes
  ], 4);
  return Uint8Array.from(berWide(0x30, [...derInt(7), ...search], 4));
}

const LDAP_OPS: Readonly<Record<number, string>> = { 0x64: 'searchResEntry', 0x65: 'searchResDone', 0x78: 'extendedResp', 0x61: 'bindResponse' };

function ldapRead(b: Uint8Array, n: number): HelloReading | null {
  const msg = berAt(b, 0, n);
  if (msg === null || msg.tag !== 0x30) return null;
  const id = berAt(b, msg.start, msg.end);
  if (id === null || id.tag !== 0x02) return null;
  const op = berAt(b, id.end, msg.end);
  if (op === null) return null;
  let s = `ldap ${LDAP_OPS[op.tag] ?? `op=0x${op.tag.toString(16)}`}`;
  if (op.tag === 0x64) {
    // SearchResultEntry: objectName, attributes SEQUENCE OF (type, SET OF value)
    const dn = berAt(b, op.start, op.end);
    const attrs = dn === null ? null : berAt(b, dn.end, op.end);
    if (dn !== null) s += ` dn="${clean(latin1At(b, dn.start, dn.end - dn.start, n))}"`;
    for (let i = attrs?.start ?? 0, k = 0; attrs !== null && i < attrs.end && k < 32; k++) {
      const a = berAt(b, i, attrs.end);
      if (a === null) break;
      const type = berAt(b, a.start, a.end);
      const vals = type === null ? null : berAt(b, type.end, a.end);
      if (type === null || vals === null) break;
      const v: string[] = [];
      for (let j = vals.start; j < vals.end && v.length < 16;) {
        const x = berAt(b, j, vals.end);
        if (x === null) break;
        v.push(clean(latin1At(b, x.start, x.end - x.start, n), 128));
        j = x.end;
      }
      s += ` ${clean(latin1At(b, type.start, type.end - type.start, n), 64)}=${v.join(',')}`;
      i = a.end;
    }
  } else {
    // LDAPResult: resultCode ENUMERATED, matchedDN, diagnosticMessage
    const rc = berAt(b, op.start, op.end);
    const dn = rc === null ? null : berAt(b, rc.end, op.end);
    const diag = dn === null ? null : berAt(b, dn.end, op.end);
    if (rc !== null && rc.tag === 0x0a && rc.end - rc.start === 1) s += ` result=${b[rc.start]}`;
    if (diag !== null && diag.end > diag.start) s += ` message=${clean(latin1At(b, diag.start, diag.end - diag.start, n))}`;
  }
  return { app: 'unknown', text: s };
}

// ---------------------------------------------------------------------------------------------
// Java RMI (Java RMI spec §10.2: "JRMI", version 2, StreamProtocol 0x4b; ProtocolAck 0x4e)

function rmiNeed(b: Uint8Array, have: number): number {
  if (have < 1) return -1;
  if (b[0] === 0x4f) return 1; // ProtocolNotSupported
  if (b[0] !== 0x4e) return -2;
  const l = be16(b, 1, have);
  return l < 0 ? -1 : 1 + 2 + l + 4;
}

function rmiRead(b: Uint8Array, n: number): HelloReading | null {
  if (n < 1) return null;
  if (b[0] === 0x4f) return { app: 'unknown', text: 'rmi ProtocolNotSupported' };
  const l = be16(b, 1, n);
  if (b[0] !== 0x4e || l < 0 || 3 + l + 4 > n) return null;
  return { app: 'unknown', text: `rmi ProtocolAck host=${clean(latin1At(b, 3, l, n))} port=${be32(b, 3 + l, n)}` };
}

// ---------------------------------------------------------------------------------------------
// X11 (X Window System Protocol, "Connection Setup"): little-endian, 11.0, no authorization

function x11Read(b: Uint8Array, n: number): HelloReading | null {
  if (n < 8) return null;
  const st = b[0];
  const major = le16(b, 2, n);
  const minor = le16(b, 4, n);
  if (major < 0 || (st !== 0 && st !== 1 && st !== 2)) return null;
  if (st === 1) {
    const vlen = le16(b, 24, n);
    return { app: 'unknown', text: `x11 success ${major}.${minor} release=${le32(b, 8, n)} vendor=${clean(latin1At(b, 40, vlen < 0 ? 0 : vlen, n))}` };
  }
  const rlen = st === 0 ? b[1]! : 4 * le16(b, 6, n);
  return { app: 'unknown', text: `x11 ${st === 0 ? 'failed' : 'authenticate'} ${major}.${minor} reason=${clean(latin1At(b, 8, rlen, n).replace(/\0+$/, ''))}` };
}

// ---------------------------------------------------------------------------------------------
// MongoDB (wire protocol: OP_QUERY 2004 of {serverStatus: 1} on admin.$cmd; OP_REPLY 1)

/** OP_QUERY of {serverStatus: 1.0} on test.$cmd: requestID 0x303a, responseTo -1, numberToReturn -1. */
export function mongoServerStatus(): Uint8Array {
  const doc = [0x01, ...u('serverStatus'), 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]; // a double, 1.0
  const bson = [...le32b(doc.length + 5), ...doc, 0];
  const body = [0, 0, 0, 0, ...u('test.$cmd'), 0, 0, 0, 0, 0, ...le32b(-1), ...bson];
  const total = 16 + body.length;
  return Uint8Array.from([...le32b(total), ...le32b(0x303a), ...le32b(-1), ...le32b(2004), ...body]);
}

function le32b(v: number): number[] {
  return [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
}

/** Top-level string/number/bool elements of the BSON document at b[i, ...), by name. */
function bsonTop(b: Uint8Array, i: number, n: number): Map<string, string> {
  const out = new Map<string, string>();
  const len = le32(b, i, n);
  if (len < 5) return out;
  const end = Math.min(n, i + len);
  let j = i + 4;
  while (j < end && out.size < 64) {
    const type = b[j++]!;
    if (type === 0) break;
    let name = '';
    while (j < end && b[j] !== 0) name += String.fromCharCode(b[j++]!);
    j++;
    if (j > end) break;
    switch (type) {
      case 0x01: if (j + 8 <= end) out.set(name, String(Buffer.from(b.buffer, b.byteOffset + j, 8).readDoubleLE(0))); j += 8; break;
      case 0x02: {
        const l = le32(b, j, end);
        if (l < 1) return out;
        out.set(name, latin1At(b, j + 4, l - 1, end));
        j += 4 + l;
        break;
      }
      case 0x03: case 0x04: { const l = le32(b, j, end); if (l < 5) return out; j += l; break; }
      case 0x08: if (j < end) out.set(name, b[j] === 1 ? 'true' : 'false'); j += 1; break;
      case 0x10: out.set(name, String(le32(b, j, end) | 0)); j += 4; break;
      case 0x07: j += 12; break;
      case 0x09: case 0x11: case 0x12: j += 8; break;
      case 0x0a: break;
      default: return out;
    }
  }
  return out;
}

function mongoRead(b: Uint8Array, n: number): HelloReading | null {
  const op = le32(b, 12, n);
  if (op !== 1 || n < 36 + 5) return null;
  const doc = bsonTop(b, 36, n);
  let s = 'mongodb';
  for (const k of ['version', 'host', 'process', 'ok', 'errmsg', 'codeName']) if (doc.has(k)) s += ` ${k}=${clean(doc.get(k)!)}`;
  return { app: 'unknown', text: s };
}

// ---------------------------------------------------------------------------------------------
// DICOM (PS3.8 §9.3.2 A-ASSOCIATE-RQ; §9.3.3-9.3.5 AC, RJ; §9.3.8 A-ABORT)

function aeTitle(s: string): number[] {
  return u((s + ' '.repeat(16)).slice(0, 16));
}

/**
 * Verification SOP class (1.2.840.10008.1.1), implicit VR little endian, called ANY-SCP, calling
 * ECHOSCU, max PDU 16384, and the implementation class UID and version name of DCMTK 3.6.2.
 */
export function dicomAssociateRq(): Uint8Array {
  const item = (type: number, body: readonly number[]): number[] => [type, 0, body.length >> 8, body.length & 0xff, ...body];
  const vars = [
    ...item(0x10, u('1.2.840.10008.3.1.1.1')), // application context
    ...item(0x20, [1, 0, 0, 0, ...item(0x30, u('1.2.840.10008.1.1')), ...item(0x40, u('1.2.840.10008.1.2'))]),
    ...item(0x50, [...item(0x51, [0, 0, 0x40, 0]), ...item(0x52, u('1.2.276.0.7230010.3.0.3.6.2')), ...item(0x55, u('OFFIS_DCMTK_362'))]),
  ];
  const body = [0, 1, 0, 0, ...aeTitle('ANY-SCP'), ...aeTitle('ECHOSCU'), ...new Array<number>(32).fill(0), ...vars];
  const n = body.length;
  return Uint8Array.from([0x01, 0, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff, ...body]);
}

function dicomRead(b: Uint8Array, n: number): HelloReading | null {
  if (n < 10) return null;
  const t = b[0];
  if (t === 0x02) {
    // A-ASSOCIATE-AC: the implementation version name (user info sub-item 0x55) when present
    let s = `dicom associate-ac called=${clean(latin1At(b, 10, 16, n).trim())}`;
    for (let i = 74; i + 4 <= n;) {
      const type = b[i]!;
      const l = be16(b, i + 2, n);
      if (l < 0) break;
      if (type === 0x50) { i += 4; continue; } // descend into user information
      if (type === 0x55 || type === 0x52) s += ` ${type === 0x55 ? 'impl-version' : 'impl-class'}=${clean(latin1At(b, i + 4, l, n))}`;
      i += 4 + l;
    }
    return { app: 'unknown', text: s };
  }
  if (t === 0x03 && n >= 10) return { app: 'unknown', text: `dicom associate-rj result=${b[7]} source=${b[8]} reason=${b[9]}` };
  if (t === 0x07 && n >= 10) return { app: 'unknown', text: `dicom abort source=${b[8]} reason=${b[9]}` };
  return null;
}

// ---------------------------------------------------------------------------------------------
// MS-SQL (MS-TDS §2.2.6.5 PRELOGIN, §2.2.3.1 packet header)

/**
 * PRELOGIN with VERSION 8.0.341.0, ENCRYPTION off, INSTOPT "MSSQLServer" and THREADID; no MARS.
 */
export function mssqlPrelogin(): Uint8Array {
  const data: readonly (readonly [number, readonly number[]])[] = [
    [0, [8, 0, 0x01, 0x55, 0, 0]], [1, [0 /* ENCRYPT_OFF */]], [2, [...u('MSSQLServer'), 0]], [3, [0x48, 0x0f, 0, 0]],
  ];
  let at = data.length * 5 + 1;
  const table: number[] = [];
  for (const [tok, v] of data) { table.push(tok, at >> 8, at & 0xff, 0, v.length); at += v.length; }
  table.push(0xff);
  const payload = data.flatMap(([, v]) => v);
  const n = 8 + table.length + payload.length;
  return Uint8Array.from([0x12, 0x01, n >> 8, n & 0xff, 0, 0, 0, 0, ...table, ...payload]);
}

const ENCRYPTION = ['off', 'on', 'not-supported', 'required'];

function mssqlRead(b: Uint8Array, n: number): HelloReading | null {
  if (n < 8) return null;
  if (b[0] !== 0x04) return null; // tabular result
  let s = 'mssql';
  for (let i = 8; i + 5 <= n && b[i] !== 0xff; i += 5) {
    const tok = b[i]!;
    const off = 8 + be16(b, i + 1, n);
    const len = be16(b, i + 3, n);
    if (off + len > n) break;
    if (tok === 0 && len >= 6) s += ` version=${b[off]}.${b[off + 1]}.${be16(b, off + 2, n)}.${be16(b, off + 4, n)}`;
    if (tok === 1 && len >= 1) s += ` encryption=${ENCRYPTION[b[off]!] ?? b[off]}`;
  }
  return { app: 'unknown', text: s };
}

// ---------------------------------------------------------------------------------------------
// AFP over DSI (DSI header, 16 octets; DSIGetStatus = 3; the reply is FPGetSrvrInfo's block)

/** DSI header (request, DSIGetStatus = 3, request ID 1, two data octets), then FPGetSrvrInfo (15) and a pad octet. */
export function afpGetStatus(): Uint8Array {
  return Uint8Array.from([0x00, 0x03, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0x0f, 0x00]);
}

function afpRead(b: Uint8Array, n: number): HelloReading | null {
  if (n < 16 + 11) return null;
  if (b[0] !== 0x01 || b[1] !== 0x03) return null; // a reply to DSIGetStatus
  const p = 16;
  const pascal = (at: number): string => (at >= 0 && at < n ? clean(latin1At(b, at + 1, b[at]!, n)) : '');
  let s = `afp name=${pascal(p + 10)}`;
  const mt = be16(b, p, n);
  if (mt > 0) s += ` machine=${pascal(p + mt)}`;
  const vo = be16(b, p + 2, n);
  if (vo > 0 && p + vo < n) {
    const cnt = b[p + vo]!;
    const v: string[] = [];
    for (let k = 0, at = p + vo + 1; k < cnt && at < n && v.length < 16; k++) { v.push(pascal(at)); at += 1 + b[at]!; }
    s += ` versions=${v.join(',')}`;
  }
  return { app: 'unknown', text: s };
}

// ---------------------------------------------------------------------------------------------
// Minecraft Java Edition "Server List Ping": Handshake (next state 1) then Status Request

function varint(v: number): number[] {
  const out: number[] = [];
  let x = v >>> 0;
  do { let c = x & 0x7f; x >>>= 7; if (x !== 0) c |= 0x80; out.push(c); } while (x !== 0);
  return out;
}

/** A varint at b[i, have): [value, length], [-1, 0] when incomplete, [-2, 0] when over 5 bytes. */
function readVarint(b: Uint8Array, i: number, have: number): [number, number] {
  let v = 0;
  for (let k = 0; k < 5; k++) {
    if (i + k >= have) return [-1, 0];
    const c = b[i + k]!;
    v += (c & 0x7f) * 2 ** (7 * k);
    if ((c & 0x80) === 0) return [v, k + 1];
  }
  return [-2, 0];
}

/** Handshake (protocol 759, "localhost", port 25565, next state 1), then Status Request; the same for every target. */
export function minecraftStatus(): Uint8Array {
  const host = u('localhost');
  const hs = [0x00, ...varint(759), ...varint(host.length), ...host, 25565 >> 8, 25565 & 0xff, 1];
  return Uint8Array.from([...varint(hs.length), ...hs, 1, 0x00]);
}

function minecraftNeed(b: Uint8Array, have: number): number {
  const [len, k] = readVarint(b, 0, have);
  return len === -1 ? -1 : len < 0 ? -2 : k + len;
}

function minecraftRead(b: Uint8Array, n: number): HelloReading | null {
  const [, k] = readVarint(b, 0, n);
  if (k === 0 || k >= n || b[k] !== 0x00) return null;
  const [slen, k2] = readVarint(b, k + 1, n);
  if (slen < 0) return null;
  const at = k + 1 + k2;
  const json = Buffer.from(b.buffer, b.byteOffset + Math.min(at, n), Math.max(0, Math.min(slen, n - at))).toString('utf8');
  if (!json.startsWith('{')) return null;
  return { app: 'minecraft', text: clean(json, 2048) };
}

// ---------------------------------------------------------------------------------------------
// Lotus Notes / Domino RPC (NRPC). IBM never published the protocol; what is known is the shape
// nmap's service probes record: a little-endian length of the message after its first two
// octets (58 of the probe's 60), a second length eleven less, a message type (2 the probe, 3 the
// answer) and the constant 00 00 40 02 0f 00. The answer carries the server's hierarchical name
// (`CN=server/OU=unit/O=org`).

/** The NotesRPC probe: a type-2 message, 60 octets. */
export function notesRpcHello(): Uint8Array {
  const body = [0x02, 0, 0, 0x40, 0x02, 0x0f, 0, 0x01, 0, 0x3d, 0x05, ...new Array<number>(12).fill(0), 0x2f,
    ...new Array<number>(9).fill(0), 0x40, 0x1f, ...new Array<number>(17).fill(0)];
  const l = 8 + body.length - 2;
  return Uint8Array.from([...le32b(l), ...le32b(l - 11), ...body]);
}

function notesNeed(b: Uint8Array, have: number): number {
  const l = le32(b, 0, have);
  if (l < 0) return -1;
  return l < 13 || l > HELLO_REPLY_MAX ? -2 : 2 + l;
}

function notesRead(b: Uint8Array, n: number): HelloReading | null {
  if (n < 15 || le32(b, 4, n) !== le32(b, 0, n) - 11) return null;
  if (b[9] !== 0 || b[10] !== 0 || b[11] !== 0x40 || b[12] !== 0x02 || b[13] !== 0x0f || b[14] !== 0) return null;
  const m = /CN=[-.\w ]+(?:\/OU=[-.\w ]+)*\/O=[-.\w ]+/.exec(latin1At(b, 15, n - 15, n));
  return { app: 'unknown', text: `notes-rpc type=${b[8]}${m === null ? '' : ` server=${m[0]}`}` };
}

// ---------------------------------------------------------------------------------------------
// the table

const lenBE16 = (extra: number) => (b: Uint8Array, have: number): number => (have < 2 ? -1 : extra + ((b[0]! << 8) | b[1]!));
const lenBE32 = (extra: number, mask = 0xffffffff) => (b: Uint8Array, have: number): number => {
  const l = be32(b, 0, have);
  return l < 0 ? -1 : extra + ((l & mask) >>> 0);
};

export const HELLO_PROTOS: readonly HelloProto[] = [
  { name: 'dns-tcp', service: 'dns', ports: [53, 135, [50000, 50002]], hello: dnsVersionBindQuery, need: lenBE16(2), read: dnsRead },
  { name: 'kerberos', service: 'kerberos', ports: [88], hello: kerberosAsReq, need: lenBE32(4), read: kerberosRead },
  { name: 'sunrpc', service: 'sunrpc', ports: [111, 2049], hello: rpcNullCall, need: lenBE32(4, 0x7fffffff), read: rpcRead },
  {
    name: 'ldap', service: 'ldap', ports: [389, 390, 256, 257, 1702, 3268, 3892, 11711], hello: ldapRootDseSearch,
    need: (b, have) => (have > 0 && b[0] !== 0x30 ? -2 : berTotal(b, have)), read: ldapRead,
  },
  {
    name: 'sip', service: 'sip', ports: [5060, 406, 8081, 31337],
    // RFC 3261 §8.1.1: Via, From with a tag, To, Call-ID, CSeq, Max-Forwards; Contact and Accept (§11.1)
    hello: () => Uint8Array.from(u('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\n' +
      'To: <sip:nm2@nm2>\r\nCall-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n' +
      'Contact: <sip:nm@nm>\r\nAccept: application/sdp\r\n\r\n')),
    need: textNeed, read: textRead('SIP/', ['Server', 'User-Agent', 'Allow'], false),
  },
  {
    name: 'rtsp', service: 'rtsp', ports: [554, 8554], hello: () => Uint8Array.from(u('OPTIONS / RTSP/1.0\r\n\r\n')),
    need: textNeed, read: textRead('RTSP/', ['Server', 'Public'], false),
  },
  {
    name: 'http-version', service: 'http', ports: [2375, 2379, 2380], hello: () => Uint8Array.from(u('GET /version HTTP/1.1\r\n\r\n')),
    need: textNeed, read: textRead('HTTP/', ['Server'], true),
  },
  { name: 'rmi', service: 'java-rmi', ports: [1098, 1099], hello: () => Uint8Array.from([...u('JRMI'), 0, 2, 0x4b]), need: rmiNeed, read: rmiRead },
  {
    name: 'x11', service: 'x11', ports: [[6000, 6019]], hello: () => Uint8Array.from([0x6c, 0, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
    need: (b, have) => (have > 0 && b[0]! > 2 ? -2 : have < 8 ? -1 : 8 + 4 * le16(b, 6, have)), read: x11Read,
  },
  {
    name: 'mongodb', service: 'mongodb', ports: [9001, 27017, 49153], hello: mongoServerStatus,
    need: (b, have) => { const l = le32(b, 0, have); return l < 0 ? -1 : l < 16 ? -2 : l; }, read: mongoRead,
  },
  {
    name: 'dicom', service: 'dicom', ports: [104, 2345, 2761, 2762, 4242, 11112], hello: dicomAssociateRq,
    need: (b, have) => (have > 0 && (b[0]! < 1 || b[0]! > 7) ? -2 : have < 6 ? -1 : 6 + be32(b, 2, have)), read: dicomRead,
  },
  {
    name: 'mssql', service: 'mssql', ports: [1433], hello: mssqlPrelogin,
    need: (b, have) => (have > 0 && b[0] !== 0x04 ? -2 : have < 4 ? -1 : Math.max(8, be16(b, 2, have))), read: mssqlRead,
  },
  { name: 'afp', service: 'afp', ports: [548], hello: afpGetStatus, need: (b, have) => (have < 16 ? -1 : 16 + be32(b, 8, have)), read: afpRead },
  { name: 'minecraft', service: 'minecraft', ports: [25565], hello: minecraftStatus, need: minecraftNeed, read: minecraftRead },
  { name: 'notes-rpc', service: 'lotusnotes', ports: [130, 427, 1352, 1972, 7171, 8728, 22001], hello: notesRpcHello, need: notesNeed, read: notesRead },
];

class HelloParser implements BannerParser {
  private buf = new Uint8Array(256);
  private have = 0;
  private done = false;
  /** Not this protocol's framing: every byte goes to `unknown`, up to HELLO_REPLY_MAX. */
  private raw = false;
  private rawBytes = 0;

  constructor(private readonly p: HelloProto, private readonly out: BannerOut, private readonly conv: Conversation) {}

  data(b: Uint8Array, off: number, len: number): void {
    if (this.done || off < 0 || len <= 0 || off + len > b.length) return;
    if (this.raw) { this.rawOut(b, off, len); return; }
    const n = Math.min(len, HELLO_REPLY_MAX - this.have);
    if (this.have + n > this.buf.length) {
      const g = new Uint8Array(Math.min(HELLO_REPLY_MAX, Math.max(this.have + n, this.buf.length * 2)));
      g.set(this.buf.subarray(0, this.have));
      this.buf = g;
    }
    for (let k = 0; k < n; k++) this.buf[this.have + k] = b[off + k]!;
    this.have += n;
    const need = this.p.need(this.buf, this.have);
    if (need === -2) {
      this.raw = true;
      this.rawOut(this.buf, 0, this.have);
      if (!this.done && n < len) this.rawOut(b, off + n, len - n);
    } else if (need >= 0 && this.have >= Math.min(need, HELLO_REPLY_MAX)) this.finish(true, Math.min(need, HELLO_REPLY_MAX));
    else if (this.have >= HELLO_REPLY_MAX) this.finish(true, this.have);
  }

  private rawOut(b: Uint8Array, off: number, len: number): void {
    const n = Math.min(len, HELLO_REPLY_MAX - this.rawBytes);
    if (n > 0) this.out.append('unknown', b, off, n);
    this.rawBytes += n;
    if (this.rawBytes >= HELLO_REPLY_MAX) {
      this.done = true;
      this.conv.close();
    }
  }

  end(): void {
    if (!this.done && !this.raw && this.have > 0) {
      const need = this.p.need(this.buf, this.have);
      this.emit(need !== -2, this.have);
    }
    this.done = true;
  }

  private finish(framed: boolean, n: number): void {
    this.emit(framed, n);
    this.done = true;
    this.conv.close();
  }

  private emit(framed: boolean, n: number): void {
    let r: HelloReading | null = null;
    if (framed) {
      try {
        r = this.p.read(this.buf, n);
      } catch {
        r = null; // NOTE: a reader bug must not lose the bytes: they are kept raw
      }
    }
    if (r === null || r.text === '') this.out.append('unknown', this.buf, 0, n);
    else {
      this.out.appendText(r.app, r.text);
      this.out.field(r.app, 'service', this.p.service);
    }
  }
}

/** The module of one table protocol. */
export function helloModule(p: HelloProto): BannerModule {
  return {
    name: p.name,
    hello: (t: TargetInfo) => p.hello(t),
    open: (_t, out, conv) => new HelloParser(p, out, conv),
  };
}
