/**
 * The TLS vulnerability checks (--heartbleed, --ticketbleed; tls.ts VULN) against the lab's
 * scripted responder (test/lab/vuln-responder.ts: the same logic the lab runs as a server),
 * whole, split at random points (every read guarded), and the heartbeat reader fuzzed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TlsModule, VULN, HEARTBLEED_LENGTH, type TlsVulnCheck } from '../../src/banners/tls.js';
import { TlsScanKeys } from '../../src/codec/tls13.js';
import { buildClientHello, parseServerHello } from '../../src/codec/tls.js';
import { buildHeartbeatRequest, HeartbeatReader, SSL3_CIPHER_SUITES, type HeartbeatSink } from '../../src/codec/tls-vuln.js';
import { BannerCollector } from '../../src/banners/session.js';
import type { Conversation, TargetInfo } from '../../src/banners/module.js';
import { guarded } from '../fuzz/guard.js';
import { RUNS } from './helpers.js';
import { LEAK_MEMORY, VulnServer, memory, parseClientHelloBody, type VulnMode } from '../lab/vuln-responder.js';

const T: TargetInfo = { ip: '198.18.5.1', port: 4433, name: undefined };
const KEYS = TlsScanKeys.generate();

function mod(vuln: TlsVulnCheck, capture = true): TlsModule {
  let seed = 1;
  return new TlsModule({
    captureCert: false, keys: KEYS, vuln, captureHeartbleed: capture, captureTicketbleed: capture,
    random: (n) => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) & 0xff),
  });
}

interface Run {
  banners: Map<string, string>;
  closed: boolean;
  sentRecords: number;
}

/**
 * A conversation between the module and the responder: every server answer is given to the
 * parser cut at `cuts` (offsets into the whole server stream), each piece guarded.
 */
function converse(m: TlsModule, mode: VulnMode, cuts: readonly number[] = []): Run {
  const server = new VulnServer(mode);
  const out = new BannerCollector();
  let closed = false;
  const toServer: Uint8Array[] = [m.hello(T)];
  let sentRecords = 0;
  const conv: Conversation = {
    send: (b) => { toServer.push(Uint8Array.from(b)); sentRecords++; },
    close: () => { closed = true; },
  };
  const p = m.open(T, out, conv);
  let streamAt = 0;
  for (let round = 0; round < 10 && toServer.length > 0; round++) {
    const reply = server.feed(Buffer.concat(toServer.splice(0)));
    let prev = 0;
    const local = cuts.map((c) => c - streamAt).filter((c) => c > 0 && c < reply.length);
    for (const c of [...local, reply.length]) {
      if (c === prev) continue;
      const piece = new Uint8Array(c - prev + 2);
      piece.set(reply.subarray(prev, c), 2);
      p.data(guarded(piece, 2, 2 + c - prev), 2, c - prev);
      prev = c;
    }
    streamAt += reply.length;
    if (server.closed) break;
  }
  p.end();
  const banners = new Map<string, string>();
  for (const i of out.items()) banners.set(i.app, Buffer.from(i.bytes).toString('latin1'));
  return { banners, closed, sentRecords };
}

test('vuln: the hellos carry the checks\' extensions; the ticketbleed one a 1-byte session id', () => {
  const hb = parseClientHelloBody(Buffer.from(mod('heartbleed').hello(T)).subarray(9));
  assert.ok(hb !== null);
  assert.equal(hb.heartbeat, true);
  assert.equal(hb.ticket, null);
  assert.equal(hb.sessionId.length, 32);
  const tb = parseClientHelloBody(Buffer.from(mod('ticketbleed').hello(T)).subarray(9));
  assert.ok(tb !== null);
  assert.equal(tb.heartbeat, false);
  assert.equal(tb.sessionId.length, 1);
  assert.equal(tb.ticket?.length, 64);
  // RFC 6520 §2: extension 15, one byte, peer_allowed_to_send (1)
  const plain = buildClientHello({ random: new Uint8Array(32), sessionId: new Uint8Array(32), keyShares: [] });
  const withHb = buildClientHello({ random: new Uint8Array(32), sessionId: new Uint8Array(32), keyShares: [], heartbeat: true });
  assert.deepEqual([...withHb.subarray(withHb.length - 5)], [0, 15, 0, 1, 1]);
  assert.equal(withHb.length, plain.length + 5);
});

test('vuln: heartbleed: the responder bleeds; vuln names heartbeat and HEARTBLEED, heartbleed holds its memory', () => {
  const r = converse(mod('heartbleed'), 'heartbleed');
  assert.equal(r.banners.get('vuln'), VULN.HEARTBEAT + VULN.HEARTBLEED);
  assert.equal(r.banners.get('safe'), undefined);
  const leak = Buffer.from(r.banners.get('heartbleed') ?? '', 'base64');
  assert.equal(leak.length, HEARTBLEED_LENGTH);
  assert.ok(leak.includes(LEAK_MEMORY), 'the leaked bytes are the server\'s memory');
  assert.ok(r.banners.get('ssl')?.startsWith('TLS/1.2 cipher:0xc02f'));
  assert.equal(r.closed, true);
  assert.equal(r.sentRecords, 1, 'both heartbeat requests in one send');
  // without --capture heartbleed: the verdict only
  const q = converse(mod('heartbleed', false), 'heartbleed');
  assert.equal(q.banners.get('vuln'), VULN.HEARTBEAT + VULN.HEARTBLEED);
  assert.equal(q.banners.get('heartbleed'), undefined);
});

test('vuln: heartbleed: a fixed server answers only the honest request: safe, patched', () => {
  const r = converse(mod('heartbleed'), 'patched');
  assert.equal(r.banners.get('vuln'), VULN.HEARTBEAT);
  assert.equal(r.banners.get('safe'), VULN.PATCHED);
  assert.equal(r.closed, true);
});

test('vuln: heartbleed: a server without the heartbeat extension is safe at once, nothing sent', () => {
  const r = converse(mod('heartbleed'), 'ticketbleed'); // this mode never offers heartbeats
  assert.equal(r.banners.get('vuln'), undefined);
  assert.equal(r.banners.get('safe'), VULN.NO_HEARTBEAT);
  assert.equal(r.sentRecords, 0);
  assert.equal(r.closed, true);
});

test('vuln: ticketbleed: a resumed 32-byte session id starting with our byte leaks 31 bytes', () => {
  const r = converse(mod('ticketbleed'), 'ticketbleed');
  assert.equal(r.banners.get('vuln'), VULN.TICKETBLEED);
  assert.deepEqual(Buffer.from(r.banners.get('ticketbleed') ?? '', 'base64'), memory(31));
  assert.equal(r.closed, true);
  // a full handshake (new session id, a certificate would follow): safe
  const s = converse(mod('ticketbleed'), 'heartbleed');
  assert.equal(s.banners.get('vuln'), undefined);
  assert.equal(s.banners.get('safe'), VULN.NO_LEAK);
});

test('vuln: poodle: the hello is SSL 3.0 (record and client_version 3.0, TLS_FALLBACK_SCSV, no extensions)', () => {
  const h = Buffer.from(mod('poodle').hello(T));
  assert.equal(h[0], 22);
  assert.equal(h.readUInt16BE(1), 0x0300);
  const seen = parseClientHelloBody(h.subarray(9));
  assert.ok(seen !== null);
  assert.equal(seen.version, 0x0300);
  assert.deepEqual(seen.ciphers, [...SSL3_CIPHER_SUITES]);
  assert.ok(seen.ciphers.includes(0x5600));
  assert.equal(seen.sessionId.length, 0);
  assert.equal(seen.heartbeat, false);
  // no extensions: the body ends with the compression methods (one, null)
  assert.equal(h.length, 9 + 2 + 32 + 1 + 2 + 2 * SSL3_CIPHER_SUITES.length + 2);
});

test('vuln: poodle: an SSL 3.0 server: ssl SSLv3, vuln SSL[v3] and POODLE, as masscan', () => {
  const r = converse(mod('poodle'), 'sslv3');
  assert.equal(r.banners.get('ssl'), 'SSLv3 cipher:0x2f');
  assert.equal(r.banners.get('vuln'), VULN.SSL3 + VULN.POODLE);
  assert.equal(r.banners.get('vuln'), 'SSL[v3]  POODLE ');
  assert.equal(r.banners.get('safe'), undefined);
});

test('vuln: poodle: the fatal alerts are the verdict safe: 86 TLS_FALLBACK_SCSV, 40 and others no-SSLv3', () => {
  const s = converse(mod('poodle'), 'sslv3-scsv');
  assert.equal(s.banners.get('safe'), 'poodle[TLS_FALLBACK_SCSV] ');
  assert.equal(s.banners.get('ssl'), undefined, 'masscan writes no ALERT text for 86 under this check');
  assert.equal(s.banners.get('vuln'), undefined);
  assert.equal(s.closed, true);
  const alert = (level: number, d: number): Map<string, string> => {
    const out = new BannerCollector();
    let closed = false;
    const p = mod('poodle').open(T, out, { send: () => undefined, close: () => { closed = true; } });
    p.data(Uint8Array.from([21, 3, 0, 0, 2, level, d]), 0, 7);
    p.end();
    assert.equal(closed, level === 2);
    return new Map(out.items().map((i) => [i.app, Buffer.from(i.bytes).toString('latin1')]));
  };
  assert.deepEqual([...alert(2, 40)], [['safe', VULN.NO_SSL3]]);
  // protocol_version (70): what an SSL 3.0-less OpenSSL (nginx) answers
  assert.deepEqual([...alert(2, 70)], [['safe', VULN.NO_SSL3], ['ssl', ' ALERT(0x0246) ']]);
  // a warning is no verdict
  assert.deepEqual([...alert(1, 112)], [['ssl', ' ALERT(0x0170) ']]);
  // without the check, an SSL 3.0 ServerHello is still a vuln of its own (masscan's BANNER_VERSION)
  const plain = converse(new TlsModule({ captureCert: false, keys: KEYS, random: (n) => new Uint8Array(n).fill(1) }), 'sslv3');
  assert.equal(plain.banners.get('vuln'), undefined, 'our usual hello is TLS: the SSL 3.0 responder refuses it');
});

test('vuln: the verdicts are the same at any split of the server stream', () => {
  for (const [check, mode] of [['heartbleed', 'heartbleed'], ['heartbleed', 'patched'], ['ticketbleed', 'ticketbleed'],
    ['poodle', 'sslv3'], ['poodle', 'sslv3-scsv']] as const) {
    const whole = converse(mod(check), mode);
    fc.assert(fc.property(fc.uniqueArray(fc.nat(16_600), { maxLength: 8 }), (raw) => {
      const r = converse(mod(check), mode, [...raw].sort((a, b) => a - b));
      assert.deepEqual([...r.banners], [...whole.banners]);
      assert.equal(r.closed, whole.closed);
    }), { numRuns: Math.min(RUNS, 60) });
  }
});

test('vuln: ServerHello heartbeat extension parsed; a wrong length is malformed', () => {
  const sh = (ext: number[]): Uint8Array => Uint8Array.from([3, 3, ...new Array<number>(32).fill(1), 0, 0xc0, 0x2f, 0, 0, ext.length, ...ext]);
  const ok = parseServerHello(sh([0, 15, 0, 1, 2]));
  assert.ok(typeof ok !== 'string');
  assert.equal(ok.heartbeatMode, 2);
  assert.equal(parseServerHello(sh([0, 15, 0, 2, 1, 1])), 'malformed');
  const none = parseServerHello(sh([]));
  assert.ok(typeof none !== 'string');
  assert.equal(none.heartbeatMode, -1);
});

test('vuln: heartbeat requests: the bleed probe has no payload; the honest one 16 bytes of padding', () => {
  assert.deepEqual([...buildHeartbeatRequest(0x0302, 0x4000, new Uint8Array(0))], [24, 3, 2, 0, 3, 1, 0x40, 0]); // masscan's bytes
  const h = buildHeartbeatRequest(0x0303, 2, Uint8Array.of(7, 8));
  assert.deepEqual([...h.subarray(0, 10)], [24, 3, 3, 0, 21, 1, 0, 2, 7, 8]);
  assert.equal(h.length, 5 + 3 + 2 + 16);
});

test('vuln: fuzz: the heartbeat reader never reads out of bounds and delivers at most payload_length bytes', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), fc.boolean(), (records, restart) => {
    const r = new HeartbeatReader();
    let declared = 0;
    let got = 0;
    const sink: HeartbeatSink = {
      heartbeatStart: (_t, n) => { declared += n; },
      heartbeatPayload: (_b, _o, n) => { got += n; },
      heartbeatEnd: () => {},
    };
    for (const rec of records) {
      if (restart) r.recordStart();
      const piece = new Uint8Array(rec.length + 4);
      piece.set(rec, 2);
      r.push(guarded(piece, 2, 2 + rec.length), 2, rec.length, sink);
    }
    assert.ok(got <= declared);
  }), { numRuns: RUNS });
});

test('vuln: the heartbeat reader gives the same messages whole, byte by byte and at random split points', () => {
  /** The sink's calls as text: start(type,len), the payload bytes in hex, end; and the stop. */
  const run = (records: readonly Uint8Array[], cuts: (rec: Uint8Array) => number[]): string => {
    const r = new HeartbeatReader();
    let log = '';
    const sink: HeartbeatSink = {
      heartbeatStart: (t, n) => { log += `S${t},${n};`; },
      heartbeatPayload: (b, o, n) => { log += Buffer.from(b.subarray(o, o + n)).toString('hex'); },
      heartbeatEnd: () => { log += ';E;'; },
    };
    for (const rec of records) {
      r.recordStart();
      let prev = 0;
      for (const c of [...cuts(rec), rec.length]) {
        if (c <= prev || c > rec.length) continue;
        const piece = new Uint8Array(c - prev + 2);
        piece.set(rec.subarray(prev, c), 1);
        r.push(guarded(piece, 1, 1 + c - prev), 1, c - prev, sink);
        prev = c;
      }
    }
    return `${log}|${r.error ?? ''}`;
  };
  // a response of 40 bytes of payload spread over two records, with its padding, then garbage
  const msg = Uint8Array.from([2, 0, 40, ...Array.from({ length: 30 }, (_, k) => k)]);
  const rest = Uint8Array.from([...Array.from({ length: 10 }, (_, k) => 100 + k), ...new Array<number>(16).fill(0)]);
  const fixed = [msg, rest, Uint8Array.of(1, 0, 0, 9, 9), Uint8Array.of(7, 1, 2)];
  // mostly records that start a message (type 1 or 2), some garbage
  const record = fc.tuple(fc.uint8Array({ maxLength: 80 }), fc.nat(4)).map(([b, k]) => (b.length > 0 && k > 0 ? Uint8Array.from([1 + (b[0]! & 1), ...b.subarray(1)]) : b));
  fc.assert(fc.property(fc.oneof(fc.constant(fixed), fc.array(record, { maxLength: 5 })), fc.array(fc.nat(80), { maxLength: 6 }), (records, raw) => {
    const whole = run(records, () => []);
    assert.equal(run(records, (rec) => Array.from({ length: rec.length }, (_, k) => k)), whole);
    assert.equal(run(records, () => [...raw].sort((a, b) => a - b)), whole);
  }), { numRuns: RUNS });
  assert.match(run(fixed, () => []), /^S2,40;[0-9a-f]{80};E;S1,0;;E;\|malformed$/);
});
