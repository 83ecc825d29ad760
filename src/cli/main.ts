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
import { isScanError, oneLine } from '../error.js';
import type { ScanConfig } from '../core/config.js';
import { parseCommandLine, type ParseIo } from './parse.js';
import { clipInput } from '../target/parse.js';
import { COMMANDS, type CommandHandler } from '../commands/index.js';
import { TEXT_COMMANDS } from './text-commands.js';

/** One line on stderr: warnings and errors quote user input, whose control characters are escaped. */
function stderr(line: string): void {
  try {
    process.stderr.write(`${oneLine(line)}\n`);
  } catch {
    // nothing sensible left to do
  }
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

/** Every operation but the scan, in one table: the texts of the CLI and the commands of src/commands. */
const OPERATIONS: { readonly [K in Exclude<ScanConfig['operation'], 'scan'>]: CommandHandler } = { ...COMMANDS, ...TEXT_COMMANDS };

/** Every operation: the scan here, the other modes through one table. */
async function run(config: ScanConfig): Promise<number> {
  const op = config.operation;
  if (op !== 'scan') return OPERATIONS[op](config);
  const m: typeof import('./run-scan.js') = await import('./run-scan.js');
  return m.runScanCommand(config);
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
