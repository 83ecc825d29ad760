import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { findChallenge, ntlmNegotiate, parseChallenge, spnegoInit } from '../../src/codec/ntlmssp.js';
import { guarded } from '../banners/helpers.js';

/**
 * A CHALLENGE_MESSAGE built by hand from MS-NLMP §2.2.1.2 (field offsets), §2.2.2.10 (VERSION)
 * and §2.2.2.1 (AV_PAIR ids): Windows Server 2019 style, 10.0 build 17763.
 */
function challenge(): Buffer {
  const u = (s: string): Buffer => Buffer.from(s, 'utf16le');
  const av = (id: number, v: Buffer): Buffer => Buffer.concat([Buffer.from([id, 0, v.length & 0xff, v.length >> 8]), v]);
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64LE(133000000000000000n); // a FILETIME: 2022-06-18T04:26:40Z (python: utcfromtimestamp(1.33e17/1e7 - 11644473600))
  const info = Buffer.concat([
    av(2, u('CORP')), av(1, u('DC01')), av(4, u('corp.example')), av(3, u('dc01.corp.example')),
    av(5, u('example')), av(7, ts), av(0, Buffer.alloc(0)),
  ]);
  const target = u('CORP');
  const m = Buffer.alloc(56);
  m.write('NTLMSSP\0', 0, 'latin1');
  m.writeUInt32LE(2, 8);
  m.writeUInt16LE(target.length, 12); m.writeUInt16LE(target.length, 14); m.writeUInt32LE(56, 16);
  m.writeUInt32LE(0xe28a8215, 20); // flags incl. UNICODE, TARGET_INFO, VERSION
  m.writeUInt16LE(info.length, 40); m.writeUInt16LE(info.length, 42); m.writeUInt32LE(56 + target.length, 44);
  m[48] = 10; m[49] = 0; m.writeUInt16LE(17763, 50); m[55] = 15;
  return Buffer.concat([m, target, info]);
}

test('ntlmssp: a hand-built CHALLENGE: version, names, timestamp', () => {
  const c = Uint8Array.from(Buffer.concat([Buffer.from([0xa1, 0x81, 0x00]), challenge()])); // inside junk, as in SPNEGO
  const at = findChallenge(c, 0, c.length);
  assert.equal(at, 3);
  const r = parseChallenge(c, at, c.length)!;
  assert.deepEqual(r, {
    flags: 0xe28a8215, targetName: 'CORP', version: { major: 10, minor: 0, build: 17763, ntlmRevision: 15 },
    nbComputer: 'DC01', nbDomain: 'CORP', dnsComputer: 'dc01.corp.example', dnsDomain: 'corp.example', dnsTree: 'example',
    timestampMs: Date.parse('2022-06-18T04:26:40Z'),
  });
});

test('ntlmssp: our NEGOTIATE and its SPNEGO wrapping (MS-NLMP §2.2.1.1, RFC 4178)', () => {
  const n = Buffer.from(ntlmNegotiate());
  assert.equal(n.toString('latin1', 0, 8), 'NTLMSSP\0');
  assert.equal(n.readUInt32LE(8), 1);
  const flags = n.readUInt32LE(12);
  assert.ok((flags & 0x02000000) !== 0 && (flags & 0x00800000) !== 0 && (flags & 1) !== 0);
  const s = Buffer.from(spnegoInit(ntlmNegotiate()));
  // 60 len 06 06 2b0601050502 a0 ... 06 0a 2b0601040182370202 0a ... a2 .. 04 28 <token>
  assert.equal(s[0], 0x60);
  assert.equal(s[1], s.length - 2);
  assert.equal(s.subarray(2, 10).toString('hex'), '06062b0601050502');
  assert.ok(s.toString('hex').includes('060a2b06010401823702020a'));
  assert.ok(s.toString('hex').endsWith('0428' + n.toString('hex')));
});

test('ntlmssp: truncated or lying fields read as empty, never out of bounds', () => {
  const full = Uint8Array.from(challenge());
  for (let cut = 0; cut <= full.length; cut++) {
    const b = full.slice(0, cut);
    const g = guarded(b, 0, b.length);
    const r = parseChallenge(g, 0, b.length);
    if (cut < 48) assert.equal(r, null);
  }
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), fc.array(fc.tuple(fc.nat(200), fc.nat(255)), { maxLength: 10 }), (junk, muts) => {
    const b = Uint8Array.from([...full, ...junk]);
    for (const [i, v] of muts) if (i < b.length) b[i] = v;
    const g = guarded(b, 0, b.length);
    const at = findChallenge(g, 0, b.length);
    if (at >= 0) parseChallenge(g, at, b.length);
  }), { numRuns: 500 });
});
