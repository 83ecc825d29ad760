/**
 * --packet-trace and --pcap in the namespace lab, with masscan 1.3.2 on the same scan for the
 * trace lines. Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { describeRun, linkArgs, runMasscan, runTidescan, withTempDir } from './harness.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `h9t${process.pid % 1_000_000}` });
  // masscan 1.3.2 exits only while packets keep reaching it (LAB.md): the sink's trickle.
  await lab.startServices({ tcp: [{ host: '198.18.0.61', port: 8080 }], trickle: true });
});

after(async () => {
  await lab?.destroy();
});

const SCAN = ['198.18.0.61', '-p8080,8081', '--rate', '100', '--seed', '3', '--source-port', '52072'];
/** The lines without their times. */
const untimed = (out: string): string[] => out.split('\n').filter((l) => /^(SENT|RCVD) \(/.test(l)).map((l) => l.replace(/^(SENT|RCVD) \([0-9.]+\)/, '$1'));

test('--packet-trace: masscan\'s SENT/RCVD lines on stdout, the same lines masscan prints for this scan', async () => {
  await withTempDir(async (dir) => {
    const r = await runTidescan(lab, [...linkArgs(lab), ...SCAN, '--packet-trace', '--wait', '1'], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    const ours = untimed(r.stdout);
    const want = [
      'SENT TCP  [10.250.0.1]:52072    > [198.18.0.61]:8080    SYN',
      'SENT TCP  [10.250.0.1]:52072    > [198.18.0.61]:8081    SYN',
      'RCVD TCP  [198.18.0.61]:8080    > [10.250.0.1]:52072    SYN-ACK',
      'RCVD TCP  [198.18.0.61]:8081    > [10.250.0.1]:52072    RST-ACK',
      'SENT TCP  [10.250.0.1]:52072    > [198.18.0.61]:8080    RST',
    ];
    assert.deepEqual([...ours].sort(), [...want].sort(), r.stdout);
    assert.ok(!r.stderr.includes('SENT'), 'trace lines go to stdout');
    const m = await runMasscan(lab, [...SCAN, '--packet-trace', '--wait', '1'], { maxSeconds: 30 });
    const theirs = new Set(untimed(m.stdout));
    // masscan 1.3.2 also answers the closed port's RST-ACK with a RST (we do not: nothing is
    // open there); every line we print, it prints too.
    for (const l of ours) assert.ok(theirs.has(l), `masscan did not print ${JSON.stringify(l)}:\n${m.stdout}`);
  });
});

test('--pcap: tcpdump reads the file, and its frames are exactly the replies; -d prints the receive counts', async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, 'replies.pcap');
    const r = await runTidescan(lab, [...linkArgs(lab), ...SCAN, '--pcap', file, '--wait', '1', '-d'], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    // -d: the receive side's counts on stderr; the two replies among them.
    assert.match(r.stderr, /^\[debug\] receive: \d+ frames: 2 replies \(0 duplicates, 2 records\), \d+ refused .*\n\[debug\] receive: lost: 0 frames in the kernel ring/m, r.stderr);
    const t = await lab.exec('scan', 'tcpdump', ['-r', file, '-nn', '-t']);
    assert.equal(t.code, 0, t.stderr);
    const lines = t.stdout.split('\n').filter((l) => l !== '').map((l) => l.replace(/, seq \d+, ack \d+/, '').replace(/, win \d+.*$/, ''));
    assert.deepEqual(lines.sort(), [
      'IP 198.18.0.61.8080 > 10.250.0.1.52072: Flags [S.]',
      'IP 198.18.0.61.8081 > 10.250.0.1.52072: Flags [R.]',
    ], t.stdout);
  });
});
