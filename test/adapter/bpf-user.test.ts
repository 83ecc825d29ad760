/**
 * --bpf: a tcpdump expression compiled by `tcpdump -ddd` (libpcap's compiler) and chained
 * behind tidescan's own receive filter. The real tcpdump compiles every program here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { buildReplyFilter, checkBpf, compileUserFilter, parseTcpdumpDdd, runBpf, type RunTcpdump } from '../../src/adapter/bpf.js';
import { isScanError } from '../../src/error.js';

const OUR4 = 0x0afa0001; // 10.250.0.1
const OUR6 = 0xfd000250000000000000000000000001n;

const tcpdump: RunTcpdump = (args) => {
  const r = spawnSync('tcpdump', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
};

function eth(type: number, payload: number[]): Uint8Array {
  return Uint8Array.from([2, 0x50, 0, 0, 0, 1, 2, 0x50, 0, 0, 0, 2, type >> 8, type & 0xff, ...payload]);
}
/** An IPv4 TCP/UDP reply from src:sport to dst:dport. */
function reply4(src: number, dst: number, proto: number, sport: number, dport: number): Uint8Array {
  const h = new Array<number>(20).fill(0);
  h[0] = 0x45; h[8] = 64; h[9] = proto;
  h.splice(12, 4, src >>> 24, (src >>> 16) & 0xff, (src >>> 8) & 0xff, src & 0xff);
  h.splice(16, 4, dst >>> 24, (dst >>> 16) & 0xff, (dst >>> 8) & 0xff, dst & 0xff);
  const l4 = [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x12, 0, 0, 0, 0, 0, 0];
  return eth(0x0800, [...h, ...l4]);
}
function ipv6(dst: bigint, next: number, l4: number[]): Uint8Array {
  const h = new Array<number>(40).fill(0);
  h[0] = 0x60; h[6] = next;
  for (let i = 0; i < 16; i++) h[24 + i] = Number((dst >> BigInt(8 * (15 - i))) & 0xffn);
  return eth(0x86dd, [...h, ...l4, ...new Array<number>(20).fill(0)]);
}

const T = 0xc6120005; // 198.18.0.5

test('tcpdump -ddd compiles an expression; chained behind ours it narrows what is accepted', () => {
  const user = compileUserFilter('tcp src port 80', tcpdump);
  const p = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 }], ipv6: [OUR6], ports: { first: 40000, last: 40000 }, user });
  checkBpf(p);
  assert.equal(runBpf(p, reply4(T, OUR4, 6, 80, 40000)), 65535, 'ours and theirs accept; their 262144 capped at our snaplen');
  assert.equal(runBpf(p, reply4(T, OUR4, 6, 81, 40000)), 0, 'theirs refuses');
  assert.equal(runBpf(p, reply4(T, OUR4, 17, 80, 40000)), 0, 'theirs refuses UDP');
  assert.equal(runBpf(p, reply4(T, OUR4 + 1, 6, 80, 40000)), 0, 'ours refuses: not our address');
  assert.equal(runBpf(p, reply4(T, OUR4, 6, 80, 40001)), 0, 'ours refuses: not our port');
  // ARP and IPv6 neighbour discovery skip the user filter (the responder needs them).
  assert.equal(runBpf(p, eth(0x0806, new Array<number>(28).fill(0))), 65535);
  assert.equal(runBpf(p, ipv6(OUR6, 58, [135, 0])), 65535);
  assert.equal(runBpf(p, ipv6(OUR6, 58, [136, 0])), 65535);
  assert.equal(runBpf(p, ipv6(OUR6, 58, [129, 0])), 0, 'an echo reply is no neighbour message: the user filter decides');
  // Without --bpf, the same frames all pass ours.
  const ours = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 }], ipv6: [OUR6], ports: { first: 40000, last: 40000 } });
  assert.equal(runBpf(ours, reply4(T, OUR4, 6, 81, 40000)), 65535);
  assert.equal(runBpf(ours, ipv6(OUR6, 58, [129, 0])), 65535);
});

test('property: the chain accepts exactly what ours and theirs both accept', () => {
  const user = compileUserFilter('not src host 198.18.0.7 and (tcp or icmp)', tcpdump);
  const ours = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 + 3 }], arp: false, ports: { first: 40000, last: 40015 } });
  const both = buildReplyFilter({ ipv4: [{ first: OUR4, last: OUR4 + 3 }], arp: false, ports: { first: 40000, last: 40015 }, user });
  fc.assert(fc.property(fc.integer({ min: 0xc6120000, max: 0xc612000f }), fc.integer({ min: OUR4 - 2, max: OUR4 + 5 }),
    fc.constantFrom(1, 6, 17, 132), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 39990, max: 40020 }), (src, dst, proto, sport, dport) => {
      const f = reply4(src, dst, proto, sport, dport);
      const want = runBpf(ours, f) !== 0 && runBpf(user, f) !== 0;
      assert.equal(runBpf(both, f) !== 0, want);
    }), { numRuns: 500 });
});

test('a bad --bpf expression is one ERR_BAD_OPTION line naming it and tcpdump\'s reason', () => {
  for (const bad of ['tcp prot 80', 'host 999.1.1.1', '(((', 'x'.repeat(300)]) {
    assert.throws(() => compileUserFilter(bad, tcpdump), (e: Error) => {
      assert.ok(isScanError(e) && e.code === 'ERR_BAD_OPTION', e.message);
      assert.ok(!e.message.includes('\n'), e.message);
      assert.ok(e.message.startsWith(`--bpf "${bad.slice(0, 20)}`), e.message);
      assert.ok(e.message.length < 330, e.message);
      return true;
    }, bad);
  }
  // tcpdump missing: said so.
  const missing: RunTcpdump = () => ({ status: null, stdout: '', stderr: '', error: new Error('spawnSync tcpdump ENOENT') });
  assert.throws(() => compileUserFilter('tcp', missing), /^Error: --bpf "tcp": cannot run tcpdump to compile it \(spawnSync tcpdump ENOENT\)$|cannot run tcpdump/);
  // An expression that starts like an option is an expression (after `--`), not an option.
  assert.throws(() => compileUserFilter('-w /tmp/x', tcpdump), (e: Error) => isScanError(e) && e.message.startsWith('--bpf "-w /tmp/x"'));
});

test('parseTcpdumpDdd: the count must match, fields in range, the program valid; random text never throws anything else', () => {
  assert.deepEqual(parseTcpdumpDdd('2\n40 0 0 12\n6 0 0 262144\n'), [{ code: 40, jt: 0, jf: 0, k: 12 }, { code: 6, jt: 0, jf: 0, k: 262144 }]);
  for (const bad of ['', '1\n', '2\n6 0 0 0\n', '1\n40 0 0 12\n', '1\n6 0 0 99999999999\n', '1\n6 0 300 0\n', '1\n21 5 5 1\n', 'x\n6 0 0 0']) {
    assert.throws(() => parseTcpdumpDdd(bad), (e: Error) => isScanError(e) && e.code === 'ERR_BAD_OPTION', JSON.stringify(bad));
  }
  fc.assert(fc.property(fc.string({ maxLength: 60 }), (s) => {
    try { checkBpf(parseTcpdumpDdd(s)); } catch (e) { assert.ok(isScanError(e), String(e)); }
  }), { numRuns: 500 });
});
