/**
 * Transmit benchmark: tidescan against masscan 1.3.2, in the same run, on the same work
 * (198.18.0.0/15 x 64 ports = 8,388,608 probes, --rate 100000000), over three paths of the
 * namespace lab (test/lab/lab.ts):
 *   (a) ifb: a discard device in the scanner namespace, which counts what it is handed as rx;
 *   (b) veth to a sink that drops everything at ingress (nftables netdev hook);
 *   (c) veth to a sink whose kernel answers every SYN with RST-ACK, with 64 real listeners:
 *       each tool's open ports are compared with that ground truth.
 * Rate = probes counted at the sink (ifb rx_packets; on the veths, an nftables counter of
 * SYNs at the sink's ingress) over the window in which the counter moved. Also tidescan's
 * --offline probes/s (generation only). Prints both figures and the ratio per path and writes
 * bench/results/tx.json. Run as root: `node dist/bench/tx.js [--paths a,b,c] [--tools
 * masscan,tidescan] [--repeat N] [--no-offline]`.
 *
 * Issue goals: >= 2.0x masscan on (a) and (b), >= 2.5x on (c) with no open port missed,
 * >= 4 M probes/s offline.
 */
import path from 'node:path';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createLab, requireRoot, LAB_ADDR, type Lab, type LabProcess } from '../test/lab/lab.js';
import { TIDESCAN_BIN, readList, describeRun, linkArgs } from '../test/lab/harness.js';
import { PORTS64, intToIp4, ip4ToInt, key } from '../test/lab/scenario.js';
import { startSampler, measureRun, type MeasuredRun } from './lib/measure.js';
import { writeResult, fmtPps } from './lib/results.js';

type Tool = 'masscan' | 'tidescan';
type PathId = 'a' | 'b' | 'c';

interface PathDef {
  readonly id: PathId;
  readonly name: string;
  readonly goal: number;
}

const PATHS: readonly PathDef[] = [
  { id: 'a', name: 'ifb discard device', goal: 2.0 },
  { id: 'b', name: 'veth, sink drops at ingress', goal: 2.0 },
  { id: 'c', name: 'veth, sink answers RST (64 listeners)', goal: 2.5 },
];

const TARGET = '198.18.0.0/15';
const PROBES = 131072 * PORTS64.length;
const RATE = '100000000';
/** Extra tidescan arguments for experiments (TIDESCAN_BENCH_ARGS="--tx-threads 1"). */
const EXTRA = (process.env.TIDESCAN_BENCH_ARGS ?? '').split(/\s+/).filter((a) => a.length > 0);

interface ToolRun {
  readonly tool: Tool;
  readonly pps: number;
  readonly probesCounted: number;
  /** All packets the counting device saw in the window (probes + RSTs + ARP + trickle answers). */
  readonly devicePackets: number;
  readonly windowMs: number;
  readonly wallMs: number;
  readonly exitedByItself: boolean;
  /** CPU seconds (user, system) of the tool and its threads/workers, from /usr/bin/time. */
  readonly cpu: { readonly user: number; readonly sys: number } | null;
  readonly exitCode: number | string | null;
  readonly open?: {
    readonly found: number;
    readonly truth: number;
    /** SYN-ACKs the sink sent during the run (>= truth: the kernel may retransmit them). */
    readonly sinkSynAcks: number;
    readonly missed: string[];
    readonly extra: string[];
  };
  readonly note?: string;
  /** tidescan's send-mode decisions (-v lines `send mode at ...`), see src/engine/tx-arbiter.ts. */
  readonly sendModes?: string[];
}

function parseArgs(argv: string[]): { paths: PathId[]; tools: Tool[]; repeat: number; offline: boolean } {
  let paths: PathId[] = ['a', 'b', 'c'];
  let tools: Tool[] = ['masscan', 'tidescan'];
  let repeat = 1;
  let offline = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--paths') paths = argv[++i]!.split(',') as PathId[];
    else if (a === '--tools') tools = argv[++i]!.split(',') as Tool[];
    else if (a === '--repeat') repeat = Math.max(1, Number(argv[++i]));
    else if (a === '--no-offline') offline = false;
    else throw new Error(`bench/tx: unknown argument ${a}`);
  }
  return { paths, tools, repeat, offline };
}

/** 64 listeners at seeded pseudo-random (address, port) pairs of the work. */
function listeners(): { ip: string; port: number }[] {
  let x = 0x2545f491;
  const next = (): number => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  const base = ip4ToInt('198.18.0.0');
  const seen = new Set<string>();
  const out: { ip: string; port: number }[] = [];
  while (out.length < 64) {
    const ip = intToIp4((base + (next() % 131072)) >>> 0);
    const port = PORTS64[next() % PORTS64.length]!;
    const k = `${ip}:${port}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push({ ip, port });
  }
  return out;
}

const COUNT_TABLE = 'tsbench_count';

async function installSynCounter(lab: Lab): Promise<void> {
  const ruleset =
    `table netdev ${COUNT_TABLE} {\n counter syn { }\n chain ingress {\n` +
    `  type filter hook ingress device "${lab.sinkIf}" priority -600; policy accept;\n` +
    `  tcp flags & (syn | ack | rst) == syn counter name syn\n }\n` +
    // What the sink kernel answered with SYN-ACK: the ground truth each tool may find.
    ` counter synack { }\n chain egress {\n` +
    `  type filter hook egress device "${lab.sinkIf}" priority -600; policy accept;\n` +
    `  tcp flags & (syn | ack | rst) == syn | ack counter name synack\n }\n}\n`;
  const r = await lab.exec('sink', 'nft', ['-f', '-'], { input: ruleset, timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`bench: nft counter: ${r.stderr}`);
}

async function readSynCounter(lab: Lab, name: 'syn' | 'synack' = 'syn'): Promise<number> {
  const r = await lab.exec('sink', 'nft', ['-j', 'list', 'counter', 'netdev', COUNT_TABLE, name], { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`bench: nft list counter: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { nftables: { counter?: { packets: number } }[] };
  for (const e of j.nftables) if (e.counter) return e.counter.packets;
  throw new Error('bench: no counter in nft output');
}

async function runTool(lab: Lab, tool: Tool, p: PathDef, dir: string, truth: { ip: string; port: number }[]): Promise<ToolRun> {
  const dev = p.id === 'a' ? lab.ifbIf! : lab.scanIf;
  const out = path.join(dir, `${tool}-${p.id}.txt`);
  const common = [...linkArgs(lab, dev), TARGET, `-p${PORTS64.join(',')}`, '--rate', RATE, '--wait', '1'];
  // The ifb has no address; masscan cannot find the veth's IPv6 address (both get it given).
  const src = p.id === 'a' || tool === 'masscan' ? ['--source-ip', LAB_ADDR.scanIp4] : [];
  const sampler = p.id === 'a' ? startSampler(lab, 'scan', dev, 'rx_packets') : startSampler(lab, 'sink', lab.sinkIf, 'rx_packets');
  await new Promise((r) => setTimeout(r, 200));
  const synBefore = p.id === 'a' ? 0 : await readSynCounter(lab);
  const synAckBefore = p.id === 'a' ? 0 : await readSynCounter(lab, 'synack');
  let proc: LabProcess;
  const time = ['/usr/bin/time', '-f', 'BENCHCPU %U %S'];
  if (tool === 'masscan') {
    proc = await lab.spawnScanner(time[0]!, [...time.slice(1), 'timeout', '-k', '5', '-s', 'INT', '300', 'masscan', ...common, ...src, '-oL', out], {
      cwd: dir,
      timeoutMs: 320_000,
    });
  } else {
    proc = await lab.spawnScanner(time[0]!, [...time.slice(1), process.execPath, TIDESCAN_BIN, ...common, ...src, '-v', ...EXTRA, '-oL', out], {
      cwd: dir,
      timeoutMs: 320_000,
    });
  }
  let m: MeasuredRun;
  try {
    m = await measureRun(proc, sampler, { idleMs: 2000, graceMs: 4000, maxMs: 240_000, expectPackets: PROBES });
  } finally {
    await sampler.stop();
  }
  let probesCounted = m.window.packets;
  if (p.id !== 'a') probesCounted = (await readSynCounter(lab)) - synBefore;
  const pps = m.window.ms > 0 ? (probesCounted * 1000) / m.window.ms : 0;
  const cpuM = /BENCHCPU (\d+(?:\.\d+)?) (\d+(?:\.\d+)?)/.exec(m.result.stderr);
  const run: ToolRun = {
    tool,
    cpu: cpuM ? { user: Number(cpuM[1]), sys: Number(cpuM[2]) } : null,
    pps,
    probesCounted,
    devicePackets: m.window.packets,
    windowMs: Math.round(m.window.ms),
    wallMs: Math.round(m.wallMs),
    exitedByItself: m.exitedByItself,
    exitCode: m.result.code ?? m.result.signal,
    ...(tool === 'tidescan' ? { sendModes: [...m.result.stderr.matchAll(/send mode at [^\r\n]*\)/g)].map((x) => x[0]) } : {}),
  };
  let note: string | undefined;
  if (m.result.code !== 0 && m.exitedByItself) note = `exit ${m.result.code ?? m.result.signal}: ${describeRun(m.result).slice(0, 600)}`;
  if (probesCounted < PROBES * 0.999) {
    note = `${note ?? ''} only ${probesCounted} of ${PROBES} probes reached the sink; ${describeRun(m.result).slice(-800)}`.trim();
  }
  if (p.id === 'c') {
    const got = new Set((await readList(out)).records);
    const expected = new Set(truth.map((t) => key('open', 'tcp', t.port, t.ip)));
    const missed = [...expected].filter((e) => !got.has(e));
    const extra = [...got].filter((g) => !expected.has(g));
    const sinkSynAcks = (await readSynCounter(lab, 'synack')) - synAckBefore;
    return { ...run, open: { found: got.size - extra.length, truth: expected.size, sinkSynAcks, missed, extra }, ...(note ? { note } : {}) };
  }
  return note ? { ...run, note } : run;
}

async function offlineRate(lab: Lab, dir: string): Promise<{ pps: number; wallMs: number; overheadMs: number; note?: string }> {
  const base = ['--offline', '--rate', RATE, '--wait', '0'];
  const tiny = await lab.execScanner(process.execPath, [TIDESCAN_BIN, '198.18.0.1', '-p80', ...base], { cwd: dir, timeoutMs: 60_000 });
  const big = await lab.execScanner(process.execPath, [TIDESCAN_BIN, TARGET, `-p${PORTS64.join(',')}`, ...base], { cwd: dir, timeoutMs: 120_000 });
  if (big.code !== 0) return { pps: 0, wallMs: Math.round(big.ms), overheadMs: Math.round(tiny.ms), note: describeRun(big).slice(0, 600) };
  const ms = Math.max(1, big.ms - (tiny.code === 0 ? tiny.ms : 0));
  return { pps: (PROBES * 1000) / ms, wallMs: Math.round(big.ms), overheadMs: Math.round(tiny.ms) };
}

async function main(): Promise<number> {
  requireRoot();
  const args = parseArgs(process.argv.slice(2));
  const lab = await createLab({ ipv6: false, ifb: true });
  const dir = await mkdtemp(path.join(tmpdir(), 'tidescan-bench-'));
  const truth = listeners();
  const results: Record<string, { path: string; runs: ToolRun[]; masscanPps: number; tidescanPps: number; ratio: number; goal: number; pass: boolean }> = {};
  let offline: Awaited<ReturnType<typeof offlineRate>> | undefined;
  try {
    // The trickle keeps masscan 1.3.2's receive loop alive so it exits (LAB.md).
    await lab.startServices({ tcp: truth.map((t) => ({ host: t.ip, port: t.port })), trickle: true, lifetimeMs: 20 * 60_000 });
    await installSynCounter(lab);
    process.stdout.write(`tx benchmark: ${TARGET} x ${PORTS64.length} ports = ${PROBES} probes, --rate ${RATE}\n`);
    for (const p of PATHS.filter((x) => args.paths.includes(x.id))) {
      if (p.id === 'b') await lab.setDropIngress(true);
      const runs: ToolRun[] = [];
      for (let rep = 0; rep < args.repeat; rep++) {
        for (const tool of args.tools) {
          const r = await runTool(lab, tool, p, dir, truth);
          runs.push(r);
          process.stdout.write(
            `  (${p.id}) ${p.name.padEnd(40)} ${tool.padEnd(9)} ${fmtPps(r.pps).padStart(10)}  ` +
              `${r.probesCounted} probes in ${r.windowMs} ms${r.exitedByItself ? '' : ' (stopped after idle)'}` +
              `${r.cpu ? `, cpu ${r.cpu.user.toFixed(1)}u+${r.cpu.sys.toFixed(1)}s` : ''}` +
              `${r.open ? `  open ${r.open.found}/${r.open.truth} (sink sent ${r.open.sinkSynAcks} SYN-ACKs)${r.open.extra.length ? ` +${r.open.extra.length} extra` : ''}` : ''}` +
              `${r.sendModes && r.sendModes.length > 0 ? `\n      ${r.sendModes.join('; ')}` : ''}` +
              `${r.note ? `\n      note: ${r.note}` : ''}\n`,
          );
        }
      }
      if (p.id === 'b') await lab.setDropIngress(false);
      const best = (t: Tool): number => Math.max(0, ...runs.filter((r) => r.tool === t).map((r) => r.pps));
      const mp = best('masscan');
      const tp = best('tidescan');
      const ratio = mp > 0 ? tp / mp : 0;
      const noMiss = p.id !== 'c' || runs.filter((r) => r.tool === 'tidescan').every((r) => r.open?.missed.length === 0 && r.open.extra.length === 0);
      results[p.id] = { path: p.name, runs, masscanPps: mp, tidescanPps: tp, ratio, goal: p.goal, pass: ratio >= p.goal && noMiss };
    }
    if (args.offline && args.tools.includes('tidescan')) {
      offline = await offlineRate(lab, dir);
      process.stdout.write(`  tidescan --offline: ${fmtPps(offline.pps)} (goal >= 4 M/s)${offline.note ? `\n      note: ${offline.note}` : ''}\n`);
    }
  } finally {
    await lab.destroy();
    await rm(dir, { recursive: true, force: true });
  }
  process.stdout.write('\npath                                        masscan     tidescan   ratio  goal\n');
  for (const [id, r] of Object.entries(results)) {
    process.stdout.write(
      `(${id}) ${r.path.padEnd(40)} ${fmtPps(r.masscanPps).padStart(10)} ${fmtPps(r.tidescanPps).padStart(10)}  ` +
        `${r.ratio.toFixed(2).padStart(5)}x  ${r.goal}x ${r.pass ? 'PASS' : 'FAIL'}\n`,
    );
  }
  const file = await writeResult('tx', {
    work: { target: TARGET, ports: PORTS64.length, probes: PROBES, rate: Number(RATE) },
    method:
      'pps = probes counted at the sink (ifb rx_packets; veth: nftables SYN counter at the sink ingress) / window in which the counter moved',
    paths: results,
    offline: offline ? { ...offline, goal: 4_000_000, pass: offline.pps >= 4_000_000 } : null,
  });
  process.stdout.write(`results: ${file}\n`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench/tx: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  },
);
