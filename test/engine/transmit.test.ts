import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gcsDuring } from './gc-count.js';
import { createMemoryLink } from '../../src/adapter/memory.js';
import {
  Cmd, ScanControl, STEP_DONE, Transmitter, TxCounter, WState, planFromRanges, windowSize, type TransmitSetup,
} from '../../src/engine/transmit.js';
import { CookieKey } from '../../src/crypto/cookie.js';
import { TxMode } from '../../src/engine/tx-arbiter.js';
import { ProbeSet4 } from '../../src/probes/probe-set.js';
import { FrameRing } from '../../src/engine/ring.js';
import { Blackrock } from '../../src/target/blackrock.js';
import { Picker, Target } from '../../src/target/picker.js';
import { Decoded, decodeFrame } from '../../src/wire/decode.js';

const SRC = 0x0afa0001;
const MAC = new Uint8Array([2, 0x50, 0, 0, 0, 1]);
const ROUTER = new Uint8Array([2, 0x50, 0, 0, 0, 2]);

function setup(over: Partial<TransmitSetup> = {}): TransmitSetup {
  return {
    targets4: [{ begin: 0x0a000000, end: 0x0a00003f }], targets6: [], ports: [{ begin: 80, end: 81 }, { begin: 65536 + 53, end: 65536 + 53 }],
    seed: 5n, rounds: 14, shardOne: 1, shardOf: 1, resumeIndex: 0, resumeCount: 0, retries: 0, infinite: false,
    rate: 1e9, threads: 1, thread: 0,
    link: { srcMac: MAC, routerMac4: ROUTER, routerMac6: new Uint8Array(6), vlan: undefined, ttl: 255,
      src4: { begin: SRC, end: SRC }, src6: undefined, srcPort: { begin: 40000, end: 40000 } },
    ...over,
  };
}

/** A clock that moves 1 ms per reading, so the throttle always refills. */
function ticking(): () => number {
  let t = 0;
  return () => (t += 0.001);
}

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

test('every probe sent is the template-built frame of shuffle(i), in -sL order', () => {
  const s = setup();
  const link = createMemoryLink({ batch: 16 });
  const ctl = ScanControl.create();
  const t = new Transmitter(s, link.tx, ctl, null, ticking());
  while (t.step() !== STEP_DONE) { /* run */ }
  const plan = planFromRanges(s.targets4, s.targets6, s.ports);
  const br = new Blackrock(plan.range, s.seed, s.rounds);
  const picker = new Picker(plan);
  const tg = new Target();
  const set = new ProbeSet4({ srcMac: MAC, dstMac: ROUTER, srcIp: SRC }, new CookieKey(s.seed), 1);
  const buf = new Uint8Array(2048);
  const sent = link.takeSent();
  assert.equal(sent.length, plan.range);
  for (let i = 0; i < plan.range; i++) {
    picker.pickScan(br.shuffle(i), tg);
    set.invalidate();
    const n = set.fill(buf, 0, 0, SRC, tg.ip4, tg.port, 40000);
    assert.equal(hex(sent[i]), hex(buf.subarray(0, n)), `probe ${i}`);
  }
  assert.equal(ctl.txCounter(0, TxCounter.PROBES), plan.range);
  assert.equal(ctl.txCounter(0, TxCounter.PROGRESS), plan.range);
  assert.equal(ctl.workerState(0), WState.DONE);
});

test('workers split the slice disjointly; retries give R+1 probes spaced by windows', () => {
  for (const [threads, retries, rate] of [[1, 2, 1e9], [3, 1, 1e9], [2, 2, 20], [4, 3, 7]] as const) {
    const counts = new Map<string, number>();
    const order: string[] = [];
    for (let t = 0; t < threads; t++) {
      const link = createMemoryLink({ batch: 8 });
      const ctl = ScanControl.create();
      let now = 0;
      const tr = new Transmitter(setup({ threads, thread: t, retries, rate }), link.tx, ctl, null, () => now);
      for (let guard = 0; guard < 1e6; guard++) {
        const r = tr.step();
        if (r === STEP_DONE) break;
        now += 0.05; // a fake clock: the throttle refills
      }
      const d = new Decoded();
      for (const f of link.takeSent()) {
        decodeFrame(f, 0, f.length, d);
        const k = `${d.dst}:${d.dstPort}:${d.proto}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
        if (t === 0) order.push(k);
      }
    }
    assert.equal(counts.size, 64 * 3, `threads ${threads}`);
    for (const v of counts.values()) assert.equal(v, retries + 1);
    // Within worker 0, copy r+1 of a target comes one window (W targets) after copy r.
    const w = windowSize(rate, threads);
    const first = order[0];
    const pos = order.map((k, i) => (k === first ? i : -1)).filter((i) => i >= 0);
    assert.equal(pos.length, retries + 1);
    const span = Math.min(w, Math.ceil((64 * 3) / threads));
    for (let r = 1; r < pos.length; r++) assert.equal(pos[r] - pos[r - 1], span, `threads ${threads} rate ${rate}`);
  }
});

test('the throttle holds the rate at batch granularity (fake clock)', () => {
  const link = createMemoryLink({ batch: 64 });
  const ctl = ScanControl.create();
  let now = 100;
  const tr = new Transmitter(setup({ rate: 1000, targets4: [{ begin: 0x0a000000, end: 0x0a00ffff }], ports: [{ begin: 80, end: 80 }] }),
    link.tx, ctl, null, () => now);
  let sent = 0;
  for (let ms = 0; ms < 10_000; ms += 1) {
    now = 100 + ms / 1000;
    tr.step();
    sent = tr.probes;
  }
  // 10 s at 1000 pps: 10000 probes (+1 for the first token), within 1%.
  assert.ok(Math.abs(sent - 10_000) <= 100, `sent ${sent}`);
});

test('a channel that takes fewer frames than offered still sends every probe once', () => {
  const link = createMemoryLink({ batch: 32, acceptLimit: 5 });
  const ctl = ScanControl.create();
  const tr = new Transmitter(setup(), link.tx, ctl, null, ticking());
  while (tr.step() !== STEP_DONE) { /* run */ }
  const sent = link.takeSent();
  assert.equal(sent.length, 64 * 3);
  assert.equal(new Set(sent.map(hex)).size, 64 * 3);
  assert.equal(tr.dropped, 0);
});

test('pause then drain to the furthest frontier sends exactly the indices below it', () => {
  for (const retries of [0, 2]) {
    const threads = 3;
    const ctl = ScanControl.create();
    const links = Array.from({ length: threads }, () => createMemoryLink({ batch: 7 }));
    // Uneven progress: worker t makes t+1 steps per round, with a fake clock.
    let now = 0;
    const clockTrs = links.map((l, t) => new Transmitter(setup({ threads, thread: t, retries, rate: 60 }), l.tx, ctl, null, () => now));
    for (let k = 0; k < 6; k++) {
      now += 0.3;
      clockTrs.forEach((tr, t) => { for (let s = 0; s <= t; s++) tr.step(); });
    }
    ctl.setCmd(Cmd.PAUSE);
    for (const tr of clockTrs) tr.step();
    for (let t = 0; t < threads; t++) assert.equal(ctl.workerState(t), WState.PAUSED);
    let S = 0;
    for (let t = 0; t < threads; t++) S = Math.max(S, ctl.txCounter(t, TxCounter.FRONTIER));
    ctl.setStopAt(S);
    ctl.setCmd(Cmd.DRAIN);
    for (let guard = 0; guard < 10_000; guard++) {
      now += 0.3;
      let all = true;
      for (const tr of clockTrs) if (tr.step() !== STEP_DONE) all = false;
      if (all) break;
    }
    // What every worker sent in total, before and after the pause, is exactly indices < S.
    const total = clockTrs.reduce((a, tr) => a + tr.probes, 0);
    assert.equal(total, S * (retries + 1), `retries ${retries}: S=${S}`);
    const d = new Decoded();
    const seen = new Map<string, number>();
    for (const l of links) for (const f of l.takeSent()) {
      decodeFrame(f, 0, f.length, d);
      const k = `${d.dst}:${d.dstPort}`;
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
    assert.equal(seen.size, S);
    for (const v of seen.values()) assert.equal(v, retries + 1);
    assert.ok(S > 0 && S < 192);
  }
});

test('worker 0 pumps ring frames (RSTs, ARP answers) and re-bases its slots after', () => {
  const link = createMemoryLink({ batch: 4 });
  const ctl = ScanControl.create();
  const ring = FrameRing.create(1 << 16, 1514);
  const tr = new Transmitter(setup(), link.tx, ctl, ring, ticking());
  tr.step();
  const marker = new Uint8Array(60).fill(0xab);
  ring.push(marker, 0, 60);
  while (tr.step() !== STEP_DONE) { /* run */ }
  const sent = link.takeSent();
  assert.equal(sent.length, 64 * 3 + 1);
  assert.equal(sent.filter((f) => f.every((b) => b === 0xab)).length, 1);
  // Every other frame still decodes as a probe from us (the slot bases were rewritten).
  const d = new Decoded();
  for (const f of sent) {
    if (f[0] === 0xab) continue;
    assert.equal(decodeFrame(f, 0, f.length, d), 'ok');
    assert.equal(d.src, SRC);
  }
  assert.equal(tr.framesSent, 1);
});

test('serial send mode: builds in chunks while the lock is held elsewhere, then sends them in one call', () => {
  const s = setup({ targets4: [{ begin: 0x0a000000, end: 0x0a0003ff }] });
  const link = createMemoryLink({ batch: 64 });
  const ctl = ScanControl.create();
  const t = new Transmitter({ ...s, arbiter: 'serial' }, link.tx, ctl, null, ticking());
  // One worker never serialises by itself; set the mode as a multi-worker scan does.
  ctl.setTxMode(TxMode.SERIAL);
  assert.ok(ctl.tryLockTx(), 'another worker holds the send lock');
  t.step();
  t.step();
  assert.equal(link.sent.length, 0, 'nothing sent while the lock is held');
  assert.equal(t.probes, 32, 'two quarter-batch chunks built');
  assert.equal(ctl.txCounter(0, TxCounter.PROGRESS), 0, 'built, unsent probes are not published as done (an abort resumes from here)');
  ctl.unlockTx();
  t.step();
  assert.equal(link.sent.length, 48, 'the chunks go out together once the lock is free');
  assert.equal(t.batches, 1);
  assert.equal(ctl.txCounter(0, TxCounter.PROGRESS), 48);
  // PAUSE flushes what was built: progress never counts a probe that is not on the wire.
  assert.ok(ctl.tryLockTx());
  t.step();
  assert.equal(link.sent.length, 48);
  ctl.unlockTx();
  ctl.setCmd(Cmd.PAUSE);
  t.step();
  assert.equal(link.sent.length, t.probes);
  assert.equal(ctl.txCounter(0, TxCounter.PROGRESS), t.probes);
});

test('serial and parallel send modes put the same probes on the wire', () => {
  const s = setup({ targets4: [{ begin: 0x0a000000, end: 0x0a0003ff }] });
  const plan = planFromRanges(s.targets4, s.targets6, s.ports);
  const collect = (mode: number): string[] => {
    const link = createMemoryLink({ batch: 64 });
    const ctl = ScanControl.create();
    const t = new Transmitter(s, link.tx, ctl, null, ticking());
    ctl.setTxMode(mode);
    let guard = 0;
    while (t.step() !== STEP_DONE && ++guard < 1e6) { /* run */ }
    return link.takeSent().map(hex).sort();
  };
  const a = collect(TxMode.PARALLEL);
  assert.equal(a.length, plan.range);
  assert.deepEqual(collect(TxMode.SERIAL), a);
});

test('a channel that moves slots through ring regions (TX ring) still gets whole, correct probes', () => {
  // Templates keep constant bytes per place in the buffer; a TX ring puts slot k in a
  // different place each batch, so each (region, slot) must be written whole the first time.
  for (const mixed of [false, true]) {
    const s = setup(mixed
      ? { targets6: [{ begin: 0xfd000000000000000000000000000000n, end: 0xfd00000000000000000000000000003fn }] }
      : {});
    const withSrc6 = mixed ? { ...s, link: { ...s.link, src6: 0xfd000250000000000000000000000001n } } : s;
    const plain = createMemoryLink({ batch: 16 });
    const ring = createMemoryLink({ batch: 16, regions: 4 });
    for (const link of [plain, ring]) {
      const t = new Transmitter(withSrc6, link.tx, ScanControl.create(), null, ticking());
      while (t.step() !== STEP_DONE) { /* run */ }
    }
    const a = plain.takeSent().map(hex);
    const b = ring.takeSent().map(hex);
    assert.equal(b.length, a.length);
    assert.deepEqual(b, a, mixed ? 'IPv4 + IPv6' : 'IPv4');
  }
});

test('the transmit loop allocates nothing per probe, in both send modes (no GC over 2e6 probes once optimised)', async () => {
  const { openOfflineTx } = await import('../../src/adapter/offline.js');
  for (const mode of [TxMode.PARALLEL, TxMode.SERIAL]) {
    const s = setup({ targets4: [{ begin: 0xc6120000, end: 0xc613ffff }], ports: [{ begin: 1, end: 64 }], rate: 1e12 });
    const ctl = ScanControl.create();
    const t = new Transmitter(s, openOfflineTx({ batch: 512 }), ctl, null, () => performance.now() / 1000);
    ctl.setTxMode(mode);
    const run = (probes: number): void => {
      const stop = t.probes + probes;
      while (t.probes < stop && t.step() !== STEP_DONE) { /* run */ }
    };
    const gcs = await gcsDuring(run, 1_000_000, 2_000_000);
    assert.ok(gcs <= 3, `mode ${mode}: ${gcs} garbage collections over 2e6 probes`);
  }
});

test('the send lock: try, release, and no waiting forever once the scan shuts down', () => {
  const ctl = ScanControl.create();
  assert.ok(ctl.tryLockTx());
  assert.ok(!ctl.tryLockTx(), 'held');
  ctl.unlockTx();
  assert.ok(ctl.tryLockTx(), 'released');
  // A holder that never releases (a terminated worker): lockTx returns at shutdown.
  ctl.setShutdown();
  ctl.lockTx();
  ctl.unlockTx();
  assert.ok(ctl.tryLockTx());
});
