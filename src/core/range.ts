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
