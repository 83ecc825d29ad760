/**
 * The published package as a consumer sees it: `npm pack` of this tree (dist/ as built),
 * unpacked into a throw-away consumer project's node_modules/tidescan, and
 *  - a consumer that uses the API as the README shows compiles with the repository's tsc
 *    (strict, NodeNext, no skipLibCheck: our .d.ts files are checked too), and runs
 *    (listTargets and readScan: nothing touches the network);
 *  - wrong uses fail to compile, each with the error expected at its line;
 *  - deep imports are closed by `exports`;
 *  - publint and @arethetypeswrong/cli pass on the tarball. attw runs with the `esm-only`
 *    profile: tidescan is an ES module package (`"type": "module"`, no CommonJS build), so a
 *    CommonJS `require('tidescan')` under node16 resolution is expected to need a dynamic
 *    import; the profile ignores only that (and node10, which cannot read `exports`).
 * Needs the build (npx tsc -p .) to be current: the tarball holds dist/src.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(REPO, 'node_modules', '.bin');

let dir: string;
let tarball: string;
let consumer: string;

interface Run { code: number; out: string }

function run(cmd: string, args: readonly string[], cwd: string, timeoutMs = 50_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, out: `${stdout}${stderr}` });
      });
  });
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-pack-'));
  const r = await run('npm', ['pack', '--ignore-scripts', '--offline', '--silent', '--pack-destination', dir], REPO);
  assert.equal(r.code, 0, r.out);
  const tgz = readdirSync(dir).filter((f) => f.endsWith('.tgz'));
  assert.equal(tgz.length, 1, r.out);
  tarball = path.join(dir, tgz[0]!);
  consumer = path.join(dir, 'consumer');
  const pkg = path.join(consumer, 'node_modules', 'tidescan');
  mkdirSync(pkg, { recursive: true });
  const x = await run('tar', ['-xzf', tarball, '-C', pkg, '--strip-components=1'], dir);
  assert.equal(x.code, 0, x.out);
  // The package's own dependencies and Node's types, as an install would provide them.
  mkdirSync(path.join(consumer, 'node_modules', '@types'), { recursive: true });
  symlinkSync(path.join(REPO, 'node_modules', '@types', 'node'), path.join(consumer, 'node_modules', '@types', 'node'));
  for (const dep of ['yaml', 'pg', 'echarts']) {
    symlinkSync(path.join(REPO, 'node_modules', dep), path.join(consumer, 'node_modules', dep));
  }
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
});

after(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

function tsconfig(files: readonly string[]): string {
  return JSON.stringify({
    compilerOptions: {
      target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2022'], types: ['node'], strict: true,
      skipLibCheck: false, outDir: 'out', declaration: false,
    },
    files,
  });
}

const GOOD = `
import { scan, listTargets, readScan, ScanError, type ScanRecord, type ScanOptions, type ScanSummary } from 'tidescan';

export function describe(r: ScanRecord): string {
  switch (r.kind) {
    case 'port': return \`\${r.addr}:\${r.port}/\${r.proto} \${r.status} \${r.reason} ttl=\${r.ttl} \${r.time.toISOString()}\`;
    case 'host': return \`\${r.addr} up (\${r.proto}\${r.mac !== undefined ? ' ' + r.mac : ''})\`;
    case 'banner': return \`\${r.addr}:\${r.port} \${r.service} \${r.banner} (\${r.bytes.length} bytes)\`;
    case 'service': return \`\${r.addr}:\${r.port} is \${r.service} (\${r.handshakes} handshakes)\`;
  }
}

export async function example(ac: AbortController): Promise<ScanSummary> {
  const options: ScanOptions = {
    targets: ['10.0.0.0/24', '2001:db8::/120'], ports: 'T:80,443,U:53', rate: 10_000, banners: true, seed: 42n,
    shard: { index: 1, count: 4 }, adapter: { name: 'eth0', routerMac: '02:00:00:00:00:01' }, signal: ac.signal, bufferSize: 1024,
  };
  const job = scan(options);
  job.addEventListener('progress', (e) => {
    const p = e.detail;
    const n: number = p.percent + p.etaMs + p.pps + p.sent + p.replies + p.found + p.kernelDrops + p.resumeIndex;
    void n;
  });
  job.addEventListener('paused', (e) => { const i: number = e.detail.resumeIndex; void i; });
  for await (const r of job) describe(r);
  const s = await job.done;
  const next = scan({ ...options, resume: { index: s.resumeIndex ?? 0 } });
  next.stop();
  return s;
}

const planned: string[] = [];
for await (const t of listTargets({ targets: '10.0.0.0/30', ports: '80,U:53', seed: 1n })) planned.push(\`\${t.addr} \${t.proto}/\${t.port}\`);
try {
  scan({ targets: '10.0.0.0/33', ports: 80 });
} catch (e) {
  if (e instanceof ScanError) planned.push(e.code);
}
try {
  for await (const r of readScan('/nonexistent/scan.bin')) describe(r);
} catch (e) {
  if (e instanceof ScanError) planned.push(e.code);
}
console.log(JSON.stringify(planned));
`;

/** The README's "As a library" example, as a consumer would paste it. */
function readmeExample(): string {
  const readme = readFileSync(path.join(REPO, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## As a library'));
  const m = /```ts\n([\s\S]*?)```/.exec(section);
  assert.ok(m !== null, 'the README has an "As a library" example');
  return `${m[1]}\nexport {};\n`;
}

test('a consumer project compiles against the packed tarball (with the README example) and runs', { timeout: 60_000 }, async () => {
  writeFileSync(path.join(consumer, 'good.ts'), GOOD);
  writeFileSync(path.join(consumer, 'readme.ts'), readmeExample());
  writeFileSync(path.join(consumer, 'tsconfig.json'), tsconfig(['good.ts', 'readme.ts']));
  const r = await run(path.join(BIN, 'tsc'), ['-p', '.'], consumer);
  assert.equal(r.code, 0, r.out);
  // Only good.js runs (listTargets, option errors, readScan of a missing file): the README
  // example and example() would scan a real network, so they are compiled, never run.
  const n = await run(process.execPath, ['out/good.js'], consumer);
  assert.equal(n.code, 0, n.out);
  const got = JSON.parse(n.out.trim()) as string[];
  assert.equal(got.length, 8 + 2);
  assert.ok(got.slice(0, 8).every((l) => /^10\.0\.0\.[0-3] (tcp\/80|udp\/53)$/.test(l)), got.join('\n'));
  assert.deepEqual(got.slice(8), ['ERR_BAD_RANGE', 'ERR_FILE']);
});

/** Wrong uses, one a line, each with the TypeScript error it must give. */
const BAD: readonly [string, string][] = [
  ["scan({ targets: '10.0.0.1', rate: '100' });", 'TS2322'],
  ["scan({ ports: 80 });", 'TS2345'],
  ["scan({ targets: '10.0.0.1', outputFormat: 'xml' });", 'TS2353'],
  ["scan({ targets: '10.0.0.1', shard: { index: 1 } });", 'TS2741'],
  ["scan({ targets: '10.0.0.1', adapter: { ifname: 'eth0' } });", 'TS2561'],
  ["scan({ targets: '10.0.0.1', seed: '42' });", 'TS2322'],
  ["for await (const r of scan({ targets: '10.0.0.1' })) r.banner;", 'TS2339'],
  ["for await (const r of scan({ targets: '10.0.0.1' })) if (r.kind === 'port') r.service;", 'TS2339'],
  ["for await (const r of scan({ targets: '10.0.0.1' })) if (r.kind === 'hosts') r.addr;", 'TS2367'],
  ["scan({ targets: '10.0.0.1' }).addEventListener('progress', (e) => e.detail.nope);", 'TS2339'],
  ["const s: number = (await scan({ targets: '10.0.0.1' }).done).resumeIndex;", 'TS2322'],
];

test('wrong uses fail to compile, each at its line; deep imports are closed', { timeout: 60_000 }, async () => {
  const lines = ["import { scan } from 'tidescan';", ...BAD.map(([code]) => code), "import { scanWith } from 'tidescan/dist/src/api/scan.js';", 'export {};'];
  writeFileSync(path.join(consumer, 'bad.ts'), lines.join('\n') + '\n');
  writeFileSync(path.join(consumer, 'tsconfig.json'), tsconfig(['bad.ts']));
  const r = await run(path.join(BIN, 'tsc'), ['-p', '.', '--noEmit', '--pretty', 'false'], consumer);
  assert.notEqual(r.code, 0, 'the wrong uses compiled');
  const errors = new Map<number, string[]>();
  for (const m of r.out.matchAll(/^bad\.ts\((\d+),\d+\): error (TS\d+)/gm)) {
    const line = Number(m[1]);
    errors.set(line, [...(errors.get(line) ?? []), m[2]!]);
  }
  BAD.forEach(([code, want], i) => {
    assert.ok(errors.get(i + 2)?.includes(want), `line ${i + 2} \`${code}\`: want ${want}, got ${errors.get(i + 2)?.join(',') ?? 'none'}\n${r.out}`);
  });
  // The deep import: not exported by the package.
  assert.ok(errors.get(BAD.length + 2)?.some((c) => c === 'TS2307' || c === 'TS2306' || c === 'TS2875'), r.out);
  assert.equal(errors.size, BAD.length + 1, r.out);
});

test('publint and @arethetypeswrong/cli (esm-only profile) pass on the tarball', { timeout: 60_000 }, async () => {
  const p = await run(path.join(BIN, 'publint'), ['run', tarball, '--pack', 'false', '--strict'], dir);
  assert.equal(p.code, 0, p.out);
  assert.match(p.out, /All good!/);
  const a = await run(path.join(BIN, 'attw'), [tarball, '--profile', 'esm-only', '--no-color', '--no-emoji', '--format', 'table-flipped'], dir);
  assert.equal(a.code, 0, a.out);
  assert.match(a.out, /node16 \(from ESM\)/);
  assert.doesNotMatch(a.out.replace(/\(ignored\)[^\n]*/g, ''), /No types|Resolution failed|Masquerading|Missing export|Internal resolution error/);
});
