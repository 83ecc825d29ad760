/**
 * Banners from real servers (issue: Banners I): nginx (HTTP on 80 and 8888, TLS 1.2 with an
 * RSA certificate, TLS 1.3 with an ECDSA chain on 443 and 4433, an SNI-only server) and
 * OpenSSH (22 and 2222) run in the sink; tidescan scans them with --banners from the
 * scanner's own address, as a new user would: no firewall set-up in the test. tidescan must
 * keep the kernel from resetting its connections itself, and leave the ruleset as it was.
 * masscan 1.3.2 runs beside it on the same servers (as a new user would run it, and with its
 * documented firewall work-around), and the test prints both yields.
 * Needs root: fails (never skips) without it. Servers are stopped by PID and the namespaces
 * deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { startNginx, startSshd, type NginxServer, type SshdServer } from './servers.js';
import { describeRun, linkArgs, runMasscan, runTidescan } from './harness.js';

let lab: Lab;
let nginx: NginxServer;
let sshd: SshdServer;
let dir: string;

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-banners-'));
  lab = await createLab({ prefix: `bn${process.pid}`.slice(0, 9), ipv6: false });
  [nginx, sshd] = await Promise.all([startNginx(lab, { dir, lifetimeMs: 300_000 }), startSshd(lab, { dir, lifetimeMs: 300_000 })]);
  // masscan 1.3.2 exits only while packets keep reaching it (LAB.md): the sink's trickle.
  await lab.startServices({ trickle: true });
});

after(async () => {
  await nginx?.stop();
  await sshd?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface NdjsonBanner {
  readonly ip: string;
  readonly port: number;
  readonly proto: string;
  readonly rec_type: string;
  readonly data: { readonly service_name?: string; readonly banner?: string; readonly [k: string]: unknown };
}

/** Banners of an NDJSON file as `ip:port service` -> banner text (+ the records). */
async function readBanners(file: string): Promise<{ map: Map<string, string>; records: NdjsonBanner[] }> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const map = new Map<string, string>();
  const records: NdjsonBanner[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as NdjsonBanner;
    if (r.rec_type !== 'banner') continue;
    records.push(r);
    map.set(`${r.ip}:${r.port} ${r.data.service_name}`, String(r.data.banner ?? ''));
  }
  return { map, records };
}

async function nftRuleset(): Promise<string> {
  const r = await lab.exec('scan', 'nft', ['list', 'ruleset']);
  return r.stdout;
}

function targets(): { ips: string[]; ports: number[] } {
  return {
    ips: [nginx.http.ip, nginx.tls12.ip, nginx.tls13.ip, nginx.sni.ip, sshd.ip],
    ports: [22, 80, 443, sshd.ports[1], nginx.http.ports[1], nginx.tls13.ports[1]],
  };
}

/** The banners every server must yield: `ip:port service` -> a check of the text. */
function expected(): Map<string, (b: string) => boolean> {
  const m = new Map<string, (b: string) => boolean>();
  const server = nginx.serverHeader;
  for (const port of nginx.http.ports) {
    m.set(`${nginx.http.ip}:${port} http`, (b) => b.startsWith('HTTP/1.1 200 OK') && b.includes(`Server: ${server}`));
    m.set(`${nginx.http.ip}:${port} http.server`, (b) => b === server);
    m.set(`${nginx.http.ip}:${port} title`, (b) => b === nginx.title);
  }
  m.set(`${nginx.tls12.ip}:443 ssl`, (b) => b.startsWith('TLS/1.2 ') && b.includes(nginx.tls12.serverName));
  m.set(`${nginx.tls12.ip}:443 X509`, (b) => b === nginx.tls12.cert.der.toString('base64'));
  for (const port of nginx.tls13.ports) {
    m.set(`${nginx.tls13.ip}:${port} ssl`, (b) => b.startsWith('TLS/1.3 ') && b.includes(nginx.tls13.serverName));
    m.set(`${nginx.tls13.ip}:${port} X509`, (b) => b === nginx.tls13.chain[0].der.toString('base64'));
    m.set(`${nginx.tls13.ip}:${port} X509CA`, (b) => b.includes(nginx.tls13.chain[1].der.toString('base64')));
  }
  for (const port of sshd.ports) {
    m.set(`${sshd.ip}:${port} ssh`, (b) => b.startsWith(sshd.ident.trim()));
  }
  return m;
}

function yieldOf(got: Map<string, string>, want: Map<string, (b: string) => boolean>): { ok: string[]; bad: string[] } {
  const ok: string[] = [];
  const bad: string[] = [];
  for (const [k, check] of want) {
    const b = got.get(k);
    if (b !== undefined && check(b)) ok.push(k);
    else bad.push(`${k}: ${b === undefined ? '(none)' : JSON.stringify(b.slice(0, 120))}`);
  }
  return { ok, bad };
}

test('tidescan --banners gets every HTTP, TLS (1.2 and 1.3) and SSH banner from real servers, no firewall set-up by the user', async () => {
  const before = await nftRuleset();
  const t = targets();
  const out = path.join(dir, 'tidescan.ndjson');
  const bin = path.join(dir, 'tidescan.bin');
  const r = await runTidescan(lab, [
    ...linkArgs(lab), '--banners', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
    '--rate', '1000', '--wait', '5', '-oD', out, '-oB', bin,
  ], { cwd: dir, timeoutMs: 90_000 });
  assert.equal(r.code, 0, describeRun(r));
  const { map, records } = await readBanners(out);
  const want = expected();
  const y = yieldOf(map, want);
  console.log(`tidescan: ${y.ok.length}/${want.size} banners`);
  assert.deepEqual(y.bad, [], `missing or wrong banners (got ${records.length} banner records)`);
  const ssh = records.find((x) => x.data.service_name === 'ssh');
  assert.match(String(ssh?.data['hassh'] ?? ''), /^[0-9a-f]{32}$/, 'ssh record carries the HASSH fingerprint');
  assert.equal(await nftRuleset(), before, 'the ruleset is back as it was');

  // masscan reads our binary file's banner records (ids below 16 are the same in masscan
  // 1.3.2's numbering and HEAD's, which we write: http, ssh, ssl, X509).
  const rs = await lab.exec('scan', 'masscan', ['--readscan', bin, '-oL', path.join(dir, 'readscan.txt')], { timeoutMs: 30_000 });
  assert.equal(rs.code, 0, rs.stderr);
  const listed = await readFile(path.join(dir, 'readscan.txt'), 'utf8');
  for (const [service, ip, port] of [
    ['http', nginx.http.ip, 80], ['ssh', sshd.ip, 22], ['ssl', nginx.tls13.ip, 443], ['X509', nginx.tls12.ip, 443],
  ] as const) {
    const line = listed.split('\n').find((l) => l.startsWith(`banner tcp ${port} ${ip} `) && l.split(' ')[5] === service);
    assert.ok(line !== undefined, `masscan --readscan lists our ${service} banner of ${ip}:${port}\n${listed.slice(0, 2000)}`);
  }
});

test('masscan 1.3.2 beside it on the same servers: its yield both ways, and no TLS 1.3 certificate', async () => {
  const t = targets();
  const want = expected();
  const plain = path.join(dir, 'masscan.json');
  const r1 = await runMasscan(lab, ['--banners', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
    '--rate', '1000', '--wait', '5', '-oD', plain], { cwd: dir, maxSeconds: 40 });
  const y1 = yieldOf((await readBanners(plain)).map, want);
  // Its documented work-around: a dropped source port.
  const add = await lab.exec('scan', 'iptables', ['-w', '5', '-A', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  assert.equal(add.code, 0, add.stderr);
  const fw = path.join(dir, 'masscan-fw.json');
  let y2: { ok: string[]; bad: string[] };
  try {
    await runMasscan(lab, ['--banners', '--source-port', '61000', ...t.ips.flatMap((ip) => ['--range', ip]), '-p', t.ports.join(','),
      '--rate', '1000', '--wait', '5', '-oD', fw], { cwd: dir, maxSeconds: 40 });
    y2 = yieldOf((await readBanners(fw)).map, want);
  } finally {
    await lab.exec('scan', 'iptables', ['-w', '5', '-D', 'INPUT', '-p', 'tcp', '--dport', '61000', '-j', 'DROP']);
  }
  console.log(`masscan 1.3.2: ${y1.ok.length}/${want.size} banners as a new user runs it; ${y2.ok.length}/${want.size} with its firewall work-around`);
  console.log(`  masscan (work-around) got: ${y2.ok.join(', ')}`);
  // What the comparison rests on: masscan 1.3.2's ClientHello draws an alert from a TLS
  // 1.3-only server, so it never gets that server's certificate, work-around or not.
  for (const y of [y1, y2]) {
    assert.deepEqual(y.ok.filter((k) => k.startsWith(`${nginx.tls13.ip}:`)), [], `masscan got a TLS 1.3 banner\n${describeRun(r1)}`);
  }
});

test('an SNI-only server: without a name tidescan records its alert, with --tls-sni it gets the certificate', async () => {
  const plain = path.join(dir, 'sni-none.ndjson');
  const named = path.join(dir, 'sni-named.ndjson');
  const base = [...linkArgs(lab), '--banners', '--range', nginx.sni.ip, '-p', '443', '--rate', '1000', '--wait', '3'];
  const r1 = await runTidescan(lab, [...base, '-oD', plain], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r1.code, 0, describeRun(r1));
  const none = (await readBanners(plain)).map;
  // RFC 6066 §3: the server "SHOULD" abort with a fatal unrecognized_name(112) alert; nginx's
  // ssl_reject_handshake does.
  assert.match(none.get(`${nginx.sni.ip}:443 ssl`) ?? '', /ALERT\(0x0270\)/);
  assert.equal(none.get(`${nginx.sni.ip}:443 X509`), undefined);
  const r2 = await runTidescan(lab, [...base, '--tls-sni', nginx.sni.serverName, '-oD', named], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r2.code, 0, describeRun(r2));
  const got = (await readBanners(named)).map;
  assert.equal(got.get(`${nginx.sni.ip}:443 X509`), nginx.sni.cert.der.toString('base64'));
  assert.match(got.get(`${nginx.sni.ip}:443 ssl`) ?? '', new RegExp(`^TLS/1\\.[23] .*${nginx.sni.serverName.replace(/\./g, '\\.')}`));
});
