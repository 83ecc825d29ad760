import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  Responder, buildArpRequest, buildNeighborSolicit, arpReplyFrom, ndpAdvertFrom, solicitedNodeAddress,
} from '../../src/link/responder.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import { Icmpv6Packet } from '../../src/wire/icmpv6.js';
import { pseudoHeaderSum6 } from '../../src/wire/checksum.js';
import { formatFrame } from '../../src/wire/pretty.js';

const OUR_MAC = new Uint8Array([0x02, 0x50, 0, 0, 0, 1]);
const ROUTER_MAC = new Uint8Array([0x02, 0x50, 0, 0, 0, 2]);
const SPOOF = 0x0afa0003; // 10.250.0.3
const ROUTER = 0x0afa0002;
const ME6 = new Uint32Array([0xfd000250, 0, 0, 3]);
const ME6B = Uint8Array.from([0xfd, 0, 0x02, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3]);
const ROUTER6B = Uint8Array.from([0xfd, 0, 0x02, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);

function decode(f: Uint8Array, n = f.length): Decoded {
  const d = new Decoded();
  assert.equal(decodeFrame(f, 0, n, d), 'ok', formatFrame(f, 0, n));
  return d;
}

const responder = new Responder({ mac: OUR_MAC, ip4: { begin: SPOOF, end: SPOOF }, ip6: ME6, answer4: true, answer6: true, vlan: undefined });

test('an ARP request for our spoofed address gets a reply from our MAC', () => {
  const req = new Uint8Array(64);
  const n = buildArpRequest(req, ROUTER_MAC, ROUTER, SPOOF, undefined);
  assert.equal(n, 42);
  const d = decode(req, n);
  const out = new Uint8Array(128);
  const m = responder.answer(req, d, out);
  assert.equal(m, 42);
  const r = decode(out, m);
  assert.equal(r.arpOp, 2);
  assert.equal(r.arpSenderIp, SPOOF);
  assert.deepEqual([...out.subarray(r.arpSenderMacOff, r.arpSenderMacOff + 6)], [...OUR_MAC]);
  assert.equal(r.arpTargetIp, ROUTER);
  assert.deepEqual([...out.subarray(0, 6)], [...ROUTER_MAC], 'unicast to the asker');
  assert.equal(arpReplyFrom(r, SPOOF), r.arpSenderMacOff);
  assert.equal(arpReplyFrom(r, ROUTER), -1);
});

test('on a VLAN the ARP request and its reply carry the 802.1Q tag', () => {
  const req = new Uint8Array(64);
  const n = buildArpRequest(req, ROUTER_MAC, ROUTER, SPOOF, 5);
  assert.equal(n, 46);
  assert.deepEqual([...req.subarray(12, 18)], [0x81, 0x00, 0x00, 0x05, 0x08, 0x06]);
  const d = decode(req, n);
  assert.equal(d.vlan, 5);
  const tagged = new Responder({ mac: OUR_MAC, ip4: { begin: SPOOF, end: SPOOF }, ip6: ME6, answer4: true, answer6: true, vlan: 0x1005 });
  const out = new Uint8Array(128);
  const m = tagged.answer(req, d, out);
  assert.equal(m, 46);
  assert.deepEqual([...out.subarray(12, 18)], [0x81, 0x00, 0x00, 0x05, 0x08, 0x06], 'VLAN id masked to 12 bits');
  const r = decode(out, m);
  assert.equal(r.vlan, 5);
  assert.equal(r.arpOp, 2);
  assert.equal(r.arpSenderIp, SPOOF);
});

test('ARP for other addresses, or with answering off, is not answered', () => {
  const req = new Uint8Array(64);
  const n = buildArpRequest(req, ROUTER_MAC, ROUTER, SPOOF + 1, undefined);
  assert.equal(responder.answer(req, decode(req, n), new Uint8Array(128)), 0);
  const off = new Responder({ mac: OUR_MAC, ip4: { begin: SPOOF, end: SPOOF }, ip6: undefined, answer4: false, answer6: false, vlan: undefined });
  const n2 = buildArpRequest(req, ROUTER_MAC, ROUTER, SPOOF, undefined);
  assert.equal(off.answer(req, decode(req, n2), new Uint8Array(128)), 0);
});

test('a neighbour solicitation for our IPv6 address gets a valid advertisement (RFC 4861)', () => {
  const ns = new Uint8Array(128);
  const n = buildNeighborSolicit(ns, ROUTER_MAC, ROUTER6B, ME6B, undefined);
  const d = decode(ns, n);
  assert.equal(d.icmpType, 135);
  assert.equal(d.ttl, 255);
  // Sent to the solicited-node group of the target.
  assert.deepEqual([...ns.subarray(d.dst6Off, d.dst6Off + 16)],
    [0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 3]);
  const out = new Uint8Array(128);
  const m = responder.answer(ns, d, out);
  assert.equal(m, 14 + 40 + 24 + 8, 'Ethernet, IPv6, advertisement, target link-layer address option');
  const a = decode(out, m);
  assert.equal(a.icmpType, 136);
  assert.equal(a.ttl, 255);
  assert.equal(out[a.transportOff + 4] & 0x60, 0x60, 'solicited + override');
  assert.deepEqual([...out.subarray(a.dst6Off, a.dst6Off + 16)], [...ROUTER6B]);
  assert.equal(ndpAdvertFrom(out, a, ME6B), a.ndpLinkAddrOff);
  assert.deepEqual([...out.subarray(a.ndpLinkAddrOff, a.ndpLinkAddrOff + 6)], [...OUR_MAC]);
  // The checksum verifies.
  const icmp = new Icmpv6Packet(out, a.transportOff, m - a.transportOff);
  assert.ok(icmp.verifyChecksum(pseudoHeaderSum6(out, a.src6Off, a.dst6Off, 58, m - a.transportOff)));
  // Hop limit other than 255: ignored.
  ns[14 + 7] = 64;
  assert.equal(responder.answer(ns, decode(ns, n), out), 0);
});

test('solicitedNodeAddress', () => {
  assert.equal(solicitedNodeAddress(0xfd000250000000000000000000abcdefn), 0xff0200000000000000000001ffabcdefn);
});

test('fuzz: the responder never throws and answers only well-formed requests for us', () => {
  const d = new Decoded();
  const out = new Uint8Array(256);
  fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 120 }), (f) => {
    if (decodeFrame(f, 0, f.length, d) !== 'ok') return true;
    const n = responder.answer(f, d, out);
    if (n === 0) return true;
    return decodeFrame(out, 0, n, new Decoded()) === 'ok';
  }), { numRuns: 3000 });
});
