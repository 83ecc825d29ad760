/** Shared test helpers for the command line: an in-memory ParseIo and config shortcuts. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ParseIo } from '../../src/cli/parse.js';
import { parseCommandLine, parseConfigFileText } from '../../src/cli/parse.js';
import type { ScanConfig } from '../../src/core/config.js';

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const BIN = join(REPO, 'bin', 'tidescan.js');

export interface TestIo extends ParseIo {
  readonly warnings: string[];
}

/** An io whose files live in `files`; no default config unless a test adds one. */
export function testIo(files: Record<string, string | Buffer> = {}, env: Record<string, string> = {}): TestIo {
  const warnings: string[] = [];
  return {
    readFile(path: string): Buffer {
      const f = files[path];
      if (f === undefined) {
        const e = new Error(`ENOENT: no such file or directory, open '${path}'`) as NodeJS.ErrnoException;
        e.code = 'ENOENT';
        throw e;
      }
      return typeof f === 'string' ? Buffer.from(f, 'utf8') : f;
    },
    env,
    cwd: '/test',
    now: () => 1_700_000_000_123,
    randomSeed: () => 0x1234_5678_9abc_def0n,
    warn: (l: string) => { warnings.push(l); },
    warnings,
  };
}

export function parse(argv: string[], io: ParseIo = testIo()): ScanConfig {
  return parseCommandLine(argv, io);
}

export function parseText(text: string, io: ParseIo = testIo()): ScanConfig {
  return parseConfigFileText(text, 'test.conf', io);
}

/** Runs the built CLI. */
export function runCli(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): {
  status: number | null; stdout: string; stderr: string;
} {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    input: opts.input ?? '',
    env: { ...process.env, TIDESCAN_NO_DEFAULT_CONFIG: '1', ...(opts.env ?? {}) },
    timeout: 60_000,
    maxBuffer: 256 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
