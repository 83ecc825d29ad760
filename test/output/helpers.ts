/** Shared records, metadata and I/O helpers for the output tests. */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ScanMeta } from '../../src/output/format.js';
import type { OutputOptions } from '../../src/output/outputs.js';
import type { BannerRecord, ScanRecord, StatusRecord } from '../../src/core/record.js';
import { builtinServiceNames } from '../../src/output/services.js';
import { realFs } from '../../src/output/sink.js';
import type { OutputIo } from '../../src/output/sink.js';

// Local-time fields (XML timestr, rotation names) are checked in UTC.
process.env.TZ = 'UTC';

export const GOLDEN_DIR = path.resolve(import.meta.dirname, '../../../test/output/golden');
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../../../test/output/fixtures');

export function v4(s: string): { version: 4; v4: number } {
  const p = s.split('.').map(Number);
  return { version: 4, v4: ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0 };
}

/** Parses full or `::`-compressed IPv6 text (no dotted tail). */
export function v6(s: string): { version: 6; v6: bigint } {
  const [a, b] = s.split('::') as [string, string | undefined];
  const left = a === '' ? [] : a.split(':');
  const right = b === undefined || b === '' ? [] : b.split(':');
  const groups = b === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return { version: 6, v6: v };
}

export function status(ip: string, ipProto: number, port: number, st: StatusRecord['status'], reason: number,
  ttl: number, timestamp: number, mac?: string): StatusRecord {
  const r: StatusRecord = { kind: 'status', timestamp, ip: ip.includes(':') ? v6(ip) : v4(ip), ipProto, port, status: st, reason, ttl };
  return mac === undefined ? r : { ...r, mac };
}

export function banner(ip: string, ipProto: number, port: number, service: string, text: string | Uint8Array,
  ttl: number, timestamp: number): BannerRecord {
  return {
    kind: 'banner', timestamp, ip: ip.includes(':') ? v6(ip) : v4(ip), ipProto, port, service, ttl,
    banner: typeof text === 'string' ? new Uint8Array(Buffer.from(text, 'latin1')) : text,
  };
}

/** The golden record set: IPv4, IPv6, banners needing escapes, UDP/ICMP/ARP/SCTP/other. */
export const SAMPLE: readonly ScanRecord[] = [
  status('10.0.0.1', 6, 80, 'open', 0x12, 64, 1700000000),
  status('10.0.0.2', 6, 443, 'closed', 0x14, 128, 1700000001),
  status('10.0.0.3', 17, 53, 'open', 0, 64, 1700000002),
  status('10.0.0.9', 1, 0, 'open', 0, 64, 1700000002),
  banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK\r\nServer: <x>&"\'\\ caf\xc3\xa9\x00\x7f\xff\t\r\n', 64, 1700000003),
  status('2001:db8::1', 6, 22, 'open', 0x12, 57, 1700000004),
  banner('2001:db8::1', 6, 22, 'ssh', 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n', 57, 1700000005),
  banner('10.0.0.5', 17, 161, 'snmp', 'sysDescr:Linux router', 63, 1700000007),
  status('10.0.0.7', 0, 0, 'up', 0, 0, 1700000008, '00:0c:29:aa:bb:cc'),
  status('10.0.0.2', 132, 36412, 'open', 0, 128, 1700000009),
  status('2001:db8:0:1::2', 6, 23, 'closed', 0x14, 57, 1700000010),
  banner('10.0.0.4', 6, 443, 'X509', 'MIIBszCCAVmgAwIBAgIUKq0nNm5cZXhhbXBsZS1jZXJ0aWZpY2F0ZS1ib2R5LWZvci10ZXN0cw==', 51, 1700000011),
  status('10.0.0.10', 99, 5, 'open', 0, 30, 1700000012),
  status('fe80::1', 58, 0, 'open', 0, 64, 1700000013),
  banner('10.0.0.1', 6, 80, 'title', 'Welcome <b>&"\'\\ caf\xc3\xa9', 64, 1700000014),
];

export const META: ScanMeta = {
  startTime: 1700000000,
  version: '0.1.0',
  portsScanned: [
    { begin: 22, end: 23 }, { begin: 80, end: 80 }, { begin: 443, end: 443 },
    { begin: 65536 + 53, end: 65536 + 53 }, { begin: 65536 + 161, end: 65536 + 161 },
    { begin: 131072 + 36412, end: 131072 + 36412 },
  ],
  commandLine: 'tidescan -p22-23,80,443,U:53,U:161,S:36412 10.0.0.0/24 2001:db8::/64 --banners',
};

export const NOW_MS = 1700000100_000;

export function options(over: Partial<OutputOptions> = {}): OutputOptions {
  return {
    outputs: [], append: false, showOpen: true, showClosed: true, interactive: false,
    rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined,
    services: builtinServiceNames(),
    ...over,
  };
}

/** Real file system, fixed clock (adjustable), stdout captured to a file when asked. */
export function testIo(clock: { ms: number } = { ms: NOW_MS }, stdoutFd = 1): OutputIo {
  return { fs: realFs, now: () => clock.ms, stdoutFd };
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tidescan-out-${tag}-`));
}

export function rmDir(d: string): void {
  fs.rmSync(d, { recursive: true, force: true });
}

/** Runs a command; returns status, stdout, stderr (never throws on non-zero exit). */
export function run(cmd: string, args: readonly string[], input?: Uint8Array | string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { input, encoding: 'latin1', maxBuffer: 1 << 28 });
  if (r.error !== undefined) throw r.error;
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Fails (never skips) when a checker the tests rely on is not installed. */
export function requireTool(name: string): void {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'pipe' });
  } catch {
    throw new Error(`${name} is not installed: scripts/setup.sh installs it (Debian package list there)`);
  }
}

export const NMAP_DTD = '/usr/share/nmap/nmap.dtd';
export const NMAP_XSL = '/usr/share/nmap/nmap.xsl';

export function xmlValid(file: string): string {
  const r = run('xmllint', ['--noout', '--dtdvalid', NMAP_DTD, file]);
  return r.status === 0 ? '' : r.stderr;
}

export function jqValid(file: string, slurp = false): string {
  const r = run('jq', slurp ? ['-s', '-e', 'length >= 0', file] : ['-e', 'length >= 0', file]);
  return r.status === 0 ? '' : r.stderr + r.stdout;
}

import { runReadscan } from '../../src/output/readscan.js';
import type { ReadscanConfig, ReadscanOptions } from '../../src/output/readscan.js';

/** What --readscan reads of a ScanConfig, with ScanConfig's defaults. */
export function readscanConfig(files: readonly string[], over: Partial<ReadscanConfig> = {}): ReadscanConfig {
  return {
    targets4: [], targets6: [], ports: [], bannerTypes: [], readscanFiles: files,
    outputs: [], outputAppend: false, showOpen: true, showClosed: false, interactive: false,
    rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined,
    ...over,
  };
}

/** Runs our --readscan in-process; returns exit code and stderr text. */
export async function ourReadscan(files: readonly string[], over: Partial<ReadscanConfig>, opts: ReadscanOptions = {}): Promise<{ rc: number; stderr: string }> {
  let err = '';
  const rc = await runReadscan(readscanConfig(files, over), {
    stderr: (s) => { err += s; }, handleSignals: false, io: testIo(), ...opts,
    outputOptions: { services: undefined, ...opts.outputOptions },
  });
  return { rc, stderr: err };
}
