/**
 * SipHash-2-4 (Aumasson & Bernstein, 2012) on pairs of int32, for the per-probe SYN cookie.
 *
 * Why int32 pairs: a 64-bit lane is kept as (lo, hi) signed 32-bit locals so V8 keeps every
 * value in a register as a small integer. BigInt is ~50x slower and allocates (DESIGN.md §3).
 * The carry out of the low-word add is computed branch-free from the operands' sign bits:
 *   carry = ((a & b) | ((a | b) & ~sum)) >>> 31
 * (a carry leaves bit 31 iff both top bits are set, or one is set and the sum's is clear).
 * A compare (`(sum >>> 0) < (a >>> 0)`) measured 226 ns per hash against 80 ns for this.
 *
 * Only fixed message shapes are offered, as the hot path needs them: 16 bytes (four LE u32
 * words: the IPv4 cookie and the source-port choice) and 40 bytes (ten LE u32 words: the
 * IPv6 cookie). Each stores the 64-bit result in `key.out` ([low, high] u32) and returns
 * nothing, so nothing is allocated per call (see SipKey.out).
 *
 * NOTE: a key object is not shareable between concurrent callers that read `high`; each
 * worker owns its key (construction is cheap).
 */

/** Words of the 64-bit constants "somepseudorandomlygeneratedbytes", split hi/lo. */
const C0_HI = 0x736f6d65 | 0, C0_LO = 0x70736575 | 0;
const C1_HI = 0x646f7261 | 0, C1_LO = 0x6e646f6d | 0;
const C2_HI = 0x6c796765 | 0, C2_LO = 0x6e657261 | 0;
const C3_HI = 0x74656462 | 0, C3_LO = 0x79746573 | 0;

const MASK64 = (1n << 64n) - 1n;

/**
 * A SipHash key, pre-expanded into the four initial state lanes (v0..v3 as lo/hi int32).
 * `high` receives the upper 32 bits of the last hash computed with this key.
 */
export class SipKey {
  readonly v0lo: number; readonly v0hi: number;
  readonly v1lo: number; readonly v1hi: number;
  readonly v2lo: number; readonly v2hi: number;
  readonly v3lo: number; readonly v3hi: number;
  /**
   * The most recent hash computed with this key: out[0] = low 32 bits, out[1] = high 32 bits.
   * NOTE: a typed array, not number fields or a return value: a u32 above 2^30 is not a small
   * integer in V8, so returning it from a call that is not inlined (the hash functions are
   * too big to inline) or storing it in an object field allocates a HeapNumber per hash.
   * Typed-array stores never allocate; small wrappers (cookie4) read out[0] once inlined.
   */
  readonly out: Uint32Array = new Uint32Array(2);
  /**
   * The message words for sip16/sip40 (m[0..3] or m[0..9]). Same reason: passing a u32
   * above 2^30 as an argument to a call that is not inlined boxes it.
   */
  readonly msg: Int32Array = new Int32Array(10);

  /** Upper 32 bits (unsigned) of the most recent hash computed with this key. */
  get high(): number {
    return this.out[1];
  }

  /** k0, k1: the two 64-bit halves of the 128-bit key, each read little-endian. */
  constructor(k0: bigint, k1: bigint) {
    k0 = BigInt.asUintN(64, k0);
    k1 = BigInt.asUintN(64, k1);
    const k0lo = Number(k0 & 0xffffffffn) | 0, k0hi = Number((k0 >> 32n) & 0xffffffffn) | 0;
    const k1lo = Number(k1 & 0xffffffffn) | 0, k1hi = Number((k1 >> 32n) & 0xffffffffn) | 0;
    this.v0lo = k0lo ^ C0_LO; this.v0hi = k0hi ^ C0_HI;
    this.v1lo = k1lo ^ C1_LO; this.v1hi = k1hi ^ C1_HI;
    this.v2lo = k0lo ^ C2_LO; this.v2hi = k0hi ^ C2_HI;
    this.v3lo = k1lo ^ C3_LO; this.v3hi = k1hi ^ C3_HI;
  }

  /** The key as 16 bytes k0 (LE) || k1 (LE), for tests and for handing to other threads. */
  static bytesOf(k0: bigint, k1: bigint): Uint8Array {
    const out = new Uint8Array(16);
    let a = BigInt.asUintN(64, k0) & MASK64, b = BigInt.asUintN(64, k1) & MASK64;
    for (let i = 0; i < 8; i++) { out[i] = Number(a & 0xffn); a >>= 8n; }
    for (let i = 8; i < 16; i++) { out[i] = Number(b & 0xffn); b >>= 8n; }
    return out;
  }
}

// The rounds are written out in full (generated text, not hand-edited): one function keeps
// all eight words in registers, and the unrolled form measured 54 ns per 16-byte hash
// against 115 ns for the same code inside `for` loops over blocks and rounds.

/**
 * SipHash-2-4 of a 16-byte message given as four u32 words, each serialised little-endian
 * (bytes 0..3 = w0, ...). Result in key.out: [low 32 bits, high 32 bits].
 * A small wrapper, inlined by V8: it passes the words through key.msg (see SipKey.msg).
 */
export function sip16(key: SipKey, w0: number, w1: number, w2: number, w3: number): void {
  const m = key.msg;
  m[0] = w0; m[1] = w1; m[2] = w2; m[3] = w3;
  sip16Msg(key);
}

/** SipHash-2-4 of the 16-byte message in key.msg[0..3]. Result in key.out. */
export function sip16Msg(key: SipKey): void {
  const msg = key.msg;
  const w0 = msg[0], w1 = msg[1], w2 = msg[2], w3 = msg[3];
  let v0l = key.v0lo, v0h = key.v0hi, v1l = key.v1lo, v1h = key.v1hi;
  let v2l = key.v2lo, v2h = key.v2hi, v3l = key.v3lo, v3h = key.v3hi;
  let t = 0, u = 0, s = 0;
  // block 1: message bytes 0..7
  v3l ^= w0; v3h ^= w1;
  // round: v0 += v1; v1 = rotl(v1,13) ^ v0; v0 = rotl(v0,32); v2 += v3; v3 = rotl(v3,16) ^ v2;
  //        v0 += v3; v3 = rotl(v3,21) ^ v0; v2 += v1; v1 = rotl(v1,17) ^ v2; v2 = rotl(v2,32)
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= w0; v0h ^= w1;
  // block 2: bytes 8..15
  v3l ^= w2; v3h ^= w3;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= w2; v0h ^= w3;
  // last block: length 16 in the top byte, no tail bytes
  v3h ^= 0x10000000;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0h ^= 0x10000000;
  // finalisation: v2 ^= 0xff, four rounds, v0 ^ v1 ^ v2 ^ v3
  v2l ^= 0xff;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  const o = key.out;
  o[0] = v0l ^ v1l ^ v2l ^ v3l;
  o[1] = v0h ^ v1h ^ v2h ^ v3h;
}

/**
 * SipHash-2-4 of a 40-byte message given as ten u32 words w[off..off+9], each serialised
 * little-endian. Result in key.out: [low 32 bits, high 32 bits].
 */
export function sip40(key: SipKey, w: Uint32Array | Int32Array, off: number): void {
  const m = key.msg;
  for (let i = 0; i < 10; i++) m[i] = w[off + i];
  sip40Msg(key);
}

/** SipHash-2-4 of the 40-byte message in key.msg[0..9]. Result in key.out. */
export function sip40Msg(key: SipKey): void {
  const w = key.msg;
  const off = 0;
  let v0l = key.v0lo, v0h = key.v0hi, v1l = key.v1lo, v1h = key.v1hi;
  let v2l = key.v2lo, v2h = key.v2hi, v3l = key.v3lo, v3h = key.v3hi;
  let t = 0, u = 0, s = 0;
  let ml = 0, mh = 0;
  // block 1: message bytes 0..7
  ml = w[off + 0] | 0; mh = w[off + 1] | 0;
  v3l ^= ml; v3h ^= mh;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= ml; v0h ^= mh;
  // block 2: message bytes 8..15
  ml = w[off + 2] | 0; mh = w[off + 3] | 0;
  v3l ^= ml; v3h ^= mh;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= ml; v0h ^= mh;
  // block 3: message bytes 16..23
  ml = w[off + 4] | 0; mh = w[off + 5] | 0;
  v3l ^= ml; v3h ^= mh;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= ml; v0h ^= mh;
  // block 4: message bytes 24..31
  ml = w[off + 6] | 0; mh = w[off + 7] | 0;
  v3l ^= ml; v3h ^= mh;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= ml; v0h ^= mh;
  // block 5: message bytes 32..39
  ml = w[off + 8] | 0; mh = w[off + 9] | 0;
  v3l ^= ml; v3h ^= mh;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0l ^= ml; v0h ^= mh;
  // last block: length 40 in the top byte, no tail bytes
  v3h ^= 0x28000000;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  v0h ^= 0x28000000;
  // finalisation: v2 ^= 0xff, four rounds, v0 ^ v1 ^ v2 ^ v3
  v2l ^= 0xff;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  // round
  s = (v0l + v1l) | 0; v0h = (v0h + v1h + (((v0l & v1l) | ((v0l | v1l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v1l << 13) | (v1h >>> 19); u = (v1h << 13) | (v1l >>> 19); v1l = t ^ v0l; v1h = u ^ v0h;
  t = v0l; v0l = v0h; v0h = t;
  s = (v2l + v3l) | 0; v2h = (v2h + v3h + (((v2l & v3l) | ((v2l | v3l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v3l << 16) | (v3h >>> 16); u = (v3h << 16) | (v3l >>> 16); v3l = t ^ v2l; v3h = u ^ v2h;
  s = (v0l + v3l) | 0; v0h = (v0h + v3h + (((v0l & v3l) | ((v0l | v3l) & ~s)) >>> 31)) | 0; v0l = s;
  t = (v3l << 21) | (v3h >>> 11); u = (v3h << 21) | (v3l >>> 11); v3l = t ^ v0l; v3h = u ^ v0h;
  s = (v2l + v1l) | 0; v2h = (v2h + v1h + (((v2l & v1l) | ((v2l | v1l) & ~s)) >>> 31)) | 0; v2l = s;
  t = (v1l << 17) | (v1h >>> 15); u = (v1h << 17) | (v1l >>> 15); v1l = t ^ v2l; v1h = u ^ v2h;
  t = v2l; v2l = v2h; v2h = t;
  const o = key.out;
  o[0] = v0l ^ v1l ^ v2l ^ v3l;
  o[1] = v0h ^ v1h ^ v2h ^ v3h;
}
