/**
 * The frozen scan configuration: what the command line, config files and paused.conf produce
 * and what the engine consumes. The options table (cli/options.ts) fills it; nothing else
 * writes it. Field names here are a contract between cli/, engine/ and output/: add fields,
 * do not rename them.
 *
 * Target lists are kept as plain sorted, merged, inclusive ranges with excludes already
 * applied (which is also how --echo prints them).
 */
import type { FormatName } from '../output/format.js';

export type Operation =
  | 'scan' // the default: send probes
  | 'list' // -sL
  | 'echo' // --echo / --echo-all
  | 'echo-cidr' // --echo-cidr
  | 'readscan' // --readscan FILES
  | 'readrange' // --readrange
  | 'iflist' // --iflist
  | 'selftest'
  | 'benchmark'
  | 'help'
  | 'usage' // -h / no operation
  | 'version'
  | 'nmap-help';

/** The output formats (output/format.ts) plus `redis`: accepted here, refused when outputs open. */
export type OutputFormatName = FormatName | 'redis';

/** What banner grabbing keeps (--capture / --nocapture). Default: cert only. */
export type CaptureType = 'cert' | 'servername' | 'html' | 'heartbleed' | 'ticketbleed';
/** Every capture type, in the order ScanConfig.capture lists them. */
export const CAPTURE_TYPES: readonly CaptureType[] = ['cert', 'servername', 'html', 'heartbleed', 'ticketbleed'];

export interface Range4 { readonly begin: number; readonly end: number }
export interface Range6 { readonly begin: bigint; readonly end: bigint }
/** Ports in masscan's internal encoding (TCP p, UDP 65536+p, SCTP 131072+p, ICMP 196608, ...). */
export interface PortRange { readonly begin: number; readonly end: number }

export interface ScanConfig {
  readonly operation: Operation;

  // --- what to scan (excludes already applied) ---
  readonly targets4: readonly Range4[];
  readonly targets6: readonly Range6[];
  readonly ports: readonly PortRange[];
  /** True when any IPv4 exclude was given (masscan's 1e9-address safety rule). */
  readonly hasExclude4: boolean;

  // --- order, sharding, resume ---
  /** 64-bit seed. */
  readonly seed: bigint;
  readonly blackrockRounds: number; // 14
  readonly shard: { readonly one: number; readonly of: number }; // 1/1
  readonly resumeIndex: number;
  readonly resumeCount: number; // 0 = all
  /** R retries = R+1 probes per target (not masscan's (R+1)^2). */
  readonly retries: number;
  readonly infinite: boolean;

  // --- speed and timing ---
  readonly rate: number; // packets per second, may be fractional (0.1)
  /** Seconds to wait for replies after the last probe; Infinity for `forever`. */
  readonly wait: number;
  /** Transmit worker count; 0 = one per core. */
  readonly txThreads: number;

  // --- adapter / link ---
  readonly adapter: string | undefined;
  readonly adapterIp4: Range4 | undefined; // single address or power-of-2 range
  readonly adapterIp6: bigint | undefined;
  readonly adapterPort: PortRange | undefined; // single port or power-of-2 range (plain numbers)
  readonly adapterMac: string | undefined; // 'aa:bb:cc:dd:ee:ff'
  readonly routerMac4: string | undefined;
  readonly routerMac6: string | undefined;
  readonly routerIp: number | undefined;
  readonly vlan: number | undefined;
  readonly ttl: number; // 255
  readonly offline: boolean;
  readonly txBackend: 'sendmmsg' | 'txring' | undefined; // undefined = the measured default
  /** How transmit workers share the interface (engine/tx-arbiter.ts). */
  readonly txArbiter: 'auto' | 'parallel' | 'serial';
  readonly bpf: string | undefined;

  // --- scan behaviour ---
  readonly noreset: boolean;
  /** --no-firewall: with --banners, add no nftables rule against the kernel's RSTs. */
  readonly noFirewall: boolean;
  readonly arpscan: boolean;
  readonly banners: boolean;
  readonly packetTrace: boolean;
  readonly pcapFilename: string | undefined;
  /** Enabled capture types, in the order cert, servername, html, heartbleed, ticketbleed. */
  readonly capture: readonly CaptureType[];

  // --- output ---
  readonly outputs: readonly { readonly format: OutputFormatName; readonly filename: string }[];
  readonly outputAppend: boolean;
  readonly showOpen: boolean; // true
  readonly showClosed: boolean; // false (--show closed)
  readonly interactive: boolean; // also print to stdout when writing files
  readonly status: boolean; // periodic status line
  readonly ndjsonStatus: boolean;
  readonly rotateSeconds: number; // 0 = off
  readonly rotateOffset: number;
  readonly rotateSize: number; // bytes, 0 = off
  readonly rotateDir: string; // '.'
  readonly stylesheet: string | undefined;
  readonly verbosity: number; // -v count
  readonly debug: number; // -d count

  // --- readscan ---
  readonly readscanFiles: readonly string[];
  readonly bannerTypes: readonly string[];

  /**
   * Every option as given, after normalisation of its name (`name` or `name[index]`) to its
   * canonical table name, in order; options with no dedicated field above (banner settings,
   * HTTP fields, ...) are read from here by later work, and --echo prints from the table.
   */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}
