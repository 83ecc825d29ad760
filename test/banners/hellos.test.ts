import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, readFileSync } from 'node:fs';
import {
  HELLO_PROTOS, afpGetStatus, dicomAssociateRq, dnsVersionBindQuery, helloModule, kerberosAsReq, ldapRootDseSearch,
  minecraftStatus, mongoServerStatus, mssqlPrelogin, notesRpcHello, rpcNullCall, type HelloProto,
} from '../../src/banners/hellos.js';
import { buildBanners, defaultBannerConfig } from '../../src/banners/registry.js';
import { berAt } from '../../src/codec/ber.js';
import { assertSplitInvariant, bannerVector, guarded, latin1, runGuarded, RUNS, T4, text } from './helpers.js';

const P = (name: string): HelloProto => HELLO_PROTOS.find((p) => p.name === name)!;
const M = (name: string) => helloModule(P(name));
const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const cat = (...b: (Uint8Array | number[])[]): Uint8Array => Uint8Array.from(b.flatMap((x) => [...x]));
const be16 = (n: number): number[] => [n >> 8, n & 0xff];
const be32 = (n: number): number[] => [n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];

/** Reply of `name`, split-invariant, recognised as `app` with `text` (and the service field). */
function expectReading(name: string, reply: Uint8Array, app: string, want: string | RegExp): void {
  const r = assertSplitInvariant(M(name), reply, 30);
  assert.equal(r.items.length, 1, JSON.stringify(r.items));
  assert.equal(r.items[0]!.app, app);
  if (typeof want === 'string') assert.equal(r.items[0]!.text, want);
  else assert.match(r.items[0]!.text, want);
  assert.deepEqual(r.items[0]!.fields, { service: P(name).service });
  assert.equal(r.closes, 1);
}

test('hellos: the registry gives every §9.3 port its probe', () => {
  const b = buildBanners(defaultBannerConfig('0.1.0'));
  const want: [number, string][] = [[53, 'dns-tcp'], [135, 'dns-tcp'], [50001, 'dns-tcp'], [88, 'kerberos'], [111, 'sunrpc'], [2049, 'sunrpc'],
    [389, 'ldap'], [3268, 'ldap'], [11711, 'ldap'], [5060, 'sip'], [31337, 'sip'], [554, 'rtsp'], [8554, 'rtsp'], [2375, 'http-version'],
    [2380, 'http-version'], [1099, 'rmi'], [6000, 'x11'], [6019, 'x11'], [27017, 'mongodb'], [104, 'dicom'], [11112, 'dicom'],
    [1433, 'mssql'], [548, 'afp'], [25565, 'minecraft'], [445, 'smb'], [139, 'smb'], [3389, 'rdp'], [130, 'notes-rpc'], [427, 'notes-rpc'],
    [1352, 'notes-rpc'], [1972, 'notes-rpc'], [7171, 'notes-rpc'], [8728, 'notes-rpc'], [22001, 'notes-rpc']];
  for (const [port, name] of want) assert.equal(b.forPort(port)?.name, name, String(port));
  assert.equal(b.forPort(6020), null);
  assert.equal(b.forPort(3306), null); // MySQL speaks first
});

test('hellos: the bytes the sheet gives (RTSP, /version, SIP first line, JRMI, Kerberos realm/service)', () => {
  const h = (name: string, port = 1): string => text(P(name).hello({ ...T4, port }));
  assert.equal(h('rtsp'), 'OPTIONS / RTSP/1.0\r\n\r\n');
  assert.equal(h('http-version'), 'GET /version HTTP/1.1\r\n\r\n');
  assert.ok(h('sip').startsWith('OPTIONS sip:nm SIP/2.0\r\n') && h('sip').endsWith('\r\n\r\n'));
  assert.equal(h('rmi'), 'JRMI\0\x02\x4b');
  const k = kerberosAsReq();
  assert.equal(Buffer.from(k).readUInt32BE(0), k.length - 4);
  assert.equal(k[4], 0x6a); // [APPLICATION 10] AS-REQ
  assert.ok(text(k).includes('\x1b\x06krbtgt\x1b\x02NM'));
  assert.ok(berAt(k, 4, k.length)!.end === k.length);
});

/**
 * masscan HEAD's hello table, byte for byte. Twelve of its probes are nmap-service-probes' (the
 * name after each entry; the port lists of §9.3 are those probes' lists); DICOM is an
 * A-ASSOCIATE-RQ as DCMTK 3.6.2's echoscu sends it and Minecraft a status ping to
 * localhost:25565 with protocol 759, both from masscan's own source.
 */
const MASSCAN_HELLOS: readonly (readonly [string, string | null, string])[] = [
  ['dns-tcp', 'DNSVersionBindReqTCP', '001e0006010000010000000000000776657273696f6e0462696e640000100003'],
  ['kerberos', 'Kerberos', '000000716a816e30816ba103020105a20302010aa4815e305ca00703050050800010a2041b024e4da3173015a003020100a10e300c1b066b72627467741b024e4da511180f31393730303130313030303030305aa70602041f1eb9d9a8173015020112020111020110020117020101020103020102'],
  ['sunrpc', 'RPCCheck', '8000002872fe1d130000000000000002000186a00001977c0000000000000000000000000000000000000000'],
  ['ldap', 'LDAPSearchReq', '30840000002d02010763840000002404000a01000a0100020100020164010100870b6f626a656374436c617373308400000000'],
  ['sip', 'SIPOptions', Buffer.from('OPTIONS sip:nm SIP/2.0\r\nVia: SIP/2.0/TCP nm;branch=foo\r\nFrom: <sip:nm@nm>;tag=root\r\nTo: <sip:nm2@nm2>\r\n' +
    'Call-ID: 50000\r\nCSeq: 42 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\nContact: <sip:nm@nm>\r\nAccept: application/sdp\r\n\r\n').toString('hex')],
  ['rtsp', 'RTSPRequest', Buffer.from('OPTIONS / RTSP/1.0\r\n\r\n').toString('hex')],
  ['http-version', null, Buffer.from('GET /version HTTP/1.1\r\n\r\n').toString('hex')],
  ['rmi', 'JavaRMI', '4a524d4900024b'],
  ['x11', 'X11Probe', '6c000b000000000000000000'],
  ['mongodb', 'mongodb', '410000003a300000ffffffffd407000000000000746573742e24636d640000000000ffffffff1b0000000173657276657253746174757300000000000000f03f00'],
  ['dicom', null, '0100000000cd00010000' + Buffer.from('ANY-SCP         ECHOSCU         ').toString('hex') + '00'.repeat(32) +
    '10000015' + Buffer.from('1.2.840.10008.3.1.1.1').toString('hex') + '2000002e01000000' +
    '30000011' + Buffer.from('1.2.840.10008.1.1').toString('hex') + '40000011' + Buffer.from('1.2.840.10008.1.2').toString('hex') +
    '5000003a510000040000400052' + '00001b' + Buffer.from('1.2.276.0.7230010.3.0.3.6.2').toString('hex') + '5500000f' + Buffer.from('OFFIS_DCMTK_362').toString('hex')],
  ['mssql', 'ms-sql-s', '1201003400000000000015000601001b000102001c000c0300280004ff080001550000004d5353514c53657276657200480f0000'],
  ['afp', 'afp', '000300010000000000000002000000000f00'],
  ['minecraft', null, '1000f705096c6f63616c686f737463dd010100'],
  ['notes-rpc', 'NotesRPC', '3a0000002f00000002000040020f0001003d05' + '00'.repeat(12) + '2f' + '00'.repeat(9) + '401f' + '00'.repeat(17)],
];

/** The TCP probes of an nmap-service-probes file, by name (q|...| with its \xHH, \0, \r, \n, \t escapes). */
function nmapProbes(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of readFileSync(file, 'latin1').matchAll(/^Probe TCP (\S+) q\|(.*)\|/gm)) {
    const q = m[2]!;
    const bytes: number[] = [];
    for (let i = 0; i < q.length; i++) {
      if (q[i] !== '\\') { bytes.push(q.charCodeAt(i)); continue; }
      const c = q[++i]!;
      if (c === 'x') { bytes.push(parseInt(q.slice(i + 1, i + 3), 16)); i += 2; } else bytes.push({ 0: 0, r: 13, n: 10, t: 9 }[c] ?? c.charCodeAt(0));
    }
    out.set(m[1]!, Buffer.from(bytes).toString('hex'));
  }
  return out;
}

test("hellos: every probe is masscan HEAD's, byte for byte, on every port of its row (and nmap's own file agrees)", () => {
  assert.deepEqual(MASSCAN_HELLOS.map(([n]) => n).sort(), HELLO_PROTOS.map((p) => p.name).sort());
  for (const [name, , want] of MASSCAN_HELLOS) {
    for (const port of P(name).ports.flatMap((x) => (typeof x === 'number' ? [x] : [x[0], x[1]]))) {
      assert.equal(Buffer.from(P(name).hello({ ...T4, port })).toString('hex'), want, `${name} on ${port}`);
    }
  }
  // Debian's nmap package (scripts/setup.sh installs it) ships the file the twelve come from
  const file = '/usr/share/nmap/nmap-service-probes';
  assert.ok(existsSync(file), `${file} is missing: install nmap (bash scripts/setup.sh does)`);
  const nmap = nmapProbes(file);
  for (const [name, probe, want] of MASSCAN_HELLOS) if (probe !== null) assert.equal(nmap.get(probe), want, `${name}: nmap's ${probe}`);
  // the BER long forms the Kerberos and LDAP probes use still read as one TLV to the end
  const k = kerberosAsReq();
  assert.equal(berAt(k, 4, k.length)!.end, k.length);
  const l = ldapRootDseSearch();
  assert.equal(berAt(l, 0, l.length)!.end, l.length);
  assert.equal(Buffer.from(rpcNullCall()).readUInt32BE(20), 104316);
  assert.equal(Buffer.from(mongoServerStatus()).readUInt32LE(0), 65);
  assert.equal(Buffer.from(dicomAssociateRq()).readUInt32BE(2), 205);
  assert.equal(Buffer.from(mssqlPrelogin()).readUInt16BE(2), 52);
  assert.equal(afpGetStatus().length, 18);
  assert.equal(minecraftStatus()[0], 16);
  assert.equal(Buffer.from(dnsVersionBindQuery()).readUInt16BE(2), 6);
});

test('hellos: DNS version.bind TXT answer -> dns-ver; an error -> unknown text', () => {
  // RFC 1035 §4.1 response, hand-built: id, QR|AA|RD, 1 question, 1 answer (pointer to the
  // question's name), TXT CH, TTL 0, rdata one character-string "9.18.28"
  const msg = hex('7444 8500 0001 0001 0000 0000 0776657273696f6e0462696e6400 0010 0003 c00c 0010 0003 00000000 0008 07') ;
  const full = cat(msg, latin1('9.18.28'));
  expectReading('dns-tcp', cat(be16(full.length), full), 'dns-ver', '9.18.28');
  const refused = hex('7444 8105 0001 0000 0000 0000 0776657273696f6e0462696e6400 0010 0003');
  expectReading('dns-tcp', cat(be16(refused.length), refused), 'unknown', 'dns rcode=5 answers=0');
});

test('hellos: Kerberos KRB-ERROR (RFC 4120 §5.9.1, hand-built DER)', () => {
  const t = (tag: number, body: number[]): number[] => [tag, body.length, ...body];
  const str = (s: string): number[] => t(0x1b, [...latin1(s)]);
  const seq = t(0x30, [
    ...t(0xa0, t(0x02, [5])), ...t(0xa1, t(0x02, [30])), ...t(0xa4, t(0x18, [...latin1('20261203211500Z')])),
    ...t(0xa5, t(0x02, [0])), ...t(0xa6, t(0x02, [6])), ...t(0xa9, str('NM')),
    ...t(0xaa, t(0x30, [...t(0xa0, t(0x02, [2])), ...t(0xa1, t(0x30, [...str('krbtgt'), ...str('NM')]))])),
  ]);
  const err = t(0x7e, seq);
  expectReading('kerberos', cat(be32(err.length), err), 'unknown', 'kerberos error=6 (KDC_ERR_C_PRINCIPAL_UNKNOWN) realm=NM stime=20261203211500Z');
});

test('hellos: Sun RPC replies (RFC 5531 §9: accepted SUCCESS, PROG_MISMATCH; denied)', () => {
  const rm = (words: number[]): Uint8Array => cat(be32(0x80000000 | (words.length * 4)), words.flatMap(be32));
  expectReading('sunrpc', rm([0x74696465, 1, 0, 0, 0, 0]), 'unknown', 'rpc reply accepted stat=SUCCESS');
  expectReading('sunrpc', rm([0x74696465, 1, 0, 0, 0, 2, 2, 4]), 'unknown', 'rpc reply accepted stat=PROG_MISMATCH low=2 high=4');
  expectReading('sunrpc', rm([0x74696465, 1, 1, 1, 5]), 'unknown', 'rpc reply denied stat=AUTH_ERROR');
});

test('hellos: LDAP root DSE entry and a result (RFC 4511 §4.5.2, hand-built as OpenLDAP answers)', () => {
  const t = (tag: number, body: number[]): number[] => [tag, body.length, ...body];
  const os = (s: string): number[] => t(0x04, [...latin1(s)]);
  const entry = t(0x30, [...t(0x02, [1]), ...t(0x64, [...os(''), ...t(0x30, [...t(0x30, [...os('objectClass'), ...t(0x31, [...os('top'), ...os('OpenLDAProotDSE')])])])])]);
  expectReading('ldap', Uint8Array.from(entry), 'unknown', 'ldap searchResEntry dn="" objectClass=top,OpenLDAProotDSE');
  const done = t(0x30, [...t(0x02, [1]), ...t(0x65, [...t(0x0a, [32]), ...os(''), ...os('no such object')])]);
  expectReading('ldap', Uint8Array.from(done), 'unknown', 'ldap searchResDone result=32 message=no such object');
});

test('hellos: SIP, RTSP, HTTP /version replies (status line, chosen headers, JSON body)', () => {
  expectReading('sip', latin1('SIP/2.0 200 OK\r\nVia: x\r\nServer: Asterisk PBX 18.0\r\nAllow: INVITE, OPTIONS\r\nContent-Length: 0\r\n\r\n'),
    'unknown', 'SIP/2.0 200 OK server=Asterisk PBX 18.0 allow=INVITE, OPTIONS');
  expectReading('rtsp', latin1('RTSP/1.0 200 OK\r\nCSeq: 1\r\nPublic: OPTIONS, DESCRIBE\r\nServer: GStreamer RTSP server\r\n\r\n'),
    'unknown', 'RTSP/1.0 200 OK server=GStreamer RTSP server public=OPTIONS, DESCRIBE');
  const body = '{"etcdserver":"3.4.23","etcdcluster":"3.4.0"}';
  expectReading('http-version', latin1(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}trailing`),
    'unknown', `HTTP/1.1 200 OK ${body}`);
});

test('hellos: RMI ProtocolAck, X11 setup replies, MongoDB OP_REPLY, DICOM, MS-SQL, AFP, Minecraft', () => {
  expectReading('rmi', cat([0x4e], be16(10), latin1('198.18.0.1'), be32(50432)), 'unknown', 'rmi ProtocolAck host=198.18.0.1 port=50432');
  // X11 "Failed": reason length 38 (padded to 40), major 11, minor 0, additional length 10 words
  const reason = 'No protocol specified\n'.padEnd(40, '\0');
  expectReading('x11', cat([0, 22, 11, 0, 0, 0, 10, 0], latin1(reason)), 'unknown', 'x11 failed 11.0 reason=No protocol specified.');
  // X11 "Success": release 12101004, vendor "The X.Org Foundation" (20 bytes) at 40, padded
  const succ = new Uint8Array(8 + 4 * 13);
  succ.set([1, 0, 11, 0, 0, 0, 13, 0]);
  Buffer.from(succ.buffer).writeUInt32LE(12101004, 8);
  Buffer.from(succ.buffer).writeUInt16LE(20, 24);
  succ.set(latin1('The X.Org Foundation'), 40);
  expectReading('x11', succ, 'unknown', 'x11 success 11.0 release=12101004 vendor=The X.Org Foundation');
  // MongoDB OP_REPLY with {ok: 0.0, errmsg: "...", codeName: "Unauthorized"} (BSON spec types 0x01, 0x02)
  const el = (type: number, name: string, v: number[]): number[] => [type, ...latin1(name), 0, ...v];
  const bstr = (s: string): number[] => { const b = [...latin1(s), 0]; return [...le32(b.length), ...b]; };
  function le32(n: number): number[] { return [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24]; }
  const docBody = [...el(0x01, 'ok', [0, 0, 0, 0, 0, 0, 0, 0]), ...el(0x02, 'errmsg', bstr('command serverStatus requires authentication')), ...el(0x02, 'codeName', bstr('Unauthorized')), 0];
  const doc = [...le32(docBody.length + 4), ...docBody];
  const reply = [...le32(0), ...le32(7), ...le32(0x74696465), ...le32(1), ...le32(0), 0, 0, 0, 0, 0, 0, 0, 0, ...le32(0), ...le32(1), ...doc];
  const lenFixed = [...le32(reply.length), ...reply.slice(4)];
  expectReading('mongodb', Uint8Array.from(lenFixed), 'unknown', 'mongodb ok=0 errmsg=command serverStatus requires authentication codeName=Unauthorized');
  // DICOM A-ASSOCIATE-RJ (PS3.8 §9.3.4): result 1 (permanent), source 1 (user), reason 7 (called AE not recognized)
  expectReading('dicom', Uint8Array.from([3, 0, 0, 0, 0, 4, 0, 1, 1, 7]), 'unknown', 'dicom associate-rj result=1 source=1 reason=7');
  // MS-SQL PRELOGIN response (MS-TDS §2.2.6.5): VERSION 15.0.2000.5, ENCRYPTION off
  const tds = [0, 0, 11, 0, 6, 1, 0, 17, 0, 1, 0xff, 15, 0, 0x07, 0xd0, 0, 5, 0];
  expectReading('mssql', Uint8Array.from([4, 1, 0, 8 + tds.length, 0, 0, 1, 0, ...tds]), 'unknown', 'mssql version=15.0.2000.5 encryption=off');
  // AFP DSIGetStatus reply: DSI header (flags 1, command 3, length), FPGetSrvrInfo block:
  // MachineType at 20, AFPVersions at 27, server name "sink" at 10
  const info = [0, 20, 0, 27, 0, 0, 0, 0, 0x80, 0x00, 4, ...latin1('sink'), 0, 0, 0, 0, 0, 6, ...latin1('Netatalk'), 1, 6, ...latin1('AFP3.4')];
  // fix offsets to the layout above: name at 10 (5 bytes) -> 15; MachineType string at 20
  info.splice(15, 5, 0, 0, 0, 0, 0);
  const afpInfo = Uint8Array.from(info);
  expectReading('afp', cat([1, 3, 0x74, 0x69, 0, 0, 0, 0], be32(afpInfo.length), [0, 0, 0, 0], afpInfo), 'unknown', /^afp name=sink machine=.* versions=/);
  // Minecraft status response: [len][0x00][strlen]{json}
  const json = '{"version":{"name":"1.20.4","protocol":765},"players":{"max":20,"online":0},"description":{"text":"A Minecraft Server"}}';
  const pkt = [0, json.length & 0x7f | 0x80, json.length >> 7, ...latin1(json)];
  expectReading('minecraft', Uint8Array.from([pkt.length & 0x7f | 0x80, pkt.length >> 7, ...pkt]), 'minecraft', json);
});

test('hellos: Lotus Notes RPC answer (hand-built in the shape of nmap-service-probes 7.93\'s lotusnotes match lines)', () => {
  const probe = notesRpcHello();
  assert.equal(Buffer.from(probe).readUInt32LE(0), probe.length - 2); // the probe's own framing: 58 of 60
  // type 3, the constant, then (as the match lines allow anything between) a version block, the
  // 03 00 00 00 00 02 00 2f 00 marker, a byte, seven zeros and the server's hierarchical name
  const tail = cat([5, 0, 0x39, 5, 1, 2, 3, 4, 5, 3, 0, 0, 0, 0, 2, 0, 0x2f, 0, 0x12, 0, 0, 0, 0, 0, 0, 0], latin1('CN=domino1/OU=Mail/O=Example'), [0, 0, 0]);
  const reply = (body: Uint8Array, type = 3): Uint8Array => {
    const l = 8 + 7 + body.length - 2;
    return cat([l & 0xff, l >> 8, 0, 0, (l - 11) & 0xff, (l - 11) >> 8, 0, 0, type, 0, 0, 0x40, 2, 0x0f, 0], body);
  };
  expectReading('notes-rpc', reply(tail), 'unknown', 'notes-rpc type=3 server=CN=domino1/OU=Mail/O=Example');
  expectReading('notes-rpc', reply(Uint8Array.from([5, 0, 0x39, 5, 0, 0])), 'unknown', 'notes-rpc type=3');
  // not the constant: kept raw, whole
  const other = reply(tail);
  other[12] = 0x07;
  const r = assertSplitInvariant(M('notes-rpc'), other);
  assert.deepEqual(r.items, [{ app: 'unknown', text: text(other) }]);
  // an HTTP server on 1352: not this framing, raw
  const h = assertSplitInvariant(M('notes-rpc'), latin1('HTTP/1.0 400 Bad Request\r\n\r\n'));
  assert.deepEqual(h.items, [{ app: 'unknown', text: 'HTTP/1.0 400 Bad Request\r\n\r\n' }]);
});

test('hellos: unrecognised replies are kept raw as unknown', () => {
  const r = assertSplitInvariant(M('ldap'), latin1('HTTP/1.0 400 Bad Request\r\n\r\n'));
  assert.deepEqual(r.items, [{ app: 'unknown', text: 'HTTP/1.0 400 Bad Request\r\n\r\n' }]);
  const s = assertSplitInvariant(M('sip'), latin1('SSH-2.0-x\r\n\r\n'));
  assert.deepEqual(s.items, [{ app: 'unknown', text: 'SSH-2.0-x\r\n\r\n' }]);
  // the connection ends mid-message: what came, raw
  const d = assertSplitInvariant(M('dns-tcp'), Uint8Array.from([0, 50, 1, 2]));
  assert.deepEqual(d.items, [{ app: 'unknown', text: '\0\x32\x01\x02' }]);
  assert.equal(d.closes, 0);
});

test('hellos fuzz: every reader, random and framed bytes: no throw, in bounds, bounded', () => {
  fc.assert(fc.property(fc.nat(HELLO_PROTOS.length - 1), fc.uint8Array({ maxLength: 300 }), fc.nat(300), fc.boolean(), (k, bytes, cut, frame) => {
    const p = HELLO_PROTOS[k]!;
    const b = frame && bytes.length > 4 ? cat(be32(bytes.length), bytes.subarray(4)) : bytes;
    // the reader alone, on a guarded buffer
    p.read(guarded(b, 0, b.length), b.length);
    p.need(guarded(b, 0, b.length), b.length);
    const { items, conv } = runGuarded(helloModule(p), [b.slice(0, cut), b.slice(cut)]);
    assert.ok(items.length <= 1);
    for (const i of items) assert.ok(i.bytes.length <= 4096 + 2048);
    assert.ok(conv.closes <= 1);
  }), { numRuns: RUNS * 5 });
});

test('hellos: real dnsmasq 2.90 (version.bind over TCP) and real Xtigervnc 1.12 (X11 setup)', () => {
  const dns = bannerVector('dnsmasq-version-bind.txt');
  assert.equal(text(dns.sent), text(dnsVersionBindQuery()));
  expectReading('dns-tcp', dns.received, 'dns-ver', 'dnsmasq-2.90');
  const x = bannerVector('xtigervnc-x11.txt');
  assert.equal(text(x.sent), text(P('x11').hello({ ...T4, port: 6037 })));
  expectReading('x11', x.received, 'unknown', 'x11 success 11.0 release=12101006 vendor=The X.Org Foundation');
});

test("hellos: real rpcbind 1.2.6: masscan's probe gets PROG_MISMATCH with the versions served; NULL calls to the portmapper and to NFS", () => {
  const v = bannerVector('rpcbind-version-mismatch.txt');
  assert.equal(text(v.sent), text(rpcNullCall()));
  expectReading('sunrpc', v.received, 'unknown', 'rpc reply accepted stat=PROG_MISMATCH low=2 high=4');
  // earlier captures of two NULL calls (portmapper v2, NFS v3): the reader's other answers from the same server
  expectReading('sunrpc', bannerVector('rpcbind-null.txt').received, 'unknown', 'rpc reply accepted stat=SUCCESS');
  expectReading('sunrpc', bannerVector('rpcbind-nfs-null.txt').received, 'unknown', 'rpc reply accepted stat=PROG_UNAVAIL');
});
