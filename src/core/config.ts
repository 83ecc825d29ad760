/**
 * The frozen scan configuration: what the command line, config files and paused.conf produce
 * and what the engine consumes. The options table (cli/options.ts) fills it; nothing else
 * writes it. It lives in core (which imports nothing) so every layer reads the same typed
 * fields. Field names here are a contract between cli/, engine/ and output/: add fields,
 * do not rename them.
 *
 * Target lists are kept as plain sorted, merged, inclusive ranges with excludes already
 * applied (which is also how --echo prints them).
 */
import type { PortRange, Range4, Range6 } from './range.js';

export type { PortRange, Range4, Range6 };

/** Format names accepted by --output-format / -oX etc. (`redis` is not supported). */
export type FormatName =
  | 'interactive'
  | 'list'
  | 'json'
  | 'ndjson'
  | 'grepable'
  | 'xml'
  | 'binary'
  | 'unicornscan'
  | 'hostonly'
  | 'certs'
  | 'report'
  | 'none';


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
  | 'nmap-help'
  | 'k8s-job' // --k8s-job N: print a Kubernetes Indexed Job manifest of the scan
  | 'merge'; // --merge FILES: combine binary scan files (one per shard) into one

/** The result stores (output/store/): a database instead of a file; the filename is the database. */
export type StoreFormatName = 'sqlite' | 'postgres';

/** The output formats (output/format.ts), the stores, plus `redis`: accepted here, refused when outputs open. */
export type OutputFormatName = FormatName | StoreFormatName | 'redis';

/** The probe --hello sends on every port. */
export type HelloName = 'http' | 'ssl' | 'smbv1';
/** The UDP/123 probes (--ntp-probe): NTP mode 3, mode 6 READVAR, mode 7 monlist. */
export type NtpProbe = 'client' | 'readvar' | 'monlist';
/** The TLS vulnerability check of every port (--heartbleed, --ticketbleed, --vuln X; banners/tls.ts VULN). */
export type VulnCheck = 'heartbleed' | 'ticketbleed' | 'poodle';
/** Banner app-protocol numbering of --readscan input files (output/app-proto.ts). */
export type AppNumbering = 'head' | '1.3.2';

/** What banner grabbing keeps (--capture / --nocapture). Default: cert only. */
export type CaptureType = 'cert' | 'servername' | 'html' | 'heartbleed' | 'ticketbleed';
/** Every capture type, in the order ScanConfig.capture lists them. */
export const CAPTURE_TYPES: readonly CaptureType[] = ['cert', 'servername', 'html', 'heartbleed', 'ticketbleed'];


/** The packet-template options of a scan, typed (ScanConfig.template). */
export interface TemplateOptions {
  readonly tcpMss: string | undefined;
  readonly tcpWscale: string | undefined;
  readonly tcpSackok: string | undefined;
  readonly tcpTsecho: string | undefined;
  readonly dataLength: number;
  readonly minPacket: number | undefined;
  readonly badsum: boolean;
}

/**
 * --k8s-job N and its --k8s-* settings (cli/k8s-job.ts): the Indexed Job that spreads
 * the scan over N pods, one shard each.
 */
export interface K8sJobSettings {
  /** Completions: the number of pods and shards (N). */
  readonly count: number;
  /** Container image (--k8s-image). */
  readonly image: string;
  /** Namespace of the Job (--k8s-namespace). */
  readonly namespace: string;
  /** Secret whose `url` key is the PostgreSQL URL (--k8s-secret). */
  readonly secret: string;
  /** PersistentVolumeClaim for per-shard -oB files instead of PostgreSQL (--k8s-pvc). */
  readonly pvc: string | undefined;
}

/**
 * One more adapter (masscan's `adapter[n]`, `adapter-ip[n]`, `adapter-mac[n]`, `router-ip[n]`,
 * `router-mac[n]`, `router-mac-ipv4[n]`, `router-mac-ipv6[n]` for n = 1..7). Adapter 0 is the
 * ScanConfig's own adapter fields. Each adapter has its own transmit and receive side and
 * owns the loop indices i with i mod (shards * adapters) == shard offset + n * shards
 * (target/shard.ts; with one shard: i mod adapters == n, as in masscan).
 */
export interface AdapterConfig {
  /** n of `adapter[n]` (1..7). */
  readonly index: number;
  readonly adapter: string;
  readonly adapterIp4: Range4 | undefined;
  readonly adapterIp6: bigint | undefined;
  readonly adapterMac: string | undefined;
  readonly routerMac4: string | undefined;
  readonly routerMac6: string | undefined;
  readonly routerIp: number | undefined;
}

/** The most adapters a scan may use (masscan: 8, indices 0..7). */
export const MAX_ADAPTERS = 8;

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
  /** Adapters 1..n-1 (`adapter[n]` ...), in index order, without gaps; empty: one adapter. */
  readonly extraAdapters: readonly AdapterConfig[];
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

  // --- banners (masscan-compat.md §1.6, §9.1) ---
  /** --connection-timeout, seconds (default 30): the longest life of a banner connection. */
  readonly connectionTimeout: number;
  /** --hello-timeout, seconds (default 2): how long to wait for the server to speak first. */
  readonly helloTimeout: number;
  /** --hello: the probe sent on every port. */
  readonly hello: HelloName | undefined;
  /** --hello-string[PORT] / --hello-file[PORT]: the bytes to send on PORT. */
  readonly helloStrings: ReadonlyMap<number, Uint8Array>;
  /** The HTTP probe's edits (--http-*). */
  readonly httpMethod: string | undefined;
  readonly httpUrl: string | undefined;
  readonly httpVersion: string | undefined;
  readonly httpHost: string | undefined;
  readonly httpUserAgent: string | undefined;
  /** --http-header: fields to replace or add, [name, value], in order. */
  readonly httpHeaders: readonly (readonly [string, string])[];
  /** --http-field-remove: field names to drop. */
  readonly httpFieldRemove: readonly string[];
  readonly httpCookies: readonly string[];
  readonly httpPayload: string | undefined;
  /** --tls-sni: the ClientHello's server name (none by default). */
  readonly tlsSni: string | undefined;
  /** False with --no-identify: no identification probes on ports without a hello. */
  readonly identify: boolean;
  /** --heartbleed / --ticketbleed / --vuln heartbleed|ticketbleed|poodle: the TLS check of every port. */
  readonly vulnCheck: VulnCheck | undefined;
  /** --nmap-payloads / --pcap-payloads: UDP payload files. */
  readonly nmapPayloads: string | undefined;
  readonly pcapPayloads: string | undefined;
  /** --ntp-probe: the UDP/123 probe (default client, mode 3). */
  readonly ntpProbe: NtpProbe;
  /** --rawudp: every UDP reply also gets an `unknown` banner of its whole payload. */
  readonly rawUdp: boolean;

  // --- readscan ---
  readonly readscanFiles: readonly string[];
  readonly bannerTypes: readonly string[];
  /** --readscan-numbering; undefined = HEAD's numbering. */
  readonly readscanNumbering: AppNumbering | undefined;
  /**
   * The packet-template options (reference §1.7): --tcp-mss, --tcp-wscale, --tcp-tsecho,
   * --tcp-sackok as given (undefined: not given; a number, or enable/disable), --data-length,
   * --min-packet (undefined: not given), --badsum.
   */
  readonly template: TemplateOptions;

  /**
   * --store-resume: the one result store's row of this scan's shard (same seed, shard and
   * index space) is taken over and the scan resumes from its resume index (a retried pod of
   * a --k8s-job), instead of a new row from the start; a row that is done sends nothing.
   */
  readonly storeResume?: boolean;

  /** --k8s-job and its --k8s-* settings; undefined without --k8s-job. */
  readonly k8sJob?: K8sJobSettings | undefined;

  /**
   * Every option as given, after normalisation of its name (`name` or `name[index]`) to its
   * canonical table name, in order. Only src/cli reads it (--echo prints from it, and
   * refused options keep their values here); every option that acts has a typed field above
   * (test/architecture.test.ts checks that nothing outside src/cli reads it).
   */
  readonly raw: ReadonlyMap<string, readonly string[]>;
}
