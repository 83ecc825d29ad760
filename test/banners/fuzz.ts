/** The fuzz runner of the Banners II tests: random and mutated real bytes, split at random points, read through guarded buffers. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BannerModule, TargetInfo } from '../../src/banners/module.js';
import type { BannerItem } from '../../src/banners/session.js';
import { runGuarded, RUNS, splitAt, type Recorder } from './helpers.js';
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
