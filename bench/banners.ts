/**
 * Banner benchmark: tidescan against masscan 1.3.2, in the same run, on the same work.
 *
 *  (1) HTTP: nginx in the sink listens on *:80 and answers every address of 198.18.0.0/16
 *      (the sink owns the range: LAB.md's AnyIP route). Both tools scan the /16 on port 80
 *      with --banners at the same --rate. masscan runs with its documented firewall
 *      work-around (its best case: `iptables -A INPUT -p tcp --dport 61000 -j DROP` and
 *      --source-port 61000); tidescan as a new user runs it. Figures: http banners found,
 *      yield (banners / addresses), banners per second over the scan's active time (wall
 *      time less the fixed --wait).
 *  (2) TLS 1.3: nginx answers *:443 with TLS 1.3 only (ECDSA P-256); tidescan scans a /20
 *      (4,096 addresses) on 443. Figures: certificates found, per second, and per CPU-second
 *      of tidescan's process (user + system, /usr/bin/time): the per-core rate. masscan 1.3.2
 *      gets no TLS 1.3 certificate (its ClientHello draws a protocol_version alert), which the
 *      same scan with masscan shows.
 *  (3) RSS with 1,000,000 concurrent silent connections: bench/stack-memory's child.
 *
 * Writes bench/results/banners.json. Run as root: `node dist/bench/banners.js [--rate N]
 * [--skip-tls] [--skip-rss]`. Goals (issue "Banners I"): >= 2x masscan's banners/s at >= its
 * yield; >= 20 k plaintext banner connections/s; >= 3 k TLS 1.3 certificates/s per core;
 * 1 M connections in < 1 GiB RSS.
 */
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { createLab, requireRoot, type Lab } from '../test/lab/lab.js';
import { TIDESCAN_BIN, describeRun, linkArgs } from '../test/lab/harness.js';
import { LAB_ADDR } from '../test/lab/lab.js';
import { writeResult } from './lib/results.js';

const WAIT_S = 5;

interface ToolFigures {
  readonly tool: 'tidescan' | 'masscan';
  readonly banners: number;
  /** Open ports reported (the SYN-ACKs each tool saw). */
  readonly open: number;
  readonly addresses: number;
  readonly yield: number;
  readonly wallSeconds: number;
  readonly activeSeconds: number;
  readonly bannersPerSecond: number;
  readonly cpuSeconds: number | null;
  readonly exit: number | string | null;
}

function args(argv: string[]): { rate: number; tls: boolean; rss: boolean } {
  let rate = 20_000;
  let tls = true;
  let rss = true;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--rate') rate = Number(argv[++i]);
    else if (argv[i] === '--skip-tls') tls = false;
    else if (argv[i] === '--skip-rss') rss = false;
  }
  return { rate, tls, rss };
}

async function startNginx(lab: Lab, dir: string): Promise<() => Promise<void>> {
  const d = path.join(dir, 'nginx');
  await mkdir(d, { recursive: true });
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) await mkdir(path.join(d, 'tmp', t), { recursive: true });
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', path.join(d, 'k.pem'), '-out', path.join(d, 'c.pem'), '-days', '2', '-subj', '/CN=bench.tidescan.test'],
  { encoding: 'utf8', timeout: 20_000 });
  if (ssl.status !== 0) throw new Error(`openssl: ${ssl.stderr}`);
  const page = `location / { return 200 '<html><head><title>bench</title></head><body>bench</body></html>'; }`;
  const conf =
    `daemon off;\nmaster_process on;\nworker_processes 2;\nuser root;\nworker_rlimit_nofile 300000;\n` +
    `pid ${d}/nginx.pid;\nerror_log ${d}/error.log crit;\n` +
    `events { worker_connections 131072; multi_accept on; }\n` +
    `http {\n access_log off;\n default_type text/html;\n keepalive_timeout 0;\n` +
    ` client_body_temp_path ${d}/tmp/body;\n proxy_temp_path ${d}/tmp/proxy;\n fastcgi_temp_path ${d}/tmp/fastcgi;\n` +
    ` uwsgi_temp_path ${d}/tmp/uwsgi;\n scgi_temp_path ${d}/tmp/scgi;\n` +
    ` server { listen 80 default_server backlog=65535; ${page} }\n` +
    ` server { listen 443 ssl default_server backlog=65535; ssl_protocols TLSv1.3; ssl_certificate ${d}/c.pem; ssl_certificate_key ${d}/k.pem; ${page} }\n` +
    `}\n`;
  const file = path.join(d, 'nginx.conf');
  await writeFile(file, conf);
  await lab.exec('sink', 'sysctl', ['-q', '-w', 'net.core.somaxconn=65535', 'net.ipv4.tcp_max_syn_backlog=65535']);
  const p = lab.spawn('sink', '/usr/sbin/nginx', ['-c', file, '-e', path.join(d, 'error.log')], { timeoutMs: 900_000 });
  for (let i = 0; i < 100; i++) {
    const r = await lab.exec('sink', 'sh', ['-c', 'exec 3<>/dev/tcp/198.18.0.1/80 2>/dev/null && echo up'], { timeoutMs: 2000 }).catch(() => null);
    if (r?.stdout.includes('up')) break;
    await new Promise((res) => setTimeout(res, 100));
  }
  return async () => { p.kill('SIGTERM'); await p.done; };
}

function countOpen(text: string): number {
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.includes('"rec_type":"status"') || !line.includes('"open"')) continue;
    const r = JSON.parse(line) as { ip: string; port: number };
    seen.add(`${r.ip}:${r.port}`);
  }
  return seen.size;
}

function countBanners(text: string, service: string): number {
  let n = 0;
  const seen = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.includes('"rec_type":"banner"')) continue;
    const r = JSON.parse(line) as { ip: string; port: number; data: { service_name: string } };
    if (r.data.service_name !== service) continue;
    const k = `${r.ip}:${r.port}`;
    if (!seen.has(k)) { seen.add(k); n++; }
  }
  return n;
}

async function runTool(
  lab: Lab, dir: string, tool: 'tidescan' | 'masscan', target: string, port: number, rate: number, service: string, addresses: number,
): Promise<ToolFigures> {
  const out = path.join(dir, `${tool}-${port}.ndjson`);
  const common = ['--banners', target, '-p', String(port), '--rate', String(rate), '--wait', String(WAIT_S), '-oD', out];
  const time = ['/usr/bin/time', '-f', 'BENCHCPU %U %S'];
  const t0 = performance.now();
  let r;
  if (tool === 'masscan') {
    await lab.exec('scan', 'iptables', ['-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
    try {
      const p = await lab.spawnScanner(time[0]!, [...time.slice(1), 'timeout', '-k', '5', '-s', 'INT', '300', 'masscan',
        ...linkArgs(lab), '--source-ip', LAB_ADDR.scanIp4, '--source-port', '61000', ...common], { timeoutMs: 330_000, cwd: dir });
      r = await p.done;
    } finally {
      await lab.exec('scan', 'iptables', ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
    }
  } else {
    const p = await lab.spawnScanner(time[0]!, [...time.slice(1), process.execPath, TIDESCAN_BIN, ...linkArgs(lab), ...common],
      { timeoutMs: 330_000, cwd: dir });
    r = await p.done;
  }
  const wall = (performance.now() - t0) / 1000;
  const text = await readFile(out, 'utf8').catch(() => '');
  const banners = countBanners(text, service);
  const cpu = /BENCHCPU ([\d.]+) ([\d.]+)/.exec(r.stderr);
  const active = Math.max(0.001, wall - WAIT_S);
  if (tool === 'tidescan' && r.code !== 0) console.error(describeRun(r));
  return {
    tool, banners, open: countOpen(text), addresses, yield: banners / addresses, wallSeconds: wall, activeSeconds: active,
    bannersPerSecond: banners / active, cpuSeconds: cpu ? Number(cpu[1]) + Number(cpu[2]) : null, exit: r.code ?? r.signal,
  };
}

function rssAtOneMillion(): unknown {
  const bench = path.join(path.dirname(fileURLToPath(import.meta.url)), 'stack-memory.js');
  const r = spawnSync(process.execPath, ['--expose-gc', bench, '--child', '--count', '1000000'], { encoding: 'utf8', timeout: 300_000 });
  try {
    return JSON.parse(r.stdout) as unknown;
  } catch {
    return { error: (r.stderr || r.stdout).slice(-500) };
  }
}

async function main(): Promise<void> {
  requireRoot();
  const a = args(process.argv.slice(2));
  const dir = await mkdtemp(path.join(tmpdir(), 'tidescan-bench-banners-'));
  const lab = await createLab({ prefix: `bb${process.pid}`.slice(0, 9), ipv6: false });
  let stop: (() => Promise<void>) | undefined;
  const result: Record<string, unknown> = { rate: a.rate, waitSeconds: WAIT_S };
  try {
    stop = await startNginx(lab, dir);
    await lab.startServices({ trickle: true });
    const http: ToolFigures[] = [];
    for (const tool of ['masscan', 'tidescan'] as const) {
      http.push(await runTool(lab, dir, tool, '198.18.0.0/16', 80, a.rate, 'http', 65536));
      console.log(`http  ${tool.padEnd(8)} ${http.at(-1)!.open} open, ${http.at(-1)!.banners} banners (yield ${(100 * http.at(-1)!.yield).toFixed(1)}%), ` +
        `${http.at(-1)!.bannersPerSecond.toFixed(0)} banners/s`);
    }
    const [m, t] = [http[0]!, http[1]!];
    result.http = {
      masscan: m, tidescan: t,
      ratioBannersPerSecond: t.bannersPerSecond / Math.max(1e-9, m.bannersPerSecond),
      tidescanBannersPerSecond: t.bannersPerSecond, masscanBannersPerSecond: m.bannersPerSecond,
      tidescanYield: t.yield, masscanYield: m.yield,
    };
    console.log(`http  ratio tidescan/masscan: ${(t.bannersPerSecond / Math.max(1e-9, m.bannersPerSecond)).toFixed(2)}x banners/s; ` +
      `yield ${(100 * t.yield).toFixed(1)}% vs ${(100 * m.yield).toFixed(1)}%`);
    if (a.tls) {
      const tls: ToolFigures[] = [];
      for (const tool of ['masscan', 'tidescan'] as const) {
        tls.push(await runTool(lab, dir, tool, '198.18.16.0/20', 443, Math.min(a.rate, 10_000), 'X509', 4096));
      }
      const [mt, tt] = [tls[0]!, tls[1]!];
      const perCore = tt.cpuSeconds !== null && tt.cpuSeconds > 0 ? tt.banners / tt.cpuSeconds : null;
      result.tls13 = {
        masscan: mt, tidescan: tt,
        tidescanCertsPerSecond: tt.bannersPerSecond, tidescanCertsPerCpuSecond: perCore, masscanCerts: mt.banners,
      };
      console.log(`tls13 masscan ${mt.banners} certificates; tidescan ${tt.banners} (${tt.bannersPerSecond.toFixed(0)}/s, ` +
        `${perCore === null ? '?' : perCore.toFixed(0)} per CPU-second of the whole process)`);
    }
  } finally {
    await stop?.();
    await lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  if (a.rss) {
    result.rss1M = rssAtOneMillion();
    console.log(`rss   1 M silent connections: ${JSON.stringify(result.rss1M)}`);
  }
  console.log(`wrote ${await writeResult('banners', result)}`);
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
