/**
 * Banners of the conversation protocols from real servers (issue: Banners II): vsftpd (FTP,
 * AUTH TLS), OpenSMTPD (SMTP, STARTTLS), Dovecot (IMAP4 STARTTLS, POP3 STLS), TigerVNC,
 * inetutils telnetd, memcached and redis-server run in the sink (servers2.ts), each on its
 * usual port and on one that is not. tidescan scans them with --banners from the scanner's
 * own address, as a new user would (no firewall set-up by the test).
 *
 * On the usual ports the port's hello or detection applies; on the others the session's
 * identification: a server that speaks first is detected from its first bytes (§9.2), a
 * silent one (memcached, redis) gets the identification handshakes (HTTP, TLS, Redis INFO,
 * memcached stats, ...) until one is answered.
 *
 * masscan 1.3.2 runs beside it on the same servers, as a new user runs it and with its
 * documented firewall work-around, and the test prints a per-service table of both.
 * Needs root: fails (never skips) without it. Servers are stopped by PID and the namespaces
 * deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { removeDir, servers2Dir, startServers2, type Servers2, type Service } from './servers2.js';
import { describeRun, linkArgs, readBannerMap, runMasscan, runTidescan } from './harness.js';

let lab: Lab;
let servers: Servers2;
let dir: string;

before(async () => {
  requireRoot();
  dir = servers2Dir();
  lab = await createLab({ prefix: `hx10${process.pid % 100000}`, ipv6: false });
  servers = await startServers2(lab, { dir, lifetimeMs: 300_000 });
  // masscan 1.3.2 exits only while packets keep reaching it (LAB.md): the sink's trickle.
  await lab.startServices({ trickle: true });
});

after(async () => {
  await servers?.stop();
  await lab?.destroy();
  if (dir !== undefined) removeDir(dir);
});


function targets(): { ips: string[]; ports: number[] } {
  const ips = [...new Set(servers.all.map((s) => s.ip))];
  const ports = [...new Set(servers.all.flatMap((s) => [...s.ports]))];
  return { ips, ports };
}

type Check = (b: string) => boolean;

/** What each service must yield on a port: service name -> check. */
function expected(s: Service, port: number): Map<string, Check> {
  const x509 = servers.cert.der.toString('base64');
  const tls = (m: Map<string, Check>): Map<string, Check> =>
    m.set('ssl', (b) => /^TLS\/1\.[23] cipher:0x[0-9a-f]+, /.test(b) && b.includes(servers.cert.cn)).set('X509', (b) => b === x509);
  const usual = port === s.ports[0];
  switch (s.name) {
    case 'ftp':
      return tls(new Map([['ftp', (b: string) => b.startsWith('220 (vsFTPd 3.') && b.includes('\r\n234 ')]]));
    case 'smtp':
      // on 2525 the greeting is read by the ftp module, which sees `ESMTP` and speaks SMTP
      return tls(new Map([['smtp', (b: string) => b.startsWith(`220 ${servers.cert.cn} ESMTP OpenSMTPD\r\n`) && b.includes('250-STARTTLS') &&
        b.endsWith('220 2.0.0 Ready to start TLS\r\n')]]));
    case 'imap':
      return tls(new Map([['imap', (b: string) => b.startsWith('* OK [CAPABILITY IMAP4rev1') && b.includes('\r\na002 OK ')]]));
    case 'pop':
      return tls(new Map([['pop', (b: string) => b.startsWith('+OK Dovecot') && b.includes('\r\nSTLS\r\n') && b.includes('\r\n+OK Begin TLS')]]));
    case 'vnc':
      return new Map([
        ['vnc', (b: string) => b === 'RFB 003.008'],
        ['vnc-info', (b: string) => b === `security=1 width=${servers.vnc.width} height=${servers.vnc.height} depth=24 name=${servers.vnc.desktop}`],
      ]);
    case 'telnet':
      return new Map([['telnet', (b: string) => / login:$/.test(b)]]);
    // on a port without a hello, identification's handshakes reach them (session.ts
    // IDENTIFY_ORDER: Redis INFO third, memcached stats fourth): the same banner as at home
    case 'memcached':
      return new Map([['memcached', (b: string) => /^pid=\d+ uptime=\d+ time=\d+ version=1\.6\.\d+ /.test(b)]]);
    case 'redis':
      return new Map([['redis', (b: string) => /^redis_version=7\.\d+\.\d+ /.test(b) && b.includes(`tcp_port=${port}`)]]);
    default:
      return new Map();
  }
}

function rows(): { s: Service; port: number }[] {
  return servers.all.flatMap((s) => s.ports.map((port) => ({ s, port })));
}

/** The checks that fail for one ip:port, as readable lines. */
function bad(got: Map<string, Map<string, string>>, s: Service, port: number): string[] {
  const b = got.get(`${s.ip}:${port}`) ?? new Map<string, string>();
  const out: string[] = [];
  for (const [svc, check] of expected(s, port)) {
    const v = b.get(svc);
    if (v === undefined || !check(v)) out.push(`${s.name} ${s.ip}:${port} ${svc}: ${v === undefined ? '(none)' : JSON.stringify(v.slice(0, 200))}`);
  }
  return out;
}

/** One cell of the table: the services found (masscan's texts differ from ours: names only). */
function cell(got: Map<string, Map<string, string>>, s: Service, port: number): string {
  const b = got.get(`${s.ip}:${port}`);
  if (b === undefined || b.size === 0) return '-';
  return [...b.keys()].join(' ');
}

let tidescanGot: Map<string, Map<string, string>> | undefined;

test('tidescan --banners: FTP, SMTP, IMAP, POP3 (with their certificates), VNC, telnet, memcached, Redis on usual and unusual ports', async () => {
  const t = targets();
  const out = path.join(dir, 'tidescan.ndjson');
  const r = await runTidescan(lab, [
    ...linkArgs(lab), '--banners', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
    '--rate', '1000', '--wait', '10', '-oD', out,
  ], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  const got = await readBannerMap(out);
  tidescanGot = got;
  const failures = rows().flatMap(({ s, port }) => bad(got, s, port));
  const total = rows().reduce((n, { s, port }) => n + expected(s, port).size, 0);
  console.log(`tidescan: ${total - failures.length}/${total} expected banners`);
  for (const [k, b] of got) console.log(`  ${k} ${[...b].map(([svc, v]) => `${svc}=${JSON.stringify(v.slice(0, 60))}`).join(' ')}`);
  assert.deepEqual(failures, []);
});

test('masscan 1.3.2 beside it: per-service table (as a new user runs it, and with its firewall work-around)', async () => {
  const t = targets();
  const plain = path.join(dir, 'masscan.json');
  await runMasscan(lab, ['--banners', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
    '--rate', '1000', '--wait', '8', '-oD', plain], { cwd: dir, maxSeconds: 45 });
  const add = await lab.exec('scan', 'iptables', ['-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  assert.equal(add.code, 0, add.stderr);
  const fw = path.join(dir, 'masscan-fw.json');
  try {
    await runMasscan(lab, ['--banners', '--source-port', '61000', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
      '--rate', '1000', '--wait', '8', '-oD', fw], { cwd: dir, maxSeconds: 45 });
  } finally {
    await lab.exec('scan', 'iptables', ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  }
  const m1 = await readBannerMap(plain);
  const m2 = await readBannerMap(fw);
  const ts = tidescanGot ?? new Map<string, Map<string, string>>();
  const head = ['service', 'port', 'tidescan', 'masscan 1.3.2', 'masscan 1.3.2 + firewall rule'];
  const table = rows().map(({ s, port }) => [s.name, `${port}${port === s.ports[0] ? '' : ' (unusual)'}`, cell(ts, s, port), cell(m1, s, port), cell(m2, s, port)]);
  const w = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (r: readonly string[]): string => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  console.log([line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...table.map(line)].join('\n'));
  const any = (m: Map<string, Map<string, string>>): number => rows().filter(({ s, port }) => (m.get(`${s.ip}:${port}`)?.size ?? 0) > 0).length;
  const ok = rows().filter(({ s, port }) => bad(ts, s, port).length === 0).length;
  console.log(`ports with a banner: tidescan ${any(ts)}/${table.length} (${ok} exactly as expected), masscan ${any(m1)}/${table.length}, ` +
    `masscan + firewall rule ${any(m2)}/${table.length}`);
  for (const [k, b] of m2) console.log(`  masscan+fw ${k} ${[...b].map(([svc, v]) => `${svc}=${JSON.stringify(v.slice(0, 70))}`).join(' ')}`);
  assert.ok(table.length === 16);
});
