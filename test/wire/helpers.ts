/** Shared helpers for the wire tests. */
import assert from 'node:assert/strict';
import { loadVectors, type Vector } from '../vectors/vectors.js';
import { hexDump } from '../../src/wire/bytes.js';

let cache: Vector[] | null = null;

/** The `index`-th packet of a vector file. */
export function vec(file: string, index: number): Vector {
  cache ??= loadVectors();
  const v = cache.find((x) => x.file === file && x.index === index);
  if (v === undefined) throw new Error(`no vector ${file}#${index}`);
  return v;
}

/** Every vector: captured and crafted. */
export function allVectors(): Vector[] {
  cache ??= loadVectors();
  return cache;
}

/** The vectors captured from real traffic (not crafted.txt). */
export function capturedVectors(): Vector[] {
  const v = allVectors().filter((x) => x.file !== 'crafted.txt');
  // the tests loop over these: an empty list would pass them all
  assert.ok(v.length >= 30, `only ${v.length} captured vectors`);
  return v;
}

/** A buffer pre-filled with 0xa5, so a field that emit never wrote shows up (smoltcp habit). */
export function filled(n: number): Uint8Array {
  return new Uint8Array(n).fill(0xa5);
}

/** Byte-for-byte equality with a readable hex dump on failure. */
export function assertBytes(actual: Uint8Array, expected: Uint8Array, what = 'bytes'): void {
  if (actual.length === expected.length && actual.every((b, i) => b === expected[i])) return;
  assert.fail(`${what} differ\nactual:\n${hexDump(actual)}\nexpected:\n${hexDump(expected)}`);
}
