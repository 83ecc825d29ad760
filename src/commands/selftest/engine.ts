/**
 * --selftest units of the scan engine: SipHash, cookies, templates, reply classification, UDP payloads, de-duplication.
 */
import { formatIPv4 } from '../../target/ipv4.js';
import { PORT_UDP_BASE } from '../../target/ports.js';
import { toHex } from '../../wire/bytes.js';
import { Decoded, decodeFrame } from '../../wire/decode.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../wire/ethernet.js';
import { IpProtocol } from '../../wire/ip.js';
import { Ipv4Packet, emitIpv4 } from '../../wire/ipv4.js';
import { TcpFlags, TcpPacket, emitTcp, tcpBufferLen, type TcpRepr } from '../../wire/tcp.js';
import { UdpPacket, emitUdp } from '../../wire/udp.js';
import { Icmpv4Packet, emitIcmpv4 } from '../../wire/icmpv4.js';
import { SipKey, sip16, sip40 } from '../../crypto/siphash.js';
import { CookieKey, ICMP_ECHO_PORT, cookie4, cookie6, tcpAckMatches4, cookieId16, cookieSnmp } from '../../crypto/cookie.js';
import { ProbeSet4, ProbeSet6 } from '../../probes/probe-set.js';
import { TcpTemplate4 } from '../../probes/tcp-syn.js';
import { ipv6Bytes, ipv6Words } from '../../probes/frame.js';
import { classify, classifyContext } from '../../probes/classify.js';
import { Verdict, RecStatus, RecordKind, type ClassifyContext } from '../../probes/reply.js';
import { BUILTIN_UDP_PAYLOADS, UdpPayloadTable, buildPayloadTable, cookieFieldWidth, writePayloadCookie } from '../../probes/udp-payloads.js';
import { DedupTable } from '../../engine/dedup.js';
import { Sink } from '../../output/sink.js';
import { check, eq, eqBytes, Xorshift, type SelftestUnit } from './harness.js';
import { THEM, ME, MY_PORT, MAC_US, MAC_ROUTER, ME6, THEM6, MASSCAN_SYN, reprTcp4, reprTcp6, synRepr } from './fixtures.js';

export const siphashUnit: SelftestUnit = {
  name: 'siphash24',
  what: 'SipHash-2-4 paper vectors (key 00..0f) on 16- and 40-byte messages',
  run() {
    const k = new SipKey(0x0706050403020100n, 0x0f0e0d0c0b0a0908n);
    // Message bytes 00..0f as little-endian u32 words: vector 0x3f2acc7f57c29bdb.
    sip16(k, 0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c);
    eq(k.out[0], 0x57c29bdb, 'SipHash(00..0f) low word');
    eq(k.out[1], 0x3f2acc7f, 'SipHash(00..0f) high word');
    // Message bytes 00..27: vector 0x0e3ea96b5304a7d0.
    const w = new Uint32Array(10);
    for (let i = 0; i < 10; i++) w[i] = ((4 * i) | ((4 * i + 1) << 8) | ((4 * i + 2) << 16) | ((4 * i + 3) << 24)) >>> 0;
    sip40(k, w, 0);
    eq(k.out[0], 0x5304a7d0, 'SipHash(00..27) low word');
    eq(k.out[1], 0x0e3ea96b, 'SipHash(00..27) high word');
    // The bytes of the key are k0 || k1 little-endian.
    eq(toHex(SipKey.bytesOf(0x0706050403020100n, 0x0f0e0d0c0b0a0908n)), '000102030405060708090a0b0c0d0e0f', 'SipKey.bytesOf');
  },
};

export const cookieUnit: SelftestUnit = {
  name: 'syncookie',
  what: 'masscan cookie vectors (TCP, UDP DNS/SNMP, ICMP), ack check, IPv6 message layout',
  run() {
    const key = new CookieKey(1n);
    eq(cookie4(key, THEM, 80, ME, MY_PORT), 0x09eedd0d, 'TCP cookie seed 1 10.0.0.1:80 <- 192.0.2.50:40000');
    eq(key.high, 0xb310a4b2, 'TCP cookie high word');
    const dns = cookie4(key, THEM, PORT_UDP_BASE + 53, ME, MY_PORT);
    eq(dns, 0xe1c2d35a, 'UDP/53 cookie');
    eq(cookieId16(dns), 0xd35a, 'DNS id');
    eq(cookieSnmp(cookie4(key, THEM, PORT_UDP_BASE + 161, ME, MY_PORT)), 0x3d7aaaa7, 'SNMP request-id');
    eq(cookie4(key, THEM, ICMP_ECHO_PORT, ME, 0), 0x62f9b9db, 'ICMP echo id:seq');
    check(tcpAckMatches4(key, 0x09eedd0e, THEM, 80, ME, MY_PORT), 'ack = cookie+1 not accepted');
    check(!tcpAckMatches4(key, 0x09eedd0d, THEM, 80, ME, MY_PORT), 'ack = cookie accepted');
    check(!tcpAckMatches4(key, 0x09eedd0e, THEM, 81, ME, MY_PORT), 'ack for another port accepted');
    // The key is seed||seed: another seed must give another cookie.
    check(cookie4(new CookieKey(2n), THEM, 80, ME, MY_PORT) !== 0x09eedd0d, 'cookie does not depend on the seed');
    // IPv6 message (§6.1): five little-endian u64 them.hi, them.lo, me.hi, me.lo,
    // (port_them << 16) | port_me, hashed here by hand through sip40 and by cookie6.
    const them = ipv6Words(THEM6);
    const me = ipv6Words(ME6);
    const sk = new SipKey(1n, 1n);
    const portThem = PORT_UDP_BASE + 53;
    const p64 = BigInt(((portThem << 16) | MY_PORT) >>> 0); // a 32-bit shift, as masscan's C
    const m = Uint32Array.of(them[1], them[0], them[3], them[2], me[1], me[0], me[3], me[2],
      Number(p64 & 0xffffffffn), Number(p64 >> 32n));
    sip40(sk, m, 0);
    const expect6 = sk.out[0];
    eq(cookie6(key, them, 0, me, 0, portThem, MY_PORT), expect6, 'IPv6 cookie vs its documented message layout');
  },
};


export const templateUnit: SelftestUnit = {
  name: 'template',
  what: 'SYN template = masscan frame = wire-repr frame; decodes back; IPv6, VLAN, RST',
  run() {
    const key = new CookieKey(1n);
    const set = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME }, key, 4);
    const buf = new Uint8Array(4 * 2048);
    const n = set.fill(buf, 0, 0, ME, THEM, 80, MY_PORT);
    eq(n, 60, 'SYN frame length (58 padded to 60)');
    const want = new Uint8Array(60);
    want.set(MASSCAN_SYN, 0);
    eqBytes(buf.subarray(0, n), want, 'SYN frame vs masscan HEAD offline frame (§6.2)');
    // The same frame built field by field with the wire reprs.
    const viaRepr = reprTcp4(ME, THEM, synRepr(MY_PORT, 80, 0x09eedd0d), 255, 0xdd5c, undefined, MAC_US, MAC_ROUTER);
    eqBytes(buf.subarray(0, n), viaRepr, 'SYN frame vs wire reprs');
    // Decode it back (transport checksums verified).
    const d = new Decoded(undefined, true);
    eq(decodeFrame(buf, 0, n, d), 'ok', 'decodeFrame of the SYN');
    eq(`${d.ipVersion} ${d.src} ${d.dst} ${d.proto} ${d.srcPort} ${d.dstPort} ${d.tcpSeq} ${d.tcpFlags} ${d.ttl} ${d.tcpWindow}`,
      `4 ${ME} ${THEM} 6 ${MY_PORT} 80 ${0x09eedd0d} ${TcpFlags.SYN} 255 1025`, 'decoded SYN fields');
    // Many probes into reused slots (the base is written once per slot), with a VLAN tag
    // and TTL; each equals its repr-built frame.
    const vset = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME, vlan: 7, ttl: 64 }, key, 4);
    const rng = new Xorshift(11);
    for (let k = 0; k < 200; k++) {
      const slot = k & 3;
      const dst = rng.u32();
      const dport = rng.below(65536);
      const sport = 1024 + rng.below(60000);
      const off = slot * 2048;
      const len = vset.fill(buf, off, slot, ME, dst, dport, sport);
      const ck = cookie4(key, dst, dport, ME, sport);
      const exp = reprTcp4(ME, dst, synRepr(sport, dport, ck), 64, (dst ^ dport ^ ck) & 0xffff, 7, MAC_US, MAC_ROUTER);
      eqBytes(buf.subarray(off, off + len), exp, `VLAN SYN to ${formatIPv4(dst)}:${dport} from port ${sport}`);
      eq(decodeFrame(buf, off, len, d), 'ok', 'decodeFrame of a VLAN SYN');
      eq(`${d.vlan} ${d.dst} ${d.dstPort} ${d.tcpSeq}`, `7 ${dst} ${dport} ${ck}`, 'decoded VLAN SYN fields');
    }
    // IPv6 SYN.
    const src6 = ipv6Bytes(ME6);
    const set6 = new ProbeSet6({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: src6 }, key, 1);
    const dst6 = ipv6Words(THEM6);
    const len6 = set6.fill(buf, 0, 0, dst6, 0, 443, MY_PORT);
    const ck6 = cookie6(key, dst6, 0, ipv6Words(ME6), 0, 443, MY_PORT);
    eqBytes(buf.subarray(0, len6), reprTcp6(src6, ipv6Bytes(THEM6), synRepr(MY_PORT, 443, ck6), 255, MAC_US, MAC_ROUTER), 'IPv6 SYN vs wire reprs');
    eq(decodeFrame(buf, 0, len6, d), 'ok', 'decodeFrame of the IPv6 SYN');
    eq(`${d.ipVersion} ${d.dstPort} ${d.tcpSeq} ${d.dst6.join('.')}`, `6 443 ${ck6} ${dst6.join('.')}`, 'decoded IPv6 SYN fields');
    // The RST sent after a SYN-ACK: seq = their ack, window 1200 (§6.2).
    const rst = new TcpTemplate4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME }, { kind: 'rst' });
    const rbuf = new Uint8Array(rst.maxFrameLen);
    rst.writeBase(rbuf, 0);
    const rlen = rst.patch(rbuf, 0, ME, THEM, 80, MY_PORT, 0x09eedd0e);
    const rrepr: TcpRepr = { ...synRepr(MY_PORT, 80, 0x09eedd0e), flags: TcpFlags.RST, window: 1200 };
    eqBytes(rbuf.subarray(0, rlen), reprTcp4(ME, THEM, rrepr, 255, (THEM ^ 80 ^ 0x09eedd0e) & 0xffff, undefined, MAC_US, MAC_ROUTER), 'RST vs wire reprs');
  },
};

/** Our scan's constants (192.0.2.50, port 40000) as the receive side derives them (classifyContext). */
function ourClassifyContext(): ClassifyContext {
  return classifyContext({
    src4: { begin: ME, end: ME }, src6: ME6, srcPort: { begin: MY_PORT, end: MY_PORT },
    arpscan: false, targets4: [{ begin: THEM, end: THEM }],
    targets6: [{ begin: THEM6, end: THEM6 }],
    ports: [{ begin: 80, end: 80 }, { begin: 443, end: 443 }, { begin: PORT_UDP_BASE + 53, end: PORT_UDP_BASE + 53 }, { begin: ICMP_ECHO_PORT, end: ICMP_ECHO_PORT }],
  });
}

/** A reply from them to us over IPv4 (Ethernet), built with the wire reprs. */
function reply4(proto: number, emitL4: (b: Uint8Array, off: number, len: number) => void, l4Len: number): Uint8Array {
  const b = new Uint8Array(Math.max(60, 34 + l4Len));
  emitEthernet({ dst: MAC_US, src: MAC_ROUTER, etherType: EtherType.IPV4, vlanTci: undefined }, new EthernetFrame(b, 0, b.length));
  emitIpv4({ src: THEM, dst: ME, protocol: proto, payloadLen: l4Len, ttl: 57, tos: 0, ident: 1, dontFrag: true, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(b, 14, 20 + l4Len));
  emitL4(b, 34, l4Len);
  return b;
}

function tcpReply4(flags: number, ack: number, sport: number, dport: number): Uint8Array {
  const r: TcpRepr = { srcPort: sport, dstPort: dport, seq: 0x11223344, ack, flags, window: 65535, urgent: 0, options: [{ kind: 'mss', mss: 1400 }], payload: new Uint8Array(0) };
  const len = tcpBufferLen(r);
  return reply4(IpProtocol.TCP, (b, off) => emitTcp(r, new TcpPacket(b, off, len), { version: 4, src: THEM, dst: ME }), len);
}

export const receiveUnit: SelftestUnit = {
  name: 'receive',
  what: 'SYN-ACK with the right cookie -> open (+RST), wrong cookie -> nothing, RST, UDP (DNS id), ICMP echo, IPv6',
  run() {
    const key = new CookieKey(1n);
    const ctx = ourClassifyContext();
    const d = new Decoded(undefined, true);
    const v = new Verdict();
    const run = (frame: Uint8Array, what: string): number => {
      eq(decodeFrame(frame, 0, frame.length, d), 'ok', `decodeFrame of ${what}`);
      return classify(frame, d, ctx, key, v);
    };
    const ck = cookie4(key, THEM, 80, ME, MY_PORT);
    const SA = TcpFlags.SYN | TcpFlags.ACK;
    eq(run(tcpReply4(SA, (ck + 1) >>> 0, 80, MY_PORT), 'a SYN-ACK'), RecordKind.STATUS, 'SYN-ACK with the right cookie');
    eq(`${v.status} ${v.ip[0]} ${v.port} ${v.proto} ${v.reason} ${v.ttl} ${v.rst} ${v.rstSeq}`,
      `${RecStatus.OPEN} ${THEM} 80 6 ${SA} 57 true ${(ck + 1) >>> 0}`, 'open verdict fields');
    eq(run(tcpReply4(SA, (ck + 2) >>> 0, 80, MY_PORT), 'a forged SYN-ACK'), 0, 'SYN-ACK with a wrong cookie');
    eq(run(tcpReply4(SA, ck, 80, MY_PORT), 'a SYN-ACK acking the cookie itself'), 0, 'SYN-ACK with ack = cookie');
    eq(run(tcpReply4(SA, (cookie4(key, THEM, 81, ME, MY_PORT) + 1) >>> 0, 81, MY_PORT + 1), 'a SYN-ACK to another port'), 0, 'SYN-ACK to a port not ours');
    eq(run(tcpReply4(TcpFlags.RST | TcpFlags.ACK, (ck + 1) >>> 0, 80, MY_PORT), 'a RST'), RecordKind.STATUS, 'RST with the right cookie');
    eq(`${v.status} ${v.rst}`, `${RecStatus.CLOSED} false`, 'closed verdict');
    eq(run(tcpReply4(TcpFlags.ACK, (ck + 1) >>> 0, 80, MY_PORT), 'a bare ACK'), 0, 'bare ACK');
    // UDP: a datagram from a scanned port of a target is open; the DNS reply must echo the
    // probe's id (the cookie's low 16 bits).
    const uck = cookie4(key, THEM, PORT_UDP_BASE + 53, ME, MY_PORT);
    const udp = (id: number, sport = 53): Uint8Array => reply4(IpProtocol.UDP, (b, off, len) =>
      emitUdp({ srcPort: sport, dstPort: MY_PORT, payload: Uint8Array.of(id >>> 8, id & 0xff, 0x81, 0x80) }, new UdpPacket(b, off, len), { version: 4, src: THEM, dst: ME }), 12);
    eq(run(udp(uck & 0xffff), 'a UDP reply'), RecordKind.STATUS, 'UDP reply');
    eq(`${v.status} ${v.proto} ${v.port} ${v.internalPort}`, `${RecStatus.OPEN} 17 53 ${PORT_UDP_BASE + 53}`, 'UDP verdict');
    eq(run(udp((uck ^ 1) & 0xffff), 'a DNS reply with another id'), 0, 'DNS reply with a wrong id');
    eq(run(udp(uck & 0xffff, 54), 'a UDP datagram from a port not scanned'), 0, 'UDP from a port not scanned');
    // ICMP echo reply: id:seq must be the cookie.
    const eck = cookie4(key, THEM, ICMP_ECHO_PORT, ME, 0);
    const echo = (c: number): Uint8Array => reply4(IpProtocol.ICMP,
      (b, off, len) => emitIcmpv4({ kind: 'echo-reply', ident: c >>> 16, seq: c & 0xffff, data: new Uint8Array(48) }, new Icmpv4Packet(b, off, len)), 56);
    eq(run(echo(eck), 'an echo reply'), RecordKind.STATUS, 'echo reply with the cookie');
    eq(run(echo((eck ^ 1) >>> 0), 'a forged echo reply'), 0, 'echo reply with a wrong cookie');
    // IPv6 SYN-ACK.
    const them6 = ipv6Words(THEM6);
    const ck6 = cookie6(key, them6, 0, ipv6Words(ME6), 0, 443, MY_PORT);
    const r6 = (ack: number): Uint8Array => reprTcp6(ipv6Bytes(THEM6), ipv6Bytes(ME6),
      { srcPort: 443, dstPort: MY_PORT, seq: 7, ack, flags: SA, window: 1000, urgent: 0, options: [], payload: new Uint8Array(0) }, 60, MAC_ROUTER, MAC_US);
    eq(run(r6((ck6 + 1) >>> 0), 'an IPv6 SYN-ACK'), RecordKind.STATUS, 'IPv6 SYN-ACK with the right cookie');
    eq(`${v.version} ${v.status} ${v.port}`, `6 ${RecStatus.OPEN} 443`, 'IPv6 open verdict');
    eq(run(r6(ck6), 'a forged IPv6 SYN-ACK'), 0, 'IPv6 SYN-ACK with a wrong cookie');
    // A damaged frame never classifies: flip one TCP byte, the checksum catches it.
    const bad = tcpReply4(SA, (ck + 1) >>> 0, 80, MY_PORT);
    bad[40] ^= 0x40;
    eq(decodeFrame(bad, 0, bad.length, d), 'bad-checksum', 'decodeFrame of a damaged SYN-ACK');
  },
};

/** Ports with a built-in payload in masscan HEAD (reference §10.1). */
const MASSCAN_UDP_PORTS: readonly number[] = [
  7, 17, 19, 53, 69, 111, 123, 137, 138, 161, 443, 500, 520, 1645, 1646, 1701, 1812, 1813, 1900, 2049, 5060, 5683,
  11211, 16464, 16465, 16470, 16471, 27960,
];

export const udpPayloadsUnit: SelftestUnit = {
  name: 'templ_payloads',
  what: 'UDP payloads: masscan\'s ports covered, cookie fields, probes carry masscan cookie vectors, user payloads',
  run() {
    const table = new UdpPayloadTable();
    // Every port of masscan's built-in table (§10.1) has a payload.
    const missing = MASSCAN_UDP_PORTS.filter((port) => table.get(port) === undefined);
    check(missing.length === 0, `no built-in payload for UDP ports ${missing.join(',')}`);
    for (const p of BUILTIN_UDP_PAYLOADS) {
      const got = table.get(p.port);
      check(got !== undefined, `built-in payload for port ${p.port} missing from the table`);
      const width = cookieFieldWidth(p.cookie);
      check(p.cookieOffset + width <= p.bytes.length, `port ${p.port}: cookie field outside the payload`);
      for (let i = 0; i < width; i++) eq(p.bytes[p.cookieOffset + i], 0, `port ${p.port}: stored cookie byte ${i} is not zero`);
    }
    // Probes (through the transmit path's ProbeSet4) carry the cookie where masscan puts it.
    const key = new CookieKey(1n);
    const set = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME, payloads: table }, key, 1);
    const buf = new Uint8Array(2048);
    const d = new Decoded(undefined, true);
    for (const p of BUILTIN_UDP_PAYLOADS) {
      const len = set.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + p.port, MY_PORT);
      eq(decodeFrame(buf, 0, len, d), 'ok', `decodeFrame of the UDP/${p.port} probe`);
      eq(`${d.proto} ${d.srcPort} ${d.dstPort} ${d.payloadLen}`, `17 ${MY_PORT} ${p.port} ${p.bytes.length}`, `UDP/${p.port} probe header`);
      const expect = p.bytes.slice();
      writePayloadCookie(p, expect, 0, cookie4(key, THEM, PORT_UDP_BASE + p.port, ME, MY_PORT));
      eqBytes(buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen), expect, `UDP/${p.port} probe payload`);
    }
    // §6.1: DNS id 0xd35a and SNMP request-id 0x3d7aaaa7 for seed 1.
    const dns = table.get(53);
    if (dns !== undefined) {
      const len = set.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + 53, MY_PORT);
      decodeFrame(buf, 0, len, d);
      eq((buf[d.payloadOff + dns.cookieOffset] << 8) | buf[d.payloadOff + dns.cookieOffset + 1], 0xd35a, 'DNS id of the UDP/53 probe');
    }
    const snmp = table.get(161);
    if (snmp !== undefined && snmp.cookie === 'int31') {
      const len = set.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + 161, MY_PORT);
      decodeFrame(buf, 0, len, d);
      const o = d.payloadOff + snmp.cookieOffset;
      eq(((buf[o] << 24) | (buf[o + 1] << 16) | (buf[o + 2] << 8) | buf[o + 3]) >>> 0, 0x3d7aaaa7, 'SNMP request-id of the UDP/161 probe');
    }
    // A port without a payload gets an empty datagram; user payloads (--nmap-payloads,
    // --pcap-payloads) replace the built-in, the last one per port wins, sent as given.
    const own = buildPayloadTable();
    const free = [7777, 7778, 9999].find((p) => own.get(p) === undefined) ?? 7777;
    const o = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME, payloads: own }, key, 1);
    let len = o.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + free, MY_PORT);
    decodeFrame(buf, 0, len, d);
    eq(d.payloadLen, 0, `UDP/${free} without a payload`);
    const user = buildPayloadTable([
      { port: free, bytes: Uint8Array.of(9, 9, 9) },
      { port: 53, bytes: Uint8Array.of(1, 2) },
      { port: free, bytes: Uint8Array.of(0xaa, 0xbb, 0, 0, 0xcc) },
    ]);
    const o2 = new ProbeSet4({ srcMac: MAC_US, dstMac: MAC_ROUTER, srcIp: ME, payloads: user }, key, 1);
    len = o2.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + free, MY_PORT);
    decodeFrame(buf, 0, len, d);
    eqBytes(buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen), Uint8Array.of(0xaa, 0xbb, 0, 0, 0xcc), `last user payload for UDP/${free}`);
    len = o2.fill(buf, 0, 0, ME, THEM, PORT_UDP_BASE + 53, MY_PORT);
    decodeFrame(buf, 0, len, d);
    eqBytes(buf.subarray(d.payloadOff, d.payloadOff + d.payloadLen), Uint8Array.of(1, 2), 'user payload replacing the built-in UDP/53 one');
  },
};

export const dedupUnit: SelftestUnit = {
  name: 'dedup',
  what: 'first reply reported, repeats suppressed, distinct keys kept apart, LRU per bucket',
  run() {
    const t = new DedupTable(4);
    eq(t.seen4(THEM, 80, ME, MY_PORT), false, 'first reply');
    eq(t.seen4(THEM, 80, ME, MY_PORT), true, 'repeat');
    eq(t.seen4(THEM, 81, ME, MY_PORT), false, 'another port');
    eq(t.seen4(THEM + 1, 80, ME, MY_PORT), false, 'another address');
    eq(t.seen4(THEM, 80, ME, MY_PORT + 1), false, 'another source port');
    const a = ipv6Words(THEM6);
    const me = ipv6Words(ME6);
    eq(t.seen6(a, 0, 443, me, 0, MY_PORT), false, 'first IPv6 reply');
    eq(t.seen6(a, 0, 443, me, 0, MY_PORT), true, 'IPv6 repeat');
    a[3] ^= 1;
    eq(t.seen6(a, 0, 443, me, 0, MY_PORT), false, 'another IPv6 address');
    // A key seen again right after others still counts as a duplicate while it is among the
    // most recent of its bucket; a flood of other keys eventually forgets it (bounded table).
    const small = new DedupTable(1);
    for (let i = 0; i < 100; i++) {
      eq(small.seen4(i, 80, ME, MY_PORT), false, `key ${i} first time`);
      eq(small.seen4(i, 80, ME, MY_PORT), true, `key ${i} second time`);
    }
    eq(small.hits, 100, 'hit counter');
    eq(small.misses, 100, 'miss counter');
    small.clear();
    eq(small.seen4(99, 80, ME, MY_PORT), false, 'after clear');
  },
};

/** A Sink over an in-memory "file". */
