/**
 * The `isakmp` banner (src/banners/udp-isakmp.ts) on real replies of strongSwan 5.9.8's charon
 * (Debian strongswan-charon) to tidescan's IKEv1 main-mode proposal (udp-payloads.ts,
 * initiator cookie 00001234 "tide"), captured in a test namespace: with no connection
 * configured (an Informational exchange carrying NO-PROPOSAL-CHOSEN) and with an IKEv1 PSK
 * connection loaded by swanctl (the chosen transform and two vendor IDs); an IKEv2 header
 * built by hand from RFC 7296 §3.1/§3.10; truncations; random and mutated bytes through the
 * out-of-bounds guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIsakmp } from '../../src/banners/udp-isakmp.js';
import { udpBanner } from '../../src/banners/udp.js';
import { fuzzUdpParsers } from './fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** charon, no connection: Informational (5), Notification payload NO-PROPOSAL-CHOSEN (14). */
const NOTIFY = hex('000012347469646563856a3cf1d221fe0b1005000867578b000000280000000c000000010100000e');
/** charon with an IKEv1 PSK connection: main mode, SA with the chosen transform, VIDs XAUTH and DPD. */
const SA = hex(
  '00001234746964653cc37b55ff5d683c0110020000000000000000740d00003800000001000000010000002c01010001000000240101000080' +
  '010007800e0100800200048004000e80030001800b0001800c70800d00000c09002689dfd6b71200000014afcad71368a1f1c96b8696fc77570100');

test('isakmp: strongSwan without a matching connection answers NO-PROPOSAL-CHOSEN', () => {
  const want = 'IKEv1 informational rcookie=63856a3cf1d221fe notify=NO-PROPOSAL-CHOSEN(14)';
  assert.equal(parseIsakmp(NOTIFY, 0, NOTIFY.length), want);
  assert.deepEqual(udpBanner(500, NOTIFY, 0, NOTIFY.length), { app: 'isakmp', text: want });
  for (let n = 0; n < 28; n++) assert.equal(parseIsakmp(NOTIFY, 0, n), null, `length ${n}`);
  // Cut inside the notification: the header only.
  assert.equal(parseIsakmp(NOTIFY, 0, 36), 'IKEv1 informational rcookie=63856a3cf1d221fe');
});

test('isakmp: strongSwan with an IKEv1 PSK connection answers main mode with its chosen transform', () => {
  // RFC 2409 App. A: enc 7 (AES-CBC, RFC 3602) key length 256, hash 4 (SHA2-256), group 14,
  // auth 1 (pre-shared key), life type 1 (seconds) duration 28800 (0x7080).
  assert.equal(parseIsakmp(SA, 0, SA.length),
    'IKEv1 main-mode rcookie=3cc37b55ff5d683c SA enc=AES-CBC-256 hash=SHA2-256 group=14 auth=PSK life=28800s ' +
    'vid=09002689dfd6b712 vid=afcad71368a1f1c96b8696fc77570100(DPD)');
  // Every cut is read without throwing; the header alone is enough for the first part.
  for (let n = 28; n <= SA.length; n++) assert.match(parseIsakmp(SA, 0, n) ?? '', /^IKEv1 main-mode rcookie=3cc37b55ff5d683c/, `length ${n}`);
});

test('isakmp: RFC 7296 IKEv2 header and Notify (no DOI), RFC 3947 NAT-T vendor ID, TLV attributes', () => {
  // IKEv2 IKE_SA_INIT (34) response carrying INVALID_KE_PAYLOAD (17) then a vendor ID.
  const n2 = [43, 0, 0, 8, 0, 0, 0, 17];
  const vid = [0, 0, 0, 20, ...hex('4a131c81070358455c5728f20e95452f')];
  const h2 = [...hex('00001234746964650102030405060708'), 41, 0x20, 34, 0x20, 0, 0, 0, 0, 0, 0, 0, 28 + n2.length + vid.length];
  const v2 = Uint8Array.from([...h2, ...n2, ...vid]);
  assert.equal(parseIsakmp(v2, 0, v2.length), 'IKEv2 IKE_SA_INIT rcookie=0102030405060708 notify=INVALID_KE_PAYLOAD(17) vid=4a131c81070358455c5728f20e95452f(NAT-T)');
  // A life duration as a TLV attribute (RFC 2408 §3.3, AF = 0: type 12, length 4, 86400).
  // Transform: enc 5 (3DES-CBC), hash 2 (SHA), life type 1 (seconds) as TV, duration as TLV.
  const attrs = [0x80, 0x01, 0x00, 0x05, 0x80, 0x02, 0x00, 0x02, 0x80, 0x0b, 0x00, 0x01, 0x00, 0x0c, 0x00, 0x04, 0x00, 0x01, 0x51, 0x80];
  const transform = [0, 0, 0, 8 + attrs.length, 1, 1, 0, 0, ...attrs];
  const proposal = [0, 0, 0, 8 + transform.length, 1, 1, 0, 1, ...transform];
  const saPayload = [0, 0, 0, 4 + 8 + proposal.length, 0, 0, 0, 1, 0, 0, 0, 1, ...proposal];
  const h1 = [...hex('0000123474696465aaaaaaaaaaaaaaaa'), 1, 0x10, 2, 0, 0, 0, 0, 0, 0, 0, 0, 28 + saPayload.length];
  const v1 = Uint8Array.from([...h1, ...saPayload]);
  assert.equal(parseIsakmp(v1, 0, v1.length), 'IKEv1 main-mode rcookie=aaaaaaaaaaaaaaaa SA enc=3DES-CBC hash=SHA life=86400s');
});

test('isakmp: not ISAKMP: null', () => {
  const v3 = NOTIFY.slice(); v3[17] = 0x30; // version 3.0
  assert.equal(parseIsakmp(v3, 0, v3.length), null);
  const short = NOTIFY.slice(); short[27] = 20; // length below the header
  assert.equal(parseIsakmp(short, 0, short.length), null);
});

test('fuzz: random and mutated ISAKMP replies never throw nor read outside [off, off + len)', () => {
  fuzzUdpParsers({
    parsers: [parseIsakmp], reals: [NOTIFY, SA], cut: 200, random: 300, prefix: { bytes: SA.subarray(0, 28), max: 200 },
    also: (g, off, len) => { udpBanner(500, g, off, len); }, seed: 0x500,
  });
});
