/**
 * The pure parts of the kernel-RST guard: input validation (nothing a user types reaches nft's
 * command text unchecked), the commands, the table listing parser, the manual-fix line, and
 * the 'none' path with an nft binary that does not exist. The real tables are tested in
 * test/lab/firewall.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  guardCommands, guardKernelRst, manualFixLine, parseTidescanTables, pidAlive, sweepStaleTables, validateGuardTarget,
} from '../../src/adapter/firewall.js';
import { isScanError } from '../../src/error.js';

test('guardCommands: the owned table, the raw prerouting chain, the drop rule', () => {
  assert.deepEqual(guardCommands('tidescan_42', 'eth0', 61000, 61015, true), [
    'add table inet tidescan_42 { flags owner; }',
    'add chain inet tidescan_42 rx { type filter hook prerouting priority raw; policy accept; }',
    'add rule inet tidescan_42 rx iifname "eth0" tcp dport 61000-61015 drop',
  ]);
  assert.deepEqual(guardCommands('tidescan_42_1', 'h6x1-s', 61000, 61000, false), [
    'add table inet tidescan_42_1',
    'add chain inet tidescan_42_1 rx { type filter hook prerouting priority raw; policy accept; }',
    'add rule inet tidescan_42_1 rx iifname "h6x1-s" tcp dport 61000 drop',
  ]);
});

test('validateGuardTarget: refuses names and ports that could change nft\'s text', () => {
  const bad = (e: unknown): boolean => isScanError(e);
  for (const ifc of ['', 'a'.repeat(16), 'eth0"; flush ruleset', 'eth 0', 'eth0\n', 'eth+', 'a/b', '.', '..', 'e{', 'e;']) {
    assert.throws(() => validateGuardTarget(ifc, 1, 2), bad, JSON.stringify(ifc));
    assert.throws(() => guardCommands('tidescan_1', ifc, 1, 2, true), bad);
  }
  for (const [a, b] of [[-1, 5], [5, 65536], [10, 9], [1.5, 2], [Number.NaN, 3]] as const) {
    assert.throws(() => validateGuardTarget('eth0', a, b), bad, `${a}-${b}`);
  }
  for (const ifc of ['eth0', 'lo', 'h6x123-s', 'wlp0s20f3', 'veth.1@x', 'a-b_c:d']) validateGuardTarget(ifc, 0, 65535);
  assert.throws(() => guardCommands('evil; flush ruleset', 'eth0', 1, 2, true), bad);
});

test('guardCommands: property: any accepted input gives exactly three lines with no command separators', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 20 }), fc.integer({ min: -5, max: 70000 }), fc.integer({ min: -5, max: 70000 }), (ifc, a, b) => {
      let cmds: string[];
      try {
        cmds = guardCommands('tidescan_7', ifc, a, b, true);
      } catch (e) {
        assert.ok(isScanError(e));
        return;
      }
      assert.equal(cmds.length, 3);
      const rule = cmds[2]!;
      assert.equal(rule, `add rule inet tidescan_7 rx iifname "${ifc}" tcp dport ${a === b ? a : `${a}-${b}`} drop`);
      assert.ok(!/[\n;"{}#]/.test(ifc));
    }),
  );
});

test('parseTidescanTables: only tidescan_<pid>[_n] tables, any family', () => {
  const listing = [
    'table inet filter',
    'table inet tidescan_123',
    'table ip tidescan_45_2',
    'table inet tidescan_',
    'table inet tidescan_0',
    'table inet tidescan_12x',
    'table netdev tslab_drop',
    '  table ip6 tidescan_99  ',
    'garbage',
  ].join('\n');
  assert.deepEqual(parseTidescanTables(listing), [
    { family: 'inet', name: 'tidescan_123', pid: 123 },
    { family: 'ip', name: 'tidescan_45_2', pid: 45 },
    { family: 'ip6', name: 'tidescan_99', pid: 99 },
  ]);
  fc.assert(fc.property(fc.string(), (s) => void parseTidescanTables(s)));
});

test('manualFixLine: one line, with the iptables command and the --source-ip alternative', () => {
  const l = manualFixLine('eth0', 61000, 61015, 'nft: not found\nsecond line');
  assert.ok(!l.includes('\n'));
  assert.match(l, /iptables -A INPUT -i eth0 -p tcp --dport 61000:61015 -j DROP/);
  assert.match(l, /--source-ip/);
  assert.match(manualFixLine('eth0', 61000, 61000, 'x'), /--dport 61000 -j DROP/);
});

test('pidAlive: ourselves yes, a PID beyond pid_max no', () => {
  assert.equal(pidAlive(process.pid), true);
  assert.equal(pidAlive(2 ** 22 + 12345), false);
});

test("guardKernelRst: no nft binary -> mode 'none', one warning line with the manual fix, close() is a no-op", async () => {
  const lines: string[] = [];
  const g = await guardKernelRst({
    iface: 'eth0', portBegin: 61000, portEnd: 61015, warn: (l) => lines.push(l), nft: '/nonexistent/h6/nft',
  });
  assert.equal(g.mode, 'none');
  assert.equal(g.table, undefined);
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /not found/);
  assert.match(lines[0]!, /iptables -A INPUT -i eth0 -p tcp --dport 61000:61015 -j DROP/);
  g.close();
  g.close();
  // Also when forced to the PID-table path.
  const g2 = await guardKernelRst({
    iface: 'eth0', portBegin: 61000, portEnd: 61000, warn: (l) => lines.push(l), nft: '/nonexistent/h6/nft', owner: false,
  });
  assert.equal(g2.mode, 'none');
  assert.equal(lines.length, 2);
});

test('guardKernelRst: bad input throws before any process starts', async () => {
  await assert.rejects(
    guardKernelRst({ iface: 'eth0" ; flush ruleset', portBegin: 1, portEnd: 2, warn: () => undefined, nft: '/nonexistent' }),
    (e: unknown) => isScanError(e),
  );
});

test('sweepStaleTables: without nft, deletes nothing and does not throw', () => {
  assert.deepEqual(sweepStaleTables({ nft: '/nonexistent/h6/nft' }), []);
});
