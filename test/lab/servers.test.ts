/**
 * The banner lab's real servers (test/lab/servers.ts) answer from the scanner namespace, as a
 * scanner would see them. Checked with node's own `net`/`tls` run inside <p>-scan:
 * - nginx: HTTP on :80 and :8888 (status, `Server: nginx/x.y`, `<title>`);
 * - TLS 1.2 only with an RSA certificate (and a TLS-1.3-only client is refused);
 * - TLS 1.3 only with an ECDSA leaf + intermediate sent (2 certificates; the chain verifies to
 *   the lab root with the server name), on :443 and :4433 (and a TLS-1.2-only client is refused);
 * - the SNI server refuses a handshake without SNI or with another name, answers with its name;
 * - OpenSSH: the ident line on :22 and :2222.
 * Needs root: fails (never skips) without it. Everything is bounded in time; the servers are
 * stopped by PID and the namespaces deleted by name, also on failure (lab.destroy / exit hooks).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { startNginx, startSshd, debianSshIdent, type NginxServer, type SshdServer } from './servers.js';

let lab: Lab;
let nginx: NginxServer;
let sshd: SshdServer;
let dir: string;

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-servers-test-'));
  lab = await createLab({ prefix: `h6x${process.pid}`.slice(0, 9) + 's', ipv6: false });
  [nginx, sshd] = await Promise.all([startNginx(lab, { dir, lifetimeMs: 120_000 }), startSshd(lab, { dir, lifetimeMs: 120_000 })]);
});

after(async () => {
  await nginx?.stop();
  await sshd?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

interface Check {
  readonly kind: 'http' | 'tls' | 'line';
  readonly host: string;
  readonly port: number;
  readonly servername?: string;
  readonly min?: string;
  readonly max?: string;
  /** PEM of a CA to verify against (then rejectUnauthorized). */
  readonly ca?: string;
}

interface Result {
  readonly ok: boolean;
  readonly error?: string;
  readonly text?: string;
  readonly protocol?: string;
  readonly authorized?: boolean;
  /** The certificates the server sent, in order, as PEM. */
  readonly chain?: string[];
}

/** Runs each check from the scanner namespace with node's net/tls; 5 s bound per check. */
const CLIENT = `
const net = require('net'), tls = require('tls'), { X509Certificate } = require('crypto');
const checks = JSON.parse(process.argv[1]);
function one(c) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0), done = false, s;
    const end = (r) => { if (done) return; done = true; clearTimeout(tm); try { s.destroy(); } catch {} resolve(r); };
    const tm = setTimeout(() => end({ ok: false, error: 'timeout', text: buf.toString('latin1') }), 5000);
    const req = 'GET / HTTP/1.1\\r\\nHost: ' + (c.servername || c.host) + '\\r\\nConnection: close\\r\\n\\r\\n';
    if (c.kind === 'tls') {
      const o = { host: c.host, port: c.port, minVersion: c.min || 'TLSv1.2', maxVersion: c.max || 'TLSv1.3',
        rejectUnauthorized: !!c.ca, ca: c.ca ? [c.ca] : undefined, servername: c.servername };
      if (c.servername === undefined) delete o.servername;
      s = tls.connect(o);
      s.on('secureConnect', () => {
        const chain = [];
        // The certificates the server sent, leaf first (node links them through issuerCertificate).
        let cur = s.getPeerCertificate(true), seen = new Set();
        while (cur && cur.raw && !seen.has(cur.fingerprint256)) {
          seen.add(cur.fingerprint256);
          chain.push(new X509Certificate(cur.raw).toString());
          cur = cur.issuerCertificate;
        }
        s.protocolSeen = s.getProtocol(); s.chainSeen = chain; s.authSeen = s.authorized;
        s.write(req);
      });
      s.on('end', () => end({ ok: true, text: buf.toString('latin1'), protocol: s.protocolSeen, chain: s.chainSeen, authorized: s.authSeen }));
    } else {
      s = net.connect({ host: c.host, port: c.port });
      if (c.kind === 'http') s.on('connect', () => s.write(req));
      s.on('end', () => end({ ok: true, text: buf.toString('latin1') }));
    }
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (c.kind === 'line' && buf.includes(10)) end({ ok: true, text: buf.toString('latin1', 0, buf.indexOf(10)).replace(/\\r$/, '') });
    });
    s.on('error', (e) => end({ ok: false, error: (e.code || '') + ' ' + e.message }));
  });
}
(async () => { const out = []; for (const c of checks) out.push(await one(c)); process.stdout.write(JSON.stringify(out)); })();
`;

async function fromScanner(checks: readonly Check[]): Promise<Result[]> {
  const r = await lab.execScanner(process.execPath, ['-e', CLIENT, JSON.stringify(checks)], { timeoutMs: 10_000 + 6000 * checks.length });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Result[];
}

function assertPage(r: Result, what: string): void {
  assert.ok(r.ok, `${what}: ${r.error}`);
  assert.match(r.text!, /^HTTP\/1\.1 200 OK\r\n/, what);
  const server = /\r\nServer: ([^\r\n]*)\r\n/i.exec(r.text!);
  assert.equal(server?.[1], nginx.serverHeader, what);
  assert.match(nginx.serverHeader, /^nginx\/\d+\.\d+\.\d+$/);
  assert.equal(/<title>([^<]*)<\/title>/.exec(r.text!)?.[1], nginx.title, what);
}

test('servers: nginx HTTP on :80 and :8888 (status, Server header, title)', async () => {
  const [a, b] = await fromScanner([
    { kind: 'http', host: nginx.http.ip, port: nginx.http.ports[0] },
    { kind: 'http', host: nginx.http.ip, port: nginx.http.ports[1] },
  ]);
  assert.equal(nginx.http.ports[1], 8888);
  assertPage(a!, ':80');
  assertPage(b!, ':8888');
});

test('servers: nginx TLS 1.2 only, RSA certificate', async () => {
  const [ok, only13] = await fromScanner([
    { kind: 'tls', host: nginx.tls12.ip, port: 443 },
    { kind: 'tls', host: nginx.tls12.ip, port: 443, min: 'TLSv1.3' },
  ]);
  assert.ok(ok!.ok, ok!.error);
  assert.equal(ok!.protocol, 'TLSv1.2');
  assert.equal(ok!.chain!.length, 1);
  const leaf = new X509Certificate(ok!.chain![0]!);
  assert.equal(leaf.fingerprint256, nginx.tls12.cert.fingerprint256);
  assert.equal(leaf.publicKey.asymmetricKeyType, 'rsa');
  assert.equal(nginx.tls12.cert.keyType, 'rsa');
  assert.equal(leaf.publicKey.asymmetricKeyDetails?.modulusLength, 2048);
  assert.match(leaf.subject, /CN=tls12\.tidescan\.test/);
  assertPage(ok!, 'TLS 1.2');
  assert.equal(only13!.ok, false, 'a TLS-1.3-only client must be refused');
});

test('servers: nginx TLS 1.3 only, ECDSA leaf + intermediate sent, on :443 and :4433', async () => {
  const root = nginx.tls13.root.pem;
  const port2 = nginx.tls13.ports[1];
  const rs = await fromScanner([
    // Without a trust anchor, node's peer chain is exactly what the server sent.
    { kind: 'tls', host: nginx.tls13.ip, port: 443 },
    { kind: 'tls', host: nginx.tls13.ip, port: port2, servername: nginx.tls13.serverName },
    // With only the root as trust anchor, verification succeeds only if the intermediate was sent.
    { kind: 'tls', host: nginx.tls13.ip, port: 443, servername: nginx.tls13.serverName, ca: root },
    { kind: 'tls', host: nginx.tls13.ip, port: port2, servername: nginx.tls13.serverName, ca: root },
    { kind: 'tls', host: nginx.tls13.ip, port: 443, max: 'TLSv1.2' },
  ]);
  assert.equal(port2, 4433);
  for (const [i, r] of rs.slice(0, 4).entries()) {
    assert.ok(r.ok, `${i}: ${r.error}`);
    assert.equal(r.protocol, 'TLSv1.3');
    // Sent: leaf and intermediate; verified: the same plus the root from our trust anchor.
    assert.equal(r.chain!.length, i < 2 ? 2 : 3, `${i}: certificates`);
    const [leaf, inter] = r.chain!.map((p) => new X509Certificate(p));
    assert.equal(leaf!.fingerprint256, nginx.tls13.chain[0].fingerprint256);
    assert.equal(inter!.fingerprint256, nginx.tls13.chain[1].fingerprint256);
    assert.equal(leaf!.publicKey.asymmetricKeyType, 'ec');
    assert.equal(leaf!.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    assert.ok(leaf!.checkIssued(inter!) && leaf!.verify(inter!.publicKey), 'leaf signed by the intermediate');
    assert.ok(inter!.ca && inter!.verify(new X509Certificate(root).publicKey), 'intermediate signed by the root');
    if (i >= 2) {
      assert.equal(r.authorized, true);
      assert.equal(new X509Certificate(r.chain![2]!).fingerprint256, nginx.tls13.root.fingerprint256);
    }
    assertPage(r, `TLS 1.3 #${i}`);
  }
  assert.equal(rs[4]!.ok, false, 'a TLS-1.2-only client must be refused');
});

test('servers: nginx SNI server refuses a handshake without SNI or with another name, answers with its name', async () => {
  const [none, other, named] = await fromScanner([
    { kind: 'tls', host: nginx.sni.ip, port: 443 },
    { kind: 'tls', host: nginx.sni.ip, port: 443, servername: 'other.tidescan.test' },
    { kind: 'tls', host: nginx.sni.ip, port: 443, servername: nginx.sni.serverName },
  ]);
  assert.equal(none!.ok, false);
  assert.match(none!.error!, /alert|unrecognized|handshake/i);
  assert.equal(other!.ok, false);
  assert.ok(named!.ok, named!.error);
  assert.equal(new X509Certificate(named!.chain![0]!).fingerprint256, nginx.sni.cert.fingerprint256);
  assert.match(nginx.sni.cert.subject, /CN=sni\.tidescan\.test/);
  assertPage(named!, 'SNI');
});

test('servers: OpenSSH ident line on :22 and :2222', async () => {
  const [a, b] = await fromScanner([
    { kind: 'line', host: sshd.ip, port: 22 },
    { kind: 'line', host: sshd.ip, port: sshd.ports[1] },
  ]);
  assert.equal(sshd.ports[1], 2222);
  assert.ok(a!.ok && b!.ok, `${a!.error} ${b!.error}`);
  assert.match(a!.text!, /^SSH-2\.0-OpenSSH_\d/);
  assert.equal(a!.text, sshd.ident);
  assert.equal(b!.text, sshd.ident);
  assert.equal(sshd.ident, sshd.expectedIdent);
  assert.equal(sshd.hostKeys.length, 2);
  for (const k of sshd.hostKeys) assert.match(k.fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
});

test('servers: debianSshIdent', () => {
  assert.equal(debianSshIdent('1:9.2p1-2+deb12u10\n'), 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10');
  assert.equal(debianSshIdent('9.6p1'), 'SSH-2.0-OpenSSH_9.6p1');
});

test('servers: stop() ends the processes it started', async () => {
  const l2 = await createLab({ prefix: `h6x${process.pid}`.slice(0, 9) + 't', ipv6: false });
  try {
    const s = await startSshd(l2, { lifetimeMs: 60_000 });
    const n = await startNginx(l2, { lifetimeMs: 60_000 });
    await s.stop();
    await n.stop();
    for (const pid of [s.pid, n.pid]) assert.throws(() => process.kill(pid, 0), /ESRCH/);
    const r = await l2.execScanner(process.execPath, ['-e',
      `const s=require('net').connect({host:${JSON.stringify(n.http.ip)},port:80});` +
      `s.on('connect',()=>{console.log('open');s.destroy()});s.on('error',(e)=>console.log(e.code));setTimeout(()=>process.exit(0),3000).unref();`,
    ], { timeoutMs: 10_000 });
    assert.equal(r.stdout.trim(), 'ECONNREFUSED');
  } finally {
    await l2.destroy();
  }
});
