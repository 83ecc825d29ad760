/**
 * The `nbtstat` banner (src/banners/udp-nbtstat.ts) on a real NODE STATUS RESPONSE: Samba
 * 4.17's nmbd (netbios name HU-NBT-SINK, workgroup TIDELAB, master browser) answering
 * tidescan's node status query for `*` (udp-payloads.ts, id 0x1234), captured in a test
 * namespace; on a vector built by hand from RFC 1002 §4.2.18 with a pointer for RR_NAME and a
 * real MAC; truncations at every length; random and mutated bytes through the guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNbtstat } from '../../src/banners/udp-nbtstat.js';
import { udpBanner } from '../../src/banners/udp.js';
import { fuzzUdpParsers } from './fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const NMBD = hex(
  '12348400000000010000000020434b414141414141414141414141414141414141414141414141414141414141000021000100000000009b06' +
  '48552d4e42542d53494e4b2020202000040048552d4e42542d53494e4b2020202003040048552d4e42542d53494e4b202020202004000102' +
  '5f5f4d5342524f5753455f5f02018400544944454c41422020202020202020008400544944454c414220202020202020201e840000000000' +
  '000000000000000000000000000000000000000000000000000000000000000000000000000000000000');

/** A 16-byte NetBIOS name: 15 characters padded with spaces, then the suffix. */
function nbName(name: string, suffix: number): number[] {
  return [...Buffer.from(name.padEnd(15, ' '), 'latin1'), suffix];
}

test('nbtstat: nmbd answers with its name table (and no MAC: Samba sends zeros)', () => {
  const want = 'HU-NBT-SINK<00> HU-NBT-SINK<03> HU-NBT-SINK<20> \x01\x02__MSBROWSE__\x02<01>/group TIDELAB<00>/group TIDELAB<1e>/group mac=00:00:00:00:00:00';
  assert.equal(parseNbtstat(NMBD, 0, NMBD.length), want);
  assert.deepEqual(udpBanner(137, NMBD, 0, NMBD.length), { app: 'nbtstat', text: want });
  // RDLENGTH 0x9b covers the names and the statistics: any shorter datagram is null.
  for (let n = 0; n < NMBD.length; n++) assert.equal(parseNbtstat(NMBD, 0, n), null, `length ${n}`);
  // Our query (R clear) and a negative response (RCODE 3) are not answers.
  const q = NMBD.slice(); q[2] = 0x04;
  assert.equal(parseNbtstat(q, 0, q.length), null);
  const neg = NMBD.slice(); neg[3] = 0x03;
  assert.equal(parseNbtstat(neg, 0, neg.length), null);
});

test('nbtstat: RFC 1002 §4.2.18 by hand: RR_NAME as a pointer, unique and group names, the UNIT_ID', () => {
  const names = [...nbName('FILESRV', 0x00), 0x04, 0x00, ...nbName('OFFICE', 0x00), 0x84, 0x00];
  const stats = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56, ...new Array<number>(40).fill(0)];
  const rdata = [2, ...names, ...stats];
  const b = Uint8Array.from([
    0xab, 0xcd, 0x84, 0x00, 0, 0, 0, 1, 0, 0, 0, 0,
    0xc0, 0x0c, // RR_NAME: a pointer (RFC 1002 §4.1, label string pointer)
    0x00, 0x21, 0x00, 0x01, 0, 0, 0, 0, rdata.length >>> 8, rdata.length & 0xff, ...rdata,
  ]);
  assert.equal(parseNbtstat(b, 0, b.length), 'FILESRV<00> OFFICE<00>/group mac=52:54:00:12:34:56');
  // RDATA that ends right after the names: no mac.
  const short = Uint8Array.from([...b.subarray(0, 22), 0, 1 + names.length, 2, ...names]);
  assert.equal(parseNbtstat(short, 0, short.length), 'FILESRV<00> OFFICE<00>/group');
  // NUM_NAMES larger than RDATA holds: null.
  const over = short.slice(); over[24] = 3;
  assert.equal(parseNbtstat(over, 0, over.length), null);
  // Another RR type (NB, 0x0020): null.
  const nb = b.slice(); nb[15] = 0x20;
  assert.equal(parseNbtstat(nb, 0, nb.length), null);
});

test('fuzz: random and mutated node status responses never throw nor read outside [off, off + len)', () => {
  fuzzUdpParsers({
    parsers: [parseNbtstat], reals: [NMBD], random: 400,
    also: (g, off, len) => { udpBanner(137, g, off, len); }, seed: 0x137,
  });
});
