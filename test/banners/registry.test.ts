import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BANNER_MODULES, buildBanners, defaultBannerConfig, DETECT_MAX, DETECT_RULES, HELLO_PORTS,
  type BannerConfig, type BannerModuleDef,
} from '../../src/banners/registry.js';
import type { BannerModule } from '../../src/banners/module.js';
import { latin1, text } from './helpers.js';

const CFG: BannerConfig = { ...defaultBannerConfig('0.1.0'), randomBytes: (n) => new Uint8Array(n) };

/** A stand-in for the TLS module (its hello names the SNI it was given), in the real one's place. */
const FAKE_SSL: BannerModuleDef = {
  name: 'ssl',
  apps: ['ssl'],
  description: 'test stand-in',
  prepare: (cfg): BannerModule => ({
    name: 'ssl',
    hello: (t) => latin1(`hello ${t.name ?? cfg.tlsSni ?? '-'}`),
    open: () => ({ data: () => {}, end: () => {} }),
  }),
};

const WITH_FAKE_SSL: readonly BannerModuleDef[] = [...BANNER_MODULES.filter((m) => m.name !== 'ssl'), FAKE_SSL];

const TLS_PORTS = [443, 465, 990, 991, 992, 993, 994, 995, 636, 637, 322, 2083, 2087, 2096, 2376, 3269, 5061, 8140, 8443, 8531, 9050, 11712, 49955];

test('registry: module names are unique and every table names a known or announced module', () => {
  const names = BANNER_MODULES.map((m) => m.name);
  assert.deepEqual(names.slice(0, 11), ['http', 'ssl', 'ssh', 'ftp', 'smtp', 'pop', 'imap', 'vnc', 'telnet', 'memcached', 'redis']);
  for (const n of ['smb', 'rdp', 'mysql']) assert.ok(names.includes(n), n);
  assert.equal(new Set(names).size, names.length);
  for (const h of HELLO_PORTS) assert.ok(names.includes(h.module), h.module);
  for (const r of DETECT_RULES) assert.ok(r.prefix.length <= DETECT_MAX);
  assert.throws(() => buildBanners(CFG, [...BANNER_MODULES, BANNER_MODULES[0]!]), /registered twice/);
});

test('registry: the hello table (§9.3)', () => {
  const b = buildBanners(CFG);
  const http = b.module('http');
  assert.ok(http !== null);
  for (const p of [80, 8080, 8530]) assert.equal(b.forPort(p), http, `port ${p}`);
  for (const p of [22, 21, 25, 81, 0, 65535, 444, 989, 996]) assert.equal(b.forPort(p), null, `port ${p}`);
  // the TLS module serves every TLS port
  const real = b.module('ssl');
  assert.ok(real !== null);
  for (const p of TLS_PORTS) assert.equal(b.forPort(p), real, `port ${p}`);

  // the module named 'ssl' is what TLS ports get, whichever it is
  const withSsl = buildBanners({ ...CFG, tlsSni: 'sni.example' }, WITH_FAKE_SSL);
  const ssl = withSsl.module('ssl');
  assert.ok(ssl !== null);
  for (const p of TLS_PORTS) assert.equal(withSsl.forPort(p), ssl, `port ${p}`);
  assert.equal(withSsl.forPort(996), null);
  assert.equal(withSsl.forPort(80), withSsl.module('http'));
  assert.equal(text(withSsl.helloFor({ ip: '10.0.0.1', port: 443, name: undefined })!.bytes), 'hello sni.example');
});

test('registry: --hello http|ssl on every port, --hello-string per port', () => {
  const all = buildBanners({ ...CFG, hello: 'http' });
  for (const p of [1, 22, 443, 65535]) assert.equal(all.forPort(p), all.module('http'));
  const ssl = buildBanners({ ...CFG, hello: 'ssl' }, WITH_FAKE_SSL);
  for (const p of [1, 22, 80, 65535]) assert.equal(ssl.forPort(p), ssl.module('ssl'));
  const smb = buildBanners({ ...CFG, hello: 'smbv1' });
  assert.equal(smb.forPort(80), smb.module('http'));

  const custom = buildBanners({ ...CFG, helloStrings: new Map([[80, latin1('HEAD / HTTP/1.0\r\n\r\n')], [9999, latin1('ping\n')]]) });
  const h80 = custom.helloFor({ ip: '10.0.0.1', port: 80, name: undefined })!;
  assert.equal(text(h80.bytes), 'HEAD / HTTP/1.0\r\n\r\n');
  assert.equal(h80.module, custom.module('http')); // the port keeps its parser
  const h9999 = custom.helloFor({ ip: '10.0.0.1', port: 9999, name: undefined })!;
  assert.equal(text(h9999.bytes), 'ping\n');
  assert.equal(h9999.module, null); // detection reads the answer
  assert.equal(custom.helloFor({ ip: '10.0.0.1', port: 9998, name: undefined }), null);
  assert.equal(text(custom.helloFor({ ip: '10.0.0.1', port: 8080, name: undefined })!.bytes).startsWith('GET / HTTP/1.0\r\n'), true);
});

test('registry: detection (§9.2) from the first bytes', () => {
  const b = buildBanners(CFG);
  const ssh = b.module('ssh');
  const http = b.module('http');
  const d = (s: string, port = 1234): BannerModule | 'unknown' | 'more' => b.detectPrefix(latin1(s), 0, s.length, port);
  assert.equal(d('SSH-2.0-OpenSSH_9.2\r\n'), ssh);
  assert.equal(d('SSH-1.99-x'), ssh);
  assert.equal(d('ssh-2.0-lower'), ssh); // masscan matches case-insensitively
  assert.equal(d('HTTP/1.1 200 OK'), http);
  assert.equal(d('HTTP/1.'), http);
  assert.equal(d('HTTP/2 200'), 'unknown');
  assert.equal(d('SSH-3.0'), 'unknown');
  // Banners II greetings (§9.2): `220 ` is SMTP on 25 and 587, FTP elsewhere
  assert.equal(d('220 ftp ready'), b.module('ftp'));
  assert.equal(d('220-ftp ready', 21), b.module('ftp'));
  assert.equal(d('220 mx ESMTP', 25), b.module('smtp'));
  assert.equal(d('220-mx ESMTP', 587), b.module('smtp'));
  assert.equal(d('521 no mail here'), b.module('smtp'));
  assert.equal(d('+OK Dovecot ready.'), b.module('pop'));
  assert.equal(d('* OK [CAPABILITY IMAP4rev1]'), b.module('imap'));
  assert.equal(d('RFB 003.008\n'), b.module('vnc'));
  assert.equal(d('RFB 004.001\n'), b.module('vnc'));
  assert.equal(d('STAT pid 1'), b.module('memcached'));
  assert.equal(d('\xff\xfd\x18'), b.module('telnet'));
  assert.equal(d('\xff\xfb\x01'), b.module('telnet'));
  assert.equal(d('Login: '), b.module('telnet'));
  assert.equal(d('\xff\xf6'), 'unknown');
  assert.equal(d('220'), 'more');
  assert.equal(d('* O'), 'more');
  assert.equal(b.forPort(23), b.module('telnet'));
  assert.equal(b.forPort(11211), b.module('memcached'));
  assert.equal(b.forPort(6379), b.module('redis'));
  assert.equal(d(''), 'more');
  assert.equal(d('S'), 'more');
  assert.equal(d('SSH-'), 'more');
  assert.equal(d('HTTP/'), 'more');
  assert.equal(d('XY'), 'unknown'); // one byte may still be a MySQL greeting's length byte
  // final answers
  assert.equal(b.detect(latin1('SSH-'), 0, 4, 22), null);
  assert.equal(b.detect(latin1('xxSSH-2.0-'), 2, 6, 22), ssh);
  assert.equal(b.detect(latin1('SSH-2.0-'), 0, 100, 22), null); // out of bounds: nothing
  // prefix matching agrees with the final answer once enough bytes are there
  fc.assert(fc.property(fc.uint8Array({ maxLength: 20 }), (bytes) => {
    const p = b.detectPrefix(bytes, 0, bytes.length, 80);
    const f = b.detect(bytes, 0, bytes.length, 80);
    if (typeof p !== 'string') assert.equal(f, p);
    if (p === 'unknown') assert.equal(f, null);
  }));
});

