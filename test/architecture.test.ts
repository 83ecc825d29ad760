/**
 * The layer table (docs/DESIGN.md §Layers): reads every import of src/ as text and fails when
 * a file imports against it. Imports go downward only:
 *   core <- wire, target, crypto, codec <- adapter, link <- probes, stack <- banners <- engine
 *   output and sinks import the foundation (core .. codec), never engine;
 *   commands, then cli, then api (src/index.ts, src/api/) sit on top: the library goes through
 *   the command line's option parser so that its options fail exactly as the CLI's do.
 * A folder may always import itself. src/error.ts counts as core (it imports nothing).
 *
 * What the tree still does against the table is in KNOWN_VIOLATIONS, each with the step of
 * issue 8 that removes it. The list may only shrink: a new violation fails, and so does an
 * entry that no longer occurs (so the list is kept exact).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository (this file runs from dist/test/). */
const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SRC = join(REPO, 'src');

type Layer =
  | 'core' | 'wire' | 'target' | 'crypto' | 'codec' | 'adapter' | 'link' | 'probes' | 'stack'
  | 'banners' | 'engine' | 'output' | 'sinks' | 'commands' | 'api' | 'cli';

const FOUNDATION: readonly Layer[] = ['core', 'wire', 'target', 'crypto', 'codec'];
const IO: readonly Layer[] = [...FOUNDATION, 'adapter', 'link'];
const BELOW_ENGINE: readonly Layer[] = [...IO, 'probes', 'stack', 'banners'];
const BELOW_TOP: readonly Layer[] = [...BELOW_ENGINE, 'engine', 'output', 'sinks'];

/** What each layer may import (besides itself). */
export const LAYERS: Readonly<Record<Layer, readonly Layer[]>> = {
  core: [],
  wire: ['core'],
  target: ['core'],
  crypto: ['core'],
  codec: ['core'],
  adapter: FOUNDATION,
  link: [...FOUNDATION, 'adapter'],
  probes: IO,
  stack: IO,
  banners: [...IO, 'probes', 'stack'],
  engine: BELOW_ENGINE,
  output: FOUNDATION,
  sinks: [...FOUNDATION, 'output'],
  commands: BELOW_TOP,
  cli: [...BELOW_TOP, 'commands'],
  // The library (src/index.ts, src/api/) builds its ScanConfig with cli's parser (the same
  // checks and errors as the command line), so it sits above cli, and cli never imports it.
  api: [...BELOW_TOP, 'commands', 'cli'],
};

/**
 * Violations the tree still has, as `importer -> imported` (paths under src/). Each is
 * removed by the named step of issue 8; delete the line in the same commit.
 */
export const KNOWN_VIOLATIONS: readonly string[] = [
];

/** The layer of a file under src/, or undefined for a folder the table does not know. */
export function layerOf(rel: string): Layer | undefined {
  const parts = rel.split('/');
  if (parts.length === 1) {
    if (rel === 'error.ts') return 'core';
    if (rel === 'index.ts') return 'api';
    return undefined;
  }
  const top = parts[0]!;
  return top in LAYERS ? (top as Layer) : undefined;
}

/** Source text without comments (an import named in a comment is not an import). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

/** Relative module specifiers of a file: static imports, re-exports and `import(...)`. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const src = stripComments(text);
  const re = /\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (let m = re.exec(src); m !== null; m = re.exec(src)) {
    const spec = m[1] ?? m[2] ?? m[3]!;
    if (spec.startsWith('.')) out.push(spec);
  }
  return out;
}

/** Every `importer -> imported` edge under src/ that goes against the table, sorted. */
export function violations(files: readonly { rel: string; text: string }[]): string[] {
  const bad = new Set<string>();
  for (const f of files) {
    const from = layerOf(f.rel);
    for (const spec of importsOf(f.text)) {
      const target = relative(SRC, resolve(SRC, dirname(f.rel), spec)).split(sep).join('/').replace(/\.js$/, '.ts');
      const to = target.startsWith('..') ? undefined : layerOf(target);
      if (from === undefined || to === undefined) {
        bad.add(`${f.rel} -> ${target} (not in the layer table)`);
        continue;
      }
      if (from !== to && !LAYERS[from].includes(to)) bad.add(`${f.rel} -> ${target}`);
    }
  }
  return [...bad].sort();
}

function sourcesUnder(dir: string): { rel: string; text: string }[] {
  const out: { rel: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourcesUnder(p));
    else if (name.endsWith('.ts')) out.push({ rel: relative(SRC, p).split(sep).join('/'), text: readFileSync(p, 'utf8') });
  }
  return out;
}

const FILES = sourcesUnder(SRC);

test('architecture: every import in src/ follows the layer table (known violations excepted)', () => {
  assert.ok(FILES.length > 100, 'the walk found src/');
  const found = violations(FILES);
  assert.deepEqual(found.filter((v) => !KNOWN_VIOLATIONS.includes(v)), [], 'new imports against the layer table');
  assert.deepEqual(KNOWN_VIOLATIONS.filter((v) => !found.includes(v)), [],
    'allow-list entries that no longer occur: delete them from KNOWN_VIOLATIONS');
});

test('architecture: core imports nothing, not even node modules', () => {
  for (const f of FILES.filter((x) => layerOf(x.rel) === 'core')) {
    const all = /\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g;
    const specs = [...stripComments(f.text).matchAll(all)].map((m) => m[1] ?? m[2]!);
    assert.deepEqual(specs.filter((s) => !s.startsWith('./') || s.includes('/', 2)), [], f.rel);
  }
});

test('architecture: no file outside src/cli reads the options by name (config.raw)', () => {
  const readers = FILES.filter((f) => !f.rel.startsWith('cli/') && /\.raw\s*\.\s*(?:get|has|entries|keys|values)\b|\braw\.get\(/.test(stripComments(f.text)));
  assert.deepEqual(readers.map((f) => f.rel), []);
});

test('architecture: the check fails for a new import against the table (synthetic files)', () => {
  const synthetic = [
    { rel: 'core/x.ts', text: "import { ScanError } from '../error.js';\nimport { parseIPv4 } from '../target/ipv4.js';" },
    { rel: 'wire/x.ts', text: "import type { Plan } from '../target/plan.js';" },
    { rel: 'output/x.ts', text: "export { runScan } from '../engine/scan.js';" },
    { rel: 'engine/x.ts', text: "const m = await import('../cli/main.js');" },
    { rel: 'stack/x.ts', text: "// import { x } from '../engine/scan.js';\nimport '../banners/registry.js';" },
    { rel: 'link/x.ts', text: "import { openRx } from '../adapter/afpacket.js';\nimport { Plan } from '../target/plan.js';" },
    { rel: 'nowhere/x.ts', text: "import { a } from '../core/config.js';" },
  ];
  assert.deepEqual(violations(synthetic), [
    'core/x.ts -> target/ipv4.ts',
    'engine/x.ts -> cli/main.ts',
    'nowhere/x.ts -> core/config.ts (not in the layer table)',
    'output/x.ts -> engine/scan.ts',
    'stack/x.ts -> banners/registry.ts',
    'wire/x.ts -> target/plan.ts',
  ]);
  // And through the real check: a new violation is not covered by the allow-list.
  const found = violations([...FILES, synthetic[2]!]);
  assert.deepEqual(found.filter((v) => !KNOWN_VIOLATIONS.includes(v)), ['output/x.ts -> engine/scan.ts']);
});
