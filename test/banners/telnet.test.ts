import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DO, DONT, IAC, SB, SE, telnetModule, TELNET_LIMITS, WILL, WONT } from '../../src/banners/telnet.js';
import { assertSplitInvariant, bannerVector, latin1, runModule, T4, text } from './helpers.js';
import { assertBounded, fuzzModule } from './fuzz.js';

const telnet = telnetModule();

test('telnet: real inetutils telnetd: negotiation answered, the login prompt kept, then close', () => {
  const { sent, received } = bannerVector('inetutils-telnetd.txt');
  const r = runModule(telnet, [received]);
  assert.deepEqual(r.items, [{ app: 'telnet', text: 'vm login:' }]);
  // the replies the capture gave the real server (computed there by the same rules)
  assert.equal(r.sent, text(sent));
  assert.equal(r.closes, 1);
  assertSplitInvariant(telnet, received, 100);
});

test('telnet: DO -> WONT, WILL -> DONT but ECHO/SGA -> DO, each option once, SB skipped, IAC IAC dropped', () => {
  const r = runModule(telnet, [Uint8Array.from([
    IAC, DO, 24, IAC, WILL, 1, IAC, WILL, 3, IAC, WILL, 5, IAC, DO, 24, IAC, WONT, 7, IAC, DONT, 8,
    IAC, SB, 24, 1, IAC, IAC, 0x41, IAC, SE, ...latin1('Hi'), IAC, IAC, 0, 7, ...latin1('\r\nthere'),
  ])]);
  assert.equal(r.sent, text(Uint8Array.of(IAC, WONT, 24, IAC, DO, 1, IAC, DO, 3, IAC, DONT, 5)));
  assert.deepEqual(r.items, [{ app: 'telnet', text: 'Hi\r\nthere' }]);
  assert.equal(r.closes, 0);
  assert.deepEqual(telnet.hello(T4), Uint8Array.of(IAC, 241)); // IAC NOP (§9.3)
  // prompts end it
  for (const p of ['Username: ', 'Password:', 'LOGIN:']) assert.equal(runModule(telnet, [latin1(`x\r\n${p}`)]).closes, 1, p);
  // endless text is capped
  const big = runModule(telnet, [latin1('a'.repeat(TELNET_LIMITS.text + 100))]);
  assert.equal(big.items[0]!.text.length, TELNET_LIMITS.text);
  assert.equal(big.closes, 1);
  // an endless subnegotiation is given up
  const sub = runModule(telnet, [Uint8Array.from([IAC, SB, ...new Uint8Array(TELNET_LIMITS.subneg + 10)])]);
  assert.equal(sub.closes, 1);
});

test('telnet fuzz: no throw, in bounds, bounded, each option answered at most once', () => {
  fuzzModule(telnet, bannerVector('inetutils-telnetd.txt').received, Uint8Array.of(IAC, DO, 24), (items, conv) => {
    assertBounded(items, ['telnet'], TELNET_LIMITS.text);
    // at most one answer per (direction, option): 2 x 256 answers of 3 bytes
    assert.ok(conv.sentText().length <= 2 * 256 * 3);
    assert.ok(conv.closes <= 1);
  });
});
