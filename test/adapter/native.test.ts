/**
 * End to end through the kernel: two namespaces of our own joined by a veth (netns-pair.ts),
 * frames sent with each transmit back end in one and received with the TPACKET_V3 ring in
 * the other, by child processes run with `ip netns exec`. Also the error paths (missing
 * interface, interface down, not root) and worker_threads (context-aware addon).
 * Needs root (CI runs as root); fails, never skips, without it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createVethPair, assertNoDefaultRoute, ip, type VethPair } from './netns-pair.js';

const CHILD = fileURLToPath(new URL('./native-child.js', import.meta.url));
let pair: VethPair;
const mac = (m: Uint8Array): string => Array.from(m, (b) => b.toString(16).padStart(2, '0')).join(':');

interface SendResult { sent: number; ringFull: number; bytes: number; flushed: boolean }
interface RecvResult { received: number; ours: number; dup: number; badLen: number; other: number; bytes: number; kernelDrops: number; statsReceived: number; lastTs: number }
interface OpenResult { ok: boolean; code?: string; message?: string }

function runIn(ns: string, args: object, pre: string[] = [], timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ip', ['netns', 'exec', ns, ...pre, process.execPath, CHILD, JSON.stringify(args)], { timeout: timeoutMs, encoding: 'utf8' }, (err, out, errOut) => {
      if (err) reject(new Error(`${err.message}\n${errOut}`));
      else resolve(out.trim().split('\n').pop() ?? '');
    });
  });
}

/** Starts a receiver in `ns`; resolves `ready` once its ring is bound, `done` with its result. */
function startReceiver(ns: string, args: object): { ready: Promise<void>; done: Promise<RecvResult> } {
  const p = spawn('ip', ['netns', 'exec', ns, process.execPath, CHILD, JSON.stringify({ mode: 'recv', ...args })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((res) => { onReady = res; });
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (out.includes('ready\n')) onReady();
  });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const killer = setTimeout(() => p.kill('SIGKILL'), 30_000); // by its own handle, i.e. its PID
  const done = new Promise<RecvResult>((resolve, reject) => {
    p.on('exit', (code) => {
      clearTimeout(killer);
      onReady();
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as RecvResult);
      else reject(new Error(`receiver exited ${code}: ${err}`));
    });
  });
  return { ready, done };
}

function sendArgs(backend: string, count: number, batch: number, extra: object = {}): object {
  return {
    mode: 'send', ifname: pair.ifA, backend, count, batch, baseLen: 60,
    dstMac: mac(pair.macB), srcMac: mac(pair.macA), srcIp: pair.ipA, dstIp: pair.ipB, port: 9, ...extra,
  };
}

before(() => {
  assert.equal(process.getuid?.(), 0, 'the native adapter tests need root (network namespaces, raw sockets)');
  pair = createVethPair(`ts${process.pid}`, 7);
});

after(() => {
  pair?.destroy();
  assert.equal(ip(['netns', 'list']).includes(`ts${process.pid}a`), false);
});

for (const [backend, count, batch] of [['sendmmsg', 20_000, 256], ['txring', 20_003, 512], ['sendmmsg', 3000, 1024], ['txring', 3000, 1024]] as const) {
  test(`${backend}, batch ${batch}: ${count} frames arrive exactly once, lengths and bytes intact`, async () => {
    assertNoDefaultRoute(pair.nsA);
    const rx = startReceiver(pair.nsB, { ifname: pair.ifB, expect: count, timeoutMs: 15_000, dstIp: pair.ipB, port: 9, baseLen: 60 });
    await rx.ready;
    const s = JSON.parse(await runIn(pair.nsA, sendArgs(backend, count, batch))) as SendResult;
    const r = await rx.done;
    assert.equal(s.sent, count);
    assert.equal(s.flushed, true);
    assert.equal(r.ours, count);
    assert.equal(r.dup, 0);
    assert.equal(r.badLen, 0);
    assert.equal(r.other, 0, 'the BPF filter lets only our frames in');
    assert.equal(r.bytes, s.bytes);
    assert.equal(r.statsReceived, r.received);
    assert.equal(r.kernelDrops, 0);
    assert.ok(Math.abs(r.lastTs - Date.now() / 1000) < 120, 'kernel timestamps are wall-clock seconds');
  });
}

test('two worker_threads, each with its own socket, send through the context-aware addon', async () => {
  const count = 10_000;
  const rx = startReceiver(pair.nsB, { ifname: pair.ifB, expect: count, timeoutMs: 15_000, dstIp: pair.ipB, port: 9, baseLen: 60 });
  await rx.ready;
  const s = JSON.parse(await runIn(pair.nsA, { ...sendArgs('sendmmsg', count, 256), mode: 'workers', threads: 2 })) as SendResult;
  const r = await rx.done;
  assert.equal(s.sent, count);
  assert.equal(r.ours, count);
  assert.equal(r.dup, 0);
});

test('our own outgoing frames never enter an RX ring on the sending interface', async () => {
  const count = 2000;
  // NOTE: with PACKET_QDISC_BYPASS (our default) outgoing frames skip the kernel's taps
  // altogether, so this test sends through the qdisc: then only PACKET_IGNORE_OUTGOING
  // keeps them out. Same filter as the peer (destination = B), on A itself.
  for (const ignoreOutgoing of [true, false]) {
    const own = startReceiver(pair.nsA, { ifname: pair.ifA, expect: count, timeoutMs: ignoreOutgoing ? 1500 : 5000, dstIp: pair.ipB, port: 9, baseLen: 60, ignoreOutgoing });
    await own.ready;
    const s = JSON.parse(await runIn(pair.nsA, sendArgs('txring', count, 256, { qdiscBypass: false }))) as SendResult;
    const r = await own.done;
    assert.equal(s.sent, count);
    // Control (ignoreOutgoing false): the same ring does see them.
    assert.equal(r.ours, ignoreOutgoing ? 0 : count);
  }
});

test('errors: missing interface, interface down, not root', async () => {
  const down = `${pair.nsA.slice(0, 12)}d`;
  ip(['-n', pair.nsA, 'link', 'add', down, 'type', 'ifb']); // left down
  for (const kind of ['sendmmsg', 'txring', 'rx']) {
    const missing = JSON.parse(await runIn(pair.nsA, { mode: 'open', ifname: 'nosuch0', kind })) as OpenResult;
    assert.deepEqual(missing, { ok: false, code: 'ERR_ADAPTER', message: 'nosuch0: no such interface (--iflist lists them)' });
    const isDown = JSON.parse(await runIn(pair.nsA, { mode: 'open', ifname: down, kind })) as OpenResult;
    assert.deepEqual(isDown, { ok: false, code: 'ERR_ADAPTER', message: `${down}: interface is down (ip link set ${down} up)` });
    // nobody, no capabilities at all (setpriv from util-linux).
    const pre = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', '--bounding-set=-all', '--'];
    const noRoot = JSON.parse(await runIn(pair.nsA, { mode: 'open', ifname: pair.ifA, kind }, pre)) as OpenResult;
    assert.equal(noRoot.ok, false);
    assert.equal(noRoot.code, 'ERR_PERMISSION');
    assert.match(noRoot.message ?? '', new RegExp(`^${pair.ifA}: permission denied .*CAP_NET_RAW`));
    assert.equal((noRoot.message ?? '').includes('\n'), false);
  }
  const bad = JSON.parse(await runIn(pair.nsA, { mode: 'open', ifname: 'a/b', kind: 'rx' })) as OpenResult;
  assert.equal(bad.code, 'ERR_ADAPTER');
});
