import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  bannerSourcePorts, defaultSourcePort, parseLocalPortRange, readProcLocalPortRange, LINUX_LOCAL_PORT_RANGE,
} from '../../src/link/source.js';
import { isScanError } from '../../src/error.js';

test('parseLocalPortRange: the /proc text, and refusals', () => {
  assert.deepEqual(parseLocalPortRange('32768\t60999\n'), { begin: 32768, end: 60999 });
  assert.deepEqual(parseLocalPortRange('1024 65000'), { begin: 1024, end: 65000 });
  assert.equal(parseLocalPortRange(''), undefined);
  assert.equal(parseLocalPortRange('60999 32768'), undefined);
  assert.equal(parseLocalPortRange('1 70000'), undefined);
  assert.equal(parseLocalPortRange('abc def'), undefined);
  assert.equal(parseLocalPortRange('1 2 3'), undefined);
});

test('bannerSourcePorts: on a default Linux host, a block of 16 in 61000-65535', () => {
  const r = bannerSourcePorts(() => '32768\t60999\n', 0);
  assert.deepEqual(r, { begin: 61000, end: 61015, overlapsLocal: false });
  const r2 = bannerSourcePorts(() => '32768\t60999\n', 1);
  assert.deepEqual(r2, { begin: 61016, end: 61031, overlapsLocal: false });
});

test('bannerSourcePorts: masscan\'s non-banner default is inside the default range, ours never is', () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 40 }), (t) => {
    const p = defaultSourcePort(t);
    assert.ok(p >= LINUX_LOCAL_PORT_RANGE.begin && p <= LINUX_LOCAL_PORT_RANGE.end);
  }));
});

// Uniform draws seldom land on the edges where the room above or below runs out.
const port = fc.oneof(
  fc.integer({ min: 0, max: 65535 }),
  fc.constantFrom(0, 1, 1023, 1024, 1025, 1039, 1040, 32768, 49151, 60999, 61000, 65519, 65520, 65534, 65535),
);

test('bannerSourcePorts: property: the block is count ports, a power of two, outside the local range', () => {
  fc.assert(
    fc.property(
      port,
      port,
      fc.integer({ min: 0, max: 14 }),
      fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
      (a, b, log2, t) => {
        const lo = Math.min(a, b);
        const hi = Math.max(a, b);
        const count = 2 ** log2;
        const r = bannerSourcePorts(() => `${lo}\t${hi}\n`, t, count);
        assert.equal(r.end - r.begin + 1, count);
        assert.ok(r.begin >= 0 && r.end <= 65535);
        const outside = r.end < lo || r.begin > hi;
        if (r.overlapsLocal) {
          // Only when neither side has room.
          assert.ok(65536 - Math.max(hi + 1, 1024) < count && lo - 1024 < count);
        } else {
          assert.ok(outside, `${r.begin}-${r.end} vs ${lo}-${hi}`);
          assert.ok(r.begin >= 1024);
        }
      },
    ),
    { numRuns: 3000 },
  );
});

test('bannerSourcePorts: below the range when there is no room above; unreadable file = Linux default', () => {
  const r = bannerSourcePorts(() => '40000 65535', 0, 256);
  assert.deepEqual(r, { begin: 1024, end: 1279, overlapsLocal: false });
  const full = bannerSourcePorts(() => '1024 65535', 0, 16);
  assert.deepEqual(full, { begin: 65520, end: 65535, overlapsLocal: true });
  const thrown = bannerSourcePorts(() => {
    throw new Error('ENOENT');
  }, 0);
  assert.deepEqual(thrown, { begin: 61000, end: 61015, overlapsLocal: false });
  assert.deepEqual(bannerSourcePorts(() => 'garbage', 0), thrown);
});

test('bannerSourcePorts: count must be a power of two (SourceChooser needs one)', () => {
  for (const c of [0, 3, 17, 1.5, 32768]) {
    assert.throws(() => bannerSourcePorts(() => '32768 60999', 0, c), (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_OPTION');
  }
});

test('bannerSourcePorts: this host\'s own range (the real reader)', () => {
  const local = parseLocalPortRange(readProcLocalPortRange());
  assert.ok(local !== undefined);
  const r = bannerSourcePorts(readProcLocalPortRange, 1_700_000_000);
  if (!r.overlapsLocal) assert.ok(r.end < local.begin || r.begin > local.end);
});
