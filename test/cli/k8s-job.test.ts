/**
 * `--k8s-job N`: the Indexed Job manifest. It is validated against Kubernetes' own schemas
 * (kubernetes-models 4, batch/v1 Job), parsed back from the printed YAML, and each pod's
 * command line is run the way a kubelet would (Kubernetes' `$(NAME)` expansion, then
 * `/bin/sh -c`, with a stand-in `tidescan` on PATH that prints its argv), then parsed by
 * tidescan's own parser: shard i+1 of N, one seed, rate/N, and otherwise the configuration
 * that was asked for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { buildJob, jobYaml, jobName, escapeDollar, type JobManifest } from '../../src/cli/k8s-job.js';
import { echoConfig as echoText } from '../../src/cli/echo.js';
import type { ScanConfig } from '../../src/core/config.js';
import { parse, runCli, testIo } from './helpers.js';
import { expandK8s, podArgv, podEnv } from './k8s-pod.js';

const SCAN = ['198.18.0.0/22', '2001:db8::/120', '-p22,80,U:53', '--rate', '3000', '--banners', '--show', 'closed',
  '-e', 'eth1', '--router-mac', '02:50:00:00:00:02', '--http-header', 'X-Test: a $(DATABASE_URL) $$ $HOME'];

function job(extra: string[], scan: string[] = SCAN): { config: ScanConfig; job: JobManifest } {
  const config = parse([...scan, '--seed', '42', ...extra]);
  return { config, job: buildJob(config) };
}

/** Echo lines of a configuration without those a pod sets for itself. */
function echoWithout(c: ScanConfig, names: readonly string[]): string[] {
  return echoText(c).split('\n').filter((l) => {
    const name = l.split('=')[0]!.trim();
    return l.trim() !== '' && !l.startsWith('#') && !names.includes(name);
  });
}

/** Runs a pod's argv with /bin/sh and a stand-in tidescan that prints its arguments as JSON. */
function runPod(argv: readonly string[], env: Readonly<Record<string, string>>): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tidescan-k8s-'));
  try {
    const fake = join(dir, 'tidescan');
    writeFileSync(fake, '#!/usr/bin/env node\nprocess.stdout.write(JSON.stringify(process.argv.slice(2)));\n');
    chmodSync(fake, 0o755);
    assert.equal(argv[0], '/bin/sh');
    const r = spawnSync(argv[0]!, argv.slice(1), {
      encoding: 'utf8',
      env: { ...env, PATH: `${dir}:${process.env['PATH'] ?? '/usr/bin:/bin'}` },
      timeout: 20_000,
    });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the manifest validates against Kubernetes batch/v1 Job (kubernetes-models), both result modes', () => {
  for (const extra of [['--k8s-job', '3'], ['--k8s-job', '5', '--k8s-pvc', 'scan-results', '--k8s-namespace', 'scans',
    '--k8s-image', 'registry.example:5000/tidescan:0.1.0']]) {
    const { job: j } = job(extra);
    assert.doesNotThrow(() => new Job(j as unknown as ConstructorParameters<typeof Job>[0]).validate(), extra.join(' '));
  }
  // The schema check is real: a wrong type or an unknown completion mode fails it.
  const { job: j } = job(['--k8s-job', '3']);
  const bad = JSON.parse(JSON.stringify(j)) as { spec: Record<string, unknown> };
  bad.spec['completions'] = 'three';
  assert.throws(() => new Job(bad as unknown as ConstructorParameters<typeof Job>[0]).validate());
  const noContainers = JSON.parse(JSON.stringify(j)) as { spec: { template: { spec: Record<string, unknown> } } };
  delete noContainers.spec.template.spec['containers'];
  assert.throws(() => new Job(noContainers as unknown as ConstructorParameters<typeof Job>[0]).validate());
});

test('the printed YAML parses back (one document, no aliases) to the same Job, and validates', () => {
  const config = parse([...SCAN, '--seed', '42', '--k8s-job', '4']);
  const text = jobYaml(config);
  const docs = parseAllDocuments(text);
  assert.equal(Array.isArray(docs) ? docs.length : 1, 1);
  assert.ok(!/[&*]a\d/.test(text), 'no YAML anchors or aliases (some tools do not follow them)');
  assert.match(text, /^# tidescan: 4 shards of one scan \(seed 42\)/);
  assert.match(text, /^# The Secret first: kubectl -n default create secret generic tidescan-db --from-literal=url=postgres:/m);
  assert.match(jobYaml(parse([...SCAN, '--seed', '42', '--k8s-job', '4', '--k8s-pvc', 'res'])), /^# Then, .*tidescan --merge shard-\*-of-4\.bin -oB all\.bin$/m);
  const back = parseYaml(text) as unknown;
  assert.deepEqual(back, JSON.parse(JSON.stringify(buildJob(config))));
  assert.doesNotThrow(() => new Job(back as ConstructorParameters<typeof Job>[0]).validate());
});

test('Indexed, N completions and parallelism, per-index backoff, Never, raw-socket capabilities, host network, one pod per node', () => {
  const { job: j } = job(['--k8s-job', '7']);
  assert.equal(j.spec.completionMode, 'Indexed');
  assert.equal(j.spec.completions, 7);
  assert.equal(j.spec.parallelism, 7);
  assert.ok(j.spec.backoffLimitPerIndex >= 1);
  const pod = j.spec.template.spec;
  assert.equal(pod.restartPolicy, 'Never', 'backoffLimitPerIndex needs restartPolicy Never');
  assert.equal(pod.hostNetwork, true);
  assert.equal(pod.dnsPolicy, 'ClusterFirstWithHostNet', 'Service names must resolve with host networking');
  assert.deepEqual([...pod.containers[0]!.securityContext.capabilities.add].sort(), ['NET_ADMIN', 'NET_RAW']);
  const anti = pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution;
  assert.equal(anti.length, 1);
  assert.equal(anti[0]!.topologyKey, 'kubernetes.io/hostname');
  // The selector selects the Job's own pods (their template labels), and only this Job's.
  for (const [k, v] of Object.entries(anti[0]!.labelSelector.matchLabels)) {
    assert.equal(j.spec.template.metadata.labels[k], v, k);
  }
  assert.equal(j.metadata.name, jobName(42n));
  assert.equal(anti[0]!.labelSelector.matchLabels['app.kubernetes.io/instance'], j.metadata.name);
  assert.equal(j.metadata.namespace, 'default');
  assert.equal(pod.containers[0]!.image, 'tidescan:latest');
});

test('per-shard -oB files on a claim: each pod runs shard i+1/N, one seed, rate/N, the same scan otherwise', () => {
  const n = 3;
  const { config, job: j } = job(['--k8s-job', String(n), '--k8s-pvc', 'scan-results']);
  const pod = j.spec.template.spec;
  assert.deepEqual(pod.volumes, [{ name: 'results', persistentVolumeClaim: { claimName: 'scan-results' } }]);
  assert.deepEqual(pod.containers[0]!.volumeMounts, [{ name: 'results', mountPath: '/results' }]);
  assert.equal(pod.containers[0]!.workingDir, '/results', 'the files are written on the volume');
  assert.ok(!pod.containers[0]!.env.some((e) => e.name === 'DATABASE_URL'), 'no database in file mode');
  const want = echoWithout(config, ['seed', 'rate', 'shard']);
  const files = new Set<string>();
  for (let i = 0; i < n; i++) {
    const env = podEnv(j, i);
    const argv = runPod(podArgv(j, env), env);
    const c = parse(argv, testIo());
    assert.deepEqual(c.shard, { one: i + 1, of: n }, `pod ${i}`);
    assert.equal(c.seed, 42n);
    assert.equal(c.rate, 1000);
    assert.equal(c.outputs.length, 1);
    assert.equal(c.outputs[0]!.format, 'binary');
    assert.equal(c.outputs[0]!.filename, `shard-${i + 1}-of-${n}.bin`);
    files.add(c.outputs[0]!.filename);
    // Everything else is the configuration asked for (the `$` of the header arrived intact).
    assert.deepEqual(echoWithout(c, ['seed', 'rate', 'shard', 'output-filename', 'output-format']), want);
    // (--echo writes `X-Test:a`: a header value's leading blank is not part of it.)
    assert.deepEqual(c.httpHeaders, [['X-Test', 'a $(DATABASE_URL) $$ $HOME']]);
  }
  assert.equal(files.size, n, 'one file per shard');
});

test('PostgreSQL mode: the URL comes from the Secret key `url` and reaches --output-filename untouched', () => {
  const n = 2;
  const { job: j } = job(['--k8s-job', String(n), '--k8s-secret', 'scan-db']);
  const c = j.spec.template.spec.containers[0]!;
  assert.deepEqual(c.env.find((e) => e.name === 'DATABASE_URL'), { name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'scan-db', key: 'url' } } });
  assert.equal(j.spec.template.spec.volumes, undefined);
  const url = 'postgres://u:p$w%40rd@db.scans.svc:5432/scans';
  for (let i = 0; i < n; i++) {
    const env = podEnv(j, i, { 'scan-db/url': url });
    const argv = runPod(podArgv(j, env), env);
    const at = argv.indexOf('--output-filename');
    assert.ok(at > 0);
    assert.equal(argv[at + 1], url);
    assert.equal(argv[argv.indexOf('--output-format') + 1], 'postgres');
    assert.equal(argv[argv.indexOf('--shards') + 1], `${i + 1}/${n}`);
    assert.ok(argv.includes('--store-resume'), 'a retried pod resumes from its row');
    assert.ok(argv.includes('--seed=42'));
    assert.ok(argv.includes('--rate=1500'));
    const c = parse(argv, testIo());
    assert.deepEqual(c.outputs, [{ format: 'postgres', filename: url }]);
    assert.equal(c.storeResume, true);
    assert.deepEqual(c.shard, { one: i + 1, of: n });
    assert.equal(c.seed, 42n);
  }
});

test('--store-resume given to --k8s-job is the Job\'s to set: on with PostgreSQL, off with files', () => {
  const pgJob = job(['--k8s-job', '2', '--store-resume']).job;
  assert.deepEqual(pgJob.spec.template.spec.containers[0]!.args.filter((a) => a.includes('store-resume')), []);
  assert.match(pgJob.spec.template.spec.containers[0]!.command[2]!, /--store-resume/);
  const { job: j } = job(['--k8s-job', '2', '--store-resume', '--k8s-pvc', 'r']);
  const env = podEnv(j, 0);
  const c = parse(runPod(podArgv(j, env), env), testIo());
  assert.equal(c.storeResume, false);
  assert.equal(c.outputs[0]!.format, 'binary');
});

test("Kubernetes' $(NAME) expansion as the tests model it: $$, unknown names, the shard arithmetic", () => {
  const env = { A: 'x', JOB_COMPLETION_INDEX: '2' };
  assert.equal(expandK8s('$(A)-$$(A)-$(B)-$A-$', env), 'x-$(A)-$(B)-$A-$');
  assert.equal(expandK8s('$((JOB_COMPLETION_INDEX + 1))/3', env), '$((JOB_COMPLETION_INDEX + 1))/3');
  assert.equal(expandK8s(escapeDollar('a$(A)b$$c'), env), 'a$(A)b$$c');
});

test('no --seed: a random seed is chosen at generation and written into every pod', () => {
  const a = runCli(['--k8s-job', '2', '198.18.0.0/24', '-p80']);
  const b = runCli(['--k8s-job', '2', '198.18.0.0/24', '-p80']);
  assert.equal(a.status, 0, a.stderr);
  assert.equal(b.status, 0, b.stderr);
  const seedOf = (y: string): string => {
    const j = parseYaml(y) as JobManifest;
    const s = j.spec.template.spec.containers[0]!.args.find((x) => x.startsWith('--seed='));
    assert.ok(s !== undefined);
    return s.slice('--seed='.length);
  };
  assert.match(seedOf(a.stdout), /^[0-9]+$/);
  assert.notEqual(seedOf(a.stdout), seedOf(b.stdout));
  assert.equal(a.stderr, '', 'no shard warning: the seed is set');
});

test('what a Job cannot carry is refused with one line, exit 1', () => {
  const cases: [string[], RegExp][] = [
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '-oB', 'x.bin'], /--k8s-job: the pods write their own results/],
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '--shards', '1/2', '--seed', '1'], /--k8s-job: --k8s-job N makes the N shards itself/],
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '--resume-index', '5'], /--resume-index/],
    [['--k8s-job', '0', '198.18.0.0/24', '-p80'], /--k8s-job "0": expected 1 to 100000 pods/],
    [['--k8s-job', 'many', '198.18.0.0/24', '-p80'], /--k8s-job "many"/],
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '--k8s-namespace', 'Bad_NS'], /--k8s-namespace "Bad_NS": expected a Kubernetes name/],
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '--k8s-image', 'a b'], /--k8s-image "a b": expected an image reference/],
    [['198.18.0.0/24', '-p80', '--k8s-image', 'x:1'], /--k8s-image: only with --k8s-job N/],
    [['--k8s-job', '3', '-p80'], /target/i],
    [['--k8s-job', '3', '198.18.0.0/24', '-p80', '--nmap-payloads', '/etc/hostname'], /--nmap-payloads names a local file/],
  ];
  for (const [argv, re] of cases) {
    const r = runCli(argv);
    assert.equal(r.status, 1, argv.join(' '));
    assert.equal(r.stdout, '', argv.join(' '));
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, re, argv.join(' '));
  }
});
