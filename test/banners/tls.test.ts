/**
 * The `ssl` module on recorded server flights: a TLS 1.2 RSA server, a TLS 1.3 ECDSA server
 * with an intermediate, and a TLS 1.3 server that asks for P-256 with a HelloRetryRequest are
 * each recorded once from a real `openssl s_server` on loopback (fixed scan keys and random,
 * so the module's hello is the same on replay), then replayed into fresh parsers whole, byte by
 * byte and at random split points (same banners, same fields, same actions), and mutated at
 * random (never a throw, output bounded by the input).
 */
import { before, after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TlsModule, tlsModule, certificateNames } from '../../src/banners/tls.js';
import { TlsScanKeys } from '../../src/codec/tls13.js';
import { HELLO_RETRY_RANDOM } from '../../src/codec/tls.js';
import type { TargetInfo } from '../../src/banners/module.js';
import { CertDir, grab, guarded, newGrab, recorder, startSServer, type CertFiles, type Grab } from '../codec/tls-lab.js';

const RUNS = Number(process.env.TIDESCAN_FUZZ_RUNS ?? 300);
const PRIV = Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + 5) & 0xff);
const KEYS = TlsScanKeys.fromX25519Private(PRIV);
const fixedRandom = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

interface Flight {
  readonly name: string;
  readonly t: TargetInfo;
  readonly bytes: Uint8Array;
  readonly live: Grab;
}

const dir = new CertDir();
let rsa: CertFiles;
let leaf: CertFiles;
let inter: CertFiles;
const flights: Flight[] = [];
const mod = new TlsModule({ captureCert: true, keys: KEYS, random: fixedRandom });

before(async () => {
  rsa = dir.selfSigned('rsa', 'rsa', 'rsa.test', ['rsa.test', 'www.rsa.test']);
  const root = dir.ca('root', 'Test Root', null);
  inter = dir.ca('inter', 'Test Intermediate', root);
  leaf = dir.leaf('leaf', 'ec', 'ec.test', ['ec.test', 'alt.ec.test'], inter);
  const chain = dir.bundle('chain.pem', [inter]);
  const cases: [string, string[], string | undefined][] = [
    ['tls12-rsa', ['-tls1_2', '-cert', rsa.cert, '-key', rsa.key], undefined],
    ['tls13-ecdsa-chain', ['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain], 'ec.test'],
    ['tls13-hrr-p256', ['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-groups', 'P-256', '-ciphersuites', 'TLS_AES_256_GCM_SHA384'], 'ec.test'],
  ];
  for (const [name, args, sni] of cases) {
    const s = await startSServer(args);
    try {
      const live = await grab(mod, s.port, sni);
      flights.push({ name, t: { ip: '127.0.0.1', port: s.port, name: sni }, bytes: Buffer.concat(live.received), live });
    } finally {
      await s.stop();
    }
  }
});

after(() => dir.dispose());

/** Replay `bytes` cut at `cuts` into a fresh parser; what it wrote, sent and whether it closed. */
function replay(f: Flight, bytes: Uint8Array, cuts: readonly number[], guard = false): Grab {
  const g = newGrab();
  const r = recorder(g, () => {}, () => {});
  const p = mod.open(f.t, r.out, r.conv);
  let prev = 0;
  for (const c of [...cuts, bytes.length]) {
    const piece = new Uint8Array(c - prev + 3);
    piece.set(bytes.subarray(prev, c), 3);
    // guard: reads outside the piece's [3, 3 + len) throw (out-of-bounds check)
    p.data(guard ? guarded(piece, 3, 3 + c - prev) : piece, 3, c - prev);
    prev = c;
  }
  p.end();
  return g;
}

function summary(g: Grab): string {
  return JSON.stringify({ banners: [...g.banners], fields: [...g.fields], closed: g.closed, sent: g.sent });
}

test('ssl: recorded live flights give the expected banners', () => {
  assert.equal(flights.length, 3);
  const [t12, t13, hrr] = flights;
  assert.equal(t12.live.banners.get('ssl'), 'TLS/1.2 cipher:0xc02f, rsa.test, rsa.test, www.rsa.test');
  assert.equal(t12.live.banners.get('X509'), rsa.der.toString('base64'));
  assert.equal(t12.live.banners.has('X509CA'), false);
  assert.equal(t13.live.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, ec.test, ec.test, alt.ec.test');
  assert.equal(t13.live.banners.get('X509'), leaf.der.toString('base64'));
  assert.equal(t13.live.banners.get('X509CA'), inter.der.toString('base64'));
  assert.equal(hrr.live.banners.get('ssl'), 'TLS/1.3 cipher:0x1302, ec.test, ec.test, alt.ec.test');
  assert.equal(hrr.live.sent, 1, 'a second ClientHello went out after the HelloRetryRequest');
  for (const f of flights) {
    assert.equal(f.live.closed, true, `${f.name}: closed after the Certificate`);
    assert.equal(f.live.fields.size, 0, `${f.name}: no error`);
  }
});

test('ssl: replay gives the same result whole, byte by byte and at random splits', () => {
  for (const f of flights) {
    const whole = summary(replay(f, f.bytes, []));
    assert.equal(whole, summary(f.live), `${f.name}: replay = live`);
    const bytes = Array.from({ length: f.bytes.length - 1 }, (_, i) => i + 1);
    assert.equal(summary(replay(f, f.bytes, bytes)), whole, `${f.name}: byte by byte`);
    fc.assert(fc.property(fc.uniqueArray(fc.integer({ min: 1, max: f.bytes.length - 1 }), { maxLength: 16 }), (cuts) => {
      assert.equal(summary(replay(f, f.bytes, cuts.sort((a, b) => a - b))), whole);
    }), { numRuns: 100 });
  }
});

test('ssl: without captureCert, only the ssl banner', () => {
  const m = tlsModule({ captureCert: false, keys: KEYS, random: fixedRandom });
  const f = flights[1];
  const g = newGrab();
  const r = recorder(g, () => {}, () => {});
  m.open(f.t, r.out, r.conv).data(f.bytes, 0, f.bytes.length);
  assert.deepEqual([...g.banners.keys()], ['ssl']);
  assert.equal(g.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, ec.test, ec.test, alt.ec.test');
});

test('ssl: the hello is the same bytes for the same target, and differs between targets', () => {
  const t: TargetInfo = { ip: '192.0.2.1', port: 443, name: undefined };
  const a = mod.hello(t);
  assert.deepEqual(a, mod.hello(t));
  assert.notDeepEqual(a, mod.hello({ ...t, port: 8443 }));
  assert.notDeepEqual(a, mod.hello({ ...t, name: 'example.com' }));
  const withSni = new TlsModule({ sni: 'forced.example', captureCert: true, keys: KEYS, random: fixedRandom });
  assert.ok(Buffer.from(withSni.hello({ ...t, name: 'other.example' })).includes(Buffer.from('forced.example')));
  assert.equal(mod.name, 'ssl');
});

test('ssl: a bit flipped inside a protected record is a decrypt error, recorded, and the parse ends', () => {
  const f = flights[1];
  // the first application_data record after the ServerHello and change_cipher_spec
  let p = 0;
  while (f.bytes[p] !== 23) p += 5 + ((f.bytes[p + 3] << 8) | f.bytes[p + 4]);
  const bad = f.bytes.slice();
  bad[p + 20] ^= 0x80;
  const g = replay(f, bad, []);
  assert.equal(g.fields.get('ssl.tls-error'), 'decrypt');
  assert.equal(g.banners.get('ssl'), 'TLS/1.3 cipher:0x1301');
  assert.equal(g.closed, true);
  assert.equal(g.banners.has('X509'), false);
});

test('ssl: alerts in masscan\'s text; a fatal one ends the parse', () => {
  const f = flights[0];
  const g = replay(f, Uint8Array.of(21, 3, 3, 0, 2, 2, 0x28, 22, 3, 3, 0, 1), []);
  assert.equal(g.banners.get('ssl'), ' ALERT(0x0228) ');
  assert.equal(g.closed, true);
  const w = replay(f, Uint8Array.of(21, 3, 1, 0, 2, 1, 0x70), [6]);
  assert.equal(w.banners.get('ssl'), ' ALERT(0x0170) ');
  assert.equal(w.closed, false, 'a warning does not end it');
});

test('ssl: names from a certificate node cannot parse are none; quoted SANs are unquoted', () => {
  assert.deepEqual(certificateNames(Uint8Array.of(0x30, 0x03, 1, 2, 3)), []);
  assert.deepEqual(certificateNames(leaf.der), ['ec.test', 'ec.test', 'alt.ec.test']);
});

test('ssl: fuzz: mutated and random flights never throw, output stays bounded', () => {
  const arb = fc.oneof(
    fc.tuple(fc.constantFrom(0, 1, 2), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat())
      .map(([i, flips, cut]) => {
        const f = flights[i];
        const b = f.bytes.slice();
        for (const [at, v] of flips) b[at % b.length] = v;
        return { f, bytes: b.subarray(0, 1 + (cut % b.length)) };
      }),
    fc.tuple(fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 600 })).map(([i, bytes]) => ({ f: flights[i], bytes })),
    // a valid prefix (the ServerHello) followed by garbage
    fc.tuple(fc.constantFrom(0, 1, 2), fc.uint8Array({ maxLength: 300 })).map(([i, tail]) => {
      const f = flights[i];
      const shLen = 5 + ((f.bytes[3] << 8) | f.bytes[4]);
      return { f, bytes: Uint8Array.from([...f.bytes.subarray(0, shLen), ...tail]) };
    }),
  );
  fc.assert(fc.property(arb, fc.uniqueArray(fc.nat(2000), { maxLength: 6 }), ({ f, bytes }, rawCuts) => {
    const cuts = rawCuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b);
    const g = replay(f, bytes, cuts, true);
    let total = 0;
    for (const v of g.banners.values()) total += v.length;
    // base64 of at most every input byte, plus names and the fixed text
    assert.ok(total <= 2 * bytes.length + 200, `${total} bytes out of ${bytes.length} in`);
    assert.ok(g.sent <= 1);
  }), { numRuns: RUNS });
});

/** A HelloRetryRequest record asking for `group` (RFC 8446 §4.1.4), suite TLS_AES_128_GCM_SHA256. */
function hrrRecord(group: number, cookie: number[] | null): Uint8Array {
  const ext = [0, 43, 0, 2, 3, 4];
  if (group >= 0) ext.push(0, 51, 0, 2, group >> 8, group & 0xff);
  if (cookie !== null) ext.push(0, 44, 0, cookie.length + 2, 0, cookie.length, ...cookie);
  const body = [3, 3, ...HELLO_RETRY_RANDOM, 0, 0x13, 0x01, 0, ext.length >> 8, ext.length & 0xff, ...ext];
  const msg = [2, 0, body.length >> 8, body.length & 0xff, ...body];
  return Uint8Array.from([22, 3, 3, msg.length >> 8, msg.length & 0xff, ...msg]);
}

test('ssl: HelloRetryRequests we cannot honour are recorded; one we can is answered with its cookie', () => {
  const f = flights[1];
  for (const [bytes, why] of [
    [hrrRecord(0x001e, null), 'x448: no key for it'],
    [hrrRecord(0x001d, null), 'x25519: the group we already sent'],
    [hrrRecord(-1, null), 'no change asked'],
  ] as const) {
    const g = replay(f, bytes, []);
    assert.equal(g.banners.get('ssl'), 'TLS/1.3 cipher:0x1301', why);
    assert.equal(g.fields.get('ssl.tls-error'), 'hello-retry', why);
    assert.equal(g.sent, 0, why);
    assert.equal(g.closed, true, why);
  }
  const sent: Uint8Array[] = [];
  const g = newGrab();
  const r = recorder(g, (b) => sent.push(b.slice()), () => {});
  const p = mod.open(f.t, r.out, r.conv);
  const one = hrrRecord(0x0017, [0xc0, 0x0c, 0x1e]);
  p.data(one, 0, one.length);
  assert.equal(sent.length, 1);
  const ch2 = Buffer.from(sent[0]);
  assert.equal(ch2.readUInt16BE(1), 0x0303, 'record version of a second ClientHello');
  assert.ok(ch2.includes(Buffer.from([0, 44, 0, 5, 0, 3, 0xc0, 0x0c, 0x1e])), 'cookie echoed');
  assert.ok(ch2.includes(Buffer.from([0, 51, 0, 0x47, 0, 0x45, 0, 0x17, 0, 0x41, 4])), 'one P-256 key share');
  assert.equal(ch2.subarray(11, 43).toString('hex'), Buffer.from(mod.hello(f.t)).subarray(11, 43).toString('hex'), 'same random');
  p.data(one, 0, one.length);
  assert.equal(g.fields.get('ssl.tls-error'), 'hello-retry', 'a second HelloRetryRequest aborts (RFC 8446 §4.1.4)');
});
