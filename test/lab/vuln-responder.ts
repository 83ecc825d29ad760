/**
 * A scripted TLS server that answers, at the record level, as a server vulnerable to
 * Heartbleed (CVE-2014-0160) or Ticketbleed (CVE-2016-9244) would. No Debian package ships a
 * vulnerable server, so the lab's positive case is this; the negative case is the real nginx.
 *
 * It does no cryptography: it reads our ClientHello, answers with a TLS 1.2 ServerHello (and
 * a Certificate, ServerHelloDone), and then:
 * - `heartbleed`: answers every heartbeat request with `payload_length` bytes, whatever the
 *   record held: the payload it got, then bytes of its "memory" (LEAK_MEMORY), as the unfixed
 *   OpenSSL 1.0.1 did; an answer above 16 KiB is split into records at the 16 KiB limit;
 * - `patched`: heartbeat extension too, but a request whose payload_length overruns its record
 *   is dropped (RFC 6520 §4: "silently discarded"), and an honest one echoed;
 * - `ticketbleed`: a ClientHello with a session ticket and a session id shorter than 32 bytes
 *   is "resumed": the ServerHello echoes a 32-byte session id (ours, then memory), then
 *   ChangeCipherSpec and an (opaque) Finished; without a ticket, a full handshake;
 * - `sslv3`: a server that still speaks SSL 3.0 (POODLE, CVE-2014-3566) and predates RFC 7507:
 *   a ClientHello of version 3.0 gets an SSL 3.0 ServerHello (record version 3.0, no
 *   extensions), the Certificate and ServerHelloDone;
 * - `sslv3-scsv`: the same server, patched with RFC 7507: a ClientHello below TLS 1.2 that
 *   offers TLS_FALLBACK_SCSV (0x5600) gets the fatal inappropriate_fallback alert (86).
 *
 * `node vuln-responder.js --listen IP:PORT --mode heartbleed|patched|ticketbleed
 *  [--cert FILE.der] [--lifetime MS]` runs it (bounded: it exits after its lifetime; the
 * test also stops it by PID). `VulnServer` is the same logic for unit tests, without sockets.
 */
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type VulnMode = 'heartbleed' | 'patched' | 'ticketbleed' | 'sslv3' | 'sslv3-scsv';

const MODES: readonly VulnMode[] = ['heartbleed', 'patched', 'ticketbleed', 'sslv3', 'sslv3-scsv'];

/** The server's "memory": what a bleed reveals (the lab test looks for this text). */
export const LEAK_MEMORY = Buffer.from('tidescan-lab secret memory: user=admin password=hunter2 session=0123456789abcdef; ', 'latin1');

/** What the responder read from a ClientHello. */
export interface ClientHelloSeen {
  /** client_version (0x0300 for SSL 3.0). */
  readonly version: number;
  /** The cipher suites offered. */
  readonly ciphers: readonly number[];
  readonly sessionId: Buffer;
  readonly heartbeat: boolean;
  readonly ticket: Buffer | null;
}

/** A ClientHello handshake message body (after the 4-byte header); null when malformed. */
export function parseClientHelloBody(b: Buffer): ClientHelloSeen | null {
  let p = 2 + 32;
  if (b.length < p + 1) return null;
  const sidLen = b[p]!;
  if (b.length < p + 1 + sidLen + 2) return null;
  const sessionId = b.subarray(p + 1, p + 1 + sidLen);
  p += 1 + sidLen;
  const ciphers: number[] = [];
  const csEnd = p + 2 + b.readUInt16BE(p);
  if (csEnd > b.length) return null;
  for (let k = p + 2; k + 2 <= csEnd; k += 2) ciphers.push(b.readUInt16BE(k));
  p = csEnd;
  if (b.length < p + 1) return null;
  p += 1 + b[p]!;
  let heartbeat = false;
  let ticket: Buffer | null = null;
  if (p + 2 <= b.length) {
    const end = Math.min(b.length, p + 2 + b.readUInt16BE(p));
    p += 2;
    while (p + 4 <= end) {
      const type = b.readUInt16BE(p);
      const len = b.readUInt16BE(p + 2);
      if (p + 4 + len > end) return null;
      if (type === 15) heartbeat = true;
      if (type === 35) ticket = b.subarray(p + 4, p + 4 + len);
      p += 4 + len;
    }
  }
  return { version: b.readUInt16BE(0), ciphers, sessionId, heartbeat, ticket };
}

function record(type: number, body: Buffer, version = 0x0303): Buffer {
  const h = Buffer.alloc(5);
  h[0] = type;
  h.writeUInt16BE(version, 1);
  h.writeUInt16BE(body.length, 3);
  return Buffer.concat([h, body]);
}

function handshake(type: number, body: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h[0] = type;
  h.writeUIntBE(body.length, 1, 3);
  return Buffer.concat([h, body]);
}

/** `n` bytes of memory, repeating LEAK_MEMORY. */
export function memory(n: number): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = LEAK_MEMORY[i % LEAK_MEMORY.length]!;
  return out;
}

/** One connection's server side, bytes in, bytes out. */
export class VulnServer {
  private buf = Buffer.alloc(0);
  private hello: ClientHelloSeen | null = null;
  /** Set when the connection should be closed after what was returned. */
  closed = false;

  constructor(
    private readonly mode: VulnMode,
    private readonly certDer: Buffer | null = null,
  ) {}

  /** Bytes from the client; returns what the server sends back (possibly nothing). */
  feed(data: Uint8Array): Buffer {
    this.buf = Buffer.concat([this.buf, Buffer.from(data)]);
    const out: Buffer[] = [];
    while (this.buf.length >= 5 && !this.closed) {
      const len = this.buf.readUInt16BE(3);
      if (this.buf.length < 5 + len) break;
      const type = this.buf[0]!;
      const body = this.buf.subarray(5, 5 + len);
      this.buf = this.buf.subarray(5 + len);
      if (type === 22 && this.hello === null) out.push(this.clientHello(body));
      else if (type === 24 && this.hello !== null) out.push(this.heartbeat(body));
      else if (type === 21) this.closed = true;
    }
    return Buffer.concat(out);
  }

  private clientHello(rec: Buffer): Buffer {
    // our ClientHello fits one record: type 1, 3-byte length, body
    if (rec.length < 4 || rec[0] !== 1) {
      this.closed = true;
      return record(21, Buffer.from([2, 10]));
    }
    const h = parseClientHelloBody(rec.subarray(4, 4 + rec.readUIntBE(1, 3)));
    if (h === null) {
      this.closed = true;
      return record(21, Buffer.from([2, 50]));
    }
    this.hello = h;
    const random = Buffer.alloc(32, 0x5a);
    if (this.mode === 'sslv3' || this.mode === 'sslv3-scsv') return this.sslv3(h, random);
    if (this.mode === 'ticketbleed' && h.ticket !== null && h.ticket.length > 0 && h.sessionId.length > 0 && h.sessionId.length < 32) {
      // "resume": the session id is 32 bytes whatever the client sent (the F5 bug)
      const sid = Buffer.concat([h.sessionId, memory(32 - h.sessionId.length)]);
      const sh = serverHello(random, sid, false);
      this.closed = true;
      return Buffer.concat([record(22, sh), record(20, Buffer.from([1])), record(22, Buffer.alloc(40, 0xa5))]);
    }
    const sid = Buffer.alloc(32, 0x33);
    const sh = serverHello(random, sid, h.heartbeat && this.mode !== 'ticketbleed');
    const parts = [sh];
    if (this.certDer !== null) parts.push(certificate(this.certDer));
    parts.push(handshake(14, Buffer.alloc(0)));
    return record(22, Buffer.concat(parts));
  }

  /** The SSL 3.0 server's answer (modes sslv3, sslv3-scsv). */
  private sslv3(h: ClientHelloSeen, random: Buffer): Buffer {
    // RFC 7507 §3: "If TLS_FALLBACK_SCSV appears in ClientHello.cipher_suites and the highest
    // protocol version supported by the server is higher than the version indicated in
    // ClientHello.client_version, the server MUST respond with a fatal inappropriate_fallback alert"
    if (this.mode === 'sslv3-scsv' && h.version < 0x0303 && h.ciphers.includes(0x5600)) {
      this.closed = true;
      return record(21, Buffer.from([2, 86]), h.version);
    }
    if (h.version !== 0x0300 || !h.ciphers.includes(0x002f)) {
      this.closed = true;
      return record(21, Buffer.from([2, 40]), 0x0300);
    }
    const body = Buffer.concat([Buffer.from([0x03, 0x00]), random, Buffer.from([32]), Buffer.alloc(32, 0x33), Buffer.from([0x00, 0x2f, 0x00])]);
    const parts = [handshake(2, body)];
    if (this.certDer !== null) parts.push(certificate(this.certDer));
    parts.push(handshake(14, Buffer.alloc(0)));
    this.closed = true;
    return record(22, Buffer.concat(parts), 0x0300);
  }

  private heartbeat(rec: Buffer): Buffer {
    if (rec.length < 3 || rec[0] !== 1) return Buffer.alloc(0);
    const want = rec.readUInt16BE(1);
    const have = rec.subarray(3);
    if (this.mode !== 'heartbleed') {
      // RFC 6520 §4: payload_length beyond the record, or under 16 bytes of padding: dropped
      if (3 + want + 16 > rec.length) return Buffer.alloc(0);
      return record(24, Buffer.concat([Buffer.from([2, want >> 8, want & 0xff]), have.subarray(0, want), Buffer.alloc(16)]));
    }
    // the bug: payload_length trusted; what follows the request in memory is sent back
    const payload = Buffer.concat([have.subarray(0, Math.min(want, have.length)), memory(Math.max(0, want - have.length))]);
    const msg = Buffer.concat([Buffer.from([2, want >> 8, want & 0xff]), payload, Buffer.alloc(16)]);
    const out: Buffer[] = [];
    for (let i = 0; i < msg.length; i += 16384) out.push(record(24, msg.subarray(i, i + 16384)));
    return Buffer.concat(out);
  }
}

/** A Certificate handshake message of one certificate (RFC 5246 §7.4.2). */
function certificate(der: Buffer): Buffer {
  const entry = Buffer.alloc(3);
  entry.writeUIntBE(der.length, 0, 3);
  const list = Buffer.alloc(3);
  list.writeUIntBE(3 + der.length, 0, 3);
  return handshake(11, Buffer.concat([list, entry, der]));
}

function serverHello(random: Buffer, sid: Buffer, heartbeat: boolean): Buffer {
  const ext = Buffer.concat([
    Buffer.from([0xff, 0x01, 0x00, 0x01, 0x00]), // renegotiation_info, empty
    heartbeat ? Buffer.from([0x00, 0x0f, 0x00, 0x01, 0x01]) : Buffer.alloc(0), // heartbeat, peer_allowed_to_send
  ]);
  const extLen = Buffer.alloc(2);
  extLen.writeUInt16BE(ext.length);
  const body = Buffer.concat([Buffer.from([0x03, 0x03]), random, Buffer.from([sid.length]), sid, Buffer.from([0xc0, 0x2f, 0x00]), extLen, ext]);
  return handshake(2, body);
}

function main(argv: readonly string[]): void {
  const arg = (name: string): string | undefined => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const listen = arg('--listen') ?? '';
  const m = /^(.+):(\d+)$/.exec(listen);
  const mode = arg('--mode');
  if (m === null || !MODES.includes(mode as VulnMode)) {
    process.stderr.write(`usage: vuln-responder --listen IP:PORT --mode ${MODES.join('|')} [--cert F.der] [--lifetime MS]\n`);
    process.exit(2);
  }
  const certFile = arg('--cert');
  const cert = certFile === undefined ? null : readFileSync(certFile);
  const lifetime = Number(arg('--lifetime') ?? 300_000);
  const server = createServer((s) => {
    const v = new VulnServer(mode as VulnMode, cert);
    s.setTimeout(10_000, () => s.destroy());
    s.on('error', () => s.destroy());
    s.on('data', (d) => {
      const out = v.feed(d);
      if (out.length > 0) s.write(out);
      if (v.closed) s.end();
    });
  });
  server.listen(Number(m[2]), m[1], () => process.stdout.write(`listening ${listen}\n`));
  setTimeout(() => process.exit(0), lifetime).unref();
  // the lifetime bounds it even with open connections
  setTimeout(() => process.exit(0), lifetime + 1000);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
