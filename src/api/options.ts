/**
 * The library's scan options: one typed field for each command-line option that makes sense
 * in a program (no output files, console, operations or config-file plumbing: a program gets
 * records and events instead). They are checked for their JavaScript type here, then written
 * as the command line's option pairs and put through the same parser and config builder as
 * the command line (cli/parse.ts), so a bad value fails with the same ScanError, code and
 * message as it does there (e.g. `--rate: ...`, code ERR_BAD_RATE).
 *
 * The default configuration file (/etc/tidescan/tidescan.conf) is NOT read: a program states
 * its options (`conf` reads a file explicitly).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScanError } from '../error.js';
import type { CaptureType, HelloName, ScanConfig } from '../core/config.js';
import { parseCommandLine, type ParseIo } from '../cli/parse.js';
import { clipInput } from '../target/parse.js';

/** The network side of a scan; every field defaults as on the command line. */
export interface AdapterOptions {
  /** Interface name (--adapter; default: the interface of the default route). */
  readonly name?: string;
  /** Gateway MAC for IPv4 and IPv6 (--router-mac; skips ARP/NDP). */
  readonly routerMac?: string;
  /** Gateway IPv4 address to ARP for (--router-ip). */
  readonly routerIp?: string;
  /** Source address: IPv4, IPv4 range of 2^n addresses, or IPv6 (--adapter-ip). */
  readonly sourceIp?: string;
  /** Source MAC (--adapter-mac). */
  readonly sourceMac?: string;
  /** 802.1Q VLAN tag (--vlan). */
  readonly vlan?: number;
}

/** Banner grabbing settings (with `banners: true`); each defaults as on the command line. */
export interface BannerOptions {
  /** Longest life of a banner connection, seconds (--connection-timeout, default 30). */
  readonly connectionTimeout?: number;
  /** How long to wait for the server to speak first, seconds (--hello-timeout, default 2). */
  readonly helloTimeout?: number;
  /** The probe sent on every port (--hello). */
  readonly hello?: HelloName;
  readonly httpUserAgent?: string;
  readonly httpHost?: string;
  readonly httpMethod?: string;
  readonly httpUrl?: string;
  readonly httpVersion?: string;
  /** Replace or add HTTP header fields (--http-header Name:Value). */
  readonly httpHeaders?: Readonly<Record<string, string>>;
  /** TLS server name sent in the ClientHello (--tls-sni). */
  readonly tlsSni?: string;
  /** What to keep (--capture), e.g. ['cert', 'html']. */
  readonly capture?: readonly CaptureType[];
  /** Do not add the firewall rule that keeps the host's kernel from resetting banner connections (--no-firewall). */
  readonly noFirewall?: boolean;
}

export interface ScanOptions {
  /** Addresses, ranges (a-b) and CIDR blocks, IPv4 or IPv6 (--range). */
  readonly targets: string | readonly string[];
  /** Never scan these (--exclude). */
  readonly exclude?: string | readonly string[];
  /** Port list in the command line's grammar (`80,443`, `T:80,U:53`, `S:38412`, `I:0`), or numbers (TCP). */
  readonly ports?: string | number | readonly (string | number)[];
  /** Never probe these ports (--exclude-ports). */
  readonly excludePorts?: string;
  /** Add the first N of nmap's top TCP ports (--top-ports). */
  readonly topPorts?: number;
  /** Other IP protocol numbers to probe (--oproto), e.g. `47` or `1-255`. */
  readonly oproto?: string;
  /** ICMP echo every target (--ping): 'host' records. */
  readonly ping?: boolean;
  /** ARP scan of the local subnet (--arpscan): 'host' records with MACs. */
  readonly arp?: boolean;
  /** Packets per second (--rate, default 100). */
  readonly rate?: number;
  /** 64-bit seed of the target order and cookies (--seed; default random). Shards must share it. */
  readonly seed?: bigint | number;
  /** Scan only shard `index` of `count` (--shard index/count; 1-based as on the command line). */
  readonly shard?: { readonly index: number; readonly count: number };
  /** Start at this index (a summary's or progress event's `resumeIndex`), optionally cover only `count` (--resume-index, --resume-count). */
  readonly resume?: { readonly index: number; readonly count?: number };
  /** Send R more probes per target (--retries). */
  readonly retries?: number;
  /** Seconds to wait for late replies after the last probe (--wait; default 10). */
  readonly wait?: number | 'forever';
  /** IP TTL / hop limit of probes (--ttl). */
  readonly ttl?: number;
  /** Rounds of the target permutation (--blackrock-rounds). */
  readonly blackrockRounds?: number;
  /** Transmit workers (--tx-threads; default: one per core, one for slow scans). */
  readonly txThreads?: number;
  /** Repeat the scan forever, seed+1 per pass (--infinite). */
  readonly infinite?: boolean;
  readonly adapter?: AdapterOptions;
  /** Source port, or a range of 2^n ports `a-b` (--adapter-port). */
  readonly sourcePort?: number | string;
  /** Build probes but never send them (--offline). */
  readonly offline?: boolean;
  /** Kernel transmit path (--tx-backend). */
  readonly txBackend?: 'sendmmsg' | 'txring';
  /** Extra BPF filter on received packets (--bpf). */
  readonly bpf?: string;
  /** Write received packets to this pcap file (--pcap-filename). */
  readonly pcapFilename?: string;
  /** Grab banners (--banners): 'banner' records. */
  readonly banners?: boolean;
  readonly bannerOptions?: BannerOptions;
  /** Do not answer SYN-ACKs with RST (--noreset). */
  readonly noreset?: boolean;
  /** UDP payloads from an nmap-payloads file / a pcap file (--nmap-payloads, --pcap-payloads). */
  readonly nmapPayloads?: string;
  readonly pcapPayloads?: string;
  /** A configuration file in the command line's format, applied first (--conf). */
  readonly conf?: string;
  /** Stops the scan: sending stops at an exact index, late replies are awaited for `wait` seconds, `done` resolves with `aborted` and `resumeIndex`. */
  readonly signal?: AbortSignal;
  /** Records held for a slow consumer (default 65536); what does not fit is counted in `dropped`. */
  readonly bufferSize?: number;
}

/** The options of listTargets(): the target plan, without the network. */
export type ListOptions = Pick<ScanOptions,
  'targets' | 'exclude' | 'ports' | 'excludePorts' | 'topPorts' | 'oproto' | 'ping' | 'arp' | 'seed' | 'shard' | 'resume' |
  'blackrockRounds' | 'conf'>;

/** Default `bufferSize`. */
export const DEFAULT_BUFFER = 65_536;
const MAX_BUFFER = 1 << 24;

type Kind = 'string' | 'number' | 'boolean' | 'object' | 'bigint';

function bad(field: string, v: unknown, want: string): never {
  let shown: string;
  try {
    shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(JSON.stringify(v) ?? String(v));
  } catch {
    shown = Object.prototype.toString.call(v);
  }
  throw new ScanError('ERR_BAD_OPTION', `${field}: ${clipInput(shown)}: expected ${want}`);
}

function check(field: string, v: unknown, kinds: readonly Kind[], want: string): void {
  const t = typeof v;
  if (!(kinds as readonly string[]).includes(t) || v === null) bad(field, v, want);
  if (t === 'number' && !Number.isFinite(v as number)) bad(field, v, want);
}

function list(field: string, v: unknown, numbersOk: boolean): string[] {
  const one = (x: unknown): string => {
    if (typeof x === 'string') return x;
    if (numbersOk && typeof x === 'number' && Number.isInteger(x)) return String(x);
    return bad(field, x, numbersOk ? 'a string or an integer' : 'a string');
  };
  if (Array.isArray(v)) return (v as unknown[]).map(one);
  return [one(v)];
}

const SCAN_KEYS = new Set<string>([
  'targets', 'exclude', 'ports', 'excludePorts', 'topPorts', 'oproto', 'ping', 'arp', 'rate', 'seed', 'shard', 'resume',
  'retries', 'wait', 'ttl', 'blackrockRounds', 'txThreads', 'infinite', 'adapter', 'sourcePort', 'offline', 'txBackend', 'bpf',
  'pcapFilename', 'banners', 'bannerOptions', 'noreset', 'nmapPayloads', 'pcapPayloads', 'conf', 'signal', 'bufferSize',
]);
const LIST_KEYS = new Set<string>([
  'targets', 'exclude', 'ports', 'excludePorts', 'topPorts', 'oproto', 'ping', 'arp', 'seed', 'shard', 'resume',
  'blackrockRounds', 'conf',
]);
const ADAPTER_KEYS = new Set<string>(['name', 'routerMac', 'routerIp', 'sourceIp', 'sourceMac', 'vlan']);
const BANNER_KEYS = new Set<string>([
  'connectionTimeout', 'helloTimeout', 'hello', 'httpUserAgent', 'httpHost', 'httpMethod', 'httpUrl', 'httpVersion',
  'httpHeaders', 'tlsSni', 'capture', 'noFirewall',
]);

function knownKeys(what: string, o: object, keys: ReadonlySet<string>): void {
  for (const k of Object.keys(o)) {
    if (!keys.has(k)) throw new ScanError('ERR_USAGE', `unknown option: ${what}${clipInput(k)} (known: ${[...keys].join(', ')})`);
  }
}

/** The command line's option pairs for `o` (type-checked; values are the parser's to check). */
export function optionArgs(o: ScanOptions | ListOptions, keys: 'scan' | 'list' = 'scan'): string[] {
  if (typeof o !== 'object' || o === null) bad('options', o, 'an object');
  knownKeys('', o, keys === 'scan' ? SCAN_KEYS : LIST_KEYS);
  const s = o as ScanOptions;
  const a: string[] = [];
  const pair = (name: string, v: string): void => { a.push(`--${name}`, v); };
  const str = (field: string, name: string, v: unknown): void => {
    if (v === undefined) return;
    check(field, v, ['string'], 'a string');
    pair(name, v as string);
  };
  const num = (field: string, name: string, v: unknown): void => {
    if (v === undefined) return;
    check(field, v, ['number'], 'a number');
    pair(name, String(v));
  };
  const flag = (field: string, name: string, v: unknown): void => {
    if (v === undefined) return;
    check(field, v, ['boolean'], 'true or false');
    if (v === true) a.push(`--${name}`);
  };

  if (s.conf !== undefined) str('conf', 'conf', s.conf);
  if (s.targets === undefined) throw new ScanError('ERR_EMPTY_TARGETS', 'targets: no targets given (addresses, ranges or CIDR blocks)');
  for (const t of list('targets', s.targets, false)) pair('range', t);
  if (s.exclude !== undefined) for (const t of list('exclude', s.exclude, false)) pair('exclude', t);
  if (s.ports !== undefined) {
    const ps = list('ports', s.ports, true);
    if (ps.length > 0) pair('ports', ps.join(','));
  }
  str('excludePorts', 'exclude-ports', s.excludePorts);
  num('topPorts', 'top-ports', s.topPorts);
  str('oproto', 'oproto', s.oproto);
  flag('ping', 'ping', s.ping);
  flag('arp', 'arpscan', s.arp);
  if (s.seed !== undefined) {
    check('seed', s.seed, ['bigint', 'number'], 'a bigint or a safe integer');
    if (typeof s.seed === 'number' && !Number.isSafeInteger(s.seed)) bad('seed', s.seed, 'a bigint or a safe integer');
    pair('seed', String(s.seed));
  }
  if (s.shard !== undefined) {
    check('shard', s.shard, ['object'], '{ index, count }');
    knownKeys('shard.', s.shard, new Set(['index', 'count']));
    check('shard.index', s.shard.index, ['number'], 'a number');
    check('shard.count', s.shard.count, ['number'], 'a number');
    pair('shard', `${s.shard.index}/${s.shard.count}`);
  }
  if (s.resume !== undefined) {
    check('resume', s.resume, ['object'], '{ index, count? }');
    knownKeys('resume.', s.resume, new Set(['index', 'count']));
    num('resume.index', 'resume-index', s.resume.index);
    num('resume.count', 'resume-count', s.resume.count);
  }
  num('blackrockRounds', 'blackrock-rounds', s.blackrockRounds);
  if (keys === 'list') return a;

  num('rate', 'rate', s.rate);
  num('retries', 'retries', s.retries);
  if (s.wait !== undefined) {
    if (s.wait === 'forever') pair('wait', 'forever');
    else num('wait', 'wait', s.wait);
  }
  num('ttl', 'ttl', s.ttl);
  num('txThreads', 'tx-threads', s.txThreads);
  flag('infinite', 'infinite', s.infinite);
  if (s.adapter !== undefined) {
    check('adapter', s.adapter, ['object'], '{ name?, routerMac?, sourceIp?, ... }');
    knownKeys('adapter.', s.adapter, ADAPTER_KEYS);
    str('adapter.name', 'adapter', s.adapter.name);
    str('adapter.routerMac', 'router-mac', s.adapter.routerMac);
    str('adapter.routerIp', 'router-ip', s.adapter.routerIp);
    str('adapter.sourceIp', 'adapter-ip', s.adapter.sourceIp);
    str('adapter.sourceMac', 'adapter-mac', s.adapter.sourceMac);
    num('adapter.vlan', 'vlan', s.adapter.vlan);
  }
  if (s.sourcePort !== undefined) {
    check('sourcePort', s.sourcePort, ['number', 'string'], 'a port number or a range a-b');
    pair('adapter-port', String(s.sourcePort));
  }
  flag('offline', 'offline', s.offline);
  str('txBackend', 'tx-backend', s.txBackend);
  str('bpf', 'bpf', s.bpf);
  str('pcapFilename', 'pcap-filename', s.pcapFilename);
  flag('banners', 'banners', s.banners);
  const b = s.bannerOptions;
  if (b !== undefined) {
    check('bannerOptions', b, ['object'], 'an object');
    knownKeys('bannerOptions.', b, BANNER_KEYS);
    num('bannerOptions.connectionTimeout', 'connection-timeout', b.connectionTimeout);
    num('bannerOptions.helloTimeout', 'hello-timeout', b.helloTimeout);
    str('bannerOptions.hello', 'hello', b.hello);
    str('bannerOptions.httpUserAgent', 'http-user-agent', b.httpUserAgent);
    str('bannerOptions.httpHost', 'http-host', b.httpHost);
    str('bannerOptions.httpMethod', 'http-method', b.httpMethod);
    str('bannerOptions.httpUrl', 'http-url', b.httpUrl);
    str('bannerOptions.httpVersion', 'http-version', b.httpVersion);
    if (b.httpHeaders !== undefined) {
      check('bannerOptions.httpHeaders', b.httpHeaders, ['object'], 'an object of name: value');
      for (const [k, v] of Object.entries(b.httpHeaders)) {
        check(`bannerOptions.httpHeaders.${clipInput(k)}`, v, ['string'], 'a string');
        pair('http-header', `${k}:${v}`);
      }
    }
    str('bannerOptions.tlsSni', 'tls-sni', b.tlsSni);
    if (b.capture !== undefined) for (const c of list('bannerOptions.capture', b.capture, false)) pair('capture', c);
    flag('bannerOptions.noFirewall', 'no-firewall', b.noFirewall);
  }
  flag('noreset', 'noreset', s.noreset);
  str('nmapPayloads', 'nmap-payloads', s.nmapPayloads);
  str('pcapPayloads', 'pcap-payloads', s.pcapPayloads);
  return a;
}

/** The parse environment of a library call: no default config file; warnings collected. */
export function apiParseIo(warnings: string[]): ParseIo {
  return {
    readFile: (p) => readFileSync(p),
    env: { TIDESCAN_NO_DEFAULT_CONFIG: '1' },
    cwd: process.cwd(),
    now: () => Date.now(),
    randomSeed: () => randomBytes(8).readBigUInt64BE(0),
    warn: (line) => { warnings.push(line); },
  };
}

/** The frozen ScanConfig of a library scan (or -sL plan), through the command line's parser. */
export function configFromOptions(o: ScanOptions | ListOptions, keys: 'scan' | 'list', io: ParseIo): ScanConfig {
  const argv = optionArgs(o, keys);
  if (keys === 'list') argv.push('-sL');
  return parseCommandLine(argv, io);
}

/** The options that are the library's own (not the command line's), checked. */
export function libraryOptions(o: ScanOptions): { signal: AbortSignal | undefined; bufferSize: number } {
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) bad('signal', '[object]', 'an AbortSignal');
  let bufferSize = DEFAULT_BUFFER;
  if (o.bufferSize !== undefined) {
    check('bufferSize', o.bufferSize, ['number'], `an integer from 1 to ${MAX_BUFFER}`);
    if (!Number.isInteger(o.bufferSize) || o.bufferSize < 1 || o.bufferSize > MAX_BUFFER) {
      bad('bufferSize', o.bufferSize, `an integer from 1 to ${MAX_BUFFER}`);
    }
    bufferSize = o.bufferSize;
  }
  return { signal, bufferSize };
}
