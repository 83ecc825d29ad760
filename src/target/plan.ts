/**
 * The scan plan: targets and ports with excludes applied, sizes checked, and the index space
 * [0, range) that blackrock permutes and the picker maps to (ip, port) (reference §1.2, §5.2).
 */
import { ScanError } from '../error.js';
import type { RangeList4, RangeList6 } from './range-list.js';
import type { PortList } from './ports.js';

export interface PlanInput {
  readonly include4: RangeList4;
  readonly include6: RangeList6;
  readonly exclude4: RangeList4;
  readonly exclude6: RangeList6;
  readonly ports: PortList;
  readonly excludePorts: PortList;
  /** True when any IPv4 exclude was given (masscan's confirmation rule). */
  readonly hasExclude4: boolean;
}

export interface ScanPlan {
  readonly targets4: RangeList4;
  readonly targets6: RangeList6;
  readonly ports: PortList;
  /** IPv4 addresses after excludes. */
  readonly count4: number;
  /** IPv6 addresses after excludes (< 2^53 once the plan exists). */
  readonly count6: number;
  readonly nports: number;
  /** (count4 + count6) * nports: the size of the index space, < 2^53. */
  readonly range: number;
}

/** masscan's safety rule: more IPv4 addresses than this need an explicit IPv4 exclude. */
const CONFIRM_IPV4_LIMIT = 1_000_000_000;
/** Indexes are doubles: every index must be an exact integer. */
const MAX_SCAN_RANGE = 2 ** 53;

/**
 * Applies the excludes and checks the plan. Errors (ScanError), in this order:
 * - ERR_EMPTY_TARGETS: no address left (with a hint saying whether excludes removed them);
 * - ERR_TOO_BIG: more than 1e9 IPv4 addresses and no IPv4 exclude (masscan asks for
 *   `--exclude 255.255.255.255` as the confirmation);
 * - ERR_NO_PORTS: no port left;
 * - ERR_TOO_BIG: (addresses x ports) >= 2^53 (masscan's limit is 2^63; ours is where doubles
 *   stop being exact), naming the bit count requested.
 */
export function buildPlan(input: PlanInput): ScanPlan {
  const targets4 = input.include4.exclude(input.exclude4);
  const targets6 = input.include6.exclude(input.exclude6);
  const ports = input.ports.exclude(input.excludePorts);
  const n4 = targets4.count();
  const n6 = targets6.count();
  if (n4 === 0 && n6 === 0n) {
    const had = input.include4.count() > 0 || input.include6.count() > 0n;
    throw new ScanError(
      'ERR_EMPTY_TARGETS',
      had
        ? 'target IP address list empty: all addresses were removed by exclusion ranges'
        : 'target IP address list empty: give targets, e.g. --range 10.0.0.0/8 or 192.168.0.100-192.168.0.200',
    );
  }
  if (n4 > CONFIRM_IPV4_LIMIT && !input.hasExclude4) {
    throw new ScanError(
      'ERR_TOO_BIG',
      `range too big, need confirmation: ${n4} IPv4 addresses; to proceed, exclude something, ` +
        'e.g. --exclude 255.255.255.255 (or --excludefile with your exclusion list)',
    );
  }
  const nports = ports.count();
  if (nports === 0) {
    throw new ScanError(
      'ERR_NO_PORTS',
      'no ports were specified: use -p/--ports (e.g. -p80,443 or -p U:53), --top-ports N, or --ping',
    );
  }
  const total = (BigInt(n4) + n6) * BigInt(nports);
  if (total >= BigInt(MAX_SCAN_RANGE)) {
    throw new ScanError(
      'ERR_TOO_BIG',
      `scan range too large, max is 53-bits, requested is ${total.toString(2).length} bits ` +
        `(${total} probes); use smaller IPv6 ranges or fewer ports`,
    );
  }
  return {
    targets4,
    targets6,
    ports,
    count4: n4,
    count6: Number(n6),
    nports,
    range: Number(total),
  };
}
