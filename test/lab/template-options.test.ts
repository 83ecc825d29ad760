/**
 * Packet-template options on the wire (issue 11): tcpdump in the sink namespace captures a
 * small tidescan scan and shows each option in the frames that arrived; the replies to
 * data-carrying, padded probes still pass the cookie check (open and closed both reported);
 * --badsum probes arrive with wrong checksums and get no answer. Needs root: fails (never
 * skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, requireRoot, type Lab, type LabProcess } from './lab.js';
import { assertExactly, linkArgs, runTidescan, describeRun, readList, withTempDir } from './harness.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `h9x${process.pid % 1_000_000}` });
  await lab.startServices({ tcp: [{ host: '198.18.0.60', port: 8080 }] });
});

after(async () => {
  await lab?.destroy();
});

/** tcpdump in the sink on its veth, writing `file`; resolves once it is listening. */
async function capture(file: string, filter: string): Promise<LabProcess> {
  const p = lab.spawn('sink', 'tcpdump', ['-i', lab.sinkIf, '-U', '-n', '-w', file, filter], { timeoutMs: 60_000 });
  const deadline = Date.now() + 10_000;
  while (!p.stderr().includes('listening on')) {
    if (Date.now() > deadline) throw new Error(`tcpdump did not start: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

async function stopAndRead(p: LabProcess, file: string, args: readonly string[]): Promise<string> {
  await new Promise((r) => setTimeout(r, 300));
  p.kill('SIGINT');
  await p.done;
  const r = await lab.exec('sink', 'tcpdump', ['-r', file, '-n', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('--tcp-mss/--tcp-wscale/--tcp-sackok/--tcp-tsecho/--data-length/--min-packet: the sink sees them; replies still validate', async () => {
  await withTempDir(async (dir) => {
    const pcap = path.join(dir, 'sink.pcap');
    const cap = await capture(pcap, 'tcp and dst host 198.18.0.60');
    const out = path.join(dir, 'out.txt');
    const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.60', '-p8080,8081', '--rate', '1000', '--seed', '5',
      '--tcp-mss', '1200', '--tcp-wscale', '7', '--tcp-sackok', '--tcp-tsecho', '200', '--data-length', '20',
      '--min-packet', '160', '--show', 'closed', '--wait', '1', '-oL', out], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    const text = await stopAndRead(cap, pcap, ['-e', '-v']);
    const syns = text.split('\n').filter((l) => l.includes('Flags [S]'));
    // -v prints the IP line and the TCP line apart: join each frame's lines.
    const frames = text.split(/\n(?=\d\d:\d\d)/).filter((f) => f.includes('Flags [S]'));
    assert.equal(frames.length, 2, text);
    for (const f of frames) {
      assert.match(f, /length 160:/, 'Ethernet frame padded to --min-packet (tcpdump -e prints the frame length)');
      assert.match(f, /options \[mss 1200,nop,wscale 7,nop,nop,sackOK,nop,nop,TS val 200 ecr 0\], length 20/, f);
    }
    assert.ok(syns.length >= 1);
    // The listener's SYN-ACK acks the SYN only, the closed port's RST acks the data too:
    // both are ours (probes/tcp-syn.ts classifyTcp), so both are reported.
    const l = await readList(out);
    assertExactly(l.records, new Set(['open tcp 8080 198.18.0.60', 'closed tcp 8081 198.18.0.60']), 'records');
  });
});

test('--badsum: the sink sees wrong TCP checksums, answers nothing, and nothing is reported', async () => {
  await withTempDir(async (dir) => {
    const pcap = path.join(dir, 'bad.pcap');
    const cap = await capture(pcap, 'tcp and host 198.18.0.60');
    const out = path.join(dir, 'out.txt');
    const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.60', '-p8080,8081', '--rate', '1000', '--seed', '5',
      '--badsum', '--show', 'closed', '--wait', '1', '-oL', out], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    const text = await stopAndRead(cap, pcap, ['-vv']);
    const frames = text.split(/\n(?=\d\d:\d\d)/).filter((f) => f.includes('Flags [S]'));
    assert.equal(frames.length, 2, text);
    for (const f of frames) assert.match(f, /cksum 0x[0-9a-f]{4} \(incorrect -> 0x[0-9a-f]{4}\)/, f);
    assert.ok(!/Flags \[S\.\]|Flags \[R/.test(text), `the sink answered a bad checksum:\n${text}`);
    assert.deepEqual((await readList(out)).records, []);
  });
});
