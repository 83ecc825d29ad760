/**
 * TLS records and handshake messages: our ClientHello read back field by field, the message
 * parsers on real (RFC 8448) and hand-made bytes, the record and handshake readers giving the
 * same events whole, byte by byte and at random split points, and fuzzing of every reader of
 * untrusted bytes over a proxy that throws on any read out of bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  buildClientHello,
  CLIENT_CIPHER_SUITES,
  HELLO_RETRY_RANDOM,
  parseAlert,
  parseCertificate,
  parseServerHello,
  sniHostName,
  tlsVersionToken,
  TlsGroup,
  TlsHandshakeReader,
  TlsRecordReader,
  TLS_MAX_RECORD_LEN,
  type TlsHandshakeSink,
  type TlsRecordSink,
} from '../../src/codec/tls.js';
import * as V from './rfc8448.js';
import { guarded } from './tls-lab.js';

const RUNS = Number(process.env.TIDESCAN_FUZZ_RUNS ?? 1000);

// --- a small independent reader of our ClientHello, for the structure test ---

function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

function readHello(rec: Uint8Array) {
  assert.equal(rec[0], 22);
  const recordVersion = u16(rec, 1);
  assert.equal(u16(rec, 3), rec.length - 5, 'record length');
  assert.equal(rec[5], 1, 'ClientHello');
  assert.equal((rec[6] << 16) | (rec[7] << 8) | rec[8], rec.length - 9, 'handshake length');
  let p = 9;
  const legacyVersion = u16(rec, p);
  const random = rec.subarray(p + 2, p + 34);
  p += 34;
  const sid = rec.subarray(p + 1, p + 1 + rec[p]);
  p += 1 + rec[p];
  const suites: number[] = [];
  const sl = u16(rec, p);
  for (let i = 0; i < sl; i += 2) suites.push(u16(rec, p + 2 + i));
  p += 2 + sl;
  const comp = [...rec.subarray(p + 1, p + 1 + rec[p])];
  p += 1 + rec[p];
  const extEnd = p + 2 + u16(rec, p);
  assert.equal(extEnd, rec.length, 'extensions end the message');
  p += 2;
  const ext = new Map<number, Uint8Array>();
  const order: number[] = [];
  while (p < extEnd) {
    const t = u16(rec, p);
    const l = u16(rec, p + 2);
    ext.set(t, rec.subarray(p + 4, p + 4 + l));
    order.push(t);
    p += 4 + l;
  }
  assert.equal(p, extEnd);
  return { recordVersion, legacyVersion, random, sid, suites, comp, ext, order };
}

const RANDOM = Uint8Array.from({ length: 32 }, (_, i) => i);
const SID = Uint8Array.from({ length: 32 }, (_, i) => 0xa0 + i);
const X25519_PUB = Uint8Array.from({ length: 32 }, (_, i) => 0x40 + i);

test('tls: our ClientHello, read back field by field', () => {
  const rec = buildClientHello({ random: RANDOM, sessionId: SID, serverName: 'Www.Example.COM.', keyShares: [{ group: TlsGroup.X25519, key: X25519_PUB }] });
  const h = readHello(rec);
  assert.equal(h.recordVersion, 0x0301);
  assert.equal(h.legacyVersion, 0x0303);
  assert.deepEqual([...h.random], [...RANDOM]);
  assert.deepEqual([...h.sid], [...SID]);
  assert.deepEqual(h.suites, [...CLIENT_CIPHER_SUITES]);
  for (const s of [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc030, 0xcca8, 0xc013, 0x009c, 0x002f, 0x0035]) assert.ok(h.suites.includes(s), s.toString(16));
  assert.deepEqual(h.comp, [0]);
  assert.deepEqual(h.order, [0, 10, 11, 13, 43, 51, 45]);
  assert.equal(Buffer.from(h.ext.get(0)!).toString('hex'), '0012' + '00' + '000f' + Buffer.from('www.example.com').toString('hex'));
  assert.equal(Buffer.from(h.ext.get(10)!).toString('hex'), '0006001d00170018');
  assert.equal(Buffer.from(h.ext.get(11)!).toString('hex'), '0100');
  assert.equal(Buffer.from(h.ext.get(43)!).toString('hex'), '080304030303020301');
  assert.equal(Buffer.from(h.ext.get(51)!).toString('hex'), '0024001d0020' + Buffer.from(X25519_PUB).toString('hex'));
  assert.equal(Buffer.from(h.ext.get(45)!).toString('hex'), '0101');
  const sig = h.ext.get(13)!;
  assert.equal(u16(sig, 0), sig.length - 2);
  for (const s of [0x0403, 0x0804, 0x0401, 0x0807]) assert.ok(Buffer.from(sig).includes(Buffer.of(s >> 8, s & 0xff)));
});

test('tls: a second ClientHello (after HelloRetryRequest): record version 0x0303, one P-256 share, the cookie last', () => {
  const p256 = new Uint8Array(65).fill(4);
  const rec = buildClientHello({ random: RANDOM, sessionId: SID, keyShares: [{ group: TlsGroup.SECP256R1, key: p256 }], cookie: Uint8Array.of(1, 2, 3), recordVersion: 0x0303 });
  const h = readHello(rec);
  assert.equal(h.recordVersion, 0x0303);
  assert.deepEqual(h.order, [10, 11, 13, 43, 51, 45, 44], 'no server_name without a name; cookie');
  assert.equal(Buffer.from(h.ext.get(51)!).toString('hex'), '004500170041' + Buffer.from(p256).toString('hex'));
  assert.equal(Buffer.from(h.ext.get(44)!).toString('hex'), '0003010203', 'cookie<1..2^16-1>');
});

test('tls: server_name only for DNS names (RFC 6066 §3: no IP literals)', () => {
  assert.equal(sniHostName(undefined), null);
  assert.equal(sniHostName(''), null);
  assert.equal(sniHostName('192.0.2.1'), null);
  assert.equal(sniHostName('2001:db8::1'), null);
  assert.equal(sniHostName('bad name'), null);
  assert.equal(sniHostName('Example.ORG.'), 'example.org');
  assert.equal(sniHostName('x'.repeat(256)), null);
  const rec = buildClientHello({ random: RANDOM, sessionId: SID, serverName: '10.0.0.1', keyShares: [] });
  assert.equal(readHello(rec).ext.has(0), false);
  assert.throws(() => buildClientHello({ random: RANDOM.subarray(1), sessionId: SID, keyShares: [] }), RangeError);
});

test('tls: version tokens in masscan\'s text', () => {
  assert.deepEqual([0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x7f1c].map(tlsVersionToken), ['SSLv3 ', 'TLS/1.0 ', 'TLS/1.1 ', 'TLS/1.2 ', 'TLS/1.3 ', 'SSLver[127,28] ']);
});

test('tls: parse the RFC 8448 ServerHello', () => {
  const sh = parseServerHello(V.SERVER_HELLO.subarray(4));
  assert.ok(typeof sh !== 'string');
  assert.equal(sh.legacyVersion, 0x0303);
  assert.equal(sh.version, 0x0304);
  assert.equal(sh.cipherSuite, 0x1301);
  assert.equal(sh.compression, 0);
  assert.equal(sh.helloRetry, false);
  assert.equal(sh.sessionId.length, 0);
  assert.equal(sh.keyShareGroup, 0x1d);
  assert.equal(Buffer.from(sh.keyShare!).toString('hex'), Buffer.from(V.SERVER_PUBLIC).toString('hex'));
  assert.equal(sh.cookie, null);
  // every truncation is refused with a reason, never a throw
  for (let n = 0; n < V.SERVER_HELLO.length - 4; n++) {
    // cut right after the compression byte (38), what is left is a valid 1.2-style ServerHello
    if (n === 38) continue;
    assert.equal(typeof parseServerHello(V.SERVER_HELLO.subarray(4, 4 + n)), 'string', `cut at ${n}`);
  }
});

function serverHello(random: Uint8Array, suite: number, exts: number[]): Uint8Array {
  return Uint8Array.from([0x03, 0x03, ...random, 0, suite >> 8, suite & 0xff, 0, exts.length >> 8, exts.length & 0xff, ...exts]);
}

test('tls: a 1.2 ServerHello without extensions; a HelloRetryRequest with its group and cookie', () => {
  const plain = Uint8Array.from([0x03, 0x03, ...RANDOM, 0, 0xc0, 0x2f, 0]);
  const sh = parseServerHello(plain);
  assert.ok(typeof sh !== 'string');
  assert.equal(sh.version, 0x0303);
  assert.equal(sh.cipherSuite, 0xc02f);
  assert.equal(sh.keyShareGroup, -1);
  const hrr = parseServerHello(serverHello(HELLO_RETRY_RANDOM, 0x1302, [0, 43, 0, 2, 3, 4, 0, 51, 0, 2, 0, 0x17, 0, 44, 0, 4, 0, 2, 0xab, 0xcd]));
  assert.ok(typeof hrr !== 'string');
  assert.equal(hrr.helloRetry, true);
  assert.equal(hrr.version, 0x0304);
  assert.equal(hrr.keyShareGroup, 0x17);
  assert.equal(hrr.keyShare, null);
  assert.deepEqual([...hrr.cookie!], [0xab, 0xcd]);
  assert.equal(parseServerHello(serverHello(RANDOM, 0x1301, [0, 43, 0, 3, 3, 4, 0])), 'malformed');
  assert.equal(parseServerHello(serverHello(RANDOM, 0x1301, [0, 51, 0, 5, 0, 0x1d, 0, 2, 1])), 'malformed');
  assert.equal(parseServerHello(serverHello(RANDOM, 0x1301, [0, 51, 0, 9])), 'truncated');
});

function cert12(certs: number[][]): Uint8Array {
  const list = certs.flatMap((c) => [c.length >> 16, (c.length >> 8) & 0xff, c.length & 0xff, ...c]);
  return Uint8Array.from([list.length >> 16, (list.length >> 8) & 0xff, list.length & 0xff, ...list]);
}

test('tls: Certificate in both forms; zero-length and overlong entries refused', () => {
  const c = parseCertificate(cert12([[1, 2, 3], [4]]), false);
  assert.deepEqual(typeof c === 'string' ? c : c.map((x) => [...x]), [[1, 2, 3], [4]]);
  assert.deepEqual(parseCertificate(cert12([]), false), []);
  assert.equal(parseCertificate(cert12([[]]), false), 'malformed');
  const t13 = Uint8Array.from([2, 9, 9, 0, 0, 15, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 1, 7, 0, 1, 0xee]);
  // context of 2, list of 15: (3-byte len 3, cert, ext len 0), (len 1, cert, ext len 1 + 1 byte)
  const c13 = parseCertificate(t13, true);
  assert.deepEqual(typeof c13 === 'string' ? c13 : c13.map((x) => [...x]), [[1, 2, 3], [7]]);
  assert.equal(parseCertificate(t13.subarray(0, 20), true), 'truncated');
  assert.equal(parseCertificate(t13, false), 'truncated');
  assert.deepEqual(parseAlert(Uint8Array.of(2, 40), 0, 2), { level: 2, description: 40 });
  assert.equal(parseAlert(Uint8Array.of(2), 0, 1), 'truncated');
});

// --- the readers: same events whatever the split ---

type Ev = string;

class RecordLog implements TlsRecordSink {
  readonly ev: Ev[] = [];
  private cur: number[] = [];
  constructor(private readonly stopAfter = Infinity) {}
  recordStart(type: number, version: number, length: number): boolean {
    this.cur = [];
    this.ev.push(`start ${type} ${version.toString(16)} ${length}`);
    return this.ev.length < this.stopAfter;
  }
  recordData(buf: Uint8Array, off: number, len: number): void {
    for (let i = 0; i < len; i++) this.cur.push(buf[off + i]);
  }
  recordEnd(): boolean {
    this.ev.push(`end ${Buffer.from(this.cur).toString('hex')}`);
    return this.ev.length < this.stopAfter;
  }
}

function record(type: number, body: number[]): number[] {
  return [type, 3, 3, body.length >> 8, body.length & 0xff, ...body];
}

const STREAM = Uint8Array.from([
  ...record(22, [2, 0, 0, 3, 1, 2, 3, 11, 0]), // a message and the start of the next
  ...record(22, [0, 2, 9, 9]), // its rest
  ...record(20, [1]),
  ...record(23, []),
  ...record(21, [2, 70]),
  ...record(23, Array.from({ length: 300 }, (_, i) => i & 0xff)),
]);

function splitRun<S>(data: Uint8Array, cuts: number[], make: () => S, push: (s: S, b: Uint8Array, o: number, l: number) => void): S {
  const s = make();
  let prev = 0;
  for (const c of [...cuts, data.length]) {
    // each piece is a view at an offset inside a larger buffer, as the session hands them over
    const piece = new Uint8Array(c - prev + 8);
    piece.set(data.subarray(prev, c), 4);
    push(s, piece, 4, c - prev);
    prev = c;
  }
  return s;
}

const cutsOf = (n: number) => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, n - 1) }), { maxLength: 12 }).map((a) => a.filter((x) => x < n).sort((x, y) => x - y));

test('tls: record reader gives the same events whole, byte by byte and at random splits', () => {
  const pushRec = (s: { r: TlsRecordReader; log: RecordLog }, b: Uint8Array, o: number, l: number) => s.r.push(b, o, l, s.log);
  const make = () => ({ r: new TlsRecordReader(), log: new RecordLog() });
  const whole = splitRun(STREAM, [], make, pushRec).log.ev;
  assert.equal(whole.length, 12);
  assert.equal(whole[0], 'start 22 303 9');
  assert.equal(whole[1], 'end 02000003010203' + '0b00');
  assert.equal(whole[7], 'end ', 'an empty record');
  const bytes = splitRun(STREAM, Array.from({ length: STREAM.length - 1 }, (_, i) => i + 1), make, pushRec).log.ev;
  assert.deepEqual(bytes, whole);
  fc.assert(fc.property(cutsOf(STREAM.length), (cuts) => {
    assert.deepEqual(splitRun(STREAM, cuts, make, pushRec).log.ev, whole);
  }), { numRuns: 300 });
});

test('tls: record reader refuses bad headers and honours a stop', () => {
  for (const [bytes, err] of [
    [[25, 3, 3, 0, 0], 'malformed'],
    [[0x80, 0x2e, 1, 0, 2], 'unsupported'], // an SSLv2 ServerHello
    [[22, 2, 0, 0, 0], 'unsupported'],
    [[22, 3, 3, (TLS_MAX_RECORD_LEN + 1) >> 8, (TLS_MAX_RECORD_LEN + 1) & 0xff], 'malformed'],
  ] as const) {
    const r = new TlsRecordReader();
    assert.equal(r.push(Uint8Array.from(bytes), 0, bytes.length, new RecordLog()), false);
    assert.equal(r.error, err);
    assert.equal(r.done, true);
  }
  const r = new TlsRecordReader();
  const log = new RecordLog(2);
  assert.equal(r.push(STREAM, 0, STREAM.length, log), false);
  assert.equal(r.error, null);
  assert.equal(log.ev.length, 2);
  assert.equal(r.push(STREAM, 0, STREAM.length, log), false, 'nothing more once stopped');
  assert.equal(log.ev.length, 2);
});

class HsLog implements TlsHandshakeSink {
  readonly ev: Ev[] = [];
  handshakeWanted(type: number, length: number): boolean {
    this.ev.push(`want ${type} ${length}`);
    return type !== 4;
  }
  handshakeMessage(type: number, body: Uint8Array): boolean {
    this.ev.push(`msg ${type} ${Buffer.from(body).toString('hex')}`);
    return true;
  }
}

const BIG = Array.from({ length: 20000 }, (_, i) => (i * 7) & 0xff);
const HS_STREAM = Uint8Array.from([
  2, 0, 0, 3, 1, 2, 3,
  4, 0, 0, 5, 9, 9, 9, 9, 9, // skipped
  14, 0, 0, 0, // empty
  11, 0, BIG.length >> 8, BIG.length & 0xff, ...BIG, // grows its buffer
]);

test('tls: handshake reader reassembles messages across any split, skips unwanted ones, grows for big ones', () => {
  const make = () => ({ r: new TlsHandshakeReader(), log: new HsLog() });
  const pushHs = (s: { r: TlsHandshakeReader; log: HsLog }, b: Uint8Array, o: number, l: number) => s.r.push(b, o, l, s.log);
  const whole = splitRun(HS_STREAM, [], make, pushHs).log.ev;
  assert.deepEqual(whole.slice(0, 5), ['want 2 3', 'msg 2 010203', 'want 4 5', 'want 14 0', 'msg 14 ']);
  assert.equal(whole[6], `msg 11 ${Buffer.from(BIG).toString('hex')}`);
  assert.deepEqual(splitRun(HS_STREAM, Array.from({ length: HS_STREAM.length - 1 }, (_, i) => i + 1), make, pushHs).log.ev, whole);
  fc.assert(fc.property(cutsOf(HS_STREAM.length), (cuts) => {
    assert.deepEqual(splitRun(HS_STREAM, cuts, make, pushHs).log.ev, whole);
  }), { numRuns: 200 });
  const capped = new TlsHandshakeReader(100);
  assert.equal(capped.push(HS_STREAM, 0, HS_STREAM.length, new HsLog()), false);
  assert.equal(capped.error, 'unsupported');
});

// --- fuzzing ---

const framed = fc.tuple(fc.uint8Array({ maxLength: 400 }), fc.nat(16), fc.nat(16)).map(([bytes, before, after]) => {
  const buf = new Uint8Array(before + bytes.length + after).fill(0xa5);
  buf.set(bytes, before);
  return { buf, off: before, len: bytes.length };
});

/** Real messages, cut and with bytes flipped. */
const mutated = fc.tuple(
  fc.constantFrom(V.SERVER_HELLO.subarray(4), cert12([[1, 2, 3], [4, 5]]), Uint8Array.from([2, 9, 9, 0, 0, 15, 0, 0, 3, 1, 2, 3, 0, 0, 0, 0, 1, 7, 0, 1, 0xee]), STREAM),
  fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
  fc.nat(),
).map(([base, flips, cut]) => {
  const b = base.slice();
  for (const [at, v] of flips) b[at % b.length] = v;
  const n = cut % (b.length + 1);
  return { buf: b.subarray(0, n).slice(), off: 0, len: n };
});

test('tls: fuzz: parsers and readers never throw or read out of bounds', () => {
  fc.assert(fc.property(fc.oneof(framed, mutated), ({ buf, off, len }) => {
    const g = guarded(buf, off, off + len);
    const body = guarded(buf.subarray(off, off + len), 0, len);
    for (const tls13 of [false, true]) {
      const c = parseCertificate(body, tls13);
      if (typeof c !== 'string') for (const x of c) assert.ok(x.length >= 1 && x.length <= len);
    }
    const sh = parseServerHello(body);
    if (typeof sh !== 'string') {
      assert.equal(sh.random.length, 32);
      if (sh.keyShare !== null) assert.ok(sh.keyShare.length <= len);
    }
    parseAlert(g, off, len);
    const r = new TlsRecordReader();
    const log = new RecordLog();
    r.push(g, off, len, log);
    const h = new TlsHandshakeReader(1 << 16);
    h.push(g, off, len, new HsLog());
  }), { numRuns: RUNS });
});
