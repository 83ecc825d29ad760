/** The fuzz runner of the Banners II tests: random and mutated real bytes, split at random points, read through guarded buffers. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BannerModule, TargetInfo } from '../../src/banners/module.js';
import type { BannerItem } from '../../src/banners/session.js';
import { guarded, runGuarded, RUNS, splitAt, type Recorder } from './helpers.js';
import { TlsScanKeys } from '../../src/codec/tls13.js';
import { tlsModule } from '../../src/banners/tls.js';
import type { ModuleLookup } from '../../src/banners/lines.js';

/**
 * Random bytes, bytes after a real prefix, and mutated real bytes, each cut at random points,
 * through guarded buffers (a read out of bounds throws): the parser never throws and `check`
 * holds on what it produced.
 */
export function fuzzModule(
  m: BannerModule,
  real: Uint8Array,
  prefix: Uint8Array,
  check: (items: BannerItem[], conv: Recorder) => void,
  t?: TargetInfo,
): void {
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 400 }),
    fc.uint8Array({ maxLength: 400 }).map((b) => Uint8Array.from([...prefix, ...b])),
    fc.tuple(fc.nat(real.length), fc.array(fc.tuple(fc.nat(Math.max(0, real.length - 1)), fc.nat(255)), { maxLength: 8 }))
      .map(([cut, muts]) => {
        const b = real.slice(0, cut);
        for (const [i, v] of muts) if (i < b.length) b[i] = v;
        return b;
      }),
  );
  fc.assert(
    fc.property(input, fc.array(fc.nat(real.length + 400), { maxLength: 8 }), (bytes, points) => {
      const { items, conv } = runGuarded(m, splitAt(bytes, points).map((c) => c.slice()), t);
      check(items, conv);
    }),
    { numRuns: RUNS },
  );
}

/** The scan's real TLS module, as the registry's lookup gives it (its hello is deterministic per target). */
export function realSslLookup(): { lookup: ModuleLookup; ssl: BannerModule } {
  const ssl = tlsModule({ sni: undefined, captureCert: true, keys: TlsScanKeys.generate(), random: (n) => new Uint8Array(n).fill(7) });
  return { ssl, lookup: (name) => (name === 'ssl' ? ssl : null) };
}

export function assertBounded(items: BannerItem[], apps: readonly string[], max: number): void {
  for (const i of items) {
    assert.ok(apps.includes(i.app), i.app);
    assert.ok(i.bytes.length <= max, `${i.app}: ${i.bytes.length} > ${max}`);
  }
}

/** A UDP reply parser: the bytes [off, off + len) of `buf` to a banner text, or null. */
export type UdpReplyParser = (buf: Uint8Array, off: number, len: number) => string | null;

export interface UdpFuzzSpec {
  /** The parsers under test; each must give the same answer in place (guarded, padded) as on a copy. */
  readonly parsers: readonly UdpReplyParser[];
  /** Real replies, cut at random points and mutated. */
  readonly reals: readonly Uint8Array[];
  /** The longest cut of a real reply (the default: the longest real reply). */
  readonly cut?: number;
  /** The longest fully random input. */
  readonly random: number;
  /** A real header followed by random bytes (at most `max` of them). */
  readonly prefix?: { readonly bytes: Uint8Array; readonly max: number };
  /** Further calls on the guarded buffer (the dispatcher by port), which must not throw either. */
  readonly also?: (buf: Uint8Array, off: number, len: number) => void;
  readonly seed: number;
  readonly numRuns?: number;
}

/**
 * Random bytes, a real header with random bytes after it, and real replies cut and mutated,
 * placed at a random offset in a guarded buffer (a read outside [off, off + len) throws):
 * every parser gives null or a string, the same one as on the bare bytes.
 */
export function fuzzUdpParsers(spec: UdpFuzzSpec): void {
  const cut = spec.cut ?? Math.max(...spec.reals.map((r) => r.length));
  const mutated = fc.tuple(fc.nat(spec.reals.length - 1), fc.nat(cut), fc.array(fc.tuple(fc.nat(Math.max(0, cut - 1)), fc.nat(255)), { maxLength: 8 }))
    .map(([r, n, muts]) => {
      const b = spec.reals[r]!.slice(0, n);
      for (const [i, v] of muts) if (i < b.length) b[i] = v;
      return b;
    });
  const random = fc.uint8Array({ maxLength: spec.random });
  const prefix = spec.prefix;
  const input = prefix === undefined
    ? fc.oneof(random, mutated)
    : fc.oneof(random, fc.uint8Array({ maxLength: prefix.max }).map((t) => Uint8Array.from([...prefix.bytes, ...t])), mutated);
  fc.assert(fc.property(input, fc.nat(5), (b, pad) => {
    const buf = new Uint8Array(b.length + 2 * pad);
    buf.set(b, pad);
    const g = guarded(buf, pad, pad + b.length);
    for (const p of spec.parsers) {
      const r = p(g, pad, b.length);
      assert.ok(r === null || typeof r === 'string');
      assert.equal(r, p(b, 0, b.length));
    }
    spec.also?.(g, pad, b.length);
  }), { numRuns: spec.numRuns ?? 2000, seed: spec.seed });
}
