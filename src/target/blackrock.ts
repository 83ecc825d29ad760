/**
 * Blackrock v1: masscan's format-preserving permutation of [0, range) (reference §5.1), the
 * order in which tidescan visits targets. Bit-exact with masscan, so `-sL` output, shards and
 * resume indexes mean the same thing in both programs.
 *
 * The cipher (Black & Rogaway, "Ciphers with Arbitrary Finite Domains"): split m into
 * (L, R) = (m mod a, m div a) with a*b > range, run `rounds` unbalanced Feistel rounds
 *   (L, R) <- (R, (L + F(j, R)) mod (j odd ? a : b)),
 * recombine, and cycle-walk (re-encrypt) until the value falls below `range`.
 * F(j, R) is a 64-bit value built from S-box lookups of the bytes of R xor a seed-derived mask.
 *
 * Numeric domain and why the fast path needs no BigInt:
 * - range <= 2^53, so a, b <= ~2^26.6 and both Feistel halves always fit in 27 bits.
 * - F is 64-bit, but only its low 32 bits depend on R: bytes 4..7 of the round input come from
 *   the seed mask alone (R < 2^32), so F = (r01 ^ Clo_j) + Chi_j * 2^32 with per-round
 *   constants Clo_j, Chi_j and r01 built from four S-box lookups.
 * - Bits 39..48 of F are always zero (r2 << 23 ends at bit 38, r3 << 33 starts at bit 49),
 *   so L + F never wraps past 2^64: the "64-bit wrap-around" of the specification is never
 *   reached for L < 2^39, and each round's add is a bijection of L mod m.
 * - Hence (L + F) mod m = (L + flo + Hmod_j) mod m with Hmod_j = (Chi_j * 2^32) mod m, and
 *   since flo is four disjoint bytes, flo mod m = sum over n of (byte n contribution) mod m.
 *   The constructor tabulates, per round, the four 256-entry tables of those contributions
 *   mod m (Hmod_j folded into the first), so a round is: xor, four lookups, four int32 adds
 *   (sum < 5m < 2^30), and a branch-free reduction by sign masks. Everything stays int32.
 * - The input split (floor(m / a), exact for m < 2^53 and integer a: the quotient can never
 *   round up to the next integer) and the output a*X + Y are the only double operations.
 * - The recombined value a*X + Y may exceed 2^53 when range is close to 2^53, but it is then
 *   >= range anyway (the comparison stays correct under rounding), and cycle walking
 *   re-splits it directly as (L, R) = (Y, X) without ever forming it exactly.
 *
 * `shuffle` allocates nothing and uses no BigInt. Seed handling (rotations, byte masks) is
 * done once in the constructor with BigInt.
 *
 * NOTE: shuffle(m) is defined only for 0 <= m < range. For m in [range, a*b) masscan's
 * cycle walk may never end; callers (the engine) reduce indexes first.
 */

/** The blackrock v1 S-box (reference, appendix): 256 bytes of data, not a permutation. */
export const BLACKROCK_SBOX: Uint8Array = Uint8Array.from(
  (
    '91 58 b3 31 6c 33 da 88 57 dd 8c f2 29 5a 08 9f 49 34 ce 99 9e bf 0f 81 d4 2f 92 3f 95 f5 23 00 ' +
    '0d 3e a8 90 98 dd 20 00 03 69 0a ca ba 12 08 41 6e b9 86 e4 50 f0 84 e2 b3 b3 c8 b5 b2 2d 18 70 ' +
    '0a d7 92 90 9e 1e 0c 1f 08 e8 06 fd 85 2f aa 5d cf f9 e3 55 b9 fe a6 7f 44 3b 4a 4f c9 2f d2 d3 ' +
    '8e dc ae ba 4f 02 b4 76 ba 64 2d 07 9e 08 ec bd 52 29 07 bb 9f b5 58 6f 07 55 b0 34 74 9f 05 b2 ' +
    'df a9 c6 2a a3 5d ff 10 40 b3 b7 b4 63 6e f4 3e ee f6 49 52 e3 11 b3 f1 fb 60 48 a1 a4 19 7a 2e ' +
    '90 28 90 8d 5e 8c 8c c4 f2 4a f6 b2 19 83 ea ed 6d ba fe d8 b6 a3 5a b4 48 fa be 5c 69 ac 3c 8f ' +
    '63 af a4 42 25 50 ab 65 80 65 b9 fb c7 f2 2d 5c e3 4c a4 a6 8e 07 9c eb 41 93 65 44 4a 86 c1 f6 ' +
    '2c 97 fd f4 6c dc e1 e0 28 d9 89 7b 09 e2 a0 38 74 4a a6 5e d2 e2 4d f3 f4 c6 bc a2 51 58 e8 ae'
  )
    .split(' ')
    .map((h) => parseInt(h, 16)),
);

export const BLACKROCK_DEFAULT_ROUNDS = 14;
const MASK64 = (1n << 64n) - 1n;
const MAX_RANGE = 2 ** 53;

/**
 * masscan's choice of the Feistel moduli: fixed pairs for tiny ranges, else
 * (trunc(sqrt(range) - 2), trunc(sqrt(range) + 3)) in double precision; then b grows until
 * a*b > range. Range 0 gives (0, 0).
 */
export function blackrockAB(range: number): { a: number; b: number } {
  let a: number;
  let b: number;
  if (range === 0) return { a: 0, b: 0 };
  else if (range === 1) { a = 1; b = 1; }
  else if (range === 2) { a = 1; b = 2; }
  else if (range === 3) { a = 2; b = 2; }
  else if (range <= 6) { a = 2; b = 3; }
  else if (range <= 8) { a = 3; b = 3; }
  else {
    const s = Math.sqrt(range);
    a = Math.trunc(s - 2);
    b = Math.trunc(s + 3);
  }
  // masscan compares in exact 64-bit integers; near 2^53 a double product could round.
  const r = BigInt(range);
  while (BigInt(a) * BigInt(b) <= r) b++;
  return { a, b };
}

export class Blackrock {
  readonly range: number;
  readonly seed: bigint;
  readonly rounds: number;
  readonly a: number;
  readonly b: number;

  /** Per round j (index j-1): xor mask applied to R before the byte lookups. */
  private readonly xmask: Int32Array;
  /**
   * Per round, four 256-entry tables: tab[1024*i + 256*n + v] = (byte n's contribution to
   * F's low word, plus for n = 0 the constant high part) mod m_j, so that
   * (L + F) mod m = (L + T0 + T1 + T2 + T3) mod m with every term < m (see file header).
   */
  private readonly tab: Int32Array;

  constructor(range: number, seed: bigint, rounds: number = BLACKROCK_DEFAULT_ROUNDS) {
    if (!Number.isInteger(range) || range < 0 || range > MAX_RANGE) {
      throw new RangeError(`blackrock range must be an integer in [0, 2^53]: ${range}`);
    }
    if (!Number.isInteger(rounds) || rounds < 0 || rounds > 1000) {
      throw new RangeError(`blackrock rounds must be an integer in [0, 1000]: ${rounds}`);
    }
    this.range = range;
    this.seed = BigInt.asUintN(64, seed);
    this.rounds = rounds;
    const { a, b } = blackrockAB(range);
    this.a = a;
    this.b = b;
    this.xmask = new Int32Array(rounds);
    this.tab = new Int32Array(rounds * 1024);
    const s = this.seed;
    const S = BLACKROCK_SBOX;
    for (let j = 1; j <= rounds; j++) {
      // Shift counts are taken mod 64, as x86 does for masscan's `seed << j` when j >= 64.
      const mix = ((s << BigInt(j & 63)) ^ (s >> BigInt((64 - j) & 63))) & MASK64;
      const k = Number((s ^ BigInt(j)) & 0xffn);
      const mixLo = Number(mix & 0xffffffffn);
      const mixHi = Number(mix >> 32n);
      // Bytes 4..7 of the round input come from the seed mask alone (R < 2^32).
      const s4 = S[(mixHi & 0xff) ^ k];
      const s5 = S[((mixHi >>> 8) & 0xff) ^ k];
      const s6 = S[((mixHi >>> 16) & 0xff) ^ k];
      const s7 = S[(mixHi >>> 24) ^ k];
      const r2 = BigInt(s4 | (s5 << 8));
      const r3 = BigInt(((s6 << 16) | (s7 << 24)) >>> 0);
      const c = ((r2 << 23n) ^ (r3 << 33n)) & MASK64; // the R-independent part of F
      const clo = Number(c & 0xffffffffn);
      const chi = c >> 32n;
      const m = j & 1 ? a : b;
      this.xmask[j - 1] = (mixLo ^ Math.imul(k, 0x01010101)) | 0;
      if (m === 0) continue;
      const hmod = Number((chi << 32n) % BigInt(m));
      for (let n = 0; n < 4; n++) {
        const cn = (clo >>> (8 * n)) & 0xff;
        const scale = 2 ** (8 * n);
        for (let v = 0; v < 256; v++) {
          let t = ((S[v] ^ cn) * scale) % m;
          if (n === 0) t = (t + hmod) % m;
          this.tab[1024 * (j - 1) + 256 * n + v] = t;
        }
      }
    }
  }

  /**
   * The position of index m (0 <= m < range) in the permuted order. Hot path: int32 ops, no
   * allocation, no BigInt (~10 M/s per core here; shuffleBatch ~18 M/s).
   */
  shuffle(m: number): number {
    const range = this.range;
    if (range < 2) return m;
    const a = this.a;
    const b = this.b;
    const a2 = 2 * a;
    const a3 = 3 * a;
    const a4 = 4 * a;
    const b2 = 2 * b;
    const b3 = 3 * b;
    const b4 = 4 * b;
    const rounds = this.rounds;
    const odd = rounds & 1;
    const T = this.tab;
    const xm = this.xmask;
    // Split m into (m mod a, m div a); floor(m / a) is exact for m < 2^53 (see file header).
    const q = Math.floor(m / a);
    let L = (m - q * a) | 0;
    let R = q | 0;
    for (;;) {
      // Rounds in pairs (odd round mod a, even round mod b) so the moduli stay in registers.
      // Each sum t = L + T0 + T1 + T2 + T3 is < 5m < 2^30 (int32). It is reduced branch-free:
      // t - 4m plus m for each of t-m, t-2m, t-3m, t-4m that is negative (sign masks), which
      // keeps the dependency chain short (the four tests run in parallel).
      let i = 0;
      for (; i + 1 < rounds; i += 2) {
        let y = R ^ xm[i];
        let o = i << 10;
        let t = L + T[o + (y & 255)] + (T[o + 256 + ((y >>> 8) & 255)] + (T[o + 512 + ((y >>> 16) & 255)] + T[o + 768 + (y >>> 24)]));
        L = t - a4 + ((a & ((t - a) >> 31)) + (a & ((t - a2) >> 31)) + ((a & ((t - a3) >> 31)) + (a & ((t - a4) >> 31))));
        // L now holds this round's new R, and R is the new L
        y = L ^ xm[i + 1];
        o += 1024;
        t = R + T[o + (y & 255)] + (T[o + 256 + ((y >>> 8) & 255)] + (T[o + 512 + ((y >>> 16) & 255)] + T[o + 768 + (y >>> 24)]));
        R = t - b4 + ((b & ((t - b) >> 31)) + (b & ((t - b2) >> 31)) + ((b & ((t - b3) >> 31)) + (b & ((t - b4) >> 31))));
      }
      if (odd) {
        const y = R ^ xm[i];
        const o = i << 10;
        const t = L + T[o + (y & 255)] + (T[o + 256 + ((y >>> 8) & 255)] + (T[o + 512 + ((y >>> 16) & 255)] + T[o + 768 + (y >>> 24)]));
        L = R;
        R = t - a4 + ((a & ((t - a) >> 31)) + (a & ((t - a2) >> 31)) + ((a & ((t - a3) >> 31)) + (a & ((t - a4) >> 31))));
      }
      // Output is a*X + Y with Y < a (see header); X = L, Y = R after an odd count of rounds.
      const X = odd ? L : R;
      const Y = odd ? R : L;
      const c = a * X + Y;
      if (c < range) return c;
      L = Y;
      R = X;
    }
  }

  /**
   * out[k] = shuffle(input[k]) for k < n. Same results as shuffle(); faster per index because
   * two independent indexes go through the rounds together, so the CPU overlaps their
   * dependency chains. A lane that needs a cycle walk (rare: a*b is within ~sqrt(range) of
   * range) is finished by shuffle(). No allocation.
   */
  shuffleBatch(input: Float64Array, out: Float64Array, n: number): void {
    const range = this.range;
    if (range < 2) {
      for (let k = 0; k < n; k++) out[k] = input[k];
      return;
    }
    const a = this.a;
    const b = this.b;
    const a2 = 2 * a;
    const a3 = 3 * a;
    const a4 = 4 * a;
    const b2 = 2 * b;
    const b3 = 3 * b;
    const b4 = 4 * b;
    const rounds = this.rounds;
    const T = this.tab;
    const xm = this.xmask;
    let k = 0;
    if ((rounds & 1) === 0) {
      for (; k + 1 < n; k += 2) {
        const m0 = input[k];
        const m1 = input[k + 1];
        const q0 = Math.floor(m0 / a);
        const q1 = Math.floor(m1 / a);
        let L0 = (m0 - q0 * a) | 0;
        let R0 = q0 | 0;
        let L1 = (m1 - q1 * a) | 0;
        let R1 = q1 | 0;
        for (let i = 0; i < rounds; i += 2) {
          let o = i << 10;
          const x = xm[i];
          let y0 = R0 ^ x;
          let y1 = R1 ^ x;
          let t0 = L0 + T[o + (y0 & 255)] + (T[o + 256 + ((y0 >>> 8) & 255)] + (T[o + 512 + ((y0 >>> 16) & 255)] + T[o + 768 + (y0 >>> 24)]));
          let t1 = L1 + T[o + (y1 & 255)] + (T[o + 256 + ((y1 >>> 8) & 255)] + (T[o + 512 + ((y1 >>> 16) & 255)] + T[o + 768 + (y1 >>> 24)]));
          L0 = t0 - a4 + ((a & ((t0 - a) >> 31)) + (a & ((t0 - a2) >> 31)) + ((a & ((t0 - a3) >> 31)) + (a & ((t0 - a4) >> 31))));
          L1 = t1 - a4 + ((a & ((t1 - a) >> 31)) + (a & ((t1 - a2) >> 31)) + ((a & ((t1 - a3) >> 31)) + (a & ((t1 - a4) >> 31))));
          o += 1024;
          const x2 = xm[i + 1];
          y0 = L0 ^ x2;
          y1 = L1 ^ x2;
          t0 = R0 + T[o + (y0 & 255)] + (T[o + 256 + ((y0 >>> 8) & 255)] + (T[o + 512 + ((y0 >>> 16) & 255)] + T[o + 768 + (y0 >>> 24)]));
          t1 = R1 + T[o + (y1 & 255)] + (T[o + 256 + ((y1 >>> 8) & 255)] + (T[o + 512 + ((y1 >>> 16) & 255)] + T[o + 768 + (y1 >>> 24)]));
          R0 = t0 - b4 + ((b & ((t0 - b) >> 31)) + (b & ((t0 - b2) >> 31)) + ((b & ((t0 - b3) >> 31)) + (b & ((t0 - b4) >> 31))));
          R1 = t1 - b4 + ((b & ((t1 - b) >> 31)) + (b & ((t1 - b2) >> 31)) + ((b & ((t1 - b3) >> 31)) + (b & ((t1 - b4) >> 31))));
        }
        // even rounds: output a*R + L
        const c0 = a * R0 + L0;
        const c1 = a * R1 + L1;
        out[k] = c0 < range ? c0 : this.shuffle(m0);
        out[k + 1] = c1 < range ? c1 : this.shuffle(m1);
      }
    }
    for (; k < n; k++) out[k] = this.shuffle(input[k]);
  }

  /** The inverse of shuffle: unshuffle(shuffle(m)) === m for 0 <= m < range. */
  unshuffle(c: number): number {
    const range = this.range;
    if (range < 2) return c;
    const a = this.a;
    const b = this.b;
    const rounds = this.rounds;
    const odd = rounds & 1;
    const T = this.tab;
    const xm = this.xmask;
    const q = Math.floor(c / a);
    let X = q | 0;
    let Y = (c - q * a) | 0;
    for (;;) {
      let L = odd ? X : Y;
      let R = odd ? Y : X;
      for (let i = rounds - 1; i >= 0; i--) {
        const md = i & 1 ? b : a; // round j = i + 1
        const y = L ^ xm[i];
        const o = i << 10;
        let f = T[o + (y & 255)] + T[o + 256 + ((y >>> 8) & 255)] + T[o + 512 + ((y >>> 16) & 255)] + T[o + 768 + (y >>> 24)];
        f -= 2 * md;
        f += (2 * md) & (f >> 31);
        f -= md;
        f += md & (f >> 31);
        let l0 = R - f;
        l0 += md & (l0 >> 31);
        R = L;
        L = l0;
      }
      const m = a * R + L;
      if (m < range) return m;
      Y = L;
      X = R;
    }
  }
}
