/**
 * The identification record (ServiceRecord) in the formats: written in the port record of
 * JSON, NDJSON, XML (valid against nmap.dtd) and grepable; left out, header included, by the
 * formats without a service field (list, binary, unicornscan, host only).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { OutputSet } from '../../src/output/outputs.js';
import type { ServiceRecord } from '../../src/core/record.js';
import { META, SAMPLE, options, requireTool, rmDir, testIo, tmpDir, v4, xmlValid } from './helpers.js';

const SVC: ServiceRecord = { kind: 'service', timestamp: 1700000020, ip: v4('10.0.0.8'), ipProto: 6, port: 7000, ttl: 64, service: 'redis', handshakes: 3 };

function write(format: string, records: readonly (typeof SAMPLE[number] | ServiceRecord)[]): string {
  const dir = tmpDir('svc');
  try {
    const f = path.join(dir, `out.${format}`);
    const set = OutputSet.open(options({ outputs: [{ format: format as 'json', filename: f }] }), META, testIo());
    for (const r of records) set.write(r);
    set.closeAll();
    return fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : '';
  } finally {
    rmDir(dir);
  }
}

test('service: JSON port record with the service name and handshakes', () => {
  const doc = JSON.parse(write('json', [SAMPLE[0]!, SVC])) as { ip: string; ports: Record<string, unknown>[] }[];
  assert.deepEqual(doc[1], { ip: '10.0.0.8', timestamp: '1700000020', ports: [{ port: 7000, proto: 'tcp', service: { name: 'redis', handshakes: 3 } }] });
});

test('service: NDJSON rec_type service', () => {
  assert.equal(write('ndjson', [SVC]),
    '{"ip":"10.0.0.8","timestamp":"1700000020","port":7000,"proto":"tcp","rec_type":"service","data":{"service_name":"redis","handshakes":3}}\n');
});

test('service: grepable Ports line with the service found', () => {
  assert.match(write('grepable', [SVC]), /\nTimestamp: 1700000020\tHost: 10\.0\.0\.8 \(\)\tPorts: 7000\/open\/tcp\/\/redis\/\/\n/);
});

test('service: XML <service name=…> in the open port, valid against nmap.dtd', () => {
  const xml = write('xml', [...SAMPLE, SVC]);
  assert.ok(xml.includes('<address addr="10.0.0.8" addrtype="ipv4"/><ports><port protocol="tcp" portid="7000"><state state="open" reason="response" reason_ttl="64"/>' +
    '<service name="redis" conf="10" method="probed"/></port></ports></host>\r\n'));
  requireTool('xmllint');
  const dir = tmpDir('svcx');
  try {
    const f = path.join(dir, 'a.xml');
    fs.writeFileSync(f, xml, 'latin1');
    assert.equal(xmlValid(f), '');
  } finally {
    rmDir(dir);
  }
});

test('service: formats without a service field leave it out; alone it starts no lazy file', () => {
  for (const format of ['list', 'unicornscan', 'hostonly']) {
    assert.equal(write(format, [SAMPLE[0]!, SVC]), write(format, [SAMPLE[0]!]), format);
    assert.equal(write(format, [SVC]), '', `${format}: a service record alone writes no header`);
  }
  assert.equal(write('binary', [SAMPLE[0]!, SVC]), write('binary', [SAMPLE[0]!]), 'binary: the same bytes, not only the same length');
});
