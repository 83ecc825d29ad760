/**
 * Send arbitration between transmit workers.
 *
 * Several workers sending to one interface meet in the kernel. On a device without lockless
 * transmit and with a single TX queue (an ifb, many virtual NICs, single-queue hardware)
 * every frame takes that queue's spinlock, and two workers sending at once can fall into
 * contention that halves the rate: measured on ifb with 2 workers, runs were either
 * 4.8 M/s (1.7 s) or 2.4 M/s (3.6 s, a third of the time in the lock's slow path), chosen
 * by chance at start and kept for the whole run. Serialising the send calls (one worker in
 * the kernel at a time, the other building frames meanwhile) holds 4.1-4.7 M/s there. On a
 * lockless device (veth) serialising costs a third of the rate instead.
 *
 * Nothing the kernel exposes tells which case a device is, so the arbiter measures: it
 * compares the total probe rate of the two modes over short samples and keeps the faster,
 * and samples again with a growing hold in between. A mode change is one Atomics store that
 * every worker reads before each send; the lock itself is in ScanControl.
 *
 * The policy is a pure state machine over (time, total probes), so it is tested with a fake
 * clock; worker 0 drives it from its send loop.
 *
 * NOTE: DESIGN §1 keeps locks off the hot path. This lock is the measured exception: it is
 * taken once per batch (up to 512 frames), only in SERIAL mode, and only where it measured
 * faster, because the kernel already serialises those frames on its own queue lock, once per
 * frame; one handoff per batch replaces a per-frame convoy. PARALLEL mode takes no lock.
 */

/** How workers send: each on its own, or one at a time under the shared lock. */
export const TxMode = { PARALLEL: 0, SERIAL: 1 } as const;
export type TxModeValue = (typeof TxMode)[keyof typeof TxMode];

/** `--tx-arbiter`: measure (auto) or force a mode. */
export type TxArbiterSetting = 'auto' | 'parallel' | 'serial';

export interface ArbiterPolicy {
  /** Time after start before the first sample (threads warm up, ARP, JIT). */
  readonly warmupMs: number;
  /** Time after a mode change that no sample counts (the other mode's batches drain). */
  readonly settleMs: number;
  /** Length of one rate sample. */
  readonly sampleMs: number;
  /** First hold between two comparisons; doubled while the mode stays, up to maxHoldMs. */
  readonly holdMs: number;
  readonly maxHoldMs: number;
  /** The other mode must be this much faster (fraction) to be taken. */
  readonly margin: number;
  /**
   * During a hold, a sample below this fraction of the kept mode's rate starts a comparison
   * at once (contention can set in a second into a run and stay).
   */
  readonly dropRatio: number;
}

export const DEFAULT_ARBITER_POLICY: ArbiterPolicy = {
  warmupMs: 50,
  settleMs: 15,
  sampleMs: 100,
  holdMs: 1000,
  maxHoldMs: 16000,
  margin: 0.04,
  dropRatio: 0.75,
};

const enum Phase {
  WARMUP,
  SAMPLE_CURRENT,
  SETTLE_OTHER,
  SAMPLE_OTHER,
  SETTLE_BACK,
  HOLD,
}

/** One decision, for logs and tests. */
export interface ArbiterDecision {
  readonly atMs: number;
  readonly kept: TxModeValue;
  /** The mode in force before the comparison. */
  readonly before: TxModeValue;
  /** Probes/s of the mode in force before the comparison, and of the other one. */
  readonly currentRate: number;
  readonly otherRate: number;
}

/** One line for -v: `send mode at 0.62 s: serial (parallel 2.56 M/s, serial 3.81 M/s)`. */
export function describeDecision(d: ArbiterDecision): string {
  const name = (m: TxModeValue): string => (m === TxMode.SERIAL ? 'serial' : 'parallel');
  const other: TxModeValue = d.kept === TxMode.SERIAL ? TxMode.PARALLEL : TxMode.SERIAL;
  // currentRate is the mode in force before the comparison: the kept one unless it changed.
  const [keptRate, otherRate] = d.kept === d.before ? [d.currentRate, d.otherRate] : [d.otherRate, d.currentRate];
  const mps = (r: number): string => `${(r / 1e6).toFixed(2)} M/s`;
  return `send mode at ${(d.atMs / 1000).toFixed(2)} s: ${name(d.kept)} (${name(d.kept)} ${mps(keptRate)}, ${name(other)} ${mps(otherRate)})`;
}

export class TxArbiter {
  private phase = Phase.WARMUP;
  /** Auto starts in parallel mode; scan.ts publishes it before the workers start. */
  private mode: TxModeValue = TxMode.PARALLEL;
  private phaseStart: number;
  private phaseCount = 0;
  private hold: number;
  private currentRate = 0;
  private otherRate = 0;
  /** Rate of the kept mode at the last decision. */
  private keptRate = 0;
  readonly decisions: ArbiterDecision[] = [];

  /**
   * @param setMode publishes the mode to every worker.
   * @param startMs the clock at start (ms).
   */
  constructor(
    private readonly setMode: (m: TxModeValue) => void,
    startMs: number,
    private readonly policy: ArbiterPolicy = DEFAULT_ARBITER_POLICY,
  ) {
    this.phaseStart = startMs;
    this.hold = policy.holdMs;
  }

  current(): TxModeValue {
    return this.mode;
  }

  /**
   * Advance with the clock (ms) and the total probes sent by all workers so far. Cheap when
   * nothing is due: one comparison.
   */
  tick(nowMs: number, totalProbes: number): void {
    const p = this.policy;
    const dt = nowMs - this.phaseStart;
    switch (this.phase) {
      case Phase.WARMUP:
        if (dt >= p.warmupMs) this.enter(Phase.SAMPLE_CURRENT, nowMs, totalProbes);
        return;
      case Phase.SAMPLE_CURRENT:
        if (dt >= p.sampleMs) {
          this.currentRate = ((totalProbes - this.phaseCount) * 1000) / dt;
          this.setMode(this.other());
          this.enter(Phase.SETTLE_OTHER, nowMs, totalProbes);
        }
        return;
      case Phase.SETTLE_OTHER:
        if (dt >= p.settleMs) this.enter(Phase.SAMPLE_OTHER, nowMs, totalProbes);
        return;
      case Phase.SAMPLE_OTHER:
        if (dt >= p.sampleMs) {
          this.otherRate = ((totalProbes - this.phaseCount) * 1000) / dt;
          const before = this.mode;
          if (this.otherRate > this.currentRate * (1 + p.margin)) {
            this.mode = this.other();
            this.hold = p.holdMs;
          } else {
            this.setMode(this.mode);
            this.hold = Math.min(this.hold * 2, p.maxHoldMs);
          }
          this.keptRate = this.mode === before ? this.currentRate : this.otherRate;
          this.decisions.push({ atMs: nowMs, kept: this.mode, before, currentRate: this.currentRate, otherRate: this.otherRate });
          this.enter(Phase.SETTLE_BACK, nowMs, totalProbes);
        }
        return;
      case Phase.SETTLE_BACK:
        if (dt >= p.settleMs) this.enter(Phase.HOLD, nowMs, totalProbes);
        return;
      case Phase.HOLD:
        if (dt >= this.hold) this.enter(Phase.SAMPLE_CURRENT, nowMs, totalProbes);
        else if (nowMs - this.watchStart >= p.sampleMs) {
          // Watch the kept mode's rate; a fall compares the modes again now.
          const rate = ((totalProbes - this.watchCount) * 1000) / (nowMs - this.watchStart);
          this.watchStart = nowMs;
          this.watchCount = totalProbes;
          if (rate < this.keptRate * p.dropRatio) {
            this.currentRate = rate;
            this.hold = p.holdMs;
            this.setMode(this.other());
            this.enter(Phase.SETTLE_OTHER, nowMs, totalProbes);
          }
        }
        return;
    }
  }

  private other(): TxModeValue {
    return this.mode === TxMode.PARALLEL ? TxMode.SERIAL : TxMode.PARALLEL;
  }

  private enter(phase: Phase, nowMs: number, count: number): void {
    this.phase = phase;
    this.phaseStart = nowMs;
    this.phaseCount = count;
    this.watchStart = nowMs;
    this.watchCount = count;
  }
  private watchStart = 0;
  private watchCount = 0;
}
