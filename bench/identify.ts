/**
 * Identification benchmark (issue 10 item 6): a lab of mixed real services on random ports,
 * none of them in the hello table, scanned with --banners. Figures:
 *  - the any-port identification rate: services named correctly / services listening;
 *  - the handshakes (connections) spent per identified service, per kind of service;
 *  - the same lab with --no-identify (masscan's behaviour: only what greets), and masscan
 *    1.3.2 itself with its documented firewall work-around: the services it got a banner of
 *    the right name from.
 *
 * Services: nginx HTTP and TLS 1.3, OpenSSH, redis-server, memcached, smbd, xrdp; PER_KIND
 * ports each (sshd: its one alternative port), drawn from a seeded generator in
 * 10000..60000. Writes bench/results/identify.json. Run as root:
 * `node dist/bench/identify.js [--seed N]`.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createLab, requireRoot, type Lab, type LabProcess } from '../test/lab/lab.js';
import { describeRun, linkArgs, readNdjson, runMasscan, runTidescan } from '../test/lab/harness.js';
import { startSshd } from '../test/lab/servers.js';
import { startSamba, startXrdp, waitPorts } from '../test/lab/servers3.js';
import { writeResult } from './lib/results.js';

const PER_KIND = 4;
const WAIT_S = 20;

interface Placed {
  readonly kind: string;
  readonly ip: string;
  readonly port: number;
}

function seededPorts(seed: number, n: number, taken: Set<number>): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  while (out.length < n) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const p = 10_000 + (x % 50_000);
    if (taken.has(p)) continue;
    taken.add(p);
    out.push(p);
  }
  return out;
}

interface Ndjson { readonly ip: string; readonly port: number; readonly rec_type: string; readonly data: Record<string, unknown> }


async function main(): Promise<void> {
  requireRoot();
  const seedArg = process.argv.indexOf('--seed');
  const seed = seedArg >= 0 ? Number(process.argv[seedArg + 1]) : 20261203;
  const dir = await mkdtemp(path.join(tmpdir(), 'tidescan-bench-identify-'));
  const lab = await createLab({ prefix: `hb${process.pid}`.slice(0, 9), ipv6: false });
  const procs: LabProcess[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const taken = new Set<number>();
    const ports = (n: number): number[] => seededPorts(seed + taken.size * 7919, n, taken);
    const placed: Placed[] = [];
    const ip = { http: '198.18.7.80', ssl: '198.18.7.43', redis: '198.18.7.63', memcached: '198.18.7.11', ssh: '198.18.7.22', smb: '198.18.7.45', rdp: '198.18.7.89' };
    // nginx: HTTP and TLS 1.3 on PER_KIND ports each
    const d = path.join(dir, 'nginx');
    for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(d, 'tmp', t), { recursive: true });
    const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', path.join(d, 'k.pem'), '-out', path.join(d, 'c.pem'), '-days', '2', '-subj', '/CN=identify.tidescan.test'], { encoding: 'utf8', timeout: 20_000 });
    if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
    const httpPorts = ports(PER_KIND);
    const tlsPorts = ports(PER_KIND);
    const page = `location / { return 200 '<html><head><title>identify</title></head><body>x</body></html>'; }`;
    await writeFile(path.join(d, 'nginx.conf'),
      `daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\npid ${d}/nginx.pid;\nerror_log ${d}/error.log crit;\n` +
      `events { worker_connections 4096; }\nhttp {\n access_log off;\n default_type text/html;\n` +
      ` client_body_temp_path ${d}/tmp/body;\n proxy_temp_path ${d}/tmp/proxy;\n fastcgi_temp_path ${d}/tmp/fastcgi;\n` +
      ` uwsgi_temp_path ${d}/tmp/uwsgi;\n scgi_temp_path ${d}/tmp/scgi;\n` +
      ` server { ${httpPorts.map((p) => `listen ${ip.http}:${p};`).join(' ')} ${page} }\n` +
      ` server { ${tlsPorts.map((p) => `listen ${ip.ssl}:${p} ssl;`).join(' ')} ssl_protocols TLSv1.3; ssl_certificate ${d}/c.pem; ssl_certificate_key ${d}/k.pem; ${page} }\n}\n`);
    procs.push(lab.spawn('sink', '/usr/sbin/nginx', ['-c', path.join(d, 'nginx.conf'), '-e', path.join(d, 'error.log')], { timeoutMs: 600_000 }));
    for (const p of httpPorts) placed.push({ kind: 'http', ip: ip.http, port: p });
    for (const p of tlsPorts) placed.push({ kind: 'ssl', ip: ip.ssl, port: p });
    for (const p of ports(PER_KIND)) {
      procs.push(lab.spawn('sink', '/usr/bin/redis-server', ['--bind', ip.redis, '--port', String(p), '--protected-mode', 'no',
        '--daemonize', 'no', '--save', '', '--appendonly', 'no', '--dir', dir], { timeoutMs: 600_000 }));
      placed.push({ kind: 'redis', ip: ip.redis, port: p });
    }
    for (const p of ports(PER_KIND)) {
      procs.push(lab.spawn('sink', '/usr/bin/memcached', ['-u', 'nobody', '-l', ip.memcached, '-p', String(p), '-U', '0'], { timeoutMs: 600_000 }));
      placed.push({ kind: 'memcached', ip: ip.memcached, port: p });
    }
    const [sshPort] = ports(1);
    const sshd = await startSshd(lab, { dir, ip: ip.ssh, altPort: sshPort!, lifetimeMs: 600_000 });
    stops.push(() => sshd.stop());
    placed.push({ kind: 'ssh', ip: ip.ssh, port: sshPort! });
    const smbPorts = ports(PER_KIND);
    const samba = await startSamba(lab, { dir, ip: ip.smb, ports: smbPorts, lifetimeMs: 600_000 });
    stops.push(() => samba.stop());
    for (const p of smbPorts) placed.push({ kind: 'smb', ip: ip.smb, port: p });
    const rdpPorts = ports(PER_KIND);
    const xrdp = await startXrdp(lab, { dir, ip: ip.rdp, ports: rdpPorts, lifetimeMs: 600_000 });
    stops.push(() => xrdp.stop());
    for (const p of rdpPorts) placed.push({ kind: 'rdp', ip: ip.rdp, port: p });
    for (const ip of new Set(placed.map((s) => s.ip))) {
      await waitPorts(lab, procs, ip, placed.filter((s) => s.ip === ip).map((s) => s.port), 20_000);
    }
    await lab.startServices({ trickle: true });

    const ips = [...new Set(placed.map((s) => s.ip))];
    const portList = placed.map((s) => s.port).join(',');
    const runs: Record<string, unknown> = {};
    for (const mode of ['identify', 'no-identify'] as const) {
      const out = path.join(dir, `${mode}.ndjson`);
      const t0 = Date.now();
      const r = await runTidescan(lab, [...linkArgs(lab), '--banners', ...(mode === 'no-identify' ? ['--no-identify'] : []),
        ...ips.flatMap((a) => ['--range', a]), '-p', portList, '--rate', '5000', '--wait', String(WAIT_S), '-oD', out], { cwd: dir, timeoutMs: 180_000 });
      if (r.code !== 0) throw new Error(describeRun(r));
      const wall = (Date.now() - t0) / 1000;
      const recs = await readNdjson<Ndjson>(out);
      const perKind: Record<string, { services: number; identified: number; handshakes: number[]; banner: number }> = {};
      for (const s of placed) {
        const k = (perKind[s.kind] ??= { services: 0, identified: 0, handshakes: [], banner: 0 });
        k.services++;
        const id = recs.find((x) => x.rec_type === 'service' && x.ip === s.ip && x.port === s.port);
        if (id?.data['service_name'] === s.kind) {
          k.identified++;
          k.handshakes.push(Number(id.data['handshakes']));
        }
        if (recs.some((x) => x.rec_type === 'banner' && x.ip === s.ip && x.port === s.port && x.data['service_name'] === s.kind)) k.banner++;
      }
      const total = placed.length;
      const identified = Object.values(perKind).reduce((n, k) => n + k.identified, 0);
      const withBanner = Object.values(perKind).reduce((n, k) => n + k.banner, 0);
      const hs = Object.values(perKind).flatMap((k) => k.handshakes);
      runs[mode] = {
        services: total, identified, identificationRate: identified / total, withBanner, bannerRate: withBanner / total,
        meanHandshakes: hs.length === 0 ? null : hs.reduce((a, b) => a + b, 0) / hs.length,
        wallSeconds: wall,
        perKind: Object.fromEntries(Object.entries(perKind).map(([k, v]) => [k, {
          services: v.services, identified: v.identified, banner: v.banner,
          handshakes: v.handshakes.length === 0 ? null : Math.max(...v.handshakes),
        }])),
      };
      console.log(`${mode}: ${identified}/${total} identified, ${withBanner}/${total} with the service's banner, ${wall.toFixed(1)} s`);
      for (const [k, v] of Object.entries(perKind)) console.log(`  ${k.padEnd(10)} ${v.identified}/${v.services} handshakes ${v.handshakes.join(',') || '-'}  banner ${v.banner}/${v.services}`);
    }
    // masscan 1.3.2 with its documented work-around, on the same lab
    const add = await lab.exec('scan', 'iptables', ['-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
    if (add.code !== 0) throw new Error(add.stderr);
    try {
      const out = path.join(dir, 'masscan.ndjson');
      await runMasscan(lab, ['--banners', '--source-port', '61000', ...ips.flatMap((a) => ['--range', a]), '-p', portList,
        '--rate', '5000', '--wait', String(WAIT_S), '-oD', out], { cwd: dir, maxSeconds: 90 });
      const recs = await readNdjson<Ndjson>(out, true);
      const got = placed.filter((s) => recs.some((x) => x.rec_type === 'banner' && x.ip === s.ip && x.port === s.port && x.data['service_name'] === s.kind));
      runs['masscan-1.3.2'] = { services: placed.length, withBanner: got.length, bannerRate: got.length / placed.length, kinds: [...new Set(got.map((s) => s.kind))] };
      console.log(`masscan 1.3.2 (work-around): ${got.length}/${placed.length} with the service's banner (${[...new Set(got.map((s) => s.kind))].join(', ') || 'none'})`);
    } finally {
      await lab.exec('scan', 'iptables', ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
    }
    const file = await writeResult('identify', { seed, perKind: PER_KIND, placed, runs });
    console.log(`wrote ${file}`);
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    for (const s of stops) await s().catch(() => undefined);
    await lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
