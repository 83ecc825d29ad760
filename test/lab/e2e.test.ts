/**
 * End to end: `node bin/tidescan.js` scanning the namespace lab must report EXACTLY the
 * ground truth (test/lab/scenario.ts): every open listener, nothing else, no duplicates, at
 * 10 kpps and at 10 Mpps. Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, requireRoot, LAB_ADDR, type Lab } from './lab.js';
import { assertExactly, withTempDir, scanList } from './harness.js';
import {
  startScenario, expectTcp, expectUdp, expectPing, range4, range6, TCP4_TARGET, TCP6_TARGET, TCP_PORTS,
} from './scenario.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab();
  await startScenario(lab);
});

after(async () => {
  await lab?.destroy();
});

const RATES = [10_000, 10_000_000] as const;
const PORTS = `-p${TCP_PORTS.join(',')}`;


for (const rate of RATES) {
  const R = ['--rate', String(rate)];

  test(`tidescan @${rate} pps: IPv4 TCP ${TCP4_TARGET.range} x ${TCP_PORTS.length} ports = exactly the listeners`, async () => {
    await withTempDir(async (dir) => {
      const got = await scanList(lab, [TCP4_TARGET.range, PORTS, ...R], dir);
      assertExactly(got, expectTcp(range4(TCP4_TARGET.first, TCP4_TARGET.count), TCP_PORTS, false), 'v4 tcp');
    });
  });

  test(`tidescan @${rate} pps: IPv6 TCP ${TCP6_TARGET.range} x ${TCP_PORTS.length} ports = exactly the listeners`, async () => {
    await withTempDir(async (dir) => {
      const got = await scanList(lab, [TCP6_TARGET.range, PORTS, ...R], dir);
      assertExactly(got, expectTcp(range6(TCP6_TARGET.prefix, TCP6_TARGET.count), TCP_PORTS, false), 'v6 tcp');
    });
  });

  test(`tidescan @${rate} pps: UDP --show closed: answering port open, closed/REJECT closed, dropped absent`, async () => {
    await withTempDir(async (dir) => {
      const got = await scanList(lab,
        ['198.18.0.30-198.18.0.33', '--range', '2001:db8::30-2001:db8::31', '-pU:7777,U:7778', '--show', 'closed', ...R],
        dir,
      );
      const ips = [...range4('198.18.0.30', 4), '2001:db8::30', '2001:db8::31'];
      assertExactly(got, expectUdp(ips, [7777, 7778], true), 'udp');
    });
  });

  test(`tidescan @${rate} pps: --ping reports open icmp 0 for every answering host (v4 and v6)`, async () => {
    await withTempDir(async (dir) => {
      const got = await scanList(lab, ['198.18.0.0/28', '--range', '2001:db8::/124', '--ping', ...R], dir);
      assertExactly(got, expectPing([...range4('198.18.0.0', 16), ...range6('2001:db8::', 16)]), 'ping');
    });
  });

  test(`tidescan @${rate} pps: spoofed --source-ip ${LAB_ADDR.spoofIp4} (tidescan answers ARP) = exactly the listeners`, async () => {
    await withTempDir(async (dir) => {
      const got = await scanList(lab, [TCP4_TARGET.range, PORTS, '--source-ip', LAB_ADDR.spoofIp4, ...R], dir);
      assertExactly(got, expectTcp(range4(TCP4_TARGET.first, TCP4_TARGET.count), TCP_PORTS, false), 'spoofed v4 tcp');
    });
  });

  test(`tidescan @${rate} pps: shards 1/3 2/3 3/3 are disjoint and their union is the full scan (--show closed)`, async () => {
    await withTempDir(async (dir) => {
      const target = ['198.18.0.0/24', '--range', '2001:db8::/124', PORTS, '--show', 'closed', '--seed', '7', ...R];
      const all: string[] = [];
      const sizes: number[] = [];
      for (const k of [1, 2, 3]) {
        const got = await scanList(lab, [...target, '--shard', `${k}/3`], dir, `shard${k}.txt`);
        sizes.push(got.length);
        all.push(...got);
      }
      const expected = expectTcp([...range4('198.18.0.0', 256), ...range6('2001:db8::', 16)], TCP_PORTS, true);
      // Disjoint (no duplicates across shards) and complete.
      assertExactly(all, expected, `union of shards (sizes ${sizes.join('+')})`);
      for (const s of sizes) assert.ok(s > expected.size / 6, `a shard is far too small: ${sizes.join(', ')}`);
      const full = await scanList(lab, target, dir, 'full.txt');
      assertExactly(full, expected, 'unsharded scan');
    });
  });
}
