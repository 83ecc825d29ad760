/** Shared helpers of the banner tests: vectors, a recording Conversation, split runners. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { vectorsDir } from '../vectors/vectors.js';
import type { BannerModule, Conversation, TargetInfo } from '../../src/banners/module.js';
import { BannerCollector, type BannerItem } from '../../src/banners/session.js';
import { guarded } from '../fuzz/guard.js';

/** Bounded by default; raise with TIDESCAN_FUZZ_RUNS for a longer soak. */
export const RUNS = Number(process.env.TIDESCAN_FUZZ_RUNS ?? 300);

/** A banner vector file of test/vectors/banners: the bytes we sent and those we received. */
export function bannerVector(file: string): { sent: Uint8Array; received: Uint8Array } {
  const text = readFileSync(join(vectorsDir(), 'banners', file), 'utf8');
  const m = /^sent:\n([0-9a-f\n]*)received:\n([0-9a-f\n]*)$/m.exec(text);
  assert.ok(m !== null, `${file}: no sent:/received: blocks`);
  const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\n/g, ''), 'hex'));
  return { sent: hex(m[1]!), received: hex(m[2]!) };
}

export function latin1(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s, 'latin1'));
}

export function text(b: Uint8Array): string {
  return Buffer.from(b).toString('latin1');
}

/** A Conversation that records what the module asks for (the host's side in a unit test). */
export class Recorder implements Conversation {
  sent: Uint8Array[] = [];
  closes = 0;
  send(buf: Uint8Array): void {
    this.sent.push(Uint8Array.from(buf));
  }
  close(): void {
    this.closes++;
  }
  sentText(): string {
    return this.sent.map(text).join('');
  }
}

export const T4: TargetInfo = { ip: '192.0.2.7', port: 80, name: undefined };

/** What one run of a parser produced, in a form deepEqual compares. */
export interface Outcome {
  items: { app: string; text: string; fields?: Record<string, string> }[];
  sent: string;
  closes: number;
}

export function outcome(items: BannerItem[], conv: Recorder): Outcome {
  return {
    items: items.map((i) => (i.fields === undefined ? { app: i.app, text: text(i.bytes) } : { app: i.app, text: text(i.bytes), fields: i.fields })),
    sent: conv.sentText(),
    closes: conv.closes,
  };
}

/**
 * Runs `chunks` through a fresh parser of `m`. Each chunk is given inside a larger buffer at
 * an offset (filled around with 0xee), so a parser that ignores `off`/`len` shows up.
 */
export function runModule(m: BannerModule, chunks: readonly Uint8Array[], t: TargetInfo = T4): Outcome {
  const out = new BannerCollector();
  const conv = new Recorder();
  const p = m.open(t, out, conv);
  for (const c of chunks) {
    const buf = new Uint8Array(c.length + 7).fill(0xee);
    buf.set(c, 3);
    p.data(buf, 3, c.length);
  }
  p.end();
  return outcome(out.items(), conv);
}

/** `bytes` cut at the given points (any order, duplicates and out-of-range ignored). */
export function splitAt(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(points.filter((p) => p > 0 && p < bytes.length))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const c of cuts) {
    out.push(bytes.subarray(prev, c));
    prev = c;
  }
  out.push(bytes.subarray(prev));
  return out;
}

export function byteByByte(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (_b, i) => bytes.subarray(i, i + 1));
}

/** Whole, byte by byte and at random split points give the same outcome; returns it. */
export function assertSplitInvariant(m: BannerModule, bytes: Uint8Array, runs = 50): Outcome {
  const whole = runModule(m, [bytes]);
  assert.deepEqual(runModule(m, byteByByte(bytes)), whole, 'byte by byte differs from whole');
  fc.assert(
    fc.property(fc.array(fc.nat(bytes.length), { maxLength: 12 }), (points) => {
      assert.deepEqual(runModule(m, splitAt(bytes, points)), whole);
    }),
    { numRuns: runs },
  );
  return whole;
}

export { guarded };

/** Feeds `chunks` to a fresh parser of `m` through guarded buffers; returns the collector's items. */
export function runGuarded(m: BannerModule, chunks: readonly Uint8Array[], t: TargetInfo = T4): { items: BannerItem[]; conv: Recorder } {
  const out = new BannerCollector();
  const conv = new Recorder();
  const p = m.open(t, out, conv);
  for (const c of chunks) {
    const buf = new Uint8Array(c.length + 8).fill(0xee);
    buf.set(c, 4);
    p.data(guarded(buf, 4, 4 + c.length), 4, c.length);
  }
  p.end();
  return { items: out.items(), conv };
}
