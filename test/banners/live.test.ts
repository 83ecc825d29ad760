/**
 * The banner session against real servers on loopback: Debian's OpenSSH (`sshd -D -e -f`)
 * and nginx (`nginx -g 'daemon off;'`), each started here in the foreground on 127.0.0.1 and a
 * free high port, stopped by PID at the end. A node:net socket stands in for the TCP stack
 * (the session is independent of it). Skipped when not root or when a server is not installed.
 *
 * Network rule (LAB.md): 127.0.0.1 only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBanners, defaultBannerConfig } from '../../src/banners/registry.js';
import { BannerCollector, BannerSession, type BannerItem } from '../../src/banners/session.js';
import type { Conversation } from '../../src/banners/module.js';
import { text } from './helpers.js';

const ROOT = process.getuid?.() === 0;
const SSHD = '/usr/sbin/sshd';
const NGINX = '/usr/sbin/nginx';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 50; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = new Socket();
      c.once('connect', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
      c.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

/** Stops a server we started, by its PID, and waits for it (bounded). */
async function stop(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const done = new Promise<void>((r) => p.once('exit', () => r()));
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 3000);
  await done;
  clearTimeout(t);
}

/** One banner connection to 127.0.0.1:port driven by a BannerSession; resolves at close. */
async function grab(port: number, helloTimeoutMs: number, asPort = port, closeDelayMs = 0): Promise<{ items: BannerItem[]; sent: string }> {
  const b = buildBanners({ ...defaultBannerConfig('0.1.0'), helloTimeoutMs });
  const out = new BannerCollector();
  const sock = new Socket();
  let sent = '';
  const conv: Conversation = {
    send: (buf) => { sent += text(buf); sock.write(Uint8Array.from(buf)); },
    // a delay lets the server act on what we sent before it sees our FIN
    close: () => { setTimeout(() => sock.end(), closeDelayMs); },
  };
  const s = new BannerSession(b, { ip: '127.0.0.1', port: asPort, name: undefined }, out, conv);
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => { sock.destroy(); reject(new Error('no close in 10 s')); }, 10000);
    sock.on('connect', () => {
      const deadline = s.opened(Date.now());
      if (deadline !== undefined) timer = setTimeout(() => s.helloTimeout(Date.now()), deadline - Date.now());
    });
    sock.on('data', (d: Buffer) => s.data(d, 0, d.length, Date.now()));
    sock.on('error', () => {});
    sock.on('close', () => {
      clearTimeout(guard);
      if (timer !== undefined) clearTimeout(timer);
      s.end(Date.now());
      resolve({ items: out.items(), sent });
    });
    sock.connect(port, '127.0.0.1');
  });
}

test('live: real OpenSSH on 127.0.0.1 takes our ident and KEXINIT; ssh banner and HASSH', { skip: !ROOT || !existsSync(SSHD) ? 'needs root and /usr/sbin/sshd' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbanner-ssh-'));
  let p: ChildProcess | undefined;
  try {
    for (const t of ['ed25519', 'ecdsa', 'rsa']) {
      const k = spawnSync('ssh-keygen', ['-q', '-t', t, '-N', '', '-f', join(dir, `host_${t}`)], { timeout: 20000 });
      assert.equal(k.status, 0, `ssh-keygen ${t}`);
    }
    const port = await freePort();
    writeFileSync(join(dir, 'sshd_config'), `ListenAddress 127.0.0.1:${port}\n` +
      ['ed25519', 'ecdsa', 'rsa'].map((t) => `HostKey ${join(dir, `host_${t}`)}\n`).join('') +
      `PidFile ${join(dir, 'sshd.pid')}\nUsePAM no\nLogLevel VERBOSE\n`);
    mkdirSync('/run/sshd', { recursive: true });
    let log = '';
    p = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
    p.stderr!.on('data', (d: Buffer) => { log += d.toString(); });
    await waitListening(port);
    const r = await grab(port, 2000, 22, 500);
    assert.equal(r.items.length, 1);
    const ssh = r.items[0]!;
    assert.equal(ssh.app, 'ssh');
    assert.match(text(ssh.bytes), /^SSH-2\.0-OpenSSH_[^\r\n]+\r\nkex_algorithms=[^ ]+ server_host_key_algorithms=[^ ]*ssh-ed25519[^ ]* encryption_algorithms_client_to_server=/);
    assert.match(ssh.fields!['hassh']!, /^[0-9a-f]{32}$/);
    assert.equal(r.sent.startsWith('SSH-2.0-tidescan_0.1.0\r\n'), true);
    const v = spawnSync(SSHD, ['-V'], { encoding: 'utf8' }).stderr;
    if (v.startsWith('OpenSSH_9.2')) assert.equal(ssh.fields!['hassh'], '425d29fe50d8e4f5e37efb6e24bcf660'); // the stored vector's
    // sshd read our KEXINIT without complaint (a malformed one gets `... invalid format`
    // within the 500 ms we wait before closing), then saw us close
    for (let i = 0; i < 30 && !/Connection closed by 127\.0\.0\.1/.test(log); i++) await new Promise((res) => setTimeout(res, 100));
    assert.match(log, /Connection closed by 127\.0\.0\.1 port \d+ \[preauth\]/);
    assert.doesNotMatch(log, /fatal|invalid|Bad packet|Protocol major versions differ|not a valid/i);
  } finally {
    if (p !== undefined) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('live: real nginx on 127.0.0.1, silent until our request (hello-timeout path)', { skip: !ROOT || !existsSync(NGINX) ? 'needs root and nginx' : false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsbanner-nginx-'));
  let p: ChildProcess | undefined;
  try {
    const port = await freePort();
    chmodSync(dir, 0o755); // nginx's workers run unprivileged: they must read the page
    mkdirSync(join(dir, 'logs'));
    mkdirSync(join(dir, 'www'));
    writeFileSync(join(dir, 'www', 'index.html'), '<html><head><TITLE lang="en">live &amp; well</TITLE></head><body>hi</body></html>\n');
    writeFileSync(join(dir, 'nginx.conf'), `pid ${dir}/nginx.pid;\nerror_log ${dir}/logs/error.log;\n` +
      'events { worker_connections 16; }\nhttp {\n  access_log off;\n' +
      `  client_body_temp_path ${dir}/b; proxy_temp_path ${dir}/p; fastcgi_temp_path ${dir}/f; uwsgi_temp_path ${dir}/u; scgi_temp_path ${dir}/s;\n` +
      `  server { listen 127.0.0.1:${port}; root ${dir}/www; }\n}\n`);
    p = spawn(NGINX, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitListening(port);
    const r = await grab(port, 200, 80);
    assert.equal(r.sent, 'GET / HTTP/1.0\r\nUser-Agent: tidescan/0.1.0\r\nAccept: */*\r\n\r\n');
    assert.deepEqual(r.items.map((i) => i.app), ['http', 'http.server', 'title']);
    assert.match(text(r.items[0]!.bytes), /^HTTP\/1\.1 200 OK\r\nServer: nginx\/[0-9.]+\r\n[^]*\r\n\r\n$/);
    assert.match(text(r.items[1]!.bytes), /^nginx\/[0-9.]+$/);
    assert.equal(text(r.items[2]!.bytes), 'live &amp; well');
  } finally {
    if (p !== undefined) await stop(p);
    rmSync(dir, { recursive: true, force: true });
  }
});
