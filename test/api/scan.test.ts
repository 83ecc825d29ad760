/**
 * scan() over the simulated network of the engine tests (test/engine/scan-sim.ts: the memory
 * adapter, answered like a small Internet; no packet leaves the process): the iterator and
 * its record kinds, the events, the bounded queue and `dropped`, option errors with the
 * command line's codes and messages, and abort, break and resume.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLink } from '../../src/adapter/memory.js';
import { runScanWith, type ScanEnv } from '../../src/engine/scan.js';
import { scanWith, type ScanJob, type ScanRunner } from '../../src/api/scan.js';
import type { ScanOptions } from '../../src/api/options.js';
import type { ScanRecord } from '../../src/api/records.js';
import { ScanError } from '../../src/error.js';
import { SimNet, simConfig, simLink } from '../engine/scan-sim.js';

const OPEN = ['10.0.0.1:80', '10.0.0.200:22', '10.0.0.77:443', '10.0.0.128:80', '10.0.0.5:22', '10.0.0.250:443'];
const BASE: ScanOptions = { targets: '10.0.0.0/24', ports: [22, 80, 443], rate: 1_000_000, seed: 21n, wait: 0 };

/** The engine over the simulated link, in this thread (the engine tests' way). */
function simRunner(sim: SimNet, onRound?: () => void, recordRingCapacity?: number): ScanRunner {
  return (config, options) => {
    const link = createMemoryLink({ batch: 64, responder: sim.respond, maxQueue: 1 << 20 });
    const env: ScanEnv = {
      nowMs: () => performance.now(),
      unixMs: () => 1_700_000_000_000,
      cores: 1,
      inline: { link: simLink(), openTx: () => link.tx, rx: link.rx, onRound, recordRingCapacity },
    };
    return runScanWith({ ...config, txThreads: 1 }, options, env);
  };
}

async function collect(job: ScanJob): Promise<ScanRecord[]> {
  const out: ScanRecord[] = [];
  for await (const r of job) out.push(r);
  return out;
}

function portKeys(rs: readonly ScanRecord[]): string[] {
  return rs.map((r) => `${r.kind} ${r.proto} ${r.kind === 'banner' || r.kind === 'service' ? r.service : r.status} ${r.addr}:${r.port}`).sort();
}

/** What the job reported, by event type. */
function recordEvents(job: ScanJob): Map<string, unknown[]> {
  const seen = new Map<string, unknown[]>();
  for (const t of ['start', 'progress', 'note', 'warning', 'stopping', 'paused', 'end']) {
    seen.set(t, []);
    job.addEventListener(t, (e) => { seen.get(t)!.push((e as CustomEvent<unknown>).detail); });
  }
  return seen;
}

test('for await yields typed port records; events fire; done resolves with the counts', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  const job = scanWith(BASE, simRunner(sim));
  const events = recordEvents(job);
  const records = await collect(job);
  const summary = await job.done;
  assert.equal(records.length, 256 * 3);
  const open = records.filter((r) => r.kind === 'port' && r.status === 'open');
  assert.deepEqual(open.map((r) => `${r.addr}:${r.port}`).sort(), [...OPEN].sort());
  const r = open[0]!;
  assert.ok(r.kind === 'port');
  assert.equal(r.proto, 'tcp');
  assert.equal(r.ipProto, 6);
  assert.equal(r.reason, 'syn-ack');
  assert.equal(r.ttl, 57);
  assert.ok(r.time instanceof Date);
  assert.equal(r.time.getTime(), 1_700_000_000_000);
  const closed = records.find((x) => x.kind === 'port' && x.status === 'closed');
  assert.ok(closed?.kind === 'port' && closed.reason === 'rst-ack');
  assert.deepEqual(summary, { sent: 768, replies: 768, found: 6, kernelDrops: 0, aborted: false, resumeIndex: undefined, dropped: 0 });
  assert.deepEqual(events.get('start'), [{ time: new Date(1_700_000_000_000), scan: 'syn', hosts: 256, portsPerHost: 3 }]);
  assert.deepEqual(events.get('end'), [summary]);
  assert.deepEqual(events.get('note'), ['1 transmit thread on sim0']);
  assert.equal(events.get('paused')!.length, 0);
});

test('progress events carry percent, etaMs, pps, sent, replies, found, kernelDrops, resumeIndex', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  // A slow scan: 768 probes at 500/s, about 1.5 s, so at least one sample is taken.
  const job = scanWith({ ...BASE, rate: 500 }, simRunner(sim));
  const progress: unknown[] = [];
  job.addEventListener('progress', (e) => {
    const d = e.detail;
    // Typed: these are numbers (the map gives the detail its type).
    progress.push({ keys: Object.keys(d).sort(), ok: d.percent >= 0 && d.percent <= 100 && d.sent <= d.total && d.resumeIndex <= d.sent });
  });
  await collect(job);
  assert.ok(progress.length >= 1, 'a sample a second');
  for (const p of progress) {
    assert.deepEqual(p, {
      keys: ['dropped', 'etaMs', 'found', 'kernelDrops', 'percent', 'pps', 'replies', 'resumeIndex', 'sent', 'total', 'waitLeftMs'],
      ok: true,
    });
  }
});

test('host records: ICMP echo (--ping) and ARP (--arpscan, with the MAC); UDP and SCTP port records', async () => {
  const mac = new Uint8Array([0x02, 0x50, 0, 0, 0, 0x77]);
  const sim = new SimNet({
    ping: ['10.0.0.9'], arp: new Map([['10.0.0.10', mac]]), udpOpen: ['10.0.0.9:53'], sctpOpen: ['10.0.0.9:38412'],
  });
  const ping = await collect(scanWith({ ...BASE, targets: '10.0.0.8/30', ports: undefined, ping: true }, simRunner(sim)));
  assert.deepEqual(ping.map((r) => ({ ...r, time: 0 })), [
    { kind: 'host', addr: '10.0.0.9', port: 0, proto: 'icmp', ipProto: 1, status: 'up', reason: 'none', ttl: 57, time: 0 },
  ]);
  const arp = await collect(scanWith({ ...BASE, targets: '10.0.0.8/30', ports: undefined, arp: true }, simRunner(sim)));
  assert.equal(arp.length, 1);
  assert.ok(arp[0]!.kind === 'host');
  assert.equal(arp[0]!.proto, 'arp');
  assert.equal(arp[0]!.mac, '02:50:00:00:00:77');
  assert.equal(arp[0]!.addr, '10.0.0.10');
  const other = await collect(scanWith({ ...BASE, targets: '10.0.0.9', ports: 'U:53,U:54,S:38412' }, simRunner(sim)));
  assert.deepEqual(portKeys(other), [
    'port sctp open 10.0.0.9:38412', 'port udp closed 10.0.0.9:54', 'port udp open 10.0.0.9:53',
  ]);
});

test('a slow consumer: the queue holds bufferSize records, the rest are counted in dropped', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  const job = scanWith({ ...BASE, bufferSize: 100 }, simRunner(sim));
  // Nobody reads until the scan is over.
  const summary = await job.done;
  assert.equal(job.buffered, 100);
  assert.equal(summary.dropped, 768 - 100);
  assert.equal(summary.aborted, false);
  const records = await collect(job);
  assert.equal(records.length, 100);
  // A consumer that keeps up loses nothing, with a small queue too.
  const job2 = scanWith({ ...BASE, bufferSize: 8 }, simRunner(new SimNet({ tcpOpen: OPEN })));
  let n = 0;
  for await (const _ of job2) n++;
  const s2 = await job2.done;
  assert.equal(n + s2.dropped, 768);
});

test('records the engine\'s record ring could not hold are counted in dropped too (progress and summary)', async () => {
  // A ring of 16 records and 64 replies a round: the receiver finds more than the ring holds
  // before the main thread drains it, and drops the rest after waiting 20 ms for room.
  // The 2 s wait after sending gives at least one progress sample once every reply is in.
  const job = scanWith({ ...BASE, targets: '10.0.0.0/26', bufferSize: 100_000, wait: 2 }, simRunner(new SimNet({ tcpOpen: OPEN }), undefined, 16));
  const events = recordEvents(job);
  const records = await collect(job);
  const summary = await job.done;
  assert.ok(summary.dropped > 0, 'the ring dropped records');
  assert.equal(records.length + summary.dropped, 64 * 3, 'every record found is yielded or counted');
  assert.equal(job.buffered, 0);
  const progress = (events.get('progress') as { dropped: number; percent: number }[]).map((p) => [p.percent, p.dropped]);
  assert.ok(progress.length >= 1, 'no progress sample');
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i]![1]! >= progress[i - 1]![1]!, `dropped never falls: ${JSON.stringify(progress)}`);
  // the ring's drops reach progress, not only the summary: the last sample has them all
  assert.deepEqual(progress.at(-1), [100, summary.dropped], JSON.stringify(progress));
});

test('bad options throw from scan() with the command line code and message', () => {
  const cli = (args: string): ScanError => {
    try {
      simConfig(args);
    } catch (e) {
      assert.ok(e instanceof ScanError);
      return e;
    }
    throw new Error(`the command line took ${args}`);
  };
  // Never the real engine here: options that parse would start a scan.
  const refuse: ScanRunner = () => Promise.reject(new Error('the scan was started'));
  const api = (o: Record<string, unknown>): ScanError => {
    try {
      scanWith(o as unknown as ScanOptions, refuse);
    } catch (e) {
      assert.ok(e instanceof ScanError, String(e));
      return e;
    }
    throw new Error(`scan() took ${JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}`);
  };
  const pairs: [Record<string, unknown>, string][] = [
    [{ targets: '10.0.0.0/33', ports: 80 }, '--range 10.0.0.0/33 -p80'],
    [{ targets: '10.0.0.1', ports: '80,70000' }, '--range 10.0.0.1 --ports 80,70000'],
    // trailing text in a port list is refused, not cut (`80,x` once scanned 80 alone)
    [{ targets: '10.0.0.1', ports: '80,x' }, '--range 10.0.0.1 --ports 80,x'],
    [{ targets: '10.0.0.1', ports: [80, 'x'] }, '--range 10.0.0.1 --ports 80,x'],
    [{ targets: '10.0.0.1', ports: [80, ''] }, '--range 10.0.0.1 --ports 80,'],
    [{ targets: '10.0.0.1', ports: 80, excludePorts: '81,x' }, '--range 10.0.0.1 -p80 --exclude-ports 81,x'],
    [{ targets: '10.0.0.1', ports: 80, rate: -5 }, '--range 10.0.0.1 -p80 --rate -5'],
    [{ targets: '10.0.0.1', ports: 80, shard: { index: 5, count: 4 } }, '--range 10.0.0.1 -p80 --shard 5/4'],
    [{ targets: '10.0.0.1', ports: 80, adapter: { name: 'eth0', routerMac: 'zz' } }, '--range 10.0.0.1 -p80 --adapter eth0 --router-mac zz'],
    [{ targets: '10.0.0.1', ports: 80, seed: -1 }, '--range 10.0.0.1 -p80 --seed -1'],
    [{ targets: '10.0.0.1' }, '--range 10.0.0.1'],
    [{ targets: '10.0.0.1', ports: 80, arp: true }, '--range 10.0.0.1 -p80 --arpscan'],
  ];
  for (const [o, args] of pairs) {
    const a = api(o);
    const c = cli(args);
    assert.equal(a.code, c.code, args);
    assert.equal(a.message, c.message, args);
    assert.match(a.code, /^ERR_/);
  }
  // The library's own checks: a code too, and the field named.
  const cases: [Record<string, unknown>, string, RegExp][] = [
    [{ targets: '10.0.0.1', ports: 80, rate: '100' }, 'ERR_BAD_OPTION', /^rate: "100": expected a number/],
    [{ targets: '10.0.0.1', ports: 80, bogus: 1 }, 'ERR_USAGE', /^unknown option: bogus/],
    [{ targets: '10.0.0.1', ports: 80, adapter: { nme: 'eth0' } }, 'ERR_USAGE', /^unknown option: adapter\.nme/],
    [{ targets: '10.0.0.1', ports: 80, bufferSize: 0 }, 'ERR_BAD_OPTION', /^bufferSize: 0: expected an integer/],
    [{ targets: '10.0.0.1', ports: 80, signal: {} }, 'ERR_BAD_OPTION', /^signal: /],
    [{ ports: 80 }, 'ERR_EMPTY_TARGETS', /^targets: /],
    [{ targets: [10], ports: 80 }, 'ERR_BAD_OPTION', /^targets: 10: expected a string/],
    [{ targets: '10.0.0.1', ports: 80, seed: 2 ** 60 }, 'ERR_BAD_OPTION', /^seed: /],
  ];
  for (const [o, code, re] of cases) {
    const e = api(o);
    assert.equal(e.code, code, e.message);
    assert.match(e.message, re);
  }
  assert.throws(() => scanWith(null as unknown as ScanOptions, refuse), (e: unknown) => e instanceof ScanError && e.code === 'ERR_BAD_OPTION');
});

test('a failure while running rejects done and is thrown by the iterator after the records before it', async () => {
  const boom: ScanRunner = async (_config, options) => {
    const sink = typeof options.sink === 'function' ? options.sink({ unixMs: 0 }) : options.sink;
    sink.write([{ kind: 'status', timestamp: 1, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, status: 'open', reason: 0x12, ttl: 64 }]);
    await new Promise((r) => setTimeout(r, 5));
    throw new ScanError('ERR_ADAPTER', 'eth9: no such interface');
  };
  const job = scanWith(BASE, boom);
  const got: ScanRecord[] = [];
  await assert.rejects(async () => { for await (const r of job) got.push(r); }, (e: unknown) => e instanceof ScanError && e.code === 'ERR_ADAPTER');
  assert.equal(got.length, 1);
  await assert.rejects(job.done, /eth9: no such interface/);
  // An ignored failing job does not end the process with an unhandled rejection.
  scanWith(BASE, boom);
  await new Promise((r) => setTimeout(r, 30));
});

test('abort(): done reports aborted and the exact resumeIndex; resuming there probes exactly the rest', async () => {
  const whole = await collect(scanWith(BASE, simRunner(new SimNet({ tcpOpen: OPEN }))));
  const sim = new SimNet({ tcpOpen: OPEN });
  const ac = new AbortController();
  const job = scanWith({ ...BASE, signal: ac.signal }, simRunner(sim, () => { if (sim.total() >= 300) ac.abort(); }));
  const events = recordEvents(job);
  const first = await collect(job);
  const s1 = await job.done;
  assert.equal(s1.aborted, true);
  assert.ok(s1.resumeIndex !== undefined && s1.resumeIndex >= 300 && s1.resumeIndex < 768, `resume ${s1.resumeIndex}`);
  assert.equal(sim.total(), s1.resumeIndex, 'exactly the indices below resumeIndex were probed');
  assert.deepEqual(events.get('paused'), [{ resumeIndex: s1.resumeIndex }]);
  assert.equal(events.get('stopping')!.length, 1);

  const job2 = scanWith({ ...BASE, resume: { index: s1.resumeIndex } }, simRunner(sim));
  const second = await collect(job2);
  const s2 = await job2.done;
  assert.equal(s2.aborted, false);
  assert.equal(s2.resumeIndex, undefined);
  assert.deepEqual(portKeys([...first, ...second]), portKeys(whole));
  assert.equal(sim.probes.size, 768);
  for (const [k, v] of sim.probes) assert.equal(v, 1, k);
});

test('break stops the scan at once and resumeIndex resumes it: every probe exactly once over both runs', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  // 2000 probes/s: about 0.4 s of sending; break comes after the first records.
  const opts: ScanOptions = { ...BASE, rate: 2000, wait: 5 };
  const job = scanWith(opts, simRunner(sim));
  const t0 = performance.now();
  let taken = 0;
  for await (const _ of job) {
    if (++taken === 20) break;
  }
  // The loop's break waits for the scan to let go of everything: done is settled by now.
  const s1 = await job.done;
  assert.ok(performance.now() - t0 < 3000, 'break did not wait out --wait 5');
  assert.equal(s1.aborted, true);
  assert.ok(s1.resumeIndex !== undefined && s1.resumeIndex >= 20 && s1.resumeIndex < 768, `resume ${s1.resumeIndex}`);
  assert.equal(sim.total(), s1.resumeIndex);
  const job2 = scanWith({ ...opts, rate: 1_000_000, wait: 0, resume: { index: s1.resumeIndex } }, simRunner(sim));
  const rest = await collect(job2);
  assert.equal(rest.length, 768 - s1.resumeIndex);
  assert.equal(sim.probes.size, 768);
  for (const [k, v] of sim.probes) assert.equal(v, 1, k);
});

test('job.stop() ends a scan nobody iterates; an aborted signal at the start sends nothing', async () => {
  const sim = new SimNet({ tcpOpen: OPEN });
  const job = scanWith({ ...BASE, rate: 1000 }, simRunner(sim));
  job.addEventListener('start', () => setTimeout(() => job.stop(), 50), { once: true });
  const s = await job.done;
  assert.equal(s.aborted, true);
  assert.ok(s.resumeIndex !== undefined && s.resumeIndex < 768);
  assert.deepEqual(await collect(job), [], 'stop() discards what was not taken');

  const ac = new AbortController();
  ac.abort();
  const sim2 = new SimNet({});
  const job2 = scanWith({ ...BASE, signal: ac.signal, resume: { index: 7 } }, simRunner(sim2));
  assert.deepEqual(await job2.done, { sent: 0, replies: 0, found: 0, kernelDrops: 0, aborted: true, resumeIndex: 7, dropped: 0 });
  assert.equal(sim2.total(), 0);
});

test('a job is iterated once; parse warnings become warning events', async () => {
  const job = scanWith({ ...BASE, shard: { index: 1, count: 2 }, seed: undefined }, simRunner(new SimNet({})));
  const warnings: string[] = [];
  job.addEventListener('warning', (e) => warnings.push(e.detail));
  const it = job[Symbol.asyncIterator]();
  assert.throws(() => job[Symbol.asyncIterator](), (e: unknown) => e instanceof ScanError && e.code === 'ERR_USAGE');
  while (!(await it.next()).done) { /* drain */ }
  const s = await job.done;
  assert.equal(s.sent, 384, 'one shard of two');
  assert.deepEqual(warnings, ['[-] WARNING: --seed <num> is not specified', '    HINT: all shards must share the same seed']);
});
