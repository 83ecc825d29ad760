/**
 * The engine's seams (src/engine/sink.ts) without the command line: a scan over the memory
 * adapter hands its records to a collecting sink, reports typed events, and stops on an
 * AbortSignal. No files, no process signals, no stderr.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLink } from '../../src/adapter/memory.js';
import type { ScanConfig } from '../../src/core/config.js';
import { runScanWith, type ScanEnv } from '../../src/engine/scan.js';
import { CollectingSink, ScanStopController, isStopNow, type ScanEvent, type ScanStopSignals } from '../../src/engine/sink.js';
import type { ResolvedLink } from '../../src/link/resolve.js';
import type { ScanRecord } from '../../src/core/record.js';
import { SimNet, SCANNER_MAC, ROUTER_MAC, ip4, SIM_IO, simConfig, simLink } from './scan-sim.js';

const io = SIM_IO;

const LINK: ResolvedLink = simLink(['a link note']);

const ARGS = '10.0.0.0/24 -p22,80,443 --rate 1000000 --seed 21 --wait 0';
const OPEN = ['10.0.0.1:80', '10.0.0.200:22', '10.0.0.77:443', '10.0.0.128:80', '10.0.0.5:22', '10.0.0.250:443'];

const config = simConfig;

interface Run {
  readonly code: number;
  readonly sink: CollectingSink;
  readonly events: ScanEvent[];
}

/** One inline scan; `onRound` runs after every round of the inline loop. */
async function scan(cfg: ScanConfig, sim: SimNet, stops: ScanStopSignals, onRound?: () => void): Promise<Run> {
  const link = createMemoryLink({ batch: 64, responder: sim.respond, maxQueue: 1 << 20 });
  const sink = new CollectingSink();
  const events: ScanEvent[] = [];
  const env: ScanEnv = {
    nowMs: () => performance.now(),
    unixMs: () => 1_700_000_000_000,
    cores: 1,
    inline: { link: LINK, openTx: () => link.tx, rx: link.rx, onRound },
  };
  const code = await runScanWith({ ...cfg, txThreads: 1 }, { sink, onEvent: (e) => events.push(e), ...stops }, env);
  return { code, sink, events };
}

function keys(rs: readonly ScanRecord[]): string[] {
  return rs.map((r) => {
    assert.equal(r.kind, 'status');
    assert.equal(r.ip.version, 4);
    const v = r.ip.version === 4 ? r.ip.v4 : 0;
    return `${r.kind === 'status' ? r.status : ''} ${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}:${r.port}`;
  }).sort();
}

const EXPECTED = OPEN.map((k) => `open ${k}`).sort();

test('a whole scan: typed records in batches to the sink, typed events, sink closed once', async () => {
  const r = await scan(config(ARGS), new SimNet({ tcpOpen: OPEN }), {});
  assert.equal(r.code, 0);
  // The sink gets every record; --open-only and --show are the output files' filter.
  const all = keys(r.sink.records);
  assert.deepEqual(all.filter((k) => k.startsWith('open')), EXPECTED);
  assert.equal(all.filter((k) => k.startsWith('closed')).length, 256 * 3 - OPEN.length);
  // Records arrive in batches (one per drain of the record ring), not one call each.
  assert.ok(r.sink.batches >= 1 && r.sink.batches < r.sink.records.length / 4, `${r.sink.batches} batches`);
  assert.equal(r.sink.closed, true);
  const start = r.events[0];
  assert.deepEqual(start, { type: 'start', unixMs: 1_700_000_000_000, scan: 'syn', hosts: 256, portsPerHost: 3 });
  assert.deepEqual(r.events.filter((e) => e.type === 'note').map((e) => e.type === 'note' && e.text),
    ['a link note', '1 transmit thread on sim0']);
  assert.equal(r.events.at(-1)?.type, 'end');
  assert.equal(r.events.filter((e) => e.type === 'paused' || e.type === 'stopping').length, 0);
});

test('abort(): sending stops, the resume index is reported, and resuming there completes the scan exactly', async () => {
  const whole = await scan(config(ARGS), new SimNet({ tcpOpen: OPEN }), {});
  const sim = new SimNet({ tcpOpen: OPEN });
  const ac = new AbortController();
  const first = await scan(config(ARGS), sim, { signal: ac.signal }, () => { if (sim.total() >= 300) ac.abort(); });
  assert.equal(first.code, 0);
  assert.equal(first.sink.closed, true);
  const types = first.events.map((e) => e.type);
  assert.ok(types.indexOf('stopping') >= 0 && types.indexOf('stopping') < types.indexOf('paused'), types.join(','));
  const paused = first.events.find((e) => e.type === 'paused');
  assert.ok(paused?.type === 'paused');
  const idx = paused.resumeIndex;
  assert.ok(idx >= 300 && idx < 256 * 3, `resume index ${idx}`);
  // Exactly the indices below idx were probed.
  assert.equal(sim.total(), idx);

  const second = await scan({ ...config(ARGS), resumeIndex: idx }, sim, {});
  assert.equal(second.events.some((e) => e.type === 'paused'), false);
  assert.deepEqual([...keys(first.sink.records), ...keys(second.sink.records)].sort(), keys(whole.sink.records));
  assert.equal(sim.probes.size, 256 * 3);
  for (const [k, v] of sim.probes) assert.equal(v, 1, k);
});

test('abort({ now: true }) stops at once with no resume point; progress carries the resume index', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  const ac = new AbortController();
  // A slow rate: the scan would take seconds; the stop must end it well before.
  const cfg = config('10.0.0.0/24 -p22,80,443 --rate 200 --seed 21 --wait 0');
  const t0 = performance.now();
  const r = await scan(cfg, sim, { signal: ac.signal }, () => { if (performance.now() - t0 > 1100) ac.abort({ now: true }); });
  assert.ok(isStopNow(ac.signal.reason));
  assert.equal(r.code, 0);
  assert.ok(performance.now() - t0 < 2500, 'stopped at once');
  assert.ok(sim.total() < 256 * 3, `${sim.total()} probes: the scan was cut short`);
  assert.equal(r.events.some((e) => e.type === 'paused' || e.type === 'stopping'), false);
  const progress = r.events.flatMap((e) => (e.type === 'progress' ? [e.progress] : []));
  assert.ok(progress.length >= 1, 'one progress sample a second');
  const p = progress.at(-1)!;
  assert.equal(p.total, 256 * 3);
  assert.ok(p.sent > 0 && p.sent <= sim.total(), `sent ${p.sent}`);
  assert.ok(p.resumeIndex > 0 && p.resumeIndex <= p.sent, `resume index ${p.resumeIndex}`);
  assert.equal(p.waitLeftSeconds, undefined);
});

test('ScanStopController: first stop() is graceful, the next forces; stopNow() carries { now: true }', () => {
  const a = new ScanStopController();
  a.stop();
  assert.equal(a.signal.aborted, true);
  assert.equal(isStopNow(a.signal.reason), false);
  assert.equal(a.force.aborted, false);
  a.stop();
  assert.equal(a.force.aborted, true);
  assert.equal(isStopNow(a.force.reason), false);
  const b = new ScanStopController();
  b.stopNow();
  assert.equal(isStopNow(b.signal.reason), true);
  const c = new ScanStopController();
  c.stop();
  c.stopNow();
  assert.equal(isStopNow(c.force.reason), true);
});

test('a second stop while sending forces: the scan ends with a resume point', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  const stop = new ScanStopController();
  const cfg = config('10.0.0.0/24 -p22,80,443 --rate 2000 --seed 21 --wait 5');
  let n = 0;
  const t0 = performance.now();
  const r = await scan(cfg, sim, stop, () => {
    if (sim.total() >= 50 && n < 2) { n++; stop.stop(); }
  });
  assert.equal(r.code, 0);
  assert.ok(performance.now() - t0 < 4000, 'did not wait --wait 5');
  const paused = r.events.find((e) => e.type === 'paused');
  assert.ok(paused?.type === 'paused' && paused.resumeIndex > 0 && paused.resumeIndex <= sim.total());
});

/** One inline scan into any sink. */
async function scanInto(sink: import('../../src/engine/sink.js').RecordSink): Promise<number> {
  const link = createMemoryLink({ batch: 64, responder: new SimNet({ tcpOpen: OPEN }).respond, maxQueue: 1 << 20 });
  const env: ScanEnv = {
    nowMs: () => performance.now(), unixMs: () => 1_700_000_000_000, cores: 1,
    inline: { link: LINK, openTx: () => link.tx, rx: link.rx },
  };
  return runScanWith({ ...config(ARGS), txThreads: 1 }, { sink }, env);
}

test('a sink whose close() returns a promise (a database): the scan resolves only after it settles', async () => {
  const order: string[] = [];
  let records = 0;
  const code = await scanInto({
    write: (rs) => { records += rs.length; },
    close: async () => {
      order.push('close called');
      await new Promise((res) => setTimeout(res, 30));
      order.push('close settled');
    },
  });
  order.push('scan resolved');
  assert.equal(code, 0);
  assert.equal(records, 256 * 3);
  assert.deepEqual(order, ['close called', 'close settled', 'scan resolved']);
});

test("a rejected async close() fails the scan with its error; a scan's own error wins over the close's", async () => {
  await assert.rejects(scanInto({ write: () => undefined, close: () => Promise.reject(new Error('last commit failed')) }), /last commit failed/);
  let closed = 0;
  await assert.rejects(scanInto({
    write: () => { throw new Error('disk full'); },
    close: () => { closed++; return Promise.reject(new Error('close failed too')); },
  }), /disk full/);
  assert.equal(closed, 1, 'closed exactly once');
});
