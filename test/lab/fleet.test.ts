/**
 * The fleet (--k8s-job) in the namespace lab: `tidescan --k8s-job 3 …` prints the manifest;
 * each of its pods is run here as a local process with JOB_COMPLETION_INDEX=0..2 and the
 * pod's env (the Secret's URL as DATABASE_URL), running exactly the container's command line
 * (command + args after Kubernetes' `$(NAME)` expansion; /bin/sh computes the shard), with a
 * `tidescan` on PATH that is this checkout's, each inside the scanner namespace of its own
 * lab (a node, see below).
 *
 * - PostgreSQL: three pods into one throw-away PostgreSQL (test/lab/postgres.ts). The union
 *   of the three shards' rows is the full scan (every open and closed port of the ground
 *   truth, test/lab/scenario.ts), and no port is in two shards.
 * - Retry: one pod is killed (SIGKILL) mid-scan; its row stays `running` with a resume index
 *   below which everything is committed; the same pod command run again takes the row over
 *   (attempt 2) and sends only the rest; the union is still exact.
 * - Files (--k8s-pvc): one -oB file per shard in the working directory (the volume); a pod
 *   killed and run again starts its shard over; `tidescan --merge` of the three files is
 *   the full scan, each record once.
 *
 * Needs root (namespaces, raw sockets, PostgreSQL as the postgres user): fails, never skips.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import type { JobManifest } from '../../src/cli/k8s-job.js';
import { createLab, requireRoot, type ExecResult, type Lab, type LabProcess } from './lab.js';
import { TIDESCAN_BIN, describeRun, assertExactly, readList, runTidescan, withTempDir } from './harness.js';
import { startScenario, expectTcp, intToIp4, ip4ToInt, TCP4_TARGET, TCP_PORTS } from './scenario.js';
import { startPostgres, type ThrowawayPostgres } from './postgres.js';
import { podArgv, podEnv } from '../cli/k8s-pod.js';

const N = 3;
const SECRET = 'fleet-db';

/**
 * One lab per pod: three "nodes", each a scanner namespace with its own link to its own sink
 * (the same ground truth in each). On a cluster the pods run one per node, each with its own
 * address; three processes on one interface and address would see each other's replies (the
 * shards share the seed, so the cookie key, and masscan's default source port is the start
 * time's, the same for processes started in the same second). The manifest names no
 * interface or router: as on a node, each pod finds them from its routes (and ARP).
 */
let labs: Lab[] = [];
let pg: ThrowawayPostgres;
/** A directory holding `tidescan` (this checkout's launcher), first on the pods' PATH. */
let binDir: string;

before(async () => {
  requireRoot();
  const base = `hk${process.pid}`.slice(0, 8);
  for (const n of ['a', 'b', 'c']) {
    const lab = await createLab({ prefix: `${base}${n}`, ipv6: false });
    labs.push(lab);
    await startScenario(lab);
  }
  pg = await startPostgres();
  binDir = mkdtempSync(path.join(tmpdir(), 'tidescan-fleet-bin-'));
  symlinkSync(TIDESCAN_BIN, path.join(binDir, 'tidescan'));
});

after(async () => {
  for (const lab of labs) await lab.destroy();
  labs = [];
  await pg?.stop();
  if (binDir !== undefined) rmSync(binDir, { recursive: true, force: true });
});

const IPS: string[] = [];
for (let i = 0; i < TCP4_TARGET.count; i++) IPS.push(intToIp4(ip4ToInt(TCP4_TARGET.first) + i));
/** Every open and closed port of the scan: what the union of the shards must be. */
const FULL = expectTcp(IPS, TCP_PORTS, true);
const PROBES = TCP4_TARGET.count * TCP_PORTS.length;

/** `tidescan --k8s-job 3 SCAN…` run as a user would; the Job, validated against the schema. */
async function manifest(rate: number, extra: readonly string[] = []): Promise<JobManifest> {
  const r = await runTidescan(labs[0]!, ['--k8s-job', String(N), TCP4_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--show', 'closed',
    '--rate', String(rate), '--wait', '1', '--tx-threads', '1', '--k8s-secret', SECRET, ...extra], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, describeRun(r));
  const job = parseYaml(r.stdout) as JobManifest;
  new Job(job as unknown as ConstructorParameters<typeof Job>[0]).validate();
  assert.equal(job.spec.completions, N);
  return job;
}

/**
 * Pod `index` of the Job as a process in the scanner namespace of `node` (default: its own,
 * labs[index]): its command line, its env.
 */
async function startPod(job: JobManifest, index: number, dbUrl: string | undefined, cwd?: string, node = index): Promise<LabProcess> {
  const env = podEnv(job, index, dbUrl === undefined ? {} : { [`${SECRET}/url`]: dbUrl });
  const argv = podArgv(job, env);
  return labs[node]!.spawnScanner(argv[0]!, argv.slice(1), {
    // A container's env: the pod's, HOME of root, PATH with the image's tidescan.
    env: { ...env, HOME: '/root', PATH: `${binDir}:${path.dirname(process.execPath)}:/usr/sbin:/usr/bin:/sbin:/bin` },
    timeoutMs: 120_000,
    ...(cwd !== undefined ? { cwd } : {}),
  });
}

async function finished(p: LabProcess, what: string): Promise<ExecResult> {
  const r = await p.done;
  assert.equal(r.code, 0, `${what}\n${describeRun(r)}`);
  return r;
}

interface ShardRow { id: number; shard: number; of: number; seed: string; hash: string; status: string; resume: number; attempts: number; sent: number }

function rows(db: string): ShardRow[] {
  const out = pg.psql('SELECT id, shard_index, shard_count, seed, config_hash, status, resume_index, attempts, sent FROM scan ORDER BY shard_index, id', db);
  return out.trim().split('\n').filter((l) => l !== '').map((l) => {
    const [id, shard, of, seed, hash, status, resume, attempts, sent] = l.split('|');
    return { id: Number(id), shard: Number(shard), of: Number(of), seed: seed!, hash: hash!, status: status!, resume: Number(resume), attempts: Number(attempts), sent: Number(sent) };
  });
}

/** Every port_result as `<status> tcp <port> <ip>` with its shard, from the database. */
function results(db: string): { key: string; shard: number }[] {
  const out = pg.psql('SELECT s.shard_index, p.status, p.proto, p.port, host(p.addr) FROM port_result p JOIN scan s ON s.id = p.scan_id', db);
  return out.trim().split('\n').filter((l) => l !== '').map((l) => {
    const [shard, status, proto, port, ip] = l.split('|');
    return { key: `${status} ${proto} ${port} ${ip}`, shard: Number(shard) };
  });
}

/** The union is the full scan, and no port was found by two shards. */
function assertUnion(db: string): void {
  const got = results(db);
  const perShard = new Map<number, number>();
  for (const g of got) perShard.set(g.shard, (perShard.get(g.shard) ?? 0) + 1);
  assertExactly(got.map((g) => g.key), FULL,
    `union of the shards in PostgreSQL (rows per shard ${JSON.stringify([...perShard])}; scan rows ${JSON.stringify(rows(db))})`);
  const shards = new Set(got.map((g) => g.shard));
  assert.deepEqual([...shards].sort(), [1, 2, 3], 'every shard found something');
  const rs = rows(db);
  assert.equal(rs.length, N, 'one scan row per shard');
  assert.deepEqual(rs.map((r) => [r.shard, r.of, r.status]), [[1, N, 'done'], [2, N, 'done'], [3, N, 'done']]);
  assert.equal(new Set(rs.map((r) => r.seed)).size, 1, 'one seed');
  assert.equal(new Set(rs.map((r) => r.hash)).size, 1, 'one index space');
}

test('three pods (JOB_COMPLETION_INDEX=0..2) into one PostgreSQL: the union is the full scan, no overlap', async () => {
  const db = 'fleet_all';
  const url = pg.createDatabase(db);
  const job = await manifest(1500);
  const pods = await Promise.all([0, 1, 2].map((i) => startPod(job, i, url)));
  for (const [i, p] of pods.entries()) await finished(p, `pod ${i}`);
  assertUnion(db);
  const rs = rows(db);
  assert.equal(rs.reduce((n, r) => n + r.sent, 0), PROBES, 'the shards sent every probe once between them');
});

test('a pod killed mid-scan and run again resumes from its shard\'s row, and the union is still exact', async (t) => {
  const db = 'fleet_retry';
  const url = pg.createDatabase(db);
  // 600 pps for the fleet: 200 per pod, about 7 s per shard of ~1365 probes.
  const job = await manifest(600);
  const others = await Promise.all([0, 2].map((i) => startPod(job, i, url)));
  const victim = await startPod(job, 1, url);
  // Killed mid-way: once its row holds a resume index past a few hundred probes.
  const t0 = Date.now();
  const resumeOf = (): number => {
    try {
      return rows(db).find((r) => r.shard === 2)?.resume ?? 0;
    } catch {
      return 0; // the pods have not made the schema yet
    }
  };
  while (resumeOf() < 300 && Date.now() - t0 < 30_000) await new Promise((r) => setTimeout(r, 200));
  victim.kill('SIGKILL');
  const killed = await victim.done;
  assert.equal(killed.signal, 'SIGKILL', describeRun(killed));
  const before = rows(db).find((r) => r.shard === 2)!;
  assert.equal(before.status, 'running', 'the killed pod never ended its row');
  assert.ok(before.resume > 100 && before.resume < PROBES, `a resume index was committed mid-scan: ${before.resume}`);
  // What the killed pod committed is consistent: the shard's rows so far, nothing else.
  for (const [i, p] of others.entries()) await finished(p, `pod ${[0, 2][i]}`);

  // The retried pod: the same command line, the same env, on another node.
  const retry = await finished(await startPod(job, 1, url, undefined, 2), 'retried pod 1 (on node 3)');
  assert.match(retry.stderr, new RegExp(`resuming shard 2/3 from its scan row ${before.id} at index ${before.resume} \\(attempt 2\\)`));
  const afterRows = rows(db);
  const row = afterRows.find((r) => r.shard === 2)!;
  assert.equal(row.id, before.id, 'the same row, taken over');
  assert.equal(row.attempts, 2);
  const shardProbes = Math.ceil(PROBES / N);
  assert.ok(row.sent < shardProbes - 100, `the retry sent only the rest of its shard (${row.sent} of ${shardProbes})`);
  t.diagnostic(`killed at resume index ${before.resume}; the retry sent ${row.sent} of the shard's ${shardProbes} probes`);
  assertUnion(db);

  // Run once more: the row is done, nothing is sent.
  const again = await finished(await startPod(job, 1, url), 'pod 1 once more');
  assert.match(again.stderr, /shard 2\/3 of this scan is done .*nothing to send/);
  assert.equal(rows(db).find((r) => r.shard === 2)!.attempts, 2);
});

test('per-shard -oB files (--k8s-pvc) and --merge: a killed pod starts its shard over, the merge is the full scan once', async () => {
  await withTempDir(async (dir) => {
    const job = await manifest(1200, ['--k8s-pvc', 'fleet-results']);
    assert.equal(job.spec.template.spec.containers[0]!.workingDir, '/results');
    // The working directory of every pod is the shared volume: here, one directory.
    const victim = await startPod(job, 0, undefined, dir);
    const others = await Promise.all([1, 2].map((i) => startPod(job, i, undefined, dir)));
    await new Promise((r) => setTimeout(r, 1200));
    victim.kill('SIGKILL');
    await victim.done;
    for (const [i, p] of others.entries()) await finished(p, `pod ${i + 1}`);
    await finished(await startPod(job, 0, undefined, dir), 'retried pod 0');
    const files = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
    assert.deepEqual(files, ['shard-1-of-3.bin', 'shard-2-of-3.bin', 'shard-3-of-3.bin']);

    // Each shard file alone: shards do not overlap.
    const perShard: string[] = [];
    for (const f of files) {
      const out = path.join(dir, `${f}.txt`);
      const r = await runTidescan(labs[0]!, ['--readscan', path.join(dir, f), '--show', 'closed', '-oL', out], { cwd: dir });
      assert.equal(r.code, 0, describeRun(r));
      const l = await readList(out);
      assert.ok(l.records.length > 0, f);
      perShard.push(...l.records);
    }
    assertExactly(perShard, FULL, 'the three shard files together');

    const merged = path.join(dir, 'all.bin');
    const m = await runTidescan(labs[0]!, ['--merge', ...files.map((f) => path.join(dir, f)), '-oB', merged], { cwd: dir });
    assert.equal(m.code, 0, describeRun(m));
    assert.match(m.stderr, new RegExp(`3 file\\(s\\), ${FULL.size} record\\(s\\) read, ${FULL.size} written, 0 duplicate`));
    const out = path.join(dir, 'all.txt');
    const r = await runTidescan(labs[0]!, ['--readscan', merged, '--show', 'closed', '-oL', out], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    assertExactly((await readList(out)).records, FULL, 'the merged file');
  });
});
