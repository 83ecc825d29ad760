/**
 * The mutable configuration that options are applied to while the command line and config
 * files are read. `finish` in parse.ts turns it into the frozen ScanConfig.
 */
import type { Operation, OutputFormatName, Range4, PortRange, CaptureType } from '../core/config.js';
import { TargetDraft } from './targets.js';

import type { Proto } from '../core/ports.js';

export type { Proto };

export interface DraftOutput { format: OutputFormatName; filename: string }

export interface Draft {
  operation: Operation | undefined;
  targets: TargetDraft;
  /** Protocol of bare port numbers given to -p (set by -sU/-sZ appearing earlier). */
  defaultProto: Proto;
  /** Scan types named (-sS/-sU/-sZ/--tcp-ports/--udp-ports); TCP is assumed when none. */
  scanTcp: boolean;
  scanUdp: boolean;
  scanSctp: boolean;
  scanTypeGiven: boolean;
  topPorts: number | undefined;

  seed: bigint | undefined;
  blackrockRounds: number;
  shard: { one: number; of: number };
  resumeIndex: number;
  resumeCount: number;
  retries: number;
  infinite: boolean;

  rate: number;
  wait: number;
  txThreads: number;

  adapter: string | undefined;
  adapterIp4: Range4 | undefined;
  adapterIp6: bigint | undefined;
  adapterPort: PortRange | undefined;
  adapterMac: string | undefined;
  routerMac4: string | undefined;
  routerMac6: string | undefined;
  routerIp: number | undefined;
  vlan: number | undefined;
  ttl: number;
  offline: boolean;
  txBackend: 'sendmmsg' | 'txring' | undefined;
  txArbiter: 'auto' | 'parallel' | 'serial';
  bpf: string | undefined;

  noreset: boolean;
  noFirewall: boolean;
  arpscan: boolean;
  banners: boolean;
  packetTrace: boolean;
  pcapFilename: string | undefined;
  capture: Set<CaptureType>;

  outputs: DraftOutput[];
  /** A format named by --output-format before any file name (used by the next file name). */
  pendingFormat: OutputFormatName | undefined;
  outputAppend: boolean;
  showOpen: boolean;
  showClosed: boolean;
  interactive: boolean;
  status: boolean;
  ndjsonStatus: boolean;
  rotateSeconds: number;
  rotateOffset: number;
  rotateSize: number;
  rotateDir: string;
  stylesheet: string | undefined;
  verbosity: number;
  debug: number;

  readscanFiles: string[];
  /** --report has taken its first file (the report); the next ones are scan files. */
  reportOutput: boolean;
  bannerTypes: string[];

  storeResume: boolean;
  /** --k8s-job N and the --k8s-* settings as given (parse.ts checks and completes them). */
  k8s: { count?: number; image?: string; namespace?: string; secret?: string; pvc?: string };

  raw: Map<string, string[]>;
  /** -c/--resume nesting depth (guards against a config file that includes itself). */
  includeDepth: number;
}

export function newDraft(): Draft {
  return {
    operation: undefined,
    targets: new TargetDraft(),
    defaultProto: 'tcp',
    scanTcp: false,
    scanUdp: false,
    scanSctp: false,
    scanTypeGiven: false,
    topPorts: undefined,
    seed: undefined,
    blackrockRounds: 14,
    shard: { one: 1, of: 1 },
    resumeIndex: 0,
    resumeCount: 0,
    retries: 0,
    infinite: false,
    rate: 100,
    wait: 10,
    txThreads: 0,
    adapter: undefined,
    adapterIp4: undefined,
    adapterIp6: undefined,
    adapterPort: undefined,
    adapterMac: undefined,
    routerMac4: undefined,
    routerMac6: undefined,
    routerIp: undefined,
    vlan: undefined,
    ttl: 255,
    offline: false,
    txBackend: undefined,
    txArbiter: 'auto',
    bpf: undefined,
    noreset: false,
    noFirewall: false,
    arpscan: false,
    banners: false,
    packetTrace: false,
    pcapFilename: undefined,
    capture: new Set<CaptureType>(['cert']),
    outputs: [],
    pendingFormat: undefined,
    outputAppend: false,
    showOpen: true,
    showClosed: false,
    interactive: false,
    status: true,
    ndjsonStatus: false,
    rotateSeconds: 0,
    rotateOffset: 0,
    rotateSize: 0,
    rotateDir: '.',
    stylesheet: undefined,
    verbosity: 0,
    debug: 0,
    readscanFiles: [],
    reportOutput: false,
    bannerTypes: [],
    storeResume: false,
    k8s: {},
    raw: new Map(),
    includeDepth: 0,
  };
}

/** Replace the stored values of a raw option. */
export function rawSet(d: Draft, key: string, value: string): void {
  d.raw.set(key, [value]);
}

/** Append a value to a raw list option. */
export function rawAdd(d: Draft, key: string, value: string): void {
  const list = d.raw.get(key);
  if (list === undefined) d.raw.set(key, [value]);
  else list.push(value);
}
