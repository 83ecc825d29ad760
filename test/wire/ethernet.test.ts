import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  EtherType,
  EthernetFrame,
  emitEthernet,
  ethernetHeaderLen,
  parseEthernet,
  vlanId,
  type EthernetRepr,
} from '../../src/wire/ethernet.js';
import { fromHex, macFromText } from '../../src/wire/bytes.js';
import { assertBytes, filled, vec } from './helpers.js';

// ARP, Request who-has 10.250.9.2 tell 10.250.9.1, length 28   (veth-ethernet.txt #0)
const ARP_FRAME = vec('veth-ethernet.txt', 0).bytes;

const REPR: EthernetRepr = {
  dst: macFromText('ff:ff:ff:ff:ff:ff'),
  src: macFromText('02:50:00:00:09:01'),
  etherType: EtherType.ARP,
  vlanTci: undefined,
};

// The same header with an 802.1Q tag: PCP 5, DEI 0, VID 100.
const TAGGED = fromHex('ffffffffffff 025000000901 8100 a064 0806');

test('ethernet: deconstruct a real frame', () => {
  const f = new EthernetFrame(ARP_FRAME);
  assert.equal(f.checkLen(), null);
  assert.deepEqual(f.dst(), REPR.dst);
  assert.deepEqual(f.src(), REPR.src);
  assert.equal(f.etherType(), EtherType.ARP);
  assert.equal(f.hasVlan(), false);
  assert.equal(f.headerLen(), 14);
  assert.equal(f.payloadOff(), 14);
  assert.equal(f.payloadLen(), 28);
});

test('ethernet: construct into a 0xa5 buffer', () => {
  const b = filled(14);
  emitEthernet(REPR, new EthernetFrame(b));
  assertBytes(b, ARP_FRAME.subarray(0, 14));
});

test('ethernet: parse then emit gives the same bytes', () => {
  const r = parseEthernet(new EthernetFrame(ARP_FRAME));
  assert.ok(typeof r !== 'string');
  assert.deepEqual(r, REPR);
  const b = filled(ethernetHeaderLen(r));
  emitEthernet(r, new EthernetFrame(b));
  assertBytes(b, ARP_FRAME.subarray(0, 14));
});

test('ethernet: 802.1Q tag deconstruct, construct, round trip', () => {
  const f = new EthernetFrame(TAGGED);
  assert.equal(f.checkLen(), null);
  assert.equal(f.hasVlan(), true);
  assert.equal(f.outerEtherType(), EtherType.VLAN);
  assert.equal(f.vlanTci(), 0xa064);
  assert.equal(vlanId(f.vlanTci()), 100);
  assert.equal(f.etherType(), EtherType.ARP);
  assert.equal(f.headerLen(), 18);
  const repr = { ...REPR, vlanTci: 0xa064 };
  const b = filled(18);
  emitEthernet(repr, new EthernetFrame(b));
  assertBytes(b, TAGGED);
  assert.deepEqual(parseEthernet(new EthernetFrame(b)), repr);
  assert.equal(ethernetHeaderLen(repr), 18);
});

test('ethernet: truncated frames and bad regions', () => {
  for (let n = 0; n < 14; n++) assert.equal(new EthernetFrame(ARP_FRAME, 0, n).checkLen(), 'truncated');
  for (let n = 14; n < 18; n++) assert.equal(new EthernetFrame(TAGGED.subarray(0, n)).checkLen(), 'truncated');
  assert.equal(new EthernetFrame(ARP_FRAME, 30, 14).checkLen(), 'truncated');
  assert.equal(new EthernetFrame(ARP_FRAME, -1, 14).checkLen(), 'truncated');
  assert.equal(parseEthernet(new EthernetFrame(new Uint8Array(3))), 'truncated');
});

test('ethernet: an unknown EtherType stays a number', () => {
  const b = ARP_FRAME.slice(0, 14);
  b[12] = 0x88;
  b[13] = 0xb5;
  const r = parseEthernet(new EthernetFrame(b));
  assert.ok(typeof r !== 'string');
  assert.equal(r.etherType, 0x88b5);
});
