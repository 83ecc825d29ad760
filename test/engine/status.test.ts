import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cFixed, splitHms, statusRunning, statusWaiting, statusInfinite, STATUS_CLEAR,
  ndjsonRunning, ndjsonWaiting, ndjsonInfinite, MovingRate, percentDone,
} from '../../src/engine/status.js';

test('cFixed matches printf %.Nf including round-half-even ties', () => {
  assert.equal(cFixed(0.05, 2), '0.05');
  assert.equal(cFixed(0.125, 2), '0.12');
  assert.equal(cFixed(0.375, 2), '0.38');
  assert.equal(cFixed(2.5, 0), '2');
  assert.equal(cFixed(3.5, 0), '4');
  assert.equal(cFixed(0.5, 0), '0');
  assert.equal(cFixed(1.005, 2), '1.00'); // 1.005 is 1.00499999999999989...
  assert.equal(cFixed(100, 2), '100.00');
  assert.equal(cFixed(18.875, 2), '18.88');
  assert.equal(cFixed(18.885, 2), '18.89'); // not a binary tie
  assert.equal(cFixed(12345.678, 0), '12346');
});

test('running status line: masscan §8 example byte for byte', () => {
  const eta = 18 * 3600 + 39 * 60 + 11;
  assert.equal(statusRunning(0.05, 0.01, eta, 0), 'rate:  0.05-kpps,  0.01% done,  18:39:11 remaining, found=0       \r');
  assert.equal(statusRunning(1234.567, 99.999, 59.9, 12345678901), 'rate:1234.57-kpps, 100.00% done,   0:00:59 remaining, found=12345678901       \r');
  assert.equal(statusRunning(0, 5, 12345 * 3600, 3), 'rate:  0.00-kpps,  5.00% done,12345:00:00 remaining, found=3       \r');
  assert.equal(statusRunning(-1, -1, -5, 0), 'rate:  0.00-kpps,  0.00% done,   0:00:00 remaining, found=0       \r');
});

test('waiting, infinite and clear lines', () => {
  assert.equal(statusWaiting(0, 100, 1, 0), 'rate:  0.00-kpps, 100.00% done, waiting 1-secs, found=0       \r');
  assert.equal(statusWaiting(2.5, 50, -3, 7), 'rate:  2.50-kpps, 50.00% done, waiting -3-secs, found=7       \r');
  assert.equal(statusInfinite(10.5, 100.4, 3, 2.5, 42), 'rate: 10.50-kpps, syn/s=100 ack/s=3 tcb-rate=2, 42-tcbs,         \r');
  assert.equal(STATUS_CLEAR.length, 78);
  assert.equal(STATUS_CLEAR, ' '.repeat(77) + '\r');
});

test('ndjson status forms (field order as masscan; numbers as JSON numbers)', () => {
  assert.equal(ndjsonRunning(18.88, 10.9375, 48.2, 28, 256, 0),
    '{"state":"running","rate":{"kpps":0.02,"pps":18.88},"progress":{"percent":10.94,"eta":{"hours":0,"mins":0,"seconds":48},"syn":{"sent":28,"total":256,"remaining":228},"found":0}}\n');
  assert.equal(ndjsonWaiting(0, 23.828125, 1, 61, 256, 0),
    '{"state":"waiting","rate":{"kpps":0,"pps":0},"progress":{"percent":23.83,"seconds":1,"found":0,"syn":{"sent":61,"total":256,"remaining":195}}}\n');
  assert.equal(ndjsonInfinite(1500, 1000, 20, 3, 9, 100000),
    '{"state":"*","rate":{"kpps":1.5,"pps":1500,"synps":1000,"ackps":20,"tcbps":3},"tcb":9,"syn":100000}\n');
  for (const line of [ndjsonRunning(1, 2, 3, 4, 5, 6), ndjsonWaiting(1, 2, 3, 4, 5, 6)]) JSON.parse(line);
});

test('splitHms and percentDone', () => {
  assert.deepEqual(splitHms(3725.9), { hours: 1, mins: 2, seconds: 5 });
  assert.deepEqual(splitHms(NaN), { hours: 0, mins: 0, seconds: 0 });
  assert.deepEqual(splitHms(Infinity), { hours: 0, mins: 0, seconds: 0 });
  assert.equal(percentDone(1, 8), 12.5);
  assert.equal(percentDone(9, 8), 100);
  assert.equal(percentDone(0, 0), 100);
});

test('MovingRate: 8-sample window, ETA follows a rate change within 8 ticks', () => {
  const m = new MovingRate();
  assert.equal(m.rate(), 0);
  assert.equal(m.eta(0, 1000, 100), 10); // fallback before any measurement
  let idx = 0;
  for (let k = 0; k < 10; k++) { m.sample(k, idx); idx += 100; }
  assert.equal(m.rate(), 100);
  assert.equal(m.eta(1000, 2000, 1), 10);
  for (let k = 10; k < 17; k++) { m.sample(k, idx); idx += 400; }
  // Window now spans samples 9..16: 1 step of 100 and 6 of 400 over 7 s... rate climbs.
  assert.ok(m.rate() > 300 && m.rate() < 400, `rate ${m.rate()}`);
  m.sample(17, idx);
  assert.equal(m.rate(), 400);
  assert.equal(m.eta(5000, 5000, 1), 0);
  m.sample(18, idx - 50000); // counter went backwards: no negative rate
  assert.ok(m.rate() >= 0);
  m.reset();
  assert.equal(m.rate(), 0);
});
