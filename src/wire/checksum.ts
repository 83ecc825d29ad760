/**
 * The Internet checksum (RFC 1071), its IPv4/IPv6 pseudo-headers, the incremental update of
 * RFC 1624, and CRC32c for SCTP (RFC 9260 appendix A).
 *
 * All functions are allocation-free and monomorphic; the template patcher and the receive path
 * call them per packet. Sums are plain numbers: `sumWords` returns a *running* (unfolded) sum
 * that the next call can take as `initial`, always kept in 0 .. 2^31-1 so V8 keeps it a small
 * integer, and `foldChecksum` turns a running sum into the 16-bit value stored in a header.
 *
 *   checksum = foldChecksum(sumWords(hdr, ..., pseudoHeaderSum4(src, dst, 6, len)))
 *
 * A received header verifies when `internetChecksum` over it (checksum field included) is 0.
 */

/** Fold a running sum (0 .. 2^32-1) to 1..0xffff or 0, keeping its value mod 0xffff. */
function fold16(sum: number): number {
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum & 0xffff) + (sum >>> 16);
}

/**
 * RFC 1071 running sum of the 16-bit big-endian words of `buf[off .. off+len)`, added to
 * `initial`. An odd trailing byte is padded with a zero byte on the right, as the RFC says.
 *
 * Guarantees: the result is in 0 .. 2^31-1 whatever `len` is (the sum is folded whenever it
 * passes 2^30), and it is congruent mod 0xffff to `initial` + the words, so running sums can be
 * chained over discontiguous pieces, provided every piece but the last has an even length.
 * `initial` must be a running sum (0 .. 2^32-1). No bounds check: the caller proves the range.
 */
export function sumWords(buf: Uint8Array, off: number, len: number, initial: number): number {
  let sum = initial >>> 0;
  if (sum >= 0x40000000) sum = fold16(sum);
  const end = off + len;
  const last = end - 1;
  let i = off;
  // Eight words per round, then fold: 8 * 0xffff + 2^30 stays below 2^31.
  for (; i + 15 < end; i += 16) {
    sum +=
      ((buf[i] << 8) | buf[i + 1]) +
      ((buf[i + 2] << 8) | buf[i + 3]) +
      ((buf[i + 4] << 8) | buf[i + 5]) +
      ((buf[i + 6] << 8) | buf[i + 7]) +
      ((buf[i + 8] << 8) | buf[i + 9]) +
      ((buf[i + 10] << 8) | buf[i + 11]) +
      ((buf[i + 12] << 8) | buf[i + 13]) +
      ((buf[i + 14] << 8) | buf[i + 15]);
    if (sum >= 0x40000000) sum = (sum & 0xffff) + (sum >>> 16);
  }
  for (; i < last; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i === last) sum += buf[i] << 8;
  return sum;
}

/**
 * Fold a running sum (0 .. 2^32-1) to 16 bits with end-around carry and return its one's
 * complement: the value to store in a checksum field. A sum of all-zero data gives 0xffff;
 * any other data gives 0x0000 .. 0xfffe (one's complement "+0" never appears as a sum of
 * non-zero data).
 */
export function foldChecksum(sum: number): number {
  return ~fold16(sum >>> 0) & 0xffff;
}

/** The RFC 1071 checksum of `buf[off .. off+len)`: 0 when it verifies a received header. */
export function internetChecksum(buf: Uint8Array, off: number, len: number): number {
  return foldChecksum(sumWords(buf, off, len, 0));
}

/**
 * Running sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768): source and destination
 * addresses (u32), zero, protocol, and the transport length (header + data, 0 .. 0xffff).
 */
export function pseudoHeaderSum4(src: number, dst: number, proto: number, length: number): number {
  return (src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (proto & 0xff) + (length & 0xffff);
}

/**
 * Running sum of the IPv6 pseudo-header (RFC 8200 §8.1): the 16-byte source and destination
 * addresses at `buf[srcOff]` and `buf[dstOff]`, the upper-layer packet length as 32 bits, three
 * zero bytes and the next-header value of the upper-layer protocol (not of an extension header).
 */
export function pseudoHeaderSum6(buf: Uint8Array, srcOff: number, dstOff: number, proto: number, length: number): number {
  let sum = sumWords(buf, srcOff, 16, 0);
  sum = sumWords(buf, dstOff, 16, sum);
  return sum + (length >>> 16) + (length & 0xffff) + (proto & 0xff);
}

/**
 * RFC 1624 eqn. 3: the new checksum after one 16-bit word of the covered data changes from
 * `oldWord` to `newWord`:  HC' = ~(~HC + ~m + m').
 *
 * Guarantee: equal to a full recomputation (`foldChecksum`) whenever the covered data after
 * the change is not all zero. Like a full recomputation, the result is never 0xffff then; a
 * sum that folds to 0xffff gives 0x0000 (RFC 1624 §3 explains why eqn. 2 gets this wrong).
 * NOTE: if the new data is all zero, a full recomputation gives 0xffff and this gives 0x0000;
 * no IP, TCP, UDP or ICMP header can be all zero (version, pseudo-header protocol, type), so
 * this never arises for them.
 * NOTE: for UDP the transmitted value of a computed 0x0000 is 0xffff (RFC 768); see
 * `udpChecksumOnWire`.
 */
export function updateChecksum16(oldChecksum: number, oldWord: number, newWord: number): number {
  const sum = (~oldChecksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff);
  return ~fold16(sum) & 0xffff;
}

/** `updateChecksum16` for a 32-bit field (an IPv4 address, a sequence number): two words. */
export function updateChecksum32(oldChecksum: number, oldU32: number, newU32: number): number {
  const sum =
    (~oldChecksum & 0xffff) +
    (~(oldU32 >>> 16) & 0xffff) +
    (~oldU32 & 0xffff) +
    (newU32 >>> 16) +
    (newU32 & 0xffff);
  return ~fold16(sum) & 0xffff;
}

/**
 * RFC 768: "If the computed checksum is zero, it is transmitted as all ones". A UDP checksum
 * field of 0 means "no checksum" (IPv4 only; RFC 8200 §8.1 makes it mandatory for IPv6).
 */
export function udpChecksumOnWire(checksum: number): number {
  return checksum === 0 ? 0xffff : checksum;
}

/** An IPv4 or IPv6 source/destination pair, for the pseudo-header of the non-hot-path reprs. */
export type IpPair =
  | { readonly version: 4; readonly src: number; readonly dst: number }
  | { readonly version: 6; readonly src: Uint8Array; readonly dst: Uint8Array };

/** Running sum of the pseudo-header of `ip` (allocation-free, but takes an object). */
export function pseudoHeaderSum(ip: IpPair, proto: number, length: number): number {
  if (ip.version === 4) return pseudoHeaderSum4(ip.src, ip.dst, proto, length);
  let sum = sumWords(ip.src, 0, 16, 0);
  sum = sumWords(ip.dst, 0, 16, sum);
  return sum + (length >>> 16) + (length & 0xffff) + (proto & 0xff);
}

// --- CRC32c (Castagnoli), SCTP's checksum ---

/** Reflected polynomial 0x1EDC6F41, as RFC 9260 appendix A specifies. */
const CRC32C_POLY = 0x82f63b78;

const CRC32C_TABLE: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CRC32C_POLY : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/**
 * CRC32c of `buf[off .. off+len)` (initial all ones, final complement, reflected): the
 * standard value, e.g. 0xe3069283 for the ASCII "123456789".
 *
 * NOTE: SCTP stores this value least-significant byte first (RFC 9260 appendix A; Linux
 * writes `cpu_to_le32`), i.e. NOT in network order: use `setCrc32cLe`/`getCrc32cLe` in
 * `sctp.ts`. The checksum field must be zero while the CRC is computed.
 */
export function crc32c(buf: Uint8Array, off: number, len: number): number {
  return ~crc32cUpdate(0xffffffff, buf, off, len) >>> 0;
}

/**
 * The raw CRC32c register after `buf[off .. off+len)`, starting from `state` (0xffffffff at the
 * beginning; complement the end result). For checksumming a packet in pieces, e.g. around a
 * checksum field that must count as zero, without writing to the packet.
 */
export function crc32cUpdate(state: number, buf: Uint8Array, off: number, len: number): number {
  return crc32cUpdateI32(state, buf, off, len) >>> 0;
}

/**
 * `crc32cUpdate` with the register as a signed int32 (in and out), for the hot path: an int32
 * never needs a heap box when it crosses a call (see `getI32` in bytes.ts).
 */
export function crc32cUpdateI32(state: number, buf: Uint8Array, off: number, len: number): number {
  let c = state | 0;
  const end = off + len;
  for (let i = off; i < end; i++) c = CRC32C_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return c | 0;
}
