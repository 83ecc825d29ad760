/**
 * `--merge FILES -oB OUT` (or any output): binary scan files, typically one per shard of a
 * `--k8s-job` or of `--shards` runs, combined into one set of outputs. It is --readscan of
 * all the files (targets and ports given still filter), plus:
 * - a record equal to one already written (same address, protocol, port and status; for
 *   banners, also the same service and bytes) is dropped, so shards that overlap, or a file
 *   merged twice, count once;
 * - an output must be named (the merge is a file, not a listing), and none may be one of
 *   the inputs (opening it would truncate it before it is read);
 * - every status is kept, closed ports too (a merge combines files; it does not apply
 *   --readscan's default of showing open ports only);
 * - the counts are printed on stderr at the end.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ScanConfig } from '../core/config.js';
import { ScanError } from '../error.js';
import { runReadscan, type ReadscanCounts, type ReadscanOptions } from '../output/readscan.js';

/** The real path of a file, or its absolute path when it does not exist yet. */
function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/** Throws the one-line error of a merge that cannot start. */
export function checkMerge(config: Pick<ScanConfig, 'outputs' | 'readscanFiles'>): void {
  const files = config.outputs.filter((o) => o.filename !== '-' && o.format !== 'interactive');
  if (files.length === 0) throw new ScanError('ERR_USAGE', '--merge: name the merged file, e.g. -oB all.bin');
  const inputs = new Set(config.readscanFiles.map(realOr));
  for (const o of files) {
    if (inputs.has(realOr(o.filename))) {
      throw new ScanError('ERR_USAGE', `--merge: the output ${o.filename} is also an input`);
    }
  }
}

export function mergeSummary(c: ReadscanCounts): string {
  return `[+] --merge: ${c.files} file(s), ${c.records} record(s) read, ${c.written} written, ${c.duplicates} duplicate(s) dropped\n`;
}

/** Exit code 0, or 1 after any bad file (every record before the damage is still merged). */
export function runMerge(config: ScanConfig, opts: ReadscanOptions = {}): Promise<number> {
  checkMerge(config);
  const stderr = opts.stderr ?? ((s: string) => { process.stderr.write(s); });
  return runReadscan(config, {
    ...opts,
    outputOptions: { ...opts.outputOptions, showOpen: true, showClosed: true },
    unique: true,
    label: '--merge',
    onDone: (c) => stderr(mergeSummary(c)),
  });
}
