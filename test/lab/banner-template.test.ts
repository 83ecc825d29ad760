/**
 * Banners with the packet-template options (issue 11's leftovers): the SYN of a --banners
 * scan carries --data-length bytes and the --tcp-mss / --tcp-wscale / --tcp-sackok /
 * --tcp-tsecho options, and the user-mode TCP stack must still open the connection (the
 * SYN cookie validates the SYN-ACK, the data in the SYN is not counted as sent unless the
 * peer acknowledges it) and read the banner of a real nginx in the sink. tcpdump in the sink
 * shows what went on the wire. Needs root: fails (never skips) without it; nginx is stopped
 * by PID and the namespaces are deleted by name, also on failure.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLab, requireRoot, type Lab } from './lab.js';
import { startNginx, type NginxServer } from './servers.js';
import { captureFrames, describeRun, linkArgs, readBannerMap, runTidescan, startCapture } from './harness.js';

let lab: Lab;
let nginx: NginxServer;
let dir: string;
let captures = 0;

before(async () => {
  requireRoot();
  dir = mkdtempSync(path.join(tmpdir(), 'tidescan-bntpl-'));
  lab = await createLab({ prefix: `hf${process.pid}`.slice(0, 9), ipv6: false });
  nginx = await startNginx(lab, { dir, lifetimeMs: 180_000 });
});

after(async () => {
  await nginx?.stop();
  await lab?.destroy();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** tcpdump in the sink on port 80 of nginx's HTTP address, until stop(): the frames as `tcpdump -v` prints them, one each. */
async function capture(ip: string): Promise<{ stop(): Promise<string[]> }> {
  const file = path.join(dir, `cap${++captures}.pcap`);
  const p = await startCapture(lab, lab.sinkIf, file, `tcp and host ${ip} and port 80`);
  return { stop: () => captureFrames(lab, p, file, ['-v']) };
}

for (const [name, extra, optionRe] of [
  ['--data-length 20 --tcp-mss 1200 --tcp-wscale 7', ['--data-length', '20', '--tcp-mss', '1200', '--tcp-wscale', '7'],
    /options \[mss 1200,nop,wscale 7\], length 20/],
  ['--data-length 20 --tcp-mss 1200 --tcp-wscale 7 --tcp-sackok --tcp-tsecho', [
    '--data-length', '20', '--tcp-mss', '1200', '--tcp-wscale', '7', '--tcp-sackok', '--tcp-tsecho'],
  /options \[mss 1200,nop,wscale 7,nop,nop,sackOK,nop,nop,TS val 305419896 ecr 0\], length 20/],
] as const) {
  test(`--banners ${name}: the SYN carries them, and the HTTP banner of a real nginx still arrives`, async () => {
    const ip = nginx.http.ip;
    const out = path.join(dir, `http-${extra.length}.ndjson`);
    const cap = await capture(ip);
    const r = await runTidescan(lab, [
      ...linkArgs(lab), '--banners', '--range', ip, '-p', '80', ...extra,
      '--rate', '100', '--wait', '3', '-oD', out,
    ], { cwd: dir, timeoutMs: 60_000 });
    const lines = await cap.stop();
    const wire = lines.join('\n');
    assert.equal(r.code, 0, describeRun(r));
    // Each frame is tcpdump -v's two lines: the IP line, then the TCP line.
    const syn = lines.find((l) => / > [0-9.]+\.80: Flags \[S\],/.test(l));
    assert.ok(syn !== undefined, `no SYN to ${ip}:80 on the wire:\n${wire.slice(0, 3000)}`);
    assert.match(syn, optionRe, 'the SYN carries the template options and 20 data bytes');
    const synAck = lines.find((l) => /\.80 > [0-9.]+: Flags \[S\.\],/.test(l));
    assert.ok(synAck !== undefined, `no SYN-ACK:\n${wire.slice(0, 3000)}`);
    console.log(`SYN:     ${syn.trim()}\nSYN-ACK: ${synAck.trim()}`);
    // Both SYNs carry a window scale (the sink's kernel answers one): our window field is
    // the stack's 65535 >> 7 = 511 (RFC 7323), not 65535 (which nginx would read as 8 MB).
    assert.match(synAck, /wscale \d+/);
    const ours = lines.filter((l) => / > [0-9.]+\.80: Flags \[(\.|P\.|F\.)\],/.test(l));
    assert.ok(ours.length >= 2, `our ACK and request:\n${wire.slice(0, 3000)}`);
    for (const l of ours) assert.match(l, /, win 511,/, l);
    const banner = (await readBannerMap(out)).get(`${ip}:80`)?.get('http');
    assert.ok(banner !== undefined, `no http banner of ${ip}:80\n${describeRun(r)}\n${wire.slice(0, 4000)}`);
    assert.ok(banner.startsWith('HTTP/1.1 200 OK'), banner);
    assert.ok(banner.includes(`Server: ${nginx.serverHeader}`), banner);
    // The peer read our request: nginx answered it (a reset instead would mean our sequence
    // numbers counted the SYN's data wrongly).
    assert.ok(!lines.some((l) => /\.80 > [0-9.]+: Flags \[R/.test(l)), `nginx reset the connection:\n${wire.slice(0, 4000)}`);
  });
}

test('without --banners, the RST after a SYN-ACK carries the SYN\'s options (masscan builds it from the same template)', async () => {
  const ip = nginx.http.ip;
  const cap = await capture(ip);
  const r = await runTidescan(lab, [
    ...linkArgs(lab), '--range', ip, '-p', '80', '--tcp-mss', '1200', '--tcp-wscale', '7', '--tcp-sackok', '--data-length', '20',
    '--rate', '100', '--wait', '1',
  ], { cwd: dir, timeoutMs: 60_000 });
  const frames = await cap.stop();
  const wire = frames.join('\n');
  assert.equal(r.code, 0, describeRun(r));
  // The scanner namespace's kernel owns our address and resets the SYN-ACK too (win 0, no
  // options): ours is the one with masscan's window 1200.
  const rsts = frames.filter((l) => / > [0-9.]+\.80: Flags \[R\],/.test(l));
  const rst = rsts.find((l) => /, win 1200,/.test(l));
  assert.ok(rst !== undefined, `no RST from us:\n${rsts.join('\n')}\n${wire.slice(0, 3000)}`);
  console.log(`RST:     ${rst.trim()}`);
  assert.match(rst, /win 1200, options \[mss 1200,nop,wscale 7,nop,nop,sackOK\], length 0/);
});
