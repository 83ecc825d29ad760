/**
 * The Dockerfile, checked without a Docker engine (there is none on the test machines): its
 * instructions are read as text and held to the repository, so that the image it builds is
 * the program this repository builds.
 * - Both stages are Debian-based official Node.js 20 images.
 * - Every build-context path it copies exists and is not left out by .dockerignore; those
 *   are enough to build: package.json and the lock file (npm ci), binding.gyp and every
 *   source it names, tsconfig.json, src/ (which imports nothing outside itself but
 *   packages), bin/.
 * - Every path the runtime stage takes from the build stage is one this repository's build
 *   produces (dist/src, build/Release/tidescan_native.node: present here after the build),
 *   at the place the program loads it from (the addon path of src/adapter/afpacket.ts, the
 *   launcher's import of dist/src/cli/main.js).
 * - `tidescan` on PATH is package.json's bin, and it is the entrypoint; the Debian packages
 *   of the programs tidescan runs (nft, tcpdump) are installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Instruction { readonly op: string; readonly args: string; readonly stage: number }

/** Instructions of a Dockerfile: comments dropped, `\` continuations joined. */
export function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trimStart().startsWith('#'))) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    assert.ok(m !== null, `not an instruction: ${full}`);
    const op = m[1]!.toUpperCase();
    if (op === 'FROM') stage++;
    out.push({ op, args: m[2]!.replace(/\s+/g, ' '), stage });
  }
  return out;
}

const TEXT = readFileSync(path.join(REPO, 'Dockerfile'), 'utf8');
const INS = instructions(TEXT);
const IGNORED = readFileSync(path.join(REPO, '.dockerignore'), 'utf8').split('\n')
  .map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));

/** COPY's sources and destination (shell form). */
function copyParts(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(' ');
  let from: string | undefined;
  while (words[0]!.startsWith('--')) {
    const w = words.shift()!;
    if (w.startsWith('--from=')) from = w.slice('--from='.length);
  }
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

function ignored(rel: string): boolean {
  const top = rel.replace(/\/$/, '').split('/')[0]!;
  return IGNORED.some((p) => p === top || p === rel.replace(/\/$/, ''));
}

test('Dockerfile: two stages, both Debian-based official Node.js 20 images', () => {
  const froms = INS.filter((i) => i.op === 'FROM').map((i) => i.args);
  assert.equal(froms.length, 2);
  assert.match(froms[0]!, /^node:20-bookworm AS build$/);
  assert.match(froms[1]!, /^node:20-bookworm-slim$/);
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { engines: { node: string } };
  assert.equal(pkg.engines.node, '>=20', 'the image runs the floor of package.json engines');
});

test('Dockerfile: every build-context path copied exists, is not .dockerignored, and suffices to build', () => {
  const copied: string[] = [];
  for (const i of INS.filter((x) => x.op === 'COPY' || x.op === 'ADD')) {
    assert.equal(i.op, 'COPY', 'COPY only (no ADD)');
    const c = copyParts(i.args);
    if (c.from !== undefined) continue;
    for (const s of c.sources) {
      assert.ok(existsSync(path.join(REPO, s)), `COPY ${s}: no such path in the repository`);
      assert.ok(!ignored(s), `COPY ${s}: left out of the context by .dockerignore`);
      copied.push(s.replace(/\/$/, ''));
    }
  }
  for (const need of ['package.json', 'package-lock.json', 'tsconfig.json', 'binding.gyp', 'src', 'bin', 'native']) {
    assert.ok(copied.includes(need), `the build stage needs ${need}`);
  }
  // binding.gyp compiles sources that are copied.
  const gyp = JSON.parse(readFileSync(path.join(REPO, 'binding.gyp'), 'utf8')) as { targets: { sources: string[] }[] };
  for (const t of gyp.targets) {
    for (const s of t.sources) {
      assert.ok(copied.some((c) => s === c || s.startsWith(`${c}/`)), `binding.gyp source ${s} is not copied`);
      assert.ok(existsSync(path.join(REPO, s)), s);
    }
  }
  // src/ imports nothing relative outside src/ (packages come from npm ci).
  const walk = (d: string): string[] => readdirSync(d).flatMap((n) => {
    const p = path.join(d, n);
    return statSync(p).isDirectory() ? walk(p) : p.endsWith('.ts') ? [p] : [];
  });
  for (const f of walk(path.join(REPO, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/from\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g)) {
      const target = path.resolve(path.dirname(f), (m[1] ?? m[2])!);
      assert.ok(target.startsWith(path.join(REPO, 'src') + path.sep), `${path.relative(REPO, f)} imports ${m[1] ?? m[2]} outside src/`);
    }
  }
  // npm ci runs the install (node-gyp) and prepare (tsc) scripts that make dist/ and build/.
  const run = INS.filter((i) => i.op === 'RUN' && i.stage === 0).map((i) => i.args).join(' && ');
  assert.match(run, /\bnpm ci\b/);
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  // The install script (a checkout has no prebuilt addon) runs node-gyp rebuild: it and the
  // helper it requires are copied.
  const install = /^node (scripts\/[\w.-]+\.cjs)$/.exec(pkg.scripts['install'] ?? '')?.[1];
  assert.ok(install !== undefined, `install script: ${pkg.scripts['install']}`);
  const scriptsCopied = INS.filter((i) => i.op === 'COPY' && i.stage === 0).map((i) => copyParts(i.args)).filter((c) => c.dest === 'scripts/').flatMap((c) => c.sources);
  assert.ok(scriptsCopied.includes(install), `${install} is copied`);
  for (const m of readFileSync(path.join(REPO, install), 'utf8').matchAll(/require\('\.\/([\w.-]+)'\)/g)) {
    assert.ok(scriptsCopied.includes(`scripts/${m[1]}`), `scripts/${m[1]} (required by ${install}) is copied`);
  }
  assert.match(readFileSync(path.join(REPO, 'scripts', 'native-build.cjs'), 'utf8'), /rebuild/);
  assert.match(pkg.scripts['prepare'] ?? '', /tsc -p \./);
});

test('Dockerfile: the runtime stage takes what the build makes, where the program loads it from', () => {
  const fromBuild = INS.filter((i) => i.op === 'COPY' && i.stage === 1).map((i) => copyParts(i.args));
  assert.ok(fromBuild.every((c) => c.from === 'build'), 'the runtime stage copies only from the build stage');
  const workdir = INS.filter((i) => i.op === 'WORKDIR' && i.stage === 1).map((i) => i.args).at(-1);
  assert.equal(workdir, '/app');
  const dest = (src: string): string => {
    const c = fromBuild.find((x) => x.sources.includes(src));
    assert.ok(c !== undefined, `the runtime stage lacks ${src}`);
    const base = path.posix.resolve('/app', c.dest);
    return src.endsWith('/') ? base : path.posix.join(base, path.posix.basename(src));
  };
  for (const src of ['/app/package.json', '/app/node_modules/', '/app/bin/', '/app/dist/src/', '/app/build/Release/tidescan_native.node']) dest(src);
  // What a build here produced, at the same paths (dist/ and build/ of this checkout).
  assert.ok(existsSync(path.join(REPO, 'dist', 'src', 'cli', 'main.js')), 'dist/src/cli/main.js (tsc -p .)');
  assert.ok(existsSync(path.join(REPO, 'build', 'Release', 'tidescan_native.node')), 'build/Release/tidescan_native.node (node-gyp)');
  // The addon path of afpacket.ts, from /app/dist/src/adapter/, is where the image puts it.
  const afpacket = readFileSync(path.join(REPO, 'src', 'adapter', 'afpacket.ts'), 'utf8');
  const rel = /'(\.\.\/[^']*build\/Release\/tidescan_native\.node)'/.exec(afpacket)?.[1];
  assert.ok(rel !== undefined, 'afpacket.ts loads build/Release/tidescan_native.node');
  assert.equal(path.posix.resolve('/app/dist/src/adapter', rel), dest('/app/build/Release/tidescan_native.node'));
  // The launcher imports dist/src/cli/main.js, which the image has under /app/dist/src/.
  const launcher = readFileSync(path.join(REPO, 'bin', 'tidescan.js'), 'utf8');
  assert.match(launcher, /from '\.\.\/dist\/src\/cli\/main\.js'/);
});

test('Dockerfile: tidescan on PATH is package.json\'s bin and the entrypoint; nft and tcpdump are installed', () => {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> };
  const runs = INS.filter((i) => i.op === 'RUN' && i.stage === 1).map((i) => i.args).join(' && ');
  assert.ok(runs.includes(`ln -s /app/${pkg.bin['tidescan']} /usr/local/bin/tidescan`), runs);
  assert.match(runs, /apt-get install -y --no-install-recommends [^&]*\bnftables\b/);
  assert.match(runs, /apt-get install -y --no-install-recommends [^&]*\btcpdump\b/);
  assert.match(runs, /tidescan --selftest/, 'the image checks itself at build time');
  const entry = INS.filter((i) => i.op === 'ENTRYPOINT').at(-1);
  assert.deepEqual(JSON.parse(entry!.args) as unknown, ['tidescan']);
  // The programs those packages provide are the ones the source runs.
  const firewall = readFileSync(path.join(REPO, 'src', 'adapter', 'firewall.ts'), 'utf8');
  assert.match(firewall, /'nft'|"nft"|\/nft\b/);
  assert.match(readFileSync(path.join(REPO, 'src', 'engine', 'rx-worker.ts'), 'utf8'), /spawnSync\('tcpdump'/);
  // The default image of --k8s-job is the tag the header says to build.
  assert.match(TEXT, /docker build -t tidescan:latest \./);
});

test('instructions(): continuations joined, comments dropped, stages counted', () => {
  const ins = instructions('# c\nFROM a AS b\nRUN x \\\n  && y\n\nFROM c\nCOPY --from=b /p q/\n');
  assert.deepEqual(ins, [
    { op: 'FROM', args: 'a AS b', stage: 0 },
    { op: 'RUN', args: 'x && y', stage: 0 },
    { op: 'FROM', args: 'c', stage: 1 },
    { op: 'COPY', args: '--from=b /p q/', stage: 1 },
  ]);
});
