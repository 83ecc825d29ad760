/**
 * The `ssl` module end to end against real `openssl s_server` processes on 127.0.0.1 (loopback
 * only; each server bounded in time and killed by its PID), driven over a plain `net` socket:
 * the module's hello, then the socket's bytes into its parser.
 *
 * - TLS 1.2 with an RSA certificate;
 * - TLS 1.3 with an ECDSA leaf and an intermediate, once per AEAD suite;
 * - a server that chooses its certificate by SNI and refuses a wrong name with a fatal alert;
 * - a certificate above 10 KB (many SANs) arriving whole in X509.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tlsModule } from '../../src/banners/tls.js';
import { TlsScanKeys } from '../../src/codec/tls13.js';
import { CertDir, grab, startSServer, type CertFiles } from '../codec/tls-lab.js';

const dir = new CertDir();
const keys = TlsScanKeys.generate();
const mod = tlsModule({ captureCert: true, keys, random: (n) => randomBytes(n) });
let rsa: CertFiles;
let inter: CertFiles;
let leaf: CertFiles;
let chain: string;

before(() => {
  rsa = dir.selfSigned('rsa', 'rsa', 'rsa.test', ['rsa.test', 'www.rsa.test']);
  const root = dir.ca('root', 'Test Root', null);
  inter = dir.ca('inter', 'Test Intermediate', root);
  leaf = dir.leaf('leaf', 'ec', 'ec.test', ['ec.test', 'alt.ec.test'], inter);
  chain = dir.bundle('chain.pem', [inter]);
});

after(() => dir.dispose());

async function withServer<T>(args: string[], f: (port: number) => Promise<T>): Promise<T> {
  const s = await startSServer(args, 30_000);
  try {
    return await f(s.port);
  } finally {
    await s.stop();
  }
}

test('ssl e2e: TLS 1.2, RSA certificate', async () => {
  for (const [cipher, id] of [['ECDHE-RSA-AES128-GCM-SHA256', 'c02f'], ['ECDHE-RSA-AES256-SHA', 'c014'], ['AES128-GCM-SHA256', '9c']]) {
    const g = await withServer(['-tls1_2', '-cert', rsa.cert, '-key', rsa.key, '-cipher', cipher], (port) => grab(mod, port, undefined));
    assert.equal(g.banners.get('ssl'), `TLS/1.2 cipher:0x${id}, rsa.test, rsa.test, www.rsa.test`, cipher);
    assert.equal(g.banners.get('X509'), rsa.der.toString('base64'));
    assert.equal(g.banners.has('X509CA'), false);
    assert.equal(g.closed, true);
  }
});

test('ssl e2e: TLS 1.0 and 1.1 servers (old protocol versions allowed at security level 0)', async () => {
  for (const [v, token] of [['-tls1', 'TLS/1.0 '], ['-tls1_1', 'TLS/1.1 ']]) {
    const g = await withServer([v, '-cert', rsa.cert, '-key', rsa.key, '-cipher', 'ALL:@SECLEVEL=0'], (port) => grab(mod, port, undefined));
    assert.equal(g.banners.get('ssl'), `${token}cipher:0xc013, rsa.test, rsa.test, www.rsa.test`, v);
    assert.equal(g.banners.get('X509'), rsa.der.toString('base64'));
  }
});

test('ssl e2e: TLS 1.3, ECDSA leaf + intermediate, each AEAD suite', async () => {
  for (const [suite, id] of [['TLS_AES_128_GCM_SHA256', '1301'], ['TLS_AES_256_GCM_SHA384', '1302'], ['TLS_CHACHA20_POLY1305_SHA256', '1303']]) {
    const g = await withServer(['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-ciphersuites', suite], (port) => grab(mod, port, 'ec.test'));
    assert.equal(g.banners.get('ssl'), `TLS/1.3 cipher:0x${id}, ec.test, ec.test, alt.ec.test`, suite);
    assert.equal(g.banners.get('X509'), leaf.der.toString('base64'), suite);
    assert.equal(g.banners.get('X509CA'), inter.der.toString('base64'), suite);
    assert.equal(g.fields.size, 0);
    assert.equal(g.closed, true);
    assert.equal(g.sent, 0, 'no second hello');
  }
});

test('ssl e2e: TLS 1.3 with a HelloRetryRequest to P-256 and to P-384', async () => {
  for (const group of ['P-256', 'P-384']) {
    const g = await withServer(['-tls1_3', '-cert', leaf.cert, '-key', leaf.key, '-cert_chain', chain, '-groups', group], (port) => grab(mod, port, 'ec.test'));
    assert.equal(g.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, ec.test, ec.test, alt.ec.test', group);
    assert.equal(g.sent, 1, `${group}: a second ClientHello`);
    assert.equal(g.banners.get('X509'), leaf.der.toString('base64'));
  }
});

test('ssl e2e: a server that picks its certificate by SNI and refuses a wrong name', async () => {
  const good = dir.selfSigned('good', 'ec', 'good.test', ['good.test']);
  const args = ['-tls1_3', '-cert', rsa.cert, '-key', rsa.key, '-servername', 'good.test', '-cert2', good.cert, '-key2', good.key, '-servername_fatal'];
  await withServer(args, async (port) => {
    const right = await grab(mod, port, 'good.test');
    assert.equal(right.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, good.test, good.test');
    assert.equal(right.banners.get('X509'), good.der.toString('base64'));
    const wrong = await grab(mod, port, 'bad.test');
    // unrecognized_name (112), fatal: RFC 6066 §3
    assert.equal(wrong.banners.get('ssl'), ' ALERT(0x0270) ');
    assert.equal(wrong.banners.has('X509'), false);
    const none = await grab(mod, port, undefined);
    assert.equal(none.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, rsa.test, rsa.test, www.rsa.test', 'no SNI: the default certificate');
    const forced = await grab(tlsModule({ sni: 'good.test', captureCert: false, keys, random: (n) => randomBytes(n) }), port, 'bad.test');
    assert.equal(forced.banners.get('ssl'), 'TLS/1.3 cipher:0x1301, good.test, good.test', 'the sni option wins over the target name');
  });
});

test('ssl e2e: a certificate above 10 KB (many SANs) arrives whole, TLS 1.2 and 1.3', async () => {
  const sans = Array.from({ length: 500 }, (_, i) => `host-${String(i).padStart(4, '0')}.big.test`);
  const big = dir.leaf('big', 'ec', 'big.test', sans, inter);
  assert.ok(big.der.length > 10_000, `certificate is ${big.der.length} bytes`);
  for (const v of ['-tls1_2', '-tls1_3']) {
    const g = await withServer([v, '-cert', big.cert, '-key', big.key, '-cert_chain', chain], (port) => grab(mod, port, 'big.test'));
    assert.equal(g.banners.get('X509'), big.der.toString('base64'), v);
    assert.equal(g.banners.get('X509CA'), inter.der.toString('base64'), v);
    const ssl = g.banners.get('ssl') ?? '';
    assert.ok(ssl.startsWith(v === '-tls1_2' ? 'TLS/1.2 cipher:0xc02b, big.test, host-0000.big.test' : 'TLS/1.3 cipher:0x1301, big.test, host-0000.big.test'), ssl.slice(0, 80));
    assert.ok(ssl.endsWith(', host-0499.big.test'));
  }
});
