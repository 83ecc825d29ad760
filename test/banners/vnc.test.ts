import { test } from 'node:test';
import assert from 'node:assert/strict';
import { vncModule, VNC_LIMITS } from '../../src/banners/vnc.js';
import { assertSplitInvariant, bannerVector, latin1, runModule, text } from './helpers.js';
import { assertBounded, fuzzModule } from './fuzz.js';

const vnc = vncModule();

function u32(n: number): number[] {
  return [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
}

test('vnc: real TigerVNC (3.8, None) -> version, security types, size and desktop name', () => {
  const { sent, received } = bannerVector('tigervnc-none.txt');
  const r = runModule(vnc, [received]);
  assert.deepEqual(r.items, [
    { app: 'vnc', text: 'RFB 003.008' },
    { app: 'vnc-info', text: 'security=1 width=800 height=600 depth=24 name=tidescan-lab' },
  ]);
  assert.equal(r.sent, 'RFB 003.008\n\x01\x01'); // version, None, ClientInit (shared)
  assert.equal(text(sent), r.sent);
  assert.equal(r.closes, 1);
  assertSplitInvariant(vnc, received, 100);
});

test('vnc: versions 3.3 and 3.7, VNC auth only, failures with a reason (RFC 6143 §7.1)', () => {
  const init = [0, 16, 0, 8, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0, 0, 0, 0, 3, 0x61, 0x62, 0x63];
  // 3.3: the server picks the type (U32); None has no SecurityResult
  let r = runModule(vnc, [Uint8Array.from([...latin1('RFB 003.003\n'), ...u32(1), ...init])]);
  assert.equal(r.sent, 'RFB 003.003\n\x01');
  assert.deepEqual(r.items[1], { app: 'vnc-info', text: 'security=1 width=16 height=8 depth=24 name=abc' });
  // 3.7: types listed; None chosen; no SecurityResult in 3.7
  r = runModule(vnc, [Uint8Array.from([...latin1('RFB 003.007\n'), 2, 2, 1, ...init])]);
  assert.equal(r.sent, 'RFB 003.007\n\x01\x01');
  assert.equal(r.items[1]!.text, 'security=2,1 width=16 height=8 depth=24 name=abc');
  // a newer server (Apple's 003.889, 4.x) is answered with 3.8
  r = runModule(vnc, [latin1('RFB 003.889\n'), Uint8Array.of(1, 2)]);
  assert.equal(r.sent, 'RFB 003.008\n');
  assert.deepEqual(r.items, [{ app: 'vnc', text: 'RFB 003.889' }, { app: 'vnc-info', text: 'security=2' }]);
  assert.equal(r.closes, 1); // VNC authentication only: nothing more to learn without a password
  // zero types: the reason
  r = runModule(vnc, [Uint8Array.from([...latin1('RFB 003.008\n'), 0, ...u32(8), ...latin1('too many')])]);
  assert.equal(r.items[1]!.text, 'security= reason=too many');
  // 3.8 SecurityResult failed: the reason
  r = runModule(vnc, [Uint8Array.from([...latin1('RFB 003.008\n'), 1, 1, ...u32(1), ...u32(2), ...latin1('no')])]);
  assert.equal(r.items[1]!.text, 'security=1 reason=no');
  // not RFB
  r = runModule(vnc, [latin1('RFB 03.8\nxxxxxxxx')]);
  assert.deepEqual([r.sent, r.closes], ['', 1]);
  // a long name is cut
  const name = 'n'.repeat(VNC_LIMITS.text + 50);
  r = runModule(vnc, [Uint8Array.from([...latin1('RFB 003.003\n'), ...u32(1), ...init.slice(0, 20), ...u32(name.length), ...latin1(name)])]);
  assert.equal(r.items[1]!.text, `security=1 width=16 height=8 depth=24 name=${'n'.repeat(VNC_LIMITS.text)}`);
  assert.equal(r.closes, 1);
});

test('vnc fuzz: no throw, in bounds, bounded', () => {
  fuzzModule(vnc, bannerVector('tigervnc-none.txt').received, latin1('RFB 003.008\n'), (items, conv) => {
    assertBounded(items, ['vnc', 'vnc-info'], VNC_LIMITS.text + 200);
    assert.ok(conv.closes <= 1);
  });
});
