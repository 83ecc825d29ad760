import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  emitSctp,
  nextSctpChunk,
  parseSctp,
  sctpBufferLen,
  sctpChecksum,
  SctpChunkType,
  SctpPacket,
  type SctpRepr,
} from '../../src/wire/sctp.js';
import { fromHex } from '../../src/wire/bytes.js';
import { assertBytes, filled } from './helpers.js';

// An INIT with one IPv4-address parameter as built by an independent implementation (the SCTP
// regression test of Scapy): its stored checksum bytes 40 2c 0b 5f are CRC32c 0x5f0b2c40 stored
// least-significant byte first.
const SCAPY_INIT = fromHex(
  '0000 0000 00000000 402c0b5f' + '0100 001c' + '00'.repeat(16) + '0005 0008 7f000001',
);

// masscan-compat §6.4: our SCTP probe is an INIT (chunk length 20): initiate tag = cookie,
// a_rwnd 32768, 10 outbound / 2048 inbound streams.
const INIT_REPR: SctpRepr = {
  srcPort: 40000,
  dstPort: 80,
  verificationTag: 0,
  chunks: [
    { kind: 'init', flags: 0, initiateTag: 0x09eedd0d, aRwnd: 32768, outStreams: 10, inStreams: 2048, initialTsn: 0x12345678, params: new Uint8Array(0) },
  ],
};
const INIT_BYTES = fromHex('9c40 0050 00000000 00000000' + '0100 0014 09eedd0d 00008000 000a 0800 12345678');
new SctpPacket(INIT_BYTES).fillChecksum();

test('sctp: deconstruct an INIT from another implementation; its CRC32c verifies', () => {
  const p = new SctpPacket(SCAPY_INIT);
  assert.equal(p.checkLen(), null);
  assert.equal(p.srcPort(), 0);
  assert.equal(p.verificationTag(), 0);
  assert.equal(p.checksum(), 0x5f0b2c40);
  assert.equal(sctpChecksum(SCAPY_INIT, 0, SCAPY_INIT.length), 0x5f0b2c40);
  assert.equal(p.verifyChecksum(), true);
  assert.equal(p.chunkType(), SctpChunkType.INIT);
  const r = parseSctp(p);
  assert.ok(typeof r !== 'string');
  const c = r.chunks[0];
  assert.ok(c.kind === 'init');
  assert.deepEqual(c.params, fromHex('0005 0008 7f000001'));
});

test('sctp: construct our INIT probe into a 0xa5 buffer', () => {
  const b = filled(sctpBufferLen(INIT_REPR));
  emitSctp(INIT_REPR, new SctpPacket(b));
  assertBytes(b, INIT_BYTES);
  assert.equal(new SctpPacket(b).verifyChecksum(), true);
});

test('sctp: parse then emit gives the same bytes (INIT, INIT ACK with cookie, ABORT, other)', () => {
  const initAck: SctpRepr = {
    srcPort: 80,
    dstPort: 40000,
    verificationTag: 0x09eedd0d,
    chunks: [
      {
        kind: 'init-ack',
        flags: 0,
        initiateTag: 0xcafef00d,
        aRwnd: 106496,
        outStreams: 10,
        inStreams: 10,
        initialTsn: 7,
        params: fromHex('0007 0009 0102030405 000000'), // state cookie of 5 bytes, padded
      },
    ],
  };
  const abort: SctpRepr = {
    srcPort: 80,
    dstPort: 40000,
    verificationTag: 0x09eedd0d,
    chunks: [{ kind: 'abort', flags: 1, causes: new Uint8Array(0) }],
  };
  const multi: SctpRepr = {
    srcPort: 1,
    dstPort: 2,
    verificationTag: 3,
    chunks: [
      { kind: 'other', type: SctpChunkType.COOKIE_ACK, flags: 0, value: new Uint8Array(0) },
      { kind: 'other', type: 0x40, flags: 0x80, value: fromHex('aabbcc') }, // padded to 8
      { kind: 'abort', flags: 0, causes: fromHex('000c0004') },
    ],
  };
  for (const bytes of [SCAPY_INIT, INIT_BYTES]) {
    const r = parseSctp(new SctpPacket(bytes));
    assert.ok(typeof r !== 'string');
    const b = filled(sctpBufferLen(r));
    emitSctp(r, new SctpPacket(b));
    assertBytes(b, bytes);
  }
  for (const repr of [initAck, abort, multi]) {
    const b = filled(sctpBufferLen(repr));
    emitSctp(repr, new SctpPacket(b));
    const back = parseSctp(new SctpPacket(b));
    assert.ok(typeof back !== 'string', String(back));
    assert.deepEqual(back, repr);
    const again = filled(b.length);
    emitSctp(back, new SctpPacket(again));
    assertBytes(again, b);
  }
  assert.equal(sctpBufferLen(multi), 12 + 4 + 8 + 8);
});

test('sctp: bad lengths, truncation, checksum', () => {
  for (let n = 0; n < 16; n++) assert.equal(parseSctp(new SctpPacket(INIT_BYTES.subarray(0, n))), 'truncated');
  assert.equal(parseSctp(new SctpPacket(INIT_BYTES.subarray(0, 30)), false), 'malformed'); // chunk runs past the end
  const short = INIT_BYTES.slice();
  short[15] = 3; // chunk length 3 < 4
  assert.equal(parseSctp(new SctpPacket(short), false), 'malformed');
  const initTooShort = INIT_BYTES.slice();
  initTooShort[15] = 8;
  assert.equal(parseSctp(new SctpPacket(initTooShort.subarray(0, 20)), false), 'malformed');
  const bad = INIT_BYTES.slice();
  bad[20] ^= 1;
  assert.equal(parseSctp(new SctpPacket(bad)), 'bad-checksum');
  assert.notEqual(typeof parseSctp(new SctpPacket(bad), false), 'string');
  assert.equal(nextSctpChunk(INIT_BYTES, 12, 32), 32);
  assert.equal(nextSctpChunk(INIT_BYTES, 12, 31), -1);
  // the chunk walk is bounded
  const many = new Uint8Array(12 + 4 * 70);
  for (let p = 12; p < many.length; p += 4) many[p + 3] = 4;
  assert.equal(parseSctp(new SctpPacket(many), false), 'unsupported');
});
