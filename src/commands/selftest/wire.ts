/**
 * --selftest units of src/wire: checksums.
 */
import { foldChecksum, internetChecksum, pseudoHeaderSum4, sumWords, updateChecksum16, crc32c, crc32cUpdate } from '../../wire/checksum.js';
import { fromHex } from '../../wire/bytes.js';
import { IpProtocol } from '../../wire/ip.js';
import { check, eq, type SelftestUnit } from './harness.js';
import { THEM, ME, MASSCAN_SYN } from './fixtures.js';

export const checksumUnit: SelftestUnit = {
  name: 'checksum',
  what: 'internet checksum (RFC 1071 example, IPv4 header, masscan SYN), incremental update, CRC32c',
  run() {
    // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2 (one's complement), checksum 220d.
    const rfc = fromHex('0001 f203 f4f5 f6f7');
    eq(foldChecksum(sumWords(rfc, 0, 8, 0)), 0x220d, 'RFC 1071 example checksum');
    eq(internetChecksum(rfc, 0, 8), 0x220d, 'internetChecksum of the RFC 1071 example');
    // Odd length: a trailing byte is padded with zero.
    eq(internetChecksum(fromHex('0001 f203 f4'), 0, 5), foldChecksum(0x0001 + 0xf203 + 0xf400), 'odd-length checksum');
    // A classic IPv4 header (checksum b861); verifying over it gives 0.
    const ip = fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    eq(internetChecksum(ip, 0, 20), 0xb861, 'IPv4 header checksum');
    ip[10] = 0xb8; ip[11] = 0x61;
    eq(internetChecksum(ip, 0, 20), 0, 'IPv4 header with its checksum');
    // Incremental update (RFC 1624) equals a recompute: change the TTL/protocol word.
    const upd = updateChecksum16(0xb861, 0x4011, 0x3f11);
    ip[8] = 0x3f; ip[10] = 0; ip[11] = 0;
    eq(upd, internetChecksum(ip, 0, 20), 'incremental checksum update after a TTL change');
    // masscan's SYN (§6.2): IP checksum 123c, TCP checksum (with pseudo-header) 4466.
    const syn = MASSCAN_SYN.slice();
    syn[24] = 0; syn[25] = 0;
    eq(internetChecksum(syn, 14, 20), 0x123c, 'masscan SYN IPv4 checksum');
    syn[50] = 0; syn[51] = 0;
    eq(foldChecksum(sumWords(syn, 34, 24, pseudoHeaderSum4(ME, THEM, IpProtocol.TCP, 24))), 0x4466, 'masscan SYN TCP checksum');
    // CRC32c (SCTP): the standard check value, and in pieces.
    const ascii = Uint8Array.from('123456789', (c) => c.charCodeAt(0));
    eq(crc32c(ascii, 0, 9), 0xe3069283, 'CRC32c("123456789")');
    const part = crc32cUpdate(crc32cUpdate(0xffffffff, ascii, 0, 4), ascii, 4, 5);
    eq(~part >>> 0, 0xe3069283, 'CRC32c in two pieces');
    eq(crc32c(new Uint8Array(32), 0, 32), 0x8a9136aa, 'CRC32c of 32 zero bytes (RFC 3720 B.4)');
  },
};

