/**
 * Real TLS servers on loopback for the TLS tests: certificates made with the openssl CLI in a
 * temporary directory, `openssl s_server` bound to 127.0.0.1 (the lab rule allows loopback),
 * bounded in time and killed by its PID, and a driver that runs a banner module over a plain
 * `net` socket (its hello, then the socket's bytes into the parser).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import type { AppName, BannerModule, TargetInfo } from '../../src/banners/module.js';
import { guarded } from '../fuzz/guard.js';

export interface CertFiles {
  readonly cert: string;
  readonly key: string;
  /** DER of the certificate. */
  readonly der: Buffer;
}

function run(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

/** A directory of certificates for one test file; `dispose()` removes it. */
export class CertDir {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'tidescan-tls-'));

  file(name: string): string {
    return path.join(this.dir, name);
  }

  private der(pem: string): Buffer {
    return new X509Certificate(readFileSync(pem)).raw;
  }

  private keyArgs(kind: 'rsa' | 'ec'): string[] {
    return kind === 'rsa' ? ['-newkey', 'rsa:2048'] : ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];
  }

  /** A self-signed certificate with CN `cn` and DNS SANs `sans`. */
  selfSigned(name: string, kind: 'rsa' | 'ec', cn: string, sans: readonly string[]): CertFiles {
    const cfg = this.file(`${name}.cnf`);
    writeFileSync(cfg, [
      '[req]', 'distinguished_name = dn', 'prompt = no', 'x509_extensions = ext',
      '[dn]', `CN = ${cn}`,
      '[ext]', `subjectAltName = ${sans.map((s) => `DNS:${s}`).join(',')}`, 'basicConstraints = CA:FALSE',
    ].join('\n'));
    run(['req', '-x509', ...this.keyArgs(kind), '-nodes', '-days', '30', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-config', cfg], this.dir);
    const cert = this.file(`${name}.pem`);
    return { cert, key: this.file(`${name}.key`), der: this.der(cert) };
  }

  /** A CA certificate (self-signed when `issuer` is null). */
  ca(name: string, cn: string, issuer: CertFiles | null): CertFiles {
    const ext = this.file(`${name}.ext`);
    writeFileSync(ext, 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,keyCertSign,cRLSign\n');
    if (issuer === null) {
      run(['req', '-x509', ...this.keyArgs('ec'), '-nodes', '-days', '30', '-keyout', `${name}.key`, '-out', `${name}.pem`,
        '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], this.dir);
    } else {
      run(['req', '-new', ...this.keyArgs('ec'), '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], this.dir);
      run(['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-days', '30',
        '-extfile', ext, '-out', `${name}.pem`], this.dir);
    }
    const cert = this.file(`${name}.pem`);
    return { cert, key: this.file(`${name}.key`), der: this.der(cert) };
  }

  /** A leaf signed by `issuer`, with CN `cn` and DNS SANs `sans`. */
  leaf(name: string, kind: 'rsa' | 'ec', cn: string, sans: readonly string[], issuer: CertFiles): CertFiles {
    const ext = this.file(`${name}.ext`);
    writeFileSync(ext, `basicConstraints = CA:FALSE\nsubjectAltName = ${sans.map((s) => `DNS:${s}`).join(',')}\n`);
    run(['req', '-new', ...this.keyArgs(kind), '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], this.dir);
    run(['x509', '-req', '-in', `${name}.csr`, '-CA', issuer.cert, '-CAkey', issuer.key, '-CAcreateserial', '-days', '30',
      '-extfile', ext, '-out', `${name}.pem`], this.dir);
    const cert = this.file(`${name}.pem`);
    return { cert, key: this.file(`${name}.key`), der: this.der(cert) };
  }

  /** A PEM file holding `certs` in order (for -cert_chain). */
  bundle(name: string, certs: readonly CertFiles[]): string {
    const f = this.file(name);
    writeFileSync(f, certs.map((c) => readFileSync(c.cert, 'utf8')).join(''));
    return f;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A free TCP port on 127.0.0.1 (bound then released; s_server takes it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface SServer {
  readonly port: number;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `openssl s_server -accept 127.0.0.1:<port> -www <args>`, ready once it prints ACCEPT.
 * It dies by itself after `lifetimeMs` (SIGKILL by PID), whatever the test does.
 */
export async function startSServer(args: readonly string[], lifetimeMs = 60_000): Promise<SServer> {
  const port = await freePort();
  const proc = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-www', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = proc.pid as number;
  const killer = setTimeout(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }, lifetimeMs);
  killer.unref();
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`s_server not ready: ${log}`)), 10_000);
    const onData = (b: Buffer): void => {
      log += b.toString();
      if (log.includes('ACCEPT')) {
        clearTimeout(t);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(t);
      reject(new Error(`s_server exited (${code}): ${log}`));
    });
  }).catch((e: unknown) => {
    clearTimeout(killer);
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    throw e;
  });
  proc.removeAllListeners('exit');
  return {
    port,
    proc,
    stop: async () => {
      clearTimeout(killer);
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise<void>((r) => proc.once('exit', () => r()));
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        return;
      }
      await gone;
    },
  };
}

/** What a module wrote on one connection: text per app, fields, and whether it closed. */
export interface Grab {
  readonly banners: Map<AppName, string>;
  readonly fields: Map<string, string>;
  closed: boolean;
  sent: number;
  /** Every byte the server sent, in order (a recorded flight). */
  readonly received: Buffer[];
}

export function newGrab(): Grab {
  return { banners: new Map(), fields: new Map(), closed: false, sent: 0, received: [] };
}

/** A BannerOut + Conversation pair that records into `g`; `send` goes to `onSend`. */
export function recorder(g: Grab, onSend: (b: Uint8Array) => void, onClose: () => void) {
  // The records of one app are joined with one space (an ended record and the next one).
  const ended = new Set<AppName>();
  const add = (app: AppName, s: string): void => {
    const before = g.banners.get(app);
    g.banners.set(app, before === undefined ? s : before + (ended.delete(app) ? ' ' : '') + s);
  };
  return {
    out: {
      append(app: AppName, buf: Uint8Array, off: number, len: number): void {
        add(app, Buffer.from(buf.buffer, buf.byteOffset + off, len).toString('latin1'));
      },
      appendText(app: AppName, text: string): void {
        add(app, text);
      },
      field(app: AppName, name: string, value: string): void {
        g.fields.set(`${app}.${name}`, value);
      },
      endRecord(app: AppName): void {
        ended.add(app);
      },
    },
    conv: {
      send(b: Uint8Array): void {
        g.sent++;
        onSend(b);
      },
      close(): void {
        g.closed = true;
        onClose();
      },
    },
  };
}

/**
 * Run `mod` against 127.0.0.1:`port` over a plain socket: send its hello on connect, feed every
 * chunk to the parser, end on close. Bounded by `timeoutMs`.
 */
export async function grab(mod: BannerModule, port: number, name: string | undefined, timeoutMs = 8_000): Promise<Grab> {
  const g = newGrab();
  const t: TargetInfo = { ip: '127.0.0.1', port, name };
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error('grab timed out'));
    }, timeoutMs);
    const r = recorder(g, (b) => sock.write(b), () => sock.end());
    const parser = mod.open(t, r.out, r.conv);
    sock.on('connect', () => {
      const h = mod.hello(t);
      if (h !== null) sock.write(h);
    });
    sock.on('data', (b: Buffer) => {
      g.received.push(Buffer.from(b));
      parser.data(b, 0, b.length);
    });
    sock.on('error', () => {
      /* a RST after our FIN: the close below still comes */
    });
    sock.on('close', () => {
      clearTimeout(timer);
      parser.end();
      resolve(g);
    });
  });
}

export { guarded };

