/**
 * The lab itself: layout, the no-default-route refusal, cleanup (also when the process dies),
 * and the ground truth checked two independent ways: plain kernel sockets from the scanner
 * namespace, and masscan 1.3.2 scanning it. Needs root: fails (never skips) without it.
 */
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createLab, requireRoot, LAB_ADDR, type Lab } from './lab.js';
import { runMasscan, readList, assertExactly, withTempDir, describeRun } from './harness.js';
import {
  startScenario, expectTcp, expectUdp, expectPing, range4, range6, TCP4_TARGET, TCP6_TARGET, TCP_PORTS,
  key,
} from './scenario.js';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab();
  await startScenario(lab, { trickle: true });
});

after(async () => {
  await lab?.destroy();
});

function nsList(): string {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
}

test('lab: layout: addresses, MACs, lab routes only, no default route, AnyIP in the sink', async () => {
  const addr = await lab.exec('scan', 'ip', ['-j', 'addr', 'show', 'dev', lab.scanIf]);
  const a = JSON.parse(addr.stdout) as { address: string; addr_info: { local: string; prefixlen: number }[] }[];
  assert.equal(a[0]!.address, LAB_ADDR.scanMac);
  const locals = a[0]!.addr_info.map((i) => `${i.local}/${i.prefixlen}`);
  assert.ok(locals.includes('10.250.0.1/30'), locals.join(' '));
  assert.ok(locals.includes('fd00:250::1/64'), locals.join(' '));
  const r4 = await lab.exec('scan', 'ip', ['route', 'show', 'default']);
  const r6 = await lab.exec('scan', 'ip', ['-6', 'route', 'show', 'default']);
  assert.equal(r4.stdout.trim(), '');
  assert.equal(r6.stdout.trim(), '');
  const sinkLocal = await lab.exec('sink', 'ip', ['route', 'show', 'table', 'local']);
  assert.match(sinkLocal.stdout, /local 198\.18\.0\.0\/15 dev lo/);
  assert.doesNotMatch(sinkLocal.stdout, /broadcast 10\.250\.0\.3/);
  const sinkLocal6 = await lab.exec('sink', 'ip', ['-6', 'route', 'show', 'table', 'local']);
  assert.match(sinkLocal6.stdout, /local 2001:db8::\/32 dev lo/);
  await lab.assertNoDefaultRoute();
});

test('lab: refuses to start a scanner when the scanner namespace has a default route', async () => {
  const l2 = await createLab({ ipv6: false });
  try {
    // Only a route is added; nothing is sent.
    const add = await l2.exec('scan', 'ip', ['route', 'add', 'default', 'via', LAB_ADDR.sinkIp4]);
    assert.equal(add.code, 0, add.stderr);
    await assert.rejects(l2.assertNoDefaultRoute(), /REFUSING/);
    await assert.rejects(l2.execScanner('true', []), /REFUSING/);
    await assert.rejects(l2.spawnScanner('true', []), /REFUSING/);
  } finally {
    await l2.destroy();
  }
  assert.ok(!nsList().includes(l2.scanNs));
});

test('lab: destroy() deletes both namespaces and kills the processes it started', async () => {
  const l2 = await createLab({ ipv6: false, ifb: true });
  const svc = await l2.startServices({ tcp: [{ host: '198.18.9.9', port: 80 }], trickle: true });
  const pid = svc.process.pid;
  assert.ok(nsList().includes(l2.scanNs) && nsList().includes(l2.sinkNs));
  await l2.destroy();
  assert.ok(!nsList().includes(l2.scanNs) && !nsList().includes(l2.sinkNs), nsList());
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
});

for (const how of ['uncaught exception', 'SIGTERM'] as const) {
  test(`lab: a process that dies by ${how} still deletes its lab`, async () => {
    const labJs = path.join(path.dirname(new URL(import.meta.url).pathname), 'lab.js');
    const script =
      `import { createLab } from ${JSON.stringify(labJs)};\n` +
      `const lab = await createLab({ ipv6: false });\n` +
      `await lab.startServices({ tcp: [{ host: '198.18.0.10', port: 80 }] });\n` +
      `console.log('UP ' + lab.prefix + ' ' + process.pid);\n` +
      (how === 'SIGTERM' ? `setTimeout(() => {}, 20000);\n` : `setTimeout(() => { throw new Error('boom'); }, 50);\n`);
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((r) => child.on('close', () => r()));
    const t0 = Date.now();
    while (!out.includes('UP ') && Date.now() - t0 < 15_000) await new Promise((r) => setTimeout(r, 20));
    const m = /UP (\S+)/.exec(out);
    assert.ok(m, `child never came up: ${out}`);
    if (how === 'SIGTERM') child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(killer);
    const prefix = m[1]!;
    assert.ok(!nsList().includes(`${prefix}-scan`) && !nsList().includes(`${prefix}-sink`), nsList());
  });
}

/**
 * connect() from <p>-scan to each (host, port): 'open' (connected), 'closed' (ECONNREFUSED),
 * 'filtered' (timeout), or the error code. Keyed `host port`.
 */
async function connectCheck(targets: readonly (readonly [string, number])[]): Promise<Record<string, string>> {
  const probe =
    `const net=require('net');const t=JSON.parse(process.argv[1]);let left=t.length;const res={};` +
    `for(const [h,p] of t){const s=net.connect({host:h,port:p,timeout:700});` +
    `const done=(r)=>{if(res[h+' '+p])return;res[h+' '+p]=r;s.destroy();if(--left===0){console.log(JSON.stringify(res));}};` +
    `s.on('connect',()=>done('open'));s.on('error',(e)=>done(e.code==='ECONNREFUSED'?'closed':e.code));s.on('timeout',()=>done('filtered'));}`;
  const r = await lab.execScanner(process.execPath, ['-e', probe, JSON.stringify(targets)], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Record<string, string>;
}

test('lab: ground truth through kernel sockets from the scanner namespace (open, closed, filtered)', async () => {
  const targets = [
    ['198.18.0.10', 80], ['198.18.0.10', 81], ['198.18.0.20', 80], ['198.18.0.21', 22],
    ['2001:db8::10', 80], ['2001:db8::10', 81], ['2001:db8::20', 80],
  ] as const;
  assert.deepEqual(await connectCheck(targets), {
    '198.18.0.10 80': 'open', '198.18.0.10 81': 'closed', '198.18.0.20 80': 'filtered', '198.18.0.21 22': 'filtered',
    '2001:db8::10 80': 'open', '2001:db8::10 81': 'closed', '2001:db8::20 80': 'filtered',
  });
});

// --- masscan 1.3.2 scanning the lab: validates the lab (and is the reference) ---------------
// NOTE: masscan 1.3.2 misses replies now and then (its capture drops some even at 10 kpps,
// while tcpdump shows every reply on its interface); these tests take the union of up to 5
// attempts (an attempt that found nothing is run once more), and never accept an extra record: the lab's ground truth is what is validated.
// A TCP listener masscan still misses after that must answer a kernel connect(): then the
// ground truth holds by two means and the miss is masscan's (reported as a diagnostic).

async function masscanList(args: string[], attempts = 2): Promise<{ records: string[]; last: string }> {
  let records: string[] = [];
  let last = '';
  for (let i = 0; i < attempts; i++) {
    await withTempDir(async (dir) => {
      const out = path.join(dir, 'm.txt');
      const r = await runMasscan(lab, [...args, '--wait', '3', '-oL', out], { cwd: dir, maxSeconds: 60 });
      last = describeRun(r);
      assert.equal(r.code, 0, last);
      records = (await readList(out)).records;
    });
    if (records.length > 0) return { records, last };
  }
  return { records, last };
}

async function masscanUnion(args: string[], expected: ReadonlySet<string>): Promise<string[]> {
  const union = new Set<string>();
  for (let i = 0; i < 5; i++) {
    // Back off between attempts: the sink's kernel rate-limits ICMP errors per peer (about
    // one a second after a burst of six), which closed UDP ports depend on.
    if (i > 0) await new Promise((r) => setTimeout(r, 1000 * i));
    for (const r of (await masscanList(args)).records) union.add(r);
    if ([...expected].every((e) => union.has(e))) break;
  }
  return [...union];
}

/**
 * Open TCP listeners masscan missed are added back when a kernel connect() to each succeeds
 * (see the NOTE above); anything else stays as masscan reported it.
 */
async function withConfirmedMisses(t: TestContext, got: string[], expected: ReadonlySet<string>): Promise<string[]> {
  const have = new Set(got);
  const missed = [...expected].filter((e) => !have.has(e) && e.startsWith('open tcp '));
  if (missed.length === 0) return got;
  const targets = missed.map((m) => { const [, , port, ip] = m.split(' '); return [ip!, Number(port)] as const; });
  const res = await connectCheck(targets);
  const confirmed = missed.filter((m, i) => res[`${targets[i]![0]} ${targets[i]![1]}`] === 'open');
  if (confirmed.length > 0) t.diagnostic(`masscan 1.3.2 missed ${confirmed.join(', ')} in 5 runs; kernel connect() confirms open`);
  return [...got, ...confirmed];
}

test('masscan 1.3.2 finds exactly the IPv4 TCP listeners of the lab', async (t) => {
  const expected = expectTcp(range4(TCP4_TARGET.first, TCP4_TARGET.count), TCP_PORTS, false);
  const got = await masscanUnion([TCP4_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '10000'], expected);
  assertExactly(await withConfirmedMisses(t, got, expected), expected, 'masscan v4 tcp', false);
});

test('masscan 1.3.2 finds exactly the IPv6 TCP listeners of the lab', async (t) => {
  const expected = expectTcp(range6(TCP6_TARGET.prefix, TCP6_TARGET.count), TCP_PORTS, false);
  // NOTE: at 10 kpps masscan 1.3.2 drops most IPv6 replies (seen with tcpdump: every SYN-ACK
  // reached its interface); at 1 kpps it finds them all.
  const got = await masscanUnion([TCP6_TARGET.range, `-p${TCP_PORTS.join(',')}`, '--rate', '1000'], expected);
  assertExactly(await withConfirmedMisses(t, got, expected), expected, 'masscan v6 tcp', false);
});

test('masscan 1.3.2: UDP open (answering service) and closed (ICMP port unreachable, REJECT)', async () => {
  const ips = range4('198.18.0.30', 4);
  const expected = expectUdp(ips, [7777, 7778], true);
  const got = await masscanUnion(['198.18.0.30-198.18.0.33', '-pU:7777,U:7778', '--rate', '1000', '--show', 'closed'], expected);
  assertExactly(got, expected, 'masscan udp', false);
});

test('masscan 1.3.2: --ping finds every answering host (echo dropped for one)', async () => {
  const expected = expectPing(range4('198.18.0.0', 16));
  const got = await masscanUnion(['198.18.0.0/28', '--ping', '--rate', '1000'], expected);
  assertExactly(got, expected, 'masscan ping', false);
});

test('masscan 1.3.2: spoofed --source-ip 10.250.0.3 (answers ARP for it) finds the listeners', async () => {
  const expected = expectTcp(range4('198.18.0.8', 4), [80, 443], false);
  // The ground truth has listeners in this range (198.18.0.10:80 and :443), so the scan must find some.
  assert.deepEqual([...expected].sort(), [key('open', 'tcp', 443, '198.18.0.10'), key('open', 'tcp', 80, '198.18.0.10')]);
  const got = await masscanUnion(['198.18.0.8-198.18.0.11', '-p80,443', '--rate', '1000', '--source-ip', LAB_ADDR.spoofIp4], expected);
  assertExactly(got, expected, 'masscan spoofed source', false);
});
