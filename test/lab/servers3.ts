/**
 * Real Banners II servers from Debian's packages in a lab's sink namespace (shared/LAB.md,
 * "Real servers for banners"): Samba's smbd (SMB on 445, 139 and an unusual port), xrdp (RDP,
 * one process per port: xrdp listens on one) and MariaDB (3306 and an extra port).
 *
 * As test/lab/servers.ts: each runs in the foreground through `lab.spawn` (killed by PID at
 * destroy, bounded life), with the test's own configuration in a temp dir (nothing under /etc
 * is written), and a start function resolves only once every listener accepts connections
 * (polled from inside the sink), else stops the server and throws with its output.
 * Also dnsmasq (DNS over TCP), rpcbind (Sun RPC) and an X server (Xtigervnc) for the hello table.
 * Packages: samba, xrdp, mariadb-server, dnsmasq-base, rpcbind, tigervnc-standalone-server
 * (scripts/setup.sh, BANNERS3_PKGS).
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Lab, LabProcess } from './lab.js';

export interface Server3 {
  readonly ip: string;
  readonly ports: readonly number[];
  stop(): Promise<void>;
}

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`servers3: '${cmd} ${args.join(' ')}' failed: ${err.message} ${stderr.trim()}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/**
 * Wait until every port of `ip` accepts a connection, from inside the sink, within `deadlineMs`
 * (one node child polls them all); otherwise SIGKILL `procs` and throw with what they said.
 */
export async function waitPorts(lab: Lab, procs: readonly LabProcess[], ip: string, ports: readonly number[], deadlineMs = 30_000): Promise<void> {
  const probe =
    `const net=require('net');const [ip,ports,ms]=[process.argv[1],JSON.parse(process.argv[2]),Number(process.argv[3])];` +
    `const end=Date.now()+ms;const one=(p)=>new Promise((ok)=>{const s=net.connect({host:ip,port:p});const t=setTimeout(()=>{s.destroy();ok(false)},1000);` +
    `s.on('connect',()=>{clearTimeout(t);s.destroy();ok(true)});s.on('error',()=>{clearTimeout(t);ok(false)});});` +
    `(async()=>{for(const p of ports){while(!(await one(p))){if(Date.now()>end){console.log('no '+p);return;}await new Promise((w)=>setTimeout(w,200));}}console.log('ok');})();`;
  const r = await lab.exec('sink', process.execPath, ['-e', probe, ip, JSON.stringify(ports), String(deadlineMs)], { timeoutMs: deadlineMs + 5000 });
  if (r.stdout.trim() !== 'ok') {
    for (const p of procs) p.kill('SIGKILL');
    throw new Error(`servers3: ${ip} ${r.stdout.trim()} ${r.stderr.trim()}; server said: ${procs.map((p) => p.stderr() + p.stdout()).join(' ').slice(-2000)}`);
  }
}

/** Write `text` to dir/sub/name (creating dir/sub), for a server's configuration; returns the file. */
export function writeConf(dir: string, sub: string, name: string, text: string): string {
  const d = path.join(dir, sub);
  mkdirSync(d, { recursive: true });
  const f = path.join(d, name);
  writeFileSync(f, text);
  return f;
}

/**
 * Wait until the sink has a UDP socket bound to ip:port (ss, from inside the sink), within 20 s;
 * with `anyAddr` a socket on 0.0.0.0:port counts too (nmbd binds both). Throws with `p`'s output.
 */
export async function waitUdp(lab: Lab, ip: string, port: number, p: LabProcess, anyAddr = false): Promise<void> {
  const end = Date.now() + 20_000;
  for (;;) {
    const r = await lab.exec('sink', 'ss', ['-Hlun', anyAddr ? `sport = :${port}` : `src ${ip}:${port}`]);
    if (r.stdout.includes(`${ip}:${port}`) || (anyAddr && r.stdout.includes(`0.0.0.0:${port}`))) return;
    if (Date.now() > end) throw new Error(`no UDP ${ip}:${port}; server said: ${(p.stderr() + p.stdout()).slice(-2000)}`);
    await new Promise((w) => setTimeout(w, 200));
  }
}

function stopAll(procs: readonly LabProcess[]): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      for (const p of procs) p.kill('SIGTERM');
      const killer = setTimeout(() => { for (const p of procs) p.kill('SIGKILL'); }, 3000);
      await Promise.all(procs.map((p) => p.done));
      clearTimeout(killer);
    })();
    return stopping;
  };
}

export interface SambaServer extends Server3 {
  /** The NetBIOS name (smb.conf `netbios name`). */
  readonly netbiosName: string;
}

/**
 * smbd on `ip`, `ports` (default 445, 139, 4455).
 */
export async function startSamba(lab: Lab, o: { dir: string; ip?: string; ports?: readonly number[]; lifetimeMs?: number }): Promise<SambaServer> {
  const ip = o.ip ?? '198.18.3.45';
  const ports = o.ports ?? [445, 139, 4455];
  const d = path.join(o.dir, 'samba');
  for (const s of ['priv', 'lock', 'state', 'cache', 'pid', 'log', 'ncalrpc']) mkdirSync(path.join(d, s), { recursive: true });
  const netbiosName = 'SINKHOST';
  const conf = path.join(d, 'smb.conf');
  writeFileSync(conf, [
    '[global]',
    '  workgroup = TIDELAB', `  netbios name = ${netbiosName}`, '  server string = tidescan lab',
    `  smb ports = ${ports.join(' ')}`, '  server role = standalone server',
    `  interfaces = ${ip}/32`, '  bind interfaces only = yes',
    `  private dir = ${d}/priv`, `  lock directory = ${d}/lock`, `  state directory = ${d}/state`,
    `  cache directory = ${d}/cache`, `  pid directory = ${d}/pid`, `  ncalrpc dir = ${d}/ncalrpc`,
    `  log file = ${d}/log/log.%m`, '  load printers = no', '  printcap name = /dev/null', '  disable spoolss = yes', '',
  ].join('\n'));
  // smbd listens on `ip` only (bind interfaces only): the address is given to the sink's lo,
  // as Samba takes its listen addresses from the interfaces (the namespace is the test's own).
  await lab.exec('sink', 'ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  // NOTE: two hazards seen here with smbd 4.17 in the foreground: with the lab's pipe as its
  // stdin it exited after the first client, and when it exits it signals its process group
  // (under --no-process-group that was ours: the test runner got SIGTERM). So stdin is
  // /dev/null and setsid gives it a session of its own; sh and setsid exec, so the PID we
  // kill is smbd's.
  const smbd = ['/usr/sbin/smbd', '--foreground', '--no-process-group', '--debug-stdout', `--configfile=${conf}`];
  const p = lab.spawn('sink', 'sh', ['-c', 'exec setsid "$@" </dev/null', 'sh', ...smbd], { timeoutMs: o.lifetimeMs ?? 600_000 });
  await waitPorts(lab, [p], ip, ports);
  return { ip, ports, netbiosName, stop: stopAll([p]) };
}

/** One xrdp per port (xrdp listens on one address and port), TLS with a certificate of the test's own. */
export async function startXrdp(lab: Lab, o: { dir: string; ip?: string; ports?: readonly number[]; lifetimeMs?: number }): Promise<Server3> {
  const ip = o.ip ?? '198.18.3.89';
  const ports = o.ports ?? [3389, 3390];
  const d = path.join(o.dir, 'xrdp');
  mkdirSync(d, { recursive: true });
  await run('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(d, 'key.pem'), '-out', path.join(d, 'cert.pem'),
    '-days', '2', '-subj', '/CN=sink-rdp']);
  const procs: LabProcess[] = [];
  for (const port of ports) {
    const ini = path.join(d, `xrdp-${port}.ini`);
    writeFileSync(ini, [
      '[Globals]', 'ini_version=1', 'fork=true', `port=tcp://${ip}:${port}`, 'security_layer=negotiate', 'crypt_level=high',
      `certificate=${d}/cert.pem`, `key_file=${d}/key.pem`, 'ssl_protocols=TLSv1.2, TLSv1.3',
      '[Logging]', `LogFile=${d}/xrdp-${port}.log`, 'LogLevel=INFO', 'EnableSyslog=false',
      '[Xorg]', 'name=Xorg', 'lib=libxup.so', 'username=ask', 'password=ask', 'ip=127.0.0.1', 'port=-1', 'code=20', '',
    ].join('\n'));
    procs.push(lab.spawn('sink', '/usr/sbin/xrdp', ['-n', '-c', ini], { timeoutMs: o.lifetimeMs ?? 600_000 }));
  }
  await waitPorts(lab, procs, ip, ports);
  const stop = stopAll(procs);
  return {
    ip, ports,
    stop: async () => {
      killByConfigDir(d);
      await stop();
      killByConfigDir(d);
    },
  };
}

/**
 * xrdp (fork=true) forks a child per connection with its parent's command line; one a scan
 * left half-open outlives the listener and holds the lab's pipe open (the test never exits).
 * Those of this run are found by their config path (in the run's own temp dir `d`) and
 * killed by PID.
 */
function killByConfigDir(d: string): void {
  const mark = `${d}/`;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'latin1').includes(mark)) process.kill(Number(e), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

export interface MariadbServer extends Server3 {
  /** `mariadbd --version`'s version, e.g. 10.11.19-MariaDB-0+deb12u1. */
  readonly version: string;
}

/** mariadbd on `ip`:3306 and an extra port (MariaDB's `extra_port`), a fresh datadir of the test's own. */
export async function startMariadb(lab: Lab, o: { dir: string; ip?: string; port?: number; extraPort?: number; lifetimeMs?: number }): Promise<MariadbServer> {
  const ip = o.ip ?? '198.18.3.6';
  const port = o.port ?? 3306;
  const extra = o.extraPort ?? 13306;
  const d = path.join(o.dir, 'mariadb');
  mkdirSync(d, { recursive: true });
  await run('mariadb-install-db', ['--user=root', `--datadir=${d}/data`, '--auth-root-authentication-method=normal', '--skip-test-db'], 120_000);
  const v = /Ver (\S+)/.exec(await run('/usr/sbin/mariadbd', ['--version']))?.[1] ?? '';
  const p = lab.spawn('sink', '/usr/sbin/mariadbd', [
    '--no-defaults', '--user=root', `--datadir=${d}/data`, `--bind-address=${ip}`, `--port=${port}`, `--extra-port=${extra}`,
    `--socket=${d}/sock`, `--pid-file=${d}/pid`, '--skip-log-bin',
    // root@localhost is the only account: any other host would get ERR 1130 instead of the handshake
    '--skip-grant-tables',
  ], { timeoutMs: o.lifetimeMs ?? 600_000 });
  await waitPorts(lab, [p], ip, [port, extra], 60_000);
  return { ip, ports: [port, extra], version: v, stop: stopAll([p]) };
}

/** dnsmasq answering DNS (and version.bind) on `ip`:53, TCP and UDP. */
export async function startDnsmasq(lab: Lab, o: { dir: string; ip?: string; lifetimeMs?: number }): Promise<Server3> {
  const ip = o.ip ?? '198.18.3.53';
  const d = path.join(o.dir, 'dnsmasq');
  mkdirSync(d, { recursive: true });
  const p = lab.spawn('sink', '/usr/sbin/dnsmasq', ['-k', '--conf-file=/dev/null', `--listen-address=${ip}`, '--bind-interfaces',
    '--no-resolv', '--no-hosts', '--user=root', `--pid-file=${d}/pid`], { timeoutMs: o.lifetimeMs ?? 600_000 });
  await waitPorts(lab, [p], ip, [53]);
  return { ip, ports: [53], stop: stopAll([p]) };
}

/** rpcbind (the Sun RPC portmapper) on 111, every address of the sink. */
export async function startRpcbind(lab: Lab, o: { ip?: string; lifetimeMs?: number }): Promise<Server3> {
  const ip = o.ip ?? '198.18.3.111';
  const p = lab.spawn('sink', '/usr/sbin/rpcbind', ['-f'], { timeoutMs: o.lifetimeMs ?? 600_000 });
  await waitPorts(lab, [p], ip, [111]);
  return { ip, ports: [111], stop: stopAll([p]) };
}

/**
 * An X server (Xtigervnc) on display :17, X11 over TCP on 6017 (its VNC port moved away, to
 * 45917). Its lock and socket live under /tmp/.X17-lock and /tmp/.X11-unix as every X server's.
 */
export async function startX11(lab: Lab, o: { ip?: string; lifetimeMs?: number }): Promise<Server3> {
  const ip = o.ip ?? '198.18.3.60';
  const p = lab.spawn('sink', '/usr/bin/Xtigervnc', [':17', '-listen', 'tcp', '-rfbport', '45917', '-SecurityTypes', 'None'],
    { timeoutMs: o.lifetimeMs ?? 600_000 });
  await waitPorts(lab, [p], ip, [6017]);
  return { ip, ports: [6017], stop: stopAll([p]) };
}
