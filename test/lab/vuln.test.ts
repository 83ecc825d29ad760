/**
 * --heartbleed and --ticketbleed in the lab. No Debian server is vulnerable, so the positive
 * cases are the scripted responder (test/lab/vuln-responder.ts) run in the sink: one that
 * bleeds, one fixed (heartbeat extension, drops the overrunning request), one that echoes a
 * 32-byte session id on resumption. The negative case is the real nginx (TLS 1.2 and TLS 1.3
 * servers of servers.ts), which must be reported `safe`.
 * --vuln poodle: the responder in its SSL 3.0 modes (one that predates RFC 7507, one that
 * answers TLS_FALLBACK_SCSV); nginx (no SSL 3.0) is `safe`.
 * --vuln ntp-monlist: no Debian NTP server answers mode 7 (ntpsec and chrony have none), so a
 * scripted mode-7 responder in the sink answers MON_GETLIST_1 as ntpd 4.2.6 did.
 * Needs root: fails (never skips) without it. Processes stopped by PID, namespaces deleted.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, requireRoot, type Lab, type LabProcess } from './lab.js';
import { startNginx, type NginxServer } from './servers.js';
import { describeRun, linkArgs, readNdjson, runMasscan, runTidescan } from './harness.js';
import { LEAK_MEMORY, memory } from './vuln-responder.js';

const RESPONDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'vuln-responder.js');
const BLEEDS = '198.18.5.1';
const PATCHED = '198.18.5.2';
const TICKET = '198.18.5.3';
const SSL3 = '198.18.5.4';
const SSL3_SCSV = '198.18.5.5';
const MONLIST = '198.18.5.123';
/** The address the monlist responder lists (what a real ntpd's monitor list would hold). */
const MONLIST_CLIENT = '203.0.113.77';

let lab: Lab;
let nginx: NginxServer;
let dir: string;
const responders: LabProcess[] = [];

async function startResponder(ip: string, mode: string): Promise<void> {
  const p = lab.spawn('sink', process.execPath, [RESPONDER, '--listen', `${ip}:443`, '--mode', mode, '--lifetime', '240000'], { timeoutMs: 250_000 });
  responders.push(p);
  const deadline = Date.now() + 10_000;
  while (!p.stdout().includes('listening')) {
    if (Date.now() > deadline) throw new Error(`vuln responder ${mode} did not start: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-vuln-'));
  lab = await createLab({ prefix: `hv${process.pid}`.slice(0, 9), ipv6: false });
  nginx = await startNginx(lab, { dir, lifetimeMs: 240_000 });
  await startResponder(BLEEDS, 'heartbleed');
  await startResponder(PATCHED, 'patched');
  await startResponder(TICKET, 'ticketbleed');
  await startResponder(SSL3, 'sslv3');
  await startResponder(SSL3_SCSV, 'sslv3-scsv');
  await startMonlistResponder();
  // masscan 1.3.2 exits only while packets keep reaching it (LAB.md): the sink's trickle.
  await lab.startServices({ trickle: true, lifetimeMs: 240_000 });
});

/**
 * A UDP responder on MONLIST:123 that answers only a mode-7 MON_GETLIST_1 request (ntpd's
 * ntp_request.h: R|M|VN|mode, auth|seq, implementation, request code 42) with one
 * info_monitor_1 item of 72 bytes whose address field (offset 16) is MONLIST_CLIENT. Bounded.
 */
async function startMonlistResponder(): Promise<void> {
  const js =
    `const s=require('dgram').createSocket('udp4');` +
    `s.on('message',(m,r)=>{if(m.length<4||(m[0]&7)!==7||(m[0]&0x80)||m[3]!==42)return;` +
    `const b=Buffer.alloc(8+72);b[0]=0x80|(m[0]&0x38)|7;b[2]=m[2];b[3]=42;b.writeUInt16BE(1,4);b.writeUInt16BE(72,6);` +
    `Buffer.from(process.argv[2].split('.').map(Number)).copy(b,8+16);s.send(b,r.port,r.address);});` +
    `s.bind(123,process.argv[1],()=>console.log('listening'));setTimeout(()=>process.exit(0),240000);`;
  const p = lab.spawn('sink', process.execPath, ['-e', js, MONLIST, MONLIST_CLIENT], { timeoutMs: 250_000 });
  responders.push(p);
  const deadline = Date.now() + 10_000;
  while (!p.stdout().includes('listening')) {
    if (Date.now() > deadline) throw new Error(`monlist responder did not start: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

after(async () => {
  for (const p of responders) p.kill('SIGTERM');
  await nginx?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface NdjsonRecord {
  readonly ip: string;
  readonly port: number;
  readonly rec_type: string;
  readonly data: { readonly service_name?: string; readonly banner?: string };
}

/** An -oD file's banners: `ip service` -> banner text. */
async function banners(file: string): Promise<Map<string, string>> {
  const m = new Map<string, string>();
  for (const r of await readNdjson<NdjsonRecord>(file)) {
    if (r.rec_type === 'banner') m.set(`${r.ip} ${r.data.service_name}`, String(r.data.banner ?? ''));
  }
  return m;
}

async function scan(args: readonly string[], ips: readonly string[], name: string): Promise<Map<string, string>> {
  const out = path.join(dir, `${name}.ndjson`);
  const r = await runTidescan(lab, [...linkArgs(lab), ...args, ...ips.flatMap((ip) => ['--range', ip]), '-p', '443',
    '--rate', '1000', '--wait', '4', '-oD', out], { cwd: dir, timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(r));
  return banners(out);
}

test('--heartbleed: the bleeding responder is flagged with its memory; the fixed one and nginx are safe', async () => {
  const got = await scan(['--heartbleed', '--capture', 'heartbleed'], [BLEEDS, PATCHED, nginx.tls12.ip, nginx.tls13.ip], 'heartbleed');
  const shown = JSON.stringify([...got], null, 1);
  assert.equal(got.get(`${BLEEDS} vuln`), 'SSL[heartbeat] SSL[HEARTBLEED] ', shown);
  const leak = Buffer.from(got.get(`${BLEEDS} heartbleed`) ?? '', 'base64');
  assert.equal(leak.length, 0x4000);
  assert.ok(leak.includes(LEAK_MEMORY), 'the heartbleed record holds the server\'s memory');
  assert.equal(got.get(`${PATCHED} vuln`), 'SSL[heartbeat] ', shown);
  assert.equal(got.get(`${PATCHED} safe`), 'heartbleed[patched] ', shown);
  for (const ip of [nginx.tls12.ip, nginx.tls13.ip]) {
    assert.equal(got.get(`${ip} safe`), 'heartbleed[no-heartbeat] ', `nginx ${ip}\n${shown}`);
    assert.equal(got.get(`${ip} vuln`), undefined, shown);
    assert.match(got.get(`${ip} ssl`) ?? '', /^TLS\/1\.[23] cipher:/);
    // masscan: a check turns certificate capture off
    assert.equal(got.get(`${ip} X509`), undefined);
  }
  console.log(`--heartbleed: ${BLEEDS} ${got.get(`${BLEEDS} vuln`)}; ${PATCHED} ${got.get(`${PATCHED} safe`)}; nginx ${got.get(`${nginx.tls12.ip} safe`)}`);
});

test('--ticketbleed (and --vuln ticketbleed): the resuming responder leaks 31 bytes; nginx is safe', async () => {
  for (const args of [['--ticketbleed', '--capture', 'ticketbleed'], ['--vuln', 'ticketbleed', '--capture', 'ticketbleed']]) {
    const got = await scan(args, [TICKET, nginx.tls12.ip, nginx.tls13.ip], args[0]!.replace(/-/g, ''));
    const shown = JSON.stringify([...got], null, 1);
    assert.equal(got.get(`${TICKET} vuln`), 'SSL[ticketbleed] ', shown);
    assert.deepEqual(Buffer.from(got.get(`${TICKET} ticketbleed`) ?? '', 'base64'), memory(31));
    for (const ip of [nginx.tls12.ip, nginx.tls13.ip]) {
      assert.equal(got.get(`${ip} safe`), 'ticketbleed[no-leak] ', `nginx ${ip}\n${shown}`);
      assert.equal(got.get(`${ip} vuln`), undefined, shown);
    }
  }
});

test('masscan 1.3.2 beside it cannot run the checks: --heartbleed, --ticketbleed and --vuln fail on its own no-capture', async () => {
  // Its checks set `no-capture cert` internally, an option name its 1.3.2 parser does not
  // know: it exits before sending anything. So there is nothing of masscan's to compare here.
  for (const check of [['--heartbleed'], ['--ticketbleed'], ['--vuln', 'heartbleed'], ['--vuln', 'ticketbleed'], ['--vuln', 'poodle']]) {
    const r = await runMasscan(lab, [...check, '--range', BLEEDS, '-p', '443', '--rate', '1000', '--wait', '1'], { cwd: dir, maxSeconds: 20 });
    assert.equal(r.code, 1, describeRun(r));
    assert.match(r.stderr, /CONF: unknown config option: no-capture=cert/, describeRun(r));
  }
  console.log('masscan 1.3.2: --heartbleed/--ticketbleed/--vuln exit 1 with "CONF: unknown config option: no-capture=cert"');
});

test('--vuln poodle (and sslv3): the SSL 3.0 responder is flagged POODLE, the RFC 7507 one and nginx are safe', async () => {
  for (const v of ['poodle', 'sslv3']) {
    const got = await scan(['--vuln', v], [SSL3, SSL3_SCSV, nginx.tls12.ip, nginx.tls13.ip], `vuln-${v}`);
    const shown = JSON.stringify([...got], null, 1);
    assert.equal(got.get(`${SSL3} vuln`), 'SSL[v3]  POODLE ', shown);
    assert.equal(got.get(`${SSL3} ssl`), 'SSLv3 cipher:0x2f', shown);
    assert.equal(got.get(`${SSL3} safe`), undefined, shown);
    assert.equal(got.get(`${SSL3_SCSV} safe`), 'poodle[TLS_FALLBACK_SCSV] ', shown);
    assert.equal(got.get(`${SSL3_SCSV} vuln`), undefined, shown);
    for (const ip of [nginx.tls12.ip, nginx.tls13.ip]) {
      assert.equal(got.get(`${ip} safe`), 'poodle[no-SSLv3] ', `nginx ${ip}\n${shown}`);
      assert.equal(got.get(`${ip} vuln`), undefined, shown);
      assert.equal(got.get(`${ip} X509`), undefined, shown);
    }
    if (v === 'poodle') {
      console.log(`--vuln poodle: ${SSL3} vuln ${JSON.stringify(got.get(`${SSL3} vuln`))}; ${SSL3_SCSV} safe ${JSON.stringify(got.get(`${SSL3_SCSV} safe`))}; ` +
        `nginx safe ${JSON.stringify(got.get(`${nginx.tls12.ip} safe`))} ssl ${JSON.stringify(got.get(`${nginx.tls12.ip} ssl`))}`);
    }
  }
});

test('--vuln ntp-monlist: masscan\'s mode-7 probe; the monlist answer is the ntp record (no vuln record: masscan has none)', async () => {
  const udp = async (args: readonly string[], name: string): Promise<Map<string, string>> => {
    const out = path.join(dir, `${name}.ndjson`);
    const r = await runTidescan(lab, [...linkArgs(lab), ...args, '--range', MONLIST, '-pU:123', '--rate', '1000', '--wait', '3', '-oD', out],
      { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    return banners(out);
  };
  const got = await udp(['--vuln', 'ntp-monlist'], 'monlist');
  const shown = JSON.stringify([...got]);
  assert.equal(got.get(`${MONLIST} ntp`), `monlist items=1 itemsize=72 addr=${MONLIST_CLIENT}`, shown);
  assert.equal(got.get(`${MONLIST} vuln`), undefined, shown);
  // the default probe (mode 3) draws nothing from a mode-7-only responder: the probe is what changed
  const plain = await udp(['--banners'], 'monlist-plain');
  assert.equal(plain.get(`${MONLIST} ntp`), undefined, JSON.stringify([...plain]));
  console.log(`--vuln ntp-monlist: ${MONLIST} ntp ${JSON.stringify(got.get(`${MONLIST} ntp`))}`);
  // masscan 1.3.2 beside it: its UDP/123 payload is this mode-7 monlist request already; its
  // ntp record names the request and the size, and it has no vuln record either
  const mout = path.join(dir, 'masscan-monlist.json');
  await runMasscan(lab, ['--banners', '--range', MONLIST, '-pU:123', '--rate', '1000', '--wait', '3', '-oD', mout], { cwd: dir, maxSeconds: 30 });
  const m = await banners(mout);
  console.log(`masscan 1.3.2 -pU:123: ${MONLIST} ntp ${JSON.stringify(m.get(`${MONLIST} ntp`))}, vuln ${JSON.stringify(m.get(`${MONLIST} vuln`))}`);
  assert.match(m.get(`${MONLIST} ntp`) ?? '', /MON_GETLIST_1/, JSON.stringify([...m]));
  assert.equal(m.get(`${MONLIST} vuln`), undefined);
});
