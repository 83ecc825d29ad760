import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nbSessionRequest, netbiosName, smb1Negotiate, smb2Negotiate, smb2SessionSetup, smbModule } from '../../src/banners/smb.js';
import { buildBanners, defaultBannerConfig } from '../../src/banners/registry.js';
import { BANNER_CAPS } from '../../src/banners/caps.js';
import { assertSplitInvariant, bannerVector, latin1, runGuarded, runModule, RUNS, T4, text } from './helpers.js';

const Z = (n: number): Uint8Array => new Uint8Array(n).fill(0x5a);
const smb = smbModule(false, Z);
const smbv1 = smbModule(true, Z);
const T445 = { ...T4, port: 445 };
const T139 = { ...T4, port: 139 };

// The real Samba vectors' banners. Checked by hand against the hex: the GUID's bytes are
// ASCII "sinkhost" (Samba derives it from the NetBIOS name), the NTLMSSP VERSION bytes are
// 06 01 00 00 (6.1 build 0, what Samba claims), the AV pairs NbDomainName/NbComputerName are
// "SINKHOST" in UTF-16LE and DnsComputerName is the machine's host name "vm".
const GUID = '6b6e6973-6f68-7473-0000-000000000000';

test('smb: real Samba 4.17 on 445: SMB2 negotiate (2.??? then 3.1.1), NTLMSSP challenge', () => {
  const { sent, received } = bannerVector('samba-445.txt');
  const r = runModule(smb, [received], T445);
  assert.deepEqual(r.items, [{
    app: 'smb',
    text: `SMBv2 dialect=3.1.1 signing=enabled guid=${GUID} time=2026-12-03T20:56:48.392Z boottime=none ver=6.1.0 domain=SINKHOST name=SINKHOST name-dns=vm`,
  }]);
  assert.equal(r.closes, 1);
  // what the module sent after the hello is what the server was sent when captured
  assert.equal(text(smb.hello(T445)!) + r.sent, text(sent));
});

test('smb: real Samba on 139: NetBIOS session request first, then the same', () => {
  const { sent, received } = bannerVector('samba-139.txt');
  assert.deepEqual([...received.subarray(0, 4)], [0x82, 0, 0, 0]); // RFC 1002 POSITIVE SESSION RESPONSE
  const r = runModule(smb, [received], T139);
  assert.match(r.items[0]!.text, /^SMBv2 dialect=3\.1\.1 signing=enabled guid=6b6e6973-6f68-7473-0000-000000000000 time=\S+Z boottime=none ver=6\.1\.0 domain=SINKHOST name=SINKHOST name-dns=vm$/);
  assert.equal(text(smb.hello(T139)!) + r.sent, text(sent));
});

test('smb: real Samba with SMB1 (--hello smbv1): negotiate, session setup, native OS and LAN manager', () => {
  const { sent, received } = bannerVector('samba-smb1.txt');
  const r = runModule(smbv1, [received], T445);
  assert.deepEqual(r.items, [{
    app: 'smb',
    text: `SMBv1 dialect=NT LM 0.12 signing=disabled time=2026-12-03T20:57:01.238Z tz=0 guid=${GUID} ver=6.1.0 ` +
      'domain=SINKHOST name=SINKHOST name-dns=vm os=Windows 6.1 lanman=Samba 4.17.12-Debian',
  }]);
  assert.equal(text(smbv1.hello(T445)!) + r.sent, text(sent));
  // a Samba that refuses SMB1 answers DialectIndex 0xFFFF
  const no = runModule(smbv1, [bannerVector('samba-smb1-refused.txt').received], T445);
  assert.deepEqual(no.items, [{ app: 'smb', text: 'SMBv1 no dialect' }]);
});

test('smb: whole, byte by byte, at random split points', () => {
  for (const f of ['samba-445.txt', 'samba-139.txt', 'samba-smb1.txt', 'samba-smb1-refused.txt']) {
    assertSplitInvariant(f === 'samba-smb1.txt' ? smbv1 : smb, bannerVector(f).received, 60);
  }
});

test('smb hello: the bytes of §9.3 (SMB1 NEGOTIATE with three dialects; NetBIOS session request on 139)', () => {
  const h = Buffer.from(smb1Negotiate(false));
  assert.equal(h.readUInt32BE(0), h.length - 4); // NetBIOS session message, length
  assert.equal(h.toString('latin1', 4, 8), '\xffSMB');
  assert.equal(h[8], 0x72); // SMB_COM_NEGOTIATE
  assert.equal(h[4 + 32], 0); // WordCount
  assert.equal(h.toString('latin1', 4 + 35), '\x02NT LM 0.12\0\x02SMB 2.002\0\x02SMB 2.???\0');
  assert.equal(h.readUInt16LE(4 + 33), h.length - 4 - 35); // ByteCount
  assert.equal(Buffer.from(smb1Negotiate(true)).toString('latin1', 4 + 35), '\x02NT LM 0.12\0');
  // RFC 1002 §4.1.1: '*SMBSERVER' + 0x20 encodes to CKFDENECFDEFFCFGEFFCCACACACACACA (the
  // well-known encoded name), TIDESCAN + 0x00 half-ASCII by hand: T=0x54 -> FE, I=0x49 -> EJ ...
  assert.equal(Buffer.from(netbiosName('*SMBSERVER', 0x20)).toString('latin1'), '\x20CKFDENECFDEFFCFGEFFCCACACACACACA\0');
  assert.equal(Buffer.from(netbiosName('TIDESCAN', 0)).toString('latin1'), '\x20FEEJEEEFFDEDEBEOCACACACACACACAAA\0');
  const nb = Buffer.from(nbSessionRequest());
  assert.deepEqual([...nb.subarray(0, 4)], [0x81, 0, 0, 68]);
  assert.equal(nb.length, 72);
  const on139 = Buffer.from(smb.hello(T139)!);
  assert.deepEqual(on139, Buffer.concat([nb, h]));
  assert.deepEqual(Buffer.from(smb.hello(T445)!), h);
  // the registry: 139 and 445 get it, --hello smbv1 restricts it
  const b = buildBanners(defaultBannerConfig('0.1.0'));
  assert.deepEqual(Buffer.from(b.helloFor(T445)!.bytes), h);
  const b1 = buildBanners({ ...defaultBannerConfig('0.1.0'), hello: 'smbv1' });
  assert.deepEqual(Buffer.from(b1.helloFor(T445)!.bytes), Buffer.from(smb1Negotiate(true)));
});

test('smb: SMB2 NEGOTIATE and SESSION_SETUP are well-formed (MS-SMB2 §2.2.3, §2.2.5)', () => {
  const n = Buffer.from(smb2Negotiate(Z(16), Z(32)));
  assert.equal(n.readUInt32BE(0), n.length - 4);
  assert.equal(n.toString('latin1', 4, 8), '\xfeSMB');
  const body = 4 + 64;
  assert.equal(n.readUInt16LE(body), 36);
  assert.equal(n.readUInt16LE(body + 2), 5);
  const ctx = n.readUInt32LE(body + 28);
  assert.equal(ctx % 8, 0);
  assert.deepEqual([0, 1, 2, 3, 4].map((k) => n.readUInt16LE(body + 36 + 2 * k)), [0x202, 0x210, 0x300, 0x302, 0x311]);
  assert.equal(n.readUInt16LE(4 + ctx), 1); // SMB2_PREAUTH_INTEGRITY_CAPABILITIES
  assert.equal(n.readUInt16LE(4 + ctx + 2), 38);
  assert.equal(4 + ctx + 8 + 38, n.length);
  const s = Buffer.from(smb2SessionSetup(2));
  assert.equal(s.readUInt16LE(4 + 12), 1);
  const off = s.readUInt16LE(4 + 64 + 12);
  const len = s.readUInt16LE(4 + 64 + 14);
  assert.equal(off, 88);
  assert.equal(4 + off + len, s.length);
  assert.equal(s[4 + off], 0x60); // GSS-API InitialContextToken
  assert.ok(s.toString('latin1').includes('NTLMSSP\0\x01\0\0\0'));
});

test('smb: negative NetBIOS session response, non-SMB answers, SMB errors', () => {
  // RFC 1002 §4.3.4: NEGATIVE SESSION RESPONSE, error 0x82 (called name not present)
  const neg = assertSplitInvariant(smb, Uint8Array.from([0x83, 0, 0, 1, 0x82]));
  assert.deepEqual(neg.items, [{ app: 'smb', text: 'NetBIOS session refused (0x82)' }]);
  // HTTP on an SMB port: `unknown`, whole
  const http = assertSplitInvariant(smb, latin1('HTTP/1.1 400 Bad Request\r\n\r\n'));
  assert.deepEqual(http.items, [{ app: 'unknown', text: 'HTTP/1.1 400 Bad Request\r\n\r\n' }]);
  // a NetBIOS message that is not SMB
  const odd = assertSplitInvariant(smb, Uint8Array.from([0, 0, 0, 4, 1, 2, 3, 4, 9, 9]));
  assert.deepEqual(odd.items, [{ app: 'unknown', text: '\0\0\0\x04\x01\x02\x03\x04\x09\x09' }]);
  // an SMB2 NEGOTIATE error status
  const hdr = Buffer.alloc(4 + 64 + 9);
  hdr.writeUInt32BE(64 + 9, 0);
  hdr.write('\xfeSMB', 4, 'latin1');
  hdr.writeUInt32LE(0xc0000002, 4 + 8);
  const e = assertSplitInvariant(smb, Uint8Array.from(hdr));
  assert.deepEqual(e.items, [{ app: 'smb', text: 'SMBv2 negotiate status=0xc0000002' }]);
  assert.equal(e.closes, 1);
});

test('smb fuzz: random and mutated real bytes: no throw, in bounds, bounded', () => {
  const reals = ['samba-445.txt', 'samba-139.txt', 'samba-smb1.txt'].map((f) => bannerVector(f).received);
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => Uint8Array.from([0, 0, (b.length >> 8) & 0xff, b.length & 0xff, 0xfe, 0x53, 0x4d, 0x42, ...b])),
    fc.tuple(fc.nat(2), fc.nat(1000), fc.array(fc.tuple(fc.nat(1000), fc.nat(255)), { maxLength: 8 })).map(([w, cut, muts]) => {
      const r = reals[w]!;
      const b = r.slice(0, Math.min(cut, r.length));
      for (const [i, v] of muts) if (i < b.length) b[i] = v;
      return b;
    }),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(1000), { maxLength: 6 }), fc.boolean(), (bytes, points, v1) => {
      const cuts = [...new Set(points.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
      const chunks: Uint8Array[] = [];
      let prev = 0;
      for (const c of cuts) { chunks.push(bytes.slice(prev, c)); prev = c; }
      chunks.push(bytes.slice(prev));
      const { items, conv } = runGuarded(v1 ? smbv1 : smb, chunks, T445);
      for (const i of items) {
        assert.ok(i.app === 'smb' || i.app === 'unknown');
        assert.ok(i.bytes.length <= BANNER_CAPS.perApp);
      }
      assert.ok(conv.closes <= 1);
      assert.ok(conv.sent.length <= 2);
    }),
    { numRuns: RUNS * 3 },
  );
});

test('smb detection (§9.2): `00 00 ?? ?? fe|ff SMB` and NetBIOS session replies, the length bytes any', () => {
  const b = buildBanners(defaultBannerConfig('0.1.0'));
  const m = b.module('smb');
  for (const p of [[0, 0, 0x01, 0x2c, 0xfe, 0x53, 0x4d, 0x42], [0, 0, 0, 0x55, 0xff, 0x53, 0x4d, 0x42], [0x82, 0, 0, 0], [0x83, 0, 0, 1, 0x8f]]) {
    const u = Uint8Array.from(p);
    assert.equal(b.detect(u, 0, u.length, 4455), m, p.join(','));
  }
  // a first byte other than 0 is not an SMB-over-TCP header
  const bad = Uint8Array.from([1, 0, 0, 0x55, 0xfe, 0x53, 0x4d, 0x42]);
  assert.equal(b.detect(bad, 0, bad.length, 4455), null);
  assert.equal(b.detectPrefix(Uint8Array.from([0, 0, 7]), 0, 3, 4455), 'more');
});
