/**
 * tidescan as a library (the `api` layer: docs/DESIGN.md). Everything a program needs:
 *
 *   import { scan, type ScanRecord } from 'tidescan';
 *   const job = scan({ targets: ['10.0.0.0/24'], ports: 'T:80,443,U:53', rate: 10_000, banners: true });
 *   job.addEventListener('progress', (e) => console.log(e.detail.percent));
 *   for await (const r of job) if (r.kind === 'port') console.log(r.addr, r.port, r.status);
 *   const summary = await job.done;
 *
 * Nothing else of the package is public: deep imports are closed by package.json `exports`.
 */
export { scan, ScanJob } from './api/scan.js';
export type { ScanJobEventMap, ScanProgress, ScanStartInfo, ScanSummary } from './api/scan.js';
export type { ScanOptions, AdapterOptions, BannerOptions, ListOptions } from './api/options.js';
export type { ScanRecord, PortRecord, HostRecord, BannerRecord, ServiceRecord, Proto } from './api/records.js';
export { listTargets } from './api/list.js';
export type { ListedTarget } from './api/list.js';
export { readScan } from './api/readscan.js';
export type { ReadScanOptions } from './api/readscan.js';
export { ScanError, isScanError } from './error.js';
export type { ErrorCode } from './error.js';
export type { CaptureType, HelloName, AppNumbering } from './core/config.js';
export type { ScanKind } from './engine/sink.js';
