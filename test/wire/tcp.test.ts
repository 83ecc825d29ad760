import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  emitTcp,
  tcpOptionsLen,
  findTcpOption,
  parseTcp,
  parseTcpOptions,
  TcpFlags,
  TcpOptionKind,
  tcpBufferLen,
  tcpHeaderLen,
  TcpPacket,
  type TcpOption,
  type TcpRepr,
} from '../../src/wire/tcp.js';
import { emitEthernet, EtherType, EthernetFrame } from '../../src/wire/ethernet.js';
import { emitIpv4, Ipv4Packet } from '../../src/wire/ipv4.js';
import { fromHex, ipv4FromText, ipv6FromText, macFromText } from '../../src/wire/bytes.js';
import { pseudoHeaderSum, type IpPair } from '../../src/wire/checksum.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { assertBytes, filled, vec } from './helpers.js';

const LO4: IpPair = { version: 4, src: 0x7f000001, dst: 0x7f000001 };
const LO6: IpPair = { version: 6, src: ipv6FromText('::1'), dst: ipv6FromText('::1') };

/** A real segment with its checksum made real (lo carries only the pseudo-header sum). */
function segment(file: string, i: number, ip: IpPair, ipHeader: number): Uint8Array {
  const seg = vec(file, i).bytes.slice(14 + ipHeader);
  new TcpPacket(seg).fillChecksum(pseudoHeaderSum(ip, IpProtocol.TCP, seg.length));
  return seg;
}

// IP 127.0.0.1.47001 > 127.0.0.1.47080: Flags [S], seq ..., win 65495,
//   options [mss 65495,sackOK,TS val ... ecr 0,nop,wscale 10], length 0
const SYN = segment('lo-tcp-open.txt', 0, LO4, 20);
// Flags [P.], ..., options [nop,nop,TS val ... ecr ...], length 7 ("hello\r\n")
const DATA = segment('lo-tcp-open.txt', 3, LO4, 20);
// IP 127.0.0.1.47081 > 127.0.0.1.47002: Flags [R.], seq 0, ack ..., win 0, length 0 (real checksum)
const RST = vec('lo-tcp-closed.txt', 1).bytes.slice(34);

test('tcp: deconstruct a real SYN', () => {
  const p = new TcpPacket(SYN);
  assert.equal(p.checkLen(), null);
  assert.equal(p.srcPort(), 47001);
  assert.equal(p.dstPort(), 47080);
  assert.equal(p.ack(), 0);
  assert.equal(p.headerLen(), 40);
  assert.equal(p.flags(), TcpFlags.SYN);
  assert.equal(p.window(), 65495);
  assert.equal(p.urgent(), 0);
  assert.equal(p.optionsLen(), 20);
  assert.equal(p.payloadLen(), 0);
  assert.equal(p.verifyChecksum(pseudoHeaderSum(LO4, IpProtocol.TCP, SYN.length)), true);
  const opts = parseTcpOptions(SYN, p.optionsOff(), p.optionsLen());
  assert.ok(typeof opts !== 'string');
  assert.deepEqual(
    opts.map((o) => o.kind),
    ['mss', 'sack-permitted', 'timestamp', 'nop', 'window-scale'],
  );
  assert.deepEqual(opts[0], { kind: 'mss', mss: 65495 });
  assert.deepEqual(opts[4], { kind: 'window-scale', shift: 10 });
  const ts = opts[2];
  assert.ok(ts.kind === 'timestamp' && ts.tsecr === 0 && ts.tsval === new TcpPacket(SYN).buf.subarray(28, 32).reduce((a, b) => a * 256 + b, 0));
  assert.equal(findTcpOption(SYN, 20, 20, TcpOptionKind.MSS), 20);
  assert.equal(findTcpOption(SYN, 20, 20, TcpOptionKind.WINDOW_SCALE), 37);
  assert.equal(findTcpOption(SYN, 20, 20, TcpOptionKind.SACK), -1);
  const rst = new TcpPacket(RST);
  assert.equal(rst.flags(), TcpFlags.RST | TcpFlags.ACK);
  assert.equal(rst.seq(), 0);
  assert.equal(rst.verifyChecksum(pseudoHeaderSum(LO4, IpProtocol.TCP, RST.length)), true);
});

// masscan-compat §6.2: masscan's SYN template, 58 bytes, seq = cookie 0x09eedd0d.
const MASSCAN_FRAME = fromHex(
  '665544332211 020000000001 0800' +
    '4500002cdd5c0000ff06123cc00002320a000001' +
    '9c400050 09eedd0d 00000000 6002 0401 4466 0000 020405b4',
);
const MASSCAN_IP: IpPair = { version: 4, src: ipv4FromText('192.0.2.50'), dst: ipv4FromText('10.0.0.1') };
const MASSCAN_TCP: TcpRepr = {
  srcPort: 40000,
  dstPort: 80,
  seq: 0x09eedd0d,
  ack: 0,
  flags: TcpFlags.SYN,
  window: 1025,
  urgent: 0,
  options: [{ kind: 'mss', mss: 1460 }],
  payload: new Uint8Array(0),
};

test('tcp: construct masscan\'s SYN template frame field by field into a 0xa5 buffer', () => {
  const b = filled(58);
  emitEthernet(
    { dst: macFromText('66:55:44:33:22:11'), src: macFromText('02:00:00:00:00:01'), etherType: EtherType.IPV4, vlanTci: undefined },
    new EthernetFrame(b),
  );
  emitIpv4(
    {
      src: MASSCAN_IP.src,
      dst: MASSCAN_IP.dst,
      protocol: IpProtocol.TCP,
      payloadLen: tcpBufferLen(MASSCAN_TCP),
      ttl: 255,
      tos: 0,
      ident: 0xdd5c,
      dontFrag: false,
      moreFrags: false,
      fragOffset: 0,
      options: new Uint8Array(0),
    },
    new Ipv4Packet(b, 14),
  );
  emitTcp(MASSCAN_TCP, new TcpPacket(b, 34, 24), MASSCAN_IP);
  assertBytes(b, MASSCAN_FRAME, 'masscan template');
});

test('tcp: parse then emit gives the same bytes (SYN, data, RST, masscan, IPv6 SYN)', () => {
  const v6 = segment('lo-ipv6.txt', 0, LO6, 40);
  const cases: [Uint8Array, IpPair][] = [
    [SYN, LO4],
    [DATA, LO4],
    [RST, LO4],
    [MASSCAN_FRAME.slice(34), MASSCAN_IP],
    [v6, LO6],
  ];
  for (const [bytes, ip] of cases) {
    const r = parseTcp(new TcpPacket(bytes), ip);
    assert.ok(typeof r !== 'string', String(r));
    assert.equal(tcpBufferLen(r), bytes.length);
    const b = filled(bytes.length);
    emitTcp(r, new TcpPacket(b), ip);
    assertBytes(b, bytes);
  }
  const d = parseTcp(new TcpPacket(DATA), LO4);
  assert.ok(typeof d !== 'string');
  assert.equal(new TextDecoder().decode(d.payload), 'hello\r\n');
  assert.equal(d.flags, TcpFlags.PSH | TcpFlags.ACK);
});

test('tcp: every option kind round-trips, padded with EOL to 32 bits', () => {
  const options: TcpOption[] = [
    { kind: 'mss', mss: 1460 },
    { kind: 'nop' },
    { kind: 'window-scale', shift: 7 },
    { kind: 'sack-permitted' },
    { kind: 'timestamp', tsval: 0xfedcba98, tsecr: 1 },
    { kind: 'sack', blocks: [1, 2] },
    { kind: 'unknown', type: 30, data: fromHex('abcd') },
    { kind: 'eol' },
  ];
  const repr: TcpRepr = { ...MASSCAN_TCP, flags: TcpFlags.SYN | TcpFlags.ECE | TcpFlags.CWR | TcpFlags.NS, options };
  assert.equal(tcpHeaderLen(repr), 20 + 36);
  const b = filled(tcpBufferLen(repr));
  emitTcp(repr, new TcpPacket(b), MASSCAN_IP);
  assert.deepEqual(b.subarray(20 + 35), new Uint8Array(1)); // one byte of padding, zero
  const back = parseTcp(new TcpPacket(b), MASSCAN_IP);
  assert.ok(typeof back !== 'string');
  assert.deepEqual(back.options, options);
  assert.equal(back.flags, repr.flags);
});

test('tcp: malformed option lengths are refused, never read past the header', () => {
  const bad: string[] = [
    '0200', // MSS with length 0
    '0203 05', // MSS with length 3
    '0204 05', // MSS cut short by the end of the options
    '03', // WS with no length byte
    '0802 0000', // timestamp length 2
    '050a 0000 0000 0000 0000', // SACK of 8 bytes (1 block) is 10: ok; see below
    'fe01', // unknown option with length 1
    'fe09 0000', // unknown option running past the end
  ];
  for (const h of bad) {
    const o = fromHex(h);
    const r = parseTcpOptions(o, 0, o.length);
    if (h.startsWith('050a')) {
      assert.ok(typeof r !== 'string');
      continue;
    }
    assert.equal(r, 'malformed', h);
    assert.ok(findTcpOption(o, 0, o.length, 99) < 0);
  }
  // An EOL ends the list: what follows is padding, whatever it holds.
  const eol = fromHex('00 02 04');
  assert.deepEqual(parseTcpOptions(eol, 0, 3), [{ kind: 'eol' }]);
  // parseTcp refuses a segment with malformed options
  const seg = SYN.slice();
  seg[21] = 0; // MSS length 0
  assert.equal(parseTcp(new TcpPacket(seg), null), 'malformed');
});

test('tcp: impossible lengths and bad checksum', () => {
  for (let n = 0; n < 20; n++) assert.equal(parseTcp(new TcpPacket(SYN.subarray(0, n)), null), 'truncated');
  assert.equal(parseTcp(new TcpPacket(SYN.subarray(0, 39)), null), 'truncated'); // offset says 40
  const off4 = SYN.slice();
  off4[12] = 0x40;
  assert.equal(parseTcp(new TcpPacket(off4), null), 'malformed');
  const bad = SYN.slice();
  bad[15] ^= 1;
  assert.equal(parseTcp(new TcpPacket(bad), LO4), 'bad-checksum');
  assert.notEqual(typeof parseTcp(new TcpPacket(bad), null), 'string');
  // frames as captured on lo (pseudo-header sum only) fail verification
  const raw = vec('lo-tcp-open.txt', 0).bytes.slice(34);
  assert.equal(parseTcp(new TcpPacket(raw), LO4), 'bad-checksum');
});

test('tcp: emit refuses more than 40 bytes of options', () => {
  const options: TcpOption[] = Array.from({ length: 41 }, () => ({ kind: 'nop' }) as const);
  assert.throws(() => emitTcp({ ...MASSCAN_TCP, options }, new TcpPacket(new Uint8Array(80)), null), /too long/);
});

test('tcp: any repr emits and parses back to itself', () => {
  const optionArb: fc.Arbitrary<TcpOption> = fc.oneof(
    fc.constant({ kind: 'nop' } as const),
    fc.nat(0xffff).map((mss) => ({ kind: 'mss', mss }) as const),
    fc.nat(255).map((shift) => ({ kind: 'window-scale', shift }) as const),
    fc.constant({ kind: 'sack-permitted' } as const),
    fc.tuple(fc.nat(0xffffffff), fc.nat(0xffffffff)).map(([tsval, tsecr]) => ({ kind: 'timestamp', tsval, tsecr }) as const),
  );
  fc.assert(
    fc.property(
      fc.record({
        srcPort: fc.nat(0xffff),
        dstPort: fc.nat(0xffff),
        seq: fc.nat(0xffffffff),
        ack: fc.nat(0xffffffff),
        flags: fc.nat(0x1ff),
        window: fc.nat(0xffff),
        urgent: fc.nat(0xffff),
        options: fc.array(optionArb, { maxLength: 3 }),
        payload: fc.uint8Array({ maxLength: 40 }),
      }),
      (repr: TcpRepr) => {
        const b = new Uint8Array(tcpBufferLen(repr));
        emitTcp(repr, new TcpPacket(b), MASSCAN_IP);
        const back = parseTcp(new TcpPacket(b), MASSCAN_IP);
        assert.ok(typeof back !== 'string');
        // zero padding after options that do not end on 32 bits reads back as one EOL
        const opts = back.options;
        if (tcpHeaderLen(repr) - 20 !== tcpOptionsLen(repr.options)) {
          assert.deepEqual(opts.pop(), { kind: 'eol' });
        }
        assert.deepEqual({ ...back, payload: Array.from(back.payload) }, { ...repr, payload: Array.from(repr.payload) });
      },
    ),
    { numRuns: 300 },
  );
});
