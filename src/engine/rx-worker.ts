/**
 * The receive worker thread (DESIGN.md §3 "Receive"): opens the RX ring with a BPF filter for
 * our addresses and ports, runs the Receiver on every frame, publishes records in batches and
 * its counters, until the main thread shuts the scan down.
 *
 * Messages to the parent: { type: 'ready' } once the ring is open (probes may go out), and
 * { type: 'error', code, message } on a failure.
 */
import { spawnSync } from 'node:child_process';
import { parentPort, workerData } from 'node:worker_threads';
import type { RxChannel } from '../adapter/adapter.js';
import { isScanError } from '../error.js';
import { buildReceiver, receiveDebugLines, type Receiver, type ReceiveSetup } from './receive.js';
import type { BannerFound } from './banner-engine.js';
import { FrameRing, RecordRing } from './ring.js';
import { RxCounter, RxState, ScanControl } from './transmit.js';
import { solicitedNodeAddress } from '../link/responder.js';
import { PacketTracer } from './trace.js';


export interface RxWorkerData {
  readonly setup: ReceiveSetup;
  /** Which adapter this worker receives for (its state word and counters in ScanControl). */
  readonly adapter: number;
  /** How many adapters the scan has (-d names the adapter when there are several). */
  readonly adapters: number;
  readonly ifname: string;
  readonly ctl: SharedArrayBuffer;
  readonly recordRing: SharedArrayBuffer;
  readonly frameRing: SharedArrayBuffer;
  readonly pcapFilename: string | undefined;
  /** Receive ring size in bytes. */
  readonly ringBytes: number;
}

export async function openRxChannel(s: ReceiveSetup, ifname: string, ringBytes: number): Promise<RxChannel> {
  const { openRx } = await import('../adapter/afpacket.js');
  const { buildReplyFilter, compileUserFilter } = await import('../adapter/bpf.js');
  const user = s.bpf !== undefined ? compileUserFilter(s.bpf, runTcpdump) : undefined;
  const filter = buildReplyFilter({
    ...(user !== undefined ? { user } : {}),
    ipv4: s.src4 !== undefined ? [{ first: s.src4.begin, last: s.src4.end }] : [],
    // NDP solicitations for our address go to its solicited-node group, not to it.
    ipv6: s.src6 !== undefined ? [s.src6, solicitedNodeAddress(s.src6)] : [],
    arp: true,
    ports: { first: s.srcPort.begin, last: s.srcPort.end },
  });
  return openRx({ ifname, filter, ringBytes });
}

/** `tcpdump ARGS` (for --bpf), bounded in time; its output is small. */
function runTcpdump(args: readonly string[]): { status: number | null; stdout: string; stderr: string; error?: Error | undefined } {
  const r = spawnSync('tcpdump', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', error: r.error };
}

/** Copy a receiver's counters into the control block. */
export function publishRx(ctl: ScanControl, r: Receiver, kernelDrops: number, a = 0): void {
  const c = r.counters;
  ctl.setRxCounter(RxCounter.FRAMES, c.frames, a);
  ctl.setRxCounter(RxCounter.VALID, c.valid, a);
  ctl.setRxCounter(RxCounter.RECORDS, c.records, a);
  ctl.setRxCounter(RxCounter.FOUND, c.found, a);
  ctl.setRxCounter(RxCounter.DUPLICATES, c.duplicates, a);
  ctl.setRxCounter(RxCounter.RECORD_DROPS, c.recordDrops, a);
  ctl.setRxCounter(RxCounter.FRAME_DROPS, c.frameDrops, a);
  ctl.setRxCounter(RxCounter.KERNEL_DROPS, kernelDrops, a);
  ctl.setRxCounter(RxCounter.RST, c.rstQueued, a);
  ctl.setRxCounter(RxCounter.ANSWERS, c.answersQueued, a);
  ctl.setRxCounter(RxCounter.UNDECODABLE, c.undecodable, a);
}

async function main(): Promise<void> {
  const d = workerData as RxWorkerData;
  const ctl = new ScanControl(d.ctl);
  let rx: RxChannel | undefined;
  let pcap: { writeFrame(b: Uint8Array, o: number, l: number, s: number, n: number): void; close(): void } | undefined;
  try {
    if (d.pcapFilename !== undefined) {
      const { openPcapFile } = await import('../adapter/pcap-file.js');
      pcap = openPcapFile(d.pcapFilename);
    }
    rx = await openRxChannel(d.setup, d.ifname, d.ringBytes);
    const records = new RecordRing(d.recordRing);
    const frames = new FrameRing(d.frameRing);
    // Banners cross to the main thread in one message per poll, never one per banner.
    let found: BannerFound[] = [];
    const postBanners = (): void => {
      if (found.length === 0) return;
      parentPort?.postMessage({ type: 'banners', banners: found });
      found = [];
    };
    const r = buildReceiver(d.setup, records, frames, () => Math.floor(Date.now() / 1000), pcap ?? null,
      (b) => { found.push(b); }, () => performance.now());
    // --packet-trace: a RCVD line for each frame the receiver accepted (its valid count grew).
    const t0 = performance.now();
    const tracer = d.setup.packetTrace === true ? new PacketTracer((l) => { process.stdout.write(l); }) : null;
    const onFrame = tracer === null ? r.onFrame : (buf: Uint8Array, off: number, len: number, s: number, ns: number): void => {
      const before = r.counters.valid;
      r.onFrame(buf, off, len, s, ns);
      if (r.counters.valid !== before) tracer.frame('RCVD', (performance.now() - t0) / 1000, buf, off, len);
    };
    ctl.setRxState(RxState.RECEIVING, d.adapter);
    parentPort?.postMessage({ type: 'ready' });
    let kernelDrops = 0;
    while (!ctl.shutdown()) {
      rx.poll(20, onFrame);
      r.tick();
      r.flush();
      postBanners();
      kernelDrops = rx.stats().kernelDrops;
      publishRx(ctl, r, kernelDrops, d.adapter);
    }
    // Whatever is already in the ring when the wait ends still counts.
    rx.poll(0, onFrame);
    if (tracer !== null && tracer.skipped > 0) process.stderr.write(tracer.summary());
    r.closeConnections();
    r.flush();
    postBanners();
    publishRx(ctl, r, rx.stats().kernelDrops, d.adapter);
    if ((d.setup.debug ?? 0) > 0) {
      const lines = receiveDebugLines(r.counters, rx.stats().kernelDrops);
      process.stderr.write(d.adapters > 1 ? lines.replace(/^\[debug\] receive:/gm, `[debug] receive (adapter[${d.adapter}] ${d.ifname}):`) : lines);
    }
    rx.close();
    rx = undefined;
    pcap?.close();
    ctl.setRxState(RxState.STOPPED, d.adapter);
  } catch (e) {
    ctl.setRxState(RxState.FAILED, d.adapter);
    parentPort?.postMessage({
      type: 'error',
      code: isScanError(e) ? e.code : 'ERR_INTERNAL',
      message: e instanceof Error ? e.message : String(e),
    });
    try { rx?.close(); } catch { /* already failing */ }
    try { pcap?.close(); } catch { /* already failing */ }
  }
}

if (parentPort !== null && workerData !== null && typeof workerData === 'object' && 'recordRing' in (workerData as object)) {
  void main();
}
