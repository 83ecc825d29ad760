/**
 * Service identification on any port (session.ts IDENTIFY_ORDER): a simulated host drives
 * the sessions of one port across reconnects, against servers that answer as the real ones
 * did (the replies are the captures of test/vectors/banners, named per server), and to other
 * probes as those servers do (an error line, silence, or a close). Each service must be
 * found with the handshakes its place in the order costs, with its full banner; the bound
 * holds for a server that never answers; --no-identify turns it all off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildBanners, defaultBannerConfig, type BannerConfig, type Banners } from '../../src/banners/registry.js';
import { BannerCollector, BannerSession, IDENTIFY_MAX, IDENTIFY_ORDER, type Identified } from '../../src/banners/session.js';
import type { Conversation, TargetInfo } from '../../src/banners/module.js';
import { bannerVector, guarded, latin1, RUNS, text } from './helpers.js';
import { VulnServer } from '../lab/vuln-responder.js';

const CFG: BannerConfig = { ...defaultBannerConfig('0.1.0'), randomBytes: (n) => new Uint8Array(n).fill(7), helloTimeoutMs: 2000 };
const B = buildBanners(CFG);

/** What a server does on one connection: greet, and answer (or not) what it is sent. */
interface SimServer {
  readonly greeting?: Uint8Array;
  /** bytes: the answer; 'silent': nothing, the connection stays; 'close': FIN without data. */
  answer(probe: Uint8Array): Uint8Array | 'silent' | 'close';
}

const vec = (f: string): Uint8Array => bannerVector(f).received;
const starts = (probe: Uint8Array, s: string): boolean => text(probe.subarray(0, s.length)) === s;

const SERVERS: Record<string, SimServer> = {
  // nginx: HTTP; to anything else a 400 page (RFC 9112: a request it cannot parse)
  http: { answer: (p) => (starts(p, 'GET ') ? vec('nginx-response.txt') : latin1('HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n')) },
  // a TLS 1.2 server (the lab's responder, no cryptography): to plain text it waits for a record
  ssl: { answer: (p) => { const v = new VulnServer('ticketbleed').feed(p); return v.length > 0 ? v : 'silent'; } },
  // redis-server: RESP INFO; an inline command it does not know is an error line each
  redis: {
    answer: (p) => {
      if (starts(p, '*1\r\n$4\r\ninfo')) return vec('redis-info.txt');
      if (p[0] === 0x16) return 'silent'; // no line end yet: redis waits for one
      return latin1("-ERR unknown command 'x', with args beginning with: \r\n");
    },
  },
  memcached: { answer: (p) => (starts(p, 'stats\r\n') ? vec('memcached-stats.txt') : p[0] === 0x16 ? 'silent' : latin1('ERROR\r\n')) },
  // smbd: anything but a NetBIOS session message (type 0) closes the connection
  smb: { answer: (p) => (p[0] === 0x00 ? vec('samba-445.txt') : 'close') },
  // xrdp: anything but a TPKT (version 3) closes the connection
  rdp: { answer: (p) => (p[0] === 0x03 ? vec('xrdp-negotiate.txt') : 'close') },
  ssh: { greeting: vec('openssh-server.txt'), answer: () => 'silent' },
  silent: { answer: () => 'silent' },
};

interface Result {
  identified: Identified | null;
  connections: number;
  banners: Map<string, string>;
  sent: string[];
}

/**
 * Identify the service of `srv` on `port`: connections are made while a session asks for a
 * reconnect; each server answer is cut at `cut` (a fraction of its length) and guarded.
 */
function identify(srv: SimServer, port: number, b: Banners = B, cut = 0): Result {
  const t: TargetInfo = { ip: '192.0.2.9', port, name: undefined };
  let attempt: number | undefined = 0;
  let connections = 0;
  let last: { s: BannerSession; out: BannerCollector } | null = null;
  const sent: string[] = [];
  while (attempt !== undefined) {
    connections++;
    assert.ok(connections <= IDENTIFY_MAX, 'never more connections than the bound');
    const out = new BannerCollector();
    let next: number | undefined;
    let closed = false;
    const probe: Uint8Array[] = [];
    const conv: Conversation = {
      send: (x) => { probe.push(Uint8Array.from(x)); },
      close: () => { closed = true; },
      reconnect: (n) => { next = n; },
    };
    const s = new BannerSession(b, t, out, conv, attempt);
    const feed = (bytes: Uint8Array): void => {
      const k = Math.floor(bytes.length * cut);
      for (const [a, z] of [[0, k], [k, bytes.length]] as const) {
        if (z <= a || closed) continue;
        const buf = new Uint8Array(z - a + 2);
        buf.set(bytes.subarray(a, z), 1);
        s.data(guarded(buf, 1, 1 + z - a), 1, z - a, 1500);
      }
    };
    let now = 1000;
    let deadline = s.opened(now);
    if (srv.greeting !== undefined) feed(srv.greeting);
    // timers fire while the session keeps asking for them, and the server answers each probe
    for (let i = 0; i < 4 && deadline !== undefined && !closed && next === undefined; i++) {
      now = deadline;
      deadline = s.helloTimeout(now);
      if (probe.length === 0) continue;
      const p = Buffer.concat(probe.splice(0));
      sent.push(text(p.subarray(0, 16)));
      const a = srv.answer(p);
      if (a === 'close') break;
      if (a !== 'silent') feed(a);
    }
    s.end(now + 1);
    if (!s.moot) last = { s, out };
    attempt = next;
  }
  const banners = new Map<string, string>();
  for (const i of last?.out.items() ?? []) banners.set(i.app, text(i.bytes));
  return { identified: last?.s.identified ?? null, connections, banners, sent };
}

test('identify: the order and its bound', () => {
  assert.deepEqual(IDENTIFY_ORDER, ['http', 'ssl', 'redis', 'memcached', 'smb', 'rdp']);
  assert.equal(IDENTIFY_MAX, 6);
  for (const m of IDENTIFY_ORDER) assert.ok(B.module(m)?.hello({ ip: '192.0.2.9', port: 7000, name: undefined }), `${m} has a probe for any port`);
});

test('identify: each service on an unusual port, with the handshakes its place costs and its full banner', () => {
  const want: [string, number, string, (b: Map<string, string>) => boolean][] = [
    ['http', 1, 'http', (b) => b.get('http')!.startsWith('HTTP/1.1 200 OK') && b.get('http.server') !== undefined && b.has('title')],
    ['ssh', 1, 'ssh', (b) => b.get('ssh')!.startsWith('SSH-2.0-OpenSSH_9.2p1')],
    ['ssl', 2, 'ssl', (b) => b.get('ssl')!.startsWith('TLS/1.2 cipher:0xc02f')],
    ['redis', 3, 'redis', (b) => (b.get('redis') ?? '').includes('redis_version')],
    ['memcached', 4, 'memcached', (b) => (b.get('memcached') ?? '').includes('pid=')],
    ['smb', 5, 'smb', (b) => (b.get('smb') ?? '').length > 0],
    ['rdp', 6, 'rdp', (b) => (b.get('rdp') ?? '').length > 0],
  ];
  for (const [srv, handshakes, service, check] of want) {
    const r = identify(SERVERS[srv]!, 7777);
    assert.deepEqual(r.identified, { service, handshakes }, `${srv}: ${JSON.stringify([...r.banners])} sent ${JSON.stringify(r.sent)}`);
    assert.equal(r.connections, handshakes);
    assert.ok(check(r.banners), `${srv} banner: ${JSON.stringify([...r.banners])}`);
    assert.equal(r.banners.has('unknown'), false, `${srv}: no unknown banner from the probes before`);
  }
});

test('identify: a server that never answers costs exactly the bound, and nothing is reported', () => {
  const r = identify(SERVERS['silent']!, 7777);
  assert.equal(r.connections, IDENTIFY_MAX);
  assert.equal(r.identified, null);
  assert.deepEqual([...r.banners], []);
  assert.deepEqual(r.sent.length, IDENTIFY_MAX);
});

test('identify: a TLS-looking answer the ssl module cannot parse is no record: the next handshakes are tried', () => {
  // answers every probe with a truncated ServerHello (a record header, then a 2-byte body):
  // before, the ssl step stopped there with an empty `ssl` record holding only tls-error
  const broken: SimServer = { answer: () => latin1('\x16\x03\x03\x00\x06\x02\x00\x00\x02\x03\x03') };
  const r = identify(broken, 7777);
  assert.equal(r.connections, IDENTIFY_MAX, 'every handshake is tried');
  assert.equal(r.identified, null);
  assert.equal(r.banners.get('ssl'), undefined);
  // after the last one, the answer's bytes are the unknown banner
  assert.equal(r.banners.get('unknown'), '\x16\x03\x03\x00\x06\x02\x00\x00\x02\x03\x03');
  assert.deepEqual([...r.banners.keys()], ['unknown']);
  // a TLS answer that parses keeps its record and fields as before
  const ok = identify(SERVERS['ssl']!, 7777);
  assert.equal(ok.identified?.service, 'ssl');
  assert.match(ok.banners.get('ssl') ?? '', /^TLS\/1\.2 cipher:0xc02f/);
});

test('identify: the same at any split of every answer', () => {
  fc.assert(fc.property(fc.constantFrom('http', 'ssl', 'redis', 'memcached', 'smb', 'rdp', 'ssh'), fc.double({ min: 0, max: 1, noNaN: true }), (srv, cut) => {
    assert.deepEqual(identify(SERVERS[srv]!, 7777, B, cut), identify(SERVERS[srv]!, 7777));
  }), { numRuns: 100 });
});

test('identify: --no-identify: no probe on a port without a hello, no service named', () => {
  const off = buildBanners({ ...CFG, identify: false });
  const r = identify(SERVERS['redis']!, 7777, off);
  assert.equal(r.connections, 1);
  assert.deepEqual(r.sent, []);
  assert.equal(r.identified, null);
  // a greeting is still read (masscan does), and named by no one
  const s = identify(SERVERS['ssh']!, 2222, off);
  assert.ok(s.banners.get('ssh')?.startsWith('SSH-2.0-'));
  assert.equal(s.identified, null);
});

test('identify: a port with a hello sends it; the service is named after one handshake', () => {
  const r = identify(SERVERS['redis']!, 6379);
  assert.deepEqual(r.identified, { service: 'redis', handshakes: 1 });
  assert.deepEqual(r.sent, ['*1\r\n$4\r\ninfo\r\n']);
});

test('identify: fuzz: servers answering random bytes, silence or a close never cost more than the bound, nor throw', () => {
  const answer = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b): Uint8Array | 'silent' | 'close' => b),
    fc.constant<'silent'>('silent'),
    fc.constant<'close'>('close'),
  );
  fc.assert(fc.property(fc.array(answer, { minLength: IDENTIFY_MAX, maxLength: IDENTIFY_MAX }), fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 })), fc.double({ min: 0, max: 1, noNaN: true }), (answers, greeting, cut) => {
    let i = 0;
    const srv: SimServer = { ...(greeting === null ? {} : { greeting }), answer: () => answers[i++ % answers.length]! };
    const r = identify(srv, 7777, B, cut);
    assert.ok(r.connections <= IDENTIFY_MAX);
    if (greeting !== null) assert.equal(r.connections, 1, 'a server that speaks first gets no probe');
    // a random answer may even match a greeting rule (`SSH-2.`): any module may name it
    if (r.identified !== null) assert.ok(B.module(r.identified.service) !== null && r.identified.handshakes === r.connections);
  }), { numRuns: RUNS });
});

test('identify: a TLS answer to the last handshake is its unknown banner whole, at any split, as any other last answer', () => {
  // a record the ssl module cannot parse (as above), then another: 44 bytes, more than
  // detection holds (DETECT_MAX)
  const answer = latin1('\x16\x03\x03\x00\x06\x02\x00\x00\x02\x03\x03' + '\x17\x03\x03\x00\x1c' + 'the-record-after-it-28-bytes');
  const tls: SimServer = { answer: () => answer };
  const whole = identify(tls, 7777);
  assert.equal(whole.connections, IDENTIFY_MAX);
  assert.equal(whole.identified, null);
  assert.equal(whole.banners.get('unknown'), text(answer));
  for (const cut of [0.05, 0.3, 0.5, 0.9]) assert.deepEqual(identify(tls, 7777, B, cut), whole);
});
