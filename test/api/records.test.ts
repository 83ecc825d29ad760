/**
 * The library's records from the engine's: kind by protocol ('port', 'host', 'banner'),
 * addresses as text (IPv4, IPv6 as the outputs print them), reason words, Dates, MACs, and
 * banners escaped as the output files escape them with the raw bytes beside.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toApiRecord } from '../../src/api/records.js';
import type { ScanRecord as CoreRecord } from '../../src/core/record.js';

const T = 1_700_000_123;
const V4 = { version: 4 as const, v4: 0xc0a80a05 };
const V6 = { version: 6 as const, v6: 0x20010db8000000000000000000000001n };

test('status records: port (tcp, udp, sctp, oproto) or host (icmp, arp)', () => {
  const cases: [CoreRecord, Record<string, unknown>][] = [
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 6, port: 443, status: 'open', reason: 0x12, ttl: 64 },
      { kind: 'port', addr: '192.168.10.5', port: 443, proto: 'tcp', ipProto: 6, status: 'open', reason: 'syn-ack', ttl: 64 }],
    [{ kind: 'status', timestamp: T, ip: V6, ipProto: 6, port: 22, status: 'closed', reason: 0x14, ttl: 57 },
      { kind: 'port', addr: '2001:db8::1', port: 22, proto: 'tcp', ipProto: 6, status: 'closed', reason: 'rst-ack', ttl: 57 }],
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 17, port: 53, status: 'closed', reason: 0, ttl: 9 },
      { kind: 'port', addr: '192.168.10.5', port: 53, proto: 'udp', ipProto: 17, status: 'closed', reason: 'none', ttl: 9 }],
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 132, port: 38412, status: 'open', reason: 0, ttl: 9 },
      { kind: 'port', addr: '192.168.10.5', port: 38412, proto: 'sctp', ipProto: 132, status: 'open', reason: 'none', ttl: 9 }],
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 47, port: 47, status: 'open', reason: 0, ttl: 9 },
      { kind: 'port', addr: '192.168.10.5', port: 47, proto: 'other', ipProto: 47, status: 'open', reason: 'none', ttl: 9 }],
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 1, port: 0, status: 'open', reason: 0, ttl: 61 },
      { kind: 'host', addr: '192.168.10.5', port: 0, proto: 'icmp', ipProto: 1, status: 'up', reason: 'none', ttl: 61 }],
    [{ kind: 'status', timestamp: T, ip: V6, ipProto: 58, port: 0, status: 'open', reason: 0, ttl: 61 },
      { kind: 'host', addr: '2001:db8::1', port: 0, proto: 'icmp', ipProto: 58, status: 'up', reason: 'none', ttl: 61 }],
    [{ kind: 'status', timestamp: T, ip: V4, ipProto: 0, port: 0, status: 'up', reason: 0, ttl: 0, mac: '02:50:00:00:00:02' },
      { kind: 'host', addr: '192.168.10.5', port: 0, proto: 'arp', ipProto: 0, status: 'up', reason: 'none', ttl: 0, mac: '02:50:00:00:00:02' }],
  ];
  for (const [core, want] of cases) {
    assert.deepEqual(toApiRecord(core), { ...want, time: new Date(T * 1000) });
  }
});

test('banner records: escaped text as in the outputs, raw bytes, parsed fields', () => {
  const bytes = Uint8Array.from(Buffer.from('SSH-2.0-OpenSSH_9.2 <x>\r\n\u00ff', 'latin1'));
  const r = toApiRecord({
    kind: 'banner', timestamp: T, ip: V4, ipProto: 6, port: 22, service: 'ssh', ttl: 64, banner: bytes,
    fields: { hassh: 'abc' },
  });
  assert.deepEqual(r, {
    kind: 'banner', addr: '192.168.10.5', port: 22, proto: 'tcp', ipProto: 6, service: 'ssh',
    banner: 'SSH-2.0-OpenSSH_9.2 \\x3cx\\x3e\\x0d\\x0a\\xff', bytes, ttl: 64, time: new Date(T * 1000), fields: { hassh: 'abc' },
  });
  const udp = toApiRecord({ kind: 'banner', timestamp: T, ip: V6, ipProto: 17, port: 161, service: 'snmp', ttl: 1, banner: new Uint8Array() });
  assert.equal(udp.kind === 'banner' && udp.proto, 'udp');
  assert.equal('fields' in udp, false);
});

test('service records: the service identified on a port and the handshakes it took', () => {
  const r = toApiRecord({ kind: 'service', timestamp: T, ip: V6, ipProto: 6, port: 7000, ttl: 64, service: 'redis', handshakes: 3 });
  assert.deepEqual(r, {
    kind: 'service', addr: '2001:db8::1', port: 7000, proto: 'tcp', ipProto: 6, service: 'redis', handshakes: 3, time: new Date(T * 1000),
  });
});
