/**
 * Two adapters on real traffic (issue 11 item 4): the lab's second veth pair (`secondPair`:
 * <p>-s2 <-> <p>-k2) runs beside the first into the same sink. tidescan scans over both
 * (`-e <p>-s --adapter[1] <p>-s2 --router-mac[1] ...`); tcpdump on each sink-side veth shows
 *  - every SYN leaves through the adapter that owns its loop index (i mod 2 == n, computed here
 *    with the scan's own blackrock), from that adapter's address and MAC, once;
 *  - the union of the results is the whole scan (every target open or closed, once);
 *  - each adapter's receive side is its own: with spoofed sources (10.250.0.3, 10.250.1.3)
 *    each answers the sink's ARP on its own veth, and `--pcap F` writes one file per adapter
 *    (F.00.pcap, F.01.pcap) holding exactly the replies to that adapter's probes; with
 *    --banners each adapter's own TCP stack grabs the banners of its targets;
 *  - over IPv6 too, each adapter from its own interface's address (fd00:250::1, fd00:251::1);
 * masscan 1.3.2 beside it with the same seed and an even rate splits the targets the same way.
 * An unknown interface at index 1 fails before anything is sent. Needs root: fails (never
 * skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, requireRoot, LAB_ADDR, LAB_ADDR2, type Lab, type LabProcess } from './lab.js';
import { assertExactly, captureFrames, describeRun, readList, runMasscan, runTidescan, startCapture, withTempDir } from './harness.js';
import { parseCommandLine } from '../../src/cli/parse.js';
import { formatIPv4 } from '../../src/target/ipv4.js';
import { formatIPv6Words } from '../../src/target/ipv6.js';
import { canonIp } from './scenario.js';
import { ownedTargets as simOwnedTargets, SIM_IO } from '../engine/scan-sim.js';

let lab: Lab;
/** Listeners: open ports of the scan (the rest of the targets answer RST: closed). */
const OPEN = ['198.18.0.5:80', '198.18.0.9:443', '198.18.0.14:80', '198.18.0.2:443'];
const TARGETS = ['198.18.0.0/28', '-p80,443'];
/** The IPv6 scan: 16 addresses, one port; one listener. */
const TARGETS6 = ['2001:db8::/124', '-p80'];
const OPEN6 = '2001:db8::5';
const SEED = '17';

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `hm${process.pid}`.slice(0, 9), secondPair: true });
  await lab.startServices({
    tcp: [...OPEN.map((o) => ({ host: o.split(':')[0]!, port: Number(o.split(':')[1]), banner: `HM-${o}\r\n` })),
      { host: OPEN6, port: 80 }],
    trickle: true,
  });
});

after(async () => {
  await lab?.destroy();
});

/** tcpdump in the sink on `dev`, pure SYNs only, writing `file`; resolves once it listens. */
const capture = (dev: string, file: string, filter = 'tcp[13] == 2'): Promise<LabProcess> => startCapture(lab, dev, file, filter);

interface Syn { readonly srcMac: string; readonly src: string; readonly dst: string }

/** Stop a capture and return what tcpdump -e reads from it, one line per frame. */
const framesOf = (p: LabProcess, file: string): Promise<string[]> => captureFrames(lab, p, file);

/** Stop a capture and read its SYNs: source MAC, source address, `ip:port` probed. */
async function synsOf(p: LabProcess, file: string): Promise<Syn[]> {
  const out: Syn[] = [];
  for (const line of await framesOf(p, file)) {
    // 12:00:00.000000 02:50:00:00:00:01 > 02:50:00:00:00:02, ethertype IPv4 (0x0800), length 60: 10.250.0.1.58169 > 198.18.0.6.443: Flags [S], ...
    const m = /^\S+ (\S+) > \S+, ethertype IPv4 .*?: (\d+\.\d+\.\d+\.\d+)\.\d+ > (\d+\.\d+\.\d+\.\d+)\.(\d+): Flags \[S\]/.exec(line);
    if (m !== null) out.push({ srcMac: m[1]!, src: m[2]!, dst: `${m[3]}:${m[4]}` });
  }
  return out;
}

/** `ip:port` of the scan's loop indices i with i mod `step` == `offset` (the scan's own shuffle). */
function ownedTargets(step: number, offset: number, targets: readonly string[] = TARGETS): string[] {
  return simOwnedTargets(parseCommandLine([...targets, '--seed', SEED], SIM_IO), step, offset,
    (t) => `${t.version === 4 ? formatIPv4(t.ip4) : canonIp(formatIPv6Words(t.ip6))}:${t.port}`);
}

function allRecords(): Set<string> {
  return new Set(ownedTargets(1, 0).map((k) => {
    const [ip, port] = k.split(':');
    return `${OPEN.includes(k) ? 'open' : 'closed'} tcp ${port} ${ip}`;
  }));
}

/** Two-adapter scans of both scanners; returns each adapter's SYNs. */
async function twoAdapterSyns(dir: string, run: (out: string) => Promise<void>): Promise<[Syn[], Syn[]]> {
  const f0 = path.join(dir, 'k.pcap');
  const f1 = path.join(dir, 'k2.pcap');
  const c0 = await capture(lab.sinkIf, f0);
  const c1 = await capture(lab.sinkIf2!, f1);
  await run(path.join(dir, 'out.txt'));
  return [await synsOf(c0, f0), await synsOf(c1, f1)];
}

for (const spoof of [false, true]) {
  const src0 = spoof ? LAB_ADDR.spoofIp4 : LAB_ADDR.scanIp4;
  const src1 = spoof ? LAB_ADDR2.spoofIp4 : LAB_ADDR2.scanIp4;
  test(`tidescan over two adapters from ${src0} and ${src1}: each SYN leaves through the adapter owning its index, ` +
    'the union is the whole scan, each adapter\'s --pcap holds its replies', async () => {
    await withTempDir(async (dir) => {
      let out = '';
      const [s0, s1] = await twoAdapterSyns(dir, async (o) => {
        out = o;
        const r = await runTidescan(lab, [
          '-e', lab.scanIf, '--router-mac', LAB_ADDR.sinkMac,
          '--adapter[1]', lab.scanIf2!, '--router-mac[1]', LAB_ADDR2.sinkMac,
          // spoofed: addresses no kernel owns, so each adapter's receive side answers ARP for its own
          ...(spoof ? ['--adapter-ip', src0, '--adapter-ip[1]', src1] : []),
          ...TARGETS, '--seed', SEED, '--rate', '2000', '--show', 'closed', '--wait', '1', '-oL', o, '-v',
          '--pcap', path.join(dir, 'replies.pcap'), '-d',
        ], { cwd: dir, timeoutMs: 60_000 });
        assert.equal(r.code, 0, describeRun(r));
        assert.match(r.stderr, /2 transmit threads on \S+-s, \S+-s2/);
        // -d: each receive side prints its own counts, named: the 16 replies to its 16 probes
        for (const n of [0, 1]) {
          assert.match(r.stderr, new RegExp(`\\[debug\\] receive \\(adapter\\[${n}\\] \\S+-s${n === 0 ? '' : '2'}\\): \\d+ frames: 16 replies`), r.stderr);
        }
        if (spoof) assert.match(r.stderr, new RegExp(`adapter\\[1\\] \\S+-s2: answering ARP for ${src1.replace(/\./g, '\\.')}`));
      });
      for (const [n, syns, addr, mac] of [[0, s0, src0, LAB_ADDR.scanMac], [1, s1, src1, LAB_ADDR2.scanMac]] as const) {
        assert.ok(syns.length > 0, `adapter ${n} sent nothing`);
        for (const s of syns) {
          assert.equal(s.src, addr, `adapter ${n}: source address`);
          assert.equal(s.srcMac, mac, `adapter ${n}: source MAC`);
        }
        assert.deepEqual(syns.map((s) => s.dst).sort(), ownedTargets(2, n), `adapter ${n} sends exactly i mod 2 == ${n}, once each`);
        // its receive side's --pcap file: the replies to its own probes, nothing else
        const r = await lab.exec('sink', 'tcpdump', ['-r', path.join(dir, `replies.0${n}.pcap`), '-n']);
        assert.equal(r.code, 0, r.stderr);
        const replies = r.stdout.split('\n').filter((l) => l !== '')
          .map((l) => /IP (\d+\.\d+\.\d+\.\d+)\.(\d+) > (\d+\.\d+\.\d+\.\d+)\.\d+: Flags/.exec(l)).map((m) => `${m?.[1]}:${m?.[2]} > ${m?.[3]}`);
        assert.deepEqual(replies.sort(), ownedTargets(2, n).map((t) => `${t} > ${addr}`).sort(), `adapter ${n}'s pcap`);
      }
      const l = await readList(out);
      assert.deepEqual(l.bad, []);
      assertExactly(l.records, allRecords(), 'the union of both adapters\' results');
    });
  });
}

test('IPv6 over two adapters: each adapter sends from its own interface\'s address, exactly its indices; the union is the whole scan', async () => {
  await withTempDir(async (dir) => {
    const f0 = path.join(dir, 'k6.pcap');
    const f1 = path.join(dir, 'k26.pcap');
    // pure SYNs: TCP flags at 40 + 13 (no extension headers)
    const c0 = await capture(lab.sinkIf, f0, 'ip6 and ip6[6] == 6 and ip6[53] == 2');
    const c1 = await capture(lab.sinkIf2!, f1, 'ip6 and ip6[6] == 6 and ip6[53] == 2');
    const out = path.join(dir, 'out6.txt');
    const r = await runTidescan(lab, [
      '-e', lab.scanIf, '--router-mac', LAB_ADDR.sinkMac, '--adapter[1]', lab.scanIf2!, '--router-mac[1]', LAB_ADDR2.sinkMac,
      ...TARGETS6, '--seed', SEED, '--rate', '2000', '--show', 'closed', '--wait', '1', '-oL', out,
    ], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    for (const [n, cap, file, addr, mac] of [[0, c0, f0, LAB_ADDR.scanIp6, LAB_ADDR.scanMac], [1, c1, f1, LAB_ADDR2.scanIp6, LAB_ADDR2.scanMac]] as const) {
      const syns: string[] = [];
      for (const line of await framesOf(cap, file)) {
        const m = /^\S+ (\S+) > \S+, ethertype IPv6 .*?: ([0-9a-f:]+)\.\d+ > ([0-9a-f:]+)\.(\d+): Flags \[S\]/.exec(line);
        assert.ok(m !== null, line);
        assert.equal(m[1], mac, `adapter ${n}: source MAC`);
        assert.equal(m[2], addr, `adapter ${n}: the interface's own IPv6 address`);
        syns.push(`${canonIp(m[3]!)}:${m[4]}`);
      }
      assert.deepEqual(syns.sort(), ownedTargets(2, n, TARGETS6), `adapter ${n}`);
    }
    const all = new Set(ownedTargets(1, 0, TARGETS6).map((k) => {
      const ip = k.slice(0, k.lastIndexOf(':'));
      return `${ip === canonIp(OPEN6) ? 'open' : 'closed'} tcp 80 ${ip}`;
    }));
    assertExactly((await readList(out)).records, all, 'the union of both adapters\' IPv6 results');
  });
});

test('--banners over two adapters from spoofed sources: each adapter\'s own TCP stack gets the banners of its targets', async () => {
  for (const n of [0, 1]) {
    assert.ok(OPEN.some((o) => ownedTargets(2, n).includes(o)), `no listener among adapter ${n}'s targets`);
  }
  await withTempDir(async (dir) => {
    const out = path.join(dir, 'out.txt');
    const r = await runTidescan(lab, [
      '-e', lab.scanIf, '--router-mac', LAB_ADDR.sinkMac, '--adapter-ip', LAB_ADDR.spoofIp4,
      '--adapter[1]', lab.scanIf2!, '--router-mac[1]', LAB_ADDR2.sinkMac, '--adapter-ip[1]', LAB_ADDR2.spoofIp4,
      ...TARGETS, '--seed', SEED, '--rate', '2000', '--banners', '--wait', '3', '-oL', out,
    ], { cwd: dir, timeoutMs: 60_000 });
    assert.equal(r.code, 0, describeRun(r));
    const l = await readList(out);
    assertExactly(l.records, new Set(OPEN.map((o) => `open tcp ${o.split(':')[1]} ${o.split(':')[0]}`)), 'open ports');
    for (const o of OPEN) {
      const [ip, port] = o.split(':');
      const lines = l.banners.filter((b) => b.startsWith(`banner tcp ${port} ${ip} `) && b.includes(`HM-${o}`));
      assert.equal(lines.length >= 1, true, `no banner for ${o}:\n${l.banners.join('\n')}`);
    }
  });
});

/** masscan 1.3.2 over both lab adapters at rate 2000 with `extra`, -oL to `out`; exits 0. */
async function masscanTwoAdapters(dir: string, out: string, extra: readonly string[]): Promise<void> {
  const r = await runMasscan(lab, [
    '-e', lab.scanIf, '--router-mac', LAB_ADDR.sinkMac, '--source-ip', LAB_ADDR.scanIp4,
    '--adapter[1]', lab.scanIf2!, '--adapter-ip[1]', LAB_ADDR2.scanIp4, '--router-mac[1]', LAB_ADDR2.sinkMac,
    ...TARGETS, '--seed', SEED, '--rate', '2000', ...extra, '--wait', '1', '-oL', out,
  ], { cwd: dir, maxSeconds: 30 });
  assert.equal(r.code, 0, describeRun(r));
}

test('masscan 1.3.2 over the same two adapters splits the targets the same way (unsharded; not with --shard)', async (t) => {
  // masscan waits for a packet on every adapter before it exits: a trickle to the second
  // adapter's address too (the lab's trickle goes to the first), bounded to 30 s.
  const trickle = lab.spawn('sink', 'python3', ['-c', [
    'import socket, time',
    's = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
    'for _ in range(300):',
    `    s.sendto(b"x", ("${LAB_ADDR2.scanIp4}", 9))`,
    '    time.sleep(0.1)',
  ].join('\n')], { timeoutMs: 40_000 });
  try {
    await withTempDir(async (dir) => {
      let out = '';
      const [s0, s1] = await twoAdapterSyns(dir, async (o) => {
        out = o;
        // An even rate keeps masscan's first index, (i + rate) mod range, on i's parity.
        await masscanTwoAdapters(dir, o, ['--show', 'closed']);
      });
      assert.deepEqual(s0.map((s) => s.dst).sort(), ownedTargets(2, 0), 'masscan adapter 0');
      assert.deepEqual(s1.map((s) => s.dst).sort(), ownedTargets(2, 1), 'masscan adapter 1');
      for (const s of s1) assert.equal(s.srcMac, LAB_ADDR2.scanMac);
      // Its two receive threads each write an -oL file under the same name, so what is left
      // is not the union (seen here: one adapter's records; README, "Several adapters").
      const l = await readList(out);
      const all = allRecords();
      for (const rec of l.records) assert.ok(all.has(rec), rec);
      t.diagnostic(`masscan's -oL file: ${l.records.length} of ${all.size} records`);
    });
    // With a shard the two differ (README): masscan 1.3.2's adapter n starts at (x-1) + n and
    // steps (y-1) + adapters (2/3: i = 1, 5, 9, ... and 2, 6, 10, ...; 2000 = 0 mod 4 keeps
    // (i + rate) on i's class), so its shards overlap (1/3 sends i = 1, 5, ... too); tidescan's adapter n
    // owns i = (x-1) + n*y mod y*adapters (test/engine/scan-adapters.test.ts).
    await withTempDir(async (dir) => {
      const [s0, s1] = await twoAdapterSyns(dir, async (o) => {
        await masscanTwoAdapters(dir, o, ['--shard', '2/3']);
      });
      assert.deepEqual(s0.map((s) => s.dst).sort(), ownedTargets(4, 1), 'masscan --shard 2/3, adapter 0');
      assert.deepEqual(s1.map((s) => s.dst).sort(), ownedTargets(4, 2), 'masscan --shard 2/3, adapter 1');
    });
  } finally {
    trickle.kill('SIGKILL');
    await trickle.done;
  }
});

test('an unknown interface at index 1 is an error naming it, and nothing is sent on adapter 0', async () => {
  await withTempDir(async (dir) => {
    const f0 = path.join(dir, 'k.pcap');
    // Everything from the scanner's MAC but the kernel's answers to the lab's trickle.
    const c0 = await capture(lab.sinkIf, f0, `ether src ${LAB_ADDR.scanMac} and not icmp`);
    const r = await runTidescan(lab, [
      '-e', lab.scanIf, '--adapter[1]', 'nosuch9', '--router-mac[1]', LAB_ADDR2.sinkMac,
      ...TARGETS, '--rate', '2000', '--wait', '0',
    ], { cwd: dir, timeoutMs: 30_000 });
    assert.notEqual(r.code, 0, describeRun(r));
    assert.match(r.stderr, /adapter\[1\] nosuch9: no such interface/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    // Not even the ARP for adapter 0's router (no --router-mac for it here).
    assert.deepEqual(await framesOf(c0, f0), [], 'a frame went out');
  });
});
