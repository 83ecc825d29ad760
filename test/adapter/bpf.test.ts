import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  BPF_ABS, BPF_ALU, BPF_AND, BPF_B, BPF_DIV, BPF_H, BPF_IMM, BPF_JA, BPF_JEQ, BPF_JMP, BPF_K, BPF_LD, BPF_LEN, BPF_RET,
  BPF_W, BPF_A, BPF_MISC, BPF_TAX, BPF_X, BPF_ADD, BPF_ST, BPF_MEM, BPF_LDX,
  bpfJump, bpfStmt, buildReplyFilter, checkBpf, encodeBpf, runBpf,
} from '../../src/adapter/bpf.js';
import { isScanError } from '../../src/error.js';

const OUR4 = 0x0afa0001; // 10.250.0.1
const OUR6 = 0xfd000250000000000000000000000001n;

function eth(type: number, payload: number[]): Uint8Array {
  return Uint8Array.from([2, 0x50, 0, 0, 0, 1, 2, 0x50, 0, 0, 0, 2, type >> 8, type & 0xff, ...payload]);
}
function ipv4(dst: number, proto: number, dport: number, opts: { ihl?: number; frag?: number } = {}): Uint8Array {
  const ihl = opts.ihl ?? 5;
  const h = new Array<number>(ihl * 4).fill(0);
  h[0] = 0x40 | ihl;
  h[6] = (opts.frag ?? 0) >> 8;
  h[7] = (opts.frag ?? 0) & 0xff;
  h[9] = proto;
  h.splice(16, 4, dst >>> 24, (dst >>> 16) & 0xff, (dst >>> 8) & 0xff, dst & 0xff);
  const l4 = [0x1f, 0x90, dport >> 8, dport & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x12, 0, 0, 0, 0, 0, 0];
  return eth(0x0800, [...h, ...l4]);
}
function ipv6(dst: bigint, next: number, dport: number): Uint8Array {
  const h = new Array<number>(40).fill(0);
  h[0] = 0x60;
  h[6] = next;
  for (let i = 0; i < 16; i++) h[24 + i] = Number((dst >> BigInt(8 * (15 - i))) & 0xffn);
  return eth(0x86dd, [...h, 0x1f, 0x90, dport >> 8, dport & 0xff, ...new Array<number>(16).fill(0)]);
}

test('default filter: ARP, IPv4 and IPv6 pass, other ethertypes and runts do not', () => {
  const p = buildReplyFilter();
  assert.equal(runBpf(p, eth(0x0806, new Array<number>(28).fill(0))), 65535);
  assert.equal(runBpf(p, ipv4(0x01020304, 6, 80)), 65535);
  assert.equal(runBpf(p, ipv6(1n, 6, 80)), 65535);
  assert.equal(runBpf(p, eth(0x88cc, [1, 2, 3])), 0);
  assert.equal(runBpf(p, Uint8Array.of(1, 2, 3)), 0);
});

test('address filter: only frames to our IPv4 range / IPv6 addresses', () => {
  const p = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 }, { first: 0xc6120000, last: 0xc613ffff }], ipv6: [OUR6], arp: false });
  assert.equal(runBpf(p, ipv4(OUR4, 6, 1)), 65535);
  assert.equal(runBpf(p, ipv4(OUR4 + 1, 6, 1)), 0);
  assert.equal(runBpf(p, ipv4(0xc6120000, 17, 1)), 65535);
  assert.equal(runBpf(p, ipv4(0xc613ffff, 17, 1)), 65535);
  assert.equal(runBpf(p, ipv4(0xc6140000, 17, 1)), 0);
  assert.equal(runBpf(p, ipv4(0xc611ffff, 17, 1)), 0);
  assert.equal(runBpf(p, ipv6(OUR6, 6, 1)), 65535);
  for (let bit = 0; bit < 128; bit += 9) assert.equal(runBpf(p, ipv6(OUR6 ^ (1n << BigInt(bit)), 6, 1)), 0);
  assert.equal(runBpf(p, eth(0x0806, new Array<number>(28).fill(0))), 0);
});

test('empty lists refuse the family; undefined accepts any address', () => {
  const p = buildReplyFilter({ ipv4: [], snaplen: 128 });
  assert.equal(runBpf(p, ipv4(OUR4, 6, 1)), 0);
  assert.equal(runBpf(p, ipv6(5n, 6, 1)), 128);
});

test('port filter: TCP/UDP to our ports only; ICMP, fragments and IPv4 options handled', () => {
  const p = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 }], ipv6: [OUR6], ports: { first: 40000, last: 40016 } });
  assert.equal(runBpf(p, ipv4(OUR4, 6, 40000)), 65535);
  assert.equal(runBpf(p, ipv4(OUR4, 17, 40016)), 65535);
  assert.equal(runBpf(p, ipv4(OUR4, 6, 39999)), 0);
  assert.equal(runBpf(p, ipv4(OUR4, 6, 40017)), 0);
  assert.equal(runBpf(p, ipv4(OUR4, 1, 0)), 65535); // ICMP quoting a probe
  assert.equal(runBpf(p, ipv4(OUR4, 6, 1, { frag: 0x0010 })), 65535); // non-first fragment
  assert.equal(runBpf(p, ipv4(OUR4, 6, 40005, { ihl: 7 })), 65535);
  assert.equal(runBpf(p, ipv4(OUR4, 6, 5, { ihl: 7 })), 0);
  assert.equal(runBpf(p, ipv6(OUR6, 6, 40001)), 65535);
  assert.equal(runBpf(p, ipv6(OUR6, 17, 1)), 0);
  assert.equal(runBpf(p, ipv6(OUR6, 58, 0)), 65535); // ICMPv6
  assert.equal(runBpf(p, ipv6(OUR6 + 1n, 6, 40001)), 0);
});

test('property: accept iff destination in our ranges and port in range (TCP)', () => {
  // A uniform destination and port would almost never fall inside the ranges, so half the
  // draws take them from inside (a range's own bounds included); both answers must occur.
  let accepted = 0;
  let refused = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 300 })), { minLength: 1, maxLength: 20 }),
      fc.oneof(fc.record({ any: fc.nat({ max: 0xffffffff }) }), fc.record({ range: fc.nat(), at: fc.nat() })),
      fc.oneof(fc.record({ any: fc.nat({ max: 65535 }) }), fc.record({ at: fc.nat() })),
      fc.nat({ max: 65535 }),
      fc.nat({ max: 200 }),
      (rs, d, pt, pfirst, plen) => {
        const ranges = rs.map(([a, n]) => ({ first: a, last: Math.min(0xffffffff, a + n) }));
        const ports = { first: pfirst, last: Math.min(65535, pfirst + plen) };
        let dst: number;
        if ('any' in d) dst = d.any;
        else {
          const r = ranges[d.range % ranges.length];
          dst = r.first + (d.at % (r.last - r.first + 1));
        }
        const port = 'any' in pt ? pt.any : ports.first + (pt.at % (ports.last - ports.first + 1));
        const p = buildReplyFilter({ ipv4: ranges, ipv6: [], arp: false, ports });
        const want = ranges.some((r) => dst >= r.first && dst <= r.last) && port >= ports.first && port <= ports.last;
        assert.equal(runBpf(p, ipv4(dst, 6, port)) > 0, want);
        if (want) accepted++;
        else refused++;
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(accepted >= 30 && refused >= 30, `accepted ${accepted}, refused ${refused} of 300`);
});

test('every built program passes the structural check and encodes', () => {
  const p = buildReplyFilter({ ipv4: [{ first: 1, last: 1 }], ipv6: [1n, 2n], ports: { first: 1, last: 2 } });
  checkBpf(p);
  const enc = encodeBpf(p);
  assert.equal(enc.length, p.length * 2);
  assert.equal(enc[0], BPF_LD | BPF_H | BPF_ABS);
  assert.equal(enc[1], 12);
  const j = p[1];
  assert.equal(enc[2], (j.code | (j.jt << 16) | (j.jf << 24)) >>> 0);
});

test('limits: too many addresses, bad ranges and bad programs are ScanErrors', () => {
  const many = Array.from({ length: 121 }, (_, i) => ({ first: i, last: i }));
  assert.throws(() => buildReplyFilter({ ipv4: many }), (e: unknown) => isScanError(e) && e.code === 'ERR_BAD_OPTION');
  assert.throws(() => buildReplyFilter({ ipv6: Array.from({ length: 31 }, (_, i) => BigInt(i)) }), (e: unknown) => isScanError(e));
  assert.throws(() => buildReplyFilter({ ipv4: [{ first: 5, last: 4 }] }), (e: unknown) => isScanError(e));
  assert.throws(() => buildReplyFilter({ ports: { first: 10, last: 9 } }), (e: unknown) => isScanError(e));
  assert.throws(() => buildReplyFilter({ snaplen: 10 }), (e: unknown) => isScanError(e));
  // 120 single addresses still fit the 8-bit jump offsets.
  checkBpf(buildReplyFilter({ ipv4: Array.from({ length: 120 }, (_, i) => ({ first: i, last: i })), ipv6: Array.from({ length: 30 }, (_, i) => BigInt(i)) }));
  assert.throws(() => checkBpf([bpfJump(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), bpfStmt(BPF_RET | BPF_K, 0)]), (e: unknown) => isScanError(e));
  assert.throws(() => checkBpf([bpfStmt(BPF_LD | BPF_W | BPF_ABS, 0)]), (e: unknown) => isScanError(e));
  assert.throws(() => encodeBpf([]), (e: unknown) => isScanError(e));
});

test('interpreter: ALU, scratch memory, X register, JA, RET A and division by zero', () => {
  const prog = [
    bpfStmt(BPF_LD | BPF_LEN, 0), // A = len
    bpfStmt(BPF_ALU | BPF_ADD | BPF_K, 10), // A += 10
    bpfStmt(BPF_ST, 3), // M[3] = A
    bpfStmt(BPF_LDX | BPF_IMM, 2), // X = 2
    bpfStmt(BPF_LD | BPF_MEM, 3), // A = M[3]
    bpfStmt(BPF_ALU | BPF_DIV | BPF_X, 0), // A /= X
    bpfStmt(BPF_JMP | BPF_JA, 1), // skip next
    bpfStmt(BPF_RET | BPF_K, 0),
    bpfStmt(BPF_ALU | BPF_AND | BPF_K, 0xff),
    bpfStmt(BPF_MISC | BPF_TAX, 0),
    bpfStmt(BPF_LD | BPF_B | BPF_ABS, 0),
    bpfStmt(BPF_RET | BPF_A, 0),
  ];
  assert.equal(runBpf(prog, Uint8Array.of(7, 1, 2, 3)), 7);
  assert.equal(runBpf(prog, new Uint8Array(0)), 0); // load past the end rejects
  const div0 = [bpfStmt(BPF_LDX | BPF_IMM, 0), bpfStmt(BPF_ALU | BPF_DIV | BPF_X, 0), bpfStmt(BPF_RET | BPF_K, 5)];
  assert.equal(runBpf(div0, new Uint8Array(1)), 0);
});
