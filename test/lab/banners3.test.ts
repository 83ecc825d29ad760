/**
 * Banners II from real servers (issue 10, items 1, 2 and 5): Samba's smbd (445, 139 and 4455),
 * xrdp (3389 and 3390), MariaDB (3306 and 13306), and for the hello table dnsmasq (DNS over
 * TCP, 53), rpcbind (Sun RPC, 111) and an X server (X11, 6017) run in the sink; tidescan scans them with
 * --banners. On the usual ports the hello table sends the probe; on the unusual ones SMB and
 * RDP get theirs by --hello-string (as a user would: neither speaks first) and detection reads
 * the answer; MariaDB speaks first and is detected anywhere.
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
import { startDnsmasq, startMariadb, startRpcbind, startSamba, startX11, startXrdp, type MariadbServer, type SambaServer, type Server3 } from './servers3.js';
import { describeRun, linkArgs, runTidescan } from './harness.js';
import { smb1Negotiate } from '../../src/banners/smb.js';
import { rdpConnectionRequest } from '../../src/banners/rdp.js';

let lab: Lab;
let samba: SambaServer;
let xrdp: Server3;
let maria: MariadbServer;
let dns: Server3;
let rpc: Server3;
let x11: Server3;
let dir: string;

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-banners3-'));
  lab = await createLab({ prefix: `hx11${process.pid}`.slice(0, 9), ipv6: false });
  [samba, xrdp, maria] = await Promise.all([
    startSamba(lab, { dir, lifetimeMs: 300_000 }),
    startXrdp(lab, { dir, lifetimeMs: 300_000 }),
    startMariadb(lab, { dir, lifetimeMs: 300_000 }),
  ]);
  [dns, rpc, x11] = await Promise.all([
    startDnsmasq(lab, { dir, lifetimeMs: 300_000 }), startRpcbind(lab, { lifetimeMs: 300_000 }), startX11(lab, { lifetimeMs: 300_000 }),
  ]);
});

after(async () => {
  await samba?.stop();
  await xrdp?.stop();
  await maria?.stop();
  await dns?.stop();
  await rpc?.stop();
  await x11?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Rec {
  readonly ip: string;
  readonly port: number;
  readonly rec_type: string;
  readonly data: { readonly service_name?: string; readonly banner?: string; readonly [k: string]: unknown };
}

async function readBanners(file: string): Promise<Map<string, Rec>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const map = new Map<string, Rec>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const r = JSON.parse(line) as Rec;
    if (r.rec_type === 'banner') map.set(`${r.ip}:${r.port} ${r.data.service_name}`, r);
  }
  return map;
}

test('tidescan --banners gets SMB (Samba), RDP (xrdp), MySQL (MariaDB), DNS (dnsmasq), Sun RPC (rpcbind) and X11 banners', async () => {
  const out = path.join(dir, 'tidescan.ndjson');
  const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
  const ports = [...samba.ports, ...xrdp.ports, ...maria.ports, ...dns.ports, ...rpc.ports, ...x11.ports];
  const ips = [samba.ip, xrdp.ip, maria.ip, dns.ip, rpc.ip, x11.ip];
  const r = await runTidescan(lab, [
    ...linkArgs(lab), '--banners', ...ips.flatMap((ip) => ['--range', ip]), '-p', ports.join(','),
    '--hello-string[4455]', b64(smb1Negotiate(false)), '--hello-string[3390]', b64(rdpConnectionRequest('tidescan')),
    '--rate', '1000', '--wait', '6', '-oD', out,
  ], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 0, describeRun(r));
  const got = await readBanners(out);
  const want = new Map<string, (x: Rec) => boolean>();
  const smb = new RegExp(`^SMBv2 dialect=3\\.1\\.1 signing=enabled guid=\\S+ time=\\S+Z boottime=none ver=\\d+\\.\\d+\\.\\d+ domain=${samba.netbiosName} name=${samba.netbiosName}( |$)`);
  for (const p of samba.ports) want.set(`${samba.ip}:${p} smb`, (x) => smb.test(String(x.data.banner)));
  for (const p of xrdp.ports) want.set(`${xrdp.ip}:${p} rdp`, (x) => x.data.banner === 'X.224 CC proto=SSL flags=EXTENDED_CLIENT_DATA NLA-unused');
  for (const p of maria.ports) {
    want.set(`${maria.ip}:${p} unknown`, (x) => String(x.data.banner).startsWith(`mysql protocol=10 version=5.5.5-${maria.version} `) &&
      x.data['service'] === 'mysql');
  }
  want.set(`${dns.ip}:53 dns-ver`, (x) => /^dnsmasq-\d+\.\d+$/.test(String(x.data.banner)) && x.data['service'] === 'dns');
  want.set(`${rpc.ip}:111 unknown`, (x) => x.data.banner === 'rpc reply accepted stat=PROG_MISMATCH low=2 high=4' && x.data['service'] === 'sunrpc');
  // The X server lets only local clients in without authorization (its host access list):
  // the scanner is remote, so the setup reply is Failed with the reason, as on the Internet.
  want.set(`${x11.ip}:6017 unknown`, (x) => x.data.banner === 'x11 failed 11.0 reason=Authorization required, but no authorization protocol specified.');
  const ok: string[] = [];
  const bad: string[] = [];
  for (const [k, check] of want) {
    const x = got.get(k);
    if (x !== undefined && check(x)) ok.push(`${k}: ${String(x.data.banner).slice(0, 140)}`);
    else bad.push(`${k}: ${x === undefined ? '(none)' : JSON.stringify(x.data)}`);
  }
  console.log(`tidescan: ${ok.length}/${want.size} banners\n  ${ok.join('\n  ')}`);
  assert.deepEqual(bad, [], `missing or wrong banners; got: ${[...got.keys()].join(', ')}`);
});
