import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildPlan, type PlanInput } from '../../src/target/plan.js';
import { Picker, Target } from '../../src/target/picker.js';
import { Blackrock } from '../../src/target/blackrock.js';
import { RangeList4, RangeList6 } from '../../src/target/range-list.js';
import { PortList, parsePorts } from '../../src/target/ports.js';
import { parseTargetSpec } from '../../src/target/parse.js';
import { formatIPv4 } from '../../src/target/ipv4.js';
import { formatIPv6Words } from '../../src/target/ipv6.js';
import { ScanError } from '../../src/error.js';

function input(targets: string, ports: string, exclude = '', excludePorts = ''): PlanInput {
  const include4 = new RangeList4();
  const include6 = new RangeList6();
  const exclude4 = new RangeList4();
  const exclude6 = new RangeList6();
  parseTargetSpec(targets, include4, include6);
  parseTargetSpec(exclude, exclude4, exclude6);
  return {
    include4, include6, exclude4, exclude6,
    ports: new PortList(parsePorts(ports)),
    excludePorts: new PortList(parsePorts(excludePorts)),
    hasExclude4: exclude4.count() > 0,
  };
}

const code = (c: string) => (e: unknown) => e instanceof ScanError && e.code === c;

test('buildPlan: excludes applied, sizes', () => {
  const p = buildPlan(input('10.0.0.0/30,2001:db8::/127', '80,443,U:53', '10.0.0.1', '443'));
  assert.equal(p.count4, 3);
  assert.equal(p.count6, 2);
  assert.equal(p.nports, 2);
  assert.equal(p.range, 10);
  assert.deepEqual(p.targets4.ranges(), [{ begin: 0x0a000000, end: 0x0a000000 }, { begin: 0x0a000002, end: 0x0a000003 }]);
});

test('buildPlan: errors', () => {
  assert.throws(() => buildPlan(input('', '80')), code('ERR_EMPTY_TARGETS'));
  assert.throws(() => buildPlan(input('10.0.0.0/24', '80', '10.0.0.0/16')), /removed by exclusion ranges/);
  assert.throws(() => buildPlan(input('0.0.0.0/0', '80')), (e: unknown) =>
    code('ERR_TOO_BIG')(e) && /range too big, need confirmation.*--exclude 255\.255\.255\.255/.test((e as Error).message));
  assert.throws(() => buildPlan(input('0.0.0.0/1,128.0.0.0/2', '80')), code('ERR_TOO_BIG'), '1.07e9 > 1e9');
  const ok = buildPlan(input('0.0.0.0/0', '80', '255.255.255.255'));
  assert.equal(ok.range, 2 ** 32 - 1);
  assert.throws(() => buildPlan(input('10.0.0.1', '')), code('ERR_NO_PORTS'));
  assert.throws(() => buildPlan(input('10.0.0.1', '80', '', '80')), code('ERR_NO_PORTS'));
  assert.throws(() => buildPlan(input('1::/64', '80')), (e: unknown) =>
    code('ERR_TOO_BIG')(e) && /requested is 65 bits/.test((e as Error).message));
  assert.throws(() => buildPlan(input('1::/75', '80')), /requested is 54 bits/, '2^53 probes is one too many');
  assert.throws(() => buildPlan(input('1::/76', '80-81')), code('ERR_TOO_BIG'));
  assert.equal(buildPlan(input('1::/76', '80')).range, 2 ** 52);
  assert.equal(buildPlan(input('1::/76,10.0.0.0/8', '80')).range, 2 ** 52 + 2 ** 24);
});

function key(t: Target): string {
  return `${t.version === 4 ? formatIPv4(t.ip4) : '[' + formatIPv6Words(t.ip6) + ']'}:${t.port}`;
}

test('Picker covers every (ip, port) exactly once; IPv6 first in scans, IPv4 first in -sL', () => {
  const plan = buildPlan(input('10.0.0.0/30,10.0.1.7,2001:db8::fffe-2001:db8::1:1', '80,443,U:53,I:0'));
  const pk = new Picker(plan);
  const t = new Target();
  const want = new Set<string>();
  for (const ip of ['10.0.0.0', '10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.1.7', '[2001:db8::fffe]',
    '[2001:db8::ffff]', '[2001:db8::1:0]', '[2001:db8::1:1]']) {
    for (const port of [80, 443, 65536 + 53, 196608]) want.add(`${ip}:${port}`);
  }
  assert.equal(plan.range, want.size);
  const scan: string[] = [];
  const list: string[] = [];
  for (let x = 0; x < plan.range; x++) {
    pk.pickScan(x, t);
    scan.push(key(t));
    pk.pickList(x, t);
    list.push(key(t));
  }
  assert.deepEqual(new Set(scan), want);
  assert.deepEqual(new Set(list), want);
  assert.equal(new Set(scan).size, scan.length);
  assert.equal(scan[0], '[2001:db8::fffe]:80');
  assert.equal(scan[1], '[2001:db8::ffff]:80', 'the address varies fastest');
  assert.equal(scan[4], '[2001:db8::fffe]:443');
  assert.equal(scan[16], '10.0.0.0:80');
  assert.equal(list[0], '10.0.0.0:80');
  assert.equal(list[5], '10.0.0.0:443');
  assert.equal(list[20], '[2001:db8::fffe]:80');
});

test('probe order of masscan: 10.0.0.0/30 -p80,443 --seed 1 --rate 2', () => {
  // Reference §5.3: the first probe of loop index i is shuffle((i + rate) mod range).
  const plan = buildPlan(input('10.0.0.0/30', '80,443'));
  const br = new Blackrock(plan.range, 1n);
  const pk = new Picker(plan);
  const t = new Target();
  const got: string[] = [];
  for (let i = 0; i < plan.range; i++) {
    pk.pickScan(br.shuffle((i + 2) % plan.range), t);
    got.push(key(t));
  }
  assert.deepEqual(got, ['10.0.0.3:80', '10.0.0.2:443', '10.0.0.0:80', '10.0.0.3:443', '10.0.0.0:443',
    '10.0.0.1:443', '10.0.0.1:80', '10.0.0.2:80']);
});

test('shuffle + pick hits every (ip, port) once on random small plans (property)', () => {
  const octet = fc.integer({ min: 0, max: 255 });
  fc.assert(
    fc.property(
      fc.array(fc.tuple(octet, fc.integer({ min: 0, max: 20 })), { minLength: 1, maxLength: 4 }),
      fc.array(fc.tuple(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 5 })), { maxLength: 3 }),
      fc.array(fc.integer({ min: 0, max: 65535 }), { minLength: 1, maxLength: 5 }),
      fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
      (v4s, v6s, ports, seed) => {
        const spec = [
          ...v4s.map(([o, n]) => `10.${o}.0.0-10.${o}.0.${n}`),
          ...v6s.map(([w, n]) => `2001:db8::${w.toString(16)}:0-2001:db8::${w.toString(16)}:${n}`),
        ].join(',');
        const plan = buildPlan(input(spec, ports.join(',')));
        const br = new Blackrock(plan.range, seed);
        const pk = new Picker(plan);
        const t = new Target();
        const seen = new Set<string>();
        for (let i = 0; i < plan.range; i++) {
          pk.pickScan(br.shuffle(i), t);
          const k = key(t);
          assert.ok(!seen.has(k), k);
          seen.add(k);
          if (t.version === 4) assert.ok(plan.targets4.contains(t.ip4));
          assert.ok(plan.ports.contains(t.port));
        }
        assert.equal(seen.size, (plan.count4 + plan.count6) * plan.nports);
      },
    ),
    { numRuns: 100 },
  );
});
