/**
 * The kernel-RST guard (src/adapter/firewall.ts) for real, in a lab's scanner namespace:
 * - a child node process takes the guard and then exits normally, gets SIGINT, SIGTERM or
 *   SIGKILL; afterwards `nft list ruleset` in that namespace is exactly what it was before
 *   (with a table of someone else's in it, which must stay), and nft is gone too. In the PID
 *   fallback a SIGKILL leaves the table, and the stale-table sweep removes it;
 * - while the guard is up, SYN-ACKs sent from the sink to a guarded port draw no RST from the
 *   scanner's kernel, a SYN-ACK to a port outside the range still does (the control: the
 *   test would fail without the rule), and a packet capture (AF_PACKET) in the scanner
 *   namespace still sees the dropped SYN-ACKs.
 * Needs root: fails (never skips) without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { createLab, requireRoot, LAB_ADDR, type Lab, type LabProcess, type LabNs } from './lab.js';

const FIREWALL_URL = pathToFileURL(fileURLToPath(new URL('../../src/adapter/firewall.js', import.meta.url))).href;
const LO = 61000;
const HI = 61015;
const KEEP_TABLE =
  'table inet h6keep {\n chain c {\n  type filter hook input priority 0; policy accept;\n  tcp dport 9 counter accept\n }\n}\n';

let lab: Lab;

before(async () => {
  requireRoot();
  lab = await createLab({ prefix: `h6x${process.pid}`.slice(0, 10), ipv6: false });
  // Someone else's table in the scanner namespace: the guard must leave it alone.
  const r = await lab.exec('scan', 'nft', ['-f', '-'], { input: KEEP_TABLE, timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  await lab?.destroy();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function ruleset(): Promise<string> {
  const r = await lab.exec('scan', 'nft', ['list', 'ruleset'], { timeoutMs: 10_000 });
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Direct children of a process (from /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const t = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (t !== '') out.push(...t.split(/\s+/).map(Number));
  }
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const CHILD =
  `const c = JSON.parse(process.env.H6_FW);\n` +
  `const { guardKernelRst } = await import(c.url);\n` +
  `const g = await guardKernelRst({ iface: c.iface, portBegin: c.lo, portEnd: c.hi, owner: c.owner,\n` +
  `  warn: (l) => process.stdout.write('WARN ' + l + '\\n') });\n` +
  `process.stdout.write('READY ' + g.mode + ' ' + g.table + ' ' + process.pid + '\\n');\n` +
  // Bounded life; ending our stdin lets the event loop drain: a natural exit, which also
  // proves the guard holds no reference that keeps the process alive.
  `const life = setTimeout(() => process.exit(3), 30000);\n` +
  `process.stdin.on('data', () => undefined);\n` +
  `process.stdin.on('end', () => clearTimeout(life));\n`;

interface Guarded {
  readonly p: LabProcess;
  readonly mode: string;
  readonly table: string;
  readonly nftPids: number[];
}

async function startGuarded(owner: boolean): Promise<Guarded> {
  const p = lab.spawn('scan', process.execPath, ['--input-type=module', '-e', CHILD], {
    timeoutMs: 40_000,
    env: { ...process.env, H6_FW: JSON.stringify({ url: FIREWALL_URL, iface: lab.scanIf, lo: LO, hi: HI, owner }) },
  });
  const t0 = Date.now();
  while (!/READY .*\n/.test(p.stdout())) {
    if (Date.now() - t0 > 15_000 || p.child.exitCode !== null) {
      p.kill('SIGKILL');
      assert.fail(`guard child never came up: ${p.stdout()} ${p.stderr()}`);
    }
    await sleep(20);
  }
  const m = /READY (\S+) (\S+) (\d+)/.exec(p.stdout())!;
  // `ip netns exec` execs node: the PID we signal is node's own.
  assert.equal(Number(m[3]), p.pid);
  assert.doesNotMatch(p.stdout(), /WARN/);
  return { p, mode: m[1]!, table: m[2]!, nftPids: childrenOf(p.pid) };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

for (const owner of [true, false]) {
  for (const how of ['exit', 'SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    const mode = owner ? 'owner' : 'pid';
    test(`firewall (${mode} table): after ${how}, the ruleset is exactly as before`, async () => {
      const before0 = await ruleset();
      assert.match(before0, /table inet h6keep/);
      const g = await startGuarded(owner);
      try {
        assert.equal(g.mode, mode);
        assert.equal(g.table, `tidescan_${g.p.pid}`);
        const during = await ruleset();
        assert.match(during, new RegExp(`table inet ${g.table} \\{`));
        assert.match(during, new RegExp(`iifname "${lab.scanIf}" tcp dport ${LO}-${HI} drop`));
        assert.match(during, /hook prerouting priority raw/);
        if (owner) {
          assert.match(during, /flags owner/);
          assert.equal(g.nftPids.length, 1, 'one nft -i child holds the table');
        } else {
          assert.doesNotMatch(during, /flags owner/);
        }
        if (how === 'exit') g.p.child.stdin!.end();
        else g.p.kill(how);
        const r = await g.p.done;
        if (how === 'exit') assert.equal(r.code, 0, r.stderr);
        else assert.equal(r.signal, how);
        if (!owner && how === 'SIGKILL') {
          // Nobody ran our exit path: the table stays until a sweep finds its PID dead.
          assert.match(await ruleset(), new RegExp(`table inet ${g.table} `));
          const sweep =
            `const { sweepStaleTables } = await import(${JSON.stringify(FIREWALL_URL)});\n` +
            `process.stdout.write(JSON.stringify(sweepStaleTables()));\n`;
          const s = await lab.exec('scan', process.execPath, ['--input-type=module', '-e', sweep], { timeoutMs: 15_000 });
          assert.equal(s.code, 0, s.stderr);
          assert.deepEqual(JSON.parse(s.stdout), [g.table]);
        }
        await waitFor('the ruleset to be back as before', async () => (await ruleset()) === before0);
        for (const n of g.nftPids) await waitFor(`nft ${n} to end`, () => !alive(n));
      } finally {
        g.p.kill('SIGKILL');
        for (const n of g.nftPids) if (alive(n)) process.kill(n, 'SIGKILL');
        // A failed run must not leave its table to the next test (no-op when it is gone).
        await lab.exec('scan', 'nft', ['delete', 'table', 'inet', g.table], { timeoutMs: 10_000 });
      }
    });
  }
}

test('firewall: the sweep leaves the table of a live process alone', async () => {
  const before0 = await ruleset();
  const g = await startGuarded(false);
  try {
    const sweep =
      `const { sweepStaleTables } = await import(${JSON.stringify(FIREWALL_URL)});\n` +
      `process.stdout.write(JSON.stringify(sweepStaleTables()));\n`;
    const s = await lab.exec('scan', process.execPath, ['--input-type=module', '-e', sweep], { timeoutMs: 15_000 });
    assert.equal(s.code, 0, s.stderr);
    assert.deepEqual(JSON.parse(s.stdout), []);
    assert.match(await ruleset(), new RegExp(`table inet ${g.table} `));
  } finally {
    g.p.child.stdin!.end();
    await g.p.done;
  }
  assert.equal(await ruleset(), before0);
});

// --- the rule's effect ------------------------------------------------------------------------

/** Sends `n` bare SYN-ACKs (raw socket, the kernel adds the IP header) from the sink. */
const SYNACK_PY = `
import socket, struct, sys, time
src, dst, sport, dport, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for i in range(n):
    hdr = struct.pack('!HHIIBBHHH', sport, dport, 1000 + i, 777, 5 << 4, 0x12, 1024, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, 6, len(hdr))
    hdr = hdr[:16] + struct.pack('!H', csum(pseudo + hdr)) + hdr[18:]
    sock.sendto(hdr, (dst, 0))
    time.sleep(0.02)
`;

async function capture(ns: LabNs, dev: string): Promise<{ stop(): Promise<string> }> {
  const p = lab.spawn(ns, 'tcpdump', ['-i', dev, '-n', '-l', '-U', 'tcp'], { timeoutMs: 30_000 });
  await waitFor(`tcpdump on ${dev} to listen`, () => p.stderr().includes('listening on') || p.child.exitCode !== null, 10_000);
  assert.ok(p.child.exitCode === null, `tcpdump failed: ${p.stderr()}`);
  return {
    async stop() {
      await sleep(300);
      p.kill('SIGINT');
      return (await p.done).stdout;
    },
  };
}

function count(lines: string, re: RegExp): number {
  return lines.split('\n').filter((l) => re.test(l)).length;
}

test('firewall: while the guard is up, SYN-ACKs to guarded ports draw no RST, and the capture still sees them', async () => {
  const g = await startGuarded(true);
  const inside = LO + 5;
  const outside = HI + 100;
  const N = 3;
  try {
    const scanCap = await capture('scan', lab.scanIf);
    const sinkCap = await capture('sink', lab.sinkIf);
    for (const port of [inside, outside]) {
      const r = await lab.exec('sink', '/usr/bin/python3', ['-c', SYNACK_PY, LAB_ADDR.sinkIp4, LAB_ADDR.scanIp4, '80', String(port), String(N)], {
        timeoutMs: 10_000,
      });
      assert.equal(r.code, 0, r.stderr);
    }
    const atScan = await scanCap.stop();
    const atSink = await sinkCap.stop();
    const synAck = (port: number): RegExp => new RegExp(`IP ${LAB_ADDR.sinkIp4.replace(/\./g, '\\.')}\\.80 > ${LAB_ADDR.scanIp4.replace(/\./g, '\\.')}\\.${port}: Flags \\[S\\.\\]`);
    const rst = (port: number): RegExp => new RegExp(`IP ${LAB_ADDR.scanIp4.replace(/\./g, '\\.')}\\.${port} > ${LAB_ADDR.sinkIp4.replace(/\./g, '\\.')}\\.80: Flags \\[R`);
    // AF_PACKET in the scanner namespace sees every SYN-ACK, dropped or not.
    assert.equal(count(atScan, synAck(inside)), N, atScan);
    assert.equal(count(atScan, synAck(outside)), N, atScan);
    // The control: outside the range the kernel resets, so the capture would see a reset.
    assert.equal(count(atSink, rst(outside)), N, atSink);
    // Inside the range: nothing.
    assert.equal(count(atSink, rst(inside)), 0, atSink);
    assert.equal(count(atScan, rst(inside)), 0, atScan);
  } finally {
    g.p.child.stdin!.end();
    await g.p.done;
  }
});

test('firewall: an nft that refuses the owner flag (older kernel or nft) falls back to the PID table by itself', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const path = await import('node:path');
  const dir = mkdtempSync(path.join(tmpdir(), 'h6x-nft-'));
  // Answers `nft -i` as nft 0.9 does for `flags owner`; anything else goes to the real nft.
  const fake = path.join(dir, 'nft');
  writeFileSync(
    fake,
    '#!/bin/sh\nif [ "$1" = "-i" ]; then\n  read -r line\n' +
      '  printf "Error: syntax error, unexpected string, expecting dormant\\n%s\\n                                   ^^^^^\\n" "$line" >&2\n' +
      '  exit 1\nfi\nexec nft "$@"\n',
    { mode: 0o755 },
  );
  const before0 = await ruleset();
  const child =
    `const { guardKernelRst } = await import(${JSON.stringify(FIREWALL_URL)});\n` +
    `const lines = [];\n` +
    `const g = await guardKernelRst({ iface: ${JSON.stringify(lab.scanIf)}, portBegin: ${LO}, portEnd: ${HI}, nft: ${JSON.stringify(fake)},\n` +
    `  warn: (l) => lines.push(l) });\n` +
    `const { execFileSync } = await import('node:child_process');\n` +
    `const during = execFileSync('nft', ['list', 'table', 'inet', g.table], { encoding: 'utf8' });\n` +
    `g.close(); g.close();\n` +
    `process.stdout.write(JSON.stringify({ mode: g.mode, table: g.table, lines, during }));\n`;
  try {
    const r = await lab.exec('scan', process.execPath, ['--input-type=module', '-e', child], { timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { mode: string; table: string; lines: string[]; during: string };
    assert.equal(out.mode, 'pid');
    assert.deepEqual(out.lines, []);
    assert.match(out.during, new RegExp(`iifname "${lab.scanIf}" tcp dport ${LO}-${HI} drop`));
    assert.doesNotMatch(out.during, /flags owner/);
    assert.equal(await ruleset(), before0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
