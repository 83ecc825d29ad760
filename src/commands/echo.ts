/**
 * `--echo` (the configuration as a config file), `--echo-cidr` (the targets as the fewest
 * aligned CIDR blocks) and `--readrange` (the targets as ranges): they print and exit 0.
 * The text of the options table (`echoConfig`) stays in cli/echo.ts, next to the table.
 */
import type { ScanConfig, Range4, Range6 } from '../core/config.js';
import { echoConfig, formatRange4, formatRange6 } from '../cli/echo.js';
import { formatIPv4 } from '../target/ipv4.js';
import { formatIPv6 } from '../target/ipv6.js';

/** The fewest aligned CIDR blocks covering r, in order, as `ip/prefix` (0.0.0.0/0 included). */
export function cidrBlocks4(r: Range4, out: string[]): void {
  let b = r.begin;
  while (b <= r.end) {
    let size = 1;
    let prefix = 32;
    while (prefix > 0 && b % (size * 2) === 0 && b + size * 2 - 1 <= r.end) { size *= 2; prefix--; }
    out.push(`${formatIPv4(b)}/${prefix}`);
    b += size;
  }
}

export function cidrBlocks6(r: Range6, out: string[]): void {
  let b = r.begin;
  while (b <= r.end) {
    let size = 1n;
    let prefix = 128;
    while (prefix > 0 && b % (size * 2n) === 0n && b + size * 2n - 1n <= r.end) { size *= 2n; prefix--; }
    out.push(`${formatIPv6(b)}/${prefix}`);
    b += size;
  }
}

export function echoText(config: ScanConfig): string {
  return echoConfig(config);
}

export function echoCidrText(config: ScanConfig): string {
  const out: string[] = [];
  for (const r of config.targets4) cidrBlocks4(r, out);
  for (const r of config.targets6) cidrBlocks6(r, out);
  return out.map((l) => `${l}\n`).join('');
}

export function readrangeText(config: ScanConfig): string {
  const out: string[] = [];
  for (const r of config.targets4) out.push(formatRange4(r));
  for (const r of config.targets6) out.push(formatRange6(r));
  return out.map((l) => `${l}\n`).join('');
}
