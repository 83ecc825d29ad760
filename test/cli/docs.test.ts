/**
 * The man page and the completion scripts come from the options table (src/cli/docs.ts):
 * every option is in the man page, every option that is not refused is in both completions,
 * the committed files are what the generator writes today, and they work (man renders without
 * warnings, bash completes).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { OPTIONS, DASH_NOOPS, type OptionDef } from '../../src/cli/options.js';
import { docFiles, manPage, bashCompletion, zshCompletion } from '../../src/cli/docs.js';
import { REPO } from './helpers.js';

/** The man page spells `--tcp-mss` as `\-\-tcp\-mss`. */
function inMan(man: string, name: string): boolean {
  const spelled = name.replace(/-/g, '\\-');
  return man.includes(`\\fB\\-\\-${spelled}\\fR`);
}

/** In a completion script, `--name` as a whole word (followed by a space, |, ), =, [ or quote). */
function inCompletion(text: string, name: string): boolean {
  return new RegExp(`(^|[\\s|('"*])--${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=[\\s|)=['"])`, 'm').test(text);
}

/** Names of `defs` that a generated text lacks. */
function missing(defs: readonly Pick<OptionDef, 'name' | 'aliases'>[], has: (name: string) => boolean): string[] {
  return defs.flatMap((d) => [d.name, ...d.aliases]).filter((n) => !has(n));
}

test('the committed man page and completion scripts are what the table generates (run scripts/gen-docs.sh)', () => {
  for (const [rel, text] of Object.entries(docFiles())) {
    const path = join(REPO, rel);
    assert.ok(existsSync(path), `${rel} is committed`);
    assert.equal(readFileSync(path, 'utf8'), text, `${rel} is stale: run scripts/gen-docs.sh`);
  }
});

test('every option of the table, aliases included, is in the man page', () => {
  const man = readFileSync(join(REPO, 'man/tidescan.1'), 'utf8');
  assert.deepEqual(missing(OPTIONS, (n) => inMan(man, n)), []);
  for (const flag of Object.keys(DASH_NOOPS)) assert.ok(man.includes(`\\fB${flag.replace(/-/g, '\\-')}\\fR`), flag);
  // refused options are in a section of their own
  const notSupported = man.slice(man.indexOf('.SH "NOT SUPPORTED"'));
  for (const d of OPTIONS) {
    if (d.effect.is === 'refused') assert.ok(inMan(notSupported, d.name), `${d.name} under NOT SUPPORTED`);
  }
});

test('every option that is not refused is in the bash and zsh completions; no refused one is', () => {
  const bash = readFileSync(join(REPO, 'completion/tidescan.bash'), 'utf8');
  const zsh = readFileSync(join(REPO, 'completion/_tidescan'), 'utf8');
  const offered = OPTIONS.filter((d) => d.effect.is !== 'refused');
  const refused = OPTIONS.filter((d) => d.effect.is === 'refused');
  assert.deepEqual(missing(offered, (n) => inCompletion(bash, n)), []);
  assert.deepEqual(missing(offered, (n) => inCompletion(zsh, n)), []);
  assert.deepEqual(refused.flatMap((d) => [d.name, ...d.aliases]).filter((n) => inCompletion(bash, n) || inCompletion(zsh, n)), []);
});

test('the checks above fail for an option the generated text lacks (synthetic entry)', () => {
  const synthetic = [{ name: 'frobnicate', aliases: ['frob'] }, { name: 'rate', aliases: [] }];
  assert.deepEqual(missing(synthetic, (n) => inMan(manPage(), n)), ['frobnicate', 'frob']);
  assert.deepEqual(missing(synthetic, (n) => inCompletion(bashCompletion(), n)), ['frobnicate', 'frob']);
  assert.deepEqual(missing(synthetic, (n) => inCompletion(zshCompletion(), n)), ['frobnicate', 'frob']);
  // a prefix is not a match: --rate is not --rate-limit
  assert.equal(inCompletion('x --rate-limit y', 'rate'), false);
  assert.equal(inMan('\\fB\\-\\-rate\\-limit\\fR', 'rate'), false);
});

test('man renders the page without warnings', (t) => {
  if (!existsSync('/usr/bin/man')) { t.skip('man is not installed'); return; }
  const r = spawnSync('man', ['--warnings', '-l', join(REPO, 'man/tidescan.1')], {
    encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MANPAGER: 'cat', PAGER: 'cat' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /TIDESCAN\(1\)/);
  assert.match(r.stdout, /--rate, --max-rate <pps>/);
  assert.match(r.stdout, /--heartbleed\n\s+check for Heartbleed \(implies --banners\)/);
  assert.match(r.stdout, /--script <file>\n\s+.*Refused: not supported yet\./);
});

/** Runs the bash completion for a command line and returns its candidates. */
function complete(words: string[]): string[] {
  const script = [
    `source ${JSON.stringify(join(REPO, 'completion/tidescan.bash'))}`,
    `COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')})`,
    `COMP_CWORD=${words.length - 1}`,
    '_tidescan',
    'printf "%s\\n" "${COMPREPLY[@]}"',
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '-c', script], { encoding: 'utf8', cwd: REPO });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('bash completion completes option names and their values', () => {
  const ra = complete(['tidescan', '--ra']);
  assert.ok(ra.includes('--rate') && ra.includes('--range') && ra.includes('--randomize-hosts'), ra.join(' '));
  assert.ok(complete(['tidescan', '--ban']).includes('--banners'));
  assert.deepEqual(complete(['tidescan', '--heart']), ['--heartbleed']);
  assert.deepEqual(complete(['tidescan', '--scri']), [], 'refused options are not offered');
  assert.deepEqual(complete(['tidescan', '--output-format', 'nd']), ['ndjson']);
  assert.deepEqual(complete(['tidescan', '--tx-arbiter', '']), ['auto', 'parallel', 'serial']);
  assert.ok(complete(['tidescan', '-iL', 'packa']).includes('package.json'), 'file names after -iL');
  assert.ok(complete(['tidescan', '--adapter', 'l']).includes('lo'), 'interfaces after --adapter');
});

test('the zsh completion is well formed: one quoted _arguments spec per line', () => {
  const lines = zshCompletion().split('\n');
  assert.equal(lines[0], '#compdef tidescan');
  const specs = lines.filter((l) => l.startsWith('  '));
  assert.ok(specs.length > 150);
  for (const l of specs) {
    // '...' \ : one single-quoted word ('\'' inside stands for a quote)
    assert.match(l, /^ {2}'(?:[^'\\]|\\.|'\\'')*'(?: \\)?$/, l);
    const body = l.slice(l.indexOf("'") + 1, l.lastIndexOf("'"));
    // the description's brackets are balanced once escapes are removed
    const bare = body.replace(/\\./g, '');
    assert.ok((bare.match(/\[/g) ?? []).length === (bare.match(/\]/g) ?? []).length, l);
  }
});
