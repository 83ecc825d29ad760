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
