/**
 * -sL worker thread: renders the chunks k = worker, worker + workers, ... of the listing and
 * posts each one's bytes to the main thread, which writes them in order (list.ts runList).
 * It renders at most `credits[worker]` chunks ahead of the writer.
 */
import { parentPort, workerData } from 'node:worker_threads';
import {
  ListRenderer, LIST_CHUNK, MAX_LINE, chunkSpan, chunkCount, type ListWorkerData, type ListChunkMessage,
} from './list.js';

function work(data: ListWorkerData, port: NonNullable<typeof parentPort>): void {
  const r = new ListRenderer(data.config);
  const chunks = chunkCount(r.plan);
  const buf = new Uint8Array(LIST_CHUNK * MAX_LINE + MAX_LINE);
  const filled = new Int32Array(1);
  for (let k = data.worker; k < chunks; k += data.workers) {
    while (Atomics.load(data.credits, data.worker) <= 0) Atomics.wait(data.credits, data.worker, 0, 1000);
    Atomics.sub(data.credits, data.worker, 1);
    const { from, to } = chunkSpan(r.plan, k);
    r.setEnd(to);
    const next = r.render(from, buf, filled);
    if (next < to) throw new Error(`list chunk ${k} did not fit its buffer`);
    const bytes = buf.slice(0, filled[0]);
    const msg: ListChunkMessage = { chunk: k, bytes };
    port.postMessage(msg, [bytes.buffer]);
  }
}

if (parentPort !== null) work(workerData as ListWorkerData, parentPort);
