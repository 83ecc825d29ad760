/** Banner escaping, IPv6 text, reasons, app-proto tables, service names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { APP_NAMES_132, APP_NAMES_HEAD, appProtoId, appProtoName, toHeadId } from '../../src/output/app-proto.js';
import { bytesToLatin1, escapeBanner, escapedLength, jsonMasscanEscapes, xmlAttr } from '../../src/output/escape.js';
import { gmtimeC, protoName, reasonString } from '../../src/output/format.js';
import { portsScannedLine } from '../../src/output/grepable.js';
import { ipv4ToString, ipv6ToString } from '../../src/core/address.js';
import { ServiceTable } from '../../src/output/services.js';
import { putDec, putIp } from '../../src/output/ascii.js';
import { ipToString } from '../../src/core/address.js';
import { v6 } from './helpers.js';

test('escape: masscan kept set and \\xNN for everything else', () => {
  assert.equal(escapeBanner(Buffer.from('HTTP/1.0 200 OK\r\n')), 'HTTP/1.0 200 OK\\x0d\\x0a');
  assert.equal(escapeBanner(Buffer.from('<>&\\"\'')), '\\x3c\\x3e\\x26\\x5c\\x22\\x27');
  assert.equal(escapeBanner(Uint8Array.from([0, 0x1f, 0x20, 0x7e, 0x7f, 0x80, 0xff])), '\\x00\\x1f ~\\x7f\\x80\\xff');
  for (let b = 0; b < 256; b++) {
    const e = escapeBanner(Uint8Array.of(b));
    const kept = b >= 0x20 && b <= 0x7e && !'<>&\\"\''.includes(String.fromCharCode(b));
    assert.equal(e, kept ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0'));
    assert.equal(escapedLength(Uint8Array.of(b)), e.length);
  }
});

test('escape: JSON escapes equal masscan\'s bytes and parse back to the banner (property)', () => {
  const s = jsonMasscanEscapes(JSON.stringify({ banner: bytesToLatin1(Buffer.from('a\r\n<b>&"\'\\\x00\x7f\xc3\xa9\t\b\f/', 'latin1')) }));
  assert.equal(s, '{"banner":"a\\u000d\\u000a\\u003cb\\u003e\\u0026\\u0022\\u0027\\u005c\\u0000\\u007f\\u00c3\\u00a9\\u0009\\u0008\\u000c/"}');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.string(), (bytes, name) => {
    const obj = { name, banner: bytesToLatin1(bytes) };
    const text = jsonMasscanEscapes(JSON.stringify(obj));
    assert.deepEqual(JSON.parse(text), obj);
    assert.ok(/^[\x20-\x7e]*$/.test(text), 'pure printable ASCII');
  }), { numRuns: 500 });
});

test('escape: XML attribute text', () => {
  assert.equal(xmlAttr('a<b>&"\'\x01'), 'a&lt;b&gt;&amp;&quot;&apos;\\x01');
});

test('ip: IPv4 and masscan\'s IPv6 text (first zero run, even one group; trailing ::)', () => {
  assert.equal(ipv4ToString(0x0a000001), '10.0.0.1');
  assert.equal(ipv4ToString(0xffffffff), '255.255.255.255');
  // observed with masscan 1.3.2
  const cases: [string, string][] = [
    ['20010000000100000000000000000001', '2001::1:0:0:0:0:1'],
    ['00010000000000000000000000000000', '1::'],
    ['00000000000000000000000000000001', '::1'],
    ['00000000000000000000ffff01020304', '::ffff:102:304'],
    ['00000000000000000000000000000000', '::'],
    ['00010002000300040005000600070008', '1:2:3:4:5:6:7:8'],
    ['00010000000200000000000300000000', '1::2:0:0:3:0:0'],
    ['fe800000000000000000000000000001', 'fe80::1'],
  ];
  for (const [hex, text] of cases) assert.equal(ipv6ToString(BigInt('0x' + hex)), text);
  fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => {
    assert.equal(v6(ipv6ToString(v)).v6, v);
  }), { numRuns: 1000 });
});

test('format helpers: reasons, protocol words, gmtime %c, ports-scanned line', () => {
  assert.equal(reasonString(0x12), 'syn-ack');
  assert.equal(reasonString(0x14), 'rst-ack');
  assert.equal(reasonString(0), 'none');
  assert.equal(reasonString(0xff), 'fin-syn-rst-psh-ack-urg-ece-cwr');
  assert.deepEqual([6, 17, 1, 58, 132, 0, 99].map(protoName), ['tcp', 'udp', 'icmp', 'icmp', 'sctp', 'arp', 'err']);
  assert.equal(gmtimeC(1700000000), 'Tue Nov 14 22:13:20 2023');
  assert.equal(gmtimeC(1700000000 + 86400 * 20), 'Mon Dec  4 22:13:20 2023');
  // reference §4.6 sample
  assert.equal(portsScannedLine([{ begin: 80, end: 80 }, { begin: 443, end: 443 }, { begin: 8000, end: 8002 },
    { begin: 65589, end: 65589 }, { begin: 65697, end: 65697 }]),
  'TCP(5;80-80,443-443,8000-8002,) UDP(2;65589-65589,65697-65697) SCTP(0;) PROTOCOLS(0;)');
  assert.equal(portsScannedLine([]), 'TCP(0;) UDP(0;) SCTP(0;) PROTOCOLS(0;)');
  // a range across the TCP/UDP border is split per protocol
  assert.equal(portsScannedLine([{ begin: 65535, end: 65536 }]), 'TCP(1;65535-65535,) UDP(1;65536-65536) SCTP(0;) PROTOCOLS(0;)');
});

test('app-proto: HEAD and 1.3.2 tables (1.3.2 lacks X509CA), names <-> ids, (N) round trip', () => {
  assert.equal(APP_NAMES_HEAD.length, 37);
  assert.equal(APP_NAMES_132.length, 31);
  assert.equal(appProtoName(16), 'X509CA');
  assert.equal(appProtoName(16, '1.3.2'), 'title');
  assert.equal(appProtoName(30, '1.3.2'), 'http.server');
  assert.equal(appProtoName(31, '1.3.2'), '(31)');
  assert.equal(appProtoName(40), '(40)');
  assert.equal(appProtoId('ssh'), 3);
  assert.equal(appProtoId('vnc'), 33);
  assert.equal(appProtoId('vnc', '1.3.2'), 22);
  assert.equal(appProtoId('(40)'), 40);
  assert.equal(appProtoId('no-such'), -1);
  for (let id = 0; id < 31; id++) {
    assert.equal(APP_NAMES_HEAD[toHeadId(id, '1.3.2')], APP_NAMES_132[id]);
  }
  for (const n of new Set(APP_NAMES_HEAD)) assert.equal(appProtoName(appProtoId(n)), n);
});

test('services: parse /etc/services-style text; first entry wins; tcp/udp only by port', () => {
  const t = new ServiceTable('http 80/tcp www # WWW\nhttp-alt 80/tcp\ndomain 53/udp\nm3ua 2905/sctp\n', 'ip 0 IP\nicmp 1 ICMP\nsctp 132 SCTP\n');
  assert.equal(t.port(6, 80), 'http');
  assert.equal(t.port(17, 53), 'domain');
  assert.equal(t.port(6, 53), 'unknown');
  assert.equal(t.port(132, 2905), 'sctp');
  assert.equal(t.port(1, 0), 'icmp');
  assert.equal(t.port(99, 5), 'unknown');
});

test('ascii: putDec and putIp write what String() and ipToString() print', () => {
  const b = new Uint8Array(64);
  fc.assert(fc.property(fc.oneof(fc.nat(1000), fc.nat(), fc.maxSafeNat()), (n) => {
    const end = putDec(b, 3, n);
    assert.equal(Buffer.from(b.subarray(3, end)).toString('latin1'), String(n));
  }), { numRuns: 2000 });
  fc.assert(fc.property(fc.oneof(
    fc.nat(0xffffffff).map((v) => ({ version: 4 as const, v4: v })),
    fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((v) => ({ version: 6 as const, v6: v })),
  ), (ip) => {
    const end = putIp(b, 1, ip);
    assert.equal(Buffer.from(b.subarray(1, end)).toString('latin1'), ipToString(ip));
  }), { numRuns: 2000 });
});
