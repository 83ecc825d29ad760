/**
 * `npm pack` installs: the tarball made from a clean copy of the tree (no dist/, no build/,
 * no prebuilds/) installs with `npm install -g` into a temp prefix and works from any
 * directory: `--version`, `--selftest` and a lab scan, with the man page linked and every
 * file that package.json `files` names shipped. Three installs:
 *   - normal: the install script runs and takes the prebuilt addon (no node-gyp);
 *   - `--ignore-scripts`: no script runs at all, and it still scans (the prebuilt addon);
 *   - fallback: the tarball's prebuilt addon replaced by a file that does not load; the
 *     install script builds the addon with node-gyp and the loader passes over the bad file.
 * npm runs `--offline`: the dependencies come from the npm cache that `npm ci` filled.
 * better-sqlite3 (optional) would compile SQLite from source for about two minutes, because
 * prebuild-install cannot download its binary offline; npm gives it its documented local
 * prebuild instead (npm_config_better_sqlite3_local_prebuilds: a tarball of the copy that
 * `npm ci` built for this Node), so its own install script still runs, as it would online.
 * Needs root (the lab): fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, REPO_ROOT, type Lab } from './lab.js';
import { assertExactly, describeRun, linkArgs, readList } from './harness.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a command outside the namespaces (npm, tar), bounded in time, killed by its PID. */
function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, [...args], { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - t0 });
    });
  });
}

function show(r: Run): string {
  return `exit ${r.code} in ${Math.round(r.ms)} ms\n--- stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`;
}

/** Every file under `dir` (relative, '/'-separated), sorted. */
function walk(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(dir, base), { withFileTypes: true })) {
    const rel = base === '' ? e.name : `${base}/${e.name}`;
    if (e.isDirectory()) out.push(...walk(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}

const PKG = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  files: string[];
  man: string[];
};
const PREBUILT = `prebuilds/${process.platform}-${process.arch}/tidescan_native.node`;
/** The installed program finds the same Node as this test (its shebang is `env node`). */
const ENV: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH'] ?? ''}` };

let work: string;
let copy: string;
let tarball: string;
let lab: Lab;
let npmEnv: NodeJS.ProcessEnv;

before(async () => {
  requireRoot();
  work = mkdtempSync(path.join(tmpdir(), 'tidescan-pack-'));
  // A clean copy of the tree: the files git knows (tracked, or new and not ignored), no build
  // output; node_modules is the tree's own (pack needs only typescript from it).
  copy = path.join(work, 'tree');
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: REPO_ROOT })
    .toString('utf8')
    .split('\0')
    .filter((f) => f !== '' && existsSync(path.join(REPO_ROOT, f)) && statSync(path.join(REPO_ROOT, f)).isFile());
  for (const f of listed) {
    mkdirSync(path.dirname(path.join(copy, f)), { recursive: true });
    cpSync(path.join(REPO_ROOT, f), path.join(copy, f));
  }
  symlinkSync(realpathSync(path.join(REPO_ROOT, 'node_modules')), path.join(copy, 'node_modules'));

  // better-sqlite3's local prebuild (see the header), from the copy `npm ci` built for this Node.
  const bsq = path.join(REPO_ROOT, 'node_modules', 'better-sqlite3');
  npmEnv = { ...ENV };
  if (existsSync(path.join(bsq, 'build', 'Release', 'better_sqlite3.node'))) {
    const v = (JSON.parse(readFileSync(path.join(bsq, 'package.json'), 'utf8')) as { version: string }).version;
    const dir = path.join(work, 'bsq-prebuilds');
    mkdirSync(dir);
    const name = `better-sqlite3-v${v}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
    execFileSync('tar', ['czf', path.join(dir, name), '-C', bsq, 'build/Release/better_sqlite3.node']);
    npmEnv['npm_config_better_sqlite3_local_prebuilds'] = dir;
  }

  lab = await createLab({ ipv6: false });
  await lab.startServices({
    tcp: [
      { host: '198.18.0.1', port: 80 },
      { host: '198.18.0.5', port: 443 },
    ],
    lifetimeMs: 5 * 60_000,
  });
});

after(async () => {
  await lab?.destroy();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('npm pack in a clean copy of the tree builds dist and the prebuilt addon; the tarball ships them, the data and the man page', async () => {
  const r = await run('npm', ['pack', '--pack-destination', work, '--foreground-scripts', '--loglevel=warn'], { cwd: copy, env: npmEnv });
  assert.equal(r.code, 0, `npm pack\n${show(r)}`);
  tarball = path.join(work, `${PKG.name}-${PKG.version}.tgz`);
  assert.ok(existsSync(tarball), `no ${tarball}\n${show(r)}`);
  assert.match(r.stdout, new RegExp(`prebuild: ${PREBUILT.replace(/\//g, '\\/')} \\(\\d+ bytes\\)`));
  // postpack removed the prebuilt copy from the tree (it would shadow a later node-gyp build).
  assert.ok(!existsSync(path.join(copy, 'prebuilds')), 'prebuilds/ left in the tree after pack');
  assert.ok(!existsSync(path.join(copy, 'build')), 'pack wrote build/ in the tree (it builds in a scratch copy)');

  const listing = execFileSync('tar', ['tzf', tarball]).toString('utf8').split('\n').filter((l) => l !== '');
  const shipped = new Set(listing.map((l) => l.replace(/^package\//, '')));
  for (const f of ['package.json', 'bin/tidescan.js', 'dist/src/cli/main.js', PREBUILT, 'scripts/install-native.cjs', 'binding.gyp', ...PKG.man.map((m) => path.normalize(m))]) {
    assert.ok(shipped.has(f), `tarball lacks ${f}`);
  }
  // Everything under each `files` entry that exists in the tree is in the tarball (data, man,
  // completion, native sources, and all of dist/src as compiled in the copy).
  for (const entry of PKG.files) {
    const p = path.join(copy, entry);
    if (!existsSync(p)) continue;
    const want = statSync(p).isDirectory() ? walk(p).map((f) => `${entry}/${f}`) : [entry];
    const missing = want.filter((f) => !shipped.has(f));
    assert.deepEqual(missing, [], `files entry ${entry}: not in the tarball`);
  }
  assert.ok([...shipped].some((f) => f.startsWith('dist/src/') && f.endsWith('.js')), 'no compiled JS in the tarball');
  assert.ok(![...shipped].some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'tests or TS sources shipped');
});

/** The tarball with its prebuilt addon replaced by bytes that no loader accepts. */
function brokenTarball(): string {
  const dir = path.join(work, 'broken');
  mkdirSync(dir);
  execFileSync('tar', ['xzf', tarball, '-C', dir]);
  writeFileSync(path.join(dir, 'package', PREBUILT), 'not an ELF shared object\n');
  const out = path.join(work, 'broken.tgz');
  execFileSync('tar', ['czf', out, '-C', dir, 'package']);
  return out;
}

type Variant = 'normal' | 'ignore-scripts' | 'fallback';

for (const variant of ['normal', 'ignore-scripts', 'fallback'] as const satisfies readonly Variant[]) {
  test(`npm install -g (${variant}) into a temp prefix: --version, --selftest and a lab scan from a temp cwd`, async () => {
    assert.ok(tarball, 'no tarball (the pack test failed)');
    const prefix = path.join(work, `prefix-${variant}`);
    const tgz = variant === 'fallback' ? brokenTarball() : tarball;
    const args = ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', '--foreground-scripts', tgz];
    if (variant === 'ignore-scripts') args.splice(args.indexOf('--foreground-scripts'), 1, '--ignore-scripts');
    const inst = await run('npm', args, { cwd: work, env: npmEnv });
    assert.equal(inst.code, 0, `npm ${args.join(' ')}\n${show(inst)}`);

    const home = path.join(prefix, 'lib', 'node_modules', PKG.name);
    const out = inst.stdout + inst.stderr;
    switch (variant) {
      case 'normal':
        assert.match(out, /tidescan: using the prebuilt addon prebuilds\//, `the install script did not take the prebuilt addon\n${show(inst)}`);
        assert.ok(!existsSync(path.join(home, 'build')), 'node-gyp ran although the prebuilt addon loads');
        break;
      case 'ignore-scripts':
        assert.doesNotMatch(out, /tidescan: /, 'the install script ran under --ignore-scripts');
        assert.ok(!existsSync(path.join(home, 'build')), 'build/ exists without scripts');
        break;
      case 'fallback':
        assert.match(out, /does not load here .*building it with node-gyp/, `no fallback message\n${show(inst)}`);
        assert.ok(existsSync(path.join(home, 'build', 'Release', 'tidescan_native.node')), 'node-gyp did not build the addon');
        break;
    }

    // Shipped and installed: every file of every `files` entry, and the man page linked.
    for (const entry of PKG.files) {
      const src = path.join(REPO_ROOT, entry);
      if (!existsSync(src) || entry === 'dist/src') continue;
      const want = statSync(src).isDirectory() ? walk(src).map((f) => `${entry}/${f}`) : [entry];
      for (const f of want) assert.ok(existsSync(path.join(home, f)), `installed package lacks ${f}`);
    }
    assert.ok(existsSync(path.join(home, 'dist', 'src', 'cli', 'main.js')), 'installed package lacks dist/src');
    for (const m of PKG.man) {
      const linked = path.join(prefix, 'share', 'man', 'man1', path.basename(m));
      assert.ok(existsSync(linked), `man page not linked at ${linked}`);
      assert.equal(readFileSync(linked, 'utf8'), readFileSync(path.join(REPO_ROOT, m), 'utf8'), 'installed man page differs');
    }

    const bin = path.join(prefix, 'bin', 'tidescan');
    const cwd = mkdtempSync(path.join(tmpdir(), 'tidescan-cwd-'));
    try {
      const ver = await run(bin, ['--version'], { cwd, env: ENV, timeoutMs: 30_000 });
      // masscan's convention, kept by tidescan: --version (like --help) exits 1.
      assert.equal(ver.code, 1, show(ver));
      assert.match(ver.stdout, new RegExp(`tidescan version ${PKG.version.replace(/\./g, '\\.')}\\b`));
      const self = await run(bin, ['--selftest'], { cwd, env: ENV, timeoutMs: 60_000 });
      assert.equal(self.code, 0, show(self));
      assert.match(self.stdout + self.stderr, /regression test: success/);

      const p = await lab.spawnScanner(bin, [...linkArgs(lab), '198.18.0.0/29', '-p80,443', '--rate', '10000', '--wait', '1', '-oL', 'out.txt'], {
        cwd,
        env: ENV,
        timeoutMs: 60_000,
      });
      const scan = await p.done;
      assert.equal(scan.code, 0, `lab scan with the installed tidescan\n${describeRun(scan)}`);
      const got = await readList(path.join(cwd, 'out.txt'));
      assert.deepEqual(got.bad, []);
      assertExactly(got.records, new Set(['open tcp 80 198.18.0.1', 'open tcp 443 198.18.0.5']), `${variant} install scan`);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
}
