/**
 * End to end, the conditions users meet: no link options at all (tidescan finds interface,
 * source address and router itself, with no default route to lean on), and a lossy path
 * (5% of the sink's replies dropped) where --retries must still find every listener, once.
 * Needs root: fails (never skips) without it.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, requireRoot, type Lab } from './lab.js';
import { assertExactly, withTempDir, scanList } from './harness.js';
import { startScenario, expectTcp, range4, range6, TCP4_TARGET, TCP6_TARGET, TCP_PORTS } from './scenario.js';

const labs: Lab[] = [];
after(async () => {
  for (const l of labs) await l.destroy();
});

test('tidescan with no -e/--router-mac/--source-ip: finds its way in the lab (v4 + v6) = exactly the listeners', async () => {
  requireRoot();
  const lab = await createLab();
  labs.push(lab);
  await startScenario(lab);
  await withTempDir(async (dir) => {
    const got = await scanList(
      lab,
      [TCP4_TARGET.range, '--range', TCP6_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '100000'],
      dir,
      'out.txt',
      { link: false },
    );
    const ips = [...range4(TCP4_TARGET.first, TCP4_TARGET.count), ...range6(TCP6_TARGET.prefix, TCP6_TARGET.count)];
    assertExactly(got, expectTcp(ips, TCP_PORTS, false), 'no link options');
  });
});

test('tidescan --retries 3 on a path losing 5% of replies: every listener, no duplicates', async () => {
  requireRoot();
  const lab = await createLab({ netem: 'loss 5%' });
  labs.push(lab);
  await startScenario(lab);
  await withTempDir(async (dir) => {
    const before = await lab.counters('sink', lab.sinkIf);
    const got = await scanList(
      lab,
      [TCP4_TARGET.range, '--range', TCP6_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '100000', '--retries', '3'],
      dir,
    );
    const ips = [...range4(TCP4_TARGET.first, TCP4_TARGET.count), ...range6(TCP6_TARGET.prefix, TCP6_TARGET.count)];
    assertExactly(got, expectTcp(ips, TCP_PORTS, false), 'lossy path with retries');
    // R retries = R+1 probes per target: the sink saw at least 4 x 5120 frames.
    const received = (await lab.counters('sink', lab.sinkIf)).rxPackets - before.rxPackets;
    assert.ok(received >= 4 * ips.length * TCP_PORTS.length, `the sink received ${received} frames for ${ips.length * TCP_PORTS.length} targets x 4`);
    assert.ok(received < 4.2 * ips.length * TCP_PORTS.length, `too many frames (${received}): retries are R+1, not (R+1)^2`);
  });
});
