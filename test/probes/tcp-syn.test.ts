import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { TcpTemplate4, TcpTemplate6 } from '../../src/probes/tcp-syn.js';
import { CookieKey, cookie4 } from '../../src/crypto/cookie.js';
import { Ipv4Packet, parseIpv4 } from '../../src/wire/ipv4.js';
import { TcpPacket, parseTcp } from '../../src/wire/tcp.js';
import { ip6Bytes, expectTcp4, expectTcp6, same, u32, u16, link, ttl, addr6, tcpOpts, slotOff, RUNS, garbageSlot } from './frames.js';

test('SYN vector: masscan HEAD frame of §6.2 (seed 1, 192.0.2.50:40000 -> 10.0.0.1:80), padded to 60', () => {
  const key = new CookieKey(1n);
  const mac = (s: string): Uint8Array => Uint8Array.from(s.split(':').map((h) => parseInt(h, 16)));
  const t = new TcpTemplate4({ srcMac: mac('02:00:00:00:00:01'), dstMac: mac('66:55:44:33:22:11'), srcIp: 0xc0000232 });
  const slot = new Uint8Array(64);
  t.writeBase(slot, 0);
  const seq = cookie4(key, 0x0a000001, 80, 0xc0000232, 40000);
  const len = t.patch(slot, 0, 0xc0000232, 0x0a000001, 80, 40000, seq);
  assert.equal(len, 60);
  assert.equal(Buffer.from(slot.subarray(0, 60)).toString('hex'),
    '665544332211' + '020000000001' + '0800' +
    '4500002c' + 'dd5c0000' + 'ff06123c' + 'c0000232' + '0a000001' +
    '9c400050' + '09eedd0d' + '00000000' + '60020401' + '44660000' + '020405b4' + '0000');
  // The wire parsers accept it (checksums verify).
  const ip = parseIpv4(new Ipv4Packet(slot, 14, 44));
  assert.equal(typeof ip, 'object');
  const tcp = parseTcp(new TcpPacket(slot, 34, 24), { version: 4, src: 0xc0000232, dst: 0x0a000001 });
  assert.equal(typeof tcp, 'object');
});

test('TcpTemplate4 (SYN and RST) patched frames equal the repr-built frames', () => {
  fc.assert(fc.property(link, ttl, tcpOpts, u32, fc.array(fc.tuple(u32, u32, u16, u16, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, tcp, base, probes, off) => {
      const tpl = new TcpTemplate4({ ...l, srcIp: base, ttl: t }, tcp);
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [src, dst, dport, sport, seq] of probes) {
        const len = tpl.patch(slot, off, src, dst, dport, sport, seq);
        same(slot, off, len, expectTcp4(l, t, tcp, src, dst, dport, sport, seq), 'tcp4');
      }
    }), RUNS);
});

test('TcpTemplate6 patched frames equal the repr-built frames', () => {
  fc.assert(fc.property(link, ttl, tcpOpts, addr6, fc.array(fc.tuple(addr6, u16, u16, u32), { minLength: 1, maxLength: 3 }), slotOff,
    (l, t, tcp, src, probes, off) => {
      const srcB = ip6Bytes(src);
      const tpl = new TcpTemplate6({ ...l, srcIp: srcB, hopLimit: t }, tcp);
      const slot = garbageSlot();
      tpl.writeBase(slot, off);
      for (const [dst, dport, sport, seq] of probes) {
        const holder = new Uint32Array(6); holder.set(dst, 2);
        const len = tpl.patch(slot, off, holder, 2, dport, sport, seq);
        same(slot, off, len, expectTcp6(l, t, tcp, srcB, ip6Bytes(dst), dport, sport, seq), 'tcp6');
      }
    }), RUNS);
});
