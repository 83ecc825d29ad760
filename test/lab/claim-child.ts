/**
 * `tidescan ARGS` as the command line runs a scan, but resuming from the result stores
 * (--store-resume: what a retried pod of a sharded scan does). Run by
 * test/lab/store.test.ts inside the lab's scanner namespace.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { parseCommandLine } from '../../src/cli/parse.js';
import { runScanCommand } from '../../src/cli/run-scan.js';

const config = parseCommandLine([...process.argv.slice(2), '--store-resume'], {
  readFile: (p) => readFileSync(p),
  env: process.env,
  cwd: process.cwd(),
  now: () => Date.now(),
  randomSeed: () => randomBytes(8).readBigUInt64BE(0),
  warn: (l) => void process.stderr.write(`${l}\n`),
});
process.exitCode = await runScanCommand(config);
