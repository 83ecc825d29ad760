import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoded, decodeFrame, LinkType, type DecodeResult } from '../../src/wire/decode.js';
import { fromHex, getU32, ipv4FromText, ipv6FromText, toHex } from '../../src/wire/bytes.js';
import { pseudoHeaderSum4, pseudoHeaderSum6 } from '../../src/wire/checksum.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { TcpFlags, TcpPacket } from '../../src/wire/tcp.js';
import { UdpPacket } from '../../src/wire/udp.js';
import { SctpPacket } from '../../src/wire/sctp.js';
import { Ipv4Packet } from '../../src/wire/ipv4.js';
import { allVectors, capturedVectors, vec } from './helpers.js';

function decode(bytes: Uint8Array, d = new Decoded()): [DecodeResult, Decoded] {
  return [decodeFrame(bytes, 0, bytes.length, d), d];
}

/** Copy of a vector frame with its TCP/UDP checksum made real (lo/veth carry the pseudo-header sum). */
function fixed(file: string, i: number): Uint8Array {
  const f = vec(file, i).bytes.slice();
  const [, d] = decode(f);
  const ps =
    d.ipVersion === 4
      ? pseudoHeaderSum4(d.src, d.dst, d.proto, d.transportLen)
      : pseudoHeaderSum6(f, d.src6Off, d.dst6Off, d.proto, d.transportLen);
  if (d.proto === IpProtocol.TCP) new TcpPacket(f, d.transportOff, d.transportLen).fillChecksum(ps);
  if (d.proto === IpProtocol.UDP) new UdpPacket(f, d.transportOff, d.transportLen).fillChecksum(ps);
  return f;
}

test('decode: every captured vector decodes ok', () => {
  for (const v of capturedVectors()) {
    const [r] = decode(v.bytes);
    assert.equal(r, 'ok', `${v.file}#${v.index}: ${v.tcpdump}`);
  }
});

test('decode: TCP SYN-ACK on lo', () => {
  // IP 127.0.0.1.47080 > 127.0.0.1.47001: Flags [S.], seq S, ack A, win 65483, options [...], length 0
  const v = vec('lo-tcp-open.txt', 1);
  const [r, d] = decode(v.bytes);
  assert.equal(r, 'ok');
  const m = /seq (\d+), ack (\d+)/.exec(v.tcpdump);
  assert.ok(m !== null);
  assert.equal(d.etherType, 0x0800);
  assert.equal(d.dstMacOff, 0);
  assert.equal(d.srcMacOff, 6);
  assert.equal(d.vlan, -1);
  assert.equal(d.ipVersion, 4);
  assert.equal(d.ipOff, 14);
  assert.equal(d.ipHeaderLen, 20);
  assert.equal(d.ipEnd, 74);
  assert.equal(d.src, 0x7f000001);
  assert.equal(d.dst, 0x7f000001);
  assert.equal(d.ttl, 64);
  assert.equal(d.ipId, 0);
  assert.equal(d.fragmented, false);
  assert.equal(d.proto, IpProtocol.TCP);
  assert.equal(d.transportOff, 34);
  assert.equal(d.transportLen, 40);
  assert.equal(d.srcPort, 47080);
  assert.equal(d.dstPort, 47001);
  assert.equal(d.tcpSeq, Number(m[1]));
  assert.equal(d.tcpAck, Number(m[2]));
  assert.equal(d.tcpFlags, TcpFlags.SYN | TcpFlags.ACK);
  assert.equal(d.tcpWindow, 65483);
  assert.equal(d.tcpHeaderLen, 40);
  assert.equal(d.payloadOff, 74);
  assert.equal(d.payloadLen, 0);
  // the data segment
  const [, p] = decode(vec('lo-tcp-open.txt', 3).bytes);
  assert.equal(p.payloadLen, 7);
  assert.equal(new TextDecoder().decode(vec('lo-tcp-open.txt', 3).bytes.subarray(p.payloadOff)), 'hello\r\n');
});

test('decode: ICMP port unreachable quotes our UDP probe', () => {
  // IP 10.250.9.2 > 10.250.9.1: ICMP 10.250.9.2 udp port 47087 unreachable, length 42
  const [r, d] = decode(vec('veth-ethernet.txt', 3).bytes);
  assert.equal(r, 'ok');
  assert.equal(d.proto, IpProtocol.ICMP);
  assert.equal(d.icmpType, 3);
  assert.equal(d.icmpCode, 3);
  assert.equal(d.innerIpVersion, 4);
  assert.equal(d.innerProto, IpProtocol.UDP);
  assert.equal(d.innerSrc, ipv4FromText('10.250.9.1'));
  assert.equal(d.innerDst, ipv4FromText('10.250.9.2'));
  assert.equal(d.innerSrcPort, 47006);
  assert.equal(d.innerDstPort, 47087);
  assert.equal(d.innerSeq >>> 16, 8 + 6); // UDP length of the quoted datagram
});

test('decode: ICMP echo reply id/seq', () => {
  const [r, d] = decode(vec('lo-icmp-echo.txt', 1).bytes);
  assert.equal(r, 'ok');
  assert.equal(d.icmpType, 0);
  assert.equal(d.icmpId, 29811);
  assert.equal(d.icmpSeq, 1);
  assert.equal(d.payloadLen, 48);
  assert.equal(d.innerProto, -1);
});

test('decode: IPv6 addresses as words, ICMPv6 unreachable, NS/NA link-layer options', () => {
  const f = vec('veth-ethernet.txt', 9).bytes; // fd00:9::2 > fd00:9::1: unreachable port ... 47087
  const [r, d] = decode(f);
  assert.equal(r, 'ok');
  assert.equal(d.ipVersion, 6);
  assert.equal(d.ttl, 64);
  assert.deepEqual(Array.from(d.src6), [0xfd000009, 0, 0, 2]);
  assert.deepEqual(Array.from(d.dst6), [0xfd000009, 0, 0, 1]);
  assert.equal(toHex(f, d.src6Off, 16), toHex(ipv6FromText('fd00:9::2')));
  assert.equal(d.icmpType, 1);
  assert.equal(d.icmpCode, 4);
  assert.equal(d.innerIpVersion, 6);
  assert.equal(d.innerProto, IpProtocol.UDP);
  assert.deepEqual(Array.from(d.innerSrc6), [0xfd000009, 0, 0, 1]);
  assert.equal(toHex(f, d.innerDst6Off, 16), toHex(ipv6FromText('fd00:9::2')));
  assert.equal(d.innerSrcPort, 47006);
  assert.equal(d.innerDstPort, 47087);

  const ns = vec('veth-ethernet.txt', 6).bytes;
  const [rn, n] = decode(ns);
  assert.equal(rn, 'ok');
  assert.equal(n.icmpType, 135);
  assert.equal(n.ttl, 255);
  assert.equal(toHex(ns, n.ndpTargetOff, 16), toHex(ipv6FromText('fd00:9::2')));
  assert.equal(toHex(ns, n.ndpLinkAddrOff, 6), '025000000901');
  const na = vec('veth-ethernet.txt', 7).bytes;
  const [, a] = decode(na);
  assert.equal(a.icmpType, 136);
  assert.equal(toHex(na, a.ndpLinkAddrOff, 6), '025000000902');
  const [, dad] = decode(vec('veth-ethernet.txt', 10).bytes);
  assert.equal(dad.ndpLinkAddrOff, -1); // DAD: no source link-layer address
});

test('decode: ARP request and reply', () => {
  const req = vec('veth-ethernet.txt', 0).bytes;
  const [r, d] = decode(req);
  assert.equal(r, 'ok');
  assert.equal(d.etherType, 0x0806);
  assert.equal(d.ipVersion, 0);
  assert.equal(d.arpOp, 1);
  assert.equal(d.arpSenderIp, ipv4FromText('10.250.9.1'));
  assert.equal(d.arpTargetIp, ipv4FromText('10.250.9.2'));
  assert.equal(toHex(req, d.arpSenderMacOff, 6), '025000000901');
  assert.equal(toHex(req, d.arpTargetMacOff, 6), '000000000000');
  const [, rep] = decode(vec('veth-ethernet.txt', 1).bytes);
  assert.equal(rep.arpOp, 2);
  // a padded 60-byte ARP frame is fine
  const padded = new Uint8Array(60);
  padded.set(req);
  assert.equal(decode(padded)[0], 'ok');
});

test('decode: the Decoded is reset between frames', () => {
  const d = new Decoded();
  decodeFrame(vec('lo-tcp-open.txt', 1).bytes, 0, 74, d);
  const arp = vec('veth-ethernet.txt', 0).bytes;
  assert.equal(decodeFrame(arp, 0, arp.length, d), 'ok');
  assert.equal(d.srcPort, -1);
  assert.equal(d.tcpSeq, 0);
  assert.equal(d.ipVersion, 0);
  assert.equal(d.proto, -1);
});

test('decode: a new Decoded holds every result field at its reset value', () => {
  // The result fields are `declare`d and written only by reset(): one it forgot would be
  // undefined here, and a decode that does not reach its layer would leave it undefined too.
  const fresh = new Decoded();
  const used = new Decoded();
  decodeFrame(vec('lo-tcp-open.txt', 1).bytes, 0, 74, used);
  used.reset();
  const keys = Object.keys(fresh);
  assert.ok(keys.includes('vlan') && keys.includes('sctpInitiateTag') && keys.length > 50);
  for (const k of keys) {
    const v: unknown = (fresh as unknown as Record<string, unknown>)[k];
    assert.notEqual(v, undefined, k);
    if (typeof v === 'number' || typeof v === 'boolean') {
      assert.equal((used as unknown as Record<string, unknown>)[k], v, k);
    }
  }
  assert.deepEqual(Object.keys(used), keys);
  assert.deepEqual([...used.src6, ...used.innerDst6], new Array(8).fill(0));
});

test('decode: a frame at an offset inside a larger buffer (an RX ring)', () => {
  const f = vec('lo-tcp-open.txt', 1).bytes;
  const ring = new Uint8Array(4096).fill(0xee);
  ring.set(f, 1000);
  const d = new Decoded();
  assert.equal(decodeFrame(ring, 1000, f.length, d), 'ok');
  assert.equal(d.transportOff, 1034);
  assert.equal(d.srcPort, 47080);
  // the bytes after the frame are not the frame's: one byte short is truncated
  assert.equal(decodeFrame(ring, 1000, f.length - 1, d), 'truncated');
});

test('decode: crafted vectors decode to the expected reasons', () => {
  const expect: Record<number, DecodeResult> = { 3: 'truncated', 4: 'truncated', 5: 'malformed', 13: 'unsupported', 14: 'fragment', 16: 'unsupported', 22: 'fragment' };
  const crafted = allVectors().filter((x) => x.file === 'crafted.txt');
  assert.ok(crafted.length >= 25, `only ${crafted.length} crafted vectors`);
  for (const v of crafted) {
    assert.equal(decode(v.bytes)[0], expect[v.index] ?? 'ok', `crafted #${v.index}: ${v.tcpdump}`);
  }
  // the crafted transport checksums are real
  const d = new Decoded(LinkType.ETHERNET, true);
  for (const i of [1, 2, 6, 7, 8, 9, 10, 11, 12, 17, 18, 19, 20, 23, 24]) {
    const f = vec('crafted.txt', i).bytes;
    assert.equal(decodeFrame(f, 0, f.length, d), 'ok', `crafted #${i}`);
  }
});

test('decode: every proper prefix of every captured vector is truncated', () => {
  const d = new Decoded();
  for (const v of capturedVectors()) {
    for (let n = 0; n < v.bytes.length; n++) {
      assert.equal(decodeFrame(v.bytes, 0, n, d), 'truncated', `${v.file}#${v.index} at ${n}`);
    }
  }
});

test('decode: Ethernet padding is not payload', () => {
  const rst = vec('lo-tcp-closed.txt', 1).bytes; // 54 bytes
  const padded = new Uint8Array(60);
  padded.set(rst);
  padded.fill(0xff, 54);
  const [r, d] = decode(padded);
  assert.equal(r, 'ok');
  assert.equal(d.payloadLen, 0);
  assert.equal(d.ipEnd, 54);
});

test('decode: VLAN tags (802.1Q, QinQ), and more than two refused', () => {
  const f = vec('lo-tcp-open.txt', 1).bytes;
  const tag = (frame: Uint8Array, tpid: string, tci: string): Uint8Array => {
    const out = new Uint8Array(frame.length + 4);
    out.set(frame.subarray(0, 12));
    out.set(fromHex(tpid + tci), 12);
    out.set(frame.subarray(12), 16);
    return out;
  };
  const one = tag(f, '8100', 'a064');
  const [r1, d1] = decode(one);
  assert.equal(r1, 'ok');
  assert.equal(d1.vlan, 100);
  assert.equal(d1.ipOff, 18);
  assert.equal(d1.srcPort, 47080);
  const two = tag(one, '88a8', '0007');
  const [r2, d2] = decode(two);
  assert.equal(r2, 'ok');
  assert.equal(d2.vlan, 7); // the outer tag
  assert.equal(d2.ipOff, 22);
  assert.equal(decode(tag(two, '8100', '0001'))[0], 'unsupported');
  assert.equal(decode(one.subarray(0, 17))[0], 'truncated');
});

test('decode: other link types (raw IP, BSD null, Linux cooked)', () => {
  const f = vec('lo-tcp-open.txt', 1).bytes;
  const ip = f.subarray(14);
  const [r, d] = decode(ip, new Decoded(LinkType.RAW));
  assert.equal(r, 'ok');
  assert.equal(d.ipOff, 0);
  assert.equal(d.srcPort, 47080);
  const v6 = vec('lo-ipv6.txt', 1).bytes.subarray(14);
  assert.equal(decode(v6, new Decoded(LinkType.RAW))[1].ipVersion, 6);
  for (const fam of ['02000000', '00000002']) {
    const nul = new Uint8Array(4 + ip.length);
    nul.set(fromHex(fam));
    nul.set(ip, 4);
    const [rn, dn] = decode(nul, new Decoded(LinkType.NULL));
    assert.equal(rn, 'ok');
    assert.equal(dn.ipOff, 4);
  }
  const nul6 = new Uint8Array(4 + v6.length);
  nul6.set(fromHex('1e000000')); // AF_INET6 = 30 on macOS
  nul6.set(v6, 4);
  assert.equal(decode(nul6, new Decoded(LinkType.NULL))[1].ipVersion, 6);
  assert.equal(decode(fromHex('07000000 4500'), new Decoded(LinkType.NULL))[0], 'unsupported');
  const sll = new Uint8Array(16 + ip.length);
  sll.set(fromHex('0000 0304 0006 000000000000 0000 0800'));
  sll.set(ip, 16);
  const [rs, ds] = decode(sll, new Decoded(LinkType.LINUX_SLL));
  assert.equal(rs, 'ok');
  assert.equal(ds.ipOff, 16);
  assert.equal(decode(ip, new Decoded(999))[0], 'unsupported');
});

test('decode: reasons for refused frames', () => {
  const d = new Decoded();
  const f = vec('lo-tcp-closed.txt', 1).bytes;
  // bad IPv4 header checksum
  const badIp = f.slice();
  badIp[22] ^= 1; // TTL
  assert.equal(decode(badIp, d)[0], 'bad-checksum');
  // IHL 4, version 5
  const ihl = f.slice();
  ihl[14] = 0x44;
  assert.equal(decode(ihl, d)[0], 'malformed');
  const ver = f.slice();
  ver[14] = 0x55;
  assert.equal(decode(ver, d)[0], 'malformed');
  // a non-first fragment
  const frag = f.slice();
  const ip = new Ipv4Packet(frag, 14, 40);
  ip.setFlagsAndFrag(false, false, 1480);
  ip.fillChecksum();
  const [rf, df] = decode(frag, d);
  assert.equal(rf, 'fragment');
  assert.equal(df.fragmented, true);
  assert.equal(df.proto, IpProtocol.TCP);
  assert.equal(df.srcPort, -1);
  // a first fragment (MF) still decodes its transport header
  ip.setFlagsAndFrag(false, true, 0);
  ip.fillChecksum();
  assert.equal(decode(frag, d)[0], 'ok');
  assert.equal(d.fragmented, true);
  // unknown IP protocol, unknown EtherType
  const gre = f.slice();
  const g = new Ipv4Packet(gre, 14, 40);
  g.setProtocol(47);
  g.fillChecksum();
  const [rg, dg] = decode(gre, d);
  assert.equal(rg, 'unsupported');
  assert.equal(dg.proto, 47);
  assert.equal(dg.src, 0x7f000001);
  const lldp = f.slice();
  lldp[12] = 0x88;
  lldp[13] = 0xcc;
  assert.equal(decode(lldp, d)[0], 'unsupported');
  // TCP data offset below 5
  const off = f.slice();
  off[46] = 0x40;
  assert.equal(decode(off, d)[0], 'malformed');
  // bad arguments
  assert.equal(decodeFrame(f, -1, 10, d), 'truncated');
  assert.equal(decodeFrame(f, 0, f.length + 1, d), 'truncated');
  assert.equal(decodeFrame(f, 0.5, 10, d), 'truncated');
  assert.equal(decodeFrame(f, 0, NaN, d), 'truncated');
});

test('decode: transport checksums are verified only when asked', () => {
  const verify = new Decoded(LinkType.ETHERNET, true);
  // as captured on lo: the TCP field holds only the pseudo-header sum
  const raw = vec('lo-tcp-open.txt', 1).bytes;
  assert.equal(decode(raw, new Decoded())[0], 'ok');
  assert.equal(decode(raw, verify)[0], 'bad-checksum');
  for (const [file, i] of [
    ['lo-tcp-open.txt', 1],
    ['lo-tcp-open.txt', 3],
    ['lo-udp.txt', 0],
    ['lo-ipv6.txt', 0],
    ['lo-ipv6.txt', 2],
    ['veth-ethernet.txt', 8],
  ] as const) {
    const f = fixed(file, i);
    assert.equal(decode(f, verify)[0], 'ok', `${file}#${i}`);
    f[f.length - 1] ^= 0x10;
    assert.equal(decode(f, verify)[0], 'bad-checksum', `${file}#${i} flipped`);
  }
  // ICMP and ICMPv6 checksums are computed in software: real vectors verify
  for (const [file, i] of [
    ['lo-icmp-echo.txt', 0],
    ['lo-udp.txt', 2],
    ['lo-ipv6.txt', 3],
    ['veth-ethernet.txt', 6],
  ] as const) {
    const f = vec(file, i).bytes.slice();
    assert.equal(decode(f, verify)[0], 'ok', `${file}#${i}`);
    f[f.length - 2] ^= 0x01;
    assert.equal(decode(f, verify)[0], 'bad-checksum', `${file}#${i} flipped`);
  }
  // UDP over IPv6 with a zero checksum (RFC 8200 §8.1)
  const z = fixed('lo-ipv6.txt', 2);
  z[54 + 6] = 0;
  z[54 + 7] = 0;
  assert.equal(decode(z, verify)[0], 'bad-checksum');
  assert.equal(decode(z, new Decoded())[0], 'ok');
});

/** IPv4 + SCTP INIT ACK from 10.0.0.1:80 to 192.0.2.50:40000, vtag = our cookie. */
function sctpFrame(chunk: string): Uint8Array {
  const sctp = fromHex('0050 9c40 09eedd0d 00000000' + chunk);
  new SctpPacket(sctp).fillChecksum();
  const f = new Uint8Array(34 + sctp.length);
  f.set(fromHex('025000000001 025000000002 0800'));
  const ip = new Ipv4Packet(f, 14, 20 + sctp.length);
  f[14] = 0x45;
  ip.setTotalLen(20 + sctp.length);
  ip.setTtl(64);
  ip.setProtocol(IpProtocol.SCTP);
  ip.setSrc(ipv4FromText('10.0.0.1'));
  ip.setDst(ipv4FromText('192.0.2.50'));
  ip.fillChecksum();
  f.set(sctp, 34);
  return f;
}

test('decode: SCTP INIT ACK and ABORT', () => {
  const initAck = sctpFrame('0200 0018 cafef00d 0001a000 000a 000a 00000007 0007 0004');
  const d = new Decoded(LinkType.ETHERNET, true);
  assert.equal(decode(initAck, d)[0], 'ok');
  assert.equal(d.proto, IpProtocol.SCTP);
  assert.equal(d.srcPort, 80);
  assert.equal(d.dstPort, 40000);
  assert.equal(d.sctpVtag, 0x09eedd0d);
  assert.equal(d.sctpChunkType, 2);
  assert.equal(d.sctpInitiateTag, 0xcafef00d);
  const abort = sctpFrame('0601 0004');
  assert.equal(decode(abort, d)[0], 'ok');
  assert.equal(d.sctpChunkType, 6);
  assert.equal(d.sctpChunkFlags, 1);
  abort[abort.length - 1] ^= 1; // the chunk length byte: checksum now wrong, and length 5
  assert.equal(decode(abort, d)[0], 'truncated');
  const flipped = sctpFrame('0601 0004');
  flipped[34 + 4] ^= 1; // vtag
  assert.equal(decode(flipped, d)[0], 'bad-checksum');
  assert.equal(decode(sctpFrame('0200 0008 00000000'), d)[0], 'malformed'); // INIT ACK too short
});

/** A mix of the frames a scanner receives, decoded in a loop. */
function mix(): Uint8Array[] {
  return [
    vec('lo-tcp-open.txt', 1).bytes, // SYN-ACK
    vec('lo-tcp-closed.txt', 1).bytes, // RST
    vec('veth-ethernet.txt', 3).bytes, // ICMP unreachable
    vec('veth-ethernet.txt', 9).bytes, // ICMPv6 unreachable
    vec('veth-ethernet.txt', 6).bytes, // NS
    vec('veth-ethernet.txt', 0).bytes, // ARP
    vec('lo-udp.txt', 0).bytes, // UDP
    vec('lo-icmp-echo.txt', 1).bytes, // echo reply
  ];
}

/** Median heap growth per chunk of `chunk` decodes of `frames`, after a warm-up. */
function heapGrowth(frames: Uint8Array[], d: Decoded, chunk: number): number {
  // NOTE: the loop's own bookkeeping must not allocate either: a number captured by a closure
  // that grows past 2^31 is boxed anew on every update. An Int32Array element never is.
  const sink = new Int32Array(1);
  const n = frames.length;
  const run = (count: number): void => {
    for (let i = 0; i < count; i++) {
      const f = frames[i % n];
      if (decodeFrame(f, 0, f.length, d) === 'ok') sink[0] += d.srcPort;
    }
  };
  run(300_000); // warm up: let the optimizing compiler finish
  const deltas: number[] = [];
  for (let c = 0; c < 50; c++) {
    const before = process.memoryUsage().heapUsed;
    run(chunk);
    deltas.push(process.memoryUsage().heapUsed - before);
  }
  assert.ok(sink[0] !== 0);
  deltas.sort((a, b) => a - b);
  return deltas[deltas.length >> 1];
}

// Any per-frame allocation (>= 16 bytes) would add >= 320 kB per chunk of 20,000; a chunk with a
// GC in it shows a negative delta, so the median is the robust figure.
test('decode: allocates nothing per frame', () => {
  const median = heapGrowth(mix(), new Decoded(), 20_000);
  assert.ok(median < 20_000, `heap grew by a median ${median} bytes per 20000 decodes`);
});

test('decode: allocates nothing per frame with transport checksums verified', () => {
  const frames = [
    fixed('lo-tcp-open.txt', 1),
    fixed('lo-ipv6.txt', 0),
    fixed('lo-udp.txt', 0),
    fixed('veth-ethernet.txt', 8),
    vec('veth-ethernet.txt', 3).bytes,
    vec('veth-ethernet.txt', 9).bytes,
    sctpFrame('0200 0018 cafef00d 0001a000 000a 000a 00000007 0007 0004'),
  ];
  const d = new Decoded(LinkType.ETHERNET, true);
  for (const f of frames) assert.equal(decodeFrame(f, 0, f.length, d), 'ok');
  const median = heapGrowth(frames, d, 20_000);
  assert.ok(median < 20_000, `heap grew by a median ${median} bytes per 20000 decodes`);
});

test('decode: throughput (report)', (t) => {
  const frames = mix();
  const d = new Decoded();
  const synAck = frames[0];
  const measure = (n: number, all: boolean): number => {
    const t0 = process.hrtime.bigint();
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const f = all ? frames[i & 7] : synAck;
      if (decodeFrame(f, 0, f.length, d) === 'ok') ok++;
    }
    const ns = Number(process.hrtime.bigint() - t0);
    assert.equal(ok, n);
    return (n / ns) * 1e9;
  };
  measure(200_000, true);
  const mixed = measure(2_000_000, true);
  const syn = measure(2_000_000, false);
  t.diagnostic(`decodeFrame: ${(syn / 1e6).toFixed(1)} M/s on a SYN-ACK, ${(mixed / 1e6).toFixed(1)} M/s on a mix of 8 reply kinds`);
  assert.ok(syn > 100_000); // a floor only; the figure is reported, not asserted
  assert.equal(getU32(synAck, 0), 0);
});
