/**
 * `--selftest` (aliases `--self-test`, `--regress`): masscan's built-in regression test
 * (reference masscan-compat.md §11), for a binary that may have been built or installed
 * somewhere the test suite never ran.
 *
 * Every unit exercises the SHIPPED code (the modules a scan uses), in process, with fixed
 * inputs, and compares it with facts that do not come from that code: published vectors
 * (SipHash paper, RFC 1071, CRC32c "123456789", masscan's verified blackrock, cookie and SYN
 * frame vectors), a second construction of the same thing (a template frame against the frame
 * built field by field with the wire reprs), or invariants (the permutation is a bijection and
 * unshuffle inverts it; writer -> reader gives the records back, however the bytes are split).
 *
 * Unlike masscan's `blackrock_selftest`, nothing is seeded from the clock: every run checks
 * exactly the same thing (style-anchors §3.6). No unit touches the network, the file system or
 * a timer; the whole run takes well under a second.
 *
 * Output (stderr by default), masscan's: nothing per passing unit; one line per failing unit
 * `[-] selftest: <unit>: <why>`; then `regression test: success!` (exit 0) or
 * `regression test: failed :( ` (exit 1, trailing space included).
 *
 * The unit list is data (`selftestUnits`), and `runUnits` runs any list, so tests can check
 * that a broken unit is reported.
 */
import { Blackrock, blackrockAB } from '../target/blackrock.js';
import { parseIPv4, formatIPv4 } from '../target/ipv4.js';
import { parseIPv6, formatIPv6, ipv6ToWords, wordsToIPv6 } from '../target/ipv6.js';
import { parseTargetSpec } from '../target/parse.js';
import { Picker, Target } from '../target/picker.js';
import { buildPlan } from '../target/plan.js';
import { PortList, parsePorts, formatPortsForEcho, PORT_UDP_BASE, PORT_SCTP_BASE, PORT_OPROTO_BASE } from '../target/ports.js';
import { RangeList4, RangeList6 } from '../target/range-list.js';
import { indexSlice } from '../target/shard.js';
import { foldChecksum, internetChecksum, pseudoHeaderSum4, sumWords, updateChecksum16, crc32c, crc32cUpdate } from '../wire/checksum.js';
import { fromHex, toHex } from '../wire/bytes.js';
import { Decoded, decodeFrame } from '../wire/decode.js';
import { EtherType, EthernetFrame, emitEthernet } from '../wire/ethernet.js';
import { IpProtocol } from '../wire/ip.js';
import { Ipv4Packet, emitIpv4 } from '../wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../wire/ipv6.js';
import { TcpFlags, TcpPacket, emitTcp, tcpBufferLen, type TcpRepr } from '../wire/tcp.js';
import { UdpPacket, emitUdp } from '../wire/udp.js';
import { Icmpv4Packet, emitIcmpv4 } from '../wire/icmpv4.js';
import { SipKey, sip16, sip40 } from '../crypto/siphash.js';
import { CookieKey, ICMP_ECHO_PORT, cookie4, cookie6, tcpAckMatches4, cookieId16, cookieSnmp } from '../crypto/cookie.js';
import { ProbeSet4, ProbeSet6, TcpTemplate4, ipv6Bytes, ipv6Words } from './template.js';
import { classify, classifyContext, Verdict, RecStatus, RecordKind, type ClassifyContext } from './receive.js';
import { BUILTIN_UDP_PAYLOADS, UdpPayloadTable, buildPayloadTable, cookieFieldWidth, writePayloadCookie } from './udp-payloads.js';
import { DedupTable } from './dedup.js';
import { binaryFormat, BinaryReader } from '../output/binary.js';
import { Sink, type OutputFs } from '../output/sink.js';
import { builtinServiceNames } from '../output/services.js';
import { ipv6ToString } from '../core/address.js';
import type { ScanRecord } from '../core/record.js';
import { writeSync } from 'node:fs';
import { isScanError } from '../error.js';

// ---------------------------------------------------------------------------------------
// The harness.
// ---------------------------------------------------------------------------------------

/** One self-test unit (masscan's `xxx_selftest()`). */
export interface SelftestUnit {
  /** Printed on failure: `[-] selftest: <name>: <why>`. */
  readonly name: string;
  /** What it covers (one line, for readers and --help-like listings). */
  readonly what: string;
  /** Throws on failure (a SelftestFailure says why; anything else is reported too). */
  run(): void | Promise<void>;
}

/** A check that did not hold; the message is the one-line reason printed. */
export class SelftestFailure extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'SelftestFailure';
  }
}

/** masscan's last line on success (stderr). */
export const SELFTEST_SUCCESS = 'regression test: success!';
/** masscan's last line on failure (stderr; the trailing space is masscan's). */
export const SELFTEST_FAILED = 'regression test: failed :( ';

function fail(why: string): never {
  throw new SelftestFailure(why);
}

function check(cond: boolean, why: string): asserts cond {
  if (!cond) fail(why);
}

function show(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return toHex(v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  // Cookies, checksums and addresses read better in hex.
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0x10000) return `${v} (0x${v.toString(16)})`;
  return String(v);
}

function eq(actual: unknown, expected: unknown, what: string): void {
  if (actual !== expected) fail(`${what}: got ${show(actual)}, expected ${show(expected)}`);
}

function eqList(actual: readonly unknown[], expected: readonly unknown[], what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) fail(`${what}: got ${show(actual)}, expected ${show(expected)}`);
  }
}

function eqBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  const n = Math.max(actual.length, expected.length);
  for (let i = 0; i < n; i++) {
    if (actual[i] !== expected[i]) {
      fail(`${what}: differs at byte ${i} of ${actual.length} (expected ${expected.length}): ` +
        `got ${toHex(actual, i, 8)}, expected ${toHex(expected, i, 8)}`);
    }
  }
}

/** Expects `f` to throw a ScanError with this code. */
function throwsScan(f: () => unknown, code: string, what: string): void {
  try {
    f();
  } catch (e) {
    if (isScanError(e) && e.code === code) return;
    fail(`${what}: threw ${e instanceof Error ? e.message : String(e)}, expected ScanError ${code}`);
  }
  fail(`${what}: accepted, expected ScanError ${code}`);
}

/** A deterministic PRNG (xorshift32) for varied but reproducible inputs. */
class Xorshift {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  u32(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  below(n: number): number {
    return this.u32() % n;
  }
}

const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * Writes `line` and a newline to file descriptor `fd` synchronously. Returns false when the
 * descriptor is gone (EPIPE: the reader of a pipe quit; EBADF), so the caller can stop
 * printing; never throws. NOTE: not process.stdout/stderr.write: on a closed pipe those emit
 * an 'error' event that would end the process with a stack trace.
 */
export function writeLineSync(fd: number, line: string): boolean {
  const b = Buffer.from(`${line}\n`, 'utf8');
  let off = 0;
  let spins = 0;
  while (off < b.length) {
    try {
      off += writeSync(fd, b, off, b.length - off);
    } catch (e) {
      // A non-blocking pipe whose reader is slow: wait a little rather than lose the line.
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' && spins++ < 2000) {
        Atomics.wait(PAUSE, 0, 0, 1);
        continue;
      }
      return false;
    }
  }
  return true;
}

/** Writes a line to stderr (masscan prints its selftest result there). */
function stderrLine(line: string): void {
  writeLineSync(2, line);
}

function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ');
}

/**
 * Runs `units` in order; every failing unit prints one line `[-] selftest: <name>: <why>`.
 * Ends with masscan's success or failure line. Returns the exit code (0 all passed, 1 not).
 */
export async function runUnits(units: readonly SelftestUnit[], out: (line: string) => void = stderrLine): Promise<number> {
  let failed = 0;
  for (const u of units) {
    try {
      await u.run();
    } catch (e) {
      failed++;
      const why = e instanceof SelftestFailure ? e.message
        : e instanceof Error ? `unexpected ${e.name}: ${e.message}` : `unexpected throw: ${String(e)}`;
      out(oneLine(`[-] selftest: ${u.name}: ${why}`));
    }
  }
  out(failed === 0 ? SELFTEST_SUCCESS : SELFTEST_FAILED);
  return failed === 0 ? 0 : 1;
}

/** `--selftest`: every unit of `selftestUnits`. Returns the exit code. */
export async function runSelftest(out: (line: string) => void = stderrLine): Promise<number> {
  return runUnits(selftestUnits, out);
}

// ---------------------------------------------------------------------------------------
// Shared fixtures: masscan's verified probe (reference §6.1, §6.2).
// ---------------------------------------------------------------------------------------

/** 10.0.0.1:80 (them) <- 192.0.2.50:40000 (us), seed 1. */
const THEM = 0x0a000001;
const ME = 0xc0000232;
const MY_PORT = 40000;
const MAC_US = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
const MAC_ROUTER = Uint8Array.of(0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
const ME6 = 0x20010db8000000000000000000000032n;
const THEM6 = 0x20010db8000000010000000000000001n;

/** masscan HEAD's offline SYN frame for that probe (§6.2), 58 bytes before our padding. */
const MASSCAN_SYN = fromHex(
  '665544332211 020000000001 0800' +
  '4500 002c dd5c 0000 ff06 123c c0000232 0a000001' +
  '9c40 0050 09eedd0d 00000000 6002 0401 4466 0000 020405b4',
);

/**
 * A TCP segment over IPv4 in an Ethernet frame (zero-padded to 60 bytes), built field by
 * field with the wire reprs, checksums included. Not the hot path: for checks and benchmarks.
 */
export function reprTcp4(
  src: number, dst: number, r: TcpRepr, ttl: number, ident: number, vlan: number | undefined,
  srcMac: Uint8Array, dstMac: Uint8Array,
): Uint8Array {
  const l2 = vlan === undefined ? 14 : 18;
  const len = tcpBufferLen(r);
  const b = new Uint8Array(Math.max(60, l2 + 20 + len));
  emitEthernet({ dst: dstMac, src: srcMac, etherType: EtherType.IPV4, vlanTci: vlan }, new EthernetFrame(b, 0, b.length));
  emitIpv4({ src, dst, protocol: IpProtocol.TCP, payloadLen: len, ttl, tos: 0, ident, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(b, l2, 20 + len));
  emitTcp(r, new TcpPacket(b, l2 + 20, len), { version: 4, src, dst });
  return b;
}

function reprTcp6(src: Uint8Array, dst: Uint8Array, r: TcpRepr, hop: number, srcMac: Uint8Array, dstMac: Uint8Array): Uint8Array {
  const len = tcpBufferLen(r);
  const b = new Uint8Array(Math.max(60, 14 + 40 + len));
  emitEthernet({ dst: dstMac, src: srcMac, etherType: EtherType.IPV6, vlanTci: undefined }, new EthernetFrame(b, 0, b.length));
  emitIpv6({ src, dst, nextHeader: IpProtocol.TCP, payloadLen: len, hopLimit: hop, trafficClass: 0, flowLabel: 0 }, new Ipv6Packet(b, 14, 40 + len));
  emitTcp(r, new TcpPacket(b, 54, len), { version: 6, src, dst });
  return b;
}

function synRepr(sport: number, dport: number, seq: number): TcpRepr {
  return {
    srcPort: sport, dstPort: dport, seq, ack: 0, flags: TcpFlags.SYN, window: 1025, urgent: 0,
    options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0),
  };
}

// ---------------------------------------------------------------------------------------
// Units.
// ---------------------------------------------------------------------------------------

/** §5.1 vectors: [range, seed, a, b, shuffle(0..), rounds]. Verified against masscan -sL. */
const BLACKROCK_VECTORS: ReadonlyArray<readonly [number, bigint, number, number, readonly number[], number]> = [
  [8, 1n, 3, 3, [1, 2, 3, 6, 0, 7, 4, 5], 14],
  [4, 42n, 2, 3, [1, 2, 0, 3], 14],
  [6, 7n, 2, 4, [1, 0, 3, 2, 4, 5], 14],
  [1000, 0n, 29, 35, [700, 605, 271, 597, 84, 752, 26, 698], 14],
  [262144, 12345678901234567890n, 510, 515, [43337, 231049, 8299, 225866, 138422, 203983, 20501, 8722], 14],
  [4294967296, 1n, 65534, 65539, [3485298426, 1936647200, 1481647361, 3898614378, 2196131589, 539621692, 757957635, 1029318539], 14],
  [1000, 0n, 29, 35, [788, 445, 646, 524, 517, 407, 822, 867, 223, 100], 4],
];

const blackrockUnit: SelftestUnit = {
  name: 'blackrock',
  what: 'masscan vectors, bijection on several ranges, unshuffle inverts shuffle, batch = single',
  run() {
    for (const [range, seed, a, b, expect, rounds] of BLACKROCK_VECTORS) {
      const ab = blackrockAB(range);
      eq(`${ab.a},${ab.b}`, `${a},${b}`, `a,b for range ${range}`);
      const br = new Blackrock(range, seed, rounds);
      const got = expect.map((_, i) => br.shuffle(i));
      eqList(got, expect, `shuffle(0..${expect.length - 1}) range ${range} seed ${seed} rounds ${rounds}`);
      for (let i = 0; i < expect.length; i++) eq(br.unshuffle(expect[i]), i, `unshuffle(${expect[i]}) range ${range}`);
    }
    // Every value exactly once (masscan's blackrock_verify), on ranges that take each path:
    // tiny special cases, even and odd round counts, a*b far above range (cycle walks).
    const cases: ReadonlyArray<readonly [number, bigint, number]> = [
      [1, 3n, 14], [2, 3n, 14], [3, 9n, 14], [7, 0n, 14], [97, 5n, 3], [1000, 0xdeadbeefn, 14],
      [65537, 0x5eed5eed5eed5eedn, 14], [123457, 2n ** 64n - 1n, 5],
    ];
    const input = new Float64Array(256);
    const out = new Float64Array(256);
    for (const [range, seed, rounds] of cases) {
      const br = new Blackrock(range, seed, rounds);
      const seen = new Uint8Array(range);
      for (let i = 0; i < range; i++) {
        const x = br.shuffle(i);
        check(Number.isInteger(x) && x >= 0 && x < range, `shuffle(${i}) = ${x} outside [0, ${range}) seed ${seed}`);
        check(seen[x] === 0, `shuffle is not a bijection on range ${range} seed ${seed}: ${x} twice`);
        seen[x] = 1;
        const back = br.unshuffle(x);
        if (back !== i) fail(`unshuffle(shuffle(${i})) = ${back} on range ${range} seed ${seed} rounds ${rounds}`);
      }
      // shuffleBatch is the transmit loop's path: it must agree with shuffle.
      for (let start = 0; start < range; start += 256 * 37) {
        const n = Math.min(256, range - start);
        for (let k = 0; k < n; k++) input[k] = start + k;
        br.shuffleBatch(input, out, n);
        for (let k = 0; k < n; k++) {
          if (out[k] !== br.shuffle(start + k)) fail(`shuffleBatch(${start + k}) = ${out[k]}, shuffle = ${br.shuffle(start + k)}, range ${range}`);
        }
      }
    }
    // A large range: sampled inverse check (2^40 x 3 ports worth of indices).
    const big = new Blackrock(3 * 2 ** 40, 42n, 14);
    const rng = new Xorshift(7);
    for (let k = 0; k < 2000; k++) {
      const m = rng.u32() * 768 + rng.below(768);
      const x = big.shuffle(m);
      check(x < big.range, `shuffle(${m}) = ${x} >= range ${big.range}`);
      eq(big.unshuffle(x), m, `unshuffle(shuffle(${m})) on range 3*2^40`);
    }
  },
};

const siphashUnit: SelftestUnit = {
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

const cookieUnit: SelftestUnit = {
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

const checksumUnit: SelftestUnit = {
  name: 'checksum',
  what: 'internet checksum (RFC 1071 example, IPv4 header, masscan SYN), incremental update, CRC32c',
  run() {
    // RFC 1071 §3: 0001 f203 f4f5 f6f7 sums to ddf2 (one's complement), checksum 220d.
    const rfc = fromHex('0001 f203 f4f5 f6f7');
    eq(foldChecksum(sumWords(rfc, 0, 8, 0)), 0x220d, 'RFC 1071 example checksum');
    eq(internetChecksum(rfc, 0, 8), 0x220d, 'internetChecksum of the RFC 1071 example');
    // Odd length: a trailing byte is padded with zero.
    eq(internetChecksum(fromHex('0001 f203 f4'), 0, 5), foldChecksum(0x0001 + 0xf203 + 0xf400), 'odd-length checksum');
    // A classic IPv4 header (checksum b861); verifying over it gives 0.
    const ip = fromHex('4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7');
    eq(internetChecksum(ip, 0, 20), 0xb861, 'IPv4 header checksum');
    ip[10] = 0xb8; ip[11] = 0x61;
    eq(internetChecksum(ip, 0, 20), 0, 'IPv4 header with its checksum');
    // Incremental update (RFC 1624) equals a recompute: change the TTL/protocol word.
    const upd = updateChecksum16(0xb861, 0x4011, 0x3f11);
    ip[8] = 0x3f; ip[10] = 0; ip[11] = 0;
    eq(upd, internetChecksum(ip, 0, 20), 'incremental checksum update after a TTL change');
    // masscan's SYN (§6.2): IP checksum 123c, TCP checksum (with pseudo-header) 4466.
    const syn = MASSCAN_SYN.slice();
    syn[24] = 0; syn[25] = 0;
    eq(internetChecksum(syn, 14, 20), 0x123c, 'masscan SYN IPv4 checksum');
    syn[50] = 0; syn[51] = 0;
    eq(foldChecksum(sumWords(syn, 34, 24, pseudoHeaderSum4(ME, THEM, IpProtocol.TCP, 24))), 0x4466, 'masscan SYN TCP checksum');
    // CRC32c (SCTP): the standard check value, and in pieces.
    const ascii = Uint8Array.from('123456789', (c) => c.charCodeAt(0));
    eq(crc32c(ascii, 0, 9), 0xe3069283, 'CRC32c("123456789")');
    const part = crc32cUpdate(crc32cUpdate(0xffffffff, ascii, 0, 4), ascii, 4, 5);
    eq(~part >>> 0, 0xe3069283, 'CRC32c in two pieces');
    eq(crc32c(new Uint8Array(32), 0, 32), 0x8a9136aa, 'CRC32c of 32 zero bytes (RFC 3720 B.4)');
  },
};

const ipv4Unit: SelftestUnit = {
  name: 'ipv4address',
  what: 'IPv4 parse/format round trips and refused forms',
  run() {
    const good: ReadonlyArray<readonly [string, number, string]> = [
      ['0.0.0.0', 0, '0.0.0.0'], ['255.255.255.255', 0xffffffff, '255.255.255.255'],
      ['10.0.0.1', 0x0a000001, '10.0.0.1'], ['192.0.2.50', 0xc0000232, '192.0.2.50'],
      // Leading zeros are decimal, not octal (§2.1).
      ['010.001.1.1', 0x0a010101, '10.1.1.1'],
    ];
    for (const [text, value, back] of good) {
      eq(parseIPv4(text), value, `parseIPv4(${text})`);
      eq(formatIPv4(value), back, `formatIPv4(${value})`);
    }
    for (const bad of ['1.2.3', '256.1.1.1', '1.2.3.4.5', '1.2.3.', '', 'a.b.c.d', '1.2.3.4/8', ' 1.2.3.4']) {
      eq(parseIPv4(bad), null, `parseIPv4(${JSON.stringify(bad)}) should be refused`);
    }
    const rng = new Xorshift(4);
    for (let k = 0; k < 1000; k++) {
      const v = rng.u32();
      eq(parseIPv4(formatIPv4(v)), v, `IPv4 round trip of ${v}`);
    }
  },
};

const ipv6Unit: SelftestUnit = {
  name: 'ipv6address',
  what: 'IPv6 parse forms and masscan formatting (first zero run), words round trip',
  run() {
    // §3.2: masscan compresses the FIRST zero run, even a single group.
    const fmt: ReadonlyArray<readonly [string, string]> = [
      ['2001:0:0:1:0:0:0:1', '2001::1:0:0:0:1'],
      ['1:0:2:0:0:0:0:3', '1::2:0:0:0:0:3'],
      ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7::'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
      ['2001:DB8::1', '2001:db8::1'],
      ['[2001:db8::1]', '2001:db8::1'],
      ['0:0:0:0:0:0:0:0', '::'],
      ['::1', '::1'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['fe80:0000:0000:0000:0204:61ff:fe9d:f156', 'fe80::204:61ff:fe9d:f156'],
    ];
    for (const [text, want] of fmt) {
      const v = parseIPv6(text);
      check(v !== null, `parseIPv6(${text}) refused`);
      eq(formatIPv6(v), want, `formatIPv6(${text})`);
      eq(ipv6ToString(v), want, `output ipv6ToString(${text})`);
      eq(parseIPv6(want), v, `parseIPv6(formatIPv6(${text}))`);
    }
    for (const bad of [':::', '1::2::3', '12345::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '[::1', '::1%eth0', '']) {
      eq(parseIPv6(bad), null, `parseIPv6(${JSON.stringify(bad)}) should be refused`);
    }
    const rng = new Xorshift(6);
    const w = new Uint32Array(4);
    for (let k = 0; k < 300; k++) {
      // Mostly-zero groups so that `::` appears in many places.
      let v = 0n;
      for (let g = 0; g < 8; g++) v = (v << 16n) | BigInt(rng.below(3) === 0 ? rng.u32() & 0xffff : 0);
      const text = formatIPv6(v);
      eq(parseIPv6(text), v, `IPv6 round trip of ${text}`);
      ipv6ToWords(v, w, 0);
      eq(wordsToIPv6(w, 0), v, `IPv6 words round trip of ${text}`);
    }
  },
};

const portsUnit: SelftestUnit = {
  name: 'ports',
  what: 'port grammar: prefixes stick, strtoul numbers, silent stops, merges, fatal errors',
  run() {
    const flat = (spec: string): string => parsePorts(spec).map((r) => (r.begin === r.end ? `${r.begin}` : `${r.begin}-${r.end}`)).join(',');
    eq(flat('80'), '80', 'ports "80"');
    eq(flat('U:53,161,T:80'), `${PORT_UDP_BASE + 53},${PORT_UDP_BASE + 161},80`, 'sticky prefixes');
    eq(flat('0x50,010'), '80,8', 'strtoul base 0 (0x50 = 80, 010 = 8)');
    eq(flat('-3'), '1-3', '"-3" = 1-3');
    eq(flat('65530-'), '65530-65535', '"N-" runs to 65535');
    eq(flat(`O:250-`), `${PORT_OPROTO_BASE + 250}-${PORT_OPROTO_BASE + 255}`, '"O:N-" runs to 255');
    eq(flat('s:5'), `${PORT_SCTP_BASE + 5}`, 'lower-case SCTP prefix');
    eq(flat('80,abc'), '80', 'parse stops silently at "abc"');
    eq(flat('80 # comment'), '80', '"#" ends the list');
    eq(flat('0'), '0', 'port 0 is valid');
    eq(flat(' 22 , 443'), '22,443', 'whitespace around items');
    throwsScan(() => parsePorts('70000'), 'ERR_BAD_PORT', 'port 70000');
    throwsScan(() => parsePorts('90-80'), 'ERR_BAD_PORT', 'range end < begin');
    throwsScan(() => parsePorts('X:80'), 'ERR_BAD_PORT', 'unknown prefix X:');
    const merged = new PortList(parsePorts('80,80,81-82,79'));
    eq(formatPortsForEcho(merged), '79-82', 'merge of 80,80,81-82,79');
    eq(merged.count(), 4, 'count of 79-82');
    const mixed = new PortList(parsePorts('T:1-10,U:1-10,S:7'));
    eq(mixed.count(), 21, 'count of T:1-10,U:1-10,S:7');
    eq(mixed.pick(0), 1, 'pick(0)');
    eq(mixed.pick(10), PORT_UDP_BASE + 1, 'pick(10) is the first UDP port');
    eq(mixed.pick(20), PORT_SCTP_BASE + 7, 'pick(20) is the SCTP port');
    const ex = mixed.exclude(new PortList(parsePorts('5,U:1-9')));
    eq(ex.count(), 11, 'count after excluding 5 and U:1-9');
    check(!ex.contains(5) && ex.contains(6) && ex.contains(PORT_UDP_BASE + 10) && !ex.contains(PORT_UDP_BASE + 9), 'exclude membership');
  },
};

const rangesUnit: SelftestUnit = {
  name: 'ranges',
  what: 'targets: CIDR/range/IPv6 parsing, add/exclude/count/pick, plan, -sL order, shards',
  run() {
    const v4 = new RangeList4();
    const v6 = new RangeList6();
    parseTargetSpec('10.1.2.3/24, 10.1.3.0-10.1.3.9 192.168.0.1 10.9.9.9-10.9.9.1', v4, v6);
    // Host bits masked; adjacent ranges merge; end < begin adds nothing (§2.1).
    eq(v4.count(), 256 + 10 + 1, 'IPv4 count');
    eq(v4.rangeCount(), 2, 'merged IPv4 ranges');
    eq(formatIPv4(v4.pick(0)), '10.1.2.0', 'pick(0)');
    eq(formatIPv4(v4.pick(265)), '10.1.3.9', 'pick(265)');
    eq(formatIPv4(v4.pick(266)), '192.168.0.1', 'pick(266)');
    parseTargetSpec('2001:db8::/126,[2001:db8::10]-[2001:db8::13]', v4, v6);
    eq(v6.count(), 8n, 'IPv6 count');
    eq(formatIPv6(v6.pickBig(5n)), '2001:db8::11', 'IPv6 pick(5)');
    throwsScan(() => parseTargetSpec('10.0.0.0/33', new RangeList4(), new RangeList6()), 'ERR_BAD_RANGE', '/33');
    throwsScan(() => parseTargetSpec('1.2.3', new RangeList4(), new RangeList6()), 'ERR_BAD_RANGE', '1.2.3');
    // Exclude: punch holes, including at the edges, and across ranges.
    const ex4 = new RangeList4();
    parseTargetSpec('10.1.2.0, 10.1.2.128/25, 10.1.3.5-192.168.0.0', ex4, new RangeList6());
    const left = v4.exclude(ex4);
    eq(left.count(), 256 + 10 + 1 - 1 - 128 - 5, 'count after exclude');
    check(!left.contains(0x0a010200) && left.contains(0x0a010201) && !left.contains(0x0a010280) && left.contains(0x0a01027f), 'exclude edges');
    check(left.contains(0xc0a80001) && !left.contains(0x0a010305), 'exclude across ranges');
    const ex6 = new RangeList6();
    parseTargetSpec('2001:db8::1-2001:db8::11', new RangeList4(), ex6);
    eq(v6.exclude(ex6).count(), 3n, 'IPv6 count after exclude');
    // A slow reference for exclude on a small space: every address checked.
    const rng = new Xorshift(9);
    for (let round = 0; round < 20; round++) {
      const a = new RangeList4();
      const b = new RangeList4();
      const inA = new Uint8Array(512);
      const inB = new Uint8Array(512);
      for (let k = 0; k < 6; k++) {
        const s = rng.below(512); const e = Math.min(511, s + rng.below(64));
        a.add(s, e); inA.fill(1, s, e + 1);
        const s2 = rng.below(512); const e2 = Math.min(511, s2 + rng.below(32));
        b.add(s2, e2); inB.fill(1, s2, e2 + 1);
      }
      const d = a.exclude(b);
      let n = 0;
      for (let ip = 0; ip < 512; ip++) {
        const want = inA[ip] === 1 && inB[ip] === 0;
        if (want) n++;
        if (d.contains(ip) !== want) fail(`exclude vs reference: address ${ip} (round ${round})`);
      }
      eq(d.count(), n, `exclude count vs reference (round ${round})`);
    }
    // The plan: masscan's -sL order for `-sL 0.0.0.0/0 -p80 --seed 1` (§5.1).
    const all = new RangeList4();
    all.add(0, 0xffffffff);
    const plan = buildPlan({
      include4: all, include6: new RangeList6(), exclude4: new RangeList4(), exclude6: new RangeList6(),
      ports: new PortList(parsePorts('80')), excludePorts: new PortList(), hasExclude4: true,
    });
    eq(plan.range, 2 ** 32, 'plan range of 0.0.0.0/0 x 1 port');
    const br = new Blackrock(plan.range, 1n, 14);
    const picker = new Picker(plan);
    const t = new Target();
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      picker.pickList(br.shuffle(i), t);
      order.push(formatIPv4(t.ip4));
    }
    eqList(order, ['207.189.110.250', '115.110.228.32', '88.80.37.1', '232.96.34.106'], '-sL 0.0.0.0/0 -p80 --seed 1');
    throwsScan(() => buildPlan({
      include4: all, include6: new RangeList6(), exclude4: new RangeList4(), exclude6: new RangeList6(),
      ports: new PortList(parsePorts('80')), excludePorts: new PortList(), hasExclude4: false,
    }), 'ERR_TOO_BIG', '0.0.0.0/0 without an exclude');
    // The address varies fastest (§5.2): x = port_index * N + ip_index.
    const small4 = new RangeList4();
    small4.add(0x0a000000, 0x0a000003);
    const small = buildPlan({
      include4: small4, include6: new RangeList6(), exclude4: new RangeList4(), exclude6: new RangeList6(),
      ports: new PortList(parsePorts('80,443')), excludePorts: new PortList(), hasExclude4: false,
    });
    const sp = new Picker(small);
    sp.pickScan(5, t);
    eq(`${formatIPv4(t.ip4)}:${t.port}`, '10.0.0.1:443', 'pickScan(5) over 4 addresses x 2 ports');
    // Shards (§5.4): 2/3 over 8 targets visits 1, 4, 7; all shards x 2 threads cover once.
    const s = indexSlice({ range: 8, shardOne: 2, shardOf: 3, resumeIndex: 0, resumeCount: 0, threads: 1, thread: 0 });
    const visits: number[] = [];
    for (let i = s.start; i < s.end; i += s.step) visits.push(i);
    eqList(visits, [1, 4, 7], 'shard 2/3 of 8');
    const hit = new Uint8Array(1000);
    for (let one = 1; one <= 3; one++) {
      for (let th = 0; th < 2; th++) {
        const sl = indexSlice({ range: 1000, shardOne: one, shardOf: 3, resumeIndex: 0, resumeCount: 0, threads: 2, thread: th });
        for (let i = sl.start; i < sl.end; i += sl.step) hit[i]++;
      }
    }
    for (let i = 0; i < 1000; i++) if (hit[i] !== 1) fail(`shards x threads visit index ${i} ${hit[i]} times`);
  },
};

const templateUnit: SelftestUnit = {
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
    seed: 1n, src4: { begin: ME, end: ME }, src6: ME6, srcPort: { begin: MY_PORT, end: MY_PORT },
    srcMac: MAC_US, routerMac4: MAC_ROUTER, routerMac6: MAC_ROUTER, vlan: undefined, ttl: 255,
    answer4: false, answer6: false, noreset: false, arpscan: false, targets4: [{ begin: THEM, end: THEM }],
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

const receiveUnit: SelftestUnit = {
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

const udpPayloadsUnit: SelftestUnit = {
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

const dedupUnit: SelftestUnit = {
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
function memorySink(chunks: Uint8Array[]): Sink {
  const no = (): never => fail('the binary writer touched the file system');
  const fs: OutputFs = {
    openSync: no, readSync: no, fstatSync: no, ftruncateSync: no, closeSync: no, renameSync: no,
    existsSync: no, mkdirSync: no,
    writeSync: (_fd, b, off, len) => {
      chunks.push(b.slice(off, off + len));
      return len;
    },
  };
  return new Sink(-1, 'selftest.bin', fs);
}

function recordText(r: ScanRecord): string {
  const ip = r.ip.version === 4 ? formatIPv4(r.ip.v4) : formatIPv6(r.ip.v6);
  return r.kind === 'status'
    ? `status ${r.timestamp} ${ip} ${r.ipProto} ${r.port} ${r.status} ${r.reason} ${r.ttl}`
    : `banner ${r.timestamp} ${ip} ${r.ipProto} ${r.port} ${r.service} ${r.ttl} ${toHex(r.banner)}`;
}

const binaryUnit: SelftestUnit = {
  name: 'output_binary',
  what: '-oB writer -> --readscan reader round trip (v4/v6, status/banner, 1- and 2-byte lengths), split reads',
  run() {
    const http = Uint8Array.from('HTTP/1.0 200 OK\r\nServer: x\r\n\r\n', (c) => c.charCodeAt(0));
    const long = Uint8Array.from({ length: 202 }, (_, i) => 0x20 + (i % 90));
    const records: ScanRecord[] = [
      { kind: 'status', timestamp: 0x6553f100, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, status: 'open', reason: 0x12, ttl: 0x40 },
      { kind: 'status', timestamp: 0x6553f101, ip: { version: 4, v4: 0x0a000002 }, ipProto: 6, port: 443, status: 'closed', reason: 0x14, ttl: 0x80 },
      { kind: 'banner', timestamp: 0x6553f103, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, service: 'http', ttl: 0x40, banner: http },
      { kind: 'status', timestamp: 0x6553f104, ip: { version: 6, v6: 0x20010db8000000000000000000000001n }, ipProto: 6, port: 22, status: 'open', reason: 0x12, ttl: 0x39 },
      { kind: 'banner', timestamp: 0x6553f105, ip: { version: 6, v6: 0x20010db8000000000000000000000001n }, ipProto: 6, port: 22, service: 'ssh', ttl: 0x39, banner: Uint8Array.of(0x53, 0x53, 0x48) },
      { kind: 'banner', timestamp: 0x6553f106, ip: { version: 4, v4: 0x0a000004 }, ipProto: 6, port: 443, service: 'ssl', ttl: 0x33, banner: long },
      { kind: 'status', timestamp: 0x6553f107, ip: { version: 4, v4: 0x0a000005 }, ipProto: 17, port: 53, status: 'open', reason: 0, ttl: 0x30 },
    ];
    const chunks: Uint8Array[] = [];
    const sink = memorySink(chunks);
    const state = binaryFormat.create(
      { startTime: 1700000000, version: 'selftest', portsScanned: [{ begin: 80, end: 80 }], commandLine: 'tidescan --selftest' },
      { stylesheet: undefined, services: builtinServiceNames(), binaryNumbering: 'head' },
    );
    state.header(sink, records[0]);
    for (const r of records) {
      if (r.kind === 'status') state.status(sink, r); else state.banner(sink, r);
    }
    state.footer(sink, 0);
    sink.flush();
    check(sink.error === undefined, `sink error: ${sink.error?.message}`);
    const file = Buffer.concat(chunks);
    // Layout (§4.8): 99-byte header `masscan/1.1\ns:<start>\n`, 99-byte trailer.
    const head = 'masscan/1.1\ns:1700000000\n';
    eq(String.fromCharCode(...file.subarray(0, head.length)), head, 'binary header text');
    eq(toHex(file.subarray(99, 99 + 15)), '060d6553f1000a000001060050' + '1240', 'first record bytes (masscan sample)');
    eq(String.fromCharCode(...file.subarray(file.length - 99, file.length - 88)), 'masscan/1.1', 'binary trailer');
    const want = records.map(recordText);
    // Whole, then byte by byte, then at a few split points: same records every time.
    const splits: number[][] = [[file.length], Array.from({ length: file.length }, () => 1), [1, 98, 2, 13, 50, 7]];
    for (const sizes of splits) {
      const reader = new BinaryReader({ fileName: 'selftest.bin' });
      const got: string[] = [];
      let p = 0;
      let s = 0;
      while (p < file.length) {
        const n = Math.min(sizes[s % sizes.length], file.length - p);
        reader.push(file.subarray(p, p + n), (r) => { got.push(recordText(r)); });
        p += n;
        s++;
      }
      reader.end();
      eqList(got, want, `records read back in chunks of ${sizes.length === 1 ? sizes[0] : sizes.slice(0, 3).join('/') + '...'}`);
      eq(reader.startTime, 1700000000, 'start time read back');
    }
    // A damaged file is an error naming the file, never a crash or a silent success.
    const damaged = file.slice(0, 99 + 6);
    const reader = new BinaryReader({ fileName: 'selftest.bin' });
    throwsScan(() => { reader.push(damaged, () => undefined); reader.end(); }, 'ERR_CORRUPT', 'truncated binary file');
  },
};

/** The units of `--selftest`, in masscan's spirit: one per module. */
export const selftestUnits: readonly SelftestUnit[] = [
  blackrockUnit,
  siphashUnit,
  cookieUnit,
  checksumUnit,
  ipv4Unit,
  ipv6Unit,
  portsUnit,
  rangesUnit,
  templateUnit,
  receiveUnit,
  udpPayloadsUnit,
  dedupUnit,
  binaryUnit,
];
