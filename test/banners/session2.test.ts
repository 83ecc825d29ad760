/**
 * The Banners II protocols through a whole banner session with the real registry: detection
 * from the greeting on usual and unusual ports, the port hellos (23, 11211, 6379), and the
 * STARTTLS hand-off reaching the registry's own `ssl` module through the lookup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildBanners, defaultBannerConfig, type BannerConfig } from '../../src/banners/registry.js';
import { BannerCollector, BannerSession } from '../../src/banners/session.js';
import type { TargetInfo } from '../../src/banners/module.js';
import { bannerVector, byteByByte, outcome, Recorder, splitAt, text, type Outcome } from './helpers.js';

const CFG: BannerConfig = { ...defaultBannerConfig('0.1.0'), randomBytes: (n) => new Uint8Array(n).fill(7) };
const B = buildBanners(CFG);
const target = (port: number): TargetInfo => ({ ip: '192.0.2.1', port, name: undefined });

/** One connection: opened, the hello timer fired when `silentFirst`, the server's chunks, the end. */
function session(port: number, chunks: readonly Uint8Array[], silentFirst: boolean): Outcome {
  const out = new BannerCollector();
  const conv = new Recorder();
  const s = new BannerSession(B, target(port), out, conv);
  const deadline = s.opened(1000);
  if (silentFirst && deadline !== undefined) s.helloTimeout(deadline);
  for (const c of chunks) s.data(c, 0, c.length, 1500);
  s.end(3000);
  return outcome(out.items(), conv);
}

const sslHello = (port: number): string => text(B.module('ssl')!.hello(target(port))!);

test('session: FTP on 21 and 2121, SMTP on 25 and 2525, POP3, IMAP4 on any port: detected, conversed, TLS hello from the registry', () => {
  const cases: [string, number, string, string][] = [
    ['vsftpd-auth-tls.txt', 21, 'ftp', 'AUTH TLS\r\n'],
    ['vsftpd-auth-tls.txt', 2121, 'ftp', 'AUTH TLS\r\n'],
    ['opensmtpd-starttls.txt', 25, 'smtp', 'EHLO tidescan\r\nSTARTTLS\r\n'],
    ['opensmtpd-starttls.txt', 587, 'smtp', 'EHLO tidescan\r\nSTARTTLS\r\n'],
    ['opensmtpd-starttls.txt', 2525, 'smtp', 'EHLO tidescan\r\nSTARTTLS\r\n'], // `220 ` -> ftp, which reads ESMTP
    ['dovecot-pop3-stls.txt', 110, 'pop', 'CAPA\r\nSTLS\r\n'],
    ['dovecot-pop3-stls.txt', 1110, 'pop', 'CAPA\r\nSTLS\r\n'],
    ['dovecot-imap-starttls.txt', 143, 'imap', 'a001 CAPABILITY\r\na002 STARTTLS\r\n'],
    ['dovecot-imap-starttls.txt', 1143, 'imap', 'a001 CAPABILITY\r\na002 STARTTLS\r\n'],
  ];
  for (const [file, port, app, cmds] of cases) {
    const { received } = bannerVector(file);
    const r = session(port, [received], false);
    assert.deepEqual(r.items, [{ app, text: text(received) }], `${file} on ${port}`);
    assert.equal(r.sent, cmds + sslHello(port), `${file} on ${port}`);
    assert.deepEqual(session(port, byteByByte(received), false), r);
    fc.assert(fc.property(fc.array(fc.nat(received.length), { maxLength: 10 }), (points) => {
      assert.deepEqual(session(port, splitAt(received, points), false), r);
    }), { numRuns: 20 });
  }
});

test('session: VNC and telnet detected on any port; hellos on 23, 11211 and 6379', () => {
  const vnc = bannerVector('tigervnc-none.txt').received;
  for (const port of [5900, 5999]) {
    const r = session(port, [vnc], false);
    assert.deepEqual(r.items.map((i) => i.app), ['vnc', 'vnc-info'], `vnc on ${port}`);
  }
  const telnet = bannerVector('inetutils-telnetd.txt');
  for (const port of [23, 2323]) {
    const r = session(port, [telnet.received], false);
    assert.deepEqual(r.items, [{ app: 'telnet', text: 'vm login:' }], `telnet on ${port}`);
    assert.equal(r.sent, text(telnet.sent));
  }
  // a silent telnet server on 23 gets IAC NOP
  assert.equal(session(23, [], true).sent, '\xff\xf1');
  const mc = bannerVector('memcached-stats.txt');
  const m = session(11211, [mc.received], true);
  assert.equal(m.sent, 'stats\r\n');
  assert.equal(m.items[0]!.app, 'memcached');
  const rd = bannerVector('redis-info.txt');
  const r = session(6379, [rd.received], true);
  assert.equal(r.sent, text(rd.sent));
  assert.equal(r.items[0]!.app, 'redis');
});
