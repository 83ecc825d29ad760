/**
 * `--readscan FILES`: binary scan files converted to the chosen outputs (files, or the result
 * stores: `-oQ db`, `--output-format postgres --output-filename postgres://…`), filtered by
 * the targets and ports given. The reader, filter and conversion are output/readscan.ts's.
 */
import type { ScanConfig } from '../core/config.js';
import { TIDESCAN_VERSION } from '../engine/version.js';
import { runReadscan } from '../output/readscan.js';

/** Exit code 0, or 1 after any bad file. */
export function runReadscanCommand(config: ScanConfig): Promise<number> {
  return runReadscan(config, { version: TIDESCAN_VERSION, storeCommandLine: process.argv.slice(2).join(' ') });
}
