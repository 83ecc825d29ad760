import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArpOperation, ArpPacket, arpBufferLen, emitArp, parseArp, type ArpRepr } from '../../src/wire/arp.js';
import { ipv4FromText, macFromText } from '../../src/wire/bytes.js';
import { assertBytes, filled, vec } from './helpers.js';

// ARP, Request who-has 10.250.9.2 tell 10.250.9.1, length 28
const REQUEST = vec('veth-ethernet.txt', 0).bytes.subarray(14);
// ARP, Reply 10.250.9.2 is-at 02:50:00:00:09:02, length 28
const REPLY = vec('veth-ethernet.txt', 1).bytes.subarray(14);

const REQUEST_REPR: ArpRepr = {
  operation: ArpOperation.REQUEST,
  senderMac: macFromText('02:50:00:00:09:01'),
  senderIp: ipv4FromText('10.250.9.1'),
  targetMac: new Uint8Array(6),
  targetIp: ipv4FromText('10.250.9.2'),
};

test('arp: deconstruct a real request', () => {
  const p = new ArpPacket(REQUEST);
  assert.equal(p.checkLen(), null);
  assert.equal(p.hardwareType(), 1);
  assert.equal(p.protocolType(), 0x0800);
  assert.equal(p.hardwareLen(), 6);
  assert.equal(p.protocolLen(), 4);
  assert.equal(p.isEthernetIpv4(), true);
  assert.equal(p.operation(), ArpOperation.REQUEST);
  assert.equal(p.senderIp(), ipv4FromText('10.250.9.1'));
  assert.equal(p.targetIp(), ipv4FromText('10.250.9.2'));
  assert.deepEqual(REQUEST.slice(p.senderMacOff() - p.off, p.senderMacOff() - p.off + 6), REQUEST_REPR.senderMac);
});

test('arp: construct a request into a 0xa5 buffer', () => {
  const b = filled(arpBufferLen(REQUEST_REPR));
  emitArp(REQUEST_REPR, new ArpPacket(b));
  assertBytes(b, REQUEST);
});

test('arp: parse then emit gives the same bytes (request and reply)', () => {
  for (const bytes of [REQUEST, REPLY]) {
    const r = parseArp(new ArpPacket(bytes));
    assert.ok(typeof r !== 'string');
    const b = filled(28);
    emitArp(r, new ArpPacket(b));
    assertBytes(b, bytes);
  }
  const reply = parseArp(new ArpPacket(REPLY));
  assert.ok(typeof reply !== 'string');
  assert.equal(reply.operation, ArpOperation.REPLY);
  assert.deepEqual(reply.senderMac, macFromText('02:50:00:00:09:02'));
});

test('arp: truncated and unsupported variants', () => {
  for (let n = 0; n < 28; n++) assert.equal(parseArp(new ArpPacket(REQUEST.subarray(0, n))), 'truncated');
  const other = REQUEST.slice();
  other[1] = 6; // IEEE 802 hardware type
  assert.equal(parseArp(new ArpPacket(other)), 'unsupported');
  const long = REQUEST.slice();
  long[4] = 200; // hlen 200: the view must not be trusted past the buffer
  assert.equal(new ArpPacket(long).checkLen(), 'truncated');
});
