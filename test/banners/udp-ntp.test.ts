/**
 * The `ntp` banner (src/banners/udp-ntp.ts) on real replies to tidescan's NTP probes
 * (udp-payloads.ts NTP_PROBES, cookie 0x1234), captured in a test namespace from ntpsec 1.2.2
 * (`ntpd -n`, no time source: it answers unsynchronised) and chrony 4.3 (`chronyd -d -x`, with
 * `local stratum 10` and without a time source; it has no mode 6), and on vectors built by hand from
 * RFC 5905 §7.3/§7.4 (server replies, kiss-o'-death), RFC 9327 §2 (a control error response)
 * and ntpd's ntp_request.h (mode-7 monlist replies, which ntpsec and chrony never send);
 * truncations at every length, and random and mutated bytes through the out-of-bounds guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseNtp } from '../../src/banners/udp-ntp.js';
import { udpBanner } from '../../src/banners/udp.js';
import { fuzzUdpParsers } from './fuzz.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/** ntpsec's mode-4 answer to the mode-3 client request; its origin timestamp repeats our transmit timestamp (00001234 "tide"). */
const SERVER = hex('e40000e80000000000000039494e495400000000000000000000123474696465eebc7018aca650cceebc7018acb84178');
/** ntpsec's mode-6 answer to READVAR (sequence 0x1234 repeated), one fragment. */
const READVAR = hex(
  'd6821234c01600000000015a6c6561703d332c207374726174756d3d31362c20707265636973696f6e3d2d32342c20726f6f7464656c61793d302e3030' +
  '302c20726f6f74646973703d302e3931352c0d0a72656669643d494e49542c2072656674696d653d307830303030303030302e30303030303030302c20' +
  '74633d302c20706565723d302c206f66667365743d302e3030303030302c0d0a6672657175656e63793d302e3030303030302c207379735f6a697474' +
  '65723d302e3030303030302c20636c6b5f6a69747465723d302e3030303036302c0d0a636c6f636b3d307865656263373031622e3032633437613536' +
  '2c2070726f636573736f723d227838365f3634222c0d0a73797374656d3d224c696e75782f362e31382e34342d66632d7631323532222c2076657273' +
  '696f6e3d226e747064206e74707365632d312e322e32222c0d0a636c6b5f77616e6465723d302e3030303030302c206d696e74633d300d0a0000');

/** chrony 4.3's mode-4 answers: `local stratum 10` (reference ID 127.127.1.1), and unsynchronised (stratum 0, reference ID 0). */
const CHRONY_LOCAL = hex('240a00e600000000000000007f7f0101eebc77631e3e9ff40000123474696465eebc77646b554367eebc77646b802ccc');
const CHRONY_UNSYNC = hex('e40000e600010000000100000000000000000000000000000000123474696465eebc776f3845ab6feebc776f38733744');

/** A server reply built from RFC 5905 §7.3: LI 0, VN 4, mode 4, `stratum`, poll 6, precision -20, reference ID `ref`, transmit 2024-01-01T00:00:00Z. */
function server(stratum: number, ref: readonly number[]): Uint8Array {
  const b = new Uint8Array(48);
  b.set([0x24, stratum, 6, 0xec]);
  b.set([0, 0, 0x80, 0], 4); // root delay 0.5 s (NTP short format)
  b.set([0, 1, 0, 0], 8); // root dispersion 1 s
  b.set(ref, 12);
  // 2024-01-01T00:00:00Z = Unix 1704067200 = NTP 3913056000 (0xe93c7f00).
  b.set([0xe9, 0x3c, 0x7f, 0x00], 40);
  return b;
}

test('ntp: ntpsec answers the client request (mode 4), unsynchronised: kiss code INIT', () => {
  // Transmit timestamp seconds 0xeebc7018 = 4005326872 - 2208988800 = Unix 1796338072.
  const want = 'NTPv4 server leap=3 stratum=0 kiss=INIT precision=-24 poll=0 rootdelay=0.000000 rootdisp=0.000870 time=2026-12-03T22:47:52Z';
  assert.equal(parseNtp(SERVER, 0, SERVER.length), want);
  assert.deepEqual(udpBanner(123, SERVER, 0, SERVER.length), { app: 'ntp', text: want });
  for (let n = 0; n < 48; n++) assert.equal(parseNtp(SERVER, 0, n), null, `length ${n}`);
  // Our own request (mode 3) is not an answer.
  const req = SERVER.slice(); req[0] = 0x23;
  assert.equal(parseNtp(req, 0, req.length), null);
});

test('ntp: chrony answers the client request too, synchronised to its local clock or not', () => {
  assert.equal(parseNtp(CHRONY_LOCAL, 0, CHRONY_LOCAL.length),
    'NTPv4 server leap=0 stratum=10 refid=127.127.1.1 precision=-26 poll=0 rootdelay=0.000000 rootdisp=0.000000 time=2026-12-03T23:19:00Z');
  assert.equal(parseNtp(CHRONY_UNSYNC, 0, CHRONY_UNSYNC.length),
    'NTPv4 server leap=3 stratum=0 refid=0.0.0.0 precision=-26 poll=0 rootdelay=1.000000 rootdisp=1.000000 time=2026-12-03T23:19:11Z');
});

test('ntp: RFC 5905 reference IDs: an IPv4 address above stratum 1, ASCII at 1, kiss codes at 0', () => {
  assert.equal(parseNtp(server(2, [192, 0, 2, 1]), 0, 48),
    'NTPv4 server leap=0 stratum=2 refid=192.0.2.1 precision=-20 poll=6 rootdelay=0.500000 rootdisp=1.000000 time=2024-01-01T00:00:00Z');
  // §7.3: stratum 1 "four-octet, left-justified, zero-padded ASCII string"; "GPS" is one of Figure 12's.
  assert.match(parseNtp(server(1, [0x47, 0x50, 0x53, 0]), 0, 48) ?? '', / stratum=1 refid=GPS precision/);
  // §7.4 Figure 13: RATE "The server has temporarily denied access because the client exceeded the rate threshold."
  assert.match(parseNtp(server(0, [0x52, 0x41, 0x54, 0x45]), 0, 48) ?? '', / stratum=0 kiss=RATE /);
  // A reference ID that is not printable at stratum 1 reads as an address.
  assert.match(parseNtp(server(1, [1, 2, 3, 4]), 0, 48) ?? '', / refid=1\.2\.3\.4 /);
});

test('ntp: ntpsec answers READVAR (mode 6) with its system variables', () => {
  const s = parseNtp(READVAR, 0, READVAR.length);
  assert.ok(s !== null);
  assert.match(s, /^readvar leap=3, stratum=16, precision=-24, /);
  assert.match(s, / processor="x86_64", system="Linux\/[^"]+", version="ntpd ntpsec-1\.2\.2", /);
  assert.ok(!/[\r\n\0]/.test(s), 'line breaks become spaces, padding is dropped');
  // The data count (0x015a = 346) must fit: any shorter datagram is null.
  for (let n = 0; n < 12 + 0x15a; n++) assert.equal(parseNtp(READVAR, 0, n), null, `length ${n}`);
  // Our command (R bit clear) is not an answer.
  const cmd = READVAR.slice(); cmd[1] = 0x02;
  assert.equal(parseNtp(cmd, 0, cmd.length), null);
});

test('ntp: RFC 9327 §2 error response: E bit, error code in the status word high octet', () => {
  // R|E|M|opcode = 0xc2 (response, error, READVAR); status 0x0700: §2.1 error code 7, "administratively prohibited".
  const e = hex('16c212340700000000000000');
  assert.equal(parseNtp(e, 0, e.length), 'Response was NTP Error Code 7');
});

test("ntp: mode-7 monlist reply (ntpd's ntp_request.h info_monitor_1 layout), and its error", () => {
  // Header: R|VN 2|mode 7 = 0x97, seq 0, implementation 3, request 42; err 0 | 2 items; itemsize 72.
  const items = new Uint8Array(2 * 72);
  items.set([198, 51, 100, 7], 16); // addr of item 0
  items.set([203, 0, 113, 9], 72 + 16); // addr of item 1
  const mon = Uint8Array.from([0x97, 0x00, 0x03, 0x2a, 0x00, 0x02, 0x00, 0x48, ...items]);
  assert.equal(parseNtp(mon, 0, mon.length), 'monlist items=2 itemsize=72 addr=198.51.100.7 addr=203.0.113.9');
  // Cut inside the second item's address: that address is left out.
  assert.equal(parseNtp(mon, 0, 8 + 72 + 18), 'monlist items=2 itemsize=72 addr=198.51.100.7');
  // Err 4 (INFO_ERR_NODATA) in the high nibble.
  const err = hex('9700032a40000000');
  assert.equal(parseNtp(err, 0, err.length), 'Response was NTP Error Code 4');
  // masscan's request itself (R clear) is not an answer; a short header is null.
  assert.equal(parseNtp(hex('1700032a00000000'), 0, 8), null);
  assert.equal(parseNtp(mon, 0, 7), null);
});

test('fuzz: random and mutated NTP replies never throw nor read outside [off, off + len)', () => {
  fuzzUdpParsers({
    parsers: [parseNtp], reals: [SERVER, READVAR, CHRONY_UNSYNC], cut: 600, random: 600,
    also: (g, off, len) => { udpBanner(123, g, off, len); }, seed: 0x123,
  });
});
