/**
 * UDP banners II from real servers of Debian's packages, run in the sink in the foreground:
 *  - ntpsec's ntpd (123): `ntp` from the default mode-3 client request; `--ntp-probe readvar`
 *    gets its system variables; masscan's mode-7 monlist (`--ntp-probe monlist`) gets nothing;
 *  - Samba's nmbd (137): `nbtstat`, the NetBIOS name table;
 *  - libcoap's coap-server (5683): `coap`, the /.well-known/core resource list;
 *  - strongSwan's charon with an IKEv1 PSK connection loaded by swanctl (500): `isakmp`, the
 *    chosen transform;
 *  - and, for the side-by-side table, dnsmasq (53), snmpd (161) and memcached (11211).
 * One scan of all of them with --banners must give exactly one banner per port; with
 * --rawudp each port also gets one `unknown` banner of its whole payload. masscan 1.3.2 then
 * scans the same servers with its own payloads; the test prints a per-service table of who
 * got which banner (masscan's texts differ: service names only).
 * No scripted responder: every server is a real one. No unusual ports here: the UDP banner of
 * a port comes from its port's probe and parser (as in masscan); another port gets `unknown`.
 * Needs root: fails (never skips) without it. Servers are stopped by PID and the namespaces
 * deleted by name, also on failure. Packages: ntpsec, samba, libcoap3-bin, strongswan-charon,
 * strongswan-swanctl, dnsmasq-base, snmpd, memcached (scripts/setup.sh).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, LAB_ADDR, type Lab, type LabProcess } from './lab.js';
import { startDnsmasq, waitUdp, writeConf, type Server3 } from './servers3.js';
import { describeRun, linkArgs, readNdjson, runMasscan, runTidescan } from './harness.js';

const NTP_IP = '198.18.4.123';
const COAP_IP = '198.18.4.56';
const IKE_IP = '198.18.4.50';
const SNMP_IP = '198.18.4.161';
const MEMCACHED_IP = '198.18.4.112';
/** nmbd answers only on a broadcast interface (it ignores loopback): the sink's veth address. */
const NBT_IP = LAB_ADDR.sinkIp4;
const NETBIOS_NAME = 'HU-UDP-SINK';
const LIFE_MS = 300_000;

let lab: Lab;
let dir: string;
let dns: Server3 | undefined;
const procs: LabProcess[] = [];

const conf = (sub: string, name: string, text: string): string => writeConf(dir, sub, name, text);

async function startNtpsec(): Promise<void> {
  // ntpd ignores datagrams on its wildcard socket: the address goes on the sink's lo, and
  // ntpd listens on it. No time source: it answers unsynchronised (kiss code INIT).
  await lab.exec('sink', 'ip', ['addr', 'add', `${NTP_IP}/32`, 'dev', 'lo']);
  const f = conf('ntp', 'ntp.conf', [
    'interface ignore wildcard', `interface listen ${NTP_IP}`,
    // READVAR: ntpsec 1.2.2 answered it here only from an address with a `restrict` line of
    // its own (its `restrict default` entry, even without noquery, never answered it), so the
    // scanner's address gets one. Debian's own ntp.conf has noquery everywhere.
    'restrict default nomodify', `restrict ${LAB_ADDR.scanIp4}`, `driftfile ${path.join(dir, 'ntp', 'drift')}`, '',
  ].join('\n'));
  const p = lab.spawn('sink', '/usr/sbin/ntpd', ['-n', '-c', f], { timeoutMs: LIFE_MS });
  procs.push(p);
  await waitUdp(lab, NTP_IP, 123, p, true);
}

async function startNmbd(): Promise<void> {
  const d = path.join(dir, 'samba');
  const f = conf('samba', 'smb.conf', [
    '[global]', '  workgroup = TIDELAB', `  netbios name = ${NETBIOS_NAME}`, '  server string = tidescan lab',
    `  interfaces = ${lab.sinkIf}`, '  bind interfaces only = yes', '  disable netbios = no',
    ...['lock directory', 'state directory', 'cache directory', 'private dir', 'pid directory'].map((k) => `  ${k} = ${d}`),
    `  ncalrpc dir = ${d}/ncalrpc`, `  log file = ${d}/log`, '',
  ].join('\n'));
  // As smbd in servers3.ts: stdin /dev/null and a session of its own (setsid execs, so the PID is nmbd's).
  const nmbd = ['/usr/sbin/nmbd', '--foreground', '--no-process-group', '--debug-stdout', `--configfile=${f}`];
  const p = lab.spawn('sink', 'sh', ['-c', 'exec setsid "$@" </dev/null', 'sh', ...nmbd], { timeoutMs: LIFE_MS });
  procs.push(p);
  await waitUdp(lab, NBT_IP, 137, p, true);
  // Ready when it answers a node status query (RFC 1002 §4.2.17, for `*`), from inside the sink.
  const ask =
    `const s=require('dgram').createSocket('udp4');const q=Buffer.from('abcd00000001000000000000'+'20434b'+'41'.repeat(30)+'0000210001','hex');` +
    `const end=Date.now()+20000;s.on('message',()=>{console.log('ok');process.exit(0)});` +
    `s.bind(0,()=>{const t=setInterval(()=>{if(Date.now()>end){console.log('no');process.exit(0)}s.send(q,137,process.argv[1])},300)});`;
  const r = await lab.exec('sink', process.execPath, ['-e', ask, NBT_IP], { timeoutMs: 30_000 });
  if (r.stdout.trim() !== 'ok') throw new Error(`nmbd does not answer: ${r.stdout}${r.stderr} ${p.stdout().slice(-1500)}`);
}

async function startCoap(): Promise<void> {
  const p = lab.spawn('sink', '/usr/bin/coap-server-notls', ['-A', COAP_IP, '-p', '5683'], { timeoutMs: LIFE_MS });
  procs.push(p);
  await waitUdp(lab, COAP_IP, 5683, p, true);
}

async function startCharon(): Promise<void> {
  const d = path.join(dir, 'ike');
  const vici = `unix://${d}/charon.vici`;
  const sconf = conf('ike', 'strongswan.conf', [
    'charon {',
    '  load = random nonce aes sha1 sha2 md5 hmac gmp kdf pem pkcs1 x509 kernel-netlink socket-default vici',
    // One scanner address sends many main-mode proposals (each scan, each address of the
    // sink: charon's wildcard socket answers on all of them); by default charon blocks a
    // peer with more than 5 half-open IKE_SAs.
    '  block_threshold = 100000',
    `  plugins { vici { socket = ${vici} } }`,
    '  filelog { stdout { default = 1 } }',
    '}', '',
  ].join('\n'));
  const swanctl = conf('ike', 'swanctl.conf', [
    'connections {', '  lab {', '    version = 1', '    local_addrs = %any', '    remote_addrs = %any',
    '    proposals = aes256-sha256-modp2048,aes128-sha1-modp1024',
    '    local { auth = psk }', '    remote { auth = psk }',
    '    children { net { esp_proposals = aes128-sha256 } }', '  }', '}',
    'secrets {', '  ike-lab { secret = tidescan-lab-psk }', '}', '',
  ].join('\n'));
  const env = { ...process.env, STRONGSWAN_CONF: sconf };
  const p = lab.spawn('sink', '/usr/lib/ipsec/charon', [], { timeoutMs: LIFE_MS, env });
  procs.push(p);
  await waitUdp(lab, IKE_IP, 500, p, true);
  const end = Date.now() + 20_000;
  for (;;) {
    const r = await lab.exec('sink', '/usr/sbin/swanctl', ['--load-all', '--file', swanctl, '--uri', vici], { env });
    if (r.code === 0 && r.stdout.includes("loaded connection 'lab'")) return;
    if (Date.now() > end) throw new Error(`swanctl: ${r.stdout}${r.stderr}; charon said: ${p.stdout().slice(-1500)}`);
    await new Promise((w) => setTimeout(w, 300));
  }
}

async function startSnmpdMemcached(): Promise<void> {
  const f = conf('snmpd', 'snmpd.conf', `agentAddress udp:${SNMP_IP}:161\nrocommunity public\nsysDescr tidescan lab snmpd\nsysName udp2-sink\n`);
  const snmpd = lab.spawn('sink', '/usr/sbin/snmpd', ['-f', '-Le', '-C', '-c', f, '-p', path.join(dir, 'snmpd', 'pid')],
    { timeoutMs: LIFE_MS, env: { ...process.env, SNMP_PERSISTENT_DIR: path.join(dir, 'snmpd') } });
  const mc = lab.spawn('sink', '/usr/bin/memcached', ['-u', 'nobody', '-l', MEMCACHED_IP, '-p', '0', '-U', '11211'], { timeoutMs: LIFE_MS });
  procs.push(snmpd, mc);
  await Promise.all([waitUdp(lab, SNMP_IP, 161, snmpd, true), waitUdp(lab, MEMCACHED_IP, 11211, mc, true)]);
}

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-banners-udp2-'));
  lab = await createLab({ prefix: `hu${process.pid}`.slice(0, 9), ipv6: false });
  // masscan 1.3.2 exits only while packets keep reaching it (LAB.md): the sink's trickle.
  await lab.startServices({ trickle: true, lifetimeMs: LIFE_MS });
  dns = await startDnsmasq(lab, { dir, ip: '198.18.4.53', lifetimeMs: LIFE_MS });
  await startNtpsec();
  await startNmbd();
  await startCoap();
  await startCharon();
  await startSnmpdMemcached();
});

after(async () => {
  await dns?.stop();
  for (const p of procs) p.kill('SIGTERM');
  const killer = setTimeout(() => { for (const p of procs) p.kill('SIGKILL'); }, 5000);
  await Promise.all(procs.map((p) => p.done));
  clearTimeout(killer);
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface NdjsonRecord {
  readonly ip: string;
  readonly port: number;
  readonly proto?: string;
  readonly rec_type: string;
  readonly data: { readonly status?: string; readonly service_name?: string; readonly banner?: string };
}

/** tidescan's -oD file (every line JSON), or with `masscan` masscan's (its trailing garbage skipped). */
const readRecords = (file: string, masscan = false): Promise<NdjsonRecord[]> => readNdjson<NdjsonRecord>(file, masscan);

/** The ports of the table: service, address, UDP port, what tidescan's banner must match. */
const ROWS: readonly { readonly svc: string; readonly ip: () => string; readonly port: number; readonly want: RegExp }[] = [
  { svc: 'ntp', ip: () => NTP_IP, port: 123, want: /^NTPv4 server leap=3 stratum=0 kiss=INIT precision=-?\d+ poll=\d+ rootdelay=[\d.]+ rootdisp=[\d.]+ time=20\d\d-/ },
  { svc: 'nbtstat', ip: () => NBT_IP, port: 137, want: new RegExp(`^${NETBIOS_NAME}<00> ${NETBIOS_NAME}<03> ${NETBIOS_NAME}<20> .*TIDELAB<00>/group`) },
  { svc: 'coap', ip: () => COAP_IP, port: 5683, want: /^CoAP ACK 2\.05 Content format=40 <\/>;title="General Info";ct=0,<\/time>/ },
  { svc: 'isakmp', ip: () => IKE_IP, port: 500, want: /^IKEv1 main-mode rcookie=[0-9a-f]{16} SA enc=AES-CBC-256 hash=SHA2-256 group=14 auth=PSK life=28800s .*vid=afcad71368a1f1c96b8696fc77570100\(DPD\)/ },
  { svc: 'dns-ver', ip: () => dns!.ip, port: 53, want: /^dnsmasq-\d/ },
  { svc: 'snmp', ip: () => SNMP_IP, port: 161, want: /^sysName:udp2-sink sysDescr:tidescan lab snmpd$/ },
  { svc: 'memcached', ip: () => MEMCACHED_IP, port: 11211, want: /^pid=\d+ uptime=\d+ time=\d+ version=/ },
];

function scanArgs(out: string, extra: readonly string[]): string[] {
  return [...linkArgs(lab), ...extra, ...[...new Set(ROWS.map((r) => r.ip()))].flatMap((ip) => ['--range', ip]),
    '-p', ROWS.map((r) => `U:${r.port}`).join(','), '--rate', '1000', '--wait', '3', '-oD', out];
}

/** `ip:port` -> [service, banner] of every banner record, in file order (duplicates kept). */
function bannersOf(recs: readonly NdjsonRecord[]): Map<string, [string, string][]> {
  const m = new Map<string, [string, string][]>();
  for (const x of recs) {
    if (x.rec_type !== 'banner') continue;
    const k = `${x.ip}:${x.port}`;
    if (!m.has(k)) m.set(k, []);
    m.get(k)!.push([String(x.data.service_name), String(x.data.banner ?? '')]);
  }
  return m;
}

let tidescanGot: Map<string, [string, string][]> | undefined;

test('tidescan --banners: ntp, nbtstat, coap, isakmp (and dns-ver, snmp, memcached) from real servers, one banner per port', async () => {
  const out = path.join(dir, 'udp2.ndjson');
  const r = await runTidescan(lab, scanArgs(out, ['--banners', '--retries', '1']), { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  const got = bannersOf(await readRecords(out));
  tidescanGot = got;
  const show = JSON.stringify([...got].map(([k, v]) => `${k} ${v.map(([s, b]) => `${s}=${b.slice(0, 90)}`).join(' | ')}`), null, 1);
  for (const row of ROWS) {
    const b = got.get(`${row.ip()}:${row.port}`) ?? [];
    // Two probes (--retries 1), each answered: one banner all the same.
    assert.equal(b.length, 1, `${row.svc}: ${show}`);
    assert.equal(b[0]![0], row.svc, show);
    assert.match(b[0]![1], row.want, `${row.svc}: ${show}`);
  }
  // Anything else is charon answering port 500 on the sink's other addresses (its wildcard socket).
  const rowKeys = new Set(ROWS.map((row) => `${row.ip()}:${row.port}`));
  for (const [k, v] of got) if (!rowKeys.has(k)) assert.deepEqual([k.endsWith(':500'), v.length, v[0]![0]], [true, 1, 'isakmp'], `${k}: ${show}`);
  console.log(`udp banners: ${[...got].map(([k, v]) => `${k} ${v[0]![0]}=${JSON.stringify(v[0]![1].slice(0, 70))}`).join('\n  ')}`);
});

test('--ntp-probe: readvar gets ntpsec\'s system variables; masscan\'s monlist gets no answer at all', async () => {
  const rv = path.join(dir, 'readvar.ndjson');
  let r = await runTidescan(lab, [...linkArgs(lab), '--banners', '--ntp-probe', 'readvar', '--range', NTP_IP, '-pU:123',
    '--rate', '100', '--wait', '2', '-oD', rv], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  const b = bannersOf(await readRecords(rv)).get(`${NTP_IP}:123`) ?? [];
  assert.equal(b.length, 1, JSON.stringify(b));
  assert.equal(b[0]![0], 'ntp');
  assert.match(b[0]![1], /^readvar .*version="ntpd ntpsec-\d+\.\d+\.\d+"/);
  const ml = path.join(dir, 'monlist.ndjson');
  r = await runTidescan(lab, [...linkArgs(lab), '--banners', '--ntp-probe', 'monlist', '--range', NTP_IP, '-pU:123',
    '--rate', '100', '--wait', '2', '-oD', ml], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  assert.ok(existsSync(ml), `${ml} was not written`);
  const recs = await readRecords(ml);
  assert.deepEqual(recs.filter((x) => x.rec_type === 'banner' || x.data.status === 'open'), [], 'ntpsec answered mode 7');
});

test('--rawudp: each port also gets one unknown banner with its whole payload', async () => {
  const out = path.join(dir, 'rawudp.ndjson');
  const r = await runTidescan(lab, scanArgs(out, ['--rawudp']), { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, describeRun(r));
  const got = bannersOf(await readRecords(out));
  for (const row of ROWS) {
    const b = got.get(`${row.ip()}:${row.port}`) ?? [];
    assert.deepEqual(b.map(([s]) => s).sort(), [row.svc, 'unknown'].sort(), `${row.svc}: ${JSON.stringify(b)}`);
    const raw = b.find(([s]) => s === 'unknown')![1];
    assert.ok(raw.length >= 20, `${row.svc}: raw payload of ${raw.length} bytes`);
  }
});

test('masscan 1.3.2 beside it on the same UDP servers: per-service table', async () => {
  const out = path.join(dir, 'masscan-udp.json');
  const r = await runMasscan(lab, ['--banners', ...[...new Set(ROWS.map((x) => x.ip()))].flatMap((ip) => ['--range', ip]),
    '-p', ROWS.map((x) => `U:${x.port}`).join(','), '--rate', '1000', '--wait', '5', '-oD', out], { cwd: dir, maxSeconds: 40 });
  const recs = await readRecords(out, true);
  const m = bannersOf(recs);
  const open = new Set(recs.filter((x) => x.data.status === 'open').map((x) => `${x.ip}:${x.port}`));
  const ts = tidescanGot ?? new Map<string, [string, string][]>();
  const cell = (g: Map<string, [string, string][]>, k: string): string => {
    const v = g.get(k) ?? [];
    return v.length === 0 ? '-' : [...new Set(v.map(([s]) => s))].join(' ') + (v.length > 1 ? ` (x${v.length})` : '');
  };
  const head = ['service', 'port', 'tidescan', 'masscan 1.3.2 (open?)'];
  const table = ROWS.map((row) => {
    const k = `${row.ip()}:${row.port}`;
    return [row.svc, String(row.port), cell(ts, k), `${cell(m, k)}${open.has(k) ? ' (open)' : ' (no reply)'}`];
  });
  const w = head.map((h, i) => Math.max(h.length, ...table.map((x) => x[i]!.length)));
  const line = (x: readonly string[]): string => `| ${x.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  console.log([line(head), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...table.map(line)].join('\n'));
  for (const [k, v] of m) console.log(`  masscan ${k} ${v.map(([s, b]) => `${s}=${JSON.stringify(b.slice(0, 80))}`).join(' ')}`);
  // What the comparison rests on: masscan ran and its file has records; and its mode-7 NTP
  // probe draws nothing from ntpsec, where tidescan's mode 3 gets the ntp banner.
  assert.ok(recs.length > 0, describeRun(r));
  assert.equal(open.has(`${NTP_IP}:123`), false, 'ntpsec answered masscan\'s monlist');
  assert.equal(ts.get(`${NTP_IP}:123`)?.[0]?.[0], 'ntp');
});
