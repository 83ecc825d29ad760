/**
 * The `coap` banner (src/banners/udp-coap.ts) on a real reply: libcoap 4.3.1's example server
 * (`coap-server-notls`, Debian libcoap3-bin) answering tidescan's `GET /.well-known/core`
 * (udp-payloads.ts, message ID 0x1234), captured in a test namespace; on messages built by
 * hand from RFC 7252 §3 (token, extended option deltas and lengths, an error code, a reset);
 * malformed ones; random and mutated bytes through the out-of-bounds guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCoap } from '../../src/banners/udp-coap.js';
import { udpBanner } from '../../src/banners/udp.js';
import { fuzzUdpParsers } from './fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const LIBCOAP = hex(
  '60451234c128ff3c2f3e3b7469746c653d2247656e6572616c20496e666f223b63743d302c3c2f74696d653e3b69663d22636c6f636b223b72' +
  '743d227469636b73223b7469746c653d22496e7465726e616c20436c6f636b223b63743d303b6f62732c3c2f6173796e633e3b63743d302c3c' +
  '2f6578616d706c655f646174613e3b7469746c653d224578616d706c652044617461223b63743d303b6f6273');

test('coap: libcoap answers GET /.well-known/core: ACK 2.05 Content, link-format (40), the resource list', () => {
  const want = 'CoAP ACK 2.05 Content format=40 </>;title="General Info";ct=0,</time>;if="clock";rt="ticks";title="Internal Clock";ct=0;obs,</async>;ct=0,</example_data>;title="Example Data";ct=0;obs';
  assert.equal(parseCoap(LIBCOAP, 0, LIBCOAP.length), want);
  assert.deepEqual(udpBanner(5683, LIBCOAP, 0, LIBCOAP.length), { app: 'coap', text: want });
  // Cut inside the option: null; cut inside the payload: the payload so far (no length field).
  assert.equal(parseCoap(LIBCOAP, 0, 5), null);
  assert.equal(parseCoap(LIBCOAP, 0, 3), null);
  assert.equal(parseCoap(LIBCOAP, 0, 10), 'CoAP ACK 2.05 Content format=40 </>');
});

test('coap: RFC 7252 §3 by hand: token, 1- and 2-octet extended options, error codes, empty RST', () => {
  // CON (0), TKL 2, 4.04 (0x84), MID 0x0001, token 0xbeef; option 11 Uri-Path with a
  // 13-octet value (length nibble 13, extended octet 0); option 11 + 269 = 280 via delta
  // nibble 14 (two octets 0x0000) with 1-octet value; Content-Format (12) cannot follow a
  // larger number, so none; payload "gone".
  const b = Uint8Array.from([
    0x42, 0x84, 0x00, 0x01, 0xbe, 0xef,
    0xbd, 0x00, ...Buffer.from('abcdefghijklm'),
    0xe1, 0x00, 0x00, 0x07,
    0xff, ...Buffer.from('gone'),
  ]);
  assert.equal(parseCoap(b, 0, b.length), 'CoAP CON 4.04 Not Found gone');
  // Reset (RST, code 0.00, RFC 7252 §4.2): the empty message.
  assert.equal(parseCoap(hex('70001234'), 0, 4), 'CoAP RST 0.00');
  // An unregistered code keeps its number only; a 2-octet Content-Format (e.g. 11542) is read.
  assert.equal(parseCoap(hex('6047123ac2' + '2d16'), 0, 7), 'CoAP ACK 2.07 format=11542');
});

test('coap: not an answer or malformed: null', () => {
  // Our GET (0.01) is a request.
  assert.equal(parseCoap(hex('40011234bb2e77656c6c2d6b6e6f776e04636f7265'), 0, 21), null);
  // Version 2.
  assert.equal(parseCoap(hex('a0451234'), 0, 4), null);
  // TKL 9 (reserved): "MUST be processed as a message format error".
  assert.equal(parseCoap(hex('6945123401020304050607080900'), 0, 14), null);
  // Token longer than the datagram.
  assert.equal(parseCoap(hex('644512340102'), 0, 6), null);
  // Delta nibble 15 without being the 0xFF marker (0xf1): reserved.
  assert.equal(parseCoap(hex('60451234f100'), 0, 6), null);
  // An option value running past the end.
  assert.equal(parseCoap(hex('60451234c4280000'), 0, 8), null);
});

test('fuzz: random and mutated CoAP replies never throw nor read outside [off, off + len)', () => {
  fuzzUdpParsers({
    parsers: [parseCoap], reals: [LIBCOAP], random: 300, prefix: { bytes: Uint8Array.of(0x60, 0x45, 0x12, 0x34), max: 60 },
    also: (g, off, len) => { udpBanner(5683, g, off, len); }, seed: 0x5683,
  });
});
