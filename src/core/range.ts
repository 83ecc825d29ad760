/**
 * Inclusive ranges, the one shape shared by the config, the target lists, the engine and the
 * outputs. Lists of them are kept sorted and merged by their producers (target/range-list.ts).
 */

/** An inclusive IPv4 range of u32s. */
export interface Range4 {
  readonly begin: number;
  readonly end: number;
}

/** An inclusive IPv6 range of bigints (< 2^128). */
export interface Range6 {
  readonly begin: bigint;
  readonly end: bigint;
}

/** An inclusive range of ports in masscan's internal encoding (core/ports.ts). */
export interface PortRange {
  readonly begin: number;
  readonly end: number;
}

/** How many ports the ranges hold. */
export function countPorts(ports: readonly PortRange[]): number {
  let n = 0;
  for (const p of ports) n += p.end - p.begin + 1;
  return n;
}

/** How many IPv4 addresses the ranges hold. */
export function count4(r: readonly Range4[]): number {
  let n = 0;
  for (const x of r) n += x.end - x.begin + 1;
  return n;
}

/** How many IPv6 addresses the ranges hold. */
export function count6(r: readonly Range6[]): bigint {
  let n = 0n;
  for (const x of r) n += x.end - x.begin + 1n;
  return n;
}
