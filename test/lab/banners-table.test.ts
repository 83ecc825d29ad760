/**
 * The per-service table of issue 10 item 7: every service of the banner lab, from Debian's
 * packages, on its usual port and on one that is not, scanned once by tidescan --banners and
 * by masscan 1.3.2 (as a new user runs it, and with its documented firewall work-around: a
 * dropped source port), and a table of who got what, printed and written to
 * bench/results/banners-services.md.
 *
 * Servers (started once): vsftpd (AUTH TLS), OpenSMTPD, Dovecot IMAP and POP3, TigerVNC,
 * telnetd under socat, memcached, Redis (servers2.ts, each on two ports); smbd, xrdp, MariaDB
 * (servers3.ts); nginx HTTP and TLS 1.3, OpenSSH (servers.ts); and the UDP services dnsmasq,
 * snmpd, ntpsec and nmbd. Unusual ports: the TCP servers listen on a second port themselves;
 * snmpd listens on 1161 itself; ntpd (123 only), nmbd (137 only) and dnsmasq are reached on
 * 1123, 1137 and 5353 through a DNAT rule in the sink (the server sees its own port, the
 * scanner another). On a TCP port without a hello, tidescan identifies the service (greeting,
 * then IDENTIFY_ORDER's handshakes); on a UDP port without a payload, the probe comes from an
 * --nmap-payloads file that maps the built-in payload to it (a UDP service answers only a
 * probe it reads), and identification picks the parser that reads the reply (udp.ts). masscan
 * is given no payload file (its 1.3.2 output has no parser for another port anyway).
 *
 * Asserts that tidescan gets every service's banner on both ports. Needs root: fails (never
 * skips) without it. Servers are stopped by PID, the namespaces deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, requireRoot, LAB_ADDR, type Lab, type LabProcess } from './lab.js';
import { startNginx, startSshd, type NginxServer, type SshdServer } from './servers.js';
import { startServers2, type Servers2 } from './servers2.js';
import { startDnsmasq, startMariadb, startSamba, startXrdp, waitUdp, writeConf, type MariadbServer, type SambaServer, type Server3 } from './servers3.js';
import { describeRun, linkArgs, readBannerMap, runMasscan, runTidescan } from './harness.js';
import { BUILTIN_UDP_PAYLOADS, NTP_PROBES } from '../../src/probes/udp-payloads.js';

const LIFE_MS = 400_000;
const DNS_IP = '198.18.5.53';
const SNMP_IP = '198.18.5.161';
const NTP_IP = '198.18.5.123';
/** nmbd answers only on a broadcast interface: the sink's veth address. */
const NBT_IP = LAB_ADDR.sinkIp4;
const NETBIOS_NAME = 'HT-SINK';

let lab: Lab;
let dir: string;
let s2: Servers2;
let nginx: NginxServer;
let sshd: SshdServer;
let samba: SambaServer;
let xrdp: Server3;
let maria: MariadbServer;
let dns: Server3;
const procs: LabProcess[] = [];

type Check = (banners: Map<string, string>) => boolean;
/** One row: a service on one port. `want` names the banners that must be there (tidescan). */
interface Row {
  readonly service: string;
  readonly ip: string;
  readonly port: number;
  readonly proto: 'tcp' | 'udp';
  readonly usual: boolean;
  readonly want: readonly string[];
  readonly check: Check;
}

const conf = (sub: string, name: string, text: string): string => writeConf(dir, sub, name, text);

/** The sink forwards ip:from to ip:to (the server's own port) for TCP and UDP. */
async function dnat(ip: string, from: number, to: number): Promise<void> {
  for (const proto of ['udp', 'tcp']) {
    const r = await lab.exec('sink', 'iptables', ['-w', '5', '-t', 'nat', '-A', 'PREROUTING', '-p', proto, '-d', ip, '--dport', String(from),
      '-j', 'DNAT', '--to-destination', `${ip}:${to}`]);
    assert.equal(r.code, 0, r.stderr);
  }
}

async function startUdpServers(): Promise<void> {
  // ntpsec: the address on the sink's lo, ntpd listens on it (banners-udp2.test.ts)
  await lab.exec('sink', 'ip', ['addr', 'add', `${NTP_IP}/32`, 'dev', 'lo']);
  const ntpConf = conf('ntp', 'ntp.conf', ['interface ignore wildcard', `interface listen ${NTP_IP}`, 'restrict default nomodify',
    `driftfile ${path.join(dir, 'ntp', 'drift')}`, ''].join('\n'));
  const ntpd = lab.spawn('sink', '/usr/sbin/ntpd', ['-n', '-c', ntpConf], { timeoutMs: LIFE_MS });
  procs.push(ntpd);
  // snmpd on 161 and 1161 itself
  const snmpConf = conf('snmpd', 'snmpd.conf', `agentAddress udp:${SNMP_IP}:161,udp:${SNMP_IP}:1161\nrocommunity public\n` +
    'sysDescr tidescan lab snmpd\nsysName ht-sink\n');
  const snmpd = lab.spawn('sink', '/usr/sbin/snmpd', ['-f', '-Le', '-C', '-c', snmpConf, '-p', path.join(dir, 'snmpd', 'pid')],
    { timeoutMs: LIFE_MS, env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(dir, 'snmpd') } });
  procs.push(snmpd);
  // nmbd on the sink's veth (as banners-udp2.test.ts), stdin /dev/null and a session of its own
  const d = path.join(dir, 'nmbd');
  const smbConf = conf('nmbd', 'smb.conf', ['[global]', '  workgroup = TIDELAB', `  netbios name = ${NETBIOS_NAME}`,
    `  interfaces = ${lab.sinkIf}`, '  bind interfaces only = yes', '  disable netbios = no',
    ...['lock directory', 'state directory', 'cache directory', 'private dir', 'pid directory'].map((k) => `  ${k} = ${d}`),
    `  ncalrpc dir = ${d}/ncalrpc`, `  log file = ${d}/log`, ''].join('\n'));
  const nmbd = lab.spawn('sink', 'sh', ['-c', 'exec setsid "$@" </dev/null', 'sh', '/usr/sbin/nmbd', '--foreground', '--no-process-group',
    '--debug-stdout', `--configfile=${smbConf}`], { timeoutMs: LIFE_MS });
  procs.push(nmbd);
  await Promise.all([waitUdp(lab, NTP_IP, 123, ntpd, true), waitUdp(lab, SNMP_IP, 1161, snmpd, true), waitUdp(lab, NBT_IP, 137, nmbd, true)]);
  // nmbd is ready when it answers a node status query (RFC 1002 §4.2.17, for `*`)
  const ask =
    `const s=require('dgram').createSocket('udp4');const q=Buffer.from('abcd00000001000000000000'+'20434b'+'41'.repeat(30)+'0000210001','hex');` +
    `const end=Date.now()+20000;s.on('message',()=>{console.log('ok');process.exit(0)});` +
    `s.bind(0,()=>{setInterval(()=>{if(Date.now()>end){console.log('no');process.exit(0)}s.send(q,137,process.argv[1])},300)});`;
  const r = await lab.exec('sink', process.execPath, ['-e', ask, NBT_IP], { timeoutMs: 30_000 });
  if (r.stdout.trim() !== 'ok') throw new Error(`nmbd does not answer: ${r.stdout}${r.stderr} ${nmbd.stdout().slice(-1500)}`);
  await dnat(NTP_IP, 1123, 123);
  await dnat(NBT_IP, 1137, 137);
  await dnat(DNS_IP, 5353, 53);
}

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-banners-table-'));
  lab = await createLab({ prefix: `ht${process.pid}`.slice(0, 9), ipv6: false });
  await lab.startServices({ trickle: true, lifetimeMs: LIFE_MS });
  [s2, nginx, sshd, samba, xrdp, maria, dns] = await Promise.all([
    startServers2(lab, { dir, lifetimeMs: LIFE_MS }),
    startNginx(lab, { dir, lifetimeMs: LIFE_MS }),
    startSshd(lab, { dir, lifetimeMs: LIFE_MS }),
    startSamba(lab, { dir, ports: [445, 4455], lifetimeMs: LIFE_MS }),
    startXrdp(lab, { dir, ports: [3389, 3390], lifetimeMs: LIFE_MS }),
    startMariadb(lab, { dir, port: 3306, extraPort: 13306, lifetimeMs: LIFE_MS }),
    startDnsmasq(lab, { dir, ip: DNS_IP, lifetimeMs: LIFE_MS }),
  ]);
  await startUdpServers();
});

after(async () => {
  for (const p of procs) p.kill('SIGTERM');
  const killer = setTimeout(() => { for (const p of procs) p.kill('SIGKILL'); }, 5000);
  await Promise.all(procs.map((p) => p.done));
  clearTimeout(killer);
  await Promise.all([s2?.stop(), nginx?.stop(), sshd?.stop(), samba?.stop(), xrdp?.stop(), maria?.stop(), dns?.stop()]);
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

const has = (name: string, re?: RegExp): Check => (b) => b.has(name) && (re === undefined || re.test(b.get(name)!));
const all = (...c: Check[]): Check => (b) => c.every((f) => f(b));

function rows(): Row[] {
  const out: Row[] = [];
  const pair = (service: string, ip: string, ports: readonly number[], proto: 'tcp' | 'udp', want: readonly string[], check: Check): void => {
    ports.forEach((port, i) => out.push({ service, ip, port, proto, usual: i === 0, want, check }));
  };
  const tls = all(has('ssl', /^TLS\/1\.[23] /), has('X509'));
  pair('vsftpd (FTP, AUTH TLS)', s2.ftp.ip, s2.ftp.ports, 'tcp', ['ftp', 'ssl', 'X509'], all(has('ftp', /^220 \(vsFTPd 3\./), tls));
  pair('OpenSMTPD (SMTP, STARTTLS)', s2.smtp.ip, s2.smtp.ports, 'tcp', ['smtp', 'ssl', 'X509'], all(has('smtp', /ESMTP OpenSMTPD/), tls));
  pair('Dovecot IMAP (STARTTLS)', s2.imap.ip, s2.imap.ports, 'tcp', ['imap', 'ssl', 'X509'], all(has('imap', /^\* OK \[CAPABILITY IMAP4rev1/), tls));
  pair('Dovecot POP3 (STLS)', s2.pop.ip, s2.pop.ports, 'tcp', ['pop', 'ssl', 'X509'], all(has('pop', /^\+OK Dovecot/), tls));
  pair('Samba smbd', samba.ip, samba.ports, 'tcp', ['smb'], has('smb', /^SMBv2 dialect=/));
  pair('Samba nmbd', NBT_IP, [137, 1137], 'udp', ['nbtstat'], has('nbtstat', new RegExp(NETBIOS_NAME)));
  pair('TigerVNC', s2.vnc.ip, s2.vnc.ports, 'tcp', ['vnc', 'vnc-info'], all(has('vnc', /^RFB 003\.008$/), has('vnc-info', /name=tidescan-lab/)));
  pair('telnetd (socat)', s2.telnet.ip, s2.telnet.ports, 'tcp', ['telnet'], has('telnet', / login:$/));
  pair('memcached', s2.memcached.ip, s2.memcached.ports, 'tcp', ['memcached'], has('memcached', /^pid=\d+ /));
  pair('Redis', s2.redis.ip, s2.redis.ports, 'tcp', ['redis'], has('redis', /^redis_version=/));
  pair('dnsmasq', DNS_IP, [53, 5353], 'udp', ['dns-ver'], has('dns-ver', /^dnsmasq-\d/));
  pair('snmpd', SNMP_IP, [161, 1161], 'udp', ['snmp'], has('snmp', /sysName:ht-sink sysDescr:tidescan lab snmpd/));
  pair('ntpsec', NTP_IP, [123, 1123], 'udp', ['ntp'], has('ntp'));
  pair('xrdp', xrdp.ip, xrdp.ports, 'tcp', ['rdp'], has('rdp', /^X\.224 CC /));
  pair('MariaDB', maria.ip, maria.ports, 'tcp', ['mysql'], has('unknown', /^mysql protocol=10 version=5\.5\.5-/));
  pair('nginx HTTP', nginx.http.ip, nginx.http.ports, 'tcp', ['http', 'http.server', 'title'],
    all(has('http', /^HTTP\/1\.1 200 OK/), has('title')));
  pair('nginx TLS 1.3', nginx.tls13.ip, nginx.tls13.ports, 'tcp', ['ssl', 'X509'], tls);
  pair('OpenSSH sshd', sshd.ip, sshd.ports, 'tcp', ['ssh'], has('ssh', /^SSH-2\.0-OpenSSH_/));
  return out;
}

/** `ip:port/proto` -> service -> banner text, from tidescan's NDJSON or masscan's -oD. */
const readBanners = (file: string): Promise<Map<string, Map<string, string>>> => readBannerMap(file, true);

const key = (r: Row): string => `${r.ip}:${r.port}/${r.proto}`;

function targetArgs(rs: readonly Row[]): string[] {
  const ips = [...new Set(rs.map((r) => r.ip))];
  const tcp = [...new Set(rs.filter((r) => r.proto === 'tcp').map((r) => r.port))];
  const udp = [...new Set(rs.filter((r) => r.proto === 'udp').map((r) => r.port))];
  return [...ips.flatMap((ip) => ['--range', ip]), '-p', [...tcp.map(String), ...udp.map((p) => `U:${p}`)].join(',')];
}

/** An nmap-payloads file: each unusual UDP port gets the built-in payload of its service's usual port. */
function payloadFile(rs: readonly Row[]): string {
  const hex = (b: Uint8Array): string => [...b].map((x) => `\\x${x.toString(16).padStart(2, '0')}`).join('');
  const lines: string[] = [];
  for (const r of rs.filter((x) => x.proto === 'udp' && !x.usual)) {
    const home = rs.find((x) => x.service === r.service && x.usual)!.port;
    const bytes = home === 123 ? NTP_PROBES.client.bytes : BUILTIN_UDP_PAYLOADS.find((p) => p.port === home)!.bytes;
    lines.push(`udp ${r.port} "${hex(bytes)}"`);
  }
  const f = path.join(dir, 'unusual.payloads');
  writeFileSync(f, `${lines.join('\n')}\n`);
  return f;
}

function cell(got: Map<string, Map<string, string>>, r: Row): string {
  const b = got.get(key(r));
  if (b === undefined || b.size === 0) return '-';
  return [...b.keys()].map((n) => (n === 'unknown' && /^mysql /.test(b.get(n)!) ? 'unknown(mysql)' : n)).join(' ');
}

test('every service of the lab on its usual port and an unusual one: tidescan gets all; masscan 1.3.2 beside it; the table', async () => {
  const rs = rows();
  const t = targetArgs(rs);
  const out = path.join(dir, 'tidescan.ndjson');
  const started = Date.now();
  const r = await runTidescan(lab, [...linkArgs(lab), '--banners', ...t, '--nmap-payloads', payloadFile(rs),
    '--rate', '2000', '--wait', '12', '-oD', out], { cwd: dir, timeoutMs: 150_000 });
  assert.equal(r.code, 0, describeRun(r));
  const tsSecs = (Date.now() - started) / 1000;
  const ts = await readBanners(out);

  const plain = path.join(dir, 'masscan.json');
  await runMasscan(lab, ['--banners', ...t, '--rate', '2000', '--wait', '8', '-oD', plain], { cwd: dir, maxSeconds: 40 });
  const add = await lab.exec('scan', 'iptables', ['-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  assert.equal(add.code, 0, add.stderr);
  const fw = path.join(dir, 'masscan-fw.json');
  try {
    await runMasscan(lab, ['--banners', '--source-port', '61000', ...t, '--rate', '2000', '--wait', '8', '-oD', fw], { cwd: dir, maxSeconds: 40 });
  } finally {
    await lab.exec('scan', 'iptables', ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  }
  const m1 = await readBanners(plain);
  const m2 = await readBanners(fw);

  const head = ['service', 'port', 'tidescan', 'masscan 1.3.2', 'masscan 1.3.2 + firewall rule'];
  const table = rs.map((x) => [x.service, `${x.port}/${x.proto}${x.usual ? '' : ' (unusual)'}`, cell(ts, x), cell(m1, x), cell(m2, x)]);
  const w = head.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
  const line = (row: readonly string[]): string => `| ${row.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  const ok = (m: Map<string, Map<string, string>>, x: Row): boolean => x.check(m.get(key(x)) ?? new Map());
  // a port counts when the service's own banner name is there (masscan's texts differ from ours)
  const named = (m: Map<string, Map<string, string>>, x: Row): boolean => {
    const b = m.get(key(x));
    return b !== undefined && (x.want[0] === 'mysql' ? b.has('unknown') : b.has(x.want[0]!));
  };
  const count = (m: Map<string, Map<string, string>>, sel: (x: Row) => boolean): string =>
    `${rs.filter((x) => sel(x) && named(m, x)).length}/${rs.filter(sel).length}`;
  const sums = ([['tidescan', ts], ['masscan 1.3.2', m1], ['masscan 1.3.2 + firewall rule', m2]] as const).map(([n, m]) =>
    `| ${n} | ${count(m, (x) => x.usual)} | ${count(m, (x) => !x.usual)} | ${count(m, () => true)} |`);
  const md = [
    '# Banners per service: tidescan against masscan 1.3.2',
    '',
    `Measured by \`test/lab/banners-table.test.ts\` (${new Date().toISOString().slice(0, 10)}): one scan each, real servers from Debian's`,
    'packages in the lab\'s sink, every service on its usual port and on one that is not. A cell lists the banner records',
    'got (service names; masscan\'s texts differ from ours). masscan ran as a new user runs it, then with its documented',
    'work-around (`iptables -A INPUT -p tcp --dport 61000 -j DROP`, `--source-port 61000`). On the unusual UDP ports',
    'tidescan sent the service\'s own probe from an `--nmap-payloads` file; masscan was given none.',
    `tidescan's scan took ${tsSecs.toFixed(1)} s.`,
    '',
    line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...table.map(line),
    '',
    'Ports where the service\'s own banner came (its name: `ftp`, `smb`, ...; MariaDB\'s is `unknown`), usual, unusual, all:',
    '',
    '| scanner | usual | unusual | all |', '|---|---|---|---|', ...sums, '',
  ].join('\n');
  console.log(md);
  const resDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');
  await mkdir(resDir, { recursive: true });
  await writeFile(path.join(resDir, 'banners-services.md'), md);

  const failures = rs.filter((x) => !ok(ts, x)).map((x) =>
    `${x.service} ${key(x)}: ${JSON.stringify([...(ts.get(key(x)) ?? new Map<string, string>())].map(([n, v]) => `${n}=${v.slice(0, 80)}`))}`);
  assert.deepEqual(failures, [], 'tidescan misses a banner');
  // no empty banner record (an identification attempt that got nothing leaves none)
  const empty = (await readFile(out, 'utf8')).split('\n').filter((l) => l.includes('"rec_type":"banner"') && /"banner":""/.test(l));
  assert.deepEqual(empty, [], 'empty banner records');
  assert.equal(rs.length, 36);
});
