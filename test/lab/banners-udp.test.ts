/**
 * UDP banners from real servers: dnsmasq (version.bind on 53), net-snmp's snmpd (community
 * public, sysDescr and sysName set, on 161) and memcached over UDP (11211) run in the sink;
 * tidescan scans them `-pU:53,U:161,U:11211 --banners` with its built-in payloads and must
 * report each reply's banner: `dns-ver`, `snmp`, `memcached`. Without --banners the same scan
 * reports the ports open and no banner.
 * Needs root: fails (never skips) without it. Servers are stopped by PID and the namespaces
 * deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab, type LabProcess } from './lab.js';
import { startDnsmasq, waitUdp, type Server3 } from './servers3.js';
import { describeRun, linkArgs, readNdjson, runTidescan } from './harness.js';

const SNMP_IP = '198.18.3.161';
const MEMCACHED_IP = '198.18.3.112';
const SYS_DESCR = 'tidescan lab snmpd';
const SYS_NAME = 'udp-banners-sink';

let lab: Lab;
let dir: string;
let dns: Server3 | undefined;
const procs: LabProcess[] = [];

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-banners-udp-'));
  lab = await createLab({ prefix: `hx12${process.pid}`.slice(0, 9), ipv6: false });
  dns = await startDnsmasq(lab, { dir, lifetimeMs: 180_000 });
  const sd = path.join(dir, 'snmpd');
  mkdirSync(sd, { recursive: true });
  writeFileSync(path.join(sd, 'snmpd.conf'),
    `agentAddress udp:${SNMP_IP}:161\nrocommunity public\nsysDescr ${SYS_DESCR}\nsysName ${SYS_NAME}\n`);
  const snmpd = lab.spawn('sink', '/usr/sbin/snmpd', ['-f', '-Le', '-C', '-c', path.join(sd, 'snmpd.conf'), '-p', path.join(sd, 'pid')],
    { timeoutMs: 180_000, env: { ...process.env, SNMP_PERSISTENT_DIR: sd } });
  procs.push(snmpd);
  const mc = lab.spawn('sink', '/usr/bin/memcached', ['-u', 'nobody', '-l', MEMCACHED_IP, '-p', '0', '-U', '11211'], { timeoutMs: 180_000 });
  procs.push(mc);
  await Promise.all([waitUdp(lab, SNMP_IP, 161, snmpd), waitUdp(lab, MEMCACHED_IP, 11211, mc)]);
});

after(async () => {
  await dns?.stop();
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all(procs.map((p) => p.done));
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface NdjsonRecord {
  readonly ip: string;
  readonly port: number;
  readonly proto: string;
  readonly rec_type: string;
  readonly data: { readonly status?: string; readonly service_name?: string; readonly banner?: string };
}

const readRecords = (file: string): Promise<NdjsonRecord[]> => readNdjson<NdjsonRecord>(file);

function scanArgs(out: string, banners: boolean): string[] {
  const ips = [dns!.ip, SNMP_IP, MEMCACHED_IP];
  return [...linkArgs(lab), ...(banners ? ['--banners'] : []), ...ips.flatMap((ip) => ['--range', ip]),
    '-pU:53,U:161,U:11211', '--rate', '1000', '--wait', '3', '-oD', out];
}

test('tidescan --banners reports the dns-ver, snmp and memcached banners of real UDP servers', async () => {
  const out = path.join(dir, 'udp.ndjson');
  const r = await runTidescan(lab, scanArgs(out, true), { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  const recs = await readRecords(out);
  const banners = new Map<string, string>();
  for (const x of recs) if (x.rec_type === 'banner') banners.set(`${x.ip}:${x.port} ${x.proto} ${x.data.service_name}`, String(x.data.banner));
  const show = JSON.stringify([...banners].map(([k, v]) => `${k} ${v.slice(0, 100)}`), null, 1);
  assert.equal(banners.get(`${dns!.ip}:53 udp dns-ver`), 'dnsmasq-2.90', show);
  assert.equal(banners.get(`${SNMP_IP}:161 udp snmp`), `sysName:${SYS_NAME} sysDescr:${SYS_DESCR}`, show);
  const mc = banners.get(`${MEMCACHED_IP}:11211 udp memcached`) ?? '';
  assert.match(mc, /^pid=\d+ uptime=\d+ time=\d+ version=\d+\.\d+\.\d+ /, show);
  // Only the replies of the listening servers: 9 probes, 3 open ports, 3 banners.
  assert.equal(banners.size, 3, show);
  console.log(`udp banners: ${[...banners.keys()].join(', ')}`);
});

test('without --banners the same scan reports the UDP ports open and no banner', async () => {
  const out = path.join(dir, 'udp-plain.ndjson');
  const r = await runTidescan(lab, scanArgs(out, false), { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  const recs = await readRecords(out);
  assert.equal(recs.filter((x) => x.rec_type === 'banner').length, 0);
  const open = recs.filter((x) => x.data.status === 'open').map((x) => `${x.ip}:${x.port}`).sort();
  assert.deepEqual(open, [`${MEMCACHED_IP}:11211`, `${SNMP_IP}:161`, `${dns!.ip}:53`].sort());
});
