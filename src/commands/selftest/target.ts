/**
 * --selftest units of src/target: the blackrock permutation, IPv4/IPv6 text, ports, ranges and shards.
 */
import { Blackrock, blackrockAB } from '../../target/blackrock.js';
import { parseIPv4, formatIPv4 } from '../../target/ipv4.js';
import { parseIPv6, formatIPv6, ipv6ToWords, wordsToIPv6 } from '../../target/ipv6.js';
import { parseTargetSpec } from '../../target/parse.js';
import { Picker, Target } from '../../target/picker.js';
import { buildPlan } from '../../target/plan.js';
import { PortList, parsePorts, formatPortsForEcho, PORT_UDP_BASE, PORT_SCTP_BASE, PORT_OPROTO_BASE } from '../../target/ports.js';
import { RangeList4, RangeList6 } from '../../target/range-list.js';
import { indexSlice } from '../../target/shard.js';
import { ipv6ToString } from '../../core/address.js';
import { fail, check, eq, eqList, throwsScan, Xorshift, type SelftestUnit } from './harness.js';

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

export const blackrockUnit: SelftestUnit = {
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


export const ipv4Unit: SelftestUnit = {
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

export const ipv6Unit: SelftestUnit = {
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

export const portsUnit: SelftestUnit = {
  name: 'ports',
  what: 'port grammar: prefixes stick, strtoul numbers, trailing text refused, merges, fatal errors',
  run() {
    const flat = (spec: string): string => parsePorts(spec).map((r) => (r.begin === r.end ? `${r.begin}` : `${r.begin}-${r.end}`)).join(',');
    eq(flat('80'), '80', 'ports "80"');
    eq(flat('U:53,161,T:80'), `${PORT_UDP_BASE + 53},${PORT_UDP_BASE + 161},80`, 'sticky prefixes');
    eq(flat('0x50,010'), '80,8', 'strtoul base 0 (0x50 = 80, 010 = 8)');
    eq(flat('-3'), '1-3', '"-3" = 1-3');
    eq(flat('65530-'), '65530-65535', '"N-" runs to 65535');
    eq(flat(`O:250-`), `${PORT_OPROTO_BASE + 250}-${PORT_OPROTO_BASE + 255}`, '"O:N-" runs to 255');
    eq(flat('s:5'), `${PORT_SCTP_BASE + 5}`, 'lower-case SCTP prefix');
    throwsScan(() => parsePorts('80,abc'), 'ERR_BAD_PORT', '"80,abc" is refused (masscan stops silently at "abc")');
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

export const rangesUnit: SelftestUnit = {
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

