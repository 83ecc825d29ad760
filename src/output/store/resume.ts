/**
 * --store-resume: a scan that finds its shard's row in the result store (store.ts claimScan:
 * same seed, shard and index space) and carries on from the row's resume index, instead of
 * making a new row and starting over. This is how a retried pod of a `--k8s-job` resumes.
 */
import type { ScanConfig } from '../../core/config.js';
import type { ResultStore, ScanInfo, ScanRow } from './store.js';

/** The row a scan writes into: claimed (--store-resume) or new. */
export function openScanRow(config: Pick<ScanConfig, 'storeResume'>, store: ResultStore, info: ScanInfo): Promise<ScanRow> {
  return config.storeResume === true ? store.claimScan(info) : store.createScan(info);
}

/**
 * The configuration to run once the row is known: from the row's resume index when the
 * row was taken over, as asked for a new row, or undefined when the row is done already
 * (nothing is left to send). `note` receives one line saying which.
 */
export function resumeFromRow<C extends Pick<ScanConfig, 'storeResume' | 'shard' | 'resumeIndex'>>(
  config: C, where: string, row: ScanRow, note: (line: string) => void,
): C | undefined {
  if (config.storeResume !== true) return config;
  const shard = `${config.shard.one}/${config.shard.of}`;
  if (row.status === 'done') {
    note(`[+] ${where}: shard ${shard} of this scan is done (scan row ${row.id}): nothing to send\n`);
    return undefined;
  }
  if (!row.resumed) return config;
  note(`[+] ${where}: resuming shard ${shard} from its scan row ${row.id} at index ${row.resumeIndex} (attempt ${row.attempts})\n`);
  return { ...config, resumeIndex: row.resumeIndex };
}
