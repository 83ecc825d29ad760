/**
 * A slow, literal BigInt rendering of blackrock v1 (reference §5.1), written straight from
 * the specification with no algebraic shortcuts, to cross-check the fast src/target/blackrock.
 */
import { BLACKROCK_SBOX, blackrockAB } from '../../src/target/blackrock.js';

const MASK64 = (1n << 64n) - 1n;

export class BlackrockRef {
  readonly a: bigint;
  readonly b: bigint;
  constructor(
    readonly range: bigint,
    readonly seed: bigint,
    readonly rounds = 14,
  ) {
    const ab = blackrockAB(Number(range));
    this.a = BigInt(ab.a);
    this.b = BigInt(ab.b);
  }

  /** The round function F(j, R, seed), 64-bit. */
  F(j: number, R0: bigint): bigint {
    const seed = BigInt.asUintN(64, this.seed);
    const J = BigInt(j);
    let R = R0 & MASK64;
    R ^= ((seed << BigInt(j & 63)) ^ (seed >> BigInt((64 - j) & 63))) & MASK64;
    const s: bigint[] = [];
    for (let n = 0; n < 8; n++) {
      const idx = Number(((R >> BigInt(8 * n)) ^ seed ^ J) & 0xffn);
      s.push(BigInt(BLACKROCK_SBOX[idx]));
    }
    const r0 = s[0] | (s[1] << 8n);
    const r1 = ((s[2] << 16n) | (s[3] << 24n)) & 0xffffffffn;
    const r2 = s[4] | (s[5] << 8n);
    const r3 = ((s[6] << 16n) | (s[7] << 24n)) & 0xffffffffn;
    return (r0 ^ r1 ^ (r2 << 23n) ^ (r3 << 33n)) & MASK64;
  }

  encrypt(m: bigint): bigint {
    let L = m % this.a;
    let R = m / this.a;
    for (let j = 1; j <= this.rounds; j++) {
      const mod = j & 1 ? this.a : this.b;
      const tmp = ((L + this.F(j, R)) & MASK64) % mod;
      L = R;
      R = tmp;
    }
    return this.rounds & 1 ? this.a * L + R : this.a * R + L;
  }

  decrypt(c: bigint): bigint {
    let L: bigint;
    let R: bigint;
    if (this.rounds & 1) {
      R = c % this.a;
      L = c / this.a;
    } else {
      L = c % this.a;
      R = c / this.a;
    }
    for (let j = this.rounds; j >= 1; j--) {
      const mod = j & 1 ? this.a : this.b;
      const prevR = L;
      const f = this.F(j, prevR) % mod;
      const prevL = (((R - f) % mod) + mod) % mod;
      L = prevL;
      R = prevR;
    }
    return this.a * R + L;
  }

  shuffle(m: bigint): bigint {
    let c = this.encrypt(m);
    while (c >= this.range) c = this.encrypt(c);
    return c;
  }

  unshuffle(c: bigint): bigint {
    let m = this.decrypt(c);
    while (m >= this.range) m = this.decrypt(m);
    return m;
  }
}
