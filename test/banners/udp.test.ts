/**
 * The UDP reply parsers (src/banners/udp.ts) on real replies to tidescan's own probes
 * (BUILTIN_UDP_PAYLOADS, cookie 0x1234), captured on 127.0.0.1 from dnsmasq 2.90 (port
 * 5353), net-snmp snmpd (1161; sysDescr "tidescan-lab snmpd", sysName "hx12-sink") and
 * memcached 1.6.18 -U 11311; and random and mutated bytes through the out-of-bounds guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseDnsVersion, parseMemcachedUdp, parseSnmp, parseUnknownUdp, udpBanner, UDP_UNKNOWN_BYTES,
} from '../../src/banners/udp.js';
import { guarded } from '../fuzz/guard.js';
import { fuzzUdpParsers } from './fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const DNS = hex('1234858000010001000000000776657273696f6e0462696e640000100003c00c0010000300000000000d0c646e736d6173712d322e3930');
const SNMP = hex('305202010004067075626c6963a2450204123400000201000201003037301506082b060102010105000409687831322d73696e6b301e06082b060102010101000412746964657363616e2d6c616220736e6d7064');
const MEMCACHED = hex(
  "123400000002000053544154207069642031353036380d0a5354415420757074696d652031360d0a535441542074696d" +
  "6520313739363333353231320d0a535441542076657273696f6e20312e362e31380d0a53544154206c69626576656e74" +
  "20322e312e31322d737461626c650d0a5354415420706f696e7465725f73697a652036340d0a53544154207275736167" +
  "655f7573657220302e3030393937340d0a53544154207275736167655f73797374656d20302e3031333239390d0a5354" +
  "4154206d61785f636f6e6e656374696f6e7320313032340d0a5354415420637572725f636f6e6e656374696f6e732033" +
  "0d0a5354415420746f74616c5f636f6e6e656374696f6e7320340d0a535441542072656a65637465645f636f6e6e6563" +
  "74696f6e7320300d0a5354415420636f6e6e656374696f6e5f7374727563747572657320340d0a535441542072657370" +
  "6f6e73655f6f626a5f6f6f6d20300d0a5354415420726573706f6e73655f6f626a5f636f756e7420310d0a5354415420" +
  "726573706f6e73655f6f626a5f62797465732031363338340d0a5354415420726561645f6275665f636f756e7420310d" +
  "0a5354415420726561645f6275665f62797465732031363338340d0a5354415420726561645f6275665f62797465735f" +
  "6672656520300d0a5354415420726561645f6275665f6f6f6d20300d0a535441542072657365727665645f6664732032" +
  "300d0a5354415420636d645f67657420300d0a5354415420636d645f73657420300d0a5354415420636d645f666c7573" +
  "6820300d0a5354415420636d645f746f75636820300d0a5354415420636d645f6d65746120300d0a5354415420676574" +
  "5f6869747320300d0a53544154206765745f6d697373657320300d0a53544154206765745f6578706972656420300d0a" +
  "53544154206765745f666c757368656420300d0a535441542064656c6574655f6d697373657320300d0a535441542064" +
  "656c6574655f6869747320300d0a5354415420696e63725f6d697373657320300d0a5354415420696e63725f68697473" +
  "20300d0a5354415420646563725f6d697373657320300d0a5354415420646563725f6869747320300d0a535441542063" +
  "61735f6d697373657320300d0a53544154206361735f6869747320300d0a53544154206361735f62616476616c20300d" +
  "0a5354415420746f7563685f6869747320300d0a5354415420746f7563685f6d697373657320300d0a53544154207374" +
  "6f72655f746f6f5f6c6172676520300d0a535441542073746f72655f6e6f5f6d656d6f727920300d0a53544154206175" +
  "74685f636d647320300d0a5354415420617574685f6572726f727320300d0a535441542062797465735f726561642033" +
  "300d0a535441542062797465735f7772697474656e20323232320d0a53544154206c696d69745f6d6178627974657320" +
  "36373130383836340d0a5354415420616363657074696e675f636f6e6e7320310d0a53544154206c697374656e5f6469" +
  "7361626c65645f6e756d20300d0a535441542074696d655f696e5f6c697374656e5f64697361626c65645f757320300d" +
  "0a53544154207468726561647320340d0a5354415420636f6e6e5f7969656c647320300d0a5354415420686173685f70" +
  "6f7765725f6c6576656c2031360d0a5354415420686173685f6279746573203532343238380d0a535441542068617368" +
  "5f69735f657870616e64696e6720300d0a5354415420736c61625f726561737369676e5f7265736375657320300d0a53" +
  "54415420736c61625f726561737369676e5f6368756e6b5f7265736375657320300d0a5354415420736c61625f726561" +
  "737369676e5f6576696374696f6e735f6e6f6d656d20300d0a5354415420736c61625f726561737369676e5f696e6c69" +
  "6e655f7265636c61");

/** The bytes at an offset inside a bigger array: the parsers must read only [off, off + len). */
function embedded(b: Uint8Array): { buf: Uint8Array; off: number; len: number } {
  const buf = new Uint8Array(b.length + 16).fill(0xee);
  buf.set(b, 7);
  return { buf: guarded(buf, 7, 7 + b.length), off: 7, len: b.length };
}

test('dns-ver: dnsmasq answers version.bind with its version', () => {
  assert.equal(parseDnsVersion(DNS, 0, DNS.length), 'dnsmasq-2.90');
  const e = embedded(DNS);
  assert.equal(parseDnsVersion(e.buf, e.off, e.len), 'dnsmasq-2.90');
  // Our query itself (QR clear) is not an answer.
  const q = DNS.slice(); q[2] = q[2]! & 0x7f;
  assert.equal(parseDnsVersion(q, 0, q.length), null);
  // Cut short anywhere: null, never a partial string.
  for (let n = 0; n < DNS.length; n++) assert.equal(parseDnsVersion(DNS, 0, n), null, `length ${n}`);
});

test('dns-ver: a response with no answer (REFUSED) is null', () => {
  const r = DNS.slice(0, 12 + 17); // header + question
  r[3] = 0x85; r[6] = 0; r[7] = 0;
  assert.equal(parseDnsVersion(r, 0, r.length), null);
});

test('snmp: snmpd GetResponse gives sysName and sysDescr', () => {
  assert.equal(parseSnmp(SNMP, 0, SNMP.length), 'sysName:hx12-sink sysDescr:tidescan-lab snmpd');
  const e = embedded(SNMP);
  assert.equal(parseSnmp(e.buf, e.off, e.len), 'sysName:hx12-sink sysDescr:tidescan-lab snmpd');
  for (let n = 0; n < SNMP.length; n++) assert.equal(parseSnmp(SNMP, 0, n), null, `length ${n}`);
  // A GetRequest (our probe's PDU tag) is not an answer.
  const req = SNMP.slice(); req[13] = 0xa0;
  assert.equal(parseSnmp(req, 0, req.length), null);
});

test('memcached: the first stats datagram as name=value items', () => {
  const s = parseMemcachedUdp(MEMCACHED, 0, MEMCACHED.length);
  assert.ok(s !== null);
  assert.match(s, /^pid=15068 uptime=\d+ time=\d+ version=1\.6\.18 libevent=2\.1\.12-stable pointer_size=64 /);
  assert.ok(!s.includes('STAT'));
  // Datagram 0 of 2 ends inside a line (`STAT slab_reassign_inline_recla`...): left out.
  assert.match(s, / slab_reassign_evictions_nomem=0$/);
  // As the last datagram, the same text keeps it.
  const last = MEMCACHED.slice(); last[3] = 1;
  assert.match(parseMemcachedUdp(last, 0, last.length) ?? '', / slab_reassign_inline_recla=$/);
  const e = embedded(MEMCACHED);
  assert.equal(parseMemcachedUdp(e.buf, e.off, e.len), s);
  assert.equal(parseMemcachedUdp(MEMCACHED, 0, 8), null);
  const end = Uint8Array.from([0, 1, 0, 1, 0, 2, 0, 0, ...Buffer.from('STAT curr_items 0\r\nEND\r\n')]);
  assert.equal(parseMemcachedUdp(end, 0, end.length), 'curr_items=0');
});

test('udpBanner: each port its parser, else unknown of the first 64 bytes', () => {
  assert.deepEqual(udpBanner(53, DNS, 0, DNS.length), { app: 'dns-ver', text: 'dnsmasq-2.90' });
  assert.deepEqual(udpBanner(161, SNMP, 0, SNMP.length), { app: 'snmp', text: 'sysName:hx12-sink sysDescr:tidescan-lab snmpd' });
  assert.equal(udpBanner(11211, MEMCACHED, 0, MEMCACHED.length)?.app, 'memcached');
  // The same DNS bytes from another port, or a reply the port's parser refuses: unknown.
  const u = udpBanner(5353, DNS, 0, DNS.length);
  assert.deepEqual(u, { app: 'unknown', text: Buffer.from(DNS).toString('latin1') });
  const big = udpBanner(161, MEMCACHED, 0, MEMCACHED.length);
  assert.equal(big?.app, 'unknown');
  assert.equal(big?.text.length, UDP_UNKNOWN_BYTES);
  assert.equal(big?.text, Buffer.from(MEMCACHED.subarray(0, 64)).toString('latin1'));
  assert.equal(udpBanner(9999, DNS, 0, 0), null);
  assert.equal(parseUnknownUdp(DNS, 0, DNS.length + 1), null);
  assert.equal(parseUnknownUdp(DNS, -1, 2), null);
});

test('udpBanner with identification: a port without a parser gets the parser that reads the reply, else unknown', () => {
  assert.deepEqual(udpBanner(5353, DNS, 0, DNS.length, true), { app: 'dns-ver', text: 'dnsmasq-2.90' });
  assert.deepEqual(udpBanner(1161, SNMP, 0, SNMP.length, true), { app: 'snmp', text: 'sysName:hx12-sink sysDescr:tidescan-lab snmpd' });
  assert.equal(udpBanner(11311, MEMCACHED, 0, MEMCACHED.length, true)?.app, 'memcached');
  // a port that has its own parser keeps it (no identification): unknown as before
  assert.equal(udpBanner(161, MEMCACHED, 0, MEMCACHED.length, true)?.app, 'unknown');
  // an NTP server reply (mode 4) is not memcached's frame (its first line is no STAT line)
  const ntp = new Uint8Array(48);
  ntp[0] = 0x24;
  ntp.set(Buffer.from('INIT', 'latin1'), 12);
  assert.equal(udpBanner(1123, ntp, 0, ntp.length, true)?.app, 'ntp');
  const junk = Uint8Array.from(Buffer.from('hello, not a known protocol\r\n', 'latin1'));
  assert.deepEqual(udpBanner(4000, junk, 0, junk.length, true), { app: 'unknown', text: 'hello, not a known protocol\r\n' });
});

test('fuzz: random and mutated replies never throw nor read outside [off, off + len)', () => {
  fuzzUdpParsers({
    parsers: [parseDnsVersion, parseSnmp, parseMemcachedUdp, parseUnknownUdp], reals: [DNS, SNMP, MEMCACHED], cut: 1500, random: 300,
    also: (g, off, len) => {
      for (const port of [53, 161, 11211, 1]) udpBanner(port, g, off, len);
      udpBanner(1, g, off, len, true);
    },
    seed: 0x12,
  });
});

test('udpBanner with identification: a range outside the buffer is refused before any read', () => {
  const buf = new Uint8Array(10);
  const g = guarded(buf, 0, buf.length);
  assert.equal(udpBanner(1, g, 0, 60, true), null);
  assert.equal(udpBanner(1, g, 4, 9, true), null);
  assert.equal(udpBanner(1, g, -1, 5, true), null);
});
