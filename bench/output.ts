/**
 * Output benchmark: writes N records (default 10 M; `node dist/bench/output.js N`) in every
 * format to files under /tmp (deleted afterwards) and reports records/s per format; then
 * converts a big binary file written by our writer with `masscan --readscan` (1.3.2) and with
 * ours, to list and to JSON, and reports both rates. Results: bench/results/output.json.
 *
 * Records: 90% status (open/closed TCP, some UDP and IPv6), 10% banners of 40..90 bytes with
 * bytes that need escaping, cycled from a pool of 4096 distinct records.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ScanConfig } from '../src/core/config.js';
import { OutputSet } from '../src/output/outputs.js';
import type { ScanRecord } from '../src/core/record.js';
import { runReadscan } from '../src/output/readscan.js';
import { FORMATS } from '../src/output/registry.js';
import { systemServiceNames } from '../src/output/services.js';
import { writeResult } from './lib/results.js';

const N = Number(process.argv[2] ?? 10_000_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidescan-bench-output-'));

function pool(): ScanRecord[] {
  const out: ScanRecord[] = [];
  const text = Buffer.from('HTTP/1.1 200 OK\r\nServer: nginx/1.18.0 (Ubuntu)\r\nContent-Type: text/html\r\n', 'latin1');
  for (let i = 0; i < 4096; i++) {
    const ip = i % 16 === 15
      ? { version: 6 as const, v6: (0x20010db8n << 96n) | BigInt(i) }
      : { version: 4 as const, v4: (0x0a000000 + i * 7919) >>> 0 };
    const ts = 1700000000 + (i >>> 4);
    if (i % 10 === 9) {
      out.push({ kind: 'banner', timestamp: ts, ip, ipProto: 6, port: 80, service: 'http', ttl: 64,
        banner: new Uint8Array(text.subarray(0, 40 + (i % 50))) });
    } else if (i % 10 === 8) {
      out.push({ kind: 'status', timestamp: ts, ip, ipProto: 17, port: 53, status: 'open', reason: 0, ttl: 64 });
    } else {
      out.push({ kind: 'status', timestamp: ts, ip, ipProto: 6, port: 1 + (i % 1024),
        status: i % 3 === 0 ? 'closed' : 'open', reason: i % 3 === 0 ? 0x14 : 0x12, ttl: 64 });
    }
  }
  return out;
}

const records = pool();
const meta = { startTime: 1700000000, version: '0.1.0', portsScanned: [{ begin: 1, end: 1024 }, { begin: 65589, end: 65589 }], commandLine: 'bench' };
const services = systemServiceNames();

function cpuSeconds(c: NodeJS.CpuUsage): number {
  return (c.user + c.system) / 1e6;
}

/** Runs a command under bash's `time`; returns wall and CPU (user+sys) seconds. */
function timed(cmd: string[]): { status: number | null; wall: number; cpu: number } {
  const script = 'TIMEFORMAT="%R %U %S"; { time "$@" >/dev/null 2>&1; } 2>&1';
  const r = spawnSync('bash', ['-c', script, 'bench', ...cmd], { encoding: 'utf8' });
  const [wall, user, sys] = r.stdout.trim().split(/\s+/).slice(-3).map(Number) as [number, number, number];
  return { status: r.status, wall, cpu: user + sys };
}

function writeFormat(format: string, file: string, n: number): { seconds: number; cpu: number; bytes: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const set = OutputSet.open({
    outputs: [{ format, filename: file }], append: false, showOpen: true, showClosed: true, interactive: false,
    rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined, services,
  }, meta);
  const mask = records.length - 1;
  for (let i = 0; i < n; i++) set.write(records[i & mask]!);
  set.closeAll();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(process.cpuUsage(c0));
  const bytes = fs.existsSync(file) ? fs.statSync(file).size : 0;
  return { seconds, cpu, bytes };
}

function config(files: string[], format: string, filename: string): ScanConfig {
  return {
    operation: 'readscan', targets4: [], targets6: [], ports: [], bannerTypes: [], readscanFiles: files,
    outputs: [{ format, filename }], outputAppend: false, showOpen: true, showClosed: true,
    interactive: false, rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined,
  } as unknown as ScanConfig;
}

function lineCount(file: string): number {
  const r = spawnSync('wc', ['-l', file], { encoding: 'utf8' });
  return Number(r.stdout.trim().split(/\s+/)[0]);
}

async function main(): Promise<void> {
  const result: Record<string, unknown> = { records: N };
  result.loadavg = os.loadavg();
  const perFormat: Record<string, { recordsPerSecond: number; recordsPerCpuSecond: number; seconds: number; cpuSeconds: number; bytes: number }> = {};
  try {
    for (const f of FORMATS) {
      if (f.name === 'none' || f.name === 'certs') continue;
      const file = path.join(dir, 'out' + f.extension + '.' + f.name);
      const { seconds, cpu, bytes } = writeFormat(f.name, file, N);
      perFormat[f.name] = {
        recordsPerSecond: Math.round(N / seconds), recordsPerCpuSecond: Math.round(N / cpu),
        seconds: Number(seconds.toFixed(3)), cpuSeconds: Number(cpu.toFixed(3)), bytes,
      };
      console.log(`${f.name.padEnd(12)} ${(N / seconds / 1e6).toFixed(2).padStart(6)} M records/s wall, ` +
        `${(N / cpu / 1e6).toFixed(2).padStart(6)} M/s cpu  ${seconds.toFixed(2)} s  ${(bytes / 1e6).toFixed(0)} MB`);
      fs.rmSync(file, { force: true });
    }
    result.write = perFormat;

    // --readscan conversion: a big binary file from our writer, converted by both tools.
    const big = path.join(dir, 'big.bin');
    writeFormat('binary', big, N);
    const conv: Record<string, unknown> = {};
    for (const [format, flag] of [['list', '-oL'], ['json', '-oJ']] as const) {
      const theirsOut = path.join(dir, `masscan.${format}`);
      const r = timed(['masscan', '--readscan', big, '--show', 'closed', flag, theirsOut]);
      const tm = r.wall;
      const mOk = r.status === 0;
      const mLines = mOk ? lineCount(theirsOut) : 0;
      fs.rmSync(theirsOut, { force: true });
      const oursOut = path.join(dir, `ours.${format}`);
      const c1 = process.cpuUsage();
      const t1 = process.hrtime.bigint();
      const rc = await runReadscan(config([big], format, oursOut), { stderr: () => {}, handleSignals: false });
      const to = Number(process.hrtime.bigint() - t1) / 1e9;
      const toCpu = cpuSeconds(process.cpuUsage(c1));
      const oLines = lineCount(oursOut);
      fs.rmSync(oursOut, { force: true });
      conv[format] = {
        masscan: {
          seconds: tm, cpuSeconds: Number(r.cpu.toFixed(3)), recordsPerSecond: Math.round(N / tm),
          recordsPerCpuSecond: Math.round(N / r.cpu), exit: r.status, lines: mLines,
        },
        tidescan: {
          seconds: Number(to.toFixed(3)), cpuSeconds: Number(toCpu.toFixed(3)), recordsPerSecond: Math.round(N / to),
          recordsPerCpuSecond: Math.round(N / toCpu), exit: rc, lines: oLines,
        },
      };
      console.log(`readscan binary->${format.padEnd(5)} masscan ${(N / tm / 1e6).toFixed(2)} M/s wall, ${(N / r.cpu / 1e6).toFixed(2)} M/s cpu` +
        ` | tidescan ${(N / to / 1e6).toFixed(2)} M/s wall, ${(N / toCpu / 1e6).toFixed(2)} M/s cpu`);
    }
    result.readscan = conv;
    fs.rmSync(big, { force: true });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  console.log(`results: ${await writeResult('output', result)}`);
}

await main();
