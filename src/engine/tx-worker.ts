/**
 * A transmit worker thread (DESIGN.md §3 "Transmit"): opens its own TxChannel, runs its
 * Transmitter until its slice is done or the main thread aborts, and (worker 0) keeps sending
 * the frames the receive worker queues until the scan shuts down.
 *
 * Messages to the parent: { type: 'error', code, message } on a failure; { type: 'arbiter',
 * decisions } from worker 0 once its slice is done (tx-arbiter.ts, printed with -v). The
 * states and counters themselves live in the shared ScanControl.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { TxBackend, TxChannel } from '../adapter/adapter.js';
import { isScanError } from '../error.js';
import { FrameRing } from './ring.js';
import { ScanControl, STEP_DONE, Transmitter, WState, type TransmitSetup } from './transmit.js';
import { PacketTracer } from './trace.js';

/** How a worker opens its channel. */
export type TxOpen =
  | { readonly kind: 'offline'; readonly batch: number }
  | { readonly kind: 'afpacket'; readonly ifname: string; readonly backend: TxBackend; readonly batch: number };

export interface TxWorkerData {
  readonly setup: TransmitSetup;
  readonly open: TxOpen;
  readonly ctl: SharedArrayBuffer;
  /** Worker 0 only: frames to send for the receive side. */
  readonly frameRing: SharedArrayBuffer | null;
  readonly packetTrace: boolean;
}

export async function openTxChannel(o: TxOpen): Promise<TxChannel> {
  if (o.kind === 'offline') {
    const { openOfflineTx } = await import('../adapter/offline.js');
    return openOfflineTx({ batch: o.batch });
  }
  const { openTx } = await import('../adapter/afpacket.js');
  return openTx({ ifname: o.ifname, backend: o.backend, batch: o.batch });
}

/**
 * The worker loop, also usable on a thread of its own by tests: step until done, sleeping on
 * the command word (so a command wakes it at once), then pump frames until shutdown.
 */
export function runTransmitLoop(t: Transmitter, ctl: ScanControl, pumpFrames: boolean, frames: FrameRing | null): void {
  ctl.setWorkerState(t.thread, WState.RUNNING);
  for (;;) {
    const cmd = ctl.cmd();
    const r = t.step();
    if (r === STEP_DONE) break;
    if (ctl.shutdown()) break;
    // Worker 0 also answers ARP and sends RSTs: never sleep long while frames may arrive.
    if (r > 0) ctl.sleep(cmd, pumpFrames && r > 2 ? 2 : r);
  }
  t.flushPending();
  const decisions = t.arbiterDecisions();
  if (decisions.length > 0) parentPort?.postMessage({ type: 'arbiter', decisions });
  if (pumpFrames && frames !== null) {
    while (!ctl.shutdown()) {
      if (t.pump() === 0) frames.waitForData(20);
    }
    t.pump();
  }
}

async function main(): Promise<void> {
  const d = workerData as TxWorkerData;
  const ctl = new ScanControl(d.ctl);
  const thread = d.setup.thread;
  let tx: TxChannel | undefined;
  try {
    tx = await openTxChannel(d.open);
    const frames = d.frameRing !== null ? new FrameRing(d.frameRing) : null;
    // --packet-trace: masscan's SENT lines on stdout, limited (trace.ts).
    const t0 = performance.now();
    const tracer = d.packetTrace ? new PacketTracer((l) => { process.stdout.write(l); }) : null;
    const trace = tracer !== null
      ? (buf: Uint8Array, off: number, len: number): void => tracer.frame('SENT', (performance.now() - t0) / 1000, buf, off, len)
      : null;
    const t = new Transmitter(d.setup, tx, ctl, frames, () => performance.now() / 1000, trace);
    runTransmitLoop(t, ctl, frames !== null, frames);
    if (tracer !== null && tracer.skipped > 0) process.stderr.write(tracer.summary());
    tx.close();
    tx = undefined;
    ctl.setWorkerState(thread, WState.EXITED);
  } catch (e) {
    ctl.setWorkerState(thread, WState.FAILED);
    parentPort?.postMessage({
      type: 'error',
      code: isScanError(e) ? e.code : 'ERR_INTERNAL',
      message: e instanceof Error ? e.message : String(e),
    });
    try { tx?.close(); } catch { /* already failing */ }
  }
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'setup' in (workerData as object)) {
  void main();
}
