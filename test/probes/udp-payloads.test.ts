import { test } from 'node:test';
import assert from 'node:assert/strict';
import { UdpPayloadTable, BUILTIN_UDP_PAYLOADS, writePayloadCookie, cookieFieldValue, cookieFieldWidth, MAX_UDP_PAYLOAD, buildPayloadTable, crc32, ZEROACCESS_KEY, NTP_PROBES, ntpProbeEntry, type UdpPayload } from '../../src/probes/udp-payloads.js';
import { CookieKey, cookie4 } from '../../src/crypto/cookie.js';
import { UdpTemplate4 } from '../../src/probes/udp.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { isScanError } from '../../src/error.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (b: Uint8Array): string => Buffer.from(b).toString('latin1');

/** A bounds-checked big-endian reader: every decode below fails loudly on a short payload. */
class Reader {
  at = 0;
  constructor(readonly b: Uint8Array) {}
  get left(): number { return this.b.length - this.at; }
  take(n: number): Uint8Array {
    assert.ok(n >= 0 && this.at + n <= this.b.length, `read ${n} at ${this.at} past ${this.b.length}`);
    const v = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  }
  u8(): number { return this.take(1)[0]!; }
  u16(): number { const v = this.take(2); return (v[0]! << 8) | v[1]!; }
  u24(): number { const v = this.take(3); return (v[0]! << 16) | (v[1]! << 8) | v[2]!; }
  u32(): number { const v = this.take(4); return ((v[0]! << 24) | (v[1]! << 16) | (v[2]! << 8) | v[3]!) >>> 0; }
  u16le(): number { const v = this.take(2); return v[0]! | (v[1]! << 8); }
  u32le(): number { const v = this.take(4); return (v[0]! | (v[1]! << 8) | (v[2]! << 16) | (v[3]! << 24)) >>> 0; }
  cstr(): string {
    const end = this.b.indexOf(0, this.at);
    assert.ok(end >= 0, 'unterminated string');
    const s = text(this.b.subarray(this.at, end));
    this.at = end + 1;
    return s;
  }
  end(): void { assert.equal(this.left, 0, `${this.left} bytes left over`); }
}

const table = new UdpPayloadTable();
function payload(port: number): UdpPayload {
  const p = table.get(port);
  assert.ok(p !== undefined, `no built-in payload for ${port}`);
  return p;
}
/** The payload as sent with `cookie`. */
function sent(port: number, cookie: number): Uint8Array {
  const p = payload(port);
  const b = p.bytes.slice();
  writePayloadCookie(p, b, 0, cookie);
  return b;
}

const KEY = new CookieKey(1n);
const C53 = cookie4(KEY, 0x0a000001, 65536 + 53, 0xc0000232, 40000);

test('§10.1: every listed port has a built-in; no other port does', () => {
  const want = [7, 17, 19, 53, 69, 111, 123, 137, 138, 161, 443, 500, 520, 1645, 1646, 1701, 1812, 1813, 1900, 2049,
    5060, 5683, 11211, 16464, 16465, 16470, 16471, 27960];
  assert.deepEqual(table.entries().map((e) => e.port), want);
  assert.equal(BUILTIN_UDP_PAYLOADS.length, want.length);
  for (const p of BUILTIN_UDP_PAYLOADS) {
    assert.ok(p.bytes.length > 0 && p.bytes.length <= MAX_UDP_PAYLOAD, `${p.port} size`);
    const w = cookieFieldWidth(p.cookie);
    assert.ok(p.cookieOffset + w <= p.bytes.length, `${p.port} cookie inside`);
    // The template contract: the cookie field is zero in the stored bytes.
    for (let i = 0; i < w; i++) assert.equal(p.bytes[p.cookieOffset + i], 0, `${p.port} cookie byte ${i}`);
    assert.ok(p.description.length > 0);
  }
});

test('echo / QOTD / chargen (RFC 862/865/864): the 12 ASCII bytes masscan-test', () => {
  for (const port of [7, 17, 19]) {
    assert.equal(text(payload(port).bytes), 'masscan-test');
    assert.equal(payload(port).cookie, 'none');
  }
});

test('DNS (RFC 1035 §4.1): header, question version.bind TXT CHAOS; cookie in the id (§6.1 vector 0xd35a)', () => {
  const r = new Reader(sent(53, C53));
  assert.equal(r.u16(), 0xd35a); // id = low 16 bits of the §6.1 test vector 0xe1c2d35a
  const flags = r.u16();
  assert.equal(flags >>> 15, 0); // QR = query
  assert.equal((flags >>> 11) & 15, 0); // OPCODE QUERY
  assert.equal(flags, 0x0120); // RD + AD, as masscan
  assert.deepEqual([r.u16(), r.u16(), r.u16(), r.u16()], [1, 0, 0, 0]);
  const labels: string[] = [];
  for (let n = r.u8(); n !== 0; n = r.u8()) { assert.ok(n < 64); labels.push(text(r.take(n))); }
  assert.equal(labels.join('.'), 'version.bind');
  assert.equal(r.u16(), 16); // TXT
  assert.equal(r.u16(), 3); // CHAOS
  r.end();
});

test('TFTP (RFC 1350 §5): RRQ masscan-test netascii', () => {
  const r = new Reader(payload(69).bytes);
  assert.equal(r.u16(), 1); // RRQ
  assert.equal(r.cstr(), 'masscan-test');
  assert.equal(r.cstr(), 'netascii');
  r.end();
});

function checkRpcNull(port: number, prog: number, vers: number): void {
  const c = 0x9abcdef1;
  const p = payload(port);
  assert.equal(p.cookie, 'int31');
  const r = new Reader(sent(port, c));
  assert.equal(r.u32(), c & 0x7fffffff); // xid
  assert.equal(r.u32(), 0); // CALL
  assert.equal(r.u32(), 2); // rpcvers
  assert.equal(r.u32(), prog);
  assert.equal(r.u32(), vers);
  assert.equal(r.u32(), 0); // NULL procedure
  for (let i = 0; i < 2; i++) { assert.equal(r.u32(), 0); assert.equal(r.u32(), 0); } // cred, verf AUTH_NONE, empty
  r.end();
}

test('ONC RPC (RFC 5531 §9): portmap v2 and NFS v3 NULL calls, xid = cookie', () => {
  checkRpcNull(111, 100000, 2);
  checkRpcNull(2049, 100003, 3);
});

test('NTP (RFC 5905 §7.3): the default probe is a 48-byte mode-3 client request, cookie in the transmit timestamp', () => {
  const p = payload(123);
  assert.equal(p, NTP_PROBES.client);
  assert.deepEqual([p.cookie, p.cookieOffset, p.echoOffset], ['int31', 40, 24]);
  const b = sent(123, 0x89abcdef);
  assert.equal(b.length, 48);
  const r = new Reader(b);
  const first = r.u8();
  assert.equal(first & 7, 3); // mode 3 (client)
  assert.equal((first >>> 3) & 7, 4); // version 4
  assert.equal(first >>> 6, 0); // LI 0
  // Everything else zero (data minimization), but the transmit timestamp: cookie, "tide".
  assert.ok(r.take(39).every((x) => x === 0));
  assert.equal(r.u32(), 0x09abcdef);
  assert.equal(text(r.take(4)), 'tide');
  r.end();
});

test('NTP (RFC 9327 §2): the readvar probe is a 12-byte mode-6 READVAR, sequence = cookie', () => {
  const p = NTP_PROBES.readvar;
  assert.deepEqual([p.port, p.cookie, p.cookieOffset, p.echoOffset], [123, 'id16', 2, undefined]);
  const b = p.bytes.slice();
  writePayloadCookie(p, b, 0, 0x89abcdef);
  const r = new Reader(b);
  const first = r.u8();
  assert.equal(first & 7, 6); // mode 6 (control)
  assert.equal((first >>> 3) & 7, 2); // version 2
  assert.equal(r.u8(), 0x02); // R 0, E 0, M 0, opcode 2 (read variables)
  assert.equal(r.u16(), 0xcdef); // sequence
  assert.equal(r.u16(), 0); // status
  assert.equal(r.u16(), 0); // association 0: the system variables
  assert.equal(r.u16(), 0); // offset
  assert.equal(r.u16(), 0); // count: no data
  r.end();
});

test("NTP: masscan's probe stays as --ntp-probe monlist: 48-byte mode-7 monlist request 17 00 03 2a", () => {
  const p = NTP_PROBES.monlist;
  assert.equal(p.cookie, 'none');
  const b = p.bytes;
  assert.equal(b.length, 48);
  const r = new Reader(b);
  const first = r.u8();
  assert.equal(first & 7, 7); // mode 7 (private)
  assert.equal((first >>> 3) & 7, 2); // version 2
  assert.equal(first >>> 6, 0); // R = 0 (request), M = 0
  assert.equal(r.u8(), 0); // auth 0, sequence 0
  assert.equal(r.u8(), 3); // IMPL_XNTPD
  assert.equal(r.u8(), 42); // MON_GETLIST_1
  assert.equal(r.u16(), 0); // err, nitems
  assert.equal(r.u16(), 0); // mbz, itemsize
  assert.ok(r.take(40).every((x) => x === 0));
  r.end();
});

test('--ntp-probe entries: the table gets the named probe with its cookie field; a later file entry still wins', () => {
  for (const name of ['client', 'readvar', 'monlist'] as const) {
    const t = buildPayloadTable([ntpProbeEntry(name)]);
    assert.deepEqual(t.get(123), NTP_PROBES[name], name);
  }
  const t = buildPayloadTable([ntpProbeEntry('readvar'), { port: 123, bytes: Uint8Array.of(1, 2, 3) }]);
  assert.deepEqual([hex(t.get(123)!.bytes), t.get(123)!.cookie], ['010203', 'none']);
  // An unknown builtin name is a plain user payload.
  const u = buildPayloadTable([{ port: 123, bytes: Uint8Array.of(9), builtin: 'ntp-nothing' }]);
  assert.deepEqual([hex(u.get(123)!.bytes), u.get(123)!.cookie], ['09', 'none']);
});

/** Decode an RFC 1002 §4.1 encoded NetBIOS name: [name trimmed, suffix]. */
function netbiosName(r: Reader): [string, number] {
  assert.equal(r.u8(), 0x20);
  const enc = r.take(32);
  const raw: number[] = [];
  for (let i = 0; i < 32; i += 2) {
    const hi = enc[i]! - 0x41, lo = enc[i + 1]! - 0x41;
    assert.ok(hi >= 0 && hi < 16 && lo >= 0 && lo < 16, 'first-level encoding');
    raw.push((hi << 4) | lo);
  }
  assert.equal(r.u8(), 0); // empty scope
  return [String.fromCharCode(...raw.slice(0, 15)).replace(/[ \0]+$/, ''), raw[15]!];
}

test('NetBIOS name service (RFC 1002 §4.2.17): node status request for *, id = cookie', () => {
  const p = payload(137);
  assert.equal(p.bytes.length, 50);
  const r = new Reader(sent(137, C53));
  assert.equal(r.u16(), 0xd35a);
  assert.deepEqual([r.u16(), r.u16(), r.u16(), r.u16(), r.u16()], [0, 1, 0, 0, 0]);
  assert.equal(text(p.bytes.subarray(13, 45)), 'CK' + 'AA'.repeat(15)); // '*' then 15 NULs
  assert.deepEqual(netbiosName(r), ['*', 0]);
  assert.equal(r.u16(), 0x21); // NBSTAT
  assert.equal(r.u16(), 1); // IN
  r.end();
});

test('NetBIOS datagram (RFC 1002 §4.4.2): MASSCAN-TEST -> WORKGROUP<1d>, SMB mailslot browser host announcement', () => {
  const b = payload(138).bytes;
  const r = new Reader(b);
  assert.equal(r.u8(), 0x11); // DIRECT_GROUP DATAGRAM
  assert.equal(r.u8(), 0x02); // first fragment, B node
  r.u16(); // DGM_ID
  assert.equal(r.u32(), 0); // SOURCE_IP unknown when built
  assert.equal(r.u16(), 138);
  const dgmLength = r.u16();
  assert.equal(r.u16(), 0); // PACKET_OFFSET
  assert.equal(dgmLength, b.length - 14);
  assert.deepEqual(netbiosName(r), ['MASSCAN-TEST', 0x00]);
  assert.deepEqual(netbiosName(r), ['WORKGROUP', 0x1d]);
  // SMB header ([MS-CIFS] §2.2.3.1)
  const smb = r.at;
  assert.equal(hex(r.take(4)), 'ff534d42');
  assert.equal(r.u8(), 0x25); // SMB_COM_TRANSACTION
  r.take(27);
  const wc = r.u8();
  assert.equal(wc, 17);
  const words = new Reader(r.take(2 * wc));
  const totalParams = words.u16le(), totalData = words.u16le();
  words.take(4 + 2 + 2 + 4 + 2);
  const paramCount = words.u16le(); words.u16le();
  const dataCount = words.u16le(), dataOffset = words.u16le();
  assert.equal(words.u8(), 3); words.u8();
  assert.deepEqual([words.u16le(), words.u16le(), words.u16le()], [1, 1, 2]); // mailslot write, priority, class 2
  assert.equal(totalParams, 0); assert.equal(paramCount, 0);
  assert.equal(totalData, dataCount);
  const byteCount = r.u16le();
  assert.equal(r.cstr(), '\\MAILSLOT\\BROWSE');
  assert.equal(r.at - smb, dataOffset);
  const data = new Reader(r.take(dataCount));
  r.end();
  assert.equal(byteCount, '\\MAILSLOT\\BROWSE'.length + 1 + dataCount);
  // [MS-BRWS] §2.2.1 HostAnnouncement
  assert.equal(data.u8(), 1);
  data.u8(); data.u32le();
  assert.equal(text(data.take(16)).replace(/\0+$/, ''), 'MASSCAN-TEST');
  data.u8(); data.u8();
  assert.equal(data.u32le() & 1, 1); // workstation
  assert.equal(data.u8(), 15); assert.equal(data.u8(), 1);
  assert.equal(data.u16le(), 0xaa55);
  assert.equal(data.cstr(), '');
  data.end();
});

/** BER TLV with short or long-form length. */
function ber(r: Reader, tag: number): Reader {
  assert.equal(r.u8(), tag);
  let len = r.u8();
  if (len & 0x80) { const n = len & 0x7f; len = 0; for (let i = 0; i < n; i++) len = (len << 8) | r.u8(); }
  return new Reader(r.take(len));
}
function berInt(r: Reader): number {
  const v = ber(r, 0x02);
  let n = 0;
  while (v.left > 0) n = n * 256 + v.u8();
  return n;
}
function berOid(r: Reader): string {
  const v = ber(r, 0x06);
  const first = v.u8();
  const arcs = [Math.floor(first / 40), first % 40];
  while (v.left > 0) { let a = 0, b: number; do { b = v.u8(); a = a * 128 + (b & 0x7f); } while (b & 0x80); arcs.push(a); }
  return arcs.join('.');
}

test('SNMPv1 (RFC 1157 §4.1.2): GetRequest public sysName.0 sysDescr.0, request-id = low 31 bits of the cookie', () => {
  const c = cookie4(KEY, 0x0a000001, 65536 + 161, 0xc0000232, 40000);
  assert.equal(cookieFieldValue('int31', c), 0x3d7aaaa7); // §6.1 vector
  const msg = new Reader(sent(161, c));
  const seq = ber(msg, 0x30);
  msg.end();
  assert.equal(berInt(seq), 0); // version-1
  assert.equal(text(ber(seq, 0x04).take(6)), 'public');
  const pdu = ber(seq, 0xa0); // GetRequest-PDU
  seq.end();
  assert.equal(berInt(pdu), 0x3d7aaaa7);
  assert.equal(berInt(pdu), 0); // error-status
  assert.equal(berInt(pdu), 0); // error-index
  const vbl = ber(pdu, 0x30);
  pdu.end();
  const oids: string[] = [];
  while (vbl.left > 0) {
    const vb = ber(vbl, 0x30);
    oids.push(berOid(vb));
    assert.equal(hex(vb.take(2)), '0500'); // NULL
    vb.end();
  }
  assert.deepEqual(oids, ['1.3.6.1.2.1.1.5.0', '1.3.6.1.2.1.1.1.0']);
});

test('DTLS (RFC 6347 §4.1/4.2.2, RFC 5246 §7.4.1.2): record + ClientHello, cookie in the record sequence number', () => {
  const c = 0xfedcba98;
  const r = new Reader(sent(443, c));
  assert.equal(r.u8(), 22); // handshake
  assert.equal(r.u16(), 0xfeff); // DTLS 1.0 record
  assert.equal(r.u16(), 0); // epoch
  assert.equal(r.u16(), 0); // sequence high 16 bits
  assert.equal(r.u32(), c & 0x7fffffff); // sequence low 32 bits: the cookie
  const recLen = r.u16();
  assert.equal(recLen, r.left);
  assert.equal(r.u8(), 1); // client_hello
  const len = r.u24();
  assert.equal(r.u16(), 0); // message_seq
  assert.equal(r.u24(), 0); // fragment_offset
  assert.equal(r.u24(), len); // unfragmented
  assert.equal(len, r.left);
  assert.equal(r.u16(), 0xfefd); // client_version DTLS 1.2
  r.take(32); // random
  assert.equal(r.u8(), 0); // session id
  assert.equal(r.u8(), 0); // cookie
  const suitesLen = r.u16();
  assert.ok(suitesLen >= 2 && suitesLen % 2 === 0);
  const suites: number[] = [];
  for (let i = 0; i < suitesLen; i += 2) suites.push(r.u16());
  assert.ok(suites.includes(0x002f)); // TLS_RSA_WITH_AES_128_CBC_SHA (mandatory in TLS 1.2)
  assert.ok(suites.includes(0xc0a8)); // CoAP's PSK suite
  const comp = r.take(r.u8());
  assert.deepEqual([...comp], [0]);
  const extLen = r.u16();
  assert.equal(extLen, r.left);
  const types: number[] = [];
  while (r.left > 0) { types.push(r.u16()); r.take(r.u16()); }
  assert.deepEqual(types, [10, 11, 13, 23, 0xff01]);
});

test('ISAKMP (RFC 2408 §3.1-3.6, RFC 2409 App. A): main mode SA with IKE transforms, initiator cookie = cookie', () => {
  const c = 0x12345678;
  const b = sent(500, c);
  const r = new Reader(b);
  assert.equal(r.u32(), c & 0x7fffffff); // initiator cookie, first half
  assert.equal(text(r.take(4)), 'tide'); // second half, never all zero
  assert.equal(hex(r.take(8)), '0000000000000000'); // responder cookie
  assert.equal(r.u8(), 1); // next: SA
  assert.equal(r.u8(), 0x10); // version 1.0
  assert.equal(r.u8(), 2); // identity protection (main mode)
  assert.equal(r.u8(), 0); // flags
  assert.equal(r.u32(), 0); // message id
  assert.equal(r.u32(), b.length);
  // SA payload
  assert.equal(r.u8(), 0); r.u8();
  assert.equal(r.u16(), r.left + 4);
  assert.equal(r.u32(), 1); // IPSEC DOI
  assert.equal(r.u32(), 1); // SIT_IDENTITY_ONLY
  // Proposal
  assert.equal(r.u8(), 0); r.u8();
  assert.equal(r.u16(), r.left + 4);
  assert.equal(r.u8(), 1); // proposal #1
  assert.equal(r.u8(), 1); // PROTO_ISAKMP
  assert.equal(r.u8(), 0); // no SPI
  const n = r.u8();
  const seen: string[] = [];
  for (let i = 1; i <= n; i++) {
    const next = r.u8(); r.u8();
    const t = new Reader(r.take(r.u16() - 4));
    assert.equal(next, i === n ? 0 : 3);
    assert.equal(t.u8(), i);
    assert.equal(t.u8(), 1); // KEY_IKE
    assert.equal(t.u16(), 0);
    const a = new Map<number, number>();
    while (t.left > 0) { const ty = t.u16(); assert.ok(ty & 0x8000, 'TV attributes'); a.set(ty & 0x7fff, t.u16()); }
    assert.equal(a.get(3), 1); // pre-shared key
    assert.equal(a.get(11), 1); // seconds
    assert.equal(a.get(12), 28800);
    if (a.get(1) === 7) assert.ok(a.get(14) === 128 || a.get(14) === 256); // AES needs a key length
    seen.push(`${a.get(1)}/${a.get(2)}/${a.get(4)}`);
  }
  r.end();
  assert.ok(seen.includes('5/2/2') && seen.includes('1/1/1') && seen.includes('7/4/14'), seen.join(' '));
});

test('RIPv1 (RFC 1058 §3.4.1): whole-table request', () => {
  const r = new Reader(payload(520).bytes);
  assert.equal(r.u8(), 1); // request
  assert.equal(r.u8(), 1); // version 1
  assert.equal(r.u16(), 0);
  assert.equal(r.u16(), 0); // AFI 0
  assert.equal(r.u16(), 0);
  assert.equal(r.u32(), 0); // address
  assert.equal(r.u32(), 0); assert.equal(r.u32(), 0);
  assert.equal(r.u32(), 16); // metric infinity
  r.end();
});

test('RADIUS (RFC 2865 §3 / RFC 2866 §3): 20-byte Access-Request on auth ports, Accounting-Request on accounting ports', () => {
  for (const [port, code] of [[1645, 1], [1812, 1], [1646, 4], [1813, 4]] as const) {
    const r = new Reader(payload(port).bytes);
    assert.equal(r.u8(), code);
    r.u8(); // identifier
    assert.equal(r.u16(), 20);
    assert.equal(r.take(16).length, 16);
    r.end();
  }
});

test('L2TP (RFC 2661 §3.1, §4, §6.1): SCCRQ with the mandatory AVPs, Assigned Tunnel ID = cookie', () => {
  const c = 0xabcd1234;
  const p = payload(1701);
  const r = new Reader(sent(1701, c));
  const flags = r.u16();
  assert.equal(flags & 0x8000, 0x8000); // T: control
  assert.equal(flags & 0x4000, 0x4000); // L
  assert.equal(flags & 0x0800, 0x0800); // S
  assert.equal(flags & 0x0300, 0); // O, P clear
  assert.equal(flags & 15, 2); // version 2
  assert.equal(r.u16(), p.bytes.length);
  assert.deepEqual([r.u16(), r.u16(), r.u16(), r.u16()], [0, 0, 0, 0]); // tunnel, session, Ns, Nr
  const avps = new Map<number, Uint8Array>();
  const order: number[] = [];
  while (r.left > 0) {
    const h = r.u16();
    assert.equal(h & 0x8000, 0x8000); // M
    assert.equal(h & 0x4000, 0); // not hidden
    const len = h & 0x3ff;
    assert.equal(r.u16(), 0); // IETF vendor
    const type = r.u16();
    order.push(type);
    avps.set(type, r.take(len - 6));
  }
  assert.equal(order[0], 0); // Message Type first
  assert.equal(hex(avps.get(0)!), '0001'); // SCCRQ
  assert.equal(hex(avps.get(2)!), '0100'); // version 1 revision 0
  assert.equal(avps.get(3)!.length, 4); // framing capabilities
  assert.equal(text(avps.get(7)!), 'tidescan');
  assert.equal(hex(avps.get(9)!), '1234'); // Assigned Tunnel ID = cookie & 0xffff
});

test('SSDP (UPnP DA 1.1 §1.3.2): M-SEARCH * HTTP/1.1, ssdp:discover, ST ssdp:all', () => {
  const s = text(payload(1900).bytes);
  assert.ok(s.endsWith('\r\n\r\n'));
  const lines = s.slice(0, -4).split('\r\n');
  assert.equal(lines[0], 'M-SEARCH * HTTP/1.1');
  const h = new Map(lines.slice(1).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).toUpperCase(), l.slice(i + 1).trim()] as const; }));
  assert.equal(h.get('HOST'), '239.255.255.250:1900');
  assert.equal(h.get('MAN'), '"ssdp:discover"');
  assert.match(h.get('MX')!, /^[1-5]$/);
  assert.equal(h.get('ST'), 'ssdp:all');
  assert.match(h.get('USER-AGENT')!, /^\S+\/\S+ UPnP\/1\.1 \S+\/\S+$/);
});

test('SIP (RFC 3261 §8.1.1, §11): OPTIONS with the mandatory headers, z9hG4bK branch, rport', () => {
  const s = text(payload(5060).bytes);
  assert.ok(s.endsWith('\r\n\r\n'));
  const lines = s.slice(0, -4).split('\r\n');
  assert.match(lines[0]!, /^OPTIONS sip:\S+ SIP\/2\.0$/);
  const h = new Map(lines.slice(1).map((l) => { const i = l.indexOf(':'); return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()] as const; }));
  for (const k of ['to', 'from', 'cseq', 'call-id', 'max-forwards', 'via']) assert.ok(h.has(k), k);
  assert.match(h.get('via')!, /^SIP\/2\.0\/UDP \S+;branch=z9hG4bK\S*;rport$/);
  assert.equal(h.get('cseq'), '1 OPTIONS');
  assert.match(h.get('from')!, /;tag=/);
  assert.equal(h.get('content-length'), '0');
});

test('CoAP (RFC 7252 §3): CON GET /.well-known/core, message id = cookie', () => {
  const r = new Reader(sent(5683, 0x0102beef));
  const b0 = r.u8();
  assert.equal(b0 >>> 6, 1); // version 1
  assert.equal((b0 >>> 4) & 3, 0); // confirmable
  const tkl = b0 & 15;
  assert.equal(r.u8(), 0x01); // 0.01 GET
  assert.equal(r.u16(), 0xbeef);
  r.take(tkl);
  let num = 0;
  const path: string[] = [];
  while (r.left > 0) {
    const h = r.u8();
    assert.notEqual(h, 0xff); // no payload
    const delta = h >>> 4, len = h & 15;
    assert.ok(delta < 13 && len < 13);
    num += delta;
    assert.equal(num, 11); // Uri-Path
    path.push(text(r.take(len)));
  }
  assert.equal('/' + path.join('/'), '/.well-known/core');
});

test('memcached (protocol.txt, UDP): frame header with request id = cookie, then stats', () => {
  const r = new Reader(sent(11211, 0x7777abcd));
  assert.equal(r.u16(), 0xabcd); // request id
  assert.equal(r.u16(), 0); // sequence
  assert.equal(r.u16(), 1); // datagrams
  assert.equal(r.u16(), 0); // reserved
  assert.equal(text(r.take(r.left)), 'stats\r\n');
});

test('ZeroAccess getL: decrypts (key ftp2, rotated left per word) to a CRC-correct getL; IDS bytes 28 94 8d ab at 4', () => {
  for (const port of [16464, 16465, 16470, 16471]) {
    const b = payload(port).bytes;
    assert.equal(b.length, 16);
    assert.equal(hex(b.subarray(4, 8)), '28948dab');
    const plain = new Uint8Array(16);
    let key = ZEROACCESS_KEY;
    for (let w = 0; w < 16; w += 4) {
      const v = (b[w]! | (b[w + 1]! << 8) | (b[w + 2]! << 16) | (b[w + 3]! << 24)) ^ key;
      plain[w] = v; plain[w + 1] = v >>> 8; plain[w + 2] = v >>> 16; plain[w + 3] = v >>> 24;
      key = ((key << 1) | (key >>> 31)) >>> 0;
    }
    const r = new Reader(plain);
    const crc = r.u32le();
    assert.equal(r.u32le(), 0x6765744c); // 'getL'
    assert.equal(r.u32le(), 0); // flags
    r.take(4); // id
    const zeroed = plain.slice(); zeroed.fill(0, 0, 4);
    assert.equal(crc, crc32(zeroed));
  }
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926); // the CRC-32 check value
});

test('Quake 3: out-of-band getstatus', () => {
  const b = payload(27960).bytes;
  assert.equal(hex(b.subarray(0, 4)), 'ffffffff');
  assert.equal(text(b.subarray(4)).trimEnd(), 'getstatus');
  assert.ok(b.subarray(4 + 'getstatus'.length).every((x) => x <= 0x20));
});

test('every built-in goes through UdpTemplate4 with its cookie in place and a valid UDP checksum', () => {
  const tpl = new UdpTemplate4({ srcMac: new Uint8Array(6), dstMac: new Uint8Array(6), srcIp: 0xc0000232 }, table);
  const slot = new Uint8Array(2048);
  const d = new Decoded(1, true);
  for (const p of BUILTIN_UDP_PAYLOADS) {
    for (const cookie of [0, 0xffffffff, 0x13579bdf, cookie4(KEY, 0x0a000001, 65536 + p.port, 0xc0000232, 40000)]) {
      slot.fill(0xa5);
      const len = tpl.patch(slot, 0, 0xc0000232, 0x0a000001, p.port, 40000, cookie);
      assert.equal(decodeFrame(slot, 0, len, d), 'ok', `port ${p.port}`);
      assert.equal(d.dstPort, p.port);
      assert.equal(hex(slot.subarray(d.payloadOff, d.payloadOff + d.payloadLen)), hex(sent(p.port, cookie)), `port ${p.port}`);
    }
  }
});

test('table: other ports empty; overrides win; bad entries refused', () => {
  const t = new UdpPayloadTable();
  assert.equal(t.get(1234), undefined);
  t.set(53, Uint8Array.of(1, 2, 3));
  assert.deepEqual([...t.get(53)!.bytes], [1, 2, 3]);
  assert.equal(t.get(53)!.cookie, 'none');
  assert.throws(() => t.set(70000, new Uint8Array(1)));
  assert.throws(() => t.set(9, new Uint8Array(MAX_UDP_PAYLOAD + 1)));
  assert.throws(() => t.set(9, new Uint8Array(3), 'int31', 0));
  assert.equal(new UdpPayloadTable(false).get(53), undefined);
  assert.equal(cookieFieldValue('none', 0xffffffff), 0);
  assert.equal(cookieFieldValue('id16', 0xffffffff), 0xffff);
  assert.equal(cookieFieldValue('int31', 0xffffffff), 0x7fffffff);
});

test('buildPayloadTable: built-ins, then entries in order (last wins), sent verbatim; bad entries are ScanErrors', () => {
  const shared = Uint8Array.of(9, 9);
  const t = buildPayloadTable([
    { port: 53, bytes: Uint8Array.of(1) },
    { port: 53, bytes: Uint8Array.of(2, 3) },
    { port: 4000, bytes: shared },
    { port: 4001, bytes: shared },
    { port: 5, bytes: new Uint8Array(0) },
  ]);
  assert.deepEqual([...t.get(53)!.bytes], [2, 3]);
  assert.equal(t.get(53)!.cookie, 'none');
  assert.deepEqual([...t.get(4001)!.bytes], [9, 9]);
  assert.equal(t.get(5)!.bytes.length, 0);
  assert.equal(hex(t.get(161)!.bytes), hex(payload(161).bytes)); // built-ins kept
  assert.equal(buildPayloadTable().entries().length, BUILTIN_UDP_PAYLOADS.length);
  assert.throws(() => buildPayloadTable([{ port: 65536, bytes: new Uint8Array(1) }]), isScanError);
  assert.throws(() => buildPayloadTable([{ port: 1.5, bytes: new Uint8Array(1) }]), isScanError);
  assert.throws(() => buildPayloadTable([{ port: 1, bytes: new Uint8Array(MAX_UDP_PAYLOAD + 1) }]), isScanError);
});
