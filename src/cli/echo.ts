/**
 * --echo and paused.conf: the configuration as config-file text that parses back to the same
 * ScanConfig (parse(echo(c)) deep-equals c, tested option by option).
 *
 * The first part follows masscan's echo order and format (reference §3.2), so masscan can read
 * our echo and our paused.conf: `rate` as `%-10.0f`, `shard = 1/1`, the ports line, one
 * `range` line per range (`a`, `a/n` when the range is exactly one CIDR block, else `a-b`),
 * excludes already applied. Capture lines are printed once, as masscan 1.3.2 does (HEAD
 * prints them twice). Options masscan does not echo (ttl, wait, vlan, ...) and our own options
 * come after the range lines; masscan stops at the first option it does not know, so those
 * appear only when they differ from their defaults.
 *
 * NOTE: masscan's echo drops excludes, which also drops the "an exclude was given" fact its
 * 1e9-address safety rule reads. We keep it with one `exclude` line naming the first IPv4
 * address that is not a target (there always is one when an IPv4 exclude was given): it
 * removes nothing and masscan understands it.
 */
import { writeFileSync } from 'node:fs';
import { ScanError } from '../error.js';
import type { ScanConfig, Range4, Range6 } from '../core/config.js';
import { formatIPv4 } from '../target/ipv4.js';
import { formatIPv6 } from '../target/ipv6.js';
import { formatPortsForEcho } from '../target/ports.js';
import { quoteInput } from '../target/parse.js';
import { formatRate, formatMacDashes, plainDecimal } from './values.js';
import { OPTIONS, findOption } from './options.js';

/**
 * A refused option never changes the configuration (parse.ts accepts one only when it asks
 * for what is already so), so a line for it could only restate a default, and would read as
 * if the option worked: --echo and paused.conf leave every refused option out.
 */
function isRefused(key: string): boolean {
  return findOption(key.replace(/\[.*\]$/, ''))?.effect.is === 'refused';
}

/** Raw options printed in masscan's part of the echo (the rest go to the extras). */
const MASSCAN_RAW = [
  'rawudp', 'nmap-payloads', 'nmap-service-probes', 'pcap-payloads', 'hello', 'hello-timeout',
  'http-cookie', 'http-header', 'http-method', 'http-version', 'http-url', 'http-user-agent', 'http-host',
  'http-payload', 'min-packet', 'script', 'tcp-mss', 'tcp-wscale', 'tcp-tsecho', 'tcp-sackok',
];
const ADAPTER_RAW = ['adapter', 'adapter-ip', 'adapter-mac', 'router-ip', 'router-mac-ipv4', 'router-mac-ipv6'];

function isCidr(begin: bigint, end: bigint, bits: number): number {
  const size = end - begin + 1n;
  if ((size & (size - 1n)) !== 0n || begin % size !== 0n) return -1;
  let log = 0;
  while (1n << BigInt(log) < size) log++;
  return bits - log;
}

export function formatRange4(r: Range4): string {
  if (r.begin === r.end) return formatIPv4(r.begin);
  // masscan prints the whole space as a range, not 0.0.0.0/0.
  const p = r.begin === 0 && r.end === 0xffffffff ? -1 : isCidr(BigInt(r.begin), BigInt(r.end), 32);
  return p >= 0 ? `${formatIPv4(r.begin)}/${p}` : `${formatIPv4(r.begin)}-${formatIPv4(r.end)}`;
}

export function formatRange6(r: Range6): string {
  if (r.begin === r.end) return formatIPv6(r.begin);
  const full = r.begin === 0n && r.end === (1n << 128n) - 1n;
  const p = full ? -1 : isCidr(r.begin, r.end, 128);
  return p >= 0 ? `${formatIPv6(r.begin)}/${p}` : `${formatIPv6(r.begin)}-${formatIPv6(r.end)}`;
}

/** The first IPv4 address not in `targets` (sorted, merged), or undefined if they cover all. */
function firstGap4(targets: readonly Range4[]): number | undefined {
  let next = 0;
  for (const r of targets) {
    if (r.begin > next) return next;
    next = r.end + 1;
  }
  return next <= 0xffffffff ? next : undefined;
}

/** `hello-string[80]`-style keys sort by base name, then numerically by index. */
function rawKeysOf(c: ScanConfig, base: string): string[] {
  const keys: string[] = [];
  for (const k of c.raw.keys()) {
    if (k === base || (k.startsWith(`${base}[`) && k.endsWith(']'))) keys.push(k);
  }
  const idx = (k: string): number => (k === base ? -1 : Number(k.slice(base.length + 1, -1)));
  return keys.sort((x, y) => idx(x) - idx(y));
}

function plain(x: number): string {
  return Number.isInteger(x) ? String(x) : plainDecimal(x);
}

/** The config as config-file text. */
export function echoConfig(c: ScanConfig): string {
  const out: string[] = [];
  const line = (name: string, value: string | number): void => { if (!isRefused(name)) out.push(`${name} = ${value}`); };
  const printed = new Set<string>();
  const raw = (base: string): void => {
    for (const k of rawKeysOf(c, base)) {
      printed.add(k);
      for (const v of c.raw.get(k)!) line(k, v);
    }
  };

  if (c.resumeIndex !== 0) {
    out.push('', '# resume information');
    line('resume-index', c.resumeIndex);
  }
  if (c.resumeCount !== 0) line('resume-count', c.resumeCount);
  line('seed', c.seed.toString());
  if (c.arpscan) line('arpscan', 'true');
  line('rate', formatRate(c.rate));
  line('shard', `${c.shard.one}/${c.shard.of}`);
  if (c.banners) line('banners', 'true');
  raw('rawudp');
  if (c.retries !== 0) line('retries', c.retries);
  if (c.noreset) line('noreset', 'true');
  if (c.noFirewall) line('no-firewall', 'true');
  raw('nmap-payloads');
  raw('nmap-service-probes');
  if (c.offline) line('offline', 'true');
  if (c.pcapFilename !== undefined) line('pcap-filename', c.pcapFilename);
  raw('pcap-payloads');
  raw('hello');
  raw('hello-string');
  raw('hello-timeout');
  for (const k of ['http-cookie', 'http-header', 'http-method', 'http-version', 'http-url', 'http-user-agent',
    'http-host', 'http-payload']) raw(k);
  if (c.ndjsonStatus) line('ndjson-status', 'true');
  raw('min-packet');
  const cap = new Set(c.capture);
  if (!cap.has('cert')) line('nocapture', 'cert');
  line(cap.has('servername') ? 'capture' : 'nocapture', 'servername');
  if (cap.has('html')) line('capture', 'html');
  if (cap.has('heartbleed')) line('capture', 'heartbleed');
  if (cap.has('ticketbleed')) line('capture', 'ticketbleed');
  out.push('');
  for (const o of c.outputs) {
    line('output-filename', o.filename);
    line('output-format', o.format);
  }
  if (c.outputAppend) line('output-append', 'true');
  if (c.storeResume === true) line('store-resume', 'true');
  if (c.rotateSeconds !== 0) line('rotate', c.rotateSeconds);
  if (c.rotateDir !== '.') line('rotate-dir', c.rotateDir);
  if (c.rotateOffset !== 0) line('rotate-offset', c.rotateOffset);
  if (c.rotateSize !== 0) line('rotate-size', c.rotateSize);
  if (c.stylesheet !== undefined) line('stylesheet', c.stylesheet);
  raw('script');
  out.push('');
  for (const k of ['tcp-mss', 'tcp-wscale', 'tcp-tsecho', 'tcp-sackok']) raw(k);

  // adapter block
  if (c.adapter !== undefined) line('adapter', c.adapter);
  if (c.adapterIp4 !== undefined) {
    const r = c.adapterIp4;
    line('adapter-ip', r.begin === r.end ? formatIPv4(r.begin) : `${formatIPv4(r.begin)}-${formatIPv4(r.end)}`);
  }
  if (c.adapterIp6 !== undefined) line('adapter-ip', formatIPv6(c.adapterIp6));
  if (c.adapterMac !== undefined) line('adapter-mac', formatMacDashes(c.adapterMac));
  if (c.routerIp !== undefined) line('router-ip', formatIPv4(c.routerIp));
  if (c.routerMac4 !== undefined) line('router-mac-ipv4', formatMacDashes(c.routerMac4));
  if (c.routerMac6 !== undefined) line('router-mac-ipv6', formatMacDashes(c.routerMac6));
  for (let i = 1; i <= 7; i++) {
    for (const base of ADAPTER_RAW) {
      const k = `${base}[${i}]`;
      const vs = c.raw.get(k);
      if (vs === undefined) continue;
      printed.add(k);
      for (const v of vs) line(k, base.includes('mac') ? formatMacDashes(v) : v);
    }
  }
  if (c.adapterPort !== undefined) {
    line('adapter-port', c.adapterPort.begin === c.adapterPort.end
      ? String(c.adapterPort.begin) : `${c.adapterPort.begin}-${c.adapterPort.end}`);
  }
  out.push('# TARGET SELECTION (IP, PORTS, EXCLUDES)');
  line('ports', formatPortsForEcho(c.ports));
  for (const r of c.targets4) line('range', formatRange4(r));
  for (const r of c.targets6) line('range', formatRange6(r));

  // --- extras: options masscan does not echo, and ours
  const extras: string[] = [];
  const x = (name: string, value: string | number): void => { if (!isRefused(name)) extras.push(`${name} = ${value}`); };
  if (c.hasExclude4) {
    const gap = firstGap4(c.targets4);
    if (gap !== undefined) x('exclude', formatIPv4(gap));
  }
  if (c.ttl !== 255) x('ttl', c.ttl);
  if (c.wait !== 10) x('wait', c.wait === Infinity ? 'forever' : plain(c.wait));
  if (c.vlan !== undefined) x('vlan', c.vlan);
  if (c.blackrockRounds !== 14) x('blackrock-rounds', c.blackrockRounds);
  if (c.infinite) x('infinite', 'true');
  if (c.txThreads !== 0) x('tx-threads', c.txThreads);
  if (c.txBackend !== undefined) x('tx-backend', c.txBackend);
  if (c.txArbiter !== 'auto') x('tx-arbiter', c.txArbiter);
  if (c.bpf !== undefined) x('bpf', c.bpf);
  if (c.packetTrace) x('packet-trace', 'true');
  if (c.showClosed) x('show', 'closed');
  if (!c.showOpen) x('noshow', 'open');
  if (c.interactive) x('interactive', 'true');
  if (!c.status) x('status', 'false');
  if (c.verbosity !== 0) x('verbosity', c.verbosity);
  if (c.debug !== 0) x('debug-level', c.debug);
  for (const b of c.bannerTypes) x('banner-types', b);
  for (const f of c.readscanFiles) x('readscan', f);
  for (const def of OPTIONS) {
    if (def.state !== 'raw') continue;
    for (const k of rawKeysOf(c, def.name)) {
      if (printed.has(k) || MASSCAN_RAW.includes(k)) continue;
      for (const v of c.raw.get(k)!) x(k, v);
    }
  }
  if (extras.length > 0) out.push('', ...extras);
  return `${out.join('\n')}\n`;
}

/**
 * The paused.conf text: the echo with the resume information set. `resumeIndex` is the
 * unshuffled index to restart from, in --resume-index's meaning.
 */
export function pausedConfText(c: ScanConfig, resumeIndex: number): string {
  // A --resume-count window ends at resumeIndex + resumeCount; moving the index forward must
  // shrink the count so the resumed run still ends there. NOTE: a count of 0 means "all", so
  // a window with nothing left keeps 1 (one probe resent beats rescanning everything).
  const resumeCount = c.resumeCount > 0 ? Math.max(1, c.resumeIndex + c.resumeCount - resumeIndex) : 0;
  return echoConfig({ ...c, resumeIndex, resumeCount });
}

/** Writes paused.conf (for the engine on Ctrl-C). Throws ScanError if it cannot. */
export function writePausedConf(c: ScanConfig, resumeIndex: number, path = 'paused.conf'): void {
  try {
    writeFileSync(path, pausedConfText(c, resumeIndex));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
    throw new ScanError('ERR_FILE', `saving resume file ${quoteInput(path)}: ${code}`);
  }
}

// --echo (the configuration as a config file), --echo-cidr (the targets as the fewest aligned
// CIDR blocks) and --readrange (the targets as ranges): they print and exit 0.

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
