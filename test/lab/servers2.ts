/**
 * Real servers of the conversation protocols (issue: Banners II), from Debian's packages, run
 * in a lab's sink namespace (shared/LAB.md, "Real servers for banners"): vsftpd (FTP with AUTH
 * TLS), OpenSMTPD (SMTP with STARTTLS), Dovecot (IMAP4 and POP3 with STARTTLS/STLS), TigerVNC
 * (RFB, security type None), inetutils telnetd under socat, memcached and redis-server.
 *
 * Each service listens on its usual port and on one that is not (`alt`): a server that is one
 * process per port (vsftpd, Xtigervnc, socat, memcached, redis-server) runs twice.
 *
 * Guarantees (as servers.ts): every process runs in the foreground inside `<p>-sink` through
 * `lab.spawn` (killed by PID at destroy, even when a test fails), with a bounded lifetime; its
 * configuration, keys and certificate are the test's own, in a temp dir; `start` resolves
 * only once every listener accepts connections (polled from inside the sink with a deadline);
 * `stop()` sends SIGTERM to each PID it started (and to the connection children of socat,
 * by PID), SIGKILL after 3 s.
 *
 * Packages: vsftpd, opensmtpd, dovecot-imapd, dovecot-pop3d, tigervnc-standalone-server,
 * inetutils-telnetd, socat, memcached, redis-server, openssl (scripts/setup.sh).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Lab, LabProcess } from './lab.js';

function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`servers2: '${cmd} ${args.join(' ')}' failed: ${err.message} ${stderr.trim()}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** One service: where it listens, and what the test expects of it. */
export interface Service {
  /** The service's name in the results table (`ftp`, `smtp`, ...). */
  readonly name: string;
  readonly ip: string;
  /** Its usual port, then one that is not. */
  readonly ports: readonly [number, number];
  /** Debian's package version of the server. */
  readonly version: string;
}

export interface Servers2 {
  readonly ftp: Service;
  readonly smtp: Service;
  readonly imap: Service;
  readonly pop: Service;
  readonly vnc: Service & { readonly desktop: string; readonly width: number; readonly height: number };
  readonly telnet: Service;
  readonly memcached: Service;
  readonly redis: Service;
  /** The certificate every TLS-capable server presents (DER). */
  readonly cert: { readonly der: Buffer; readonly cn: string };
  readonly all: readonly Service[];
  stop(): Promise<void>;
}

export interface Servers2Options {
  /** Parent temp dir of the test's own (a subdir `servers2` is used). */
  readonly dir: string;
  /** Bounded life of each server (default 10 min). */
  readonly lifetimeMs?: number;
}

const CN = 'lab.tidescan.test';

/** Wait until every (host, port) accepts a TCP connection, polled from inside the sink. */
async function waitListening(lab: Lab, targets: readonly (readonly [string, number])[], deadlineMs: number, why: () => string): Promise<void> {
  const probe =
    `const net=require('net');const t=JSON.parse(process.argv[1]);const deadline=Date.now()+Number(process.argv[2]);` +
    `function once(h,p){return new Promise((ok)=>{const s=net.connect({host:h,port:p});` +
    `const end=(r)=>{s.destroy();clearTimeout(tm);ok(r);};const tm=setTimeout(()=>end(false),1000);` +
    `s.on('connect',()=>end(true));s.on('error',()=>end(false));});}` +
    `(async()=>{for(const [h,p] of t){while(!(await once(h,p))){if(Date.now()>deadline){console.log('waiting '+h+' '+p);return;}` +
    `await new Promise((w)=>setTimeout(w,100));}}console.log('ok');})();`;
  const r = await lab.exec('sink', process.execPath, ['-e', probe, JSON.stringify(targets), String(deadlineMs)], { timeoutMs: deadlineMs + 5000 });
  if (r.stdout.trim() !== 'ok') throw new Error(`servers2: not ready within ${deadlineMs} ms (${r.stdout.trim()} ${r.stderr.trim()}); ${why()}`);
}

/** PIDs of the children of `pid` (socat's connection processes), from /proc. */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(d));
    } catch {
      /* gone */
    }
  }
  return out;
}

async function pkgVersion(name: string): Promise<string> {
  return (await run('dpkg-query', ['-W', '-f=${Version}', name])).trim();
}

export async function startServers2(lab: Lab, o: Servers2Options): Promise<Servers2> {
  const dir = path.join(o.dir, 'servers2');
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755); // dovecot's and vsftpd's unprivileged processes read their files
  const lifetimeMs = o.lifetimeMs ?? 10 * 60_000;
  const procs: LabProcess[] = [];
  const spawn = (cmd: string, args: readonly string[]): LabProcess => {
    const p = lab.spawn('sink', cmd, args, { timeoutMs: lifetimeMs });
    procs.push(p);
    return p;
  };
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const p of procs) {
        for (const c of childrenOf(p.pid)) {
          try {
            process.kill(c, 'SIGTERM');
          } catch {
            /* gone */
          }
        }
        p.kill('SIGTERM');
      }
      const killer = setTimeout(() => { for (const p of procs) p.kill('SIGKILL'); }, 3000);
      await Promise.all(procs.map((p) => p.done));
      clearTimeout(killer);
    })();
    return stopping;
  };

  const key = path.join(dir, 'lab.key');
  const crt = path.join(dir, 'lab.crt');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', crt, '-days', '30', '-subj', `/CN=${CN}`,
    '-addext', `subjectAltName=DNS:${CN}`,
  ]);
  chmodSync(key, 0o600);
  const der = new X509Certificate(readFileSync(crt)).raw;

  const [vFtp, vSmtp, vDovecot, vVnc, vTelnet, vMem, vRedis] = await Promise.all(
    ['vsftpd', 'opensmtpd', 'dovecot-core', 'tigervnc-standalone-server', 'inetutils-telnetd', 'memcached', 'redis-server'].map(pkgVersion),
  );
  const ftp: Service = { name: 'ftp', ip: '198.18.2.21', ports: [21, 2121], version: vFtp };
  const smtp: Service = { name: 'smtp', ip: '198.18.2.25', ports: [25, 2525], version: vSmtp };
  const imap: Service = { name: 'imap', ip: '198.18.2.43', ports: [143, 1143], version: vDovecot };
  const pop: Service = { name: 'pop', ip: '198.18.2.43', ports: [110, 1110], version: vDovecot };
  const vnc = { name: 'vnc', ip: '198.18.2.59', ports: [5900, 5999] as const, version: vVnc, desktop: 'tidescan-lab', width: 800, height: 600 };
  const telnet: Service = { name: 'telnet', ip: '198.18.2.23', ports: [23, 2323], version: vTelnet };
  const memcached: Service = { name: 'memcached', ip: '198.18.2.11', ports: [11211, 11311], version: vMem };
  const redis: Service = { name: 'redis', ip: '198.18.2.63', ports: [6379, 6380], version: vRedis };

  try {
    // vsftpd: one listener per process
    mkdirSync('/var/run/vsftpd/empty', { recursive: true });
    mkdirSync(path.join(dir, 'ftproot'), { recursive: true });
    for (const port of ftp.ports) {
      const conf = path.join(dir, `vsftpd-${port}.conf`);
      writeFileSync(conf,
        `listen=YES\nlisten_address=${ftp.ip}\nlisten_port=${port}\nbackground=NO\nanonymous_enable=YES\n` +
        `anon_root=${dir}/ftproot\nsecure_chroot_dir=/var/run/vsftpd/empty\nssl_enable=YES\nallow_anon_ssl=YES\n` +
        `rsa_cert_file=${crt}\nrsa_private_key_file=${key}\nseccomp_sandbox=NO\nmax_per_ip=0\n`);
      spawn('/usr/sbin/vsftpd', [conf]);
    }
    // OpenSMTPD: both ports in one config
    const smtpConf = path.join(dir, 'smtpd.conf');
    writeFileSync(smtpConf,
      `pki ${CN} cert "${crt}"\npki ${CN} key "${key}"\n` +
      smtp.ports.map((p) => `listen on ${smtp.ip} port ${p} tls pki ${CN} hostname ${CN}\n`).join('') +
      `action "local" mbox\nmatch from any for local action "local"\n`);
    spawn('/usr/sbin/smtpd', ['-d', '-f', smtpConf]);
    // Dovecot: IMAP and POP3, each on two ports
    const dov = path.join(dir, 'dovecot');
    mkdirSync(dov, { recursive: true });
    const dovConf = path.join(dir, 'dovecot.conf');
    writeFileSync(dovConf,
      `base_dir = ${dov}\nstate_dir = ${dov}\nlog_path = /dev/stderr\nprotocols = imap pop3\nlisten = ${imap.ip}\n` +
      `ssl = yes\nssl_cert = <${crt}\nssl_key = <${key}\nauth_mechanisms = plain\n` +
      `passdb {\n  driver = static\n  args = password=unused\n}\nuserdb {\n  driver = static\n  args = uid=nobody gid=nogroup home=/nonexistent\n}\n` +
      `service imap-login {\n  inet_listener imap {\n    port = ${imap.ports[0]}\n  }\n  inet_listener imap_alt {\n    port = ${imap.ports[1]}\n  }\n` +
      `  inet_listener imaps {\n    port = 0\n  }\n}\n` +
      `service pop3-login {\n  inet_listener pop3 {\n    port = ${pop.ports[0]}\n  }\n  inet_listener pop3_alt {\n    port = ${pop.ports[1]}\n  }\n` +
      `  inet_listener pop3s {\n    port = 0\n  }\n}\n`);
    spawn('/usr/sbin/dovecot', ['-F', '-c', dovConf]);
    // TigerVNC: one X server per port; display numbers of this run's own (their lock files
    // and unix sockets are in /tmp, shared by every namespace)
    const display = 300 + (process.pid % 600) * 2;
    vnc.ports.forEach((port, k) => {
      spawn('/usr/bin/Xtigervnc', [`:${display + k}`, '-rfbport', String(port), '-interface', vnc.ip, '-SecurityTypes', 'None',
        '-desktop', vnc.desktop, '-geometry', `${vnc.width}x${vnc.height}`, '-depth', '24', '-nolisten', 'tcp', '-AlwaysShared']);
    });
    // telnetd runs only under inetd: socat accepts and runs it per connection
    for (const port of telnet.ports) {
      spawn('/usr/bin/socat', [`TCP-LISTEN:${port},bind=${telnet.ip},reuseaddr,fork`, 'EXEC:/usr/sbin/telnetd -h -E /bin/login']);
    }
    for (const port of memcached.ports) spawn('/usr/bin/memcached', ['-u', 'nobody', '-l', memcached.ip, '-p', String(port), '-U', '0']);
    for (const port of redis.ports) {
      const d = path.join(dir, `redis-${port}`);
      mkdirSync(d, { recursive: true });
      spawn('/usr/bin/redis-server', ['--bind', redis.ip, '--port', String(port), '--protected-mode', 'no', '--daemonize', 'no',
        '--save', '', '--appendonly', 'no', '--dir', d]);
    }
    const all: Service[] = [ftp, smtp, imap, pop, vnc, telnet, memcached, redis];
    await waitListening(lab, all.flatMap((s) => s.ports.map((p) => [s.ip, p] as const)), 20_000,
      () => procs.map((p) => `${p.pid}: ${p.stderr().trim().slice(-300)} ${p.stdout().trim().slice(-300)}`).join(' | '));
    return { ftp, smtp, imap, pop, vnc, telnet, memcached, redis, cert: { der, cn: CN }, all, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A temp dir for a test run of these servers (removed by the caller). */
export function servers2Dir(): string {
  return mkdtempSync(path.join(tmpdir(), 'tidescan-banners2-'));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}
