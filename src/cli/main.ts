/**
 * The program: parse the command line, then run the one operation it names.
 *
 * Exit codes (masscan's): 0 for a scan, -sL, --echo, --echo-cidr, --readrange, --readscan,
 * --iflist that succeeded; 1 for --help, -h, --version, --nmap, no arguments, and every error.
 * Every ScanError prints one line `[-] FAIL: <message>` on stderr (no stack trace); so does
 * an unexpected error, as `[-] FAIL: internal error: <message>`.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { ScanError, isScanError, oneLine } from '../error.js';
import type { ScanConfig, Range4, Range6 } from './config.js';
import { parseCommandLine, type ParseIo } from './parse.js';
import { echoConfig, formatRange4, formatRange6 } from './echo.js';
import { runScanCommand } from './run-scan.js';
import { formatIPv4 } from '../target/ipv4.js';
import { formatIPv6 } from '../target/ipv6.js';
import { clipInput } from '../target/parse.js';
import { runList, writeAll } from './list.js';
import { helpText, usageText, nmapHelpText, versionText } from './help.js';

/** One line on stderr: warnings and errors quote user input, whose control characters are escaped. */
function stderr(line: string): void {
  try {
    process.stderr.write(`${oneLine(line)}\n`);
  } catch {
    // nothing sensible left to do
  }
}

function stdoutText(text: string): void {
  const buf = Buffer.from(text, 'utf8');
  writeAll(1, buf, buf.length);
}

function nodeIo(): ParseIo {
  return {
    readFile: (path) => (path === '-' ? readFileSync(0) : readFileSync(path)),
    env: process.env,
    cwd: process.cwd(),
    now: () => Date.now(),
    randomSeed: () => randomBytes(8).readBigUInt64BE(0),
    warn: stderr,
  };
}

/** The fewest aligned CIDR blocks covering r, in order, as `ip/prefix` (0.0.0.0/0 included). */
function cidrBlocks4(r: Range4, out: string[]): void {
  let b = r.begin;
  while (b <= r.end) {
    let size = 1;
    let prefix = 32;
    while (prefix > 0 && b % (size * 2) === 0 && b + size * 2 - 1 <= r.end) { size *= 2; prefix--; }
    out.push(`${formatIPv4(b)}/${prefix}`);
    b += size;
  }
}

function cidrBlocks6(r: Range6, out: string[]): void {
  let b = r.begin;
  while (b <= r.end) {
    let size = 1n;
    let prefix = 128;
    while (prefix > 0 && b % (size * 2n) === 0n && b + size * 2n - 1n <= r.end) { size *= 2n; prefix--; }
    out.push(`${formatIPv6(b)}/${prefix}`);
    b += size;
  }
}

type ModuleWith<K extends string, F> = { [P in K]?: F };

/** Loads a module another part of the program provides; a missing one is a clear error. */
async function load<K extends string, F>(spec: string, name: K, what: string): Promise<F> {
  let mod: ModuleWith<K, F>;
  try {
    mod = (await import(spec)) as ModuleWith<K, F>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND') throw new ScanError('ERR_INTERNAL', `${what} is not available in this build (${spec} missing)`);
    throw e;
  }
  const f = mod[name];
  if (typeof f !== 'function') throw new ScanError('ERR_INTERNAL', `${what} is not available in this build (${spec} has no ${name})`);
  return f as F;
}

async function run(config: ScanConfig): Promise<number> {
  switch (config.operation) {
    case 'usage':
      stdoutText(usageText());
      return 1;
    case 'help':
      stdoutText(helpText());
      return 1;
    case 'nmap-help':
      stdoutText(nmapHelpText());
      return 1;
    case 'version':
      stdoutText(versionText());
      return 1;
    case 'echo':
      stdoutText(echoConfig(config));
      return 0;
    case 'echo-cidr': {
      const out: string[] = [];
      for (const r of config.targets4) cidrBlocks4(r, out);
      for (const r of config.targets6) cidrBlocks6(r, out);
      stdoutText(out.map((l) => `${l}\n`).join(''));
      return 0;
    }
    case 'readrange': {
      const out: string[] = [];
      for (const r of config.targets4) out.push(formatRange4(r));
      for (const r of config.targets6) out.push(formatRange6(r));
      stdoutText(out.map((l) => `${l}\n`).join(''));
      return 0;
    }
    case 'list':
      return runList(config);
    case 'readscan': {
      const f = await load<'runReadscan', (c: ScanConfig) => Promise<number> | number>(
        '../output/readscan.js', 'runReadscan', '--readscan');
      return await f(config);
    }
    case 'iflist': {
      const f = await load<'runIflist', () => Promise<number>>('../adapter/interfaces.js', 'runIflist', '--iflist');
      return await f();
    }
    case 'selftest': {
      const f = await load<'runSelftest', () => Promise<number> | number>('../engine/selftest.js', 'runSelftest', '--selftest');
      return await f();
    }
    case 'benchmark': {
      const f = await load<'runBenchmark', (c: ScanConfig) => Promise<number> | number>(
        '../engine/benchmark.js', 'runBenchmark', '--benchmark');
      return await f(config);
    }
    case 'scan':
      return await runScanCommand(config);
  }
}

/**
 * The longest error line printed. Every message quotes at most QUOTE_MAX characters of a bad
 * value (tested); this only guards against a message that forgot to, so that no input can
 * turn one error into kilobytes of terminal output.
 */
const MAX_ERROR_LINE = 1000;

function report(e: unknown): number {
  const msg = isScanError(e) ? e.message : `internal error: ${e instanceof Error ? e.message : String(e)}`;
  stderr(`[-] FAIL: ${clipInput(msg, MAX_ERROR_LINE)}`);
  return 1;
}

export async function main(argv: string[]): Promise<number> {
  try {
    const config = parseCommandLine(argv, nodeIo());
    return await run(config);
  } catch (e) {
    return report(e);
  }
}
