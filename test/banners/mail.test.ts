import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imapModule, popModule } from '../../src/banners/mail.js';
import { assertSplitInvariant, bannerVector, latin1, runModule, T4, text } from './helpers.js';
import { assertBounded, fuzzModule, realSslLookup } from './fuzz.js';

const { lookup, ssl } = realSslLookup();
const pop = popModule(lookup);
const imap = imapModule(lookup);
const HELLO = text(ssl.hello(T4)!);

test('pop: real Dovecot greeting, CAPA list, STLS, +OK -> pop lines, then our ClientHello', () => {
  const { sent, received } = bannerVector('dovecot-pop3-stls.txt');
  const r = runModule(pop, [received]);
  assert.deepEqual(r.items, [{
    app: 'pop',
    text: '+OK Dovecot (Debian) ready.\r\n+OK\r\nCAPA\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\nAUTH-RESP-CODE\r\nSTLS\r\nUSER\r\nSASL PLAIN\r\n.\r\n+OK Begin TLS negotiation now.\r\n',
  }]);
  assert.equal(text(sent), 'CAPA\r\nSTLS\r\n');
  assert.equal(r.sent, 'CAPA\r\nSTLS\r\n' + HELLO);
  assert.equal(r.closes, 0);
  assertSplitInvariant(pop, received, 100);
});

test('imap: real Dovecot greeting, a001 CAPABILITY, a002 STARTTLS, OK -> imap lines, then our ClientHello', () => {
  const { sent, received } = bannerVector('dovecot-imap-starttls.txt');
  const r = runModule(imap, [received]);
  assert.equal(r.items.length, 1);
  assert.equal(r.items[0]!.app, 'imap');
  assert.equal(r.items[0]!.text, text(received));
  assert.ok(r.items[0]!.text.startsWith('* OK [CAPABILITY IMAP4rev1 '));
  assert.ok(r.items[0]!.text.endsWith('a002 OK Begin TLS negotiation now.\r\n'));
  assert.equal(text(sent), 'a001 CAPABILITY\r\na002 STARTTLS\r\n');
  assert.equal(r.sent, text(sent) + HELLO);
  assertSplitInvariant(imap, received, 100);
});

test('pop/imap: refusals and odd servers close without TLS', () => {
  let r = runModule(pop, [latin1('-ERR go away\r\n')]);
  assert.deepEqual([r.sent, r.closes], ['', 1]);
  r = runModule(pop, [latin1('+OK hi\r\n-ERR no CAPA\r\n-ERR no STLS\r\n')]);
  assert.deepEqual([r.sent, r.closes], ['CAPA\r\nSTLS\r\n', 1]);
  r = runModule(imap, [latin1('* PREAUTH ready\r\n')]);
  assert.deepEqual([r.sent, r.closes], ['', 1]);
  r = runModule(imap, [latin1('* OK hi\r\n* CAPABILITY IMAP4rev1\r\na001 OK done\r\na002 NO no TLS\r\n')]);
  assert.deepEqual([r.sent, r.closes], ['a001 CAPABILITY\r\na002 STARTTLS\r\n', 1]);
  // case-insensitive status words (RFC 9051 §9: "case-insensitive")
  r = runModule(imap, [latin1('* ok hi\r\nA001 ok\r\n')]);
  assert.equal(r.sent, 'a001 CAPABILITY\r\na002 STARTTLS\r\n');
});

test('pop/imap fuzz: no throw, in bounds, bounded', () => {
  fuzzModule(pop, bannerVector('dovecot-pop3-stls.txt').received, latin1('+OK x\r\n+OK\r\n'), (items) =>
    assertBounded(items, ['pop', 'ssl', 'X509', 'X509CA'], 70000));
  fuzzModule(imap, bannerVector('dovecot-imap-starttls.txt').received, latin1('* OK x\r\na001 OK\r\n'), (items) =>
    assertBounded(items, ['imap', 'ssl', 'X509', 'X509CA'], 70000));
});
