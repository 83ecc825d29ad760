/**
 * SCTP, --arp, --vlan and --infinite on real traffic in the lab (issue 11 item 6), each seen
 * on the wire by tcpdump in the sink and answered by the sink's kernel where it can:
 *  - SCTP: this kernel has no SCTP (CONFIG_IP_SCTP off: `socket(AF_INET, SOCK_STREAM,
 *    IPPROTO_SCTP)` fails with EPROTONOSUPPORT, there is no /proc/net/sctp), so no
 *    `ncat --sctp -l` can listen. A responder on a raw IP socket (sink-python.ts) answers the
 *    INITs instead: INIT-ACK on the open port, ABORT on the other, with the INIT's tag and a
 *    CRC32c. The engine's SCTP classification stays tested in simulation too
 *    (test/engine/scan.test.ts);
 *  - --arp over the veth: the sink's kernel answers for its own addresses (10.250.0.2 and the
 *    AnyIP range), nobody for the rest;
 *  - --vlan: this kernel has no 802.1Q driver either (CONFIG_VLAN_8021Q off: `ip link add ...
 *    type vlan` says "Unknown device type"), so the sink's VLAN sub-interface is a user-space
 *    one (sink-python.ts VLAN_BRIDGE): tagged frames of VLAN 7 on the sink's veth reach a
 *    veth whose peer holds 10.250.7.2/30, and its answers go back tagged. The sink's kernel
 *    then ARPs (tagged) for the scan's source 10.250.7.1, which tidescan answers (tagged);
 *  - --infinite: the passes repeat until stopped, each sending every target once, in the
 *    order of the next seed.
 * Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, requireRoot, LAB_ADDR, type Lab, type LabProcess } from './lab.js';
import { assertExactly, captureFrames, describeRun, linkArgs, readList, runTidescan, startCapture, withTempDir } from './harness.js';
import { SCTP_RESPONDER, VLAN_BRIDGE } from './sink-python.js';

let lab: Lab;
const OPEN_TCP = { host: '198.18.0.60', port: 8080 };

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `hmr${process.pid}`.slice(0, 9), ipv6: false });
  await lab.startServices({ tcp: [OPEN_TCP] });
});

after(async () => {
  await lab?.destroy();
});

/** tcpdump in the sink on `dev`, writing `file`; resolves once it listens. */
const capture = (dev: string, file: string, filter: string): Promise<LabProcess> => startCapture(lab, dev, file, filter);

/** Stop a capture; its frames as `tcpdump -r FILE -n ARGS` prints them, one per line. */
const framesOf = (p: LabProcess, file: string, args: readonly string[] = ['-e']): Promise<string[]> => captureFrames(lab, p, file, args);

/** A python3 helper in the sink (sink-python.ts); resolves once it prints READY. */
async function startPython(source: string, args: readonly string[]): Promise<LabProcess> {
  const p = lab.spawn('sink', 'python3', ['-c', source, ...args], { timeoutMs: 90_000 });
  const deadline = Date.now() + 10_000;
  while (!p.stdout().includes('READY')) {
    if (p.child.exitCode !== null || Date.now() > deadline) throw new Error(`python3 helper did not start: ${p.stdout()} ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

async function stopPython(p: LabProcess): Promise<string> {
  p.kill('SIGTERM');
  await p.done;
  return p.stdout();
}

test('SCTP: INITs on the wire; INIT-ACK reports open, ABORT closed', async () => {
  const responder = await startPython(SCTP_RESPONDER, ['5000', '60']);
  try {
    await withTempDir(async (dir) => {
      const pcap = path.join(dir, 'sctp.pcap');
      const cap = await capture(lab.sinkIf, pcap, 'sctp');
      const out = path.join(dir, 'out.txt');
      const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.70', '-p', 'S:5000,S:5001', '--rate', '100', '--seed', '3',
        '--show', 'closed', '--wait', '1', '-oL', out], { cwd: dir });
      assert.equal(r.code, 0, describeRun(r));
      const frames = await framesOf(cap, pcap, ['-vv']);
      const inits = frames.filter((f) => f.includes('[INIT]'));
      assert.equal(inits.length, 2, frames.join('\n'));
      for (const f of inits) {
        assert.match(f, new RegExp(`${LAB_ADDR.scanIp4.replace(/\./g, '\\.')}\\.\\d+ > 198\\.18\\.0\\.70\\.500[01]: sctp`));
        assert.match(f, /\[init tag: \d+\] \[rwnd: 32768\] \[OS: 10\] \[MIS: 2048\]/, 'masscan\'s INIT fields (reference §6.4)');
      }
      assert.equal(frames.filter((f) => f.includes('[INIT ACK]')).length, 1);
      assert.equal(frames.filter((f) => f.includes('[ABORT]')).length, 1);
      assertExactly((await readList(out)).records, new Set(['open sctp 5000 198.18.0.70', 'closed sctp 5001 198.18.0.70']), 'records');
    });
  } finally {
    const said = await stopPython(responder);
    assert.match(said, /INIT 5000/);
  }
});

test('--arp over the veth: who-has for every target; the sink\'s own addresses are up, with its MAC', async () => {
  await withTempDir(async (dir) => {
    const pcap = path.join(dir, 'arp.pcap');
    const cap = await capture(lab.sinkIf, pcap, 'arp');
    const out = path.join(dir, 'out.json');
    const r = await runTidescan(lab, ['-e', lab.scanIf, '--arp', '10.250.0.0/30', '198.18.0.1-198.18.0.3', '--rate', '100',
      '--wait', '1', '-oJ', out], { cwd: dir });
    assert.equal(r.code, 0, describeRun(r));
    const frames = await framesOf(cap, pcap);
    const asked = frames.filter((f) => f.includes('Request who-has')).map((f) => /who-has ([\d.]+) tell ([\d.]+)/.exec(f)!.slice(1).join(' tell '));
    assert.deepEqual(asked.sort(), ['10.250.0.0', '10.250.0.1', '10.250.0.2', '10.250.0.3', '198.18.0.1', '198.18.0.2', '198.18.0.3']
      .map((ip) => `${ip} tell ${LAB_ADDR.scanIp4}`).sort());
    for (const f of frames.filter((x) => x.includes('Request'))) assert.match(f, /> ff:ff:ff:ff:ff:ff/, 'broadcast');
    const json = JSON.parse(await (await import('node:fs/promises')).readFile(out, 'utf8')) as
      { ip: string; ports: { proto: string; status: string; mac?: string }[] }[];
    const up = json.map((h) => `${h.ip} ${h.ports[0]!.proto} ${h.ports[0]!.status} ${h.ports[0]!.mac}`).sort();
    assert.deepEqual(up, ['10.250.0.2', '198.18.0.1', '198.18.0.2', '198.18.0.3'].map((ip) => `${ip} arp up ${LAB_ADDR.sinkMac}`).sort());
  });
});

test('--vlan 7: tagged probes, tagged ARP both ways, tagged replies found, tagged RST', async () => {
  // The sink's VLAN 7: <p>-v (the bridge's side) <-> <p>-vu (10.250.7.2/30, the sink's MAC).
  const v = `${lab.prefix}-v`, vu = `${lab.prefix}-vu`;
  const ip = async (...args: string[]): Promise<void> => {
    const r = await lab.exec('sink', 'ip', args);
    assert.equal(r.code, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  await ip('link', 'add', v, 'type', 'veth', 'peer', 'name', vu, 'address', LAB_ADDR.sinkMac);
  await lab.exec('sink', 'sysctl', ['-q', '-w', `net.ipv6.conf.${v}.disable_ipv6=1`, `net.ipv6.conf.${vu}.disable_ipv6=1`]);
  await ip('addr', 'add', '10.250.7.2/30', 'dev', vu);
  await ip('link', 'set', v, 'up');
  await ip('link', 'set', vu, 'up');
  await ip('route', 'del', 'broadcast', '10.250.7.3', 'dev', vu, 'table', 'local');
  const bridge = await startPython(VLAN_BRIDGE, [lab.sinkIf, v, '7', '60']);
  try {
    await withTempDir(async (dir) => {
      const pcap = path.join(dir, 'vlan.pcap');
      // Everything to or from the scanner's MAC, and broadcasts, tagged or not.
      const cap = await capture(lab.sinkIf, pcap, `ether host ${LAB_ADDR.scanMac} or ether broadcast`);
      const out = path.join(dir, 'out.txt');
      const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.60', '-p8080,8081', '--vlan', '7', '--source-ip', '10.250.7.1',
        '--rate', '100', '--seed', '3', '--show', 'closed', '--wait', '2', '-oL', out], { cwd: dir });
      assert.equal(r.code, 0, describeRun(r));
      const frames = await framesOf(cap, pcap);
      const untagged = frames.filter((f) => !f.includes('vlan 7, p 0'));
      assert.deepEqual(untagged, [], 'every frame of the conversation carries VLAN 7');
      const from = (mac: string, what: RegExp): string[] => frames.filter((f) => f.startsWith(`${f.split(' ')[0]} ${mac} >`) && what.test(f));
      assert.equal(from(LAB_ADDR.scanMac, /> 198\.18\.0\.60\.808[01]: Flags \[S\]/).length, 2, 'two tagged SYNs');
      assert.equal(from(LAB_ADDR.sinkMac, /Request who-has 10\.250\.7\.1/).length >= 1, true, 'the sink asks for the source over VLAN 7');
      assert.equal(from(LAB_ADDR.scanMac, /Reply 10\.250\.7\.1 is-at 02:50:00:00:00:01/).length >= 1, true, 'tidescan answers, tagged');
      assert.equal(from(LAB_ADDR.sinkMac, /198\.18\.0\.60\.8080 > 10\.250\.7\.1\.\d+: Flags \[S\.\]/).length >= 1, true, 'SYN-ACK');
      assert.equal(from(LAB_ADDR.scanMac, /10\.250\.7\.1\.\d+ > 198\.18\.0\.60\.8080: Flags \[R\]/).length >= 1, true, 'our RST, tagged');
      assertExactly((await readList(out)).records, new Set(['open tcp 8080 198.18.0.60', 'closed tcp 8081 198.18.0.60']), 'records');
    });
  } finally {
    const said = await stopPython(bridge);
    assert.match(said, /IN [1-9]\d* OUT [1-9]\d*/, said);
  }
});

test('--infinite: passes repeat until stopped, each sends every target once, each in its own order', async () => {
  await withTempDir(async (dir) => {
    const pcap = path.join(dir, 'inf.pcap');
    const cap = await capture(lab.sinkIf, pcap, 'tcp[13] == 2');
    const out = path.join(dir, 'out.txt');
    const r = await runTidescan(lab, [...linkArgs(lab), '198.18.0.60', '-p8080,8081', '--infinite', '--rate', '20', '--seed', '9',
      '--show', 'closed', '--wait', '1', '-oL', out], { cwd: dir, signal: { sig: 'SIGINT', afterMs: 3500 } });
    assert.equal(r.code, 0, describeRun(r));
    const syns = (await framesOf(cap, pcap, [])).map((f) => /198\.18\.0\.60\.(\d+): Flags \[S\]/.exec(f)![1]!);
    // ~20 SYNs/s for ~3 s: far more than one pass of 2
    assert.ok(syns.length >= 20, `${syns.length} SYNs`);
    const passes: string[] = [];
    for (let k = 0; k + 1 < syns.length; k += 2) {
      assert.deepEqual([syns[k], syns[k + 1]].sort(), ['8080', '8081'], `pass ${k / 2}: ${syns.join(' ')}`);
      passes.push(`${syns[k]} ${syns[k + 1]}`);
    }
    // masscan's rule: pass n shuffles with seed + n, so the order changes between passes
    assert.equal(new Set(passes).size, 2, `every pass in one order: ${passes.join(', ')}`);
    const l = await readList(out);
    assert.deepEqual([...new Set(l.records)].sort(), ['closed tcp 8081 198.18.0.60', 'open tcp 8080 198.18.0.60']);
  });
});
