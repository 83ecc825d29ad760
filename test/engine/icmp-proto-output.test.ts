/**
 * How the records the receiver makes for ICMP timestamp replies (ip_proto 1, port 1) and for
 * other IP protocols (ip_proto n, port n) come out of every output format, as they stand
 * (src/output is not changed for them): -oL/-oJ/-oD/-oG/-oX/-oB, --readscan of the -oB file,
 * and the interactive lines. masscan itself never writes such records (it reports no
 * timestamp reply and sends no O: probe), so the shapes follow its rules for unknown
 * protocols: the proto word is `err` in the text formats (reference §4.1), the grepable
 * service is the protocol's name (§4.6), and nmap's XML has `protocol="ip"` ports.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputSet } from '../../src/output/outputs.js';
import { ServiceTable } from '../../src/output/services.js';
import type { ScanMeta } from '../../src/output/format.js';
import type { StatusRecord } from '../../src/core/record.js';
import { recordFromRing } from '../../src/engine/scan.js';
import { RecordRing, RecordWord } from '../../src/engine/ring.js';
import { RecStatus, OPROTO_PORT_BASE, ICMP_TIMESTAMP_PORT } from '../../src/probes/reply.js';
import { options, testIo, tmpDir, rmDir, xmlValid, jqValid, requireTool, ourReadscan } from '../output/helpers.js';

const TS = 1700000000;
const META: ScanMeta = {
  startTime: TS,
  version: '0.1.0',
  portsScanned: [
    { begin: ICMP_TIMESTAMP_PORT, end: ICMP_TIMESTAMP_PORT },
    { begin: OPROTO_PORT_BASE + 47, end: OPROTO_PORT_BASE + 47 },
    { begin: OPROTO_PORT_BASE + 50, end: OPROTO_PORT_BASE + 50 },
  ],
  commandLine: 'tidescan -pI:1,O:47,O:50 198.18.0.5 --range 2001:db8::5 --show closed',
};

/** The records as the engine makes them: through the record ring and recordFromRing. */
function engineRecords(): StatusRecord[] {
  const ring = RecordRing.create(8);
  const put = (version: number, ip: number[], proto: number, port: number, status: number, ttl: number): void => {
    const o = ring.reserve();
    const w = ring.data;
    w.fill(0, o, o + ring.words);
    w[o + RecordWord.KIND] = 1; w[o + RecordWord.TIME] = TS; w[o + RecordWord.VERSION] = version;
    w[o + RecordWord.IP0] = ip[0]!; w[o + RecordWord.IP1] = ip[1] ?? 0; w[o + RecordWord.IP2] = ip[2] ?? 0; w[o + RecordWord.IP3] = ip[3] ?? 0;
    w[o + RecordWord.PROTO] = proto; w[o + RecordWord.PORT] = port; w[o + RecordWord.STATUS] = status; w[o + RecordWord.TTL] = ttl;
  };
  put(4, [0xc6120005], 1, 1, RecStatus.OPEN, 64); // timestamp reply
  put(4, [0xc6120005], 47, 47, RecStatus.CLOSED, 64); // GRE: protocol unreachable
  put(6, [0x20010db8, 0, 0, 5], 50, 50, RecStatus.CLOSED, 64); // ESP: parameter problem
  ring.publish();
  const out: StatusRecord[] = [];
  ring.drain((w, o) => { out.push(recordFromRing(w, o)); });
  return out;
}

const SERVICES = new ServiceTable(undefined, 'icmp 1 ICMP\ngre 47 GRE\nesp 50 IPSEC-ESP\n');

function writeAll(dir: string, formats: readonly (readonly [string, string])[], stdoutFd = 1): void {
  const set = OutputSet.open(options({ outputs: formats.map(([format, f]) => ({ format, filename: path.join(dir, f) })), services: SERVICES }), META, { ...testIo(), stdoutFd });
  for (const r of engineRecords()) set.write(r);
  set.closeAll();
}

test('records through the ring: ip_proto/port 1/1 (timestamp) and n/n (other protocols)', () => {
  const r = engineRecords();
  assert.deepEqual(r.map((x) => [x.ipProto, x.port, x.status]), [[1, 1, 'open'], [47, 47, 'closed'], [50, 50, 'closed']]);
});

test('-oL / -oJ / -oD / -oG print them with masscan\'s rules for other protocols', () => {
  requireTool('jq');
  const dir = tmpDir('icmpproto');
  try {
    writeAll(dir, [['list', 'o.txt'], ['json', 'o.json'], ['ndjson', 'o.ndjson'], ['grepable', 'o.gnmap']]);
    const list = fs.readFileSync(path.join(dir, 'o.txt'), 'utf8');
    assert.equal(list, '#masscan\n' +
      `open icmp 1 198.18.0.5 ${TS}\nclosed err 47 198.18.0.5 ${TS}\nclosed err 50 2001:db8::5 ${TS}\n# end\n`);
    assert.equal(jqValid(path.join(dir, 'o.json')), '');
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'o.json'), 'utf8')) as { ip: string; ports: Record<string, unknown>[] }[];
    assert.deepEqual(json.map((h) => [h.ip, h.ports[0]]), [
      ['198.18.0.5', { port: 1, proto: 'icmp', status: 'open', reason: 'none', ttl: 64 }],
      ['198.18.0.5', { port: 47, proto: 'err', status: 'closed', reason: 'none', ttl: 64 }],
      ['2001:db8::5', { port: 50, proto: 'err', status: 'closed', reason: 'none', ttl: 64 }],
    ]);
    assert.equal(jqValid(path.join(dir, 'o.ndjson'), true), '');
    const nd = fs.readFileSync(path.join(dir, 'o.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { port: number; proto: string });
    assert.deepEqual(nd.map((x) => `${x.proto}/${x.port}`), ['icmp/1', 'err/47', 'err/50']);
    const g = fs.readFileSync(path.join(dir, 'o.gnmap'), 'utf8').split('\n');
    assert.match(g[1]!, /^# Ports scanned: TCP\(0;\) UDP\(0;\) SCTP\(0;\) PROTOCOLS\(2;196911-196911,196914-196914\)$/);
    assert.ok(g.includes(`Timestamp: ${TS}\tHost: 198.18.0.5 ()\tPorts: 1/open/icmp//icmp//`), g.join('\n'));
    assert.ok(g.includes(`Timestamp: ${TS}\tHost: 198.18.0.5 ()\tPorts: 47/closed/err//gre//`), g.join('\n'));
    assert.ok(g.includes(`Timestamp: ${TS}\tHost: 2001:db8::5 ()\tPorts: 50/closed/err//esp//`), g.join('\n'));
  } finally {
    rmDir(dir);
  }
});

test('-oX: valid against nmap.dtd; other protocols are protocol="ip" ports, ICMP replies host-only', () => {
  requireTool('xmllint');
  const dir = tmpDir('icmpproto-x');
  try {
    writeAll(dir, [['xml', 'o.xml']]);
    const f = path.join(dir, 'o.xml');
    assert.equal(xmlValid(f), '');
    const x = fs.readFileSync(f, 'utf8');
    assert.match(x, /<scaninfo type="ipproto" protocol="ip" numservices="2" services="47,50"\/>/);
    assert.match(x, /<host endtime="1700000000"><status state="up" reason="timestamp-reply" reason_ttl="64"\/><address addr="198.18.0.5" addrtype="ipv4"\/><\/host>/);
    assert.match(x, /<address addr="198.18.0.5" addrtype="ipv4"\/><ports><port protocol="ip" portid="47"><state state="closed" reason="none" reason_ttl="64"\/>/);
    assert.match(x, /<address addr="2001:db8::5" addrtype="ipv6"\/><ports><port protocol="ip" portid="50"><state state="closed"/);
  } finally {
    rmDir(dir);
  }
});

test('-oB then --readscan gives the same records back (ip_proto and port kept)', async () => {
  const dir = tmpDir('icmpproto-b');
  try {
    writeAll(dir, [['binary', 'o.bin']]);
    const back = path.join(dir, 'back.txt');
    const { rc, stderr } = await ourReadscan([path.join(dir, 'o.bin')], { outputs: [{ format: 'list', filename: back }], showClosed: true });
    assert.equal(rc, 0, stderr);
    assert.equal(fs.readFileSync(back, 'utf8'), '#masscan\n' +
      `open icmp 1 198.18.0.5 ${TS}\nclosed err 47 198.18.0.5 ${TS}\nclosed err 50 2001:db8::5 ${TS}\n# end\n`);
  } finally {
    rmDir(dir);
  }
});
