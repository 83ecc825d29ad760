import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EHLO_NAME, ftpModule, smtpModule } from '../../src/banners/ftp.js';
import { LINES_LIMITS } from '../../src/banners/lines.js';
import { assertSplitInvariant, bannerVector, latin1, runModule, T4, text } from './helpers.js';
import { assertBounded, fuzzModule, realSslLookup } from './fuzz.js';

const { lookup, ssl } = realSslLookup();
const ftp = ftpModule(lookup);
const smtp = smtpModule(lookup);
const HELLO = text(ssl.hello(T4)!);

test('ftp: real vsftpd greeting, AUTH TLS, 234 -> ftp lines, then our ClientHello', () => {
  const { sent, received } = bannerVector('vsftpd-auth-tls.txt');
  const r = runModule(ftp, [received]);
  assert.deepEqual(r.items, [{ app: 'ftp', text: '220 (vsFTPd 3.0.3)\r\n234 Proceed with negotiation.\r\n' }]);
  assert.equal(text(sent), 'AUTH TLS\r\n');
  assert.equal(r.sent, 'AUTH TLS\r\n' + HELLO); // the ssl module's hello, as on port 443
  assert.equal(r.closes, 0); // the TLS parser reads on
  assertSplitInvariant(ftp, received, 100);
});

test('smtp: real OpenSMTPD greeting, EHLO, STARTTLS, 220 -> smtp lines, then our ClientHello', () => {
  const { sent, received } = bannerVector('opensmtpd-starttls.txt');
  const r = runModule(smtp, [received]);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.app, 'smtp');
  assert.equal(r.items[0]!.text, text(received));
  assert.ok(r.items[0]!.text.startsWith('220 lab.tidescan.test ESMTP OpenSMTPD\r\n250-lab.tidescan.test Hello'));
  assert.equal(text(sent), `EHLO ${EHLO_NAME}\r\nSTARTTLS\r\n`);
  assert.equal(r.sent, text(sent) + HELLO);
  assertSplitInvariant(smtp, received, 100);
});

test('ftp: a greeting that names SMTP is read as SMTP (an SMTP server on an unusual port)', () => {
  const { received } = bannerVector('opensmtpd-starttls.txt');
  const r = runModule(ftp, [received]);
  assert.deepEqual(r.items.map((i) => i.app), ['smtp']);
  assert.ok(r.sent.startsWith(`EHLO ${EHLO_NAME}\r\nSTARTTLS\r\n`));
});

test('ftp: multi-line greeting (RFC 959 §4.2), refusals close', () => {
  let r = runModule(ftp, [latin1('220-Welcome\r\n220-to the lab\r\n220 ready\r\n')]);
  assert.equal(r.sent, 'AUTH TLS\r\n');
  r = runModule(ftp, [latin1('220-Welcome\r\n220 ready\r\n530 Please login with USER and PASS.\r\n')]);
  assert.deepEqual(r.items, [{ app: 'ftp', text: '220-Welcome\r\n220 ready\r\n530 Please login with USER and PASS.\r\n' }]);
  assert.equal(r.sent, 'AUTH TLS\r\n');
  assert.equal(r.closes, 1);
  r = runModule(ftp, [latin1('421 Too many users\r\n')]);
  assert.equal(r.sent, '');
  assert.equal(r.closes, 1);
  r = runModule(smtp, [latin1('220 mx\r\n250 mx\r\n454 TLS not available\r\n')]);
  assert.equal(r.sent, `EHLO ${EHLO_NAME}\r\nSTARTTLS\r\n`);
  assert.equal(r.closes, 1);
  r = runModule(smtp, [latin1('554 go away\r\n')]);
  assert.deepEqual([r.sent, r.closes], ['', 1]);
  // a greeting cut by the connection's end is still kept
  r = runModule(ftp, [latin1('220-partial')]);
  assert.deepEqual(r.items, [{ app: 'ftp', text: '220-partial' }]);
});

test('ftp: long lines are cut, too many lines close', () => {
  const long = `220-${'x'.repeat(3000)}\r\n220 ok\r\n`;
  const r = runModule(ftp, [latin1(long)]);
  assert.equal(r.items[0]!.text.length, LINES_LIMITS.line + '220 ok\r\n'.length);
  assert.ok(r.items[0]!.text.startsWith('220-xxx'));
  assert.ok(r.items[0]!.text.slice(0, LINES_LIMITS.line).endsWith('x\r\n'));
  const many = runModule(ftp, [latin1('220 ok\r\n' + '250-x\r\n'.repeat(LINES_LIMITS.lines + 10))]);
  assert.equal(many.closes, 1);
  assert.equal(many.items[0]!.text.split('\n').length - 1, LINES_LIMITS.lines);
});

test('ftp/smtp fuzz: no throw, in bounds, bounded', () => {
  for (const [m, file, prefix] of [[ftp, 'vsftpd-auth-tls.txt', '220 x\r\n'], [smtp, 'opensmtpd-starttls.txt', '220 x\r\n250 y\r\n']] as const) {
    fuzzModule(m, bannerVector(file).received, latin1(prefix), (items) => {
      assertBounded(items, ['ftp', 'smtp', 'ssl', 'X509', 'X509CA'], 70000);
    });
  }
});
