/**
 * Timing a scanner process by the packets a device counts: a sampler inside the device's
 * namespace reads /sys/class/net/<dev>/statistics/<counter> every few milliseconds (one small
 * node process, no process spawn per sample), and the transmit window is taken from the
 * first to the last sample where the counter moved. Startup, ARP, the --wait phase and exit
 * are therefore not part of the rate; the packets counted are.
 *
 * A scanner that does not exit once its packets are sent (masscan 1.3.2 without incoming
 * traffic) is stopped: SIGINT once the counter has been flat for `idleMs`, SIGKILL after.
 */
import type { Lab, LabNs, LabProcess, ExecResult } from '../../test/lab/lab.js';

export interface Sample {
  readonly t: number; // ms (performance.timeOrigin based)
  readonly v: number;
}

export interface Sampler {
  readonly proc: LabProcess;
  samples(): Sample[];
  stop(): Promise<void>;
}

const SAMPLER_JS = `
const fs = require('fs');
const [file, interval, maxMs] = process.argv.slice(1);
const t0 = Date.now();
const buf = Buffer.alloc(64);
const fd = fs.openSync(file, 'r');
const tick = () => {
  const n = fs.readSync(fd, buf, 0, 64, 0);
  process.stdout.write((performance.timeOrigin + performance.now()).toFixed(1) + ' ' + buf.toString('latin1', 0, n).trim() + '\\n');
  if (Date.now() - t0 > Number(maxMs)) process.exit(0);
};
tick();
setInterval(tick, Number(interval));
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
`;

/** Start sampling `dev`'s `counter` (rx_packets, tx_packets...) in namespace `ns`. */
export function startSampler(lab: Lab, ns: LabNs, dev: string, counter: string, intervalMs = 20, maxMs = 300_000): Sampler {
  const proc = lab.spawn(ns, process.execPath, ['-e', SAMPLER_JS, `/sys/class/net/${dev}/statistics/${counter}`, String(intervalMs), String(maxMs)], {
    timeoutMs: maxMs + 5000,
  });
  return {
    proc,
    samples(): Sample[] {
      const out: Sample[] = [];
      for (const line of proc.stdout().split('\n')) {
        const m = /^(\d+(?:\.\d+)?) (\d+)$/.exec(line);
        if (m) out.push({ t: Number(m[1]), v: Number(m[2]) });
      }
      return out;
    },
    async stop(): Promise<void> {
      proc.kill('SIGTERM');
      await proc.done;
    },
  };
}

export interface Window {
  /** Packets counted between the first and the last movement of the counter. */
  readonly packets: number;
  readonly ms: number;
  readonly pps: number;
}

/**
 * The transmit window: from the last sample before the counter first moved to the first
 * sample after it last moved. Packets = the whole increase.
 */
export function windowOf(samples: readonly Sample[]): Window {
  if (samples.length < 2) return { packets: 0, ms: 0, pps: 0 };
  const base = samples[0]!.v;
  let first = -1;
  let last = -1;
  for (let i = 1; i < samples.length; i++) {
    if (samples[i]!.v !== samples[i - 1]!.v) {
      if (first < 0) first = i - 1;
      last = i;
    }
  }
  if (first < 0) return { packets: 0, ms: 0, pps: 0 };
  const packets = samples[last]!.v - base;
  const ms = samples[last]!.t - samples[first]!.t;
  return { packets, ms, pps: ms > 0 ? (packets * 1000) / ms : 0 };
}

export interface MeasuredRun {
  readonly result: ExecResult;
  readonly window: Window;
  /** True when the scanner exited by itself; false when it was stopped after going idle. */
  readonly exitedByItself: boolean;
  readonly wallMs: number;
}

/**
 * Run a scanner (already spawned by the caller through lab.spawnScanner, under
 * `/usr/bin/time`) while sampling; stop it when the counter has been flat for `idleMs` after
 * `graceMs` more, and bound it by `maxMs`. Stopping signals the commands under `time` (SIGINT,
 * then SIGKILL after 3 s) so that `time` still reports; the whole tree is killed 3 s later.
 */
export async function measureRun(
  proc: LabProcess,
  sampler: Sampler,
  opts: { idleMs?: number; graceMs?: number; maxMs?: number; expectPackets?: number } = {},
): Promise<MeasuredRun> {
  const idleMs = opts.idleMs ?? 2000;
  const graceMs = opts.graceMs ?? 4000;
  const maxMs = opts.maxMs ?? 180_000;
  const t0 = performance.now();
  let exited = false;
  void proc.done.then(() => (exited = true));
  let stoppedAt = -1;
  while (!exited) {
    await new Promise((r) => setTimeout(r, 100));
    const now = performance.now();
    if (now - t0 > maxMs && stoppedAt < 0) {
      stoppedAt = now;
      proc.killDescendants('SIGINT');
    }
    const s = sampler.samples();
    if (s.length > 2 && stoppedAt < 0) {
      const w = windowOf(s);
      const lastT = s[s.length - 1]!.t;
      // Idle: moved at least once, then flat for idleMs (+ grace for the scanner's own exit).
      let lastMove = -1;
      for (let i = s.length - 1; i > 0; i--) {
        if (s[i]!.v !== s[i - 1]!.v) {
          lastMove = s[i]!.t;
          break;
        }
      }
      const enough = opts.expectPackets === undefined || w.packets >= opts.expectPackets;
      if (lastMove > 0 && lastT - lastMove > (enough ? idleMs + graceMs : idleMs + graceMs + 10_000)) {
        stoppedAt = now;
        proc.killDescendants('SIGINT');
      }
    }
    if (stoppedAt > 0 && now - stoppedAt > 3000) proc.killDescendants('SIGKILL', true);
    if (stoppedAt > 0 && now - stoppedAt > 6000) proc.kill('SIGKILL');
  }
  const result = await proc.done;
  // One more sampling interval so the last movement is seen.
  await new Promise((r) => setTimeout(r, 60));
  return { result, window: windowOf(sampler.samples()), exitedByItself: stoppedAt < 0, wallMs: performance.now() - t0 };
}
