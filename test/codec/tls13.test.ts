/**
 * The TLS 1.3 key schedule and record decryption against RFC 8448 §3 (Simple 1-RTT
 * Handshake): every intermediate secret, the server handshake key and iv, and the server's
 * real protected flight decrypted into EncryptedExtensions and a Certificate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createHash, X509Certificate } from 'node:crypto';
import {
  deriveSecret,
  earlySecrets,
  handshakeSecret,
  hkdfExpandLabel,
  messageHashMessage,
  serverHandshakeKeys,
  tls13Suite,
  Tls13RecordDecrypter,
  TlsScanKeys,
  trafficKeys,
  TLS13_SUITES,
} from '../../src/codec/tls13.js';
import { parseCertificate, parseServerHello, TlsGroup, TlsHandshakeReader, TlsHandshakeType } from '../../src/codec/tls.js';
import * as V from './rfc8448.js';

const SUITE = tls13Suite(0x1301)!;

function eq(a: Uint8Array, b: Uint8Array, what: string): void {
  assert.equal(Buffer.from(a).toString('hex'), Buffer.from(b).toString('hex'), what);
}

test('tls13: the suites map to their hash and AEAD (RFC 8446 §B.4)', () => {
  assert.deepEqual(TLS13_SUITES.map((s) => [s.id, s.hash, s.aead, s.keyLen]), [
    [0x1301, 'sha256', 'aes-128-gcm', 16],
    [0x1302, 'sha384', 'aes-256-gcm', 32],
    [0x1303, 'sha256', 'chacha20-poly1305', 32],
  ]);
  assert.equal(tls13Suite(0x1304), null);
  assert.equal(tls13Suite(0xc02f), null);
});

test('tls13: RFC 8448 ECDHE shared secret from the client private key and the ServerHello key share', () => {
  const keys = TlsScanKeys.fromX25519Private(V.CLIENT_PRIVATE);
  const sh = parseServerHello(V.SERVER_HELLO.subarray(4));
  assert.ok(typeof sh !== 'string');
  assert.equal(sh.keyShareGroup, TlsGroup.X25519);
  eq(sh.keyShare!, V.SERVER_PUBLIC, 'server key share');
  eq(keys.sharedSecret(TlsGroup.X25519, sh.keyShare!)!, V.SHARED_SECRET, 'shared secret');
  // The client's public key is in the RFC's ClientHello key_share (offset found by search).
  const pub = keys.publicKey(TlsGroup.X25519)!;
  assert.ok(Buffer.from(V.CLIENT_HELLO).includes(Buffer.from(pub)), 'our public key is the one in the RFC ClientHello');
});

test('tls13: RFC 8448 transcript hash, early/derived/handshake secrets, traffic secrets, key and iv', () => {
  const th = createHash('sha256').update(V.CLIENT_HELLO).update(V.SERVER_HELLO).digest();
  eq(th, V.HELLO_HASH, 'Hash(ClientHello..ServerHello)');
  const e = earlySecrets('sha256');
  eq(e.early, V.EARLY_SECRET, 'early secret');
  eq(e.derived, V.DERIVED_SECRET, 'derived');
  const hs = handshakeSecret('sha256', V.SHARED_SECRET);
  eq(hs, V.HANDSHAKE_SECRET, 'handshake secret');
  eq(deriveSecret('sha256', hs, 'c hs traffic', th), V.CLIENT_HS_TRAFFIC, 'c hs traffic');
  eq(deriveSecret('sha256', hs, 's hs traffic', th), V.SERVER_HS_TRAFFIC, 's hs traffic');
  const k = serverHandshakeKeys(SUITE, V.SHARED_SECRET, th);
  eq(k.secret, V.SERVER_HS_TRAFFIC, 'server_handshake_traffic_secret');
  eq(k.key, V.SERVER_HS_KEY, 'server handshake key');
  eq(k.iv, V.SERVER_HS_IV, 'server handshake iv');
  // trafficKeys alone, from the RFC's secret
  const t = trafficKeys(SUITE, Buffer.from(V.SERVER_HS_TRAFFIC));
  eq(t.key, V.SERVER_HS_KEY, 'key from secret');
  eq(t.iv, V.SERVER_HS_IV, 'iv from secret');
});

test('tls13: the RFC 8448 protected flight decrypts into EncryptedExtensions, Certificate, CertificateVerify, Finished', () => {
  const d = new Tls13RecordDecrypter(SUITE, Buffer.from(V.SERVER_HS_KEY), Buffer.from(V.SERVER_HS_IV));
  const r = d.decrypt(V.SERVER_FLIGHT_RECORD);
  assert.ok(typeof r !== 'string', String(r));
  assert.equal(r.type, 22);
  assert.equal(r.content.length, 657);
  eq(r.content.subarray(0, V.ENCRYPTED_EXTENSIONS.length), V.ENCRYPTED_EXTENSIONS, 'EncryptedExtensions');
  assert.equal(d.sequence, 1);
  const seen: number[] = [];
  let certs: Uint8Array[] = [];
  const hs = new TlsHandshakeReader();
  hs.push(r.content, 0, r.content.length, {
    handshakeWanted: () => true,
    handshakeMessage: (type, body) => {
      seen.push(type);
      if (type === TlsHandshakeType.CERTIFICATE) {
        const c = parseCertificate(body, true);
        assert.ok(typeof c !== 'string');
        certs = c.map((x) => x.slice());
      }
      return true;
    },
  });
  assert.deepEqual(seen, [8, 11, 15, 20]);
  assert.equal(certs.length, 1);
  assert.equal(new X509Certificate(certs[0]).subject, 'CN=rsa');
});

test('tls13: a flipped bit, a wrong sequence number or a wrong header fails the tag check', () => {
  const k = Buffer.from(V.SERVER_HS_KEY);
  const iv = Buffer.from(V.SERVER_HS_IV);
  for (const at of [0, 2, 5, 300, V.SERVER_FLIGHT_RECORD.length - 1]) {
    const bad = V.SERVER_FLIGHT_RECORD.slice();
    bad[at] ^= 0x01;
    const r = new Tls13RecordDecrypter(SUITE, k, iv).decrypt(bad);
    assert.ok(r === 'bad-tag' || r === 'malformed', `bit flipped at ${at}: ${String(typeof r === 'string' ? r : r.type)}`);
  }
  const d = new Tls13RecordDecrypter(SUITE, k, iv);
  assert.notEqual(typeof d.decrypt(V.SERVER_FLIGHT_RECORD), 'string');
  assert.equal(d.decrypt(V.SERVER_FLIGHT_RECORD), 'bad-tag', 'the same record at sequence 1');
  assert.equal(d.sequence, 1, 'a failed record does not advance the sequence');
  assert.equal(d.decrypt(V.SERVER_FLIGHT_RECORD.subarray(0, 100)), 'malformed', 'the header length disagrees');
  assert.equal(d.decrypt(V.SERVER_FLIGHT_RECORD.subarray(0, 5)), 'truncated');
});

test('tls13: records at later sequence numbers, every suite, padding and inner type stripped', () => {
  for (const suite of TLS13_SUITES) {
    const key = Buffer.alloc(suite.keyLen, 7);
    const iv = Buffer.from('000102030405060708090a0b', 'hex');
    const d = new Tls13RecordDecrypter(suite, key, iv);
    for (let seq = 0; seq < 300; seq++) {
      const content = Buffer.from(`message ${seq}`);
      const inner = Buffer.concat([content, Buffer.of(seq % 2 === 0 ? 22 : 21), Buffer.alloc(seq % 5)]);
      const nonce = Buffer.from(iv);
      nonce[11] ^= seq & 0xff;
      nonce[10] ^= seq >>> 8;
      const hdr = Buffer.of(23, 3, 3, (inner.length + 16) >>> 8, (inner.length + 16) & 0xff);
      const c = createCipheriv(suite.aead as 'aes-128-gcm', key, nonce, { authTagLength: 16 });
      c.setAAD(hdr);
      const body = Buffer.concat([c.update(inner), c.final(), c.getAuthTag()]);
      const r = d.decrypt(Buffer.concat([hdr, body]));
      assert.ok(typeof r !== 'string', `${suite.aead} seq ${seq}: ${String(r)}`);
      assert.equal(r.type, seq % 2 === 0 ? 22 : 21);
      assert.equal(r.content.toString(), content.toString());
    }
  }
});

test('tls13: message_hash replaces ClientHello1 after a HelloRetryRequest (RFC 8446 §4.4.1)', () => {
  const m = messageHashMessage('sha384', V.CLIENT_HELLO);
  assert.deepEqual([...m.subarray(0, 4)], [254, 0, 0, 48]);
  eq(m.subarray(4), createHash('sha384').update(V.CLIENT_HELLO).digest(), 'Hash(ClientHello1)');
});

test('tls13: scan keys for the three groups, and refusal of bad peer values', () => {
  const a = TlsScanKeys.generate();
  const b = TlsScanKeys.generate();
  for (const [g, len] of [[TlsGroup.X25519, 32], [TlsGroup.SECP256R1, 65], [TlsGroup.SECP384R1, 97]] as const) {
    const pa = a.publicKey(g)!;
    assert.equal(pa.length, len);
    const s1 = a.sharedSecret(g, b.publicKey(g)!);
    const s2 = b.sharedSecret(g, pa);
    assert.ok(s1 !== null && s2 !== null);
    eq(s1, s2, `group ${g}`);
    assert.equal(a.sharedSecret(g, pa.subarray(1)), null, 'wrong length');
  }
  assert.equal(a.publicKey(0x0019), null);
  assert.equal(a.sharedSecret(0x0019, new Uint8Array(133)), null);
  assert.equal(a.sharedSecret(TlsGroup.X25519, new Uint8Array(32)), null, 'low-order point: all-zero secret refused');
  assert.equal(a.sharedSecret(TlsGroup.SECP256R1, new Uint8Array(65).fill(4, 0, 1)), null, 'not on the curve');
});
