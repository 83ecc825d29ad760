/**
 * Service identification on any port, from real servers on ports that are not theirs: nginx
 * HTTP on 8888 and TLS 1.3 on 4433, OpenSSH on 2222, redis-server on 7000, memcached on
 * 12000, smbd on 4455, xrdp on 3390. `--banners` identifies each (session.ts IDENTIFY_ORDER),
 * writes the service in the port record of JSON, NDJSON, XML (valid against nmap.dtd) and
 * grepable, and grabs the full banner of that protocol; `--no-identify` gets only the
 * greeting of SSH. Needs root: fails (never skips) without it. Servers are stopped by PID and
 * the namespaces deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab, type LabProcess } from './lab.js';
import { startNginx, startSshd, type NginxServer, type SshdServer } from './servers.js';
import { startSamba, startXrdp, waitPorts, type SambaServer, type Server3 } from './servers3.js';
import { describeRun, linkArgs, readNdjson, runTidescan } from './harness.js';

const REDIS = { ip: '198.18.6.63', port: 7000 };
const MEMCACHED = { ip: '198.18.6.11', port: 12000 };
const SMB_PORT = 4455;
const RDP_PORT = 3390;

let lab: Lab;
let nginx: NginxServer;
let sshd: SshdServer;
let samba: SambaServer;
let xrdp: Server3;
let dir: string;
const procs: LabProcess[] = [];

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-identify-'));
  lab = await createLab({ prefix: `hi${process.pid}`.slice(0, 9), ipv6: false });
  [nginx, sshd, samba, xrdp] = await Promise.all([
    startNginx(lab, { dir, lifetimeMs: 300_000 }),
    startSshd(lab, { dir, lifetimeMs: 300_000 }),
    startSamba(lab, { dir, ports: [SMB_PORT], lifetimeMs: 300_000 }),
    startXrdp(lab, { dir, ports: [RDP_PORT], lifetimeMs: 300_000 }),
  ]);
  procs.push(lab.spawn('sink', '/usr/bin/redis-server', ['--bind', REDIS.ip, '--port', String(REDIS.port), '--protected-mode', 'no',
    '--daemonize', 'no', '--save', '', '--appendonly', 'no', '--dir', dir], { timeoutMs: 300_000 }));
  procs.push(lab.spawn('sink', '/usr/bin/memcached', ['-u', 'nobody', '-l', MEMCACHED.ip, '-p', String(MEMCACHED.port), '-U', '0'], { timeoutMs: 300_000 }));
  await waitPorts(lab, procs, REDIS.ip, [REDIS.port], 15_000);
  await waitPorts(lab, procs, MEMCACHED.ip, [MEMCACHED.port], 15_000);
});

after(async () => {
  for (const p of procs) p.kill('SIGTERM');
  await Promise.all([nginx?.stop(), sshd?.stop(), samba?.stop(), xrdp?.stop()]);
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Ndjson {
  readonly ip: string;
  readonly port: number;
  readonly rec_type: string;
  readonly data: { readonly service_name?: string; readonly banner?: string; readonly handshakes?: number };
}

/** Every target as ip:port and the service it must be identified as. */
function targets(): [string, number, string][] {
  return [
    [nginx.http.ip, nginx.http.ports[1], 'http'],
    [nginx.tls13.ip, nginx.tls13.ports[1], 'ssl'],
    [sshd.ip, sshd.ports[1], 'ssh'],
    [REDIS.ip, REDIS.port, 'redis'],
    [MEMCACHED.ip, MEMCACHED.port, 'memcached'],
    [samba.ip, SMB_PORT, 'smb'],
    [xrdp.ip, RDP_PORT, 'rdp'],
  ];
}

async function scan(extra: readonly string[], name: string): Promise<{ nd: Ndjson[]; files: Record<string, string> }> {
  const t = targets();
  const files = { nd: path.join(dir, `${name}.ndjson`), x: path.join(dir, `${name}.xml`), g: path.join(dir, `${name}.gnmap`), j: path.join(dir, `${name}.json`) };
  const r = await runTidescan(lab, [...linkArgs(lab), '--banners', ...extra, ...t.flatMap(([ip]) => ['--range', ip]),
    '-p', [...new Set(t.map(([, p]) => p))].join(','), '--rate', '2000', '--wait', '20',
    '-oD', files.nd, '-oX', files.x, '-oG', files.g, '-oJ', files.j], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  const nd = await readNdjson<Ndjson>(files.nd);
  assert.ok(nd.length > 0, `${files.nd}: no records`);
  return { nd, files };
}

test('--banners identifies every service on its unusual port, in every format with a service field, with its full banner', async () => {
  const { nd, files } = await scan([], 'identify');
  const services = new Map(nd.filter((r) => r.rec_type === 'service').map((r) => [`${r.ip}:${r.port}`, r.data]));
  const banner = (ip: string, port: number, app: string): string | undefined =>
    nd.find((r) => r.rec_type === 'banner' && r.ip === ip && r.port === port && r.data.service_name === app)?.data.banner;
  const rows: string[] = [];
  const missing: string[] = [];
  for (const [ip, port, want] of targets()) {
    const s = services.get(`${ip}:${port}`);
    rows.push(`${want.padEnd(10)} ${String(port).padStart(5)}  ${s?.service_name ?? '-'}  handshakes ${s?.handshakes ?? '-'}`);
    if (s?.service_name !== want) missing.push(`${ip}:${port} ${want}: ${JSON.stringify(s)}`);
  }
  console.log(`identification (service, port, found, handshakes):\n${rows.join('\n')}`);
  assert.deepEqual(missing, [], JSON.stringify(nd.filter((r) => r.rec_type !== 'status'), null, 1).slice(0, 4000));
  // the full banner of each protocol, as on its own port
  const h = nginx.http;
  assert.ok(banner(h.ip, h.ports[1], 'http')?.startsWith('HTTP/1.1 200 OK'));
  assert.equal(banner(h.ip, h.ports[1], 'http.server'), nginx.serverHeader);
  assert.equal(banner(h.ip, h.ports[1], 'title'), nginx.title);
  assert.match(banner(nginx.tls13.ip, nginx.tls13.ports[1], 'ssl') ?? '', new RegExp(`^TLS/1\\.3 .*${nginx.tls13.serverName.replace(/\./g, '\\.')}`));
  assert.equal(banner(nginx.tls13.ip, nginx.tls13.ports[1], 'X509'), nginx.tls13.chain[0].der.toString('base64'));
  assert.ok(banner(sshd.ip, sshd.ports[1], 'ssh')?.startsWith(sshd.ident.trim()));
  assert.match(banner(REDIS.ip, REDIS.port, 'redis') ?? '', /redis_version/);
  assert.match(banner(MEMCACHED.ip, MEMCACHED.port, 'memcached') ?? '', /pid=/);
  assert.ok((banner(samba.ip, SMB_PORT, 'smb') ?? '').length > 0);
  assert.ok((banner(xrdp.ip, RDP_PORT, 'rdp') ?? '').length > 0);
  // no unknown banner left by a probe that was not the service's
  assert.deepEqual(nd.filter((r) => r.rec_type === 'banner' && r.data.service_name === 'unknown').map((r) => `${r.ip}:${r.port}`), []);
  // HTTP and greeting services take one handshake, TLS two (HTTP first)
  assert.equal(services.get(`${h.ip}:${h.ports[1]}`)?.handshakes, 1);
  assert.equal(services.get(`${sshd.ip}:${sshd.ports[1]}`)?.handshakes, 1);
  assert.equal(services.get(`${nginx.tls13.ip}:${nginx.tls13.ports[1]}`)?.handshakes, 2);

  // the other formats carry the same service in their port record
  const xml = await readFile(files.x, 'utf8');
  const gnmap = await readFile(files.g, 'utf8');
  const json = JSON.parse(await readFile(files.j, 'utf8')) as { ip: string; ports: { port: number; service?: { name: string; banner?: string } }[] }[];
  for (const [ip, port, want] of targets()) {
    assert.ok(xml.includes(`<address addr="${ip}" addrtype="ipv4"/><ports><port protocol="tcp" portid="${port}"><state state="open" reason="response"`) &&
      new RegExp(`portid="${port}"><state [^>]*/><service name="${want}" conf="10" method="probed"/></port>`).test(xml), `XML ${ip}:${port}`);
    assert.ok(gnmap.includes(`Host: ${ip} ()\tPorts: ${port}/open/tcp//${want}//`), `grepable ${ip}:${port}`);
    assert.ok(json.some((r) => r.ip === ip && r.ports[0]!.port === port && r.ports[0]!.service?.name === want && r.ports[0]!.service.banner === undefined), `JSON ${ip}:${port}`);
  }
  if (existsSync('/usr/share/nmap/nmap.dtd')) {
    const v = spawnSync('xmllint', ['--noout', '--dtdvalid', '/usr/share/nmap/nmap.dtd', files.x], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
  }
});

test('--no-identify: masscan\'s behaviour: no service records, the silent services give nothing, SSH still greets', async () => {
  const { nd } = await scan(['--no-identify'], 'noidentify');
  assert.deepEqual(nd.filter((r) => r.rec_type === 'service'), []);
  const got = new Set(nd.filter((r) => r.rec_type === 'banner').map((r) => `${r.port} ${r.data.service_name}`));
  assert.ok(got.has(`${sshd.ports[1]} ssh`));
  for (const [, port] of targets().filter(([, , s]) => s !== 'ssh')) {
    assert.deepEqual([...got].filter((k) => k.startsWith(`${port} `)), [], `port ${port} has no hello: nothing without identification`);
  }
});
