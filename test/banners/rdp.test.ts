import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rdpConnectionRequest, rdpModule } from '../../src/banners/rdp.js';
import { buildBanners, defaultBannerConfig } from '../../src/banners/registry.js';
import { assertSplitInvariant, bannerVector, latin1, runGuarded, runModule, RUNS, T4, text } from './helpers.js';

const rdp = rdpModule();
const T = { ...T4, port: 3389 };

test('rdp: real xrdp 0.9.21 (security_layer=negotiate) chooses TLS: NLA-unused', () => {
  const { sent, received } = bannerVector('xrdp-negotiate.txt');
  assert.equal(text(sent), text(rdp.hello(T)!));
  const r = assertSplitInvariant(rdp, received);
  assert.deepEqual(r.items, [{ app: 'rdp', text: 'X.224 CC proto=SSL flags=EXTENDED_CLIENT_DATA NLA-unused' }]);
  assert.equal(r.closes, 1);
});

test('rdp: real xrdp (security_layer=tls) refuses standard RDP security: failure SSL_REQUIRED_BY_SERVER', () => {
  const r = assertSplitInvariant(rdp, bannerVector('xrdp-tls-required.txt').received);
  assert.deepEqual(r.items, [{ app: 'rdp', text: 'X.224 CC failure SSL_REQUIRED_BY_SERVER' }]);
});

test('rdp: hand-built confirms (MS-RDPBCGR §2.2.1.2): CredSSP chosen, no negotiation, disconnect', () => {
  // RDP_NEG_RSP selecting PROTOCOL_HYBRID (2), flags EXTENDED_CLIENT_DATA|DYNVC_GFX|RESTRICTED_ADMIN (0x0b)
  const hybrid = Uint8Array.from([3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x0b, 8, 0, 2, 0, 0, 0]);
  assert.deepEqual(assertSplitInvariant(rdp, hybrid).items, [{ app: 'rdp', text: 'X.224 CC proto=HYBRID flags=EXTENDED_CLIENT_DATA,DYNVC_GFX,RESTRICTED_ADMIN NLA-supported' }]);
  // a CC of 11 bytes: no RDP_NEG_RSP (a server older than RDP 5.2's negotiation)
  const old = Uint8Array.from([3, 0, 0, 0x0b, 0x06, 0xd0, 0, 0, 0x12, 0x34, 0]);
  assert.deepEqual(assertSplitInvariant(rdp, old).items, [{ app: 'rdp', text: 'X.224 CC NLA-unsupported' }]);
  // standard RDP security chosen
  const std = Uint8Array.from([3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 0, 0, 0, 0]);
  assert.deepEqual(runModule(rdp, [std]).items, [{ app: 'rdp', text: 'X.224 CC proto=RDP flags=none NLA-unused' }]);
  // X.224 Disconnect Request (code 0x80)
  const dr = Uint8Array.from([3, 0, 0, 0x0b, 0x06, 0x80, 0, 0, 0, 0, 0]);
  assert.deepEqual(runModule(rdp, [dr]).items, [{ app: 'rdp', text: 'X.224 DR' }]);
  // not TPKT
  assert.deepEqual(assertSplitInvariant(rdp, latin1('SSH-2.0-x\r\n')).items, [{ app: 'unknown', text: 'SSH-2.0-x\r\n' }]);
});

test('rdp hello: X.224 CR with cookie mstshash=tidescan and RDP_NEG_REQ (§9.3, MS-RDPBCGR §2.2.1.1)', () => {
  const h = Buffer.from(rdpConnectionRequest('tidescan'));
  assert.deepEqual([...h.subarray(0, 2)], [3, 0]);
  assert.equal(h.readUInt16BE(2), h.length);
  assert.equal(h[4], h.length - 5); // LI
  assert.equal(h[5], 0xe0);
  assert.equal(h.toString('latin1', 11, 11 + 27), 'Cookie: mstshash=tidescan\r\n');
  assert.deepEqual([...h.subarray(h.length - 8)], [1, 0, 8, 0, 3, 0, 0, 0]);
  const b = buildBanners(defaultBannerConfig('0.1.0'));
  assert.equal(b.forPort(3389), b.module('rdp'));
  const cc = Uint8Array.from([3, 0, 0, 0x13, 0x0e, 0xd0, 0, 0]);
  assert.equal(b.detect(cc, 0, cc.length, 33890), b.module('rdp'));
});

test('rdp fuzz: no throw, in bounds', () => {
  const real = bannerVector('xrdp-negotiate.txt').received;
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 100 }),
    fc.uint8Array({ maxLength: 60 }).map((b) => Uint8Array.from([3, 0, 0, b.length + 4, ...b])),
    fc.array(fc.tuple(fc.nat(real.length - 1), fc.nat(255)), { maxLength: 6 }).map((muts) => {
      const b = real.slice();
      for (const [i, v] of muts) b[i] = v;
      return b;
    }),
  );
  fc.assert(fc.property(input, fc.nat(100), (bytes, cut) => {
    const { items, conv } = runGuarded(rdp, [bytes.slice(0, cut), bytes.slice(cut)]);
    for (const i of items) assert.ok(i.app === 'rdp' || i.app === 'unknown');
    assert.ok(conv.closes <= 1);
  }), { numRuns: RUNS * 3 });
});
