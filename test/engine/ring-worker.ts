/**
 * Helper for ring.test.ts (not a test file itself): one side of an SPSC ring in a worker.
 * workerData: { sab, kind: 'record' | 'frame', role: 'producer' | 'consumer', count }.
 * Posts { ok, count, error? } when done. Every loop is bounded in time (20 s).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { RecordRing, FrameRing } from '../../src/engine/ring.js';

interface Job { sab: SharedArrayBuffer; kind: 'record' | 'frame'; role: 'producer' | 'consumer'; count: number }
const job = workerData as Job;
const deadline = Date.now() + 20_000;

/** Record k: word 0 = k, word j = mix(k, j). */
function word(k: number, j: number): number {
  return j === 0 ? k >>> 0 : (Math.imul(k ^ (j * 0x9e3779b1), 0x85ebca6b) ^ j) >>> 0;
}
/** Frame k: its length and byte i. */
function frameLen(k: number): number {
  const h = Math.imul(k, 0x9e3779b1) >>> 0;
  return (k & 63) === 0 ? 1 + (h % 1514) : 1 + (h % 120);
}
function frameByte(k: number, i: number): number {
  return (k + i * 7) & 0xff;
}

function run(): { ok: boolean; count: number; error?: string } {
  if (job.kind === 'record') {
    const ring = new RecordRing(job.sab);
    const w = ring.words;
    if (job.role === 'producer') {
      let k = 0;
      while (k < job.count) {
        const off = ring.reserve();
        if (off < 0) {
          ring.publish();
          ring.waitForSpace(50);
          if (Date.now() > deadline) return { ok: false, count: k, error: 'producer timeout' };
          continue;
        }
        for (let j = 0; j < w; j++) ring.data[off + j] = word(k, j);
        k++;
        if ((k & 63) === 0) ring.publish();
      }
      ring.publish();
      return { ok: true, count: k };
    }
    let next = 0;
    let error: string | undefined;
    const handler = (d: Uint32Array, off: number): void => {
      if (error !== undefined) return;
      for (let j = 0; j < w; j++) {
        if (d[off + j] !== word(next, j)) { error = `record ${next} word ${j}: ${d[off + j]} != ${word(next, j)}`; return; }
      }
      next++;
    };
    while (next < job.count && error === undefined) {
      if (ring.drain(handler, 4096) === 0) {
        ring.waitForData(50);
        if (Date.now() > deadline) return { ok: false, count: next, error: 'consumer timeout' };
      }
    }
    return error === undefined ? { ok: next === job.count && ring.used() === 0, count: next } : { ok: false, count: next, error };
  }
  const ring = new FrameRing(job.sab);
  if (job.role === 'producer') {
    const buf = new Uint8Array(2048);
    let k = 0;
    while (k < job.count) {
      const len = frameLen(k);
      for (let i = 0; i < len; i++) buf[3 + i] = frameByte(k, i);
      if (!ring.push(buf, 3, len)) {
        ring.waitForSpace(50);
        if (Date.now() > deadline) return { ok: false, count: k, error: 'producer timeout' };
        continue;
      }
      k++;
    }
    return { ok: true, count: k };
  }
  const into = new Uint8Array(4096);
  let k = 0;
  while (k < job.count) {
    const len = ring.pop(into, 5);
    if (len < 0) {
      ring.waitForData(50);
      if (Date.now() > deadline) return { ok: false, count: k, error: 'consumer timeout' };
      continue;
    }
    if (len !== frameLen(k)) return { ok: false, count: k, error: `frame ${k}: length ${len} != ${frameLen(k)}` };
    for (let i = 0; i < len; i++) {
      if (into[5 + i] !== frameByte(k, i)) return { ok: false, count: k, error: `frame ${k} byte ${i}` };
    }
    k++;
  }
  return { ok: ring.pop(into, 0) === -1, count: k };
}

parentPort!.postMessage(run());
