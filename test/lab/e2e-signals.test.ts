/**
 * End to end, interrupted scans: SIGINT mid-scan then `--resume paused.conf` covers the scan
 * exactly; SIGTERM mid-scan leaves every output file parseable by the tools users have (jq,
 * xmllint with nmap's DTD, our --readscan). Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { stat, readFile, access } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { createLab, requireRoot, type Lab, type ExecResult } from './lab.js';
import {
  runTidescan, readList, parseList, assertExactly, withTempDir, describeRun, linkArgs, TIDESCAN_BIN,
} from './harness.js';
import { startScenario, expectTcp, range4, TCP_PORTS, PORTS64, TCP4_OPEN, key } from './scenario.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab();
  await startScenario(lab);
});

after(async () => {
  await lab?.destroy();
});

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Start tidescan, send `sig` once `file` holds at least `minBytes` (or after `maxDelayMs`,
 * or `fixedDelayMs` when given); return the run's result and when the signal went.
 */
async function runAndSignal(
  args: readonly string[],
  dir: string,
  sig: NodeJS.Signals,
  when: { file?: string; minBytes?: number; maxDelayMs?: number; fixedDelayMs?: number },
): Promise<{ r: ExecResult; signalledAtMs: number; exitedBefore: boolean }> {
  const p = await lab.spawnScanner(process.execPath, [TIDESCAN_BIN, ...args], { cwd: dir, timeoutMs: 90_000 });
  const t0 = Date.now();
  let exited = false;
  void p.done.then(() => (exited = true));
  if (when.fixedDelayMs !== undefined) {
    while (!exited && Date.now() - t0 < when.fixedDelayMs) await new Promise((r) => setTimeout(r, 10));
  } else {
    while (!exited && Date.now() - t0 < (when.maxDelayMs ?? 10_000)) {
      if (when.file && (await sizeOf(when.file)) >= (when.minBytes ?? 1)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const signalledAtMs = Date.now() - t0;
  const exitedBefore = exited;
  p.kill(sig);
  return { r: await p.done, signalledAtMs, exitedBefore };
}

test('tidescan @10000 pps: SIGINT mid-scan, then --resume paused.conf: union = the full scan (--show closed)', async () => {
  await withTempDir(async (dir) => {
    const out = path.join(dir, 'out.txt');
    const ips = range4('198.18.0.0', 8192);
    const expected = expectTcp(ips, TCP_PORTS, true);
    const args = [...linkArgs(lab), '198.18.0.0/19', `-p${TCP_PORTS.join(',')}`, '--show', 'closed', '--rate', '10000',
      '--wait', '1', '--seed', '11', '-oL', out];
    // The signal goes once results are on disk (mid-scan: the scan lasts ~3 s); the long bound
    // only covers a slow start on a loaded machine (a signal before the handlers kills it).
    const { r, signalledAtMs } = await runAndSignal(args, dir, 'SIGINT', { file: out, minBytes: 4000, maxDelayMs: 8000 });
    assert.ok(!r.timedOut, describeRun(r));
    assert.ok(await exists(path.join(dir, 'paused.conf')), `no paused.conf after SIGINT at ${signalledAtMs} ms\n${describeRun(r)}`);
    const first = (await readList(out)).records;
    assert.ok(first.length > 0 && first.length < expected.size,
      `SIGINT was not mid-scan: ${first.length} of ${expected.size} records before resume`);
    const r2 = await runTidescan(lab, ['--resume', 'paused.conf'], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r2.code, 0, `--resume paused.conf\n${describeRun(r2)}\n--- paused.conf\n${await readFile(path.join(dir, 'paused.conf'), 'utf8')}`);
    const l = await readList(out);
    assert.deepEqual(l.bad, []);
    // A resume may re-probe what was in flight; the union must be exact.
    assertExactly([...new Set(l.records)], expected,
      `union of interrupted (${first.length}, SIGINT at ${signalledAtMs} ms) + resumed scan\n--- interrupted run\n${describeRun(r)}\n` +
      `--- paused.conf\n${await readFile(path.join(dir, 'paused.conf'), 'utf8')}--- resumed run\n${describeRun(r2)}`);
  });
});

test('tidescan @10000000 pps: SIGINT mid-scan of 198.18.0.0/15 x 64 ports, then --resume: every listener found', async () => {
  await withTempDir(async (dir) => {
    const out = path.join(dir, 'out.txt');
    const expected = new Set(TCP4_OPEN.filter((e) => PORTS64.includes(e.port)).map((e) => key('open', 'tcp', e.port, e.ip)));
    const args = [...linkArgs(lab), '198.18.0.0/15', `-p${PORTS64.join(',')}`, '--rate', '10000000', '--wait', '1',
      '--seed', '12', '-oL', out];
    const { r, signalledAtMs } = await runAndSignal(args, dir, 'SIGINT', { fixedDelayMs: 1500 });
    assert.ok(!r.timedOut, describeRun(r));
    assert.ok(await exists(path.join(dir, 'paused.conf')),
      `no paused.conf after SIGINT at ${signalledAtMs} ms (did the 8.4 M-probe scan end before it?)\n${describeRun(r)}`);
    const r2 = await runTidescan(lab, ['--resume', 'paused.conf'], { cwd: dir, timeoutMs: 90_000 });
    assert.equal(r2.code, 0, describeRun(r2));
    const l = await readList(out);
    assertExactly([...new Set(l.records)], expected, 'union of interrupted + resumed scan');
  });
});

// --- SIGTERM leaves every output parseable ----------------------------------------------------

type Check = (file: string, dir: string) => Promise<void>;

function tool(cmd: string, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, maxBuffer: 256 * 1024 * 1024 });
  return { code: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

const CHECKS: Record<string, Check> = {
  '-oJ': async (f) => {
    const r = tool('jq', ['-e', 'type == "array" and length > 0', f]);
    assert.equal(r.code, 0, `jq rejects the -oJ file: ${r.out.slice(0, 500)}`);
  },
  '-oD': async (f) => {
    const r = tool('jq', ['-e', '-s', 'length > 0 and all(.[]; type == "object" and has("ip"))', f]);
    assert.equal(r.code, 0, `jq rejects the -oD file: ${r.out.slice(0, 500)}`);
  },
  '-oX': async (f) => {
    const r = tool('xmllint', ['--noout', '--dtdvalid', '/usr/share/nmap/nmap.dtd', f]);
    assert.equal(r.code, 0, `xmllint --dtdvalid nmap.dtd rejects the -oX file: ${r.out.slice(0, 800)}`);
  },
  '-oL': async (f) => {
    const l = parseList(await readFile(f, 'utf8'));
    assert.ok(l.hasHeader && l.hasFooter, '-oL: header/footer missing');
    assert.deepEqual(l.bad, [], '-oL: bad lines');
    assert.ok(l.records.length > 0);
  },
  '-oG': async (f) => {
    const lines = (await readFile(f, 'utf8')).split('\n').filter((x) => x !== '');
    // masscan writes `# Masscan 1.3.2 scan initiated`, tidescan `# tidescan 0.1.0 scan initiated ... as: ...`.
    assert.match(lines[0] ?? '', /^# \S+ \S+ scan initiated /);
    assert.match(lines[lines.length - 1] ?? '', /^# \S+ done at /);
    const bad = lines.filter(
      (x) => !x.startsWith('# ') && !/^Timestamp: \d+\tHost: \S+ \(\)\tPorts: \d+\/(open|closed)\/(tcp|udp|icmp|sctp)\/\/[^/]*\/\/$/.test(x),
    );
    assert.deepEqual(bad.slice(0, 5), [], '-oG: bad lines');
    assert.ok(lines.length > 3);
  },
  '-oB': async (f, dir) => {
    const ours = path.join(dir, 'readscan-ours.txt');
    const theirs = path.join(dir, 'readscan-masscan.txt');
    const r = await runTidescan(lab, ['--readscan', f, '--show', 'closed', '-oL', ours], { cwd: dir });
    assert.equal(r.code, 0, `tidescan --readscan of the -oB file\n${describeRun(r)}`);
    const l = await readList(ours);
    assert.ok(l.records.length > 0 && l.bad.length === 0, 'tidescan --readscan: no records');
    const m = await lab.execScanner('masscan', ['--readscan', f, '--show', 'closed', '-oL', theirs], { cwd: dir });
    assert.equal(m.code, 0, `masscan --readscan of our -oB file: ${m.stderr}`);
    assert.deepEqual((await readList(theirs)).records.sort(), [...l.records].sort(), 'masscan and tidescan read our -oB alike');
  },
};

for (const [opt, check] of Object.entries(CHECKS)) {
  test(`tidescan: SIGTERM mid-scan leaves a parseable ${opt} file`, async () => {
    await withTempDir(async (dir) => {
      const out = path.join(dir, `out${opt}`);
      const args = [...linkArgs(lab), '198.18.0.0/19', `-p${TCP_PORTS.join(',')}`, '--show', 'closed', '--rate', '10000',
        '--wait', '1', opt, out];
      const { r, signalledAtMs, exitedBefore } = await runAndSignal(args, dir, 'SIGTERM', { file: out, minBytes: 2000, maxDelayMs: 8000 });
      assert.ok(!exitedBefore, `the scan ended before SIGTERM (${signalledAtMs} ms): not a mid-scan test\n${describeRun(r)}`);
      assert.ok(!r.timedOut, `did not exit after SIGTERM\n${describeRun(r)}`);
      assert.ok((await sizeOf(out)) > 0, `empty ${opt} file after SIGTERM at ${signalledAtMs} ms\n${describeRun(r)}`);
      await check(out, dir);
    });
  });
}
