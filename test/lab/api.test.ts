/**
 * The library in the lab: a program that imports tidescan (test/lab/api-child.ts, run in the
 * scanner namespace) scans the sink through scan() over AF_PACKET and gets every record kind
 * from real answers: a port open (nginx on 80, a UDP responder) and closed (the sink's kernel
 * RSTs 81 and answers a closed UDP port with ICMP port unreachable), the
 * HTTP banner nginx sends (from the scanner's own address: tidescan keeps its kernel from
 * resetting the connection itself), the host up by ICMP echo (the sink's kernel answers for
 * its AnyIP range), and by ARP (the sink's veth address, with its MAC). Then aborting the
 * signal mid-scan and resuming at `resumeIndex` covers the scan exactly; and scans in a row
 * leave the program's file descriptors (AF_PACKET sockets, rings) and memory flat.
 * Needs root: fails (never skips) without it. nginx is stopped by PID and the namespaces
 * deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, requireRoot, LAB_ADDR, type Lab } from './lab.js';
import { startNginx, type NginxServer } from './servers.js';

const CHILD = fileURLToPath(new URL('./api-child.js', import.meta.url));
/** A UDP responder of the sink (the lab's services process) on 7777; 7778 is closed (ICMP port unreachable). */
const UDP_IP = '198.18.0.30';

let lab: Lab;
let nginx: NginxServer;
let dir: string;

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-api-lab-'));
  lab = await createLab({ prefix: `ha${process.pid}`.slice(0, 9), ipv6: false });
  nginx = await startNginx(lab, { dir, lifetimeMs: 300_000 });
  await lab.startServices({ udp: [{ host: UDP_IP, port: 7777 }], lifetimeMs: 300_000 });
});

after(async () => {
  await nginx?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

type Json = Record<string, unknown>;

interface ChildRecord {
  readonly kind: 'port' | 'host' | 'banner';
  readonly addr: string;
  readonly port: number;
  readonly proto: string;
  readonly status?: string;
  readonly reason?: string;
  readonly ttl: number;
  readonly time: number;
  readonly mac?: string;
  readonly service?: string;
  readonly banner?: string;
  readonly bytes?: string;
}

interface ChildScan {
  readonly records: ChildRecord[];
  readonly events: { type: string; detail: Json }[];
  readonly progress: number;
  readonly summary: { sent: number; replies: number; found: number; aborted: boolean; resumeIndex?: number; dropped: number };
}

/** The child program in the scanner namespace: its exit code and its one JSON line. */
async function childRun<T>(args: readonly string[], timeoutMs: number): Promise<{ code: number | null; out: T; line: string; stderr: string }> {
  const p = await lab.spawnScanner(process.execPath, [CHILD, ...args], { timeoutMs, cwd: dir });
  const r = await p.done;
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  return { code: r.code, out: JSON.parse(line === '' ? 'null' : line) as T, line, stderr: r.stderr };
}

async function child<T>(args: readonly string[], timeoutMs = 55_000): Promise<T> {
  const r = await childRun<T>(args, timeoutMs);
  assert.equal(r.code, 0, `child exited ${r.code}: ${r.line}\n${r.stderr.slice(0, 2000)}`);
  return r.out;
}

function link(): Json {
  return { name: lab.scanIf, routerMac: LAB_ADDR.sinkMac };
}

test('scan() in the lab: port open and closed, an HTTP banner, host up by ICMP echo and by ARP', { timeout: 120_000 }, async () => {
  const ip = nginx.http.ip;
  const main = await child<ChildScan>(['scan', JSON.stringify({
    targets: [ip, UDP_IP], ports: '80,81,U:7777,U:7778', ping: true, banners: true, rate: 1000, wait: 3, seed: '5', adapter: link(),
  })]);
  const key = (r: ChildRecord): string => `${r.kind} ${r.proto} ${r.kind === 'banner' ? r.service : r.status} ${r.addr}:${r.port}`;
  const keys = new Set(main.records.map(key));
  for (const k of [
    `port tcp open ${ip}:80`, `port tcp closed ${ip}:81`, `host icmp up ${ip}:0`, `banner tcp http ${ip}:80`,
    `port udp open ${UDP_IP}:7777`, `port udp closed ${UDP_IP}:7778`, `host icmp up ${UDP_IP}:0`,
  ]) {
    assert.ok(keys.has(k), `${k} in ${[...keys].join(', ')}`);
  }
  const open = main.records.find((r) => key(r) === `port tcp open ${ip}:80`)!;
  assert.equal(open.reason, 'syn-ack');
  assert.ok(open.ttl > 0 && open.time > Date.now() - 120_000);
  const http = main.records.find((r) => key(r) === `banner tcp http ${ip}:80`)!;
  assert.ok(http.banner!.startsWith('HTTP/1.1 200 OK\\x0d\\x0a'), http.banner);
  assert.ok(http.banner!.includes(`Server: ${nginx.serverHeader}`), http.banner);
  assert.ok(Buffer.from(http.bytes!, 'base64').toString('latin1').startsWith('HTTP/1.1 200 OK\r\n'));
  assert.deepEqual(main.events.map((e) => e.type).filter((t) => t !== 'warning'), ['start', 'end']);
  assert.equal(main.summary.aborted, false);
  assert.equal(main.summary.resumeIndex, undefined, 'nothing to resume');
  assert.equal(main.summary.dropped, 0);
  assert.equal(main.summary.sent, 2 * 5);
  assert.equal(main.summary.found, 4, "open 80, open U:7777, two echo replies");

  // ARP: the sink's veth address answers with its MAC (no router MAC: ARP goes to broadcast).
  const arp = await child<ChildScan>(['scan', JSON.stringify({
    targets: [`${LAB_ADDR.sinkIp4}/32`], arp: true, rate: 100, wait: 1, adapter: { name: lab.scanIf },
  })]);
  assert.deepEqual(arp.records.map((r) => ({ kind: r.kind, proto: r.proto, addr: r.addr, mac: r.mac, status: r.status })), [
    { kind: 'host', proto: 'arp', addr: LAB_ADDR.sinkIp4, mac: LAB_ADDR.sinkMac, status: 'up' },
  ]);
});

test('a failure while running (no such interface) rejects with its code, after scan() returned', { timeout: 60_000 }, async () => {
  const r = await childRun<{ error: string; code: string; returned: boolean }>(['scan', JSON.stringify({
    targets: ['198.18.0.1'], ports: [80], adapter: { name: 'nosuch0', routerMac: LAB_ADDR.sinkMac }, wait: 0,
  })], 30_000);
  assert.equal(r.code, 1, r.line);
  assert.equal(r.out.code, 'ERR_ADAPTER', r.line);
  assert.match(r.out.error, /nosuch0/);
  assert.equal(r.out.returned, true, 'scan() returned the job; the failure came through the iterator');
});

test('abort mid-scan, resume at resumeIndex: the two runs cover the scan exactly', { timeout: 120_000 }, async () => {
  // 256 addresses x 2 ports, every one answered (RST or SYN-ACK) by the sink's kernel.
  const base = { targets: ['198.18.7.0/24'], ports: [80, 443], rate: 400, wait: 1, seed: '77', adapter: link() };
  const first = await child<ChildScan>(['scan', JSON.stringify({ ...base, abortAfterRecords: 60 })]);
  assert.equal(first.summary.aborted, true);
  const idx = first.summary.resumeIndex;
  assert.ok(idx !== undefined && idx >= 60 && idx < 512, `resume index ${idx}`);
  assert.equal(first.summary.sent, idx, 'sending stopped exactly at the resume index');
  assert.ok(first.events.some((e) => e.type === 'paused' && e.detail.resumeIndex === idx));
  const second = await child<ChildScan>(['scan', JSON.stringify({ ...base, rate: 5000, resume: { index: idx } })]);
  assert.equal(second.summary.aborted, false);
  assert.equal(second.summary.sent, 512 - idx);
  const all = [...first.records, ...second.records].filter((r) => r.kind === 'port').map((r) => `${r.addr}:${r.port}`);
  assert.equal(new Set(all).size, 512, 'every address and port, once');
  assert.equal(all.length, 512);
});

test('100 scans in a row over AF_PACKET leave the file descriptors and memory flat', { timeout: 120_000 }, async () => {
  const n = 100;
  const r = await child<{ before: { fds: number; rss: number; heap: number }; after: { fds: number; rss: number; heap: number }; ms: number; sent: number }>(
    ['repeat', String(n), JSON.stringify({ targets: ['198.18.9.0/29'], ports: [80], rate: 100_000, wait: 0, adapter: link() })], 110_000);
  const mib = (b: number): string => (b / 2 ** 20).toFixed(1);
  console.log(`# ${n} lab scans in ${r.ms.toFixed(0)} ms: fds ${r.before.fds} -> ${r.after.fds}, RSS ${mib(r.before.rss)} -> ${mib(r.after.rss)} MiB, ` +
    `JS heap + buffers ${mib(r.before.heap)} -> ${mib(r.after.heap)} MiB`);
  assert.ok(r.sent >= n * 8 / 2, `sent ${r.sent}`);
  assert.ok(r.after.fds <= r.before.fds, `fds ${r.before.fds} -> ${r.after.fds}`);
  assert.ok(r.after.heap - r.before.heap < 4 * 2 ** 20, `heap ${mib(r.before.heap)} -> ${mib(r.after.heap)}`);
  assert.ok(r.after.rss - r.before.rss < 48 * 2 ** 20, `RSS ${mib(r.before.rss)} -> ${mib(r.after.rss)}`);
});
