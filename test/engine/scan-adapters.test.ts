/**
 * Several adapters (adapter[n]) in a whole simulated scan (runScanWith inline over memory
 * links, scan-sim.ts): each adapter sends from its own source address and MAC, exactly the
 * loop indices it owns (i mod adapters == n; with a shard, i mod (shards*adapters) ==
 * shard offset + n*shards), every target is probed once over all adapters, and the union
 * of the records found by the adapters' receive sides is the whole scan. No root.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLink, type MemoryLink } from '../../src/adapter/memory.js';
import type { RxChannel } from '../../src/adapter/adapter.js';
import type { ScanConfig } from '../../src/core/config.js';
import type { ScanRecord } from '../../src/core/record.js';
import { runScanWith, transmitThreads, adapterFileName, type ScanEnv } from '../../src/engine/scan.js';
import { formatIPv4 } from '../../src/target/ipv4.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';
import type { ResolvedLink } from '../../src/link/resolve.js';
import { MultiRx, ownedTargets, SimNet, simConfig, simLink, ip4 } from './scan-sim.js';

/** Adapter n: source 10.250.n.1, MAC 02:50:00:00:0n:01. */
function adapterLink(n: number): ResolvedLink {
  const base = simLink();
  const a = ip4(`10.250.${n}.1`);
  return { ...base, ifname: `sim${n}`, srcMac: new Uint8Array([0x02, 0x50, 0, 0, n, 1]), src4: { begin: a, end: a } };
}

interface MultiRun {
  readonly records: ScanRecord[];
  /** Per adapter: `ip:port` of every SYN it sent. */
  readonly sent: string[][];
  readonly sim: SimNet;
}

async function runAdapters(cfg: ScanConfig, adapters: number, threads: number, sim: SimNet): Promise<MultiRun> {
  const links: ResolvedLink[] = [];
  for (let a = 0; a < adapters; a++) links.push(adapterLink(a));
  const mem: MemoryLink[] = [];
  for (let t = 0; t < threads; t++) mem.push(createMemoryLink({ batch: 64, responder: sim.respond, maxQueue: 1 << 20 }));
  const rxs: RxChannel[] = [];
  for (let a = 0; a < adapters; a++) rxs.push(new MultiRx(mem.filter((_m, t) => t % adapters === a)));
  const records: ScanRecord[] = [];
  const env: ScanEnv = {
    nowMs: () => performance.now(),
    unixMs: () => 1_700_000_000_000,
    cores: threads,
    inline: {
      link: links[0]!, links, rxs, rx: rxs[0]!,
      openTx: (t, a) => {
        assert.equal(a, t % adapters, 'worker t sends on adapter t mod adapters');
        return mem[t]!.tx;
      },
    },
  };
  const code = await runScanWith({ ...cfg, txThreads: threads, wait: 0 }, { sink: { write: (b) => { records.push(...b); }, close: () => {} } }, env);
  assert.equal(code, 0);
  const d = new Decoded();
  const sent: string[][] = links.map(() => []);
  for (let t = 0; t < threads; t++) {
    const a = t % adapters;
    for (const f of mem[t]!.sent) {
      assert.equal(decodeFrame(f, 0, f.length, d), 'ok');
      if (d.ipVersion !== 4 || d.proto !== 6 || d.tcpFlags !== 2) continue;
      // the adapter's own source address and MAC
      assert.equal(d.src >>> 0, links[a]!.src4!.begin, `adapter ${a} source address`);
      assert.deepEqual([...f.subarray(6, 12)], [...links[a]!.srcMac], `adapter ${a} source MAC`);
      sent[a]!.push(`${formatIPv4(d.dst >>> 0)}:${d.dstPort}`);
    }
  }
  return { records, sent, sim };
}

const OPEN = ['10.0.0.1:80', '10.0.0.7:443', '10.0.0.33:22', '10.0.0.63:80', '10.0.0.40:443', '10.0.0.12:22'];

for (const [adapters, threads] of [[2, 2], [2, 4], [3, 3]] as const) {
  test(`${adapters} adapters, ${threads} workers: each adapter sends exactly its indices (i mod ${adapters}), the union is the whole scan`, async () => {
    const cfg = simConfig('10.0.0.0/26 -p22,80,443 --rate 1000000 --seed 11');
    const r = await runAdapters(cfg, adapters, threads, new SimNet({ tcpOpen: OPEN }));
    for (let a = 0; a < adapters; a++) {
      assert.deepEqual([...r.sent[a]!].sort(), ownedTargets(cfg, adapters, a), `adapter ${a}`);
    }
    assert.equal(r.sim.total(), 64 * 3);
    for (const v of r.sim.probes.values()) assert.equal(v, 1, 'one probe per target over all adapters');
    // The sim answers every closed port with a RST: each target has exactly one record, open
    // or closed, found by the receive side of the adapter that probed it.
    const found = r.records.map((x) => x.kind === 'status' && x.ip.version === 4 ? `${formatIPv4(x.ip.v4)}:${x.port} ${x.status}` : '?').sort();
    const all = ownedTargets(cfg, 1, 0).map((k) => `${k} ${OPEN.includes(k) ? 'open' : 'closed'}`).sort();
    assert.deepEqual(found, all);
    // every SYN-ACK was answered with a RST by the adapter that received it
    assert.equal(r.sim.rsts, OPEN.length);
  });
}

test('a shard with two adapters: adapter n owns i mod (shards*2) == (x-1) + n*shards, the shard stays the same set', async () => {
  const cfg = simConfig('10.0.0.0/26 -p22,80,443 --rate 1000000 --seed 11 --shard 2/3');
  const r = await runAdapters(cfg, 2, 2, new SimNet({ tcpOpen: OPEN }));
  assert.deepEqual([...r.sent[0]!].sort(), ownedTargets(cfg, 6, 1));
  assert.deepEqual([...r.sent[1]!].sort(), ownedTargets(cfg, 6, 4));
  assert.deepEqual([...r.sent[0]!, ...r.sent[1]!].sort(), ownedTargets(cfg, 3, 1), 'the shard is the same as with one adapter');
});

test('transmitThreads: a multiple of the adapter count, at least one per adapter', () => {
  const c = simConfig('10.0.0.0/26 -p80 --rate 1000000');
  assert.equal(transmitThreads(c, 2, 64, 1), 2);
  assert.equal(transmitThreads(c, 2, 64, 2), 2);
  assert.equal(transmitThreads(c, 3, 64, 2), 4);
  assert.equal(transmitThreads(c, 1, 64, 3), 3);
  assert.equal(transmitThreads({ ...c, rate: 10 }, 8, 64, 8), 8);
  assert.equal(transmitThreads({ ...c, txThreads: 64 }, 8, 1000, 3), 63);
});

test('--pcap with several adapters: one file per adapter, the index before the extension', () => {
  assert.equal(adapterFileName('scan.pcap', 0, 1), 'scan.pcap');
  assert.equal(adapterFileName('scan.pcap', 0, 2), 'scan.00.pcap');
  assert.equal(adapterFileName('dir.x/scan.pcap', 1, 2), 'dir.x/scan.01.pcap');
  assert.equal(adapterFileName('dir.x/scan', 1, 2), 'dir.x/scan.01');
  assert.equal(adapterFileName('.pcap', 3, 4), '.pcap.03');
});
