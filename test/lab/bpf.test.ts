/**
 * --bpf in the namespace lab: a reply the user's filter excludes is not reported, one it
 * admits is; a bad expression stops the scan with one line naming it. Needs root: fails
 * (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createLab, requireRoot, type Lab } from './lab.js';
import { assertExactly, describeRun, linkArgs, runTidescan, scanList, withTempDir } from './harness.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `h9b${process.pid % 1_000_000}` });
  await lab.startServices({ tcp: [{ host: '198.18.0.61', port: 8080 }, { host: '198.18.0.62', port: 8080 }] });
});

after(async () => {
  await lab?.destroy();
});

const SCAN = ['198.18.0.61-198.18.0.62', '-p8080,8081', '--rate', '1000', '--seed', '3', '--show', 'closed'];
const ALL = ['open tcp 8080 198.18.0.61', 'closed tcp 8081 198.18.0.61', 'open tcp 8080 198.18.0.62', 'closed tcp 8081 198.18.0.62'];

test('--bpf narrows the replies: excluded ones are not reported, the rest are', async () => {
  await withTempDir(async (dir) => {
    // Without --bpf: every reply (the control: the excluded ones do arrive).
    assertExactly(await scanList(lab, SCAN, dir, 'all.txt'), new Set(ALL), 'no --bpf');
    // RSTs (closed) and everything from .62 excluded.
    const got = await scanList(lab, [...SCAN, '--bpf', 'tcp[tcpflags] & tcp-rst == 0 and not src host 198.18.0.62'], dir, 'bpf.txt');
    assertExactly(got, new Set(['open tcp 8080 198.18.0.61']), '--bpf');
  });
});

test('a bad --bpf expression: exit non-zero, one line naming it, no probe sent', async () => {
  await withTempDir(async (dir) => {
    const before = await lab.counters('sink', lab.sinkIf);
    const r = await runTidescan(lab, [...linkArgs(lab), ...SCAN, '--bpf', 'tcp prot 8080'], { cwd: dir });
    assert.notEqual(r.code, 0, describeRun(r));
    const fails = r.stderr.split('\n').filter((l) => l.includes('FAIL'));
    assert.equal(fails.length, 1, describeRun(r));
    assert.match(fails[0]!, /--bpf "tcp prot 8080": tcpdump: can't parse filter expression: syntax error$/);
    const after = await lab.counters('sink', lab.sinkIf);
    assert.ok(after.rxPackets - before.rxPackets < 2, `probes were sent: ${after.rxPackets - before.rxPackets} frames`);
  });
});
