import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Console, formatGmt, startLines, statusText, MSG_WAITING_TO_EXIT } from '../../src/cli/console.js';

test('start lines as masscan prints them (§8)', () => {
  const t = Date.UTC(2026, 10, 21, 21, 17, 29);
  assert.equal(formatGmt(t), '2026-11-21 21:17:29 GMT');
  const s = startLines(t, 'syn', 1024, 4).split('\n');
  assert.match(s[0], /^Starting tidescan \S+ \(\S+\) at 2026-11-21 21:17:29 GMT$/);
  assert.equal(s[1], 'Initiating SYN Stealth Scan');
  assert.equal(s[2], 'Scanning 1024 hosts [4 ports/host]');
  assert.equal(startLines(t, 'syn', 1, 1).split('\n')[2], 'Scanning 1 hosts [1 port/host]');
  assert.deepEqual(startLines(t, 'icmp', 5, 1).split('\n').slice(1, 3), ['Initiating ICMP Echo Scan', 'Scanning 5 hosts']);
  assert.equal(MSG_WAITING_TO_EXIT, 'waiting several seconds to exit...' + ' '.repeat(44) + '\n');
});

test('status text: running, waiting, ndjson', () => {
  const run = { pps: 50, percent: 0.01, etaSeconds: 67151, sent: 1, total: 100, found: 0, waitLeft: undefined };
  assert.equal(statusText(run, false), 'rate:  0.05-kpps,  0.01% done,  18:39:11 remaining, found=0       \r');
  assert.equal(statusText({ ...run, pps: 0, percent: 100, waitLeft: 1 }, false),
    'rate:  0.00-kpps, 100.00% done, waiting 1-secs, found=0       \r');
  const j = JSON.parse(statusText(run, true)) as { state: string; progress: { syn: { total: number } } };
  assert.equal(j.state, 'running');
  assert.equal(j.progress.syn.total, 100);
});

test('Console writes the status only when enabled and clears it once', () => {
  let out = '';
  const c = new Console((t) => { out += t; }, false, true);
  const sample = { pps: 0, percent: 0, etaSeconds: 0, sent: 0, total: 1, found: 0, waitLeft: undefined };
  c.status(sample);
  c.clearStatus();
  c.clearStatus();
  assert.equal(out, statusText(sample, false) + ' '.repeat(77) + '\r', 'the status line, then one clear (77 spaces + CR)');
  out = '';
  const off = new Console((t) => { out += t; }, false, false);
  off.status({ pps: 0, percent: 0, etaSeconds: 0, sent: 0, total: 1, found: 0, waitLeft: undefined });
  off.clearStatus();
  assert.equal(out, '');
});

test('--infinite status: masscan\'s syn/ack/tcb line while sending, the usual one while waiting', () => {
  const s = { pps: 123450, percent: 140, etaSeconds: 0, sent: 987, total: 500, found: 3, waitLeft: undefined, infinite: { synps: 123450, ackps: 12.4 } };
  assert.equal(statusText(s, false), 'rate:123.45-kpps, syn/s=123450 ack/s=12 tcb-rate=0, 0-tcbs,         \r');
  assert.deepEqual(JSON.parse(statusText(s, true)), {
    state: '*', rate: { kpps: 123.45, pps: 123450, synps: 123450, ackps: 12.4, tcbps: 0 }, tcb: 0, syn: 987,
  });
  assert.match(statusText({ ...s, waitLeft: 2 }, false), /^rate:123\.45-kpps, .*waiting 2-secs, found=3/);
});
