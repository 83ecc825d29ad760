/**
 * The README's demo: a real scan of the project's own lab, with banners.
 *
 * Builds the namespace lab (LAB.md: the scanner's namespace has no default route; the sink
 * owns 198.18.0.0/15 and 2001:db8::/32), starts the ground truth in the sink (plain TCP
 * listeners over IPv4 and IPv6, one filtered port, real nginx (HTTP, TLS 1.2, TLS 1.3) and
 * OpenSSH), scans it with `tidescan --banners` from the scanner namespace as a new user would
 * (no firewall set-up), prints the -oL file, compares the open ports with the ground truth
 * and shows the banners, then tears everything down (by PID and namespace name, also on
 * failure or Ctrl-C). Exit 0 only when every listener was found, nothing else was, and every
 * real server gave its banner.
 *
 * Run as root: `node dist/test/lab/demo.js` (scripts/demo.sh does; RATE=… sets --rate).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { linkArgs, parseList, runTidescan } from './harness.js';
import { startNginx, startSshd, type NginxServer, type SshdServer } from './servers.js';

const LISTENERS: readonly (readonly [string, number])[] = [
  ['198.18.0.10', 80], ['198.18.0.10', 443], ['198.18.1.7', 22], ['198.18.2.200', 8080],
  ['2001:db8::10', 80], ['2001:db8::ab', 22], ['2001:db8::ff', 8080],
];
const PORTS = [22, 80, 443, 2222, 4433, 8080, 8888];

function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

async function main(): Promise<number> {
  requireRoot();
  const rate = process.env.RATE ?? '100000';
  const dir = mkdtempSync(path.join(tmpdir(), 'tidescan-demo-'));
  let lab: Lab | undefined;
  let nginx: NginxServer | undefined;
  let sshd: SshdServer | undefined;
  const stop = async (): Promise<void> => {
    await nginx?.stop().catch(() => undefined);
    await sshd?.stop().catch(() => undefined);
    await lab?.destroy().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => { void stop().then(() => process.exit(130)); });
  try {
    lab = await createLab({ prefix: `td${process.pid}`.slice(0, 9), ipv6: true });
    say(`[+] demo: lab ${lab.prefix} (netns ${lab.scanNs} -> veth -> netns ${lab.sinkNs}); the scanner namespace has no default route`);
    await lab.startServices({ tcp: LISTENERS.map(([host, port]) => ({ host, port })), lifetimeMs: 180_000 });
    await lab.filter({ ip: '198.18.0.20', proto: 'tcp', port: 80 });
    [nginx, sshd] = await Promise.all([startNginx(lab, { dir, lifetimeMs: 180_000 }), startSshd(lab, { dir, lifetimeMs: 180_000 })]);
    say(`[+] demo: real servers in the sink: ${nginx.serverHeader} (HTTP ${nginx.http.ip}:80,8888; TLS 1.2 ${nginx.tls12.ip}:443; ` +
      `TLS 1.3 ${nginx.tls13.ip}:443,4433), ${sshd.ident.trim()} (${sshd.ip}:22,2222)`);
    await lab.assertNoDefaultRoute();

    const out = path.join(dir, 'scan.txt');
    const args = [...linkArgs(lab), '198.18.0.0/22', '--range', '2001:db8::/120', `-p${PORTS.join(',')}`, '--banners',
      '--rate', rate, '--wait', '5', '-oL', out];
    say(`[+] demo: ip netns exec ${lab.scanNs} node bin/tidescan.js ${args.join(' ')}`);
    say();
    const r = await runTidescan(lab, args, { cwd: dir, timeoutMs: 120_000 });
    process.stderr.write(r.stderr);
    if (r.code !== 0) {
      say(`[-] demo: the scan failed (exit ${r.code ?? r.signal})`);
      return 1;
    }
    const text = readFileSync(out, 'utf8');
    const list = parseList(text);
    say(`[+] demo: -oL file (${list.records.length} ports, ${list.banners.length} banners):`);
    for (const l of text.split('\n')) if (l !== '') say(`    ${l.length > 160 ? `${l.slice(0, 157)}...` : l}`);
    say();

    const truth = new Set<string>([
      ...LISTENERS.map(([h, p]) => `${h} ${p}`),
      `${nginx.http.ip} 80`, `${nginx.http.ip} ${nginx.http.ports[1]}`, `${nginx.tls12.ip} 443`,
      `${nginx.tls13.ip} 443`, `${nginx.tls13.ip} ${nginx.tls13.ports[1]}`, `${nginx.sni.ip} 443`,
      `${sshd.ip} 22`, `${sshd.ip} ${sshd.ports[1]}`,
    ]);
    const found = new Set(list.records.filter((x) => x.startsWith('open tcp ')).map((x) => {
      const [, , port, ip] = x.split(' ');
      return `${ip} ${port}`;
    }));
    let missing = 0;
    let extra = 0;
    say(`[+] demo: open ports compared with the lab's ground truth (1,280 hosts x ${PORTS.length} ports):`);
    for (const t of truth) {
      const ok = found.has(t);
      if (!ok) missing++;
      say(`    ${ok ? 'found ' : 'MISSED'}  ${t}`);
    }
    for (const f of found) {
      if (truth.has(f)) continue;
      extra++;
      say(`    EXTRA   ${f} (not a listener)`);
    }
    say('    198.18.0.20 port 80 is filtered (dropped) and every other port answers RST: not open.');
    say();

    // Every real server's banner: `ip port service`.
    const banners = new Set(list.banners.map((l) => {
      const p = l.split(' ');
      return `${p[3]} ${p[2]} ${p[5]}`;
    }));
    const wantBanners = [
      `${nginx.http.ip} 80 http`, `${nginx.http.ip} 80 title`, `${nginx.http.ip} ${nginx.http.ports[1]} http`,
      `${nginx.tls12.ip} 443 ssl`, `${nginx.tls12.ip} 443 X509`, `${nginx.tls13.ip} 443 ssl`, `${nginx.tls13.ip} 443 X509CA`,
      `${nginx.tls13.ip} ${nginx.tls13.ports[1]} ssl`, `${sshd.ip} 22 ssh`, `${sshd.ip} ${sshd.ports[1]} ssh`,
    ];
    const noBanner = wantBanners.filter((b) => !banners.has(b));
    say(`[+] demo: banners from the real servers: ${wantBanners.length - noBanner.length}/${wantBanners.length}` +
      (noBanner.length > 0 ? ` (missing: ${noBanner.join(', ')})` : ''));
    if (missing === 0 && extra === 0 && noBanner.length === 0) {
      say(`[+] demo: tidescan found exactly the ${truth.size} open ports, nothing else, and every banner.`);
      return 0;
    }
    say(`[-] demo: ${missing} missed, ${extra} extra, ${noBanner.length} banners missing.`);
    return 1;
  } finally {
    await stop();
  }
}

main().then((rc) => { process.exitCode = rc; }, (e: unknown) => {
  process.stderr.write(`[-] demo: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
