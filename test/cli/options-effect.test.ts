/**
 * Every option of the table acts, is refused, or is a documented no-op (issue 11): no option
 * is accepted and then ignored.
 *
 * - acts: a static check reads src/ as text and finds, outside src/cli, a read of each ScanConfig
 *   field or raw key the option names in `reads` (or the cli operation / cli code that acts on
 *   it). An option whose value nothing reads fails here; a synthetic entry proves it.
 * - refused: each one is an error naming it, on the command line and in a config file (and so
 *   in paused.conf and the default config file), unless it asks for what is already so.
 * - noop: each one changes nothing and is listed in README.md.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  OPTIONS, DASH_NOOPS, NOT_SUPPORTED_YET, optionByName, type OptionDef, type OptionEffect,
} from '../../src/cli/options.js';
import { echoConfig } from '../../src/cli/echo.js';
import { helpText } from '../../src/cli/help.js';
import { DEFAULT_CONFIG_PATH } from '../../src/cli/parse.js';
import type { ScanConfig } from '../../src/core/config.js';
import { REPO, testIo, parse, parseText, runCli } from './helpers.js';

// ---------------------------------------------------------------------------------------------
// The static check

/** Source text without comments (a field named in a comment is not a read). */
function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

function sourcesUnder(dir: string): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourcesUnder(p));
    else if (name.endsWith('.ts')) out.push({ path: p, text: stripComments(readFileSync(p, 'utf8')) });
  }
  return out;
}

const SRC = join(REPO, 'src');
const CLI = join(SRC, 'cli');
const ALL = sourcesUnder(SRC);
/** What the rest of the program is: engine, output, adapter, target, ... (not the parser). */
const OUTSIDE_CLI = ALL.filter((f) => !f.path.startsWith(CLI + '/'));
/** The dispatch table of the operations (src/commands/index.ts); the scan is main.ts's. */
const TABLE = ALL.find((f) => f.path === join(SRC, 'commands', 'index.ts'))!;
const TEXT_TABLE = ALL.find((f) => f.path === join(CLI, 'text-commands.ts'))!;
const MAIN = ALL.find((f) => f.path === join(CLI, 'main.ts'))!;

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Where a reader of `reads` is found, or undefined:
 * - `op:X`: operation X has a handler in commands/index.ts or cli/text-commands.ts;
 * - `cli:FILE:NAME`: src/cli/FILE uses NAME (cli code that acts on the option itself);
 * - `raw:KEY`: a file outside src/cli uses `raw` and names 'KEY' as a string (or `^KEY\[` in a
 *   regular expression over indexed keys);
 * - FIELD: a file outside src/cli reads `config.FIELD` (or `c.`, `cfg.`, `this.config.`), or
 *   destructures FIELD from a config.
 */
function findReader(reader: string, outside = OUTSIDE_CLI): string | undefined {
  if (reader.startsWith('op:')) {
    const op = reader.slice(3);
    if (op === 'scan') return MAIN.text.includes(`op !== 'scan'`) ? MAIN.path : undefined;
    const has = new RegExp(`^\\s*'${escapeRe(op)}': `, 'm');
    return [TABLE, TEXT_TABLE].find((f) => has.test(f.text))?.path;
  }
  if (reader.startsWith('cli:')) {
    const [, file, name] = reader.split(':');
    const f = ALL.find((x) => x.path === join(CLI, file!));
    return f !== undefined && new RegExp(`\\b${escapeRe(name!)}\\b`).test(f.text) ? f.path : undefined;
  }
  let re: RegExp;
  let also: RegExp | undefined;
  if (reader.startsWith('raw:')) {
    const key = escapeRe(reader.slice(4));
    // `'hello'` as a key, or `/^hello-string\[(\d+)\]$/` matching indexed keys
    re = new RegExp(`['"\`^]${key}(['"\`]|\\\\?\\[)`);
    also = /\braw\b/;
  } else {
    const f = escapeRe(reader);
    re = new RegExp(`\\b(?:config|cfg|conf|c|this\\.config)\\s*\\.\\s*${f}\\b|\\{[^{}]*\\b${f}\\b[^{}]*\\}\\s*=\\s*(?:config|cfg|conf|c)\\b`);
  }
  for (const file of outside) {
    if (re.test(file.text) && (also === undefined || also.test(file.text))) return file.path;
  }
  return undefined;
}

/** The options marked 'acts' of which some named reader is not found: name and reader. */
function unreadActs(defs: readonly Pick<OptionDef, 'name' | 'effect'>[], outside = OUTSIDE_CLI): string[] {
  const bad: string[] = [];
  for (const d of defs) {
    if (d.effect.is !== 'acts') continue;
    if (d.effect.reads.length === 0) bad.push(`${d.name}: acts, but names nothing that reads it`);
    for (const r of d.effect.reads) {
      if (findReader(r, outside) === undefined) bad.push(`${d.name}: nothing outside src/cli reads ${r}`);
    }
  }
  return bad;
}

test("every option marked 'acts' is read outside src/cli (static check over src/)", () => {
  assert.ok(OUTSIDE_CLI.length > 20, 'the src/ walk found the engine and output files');
  assert.deepEqual(unreadActs(OPTIONS), []);
});

test('the static check fails for an option whose value nothing reads (synthetic entries)', () => {
  const acts = (...reads: string[]): OptionEffect => ({ is: 'acts', reads });
  const synthetic = [
    { name: 'frobnicate', effect: acts('frobnicateLevel') },
    { name: 'frob-raw', effect: acts('raw:frob-raw') },
    { name: 'frob-op', effect: acts('op:frobnicate') },
    { name: 'frob-cli', effect: acts('cli:parse.ts:frobnicateEverything') },
    { name: 'frob-none', effect: acts() },
  ];
  assert.deepEqual(unreadActs(synthetic), [
    'frobnicate: nothing outside src/cli reads frobnicateLevel',
    'frob-raw: nothing outside src/cli reads raw:frob-raw',
    'frob-op: nothing outside src/cli reads op:frobnicate',
    'frob-cli: nothing outside src/cli reads cli:parse.ts:frobnicateEverything',
    'frob-none: acts, but names nothing that reads it',
  ]);
  // The same check passes once something reads it: a fake engine file that reads each one.
  const fake = [{ path: '/x/src/engine/frob.ts', text: 'const n = config.frobnicateLevel; c.raw.get(\'frob-raw\');' }];
  assert.deepEqual(unreadActs(synthetic.slice(0, 2), fake), []);
  // A mention in a comment is not a read.
  const comment = [{ path: '/x/src/engine/frob.ts', text: stripComments('// config.frobnicateLevel is read later\n/* c.raw.get(\'frob-raw\') */') }];
  assert.equal(unreadActs(synthetic.slice(0, 2), comment).length, 2);
  // And it holds for real fields: a refused option turned on before the engine reads its
  // field would fail the first test; one that the engine reads passes (bpf: the receive
  // worker reads ReceiveSetup.bpf, which scan.ts fills from ScanConfig.bpf).
  assert.deepEqual(unreadActs([{ name: 'bpf', effect: acts(...(optionByName('bpf').effect as { reads: readonly string[] }).reads) }]), []);
  assert.deepEqual(unreadActs([{ name: 'bpf', effect: acts('bpfNeverRead') }]), ['bpf: nothing outside src/cli reads bpfNeverRead']);
});

test('every refused option names what will read it, so turning it on is one line', () => {
  for (const d of OPTIONS) {
    if (d.effect.is !== 'refused' || d.effect.own === true) continue;
    assert.ok(d.effect.reads.length > 0, d.name);
    assert.ok(d.effect.why.length > 0, d.name);
  }
});

// ---------------------------------------------------------------------------------------------
// Refused options

const BASE = ['10.0.0.0/30', '-p80', '--seed', '7'];
const BASE_TEXT = 'range = 10.0.0.0/30\nports = 80\nseed = 7\n';
const FILES = { 'hello.bin': Buffer.from([1, 2, 3]) };

/** A value (or `name[index]` and value) that would change the configuration, per refused option. */
const REFUSED_SAMPLES: Record<string, { index?: string; value: string }> = {
  debug: { value: 'if' },
  redis: { value: '127.0.0.1:6379' },
  'redis-pwd': { value: 'secret' },
  'nmap-service-probes': { value: 'probes' },
  script: { value: 'x.lua' },
  'tcp-mss': { value: '1200' },
  'tcp-wscale': { value: '7' },
  'tcp-tsecho': { value: '305419896' },
  'tcp-sackok': { value: 'true' },
  'min-packet': { value: '64' },
  badsum: { value: 'true' },
  'data-length': { value: '20' },
  datadir: { value: '/var/lib/x' },
};

/** Refused options that only ever restate the default while their partner is refused (none today). */
const DEFAULT_ONLY = new Set<string>([]);

function argvFor(name: string, s: { index?: string; value: string }): string[] {
  return [`--${name}${s.index !== undefined ? `[${s.index}]` : ''}=${s.value}`];
}

test('every refused option has a sample, and is refused on the command line and in a config file', () => {
  const refused = OPTIONS.filter((d) => d.effect.is === 'refused' && d.effect.own !== true);
  assert.deepEqual(refused.map((d) => d.name).filter((n) => REFUSED_SAMPLES[n] === undefined), []);
  for (const d of refused) {
    if (DEFAULT_ONLY.has(d.name)) continue;
    const s = REFUSED_SAMPLES[d.name]!;
    const why = (d.effect as { why: string }).why;
    const shown = `${d.name}${s.index !== undefined ? `[${s.index}]` : ''}`;
    for (const n of [d.name, ...d.aliases]) {
      const named = `${n}${s.index !== undefined ? `[${s.index}]` : ''}`;
      assert.throws(() => parse([...BASE, ...argvFor(n, s)], testIo(FILES)),
        (e: Error) => e.message === `--${named}: ${why}`, `--${named}`);
    }
    assert.throws(() => parseText(`${BASE_TEXT}${shown} = ${s.value}\n`, testIo(FILES)),
      (e: Error) => e.message === `test.conf:4: ${shown}: ${why}`, `${shown} in a config file`);
  }
});

test("refused options' own refusals (nmap options, --banner1) still fail", () => {
  for (const d of OPTIONS) {
    if (d.effect.is !== 'refused' || d.effect.own !== true) continue;
    const argv = d.kind === 'flag' ? [`--${d.name}`] : [`--${d.name}`, '1'];
    assert.throws(() => parse([...BASE, ...argv]), (e: Error) => e.message.length > 0 && !e.message.includes('\n'), d.name);
  }
});

test('a refused option that asks for what is already so is accepted and changes nothing', () => {
  const base = parse(BASE);
  for (const argv of [['--debug-level', '0'], ['--heartbleed=false'], ['--ticketbleed=off'], ['--badsum=false']]) {
    assert.deepStrictEqual(parse([...BASE, ...argv]), base, argv.join(' '));
  }
  assert.deepStrictEqual(parseText(`${BASE_TEXT}debug-level = 0\nheartbleed = false\n`), parseText(BASE_TEXT));
  // and a capture type nothing acts on may be turned off (masscan's echo writes that line)
  assert.deepStrictEqual(parse([...BASE, '--nocapture', 'servername']), base);
});

test('refused options in the default config file and in paused.conf name the file and line', () => {
  const def = testIo({ [DEFAULT_CONFIG_PATH]: 'rate = 5\n# banners\nredis-pwd = x\n' });
  assert.throws(() => parse(BASE, def), (e: Error) => e.message === `${DEFAULT_CONFIG_PATH}:3: redis-pwd: not supported yet`);
  const paused = testIo({ 'paused.conf': `\n# resume information\nresume-index = 9\n${BASE_TEXT}script = x.lua\n` });
  assert.throws(() => parse(['--resume', 'paused.conf'], paused),
    (e: Error) => e.message === 'paused.conf:7: script: not supported yet');
  assert.throws(() => parse(['-c', 'paused.conf'], paused), (e: Error) => e.message.startsWith('paused.conf:7: script: '));
});

test('the command line prints one FAIL line naming the first refused option and exits 1', () => {
  const r = runCli(['10.0.0.1', '-p80', '--tcp-mss', '1200', '--data-length', '20', '--redis-pwd', 'x', '--vuln', 'poodle', '--echo']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr, `[-] FAIL: --redis-pwd: ${NOT_SUPPORTED_YET}\n`);
  const b = runCli(['10.0.0.1', '-p80', '--script', 'x.lua', '--echo']);
  assert.equal(b.status, 1);
  assert.equal(b.stderr, '[-] FAIL: --script: not supported yet\n');
});

test('--echo never prints a refused option', () => {
  const configs: ScanConfig[] = [
    parse(BASE),
    parse([...BASE, '--heartbleed=false', '--nocapture', 'servername', '--debug-level', '0']),
    parse([...BASE, '--rate', '5', '-oX', 'a.xml', '--noreset', '--nmap-payloads', 'x', '--adapter', 'eth0']),
  ];
  for (const c of configs) {
    for (const line of echoConfig(c).split('\n')) {
      const m = /^([^=#\s][^=]*?)\s*=/.exec(line);
      if (m === null) continue;
      const def = optionByName(m[1]!.replace(/\[.*\]$/, ''));
      assert.notEqual(def.effect.is, 'refused', line);
    }
  }
});

test('--help marks every refused option that it lists, and no other', () => {
  const help = helpText();
  for (const d of OPTIONS) {
    if (d.help === '') continue;
    const m = new RegExp(`^  --${d.name}(?:,| |$)[\\s\\S]*?(?=\\n  --|\\n\\n)`, 'm').exec(help);
    assert.ok(m !== null, d.name);
    const marked = /\[[^\]]*not supported yet\]/.test(m[0]);
    assert.equal(marked, d.effect.is === 'refused', `${d.name}: ${m[0]}`);
  }
});

// ---------------------------------------------------------------------------------------------
// No-ops

test('every no-op is accepted, changes nothing, and is listed in README.md', () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const list = readme.slice(readme.indexOf('## Options accepted and ignored'));
  assert.ok(list.length > 0 && readme.includes('## Options accepted and ignored'), 'README has the no-op list');
  const base = parse(BASE);
  const noops = OPTIONS.filter((d) => d.effect.is === 'noop');
  assert.ok(noops.length >= 5);
  for (const d of noops) {
    assert.ok(list.includes(`\`--${d.name}\``), `README lists --${d.name}`);
    const io = testIo();
    assert.deepStrictEqual(parse([...BASE, `--${d.name}`], io), base, d.name);
  }
  for (const dash of Object.keys(DASH_NOOPS)) {
    assert.ok(list.includes(`\`${dash}\``), `README lists ${dash}`);
    assert.deepStrictEqual(parse([...BASE, dash]), base, dash);
  }
});
