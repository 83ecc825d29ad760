import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildBanners, defaultBannerConfig, type BannerConfig } from '../../src/banners/registry.js';
import { BannerCollector, BannerSession } from '../../src/banners/session.js';
import { BANNER_CAPS, capOf } from '../../src/banners/caps.js';
import type { TargetInfo } from '../../src/banners/module.js';
import { bannerVector, byteByByte, guarded, latin1, outcome, Recorder, RUNS, splitAt, text, type Outcome } from './helpers.js';

const CFG: BannerConfig = { ...defaultBannerConfig('0.1.0'), randomBytes: (n) => new Uint8Array(n).fill(7) };
const B = buildBanners(CFG);
const target = (port: number): TargetInfo => ({ ip: '192.0.2.1', port, name: undefined });

interface Run extends Outcome { deadline: number | undefined }

/**
 * One connection: opened at t=1000, the hello timer fired (if asked and `silentFirst`), then
 * `chunks` from the server, then the end.
 */
function session(port: number, chunks: readonly Uint8Array[], silentFirst: boolean, b = B, guard = false): Run {
  const out = new BannerCollector();
  const conv = new Recorder();
  const s = new BannerSession(b, target(port), out, conv);
  const deadline = s.opened(1000);
  if (silentFirst && deadline !== undefined) s.helloTimeout(deadline);
  for (const c of chunks) {
    const buf = new Uint8Array(c.length + 4).fill(0xee);
    buf.set(c, 2);
    s.data(guard ? guarded(buf, 2, 2 + c.length) : buf, 2, c.length, 1500);
  }
  // a late hello timer (the host may fire it after data came): it must do nothing
  if (deadline !== undefined) s.helloTimeout(deadline + 1);
  s.end(3000);
  return { ...outcome(out.items(), conv), deadline };
}

test('session: server speaks first (SSH on 22, no hello): detected, parsed, our KEXINIT sent', () => {
  const { received } = bannerVector('openssh-server.txt');
  const r = session(22, [received], false);
  assert.equal(r.deadline, undefined); // nothing to send on 22: the host arms no hello timer
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.app, 'ssh');
  assert.equal(r.items[0]!.text.startsWith('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10\r\nkex_algorithms=sntrup761x25519-sha512,'), true);
  assert.equal(r.items[0]!.fields!['hassh'], '425d29fe50d8e4f5e37efb6e24bcf660');
  assert.equal(r.sent.startsWith('SSH-2.0-tidescan_0.1.0\r\n'), true);
  assert.equal(r.closes, 1);
  // SSH on the HTTP port, speaking before the hello timeout: detection, not the port's module
  const on80 = session(80, [received], false);
  assert.equal(on80.deadline, 3000);
  assert.deepEqual(on80.items, r.items);
  assert.equal(on80.sent, r.sent); // no HTTP request went out
});

test('session: whole, byte by byte and random splits give the same result (detection included)', () => {
  const ssh = bannerVector('openssh-server.txt').received;
  const http = bannerVector('nginx-response.txt').received;
  for (const [port, bytes, silent] of [[22, ssh, false], [8080, ssh, false], [80, http, true], [80, http, false], [7, latin1('SSH-2.'), false], [7, latin1('SS'), false]] as const) {
    const whole = session(port, [bytes], silent);
    assert.deepEqual(session(port, byteByByte(bytes), silent), whole);
    fc.assert(fc.property(fc.array(fc.nat(bytes.length), { maxLength: 10 }), (points) => {
      assert.deepEqual(session(port, splitAt(bytes, points), silent), whole);
    }), { numRuns: 40 });
  }
});

test('session: hello-timeout path (HTTP on 80): request sent at the deadline, answer parsed by http', () => {
  const { sent, received } = bannerVector('nginx-response.txt');
  const r = session(80, [received], true);
  assert.equal(r.deadline, 1000 + 2000);
  assert.equal(r.sent, text(sent));
  assert.deepEqual(r.items.map((i) => [i.app, i.app === 'http' ? '' : i.text]), [['http', ''], ['http.server', 'nginx/1.22.1'], ['title', 'Welcome to nginx!']]);
  // the hello timeout follows --hello-timeout
  const fast = buildBanners({ ...CFG, helloTimeoutMs: 250 });
  assert.equal(session(80, [], false, fast).deadline, 1250);
  // silent server and no hello-able module: nothing sent, nothing kept
  assert.deepEqual(session(22, [], true), { items: [], sent: '', closes: 0, deadline: undefined });
  // silent server on 80: the request goes out and nothing comes back
  const silent = session(80, [], true);
  assert.deepEqual(silent.items, []);
  assert.equal(silent.sent, text(sent));
});

test('session: --hello-string on a port with no module: sent at the deadline, the answer is detected', () => {
  const b = buildBanners({ ...CFG, helloStrings: new Map([[9000, latin1('hi\n')]]) });
  const r = session(9000, [latin1('HTTP/1.0 200 OK\r\nServer: x\r\n\r\n')], true, b);
  assert.equal(r.deadline, 3000);
  assert.equal(r.sent, 'hi\n');
  assert.deepEqual(r.items.map((i) => [i.app, i.text]), [['http', 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\n'], ['http.server', 'x']]);
  const u = session(9000, [latin1('pong')], true, b);
  assert.deepEqual(u.items, [{ app: 'unknown', text: 'pong' }]);
});

test('session: unknown data is kept up to the cap, then the connection is closed', () => {
  assert.deepEqual(session(1234, [latin1('hello\r\n'), latin1('world')], false).items, [{ app: 'unknown', text: 'hello\r\nworld' }]);
  const big = new Uint8Array(BANNER_CAPS.unknown + 500).map((_v, i) => 0x30 + (i % 10));
  const r = session(1234, splitAt(big, [100, 4000, 4100]), false);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.text, text(big.subarray(0, BANNER_CAPS.unknown)));
  assert.equal(r.closes, 1);
  // a prefix that could have been a greeting, then the end: kept as unknown
  assert.deepEqual(session(1234, [latin1('SSH')], false).items, [{ app: 'unknown', text: 'SSH' }]);
  // a complete greeting prefix at the end goes to its parser
  assert.deepEqual(session(1234, [latin1('SSH-2.')], false).items, [{ app: 'ssh', text: 'SSH-2.' }]);
  // binary
  assert.deepEqual(session(1234, [Uint8Array.from([0, 0xff, 0x16, 3, 1])], false).items, [{ app: 'unknown', text: '\x00\xff\x16\x03\x01' }]);
});

test('session fuzz: random bytes on random ports, silent or not: no throw, in bounds, bounded', () => {
  fc.assert(fc.property(
    fc.constantFrom(22, 80, 443, 8080, 9999),
    fc.boolean(),
    fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }),
    fc.constantFrom('', 'SSH-2.0-x\r\n', 'HTTP/1.1 200 OK\r\n'),
    (port, silent, chunks, lead) => {
      const r = session(port, [latin1(lead), ...chunks], silent, B, true);
      for (const i of r.items) assert.ok(i.text.length <= capOf(i.app as 'unknown'));
      assert.ok(r.closes <= 1);
    },
  ), { numRuns: RUNS });
});

test('collector: caps, X509 not cut, order of first write, text bytes, fields', () => {
  const c = new BannerCollector();
  c.appendText('title', 'T\u00e9\u0141'); // low byte of each unit: 0x54 0xe9 0x41
  c.append('http', new Uint8Array(70000).fill(0x61), 0, 70000);
  c.append('http', latin1('more'), 0, 4); // past the cap: dropped
  c.field('ssh', 'hassh', 'abc');
  const cert = 'A'.repeat(3_000_000); // a 2.2 MB certificate's base64
  c.appendText('X509', cert.slice(0, 1_000_000));
  c.appendText('X509', cert.slice(1_000_000));
  c.append('unknown', latin1('x'), 0, 0); // empty: no record
  c.append('html', latin1('abc'), 1, 5); // out of bounds: ignored
  const items = c.items();
  assert.deepEqual(items.map((i) => i.app), ['title', 'http', 'ssh', 'X509']);
  assert.deepEqual([...items[0]!.bytes], [0x54, 0xe9, 0x41]);
  assert.equal(items[1]!.bytes.length, BANNER_CAPS.perApp);
  assert.deepEqual(items[2], { app: 'ssh', bytes: new Uint8Array(0), fields: { hassh: 'abc' } });
  assert.equal(items[3]!.bytes.length, 3_000_000);
  assert.equal(capOf('X509CA'), BANNER_CAPS.x509);
  assert.ok(BANNER_CAPS.x509 >= Math.ceil((2 ** 24 - 1) / 3) * 4);
  // X509CA: one record per chain certificate (masscan HEAD ends the record after each)
  const ca = new BannerCollector();
  ca.appendText('X509', 'LEAF');
  ca.appendText('X509CA', 'INTER1');
  ca.endRecord('X509CA');
  ca.appendText('X509CA', 'RO');
  ca.appendText('X509CA', 'OT2==');
  ca.endRecord('X509CA');
  assert.deepEqual(ca.items().map((i) => [i.app, text(i.bytes)]), [['X509', 'LEAF'], ['X509CA', 'INTER1'], ['X509CA', 'ROOT2==']]);
  // a custom cap
  const small = new BannerCollector(() => 3);
  small.appendText('ssh', 'abcdef');
  small.append('ssh', latin1('zz'), 0, 2);
  assert.equal(text(small.items()[0]!.bytes), 'abc');
});
