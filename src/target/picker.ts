/**
 * Index -> (address, port) (reference §5.2). The address varies fastest: within a family's
 * block, x selects address (x mod N) and port (x div N) with N that family's address count.
 *
 * Scans (`pickScan`) put the IPv6 block first: x < N6*P is IPv6, the rest IPv4 after
 * subtracting N6*P. The `-sL` listing (`pickList`) puts IPv4 first. Both orders are masscan's,
 * and they agree for single-family scans.
 *
 * Hot path: writes into a caller-owned Target, allocates nothing, no BigInt. x must be an
 * integer in [0, plan.range); plan.range < 2^53 makes floor(x / N) exact.
 */
import type { RangeList4, RangeList6 } from './range-list.js';
import type { PortList } from './ports.js';
import type { ScanPlan } from './plan.js';

/** A reusable target slot. `ip6` holds 4 u32 words, most significant first. */
export class Target {
  version: 4 | 6 = 4;
  ip4 = 0;
  readonly ip6: Uint32Array = new Uint32Array(4);
  /** Internal port value (see ports.ts). */
  port = 0;
}

export class Picker {
  private readonly t4: RangeList4;
  private readonly t6: RangeList6;
  private readonly ports: PortList;
  private readonly n4: number;
  private readonly n6: number;
  /** Size of the IPv6 block (N6 * P) and of the IPv4 block (N4 * P). */
  private readonly n6p: number;
  private readonly n4p: number;
  readonly range: number;

  constructor(plan: ScanPlan) {
    this.t4 = plan.targets4;
    this.t6 = plan.targets6;
    this.ports = plan.ports;
    this.n4 = plan.count4;
    this.n6 = plan.count6;
    this.n6p = plan.count6 * plan.nports;
    this.n4p = plan.count4 * plan.nports;
    this.range = plan.range;
    // Queries merge lazily; do it now so the hot path never does.
    this.t4.merge();
    this.t6.merge();
    this.ports.merge();
  }

  /** Scan order: IPv6 block first, then IPv4. */
  pickScan(x: number, out: Target): void {
    if (x < this.n6p) {
      const n = this.n6;
      const q = Math.floor(x / n);
      out.version = 6;
      this.t6.pickWords(x - q * n, out.ip6);
      out.port = this.ports.pick(q);
    } else {
      const n = this.n4;
      const y = x - this.n6p;
      const q = Math.floor(y / n);
      out.version = 4;
      out.ip4 = this.t4.pick(y - q * n);
      out.port = this.ports.pick(q);
    }
  }

  /** `-sL` order: IPv4 block first, then IPv6. */
  pickList(x: number, out: Target): void {
    if (x < this.n4p) {
      const n = this.n4;
      const q = Math.floor(x / n);
      out.version = 4;
      out.ip4 = this.t4.pick(x - q * n);
      out.port = this.ports.pick(q);
    } else {
      const n = this.n6;
      const y = x - this.n4p;
      const q = Math.floor(y / n);
      out.version = 6;
      this.t6.pickWords(y - q * n, out.ip6);
      out.port = this.ports.pick(q);
    }
  }
}
