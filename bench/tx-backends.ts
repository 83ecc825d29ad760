/**
 * Transmit back ends compared: sendmmsg against PACKET_TX_RING (src/adapter/afpacket.ts), for
 * 60-byte frames, batches of 256/512/1024, with one and two sender threads (worker_threads,
 * each with its own socket), on two discard paths of a namespace lab of its own:
 *   ifb:  an ifb device (this kernel has no dummy driver), which drops what it is handed;
 *         a dummy device is used instead when the kernel has one;
 *   veth: a veth whose peer (in a second namespace) drops everything at tc ingress.
 * Frames are Ethernet/IPv4/TCP SYNs to 10.250.9.2 (the peer, which drops them); the scanner
 * namespace has no default route (checked before sending). Each sender writes the full
 * template into a slot the first time it uses it and then patches 4 bytes per frame, as the
 * engine does.
 *
 * Run as root: `node dist/bench/tx-backends.js [--seconds S (2)] [--rounds R (3)]`. Prints frames/s
 * per configuration (median over rounds, which interleave all configurations) and the faster
 * back end, and writes bench/results/tx-backends.json.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { TxBackend } from '../src/adapter/adapter.js';
import { openTx } from '../src/adapter/afpacket.js';
import { assertNoDefaultRoute, deleteNetns, ip } from '../test/adapter/netns-pair.js';
import { writeResult } from './lib/results.js';

const SELF = fileURLToPath(import.meta.url);
const FRAME_LEN = 60;

interface SenderArgs {
  ifname: string;
  backend: TxBackend;
  batch: number;
  seconds: number;
}
interface SenderResult {
  sent: number;
  ringFull: number;
  elapsed: number;
}
interface ChildArgs extends SenderArgs {
  threads: number;
}
interface ChildResult {
  pps: number;
  sent: number;
  ringFull: number;
}

// ------------------------------------------------------------------ sender (worker thread)

function template(): Uint8Array {
  const f = new Uint8Array(FRAME_LEN);
  f.set([0x02, 0x50, 0, 0, 9, 2, 0x02, 0x50, 0, 0, 9, 1, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 250, 9, 1, 10, 250, 9, 2], 14);
  f.set([0x9c, 0x40, 0, 80, 0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff], 34);
  return f;
}

function runSender(a: SenderArgs): SenderResult {
  const tx = openTx({ ifname: a.ifname, backend: a.backend, batch: a.batch, slotSize: 64 });
  const t = template();
  const regions = tx.regions ?? 1;
  const frames = tx.frames;
  const stride = tx.slotSize;
  for (let k = 0; k < tx.capacity; k++) tx.lens[k] = FRAME_LEN;
  let seq = 0;
  let fresh = regions; // regions whose slots still need the full template
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(a.seconds * 1e9));
  let now = start;
  while (now < end) {
    const base = tx.slotBase;
    if (fresh > 0) {
      for (let k = 0; k < tx.capacity; k++) frames.set(t, base + k * stride);
      fresh--;
    }
    for (let k = 0; k < tx.capacity; k++) {
      // The per-probe patch: 4 bytes of the TCP sequence number.
      const o = base + k * stride + 38;
      frames[o] = seq >>> 24;
      frames[o + 1] = (seq >>> 16) & 0xff;
      frames[o + 2] = (seq >>> 8) & 0xff;
      frames[o + 3] = seq & 0xff;
      seq = (seq + 1) | 0;
    }
    tx.send(tx.capacity);
    now = process.hrtime.bigint();
  }
  const st = tx.stats();
  tx.close();
  return { sent: st.sent, ringFull: st.ringFull, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
}

async function runChild(a: ChildArgs): Promise<ChildResult> {
  const results = await Promise.all(
    Array.from(
      { length: a.threads },
      () =>
        new Promise<SenderResult>((resolve, reject) => {
          const w = new Worker(new URL(import.meta.url), { workerData: a });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  return {
    pps: results.reduce((s, r) => s + r.sent / r.elapsed, 0),
    sent: results.reduce((s, r) => s + r.sent, 0),
    ringFull: results.reduce((s, r) => s + r.ringFull, 0),
  };
}

// ------------------------------------------------------------------------ lab (main process)

interface BenchLab {
  readonly ns: string;
  readonly sinkNs: string;
  readonly discardIf: string;
  readonly discardKind: string;
  readonly vethIf: string;
  readonly sinkDrop: string;
  destroy(): void;
}

function createLab(prefix: string): BenchLab {
  const ns = `${prefix}s`;
  const sinkNs = `${prefix}k`;
  const destroy = (): void => {
    deleteNetns(ns);
    deleteNetns(sinkNs);
  };
  try {
    ip(['netns', 'add', ns]);
    ip(['netns', 'add', sinkNs]);
    ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    const discardIf = `${prefix}d`;
    let discardKind = 'dummy';
    try {
      ip(['-n', ns, 'link', 'add', discardIf, 'type', 'dummy']);
    } catch {
      discardKind = 'ifb';
      ip(['-n', ns, 'link', 'add', discardIf, 'type', 'ifb']);
    }
    ip(['-n', ns, 'link', 'set', discardIf, 'up']);
    const vethIf = `${prefix}v`;
    const peer = `${prefix}p`;
    ip(['link', 'add', vethIf, 'netns', ns, 'type', 'veth', 'peer', 'name', peer, 'netns', sinkNs]);
    ip(['-n', ns, 'link', 'set', vethIf, 'address', '02:50:00:00:09:01']);
    ip(['-n', sinkNs, 'link', 'set', peer, 'address', '02:50:00:00:09:02']);
    ip(['-n', ns, 'addr', 'add', '10.250.9.1/30', 'dev', vethIf]);
    ip(['-n', sinkNs, 'addr', 'add', '10.250.9.2/30', 'dev', peer]);
    ip(['-n', ns, 'link', 'set', vethIf, 'up']);
    ip(['-n', sinkNs, 'link', 'set', peer, 'up']);
    // The sink drops every frame at ingress, before the IP stack sees it: a tc ingress
    // filter when the kernel has the gact action, else an nftables netdev ingress chain
    // with policy drop (this kernel lacks act_gact).
    let sinkDrop = 'tc';
    try {
      ip(['netns', 'exec', sinkNs, 'tc', 'qdisc', 'add', 'dev', peer, 'ingress']);
      ip(['netns', 'exec', sinkNs, 'tc', 'filter', 'add', 'dev', peer, 'parent', 'ffff:', 'matchall', 'action', 'drop']);
    } catch {
      sinkDrop = 'nftables';
      try {
        ip(['netns', 'exec', sinkNs, 'tc', 'qdisc', 'del', 'dev', peer, 'ingress']);
      } catch {
        // the qdisc was not added
      }
      ip(['netns', 'exec', sinkNs, 'nft', 'add', 'table', 'netdev', 'tbsink']);
      ip(['netns', 'exec', sinkNs, 'nft', 'add', 'chain', 'netdev', 'tbsink', 'in',
        `{ type filter hook ingress device "${peer}" priority 0; policy drop; }`]);
    }
    // LAB.md: no default route in the sending namespace, checked before anything is sent.
    assertNoDefaultRoute(ns);
    return { ns, sinkNs, discardIf, discardKind, vethIf, sinkDrop, destroy };
  } catch (e) {
    destroy();
    throw e;
  }
}

function runChildIn(ns: string, a: ChildArgs): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, process.execPath, SELF, '--child', JSON.stringify(a)],
      { encoding: 'utf8', timeout: (a.seconds + 30) * 1000 },
      (err, out, errOut) => {
        if (err) reject(new Error(`${err.message}\n${errOut}`));
        else resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as ChildResult);
      },
    );
  });
}

interface Row {
  device: string;
  backend: TxBackend;
  batch: number;
  threads: number;
  pps: number[];
  best: number;
  mean: number;
  median: number;
  ringFull: number;
}

function fmt(pps: number): string {
  return `${(pps / 1e6).toFixed(2)} M`;
}

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, def: number): number => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : def;
  };
  const seconds = arg('--seconds', 2);
  const rounds = arg('--rounds', 3);
  if (!(seconds > 0 && seconds <= 60) || !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
    process.stderr.write('tx-backends: --seconds must be in (0, 60], --rounds in 1..20\n');
    return 1;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('tx-backends: needs root (network namespaces, raw sockets)\n');
    return 1;
  }
  const lab = createLab(`tb${process.pid}`);
  const rows: Row[] = [];
  try {
    const devices = [
      { name: `${lab.discardKind} discard`, ifname: lab.discardIf },
      { name: `veth, peer drops (${lab.sinkDrop})`, ifname: lab.vethIf },
    ];
    const backends: TxBackend[] = ['sendmmsg', 'txring'];
    for (const dev of devices) {
      for (const threads of [1, 2]) {
        for (const batch of [256, 512, 1024]) {
          for (const backend of backends) {
            rows.push({ device: dev.name, backend, batch, threads, pps: [], best: 0, mean: 0, median: 0, ringFull: 0 });
          }
        }
      }
    }
    // Rounds interleave the configurations, so slow drifts of the machine hit all alike.
    for (let r = 0; r < rounds; r++) {
      for (const row of rows) {
        const dev = devices.find((d) => d.name === row.device)!;
        const res = await runChildIn(lab.ns, { ifname: dev.ifname, backend: row.backend, batch: row.batch, threads: row.threads, seconds });
        row.pps.push(Math.round(res.pps));
        row.ringFull += res.ringFull;
        process.stdout.write(
          `round ${r + 1}/${rounds}  ${row.device.padEnd(28)} ${String(row.threads)}t batch ${String(row.batch).padStart(4)}  ${row.backend.padEnd(8)} ${fmt(res.pps)}/s\n`,
        );
      }
    }
  } finally {
    lab.destroy();
  }
  for (const row of rows) {
    row.best = Math.max(...row.pps);
    row.mean = Math.round(row.pps.reduce((s, v) => s + v, 0) / row.pps.length);
    const sorted = [...row.pps].sort((x, y) => x - y);
    const mid = sorted.length >> 1;
    row.median = sorted.length % 2 === 1 ? sorted[mid] : Math.round((sorted[mid - 1] + sorted[mid]) / 2);
  }
  // Per (device, threads, batch): which back end is faster, by the median over rounds (the
  // machine may be shared; one disturbed round must not decide).
  const comparisons: { device: string; threads: number; batch: number; sendmmsg: number; txring: number; faster: TxBackend; ratio: number }[] = [];
  for (const a of rows.filter((r) => r.backend === 'sendmmsg')) {
    const b = rows.find((r) => r.backend === 'txring' && r.device === a.device && r.threads === a.threads && r.batch === a.batch)!;
    const faster: TxBackend = b.median > a.median ? 'txring' : 'sendmmsg';
    comparisons.push({ device: a.device, threads: a.threads, batch: a.batch, sendmmsg: a.median, txring: b.median, faster, ratio: +(b.median / a.median).toFixed(3) });
  }
  const wins = { sendmmsg: comparisons.filter((c) => c.faster === 'sendmmsg').length, txring: comparisons.filter((c) => c.faster === 'txring').length };
  const geo = Math.exp(comparisons.reduce((s, c) => s + Math.log(c.ratio), 0) / comparisons.length);
  const overall: TxBackend = geo > 1 ? 'txring' : 'sendmmsg';
  process.stdout.write('\ndevice                        thr batch   sendmmsg     txring   faster  (txring/sendmmsg)\n');
  for (const c of comparisons) {
    process.stdout.write(
      `${c.device.padEnd(29)} ${String(c.threads).padStart(3)} ${String(c.batch).padStart(5)} ${fmt(c.sendmmsg).padStart(10)} ${fmt(c.txring).padStart(10)}   ${c.faster.padEnd(8)} ${c.ratio.toFixed(2)}\n`,
    );
  }
  process.stdout.write(`\nfaster overall: ${overall} (txring/sendmmsg geometric mean ${geo.toFixed(3)}; wins sendmmsg ${wins.sendmmsg}, txring ${wins.txring})\n`);
  const file = await writeResult('tx-backends', {
    frameLen: FRAME_LEN,
    seconds,
    rounds,
    rows,
    comparisons,
    summary: { faster: overall, geomeanTxringOverSendmmsg: +geo.toFixed(3), wins },
  });
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

if (!isMainThread) {
  parentPort?.postMessage(runSender(workerData as SenderArgs));
} else if (process.argv[2] === '--child') {
  const res = await runChild(JSON.parse(process.argv[3] ?? '{}') as ChildArgs);
  process.stdout.write(`${JSON.stringify(res)}\n`);
} else if (process.argv[1] === SELF) {
  process.exitCode = await main(process.argv.slice(2));
}
