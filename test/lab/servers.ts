/**
 * Real banner servers from Debian's packages, run in a lab's sink namespace (shared/LAB.md,
 * "Real servers for banners"): nginx (HTTP, TLS 1.2 with RSA, TLS 1.3 with an ECDSA chain,
 * a server that requires SNI) and OpenSSH.
 *
 * Guarantees:
 * - each server runs in the foreground inside `<p>-sink` through `lab.spawn` (so the lab kills
 *   it by PID at destroy, even when a test fails), with a bounded lifetime (`lifetimeMs`);
 * - its configuration, keys and certificates are the test's own, written into a temp dir
 *   (given, or made here and removed at stop); nothing under /etc is read or written;
 * - a start function resolves only once every listener accepts connections, polled from
 *   inside the sink namespace with a deadline; otherwise it stops the server and throws with
 *   the server's own error output;
 * - `stop()` sends SIGTERM to the PID it started, SIGKILL to its process tree after 3 s.
 *
 * Packages: nginx-light, openssh-server, openssl (scripts/setup.sh installs them; Debian does
 * not start their services in this environment, and nothing here uses the system's units).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Lab, LabProcess } from './lab.js';

// ---------------------------------------------------------------------------------------------
// helpers

function run(cmd: string, args: readonly string[], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`servers: '${cmd} ${args.join(' ')}' failed: ${err.message} ${stderr.trim()}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** A temp dir of the caller's, or one of ours that stop() removes. */
function workDir(given: string | undefined, name: string): { dir: string; owned: boolean } {
  if (given !== undefined) {
    const dir = path.join(given, name);
    mkdirSync(dir, { recursive: true });
    return { dir, owned: false };
  }
  return { dir: mkdtempSync(path.join(tmpdir(), `tidescan-${name}-`)), owned: true };
}

/**
 * Wait until every (host, port) accepts a TCP connection, polled from inside the sink
 * namespace by a node child with its own deadline. With `firstLine`, also returns the first
 * line each server sends (SSH's ident line), read within the same connection.
 */
async function waitListening(
  lab: Lab,
  p: LabProcess,
  targets: readonly (readonly [string, number])[],
  firstLine: boolean,
  deadlineMs: number,
): Promise<Record<string, string>> {
  const probe =
    `const net=require('net');const t=JSON.parse(process.argv[1]);const firstLine=process.argv[2]==='1';` +
    `const deadline=Date.now()+Number(process.argv[3]);const res={};` +
    `function once(h,p){return new Promise((ok)=>{let buf='';const s=net.connect({host:h,port:p});` +
    `const end=(r)=>{s.destroy();clearTimeout(tm);ok(r);};const tm=setTimeout(()=>end(null),1500);` +
    `s.on('connect',()=>{if(!firstLine)end('');});s.on('data',(d)=>{buf+=d.toString('latin1');` +
    `const i=buf.indexOf('\\n');if(i>=0)end(buf.slice(0,i).replace(/\\r$/,''));});s.on('error',()=>end(null));});}` +
    `(async()=>{for(const [h,p] of t){for(;;){const r=await once(h,p);if(r!==null){res[h+' '+p]=r;break;}` +
    `if(Date.now()>deadline){console.log(JSON.stringify({ok:false,res,waiting:h+' '+p}));return;}` +
    `await new Promise((w)=>setTimeout(w,100));}}console.log(JSON.stringify({ok:true,res}));})();`;
  const r = await lab.exec('sink', process.execPath, ['-e', probe, JSON.stringify(targets), firstLine ? '1' : '0', String(deadlineMs)], {
    timeoutMs: deadlineMs + 5000,
  });
  let parsed: { ok: boolean; res: Record<string, string>; waiting?: string } | undefined;
  try {
    parsed = JSON.parse(r.stdout) as { ok: boolean; res: Record<string, string>; waiting?: string };
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !parsed.ok) {
    const why = parsed?.waiting !== undefined ? `${parsed.waiting} never accepted` : `probe failed: ${r.stderr.trim()}`;
    throw new Error(`servers: not ready within ${deadlineMs} ms (${why}); server said: ${p.stderr().trim()} ${p.stdout().trim()}`);
  }
  return parsed.res;
}

function stopper(p: LabProcess, dir: string, owned: boolean): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      p.kill('SIGTERM');
      const killer = setTimeout(() => p.kill('SIGKILL'), 3000);
      await p.done;
      clearTimeout(killer);
      // Workers/children that outlived their parent would hold ports: none may remain.
      p.kill('SIGKILL');
      if (owned) rmSync(dir, { recursive: true, force: true });
    })();
    return stopping;
  };
}

// ---------------------------------------------------------------------------------------------
// certificates

export interface CertInfo {
  /** PEM of this one certificate. */
  readonly pem: string;
  readonly der: Buffer;
  /** SHA-256 of the DER, as node prints it (`AA:BB:...`). */
  readonly fingerprint256: string;
  readonly subject: string;
  readonly issuer: string;
  /** 'rsa' | 'ec' (the public key's type). */
  readonly keyType: string;
}

function certInfo(pemText: string): CertInfo {
  const x = new X509Certificate(pemText);
  return {
    pem: x.toString(),
    der: x.raw,
    fingerprint256: x.fingerprint256,
    subject: x.subject,
    issuer: x.issuer,
    keyType: x.publicKey.asymmetricKeyType ?? 'unknown',
  };
}

const DAYS = '30';

async function selfSigned(dir: string, name: string, cn: string, key: 'rsa' | 'ec'): Promise<{ cert: string; key: string }> {
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  const keyArgs = key === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  await run('openssl', [
    'req', '-x509', ...keyArgs, '-nodes', '-keyout', keyFile, '-out', certFile, '-days', DAYS, '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=DNS:${cn}`, '-addext', 'basicConstraints=critical,CA:FALSE',
  ]);
  return { cert: certFile, key: keyFile };
}

/** Root CA -> intermediate CA -> leaf, all P-256. Returns the files. */
async function ecChain(dir: string, cn: string): Promise<{ root: string; inter: string; leaf: string; leafKey: string; chain: string }> {
  const f = (n: string): string => path.join(dir, n);
  const ext = f('chain-ext.cnf');
  writeFileSync(
    ext,
    '[ca]\nbasicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n' +
      'subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n' +
      `[leaf]\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n` +
      `subjectAltName=DNS:${cn}\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid:always\n`,
  );
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', [
    'req', '-x509', ...ec, '-keyout', f('root.key'), '-out', f('root.crt'), '-days', DAYS, '-subj', '/CN=tidescan lab root CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await run('openssl', ['req', '-new', ...ec, '-keyout', f('inter.key'), '-out', f('inter.csr'), '-subj', '/CN=tidescan lab intermediate CA']);
  await run('openssl', [
    'x509', '-req', '-in', f('inter.csr'), '-CA', f('root.crt'), '-CAkey', f('root.key'), '-CAcreateserial',
    '-out', f('inter.crt'), '-days', DAYS, '-extfile', ext, '-extensions', 'ca',
  ]);
  await run('openssl', ['req', '-new', ...ec, '-keyout', f('leaf.key'), '-out', f('leaf.csr'), '-subj', `/CN=${cn}`]);
  await run('openssl', [
    'x509', '-req', '-in', f('leaf.csr'), '-CA', f('inter.crt'), '-CAkey', f('inter.key'), '-CAcreateserial',
    '-out', f('leaf.crt'), '-days', DAYS, '-extfile', ext, '-extensions', 'leaf',
  ]);
  // What the server sends: leaf first, then the intermediate (the root is the client's).
  writeFileSync(f('chain.pem'), readFileSync(f('leaf.crt'), 'utf8') + readFileSync(f('inter.crt'), 'utf8'));
  return { root: f('root.crt'), inter: f('inter.crt'), leaf: f('leaf.crt'), leafKey: f('leaf.key'), chain: f('chain.pem') };
}

// ---------------------------------------------------------------------------------------------
// nginx

export interface NginxOptions {
  /** Parent temp dir of the test's own (a subdir `nginx` is used); default: a new one, removed at stop. */
  readonly dir?: string;
  /** HTTP on :80 and :`httpAltPort` (default 198.18.1.80). */
  readonly httpIp?: string;
  readonly httpAltPort?: number;
  /** TLS 1.2 only, RSA certificate, :443 (default 198.18.1.12). */
  readonly tls12Ip?: string;
  /** TLS 1.3 only, ECDSA leaf + intermediate, :443 and :`tls13AltPort` (default 198.18.1.13). */
  readonly tls13Ip?: string;
  readonly tls13AltPort?: number;
  /** :443, handshake rejected without the right SNI (default 198.18.1.14). */
  readonly sniIp?: string;
  /** Bounded life (default 10 min): the lab kills it then. */
  readonly lifetimeMs?: number;
  /** Page title served over HTTP and TLS. */
  readonly title?: string;
}

export interface NginxServer {
  readonly pid: number;
  /** `nginx/1.22.1`: the exact `Server:` header value. */
  readonly serverHeader: string;
  /** The `<title>` text of every page. */
  readonly title: string;
  /** The page body served on every server. */
  readonly body: string;
  readonly http: { readonly ip: string; readonly ports: readonly [number, number] };
  readonly tls12: {
    readonly ip: string;
    readonly port: 443;
    readonly protocol: 'TLSv1.2';
    readonly serverName: string;
    readonly cert: CertInfo;
  };
  readonly tls13: {
    readonly ip: string;
    readonly ports: readonly [443, number];
    readonly protocol: 'TLSv1.3';
    readonly serverName: string;
    /** What the server sends: [leaf (ECDSA, issued by the intermediate), intermediate]. */
    readonly chain: readonly [CertInfo, CertInfo];
    /** The root CA (not sent), to verify the chain. */
    readonly root: CertInfo;
  };
  readonly sni: {
    readonly ip: string;
    readonly port: 443;
    /** The only server name it accepts; without SNI (or another name) the handshake is rejected. */
    readonly serverName: string;
    readonly cert: CertInfo;
  };
  /** Directory with the config, keys and certificates (nginx.conf, *.crt, *.key). */
  readonly dir: string;
  stop(): Promise<void>;
}

export async function startNginx(lab: Lab, o: NginxOptions = {}): Promise<NginxServer> {
  const { dir, owned } = workDir(o.dir, 'nginx');
  const httpIp = o.httpIp ?? '198.18.1.80';
  const httpAlt = o.httpAltPort ?? 8888;
  const tls12Ip = o.tls12Ip ?? '198.18.1.12';
  const tls13Ip = o.tls13Ip ?? '198.18.1.13';
  const tls13Alt = o.tls13AltPort ?? 4433;
  const sniIp = o.sniIp ?? '198.18.1.14';
  const title = o.title ?? 'tidescan banner lab';
  // It goes inside a quoted nginx string and the HTML: plain text only.
  if (!/^[A-Za-z0-9 .,_-]{1,100}$/.test(title)) throw new Error(`servers: title must be plain text: ${JSON.stringify(title)}`);
  const names = { tls12: 'tls12.tidescan.test', tls13: 'tls13.tidescan.test', sni: 'sni.tidescan.test' };
  const lifetimeMs = o.lifetimeMs ?? 10 * 60_000;

  const [rsa, chain, sni, version] = await Promise.all([
    selfSigned(dir, 'rsa', names.tls12, 'rsa'),
    ecChain(dir, names.tls13),
    selfSigned(dir, 'sni', names.sni, 'ec'),
    run('nginx', ['-v']),
  ]);
  const vm = /nginx\/(\S+)/.exec(version);
  if (!vm) throw new Error(`servers: cannot read nginx's version from '${version.trim()}'`);
  const body = `<!DOCTYPE html>\n<html><head><title>${title}</title></head><body><h1>${title}</h1></body></html>\n`;
  const page = `location / { return 200 '${body.replace(/\n/g, '\\n')}'; }`;
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(path.join(dir, 'tmp', t), { recursive: true });
  const conf =
    `daemon off;\nmaster_process on;\nworker_processes 1;\nuser root;\n` +
    `pid ${dir}/nginx.pid;\nerror_log ${dir}/error.log warn;\n` +
    `events { worker_connections 4096; }\n` +
    `http {\n` +
    ` access_log off;\n default_type text/html;\n server_tokens on;\n` +
    ` client_body_temp_path ${dir}/tmp/body;\n proxy_temp_path ${dir}/tmp/proxy;\n fastcgi_temp_path ${dir}/tmp/fastcgi;\n` +
    ` uwsgi_temp_path ${dir}/tmp/uwsgi;\n scgi_temp_path ${dir}/tmp/scgi;\n` +
    ` server { listen ${httpIp}:80; listen ${httpIp}:${httpAlt}; server_name _; ${page} }\n` +
    ` server { listen ${tls12Ip}:443 ssl; server_name ${names.tls12}; ssl_protocols TLSv1.2;\n` +
    `   ssl_certificate ${rsa.cert}; ssl_certificate_key ${rsa.key}; ${page} }\n` +
    ` server { listen ${tls13Ip}:443 ssl; listen ${tls13Ip}:${tls13Alt} ssl; server_name ${names.tls13}; ssl_protocols TLSv1.3;\n` +
    `   ssl_certificate ${chain.chain}; ssl_certificate_key ${chain.leafKey}; ${page} }\n` +
    // Without SNI (or with another name) the default server refuses the handshake.
    ` server { listen ${sniIp}:443 ssl default_server; server_name _; ssl_reject_handshake on; }\n` +
    ` server { listen ${sniIp}:443 ssl; server_name ${names.sni}; ssl_protocols TLSv1.2 TLSv1.3;\n` +
    `   ssl_certificate ${sni.cert}; ssl_certificate_key ${sni.key}; ${page} }\n` +
    `}\n`;
  const confFile = path.join(dir, 'nginx.conf');
  writeFileSync(confFile, conf);
  // nginx -t binds its listeners: only inside the sink, where the addresses are local.
  const t = await lab.exec('sink', '/usr/sbin/nginx', ['-t', '-q', '-c', confFile, '-e', path.join(dir, 'error.log')], { timeoutMs: 15_000 });
  if (t.code !== 0) {
    if (owned) rmSync(dir, { recursive: true, force: true });
    throw new Error(`servers: nginx -t: ${t.stderr.trim()}`);
  }

  const p = lab.spawn('sink', '/usr/sbin/nginx', ['-c', confFile, '-e', path.join(dir, 'error.log')], { timeoutMs: lifetimeMs });
  const stop = stopper(p, dir, owned);
  try {
    await waitListening(lab, p, [[httpIp, 80], [httpIp, httpAlt], [tls12Ip, 443], [tls13Ip, 443], [tls13Ip, tls13Alt], [sniIp, 443]], false, 10_000);
  } catch (e) {
    let log = '';
    try {
      log = readFileSync(path.join(dir, 'error.log'), 'utf8').trim();
    } catch {
      /* none */
    }
    await stop();
    throw new Error(`${(e as Error).message} ${log}`);
  }
  return {
    pid: p.pid,
    serverHeader: `nginx/${vm[1]!}`,
    title,
    body,
    http: { ip: httpIp, ports: [80, httpAlt] },
    tls12: { ip: tls12Ip, port: 443, protocol: 'TLSv1.2', serverName: names.tls12, cert: certInfo(readFileSync(rsa.cert, 'utf8')) },
    tls13: {
      ip: tls13Ip,
      ports: [443, tls13Alt],
      protocol: 'TLSv1.3',
      serverName: names.tls13,
      chain: [certInfo(readFileSync(chain.leaf, 'utf8')), certInfo(readFileSync(chain.inter, 'utf8'))],
      root: certInfo(readFileSync(chain.root, 'utf8')),
    },
    sni: { ip: sniIp, port: 443, serverName: names.sni, cert: certInfo(readFileSync(sni.cert, 'utf8')) },
    dir,
    stop,
  };
}

// ---------------------------------------------------------------------------------------------
// OpenSSH

export interface SshdOptions {
  /** Parent temp dir of the test's own (a subdir `sshd` is used); default: a new one, removed at stop. */
  readonly dir?: string;
  /** Listen address (default 198.18.1.22), on :22 and :`altPort` (default 2222). */
  readonly ip?: string;
  readonly altPort?: number;
  readonly lifetimeMs?: number;
}

export interface SshdServer {
  readonly pid: number;
  readonly ip: string;
  readonly ports: readonly [22, number];
  /**
   * The identification line the server sends (RFC 4253 §4.2, without CR LF), e.g.
   * `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10`, as read on :22 by the readiness probe.
   */
  readonly ident: string;
  /** The same line as predicted from the installed package's version (Debian's format). */
  readonly expectedIdent: string;
  /** Host keys: type, public key line (`ssh-ed25519 AAAA...`), and `SHA256:...` fingerprint. */
  readonly hostKeys: readonly { readonly type: string; readonly publicKey: string; readonly fingerprint: string }[];
  readonly dir: string;
  stop(): Promise<void>;
}

/** `1:9.2p1-2+deb12u10` -> `SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10` (Debian's DebianBanner). */
export function debianSshIdent(packageVersion: string): string {
  const v = packageVersion.trim().replace(/^\d+:/, '');
  const i = v.lastIndexOf('-');
  return i < 0 ? `SSH-2.0-OpenSSH_${v}` : `SSH-2.0-OpenSSH_${v.slice(0, i)} Debian-${v.slice(i + 1)}`;
}

export async function startSshd(lab: Lab, o: SshdOptions = {}): Promise<SshdServer> {
  const { dir, owned } = workDir(o.dir, 'sshd');
  const ip = o.ip ?? '198.18.1.22';
  const alt = o.altPort ?? 2222;
  const lifetimeMs = o.lifetimeMs ?? 10 * 60_000;
  // sshd's privilege-separation directory (Debian's unit makes it; we do not use the unit).
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKeys: { type: string; publicKey: string; fingerprint: string }[] = [];
  const keyFiles: string[] = [];
  for (const type of ['ed25519', 'ecdsa']) {
    const f = path.join(dir, `ssh_host_${type}_key`);
    rmSync(f, { force: true });
    rmSync(`${f}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', type, '-N', '', '-C', 'tidescan-lab', '-f', f]);
    const fp = (await run('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${f}.pub`])).split(/\s+/)[1] ?? '';
    hostKeys.push({ type, publicKey: readFileSync(`${f}.pub`, 'utf8').trim(), fingerprint: fp });
    keyFiles.push(f);
  }
  const pkg = await run('dpkg-query', ['-W', '-f=${Version}', 'openssh-server']);
  const cfg =
    `ListenAddress ${ip}:22\nListenAddress ${ip}:${alt}\n` +
    keyFiles.map((f) => `HostKey ${f}\n`).join('') +
    `PidFile ${dir}/sshd.pid\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n` +
    `PubkeyAuthentication no\nPermitRootLogin no\nAuthorizedKeysFile none\nStrictModes no\n` +
    `MaxStartups 1000:30:2000\nLoginGraceTime 30\nLogLevel ERROR\n`;
  const cfgFile = path.join(dir, 'sshd_config');
  writeFileSync(cfgFile, cfg);
  await run('/usr/sbin/sshd', ['-t', '-f', cfgFile]);

  const p = lab.spawn('sink', '/usr/sbin/sshd', ['-D', '-e', '-f', cfgFile], { timeoutMs: lifetimeMs });
  const stop = stopper(p, dir, owned);
  let idents: Record<string, string>;
  try {
    idents = await waitListening(lab, p, [[ip, 22], [ip, alt]], true, 10_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    pid: p.pid,
    ip,
    ports: [22, alt],
    ident: idents[`${ip} 22`] ?? '',
    expectedIdent: debianSshIdent(pkg),
    hostKeys,
    dir,
    stop,
  };
}
