/**
 * The one options table. It drives command-line parsing, config files and paused.conf (same
 * names, reference §3.1), --help, and --echo (echo.ts prints every option whose `state` is
 * not 'none'; test/cli/options.test.ts checks each one reads back to the same config).
 *
 * Names follow masscan (reference §1): `-`, `_` and `.` are ignored and case does not matter
 * when matching, and every alias masscan accepts is listed.
 *
 * Each entry's `effect` says whether it acts, is refused, or is one of masscan's no-ops
 * (OptionEffect). Options that only later work will act on (banners, HTTP fields, hello
 * probes, packet-template options, ...) are refused, but their values are still parsed and
 * checked here and kept in dedicated ScanConfig fields or in `raw` under their canonical name,
 * ready for the day their entry says `acts`.
 */
import { ScanError } from '../error.js';
import { type OutputFormatName, type CaptureType, type Operation, CAPTURE_TYPES } from '../core/config.js';
import { type Draft, rawSet, rawAdd } from './draft.js';
import { parseIPv4 } from '../target/ipv4.js';
import { parseIPv6 } from '../target/ipv6.js';
import { quoteInput, clipInput } from '../target/parse.js';
import {
  parseBool, isBoolWord, isAllDigits, fail, parseUintBase0, parseUintDec, parseU64, parseRate,
  parseSeconds, parsePeriod, parseOffset, parseSize, parseMac, lookup, refuseLineBreak,
} from './values.js';

/**
 * How an option takes its value on the command line:
 * - flag: never consumes the next argument (`--name=value` may still give one; booleans).
 * - value: consumes the next argument when none is attached.
 * - numable: consumes the next argument only if it is all digits or a boolean word (§1.1).
 * - files: consumes every following argument that does not start with `-` (--readscan).
 */
export type OptionKind = 'flag' | 'value' | 'numable' | 'files';

/**
 * Where an option leaves its effect, which decides how --echo shows it:
 * - field: a dedicated ScanConfig field; - raw: config.raw under the canonical name;
 * - targets: the target/port lists (echoed as ports/range lines);
 * - operation: selects what the program does (not echoed);
 * - include: reads another config file; - none: accepted with no lasting effect.
 */
export type OptionState = 'field' | 'raw' | 'targets' | 'operation' | 'include' | 'none';

/**
 * What an option does (issue 11: no option is accepted and then ignored). Every entry says one
 * of three things, and test/cli/options-effect.test.ts holds the table to it:
 * - acts: `reads` names what carries its effect out of src/cli, and that thing is read there:
 *   a ScanConfig field (`rate`), a raw key (`raw:debug`, refused options only), an operation
 *   that the operation table runs (src/commands/index.ts, `op:echo`), or cli code that acts on
 *   it itself (`cli:parse.ts:includeFile`:
 *   that file uses that name). The test fails when nothing outside src/cli reads a field or key.
 * - refused: nothing acts on it yet. Using it (command line, config file, paused.conf) is an
 *   error `<option>: <why>`, unless applying it leaves the configuration exactly as it was
 *   (`--nobanners`, `--banners=false`, `--nocapture servername`: they ask for the default).
 *   Its value is still parsed and its field kept, and `reads` says what will read it, so
 *   turning it on is one line: `refused(...)` becomes `acts(...)`.
 *   `own`: the option's apply always throws its own message (nmap refusals, --banner1).
 * - noop: accepted and ignored because masscan ignores it too; README.md lists each one.
 */
export type OptionEffect =
  | { readonly is: 'acts'; readonly reads: readonly string[] }
  | { readonly is: 'refused'; readonly why: string; readonly reads: readonly string[]; readonly own?: true }
  | { readonly is: 'noop'; readonly why: string };

/** The message of a refused option, after its name. */
export const NOT_SUPPORTED_YET = 'not supported yet';

function acts(...reads: string[]): OptionEffect {
  return { is: 'acts', reads };
}
function refused(...reads: string[]): OptionEffect {
  return { is: 'refused', why: NOT_SUPPORTED_YET, reads };
}
function refusedBecause(why: string, ...reads: string[]): OptionEffect {
  return { is: 'refused', why, reads };
}
function noop(why: string): OptionEffect {
  return { is: 'noop', why };
}
const refusedOwn: OptionEffect = { is: 'refused', why: NOT_SUPPORTED_YET, reads: [], own: true };

/**
 * Single-dash options that masscan accepts and ignores, as the table's noops (parse.ts).
 */
export const DASH_NOOPS: Readonly<Record<string, string>> = {
  '-6': 'IPv6 targets are scanned whenever they are given; the flag adds nothing',
  '-n': 'no DNS resolution is ever done',
  '-Pn': 'every target is probed; there is no host discovery to skip',
  '-sY': 'SCTP is -sZ / S:ports; masscan also accepts -sY and does nothing with it',
};

/** Which `[index]` an option takes: none, adapter number 0-7, a port 0-65535, or any name. */
export type IndexKind = 'none' | 'adapter' | 'port' | 'name';

export type HelpGroup =
  | 'targets' | 'speed' | 'adapter' | 'output' | 'banners' | 'template' | 'operations' | 'nmap' | 'misc';

/** Everything an option may need besides its value. */
export interface ApplyContext {
  /** The option as the user wrote it, for messages: `--rate`, `-p`, `scan.conf:3: rate`. */
  readonly what: string;
  /** The text inside `[...]` after the name, if any (validated against `index`). */
  readonly index: string | undefined;
  readonly readFile: (path: string) => Buffer;
  readonly now: () => number;
  readonly warn: (line: string) => void;
  /** Reads a config file and applies it at this position (-c, --resume). */
  readonly include: (path: string, what: string) => void;
}

export interface OptionDef {
  /** Canonical name: what --echo prints and what `raw` is keyed by. */
  readonly name: string;
  readonly aliases: readonly string[];
  readonly kind: OptionKind;
  readonly state: OptionState;
  /** Acts, refused or no-op: see OptionEffect. */
  readonly effect: OptionEffect;
  readonly index: IndexKind;
  readonly group: HelpGroup;
  /** Placeholder for --help, e.g. `<list>`; '' for flags. */
  readonly arg: string;
  /** One line for --help; '' hides the option from --help (nmap rejections). */
  readonly help: string;
  /** True for options tidescan adds to masscan's set (masscan cannot read them). */
  readonly ours?: boolean;
  readonly apply: (d: Draft, value: string, ctx: ApplyContext) => void;
}

/** masscan's matching rule: drop `-`, `_`, `.` and ignore case. */
export function normaliseName(name: string): string {
  return name.replace(/[-_.]/g, '').toLowerCase();
}

// ---------------------------------------------------------------------------------------------
// Small helpers for the table

function setOperation(d: Draft, op: Operation): void {
  d.operation = op;
}

function nmapReject(name: string, message: string): (d: Draft, v: string, ctx: ApplyContext) => void {
  return () => {
    throw new ScanError('ERR_USAGE', `nmap(${name}): ${message}`);
  };
}

function nmapInfo(name: string, message: string): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (_d, _v, ctx) => ctx.warn(`nmap(${name}): ${message}`);
}

/**
 * For options that may carry an adapter index: the raw key for index > 0 (kept in raw under
 * `name[n]`, as --echo prints them; cli/adapters.ts gives them their typed field
 * `extraAdapters`), else undefined (index 0 is the option without an index).
 */
function adapterSlot(name: string, ctx: ApplyContext): string | undefined {
  if (ctx.index === undefined) return undefined;
  const n = Number(ctx.index);
  if (!/^[0-9]+$/.test(ctx.index) || n > 7) {
    throw new ScanError('ERR_BAD_OPTION', `${ctx.what}[${clipInput(ctx.index)}]: adapter index must be 0..7`);
  }
  if (n === 0) return undefined;
  return `${name}[${n}]`;
}

function portIndex(ctx: ApplyContext): number {
  if (ctx.index === undefined || !/^[0-9]+$/.test(ctx.index) || Number(ctx.index) > 65535) {
    throw new ScanError('ERR_BAD_OPTION', `${ctx.what}: needs a port index, e.g. ${ctx.what}[80]`);
  }
  return Number(ctx.index);
}

function nonEmpty(ctx: ApplyContext, value: string): string {
  if (value.trim() === '') throw new ScanError('ERR_USAGE', `${ctx.what}: missing value`);
  return value.trim();
}

/**
 * An output file name, trimmed like every config-file value so that paused.conf and
 * --echo write it back the same. (-oX F does not pass through Parser.apply, which refuses
 * line breaks for the other options, so it refuses them here.)
 */
function outputName(ctx: ApplyContext, value: string): string {
  const name = value.trim();
  if (name === '') throw new ScanError('ERR_USAGE', `${ctx.what}: missing output filename`);
  refuseLineBreak(ctx.what, value);
  return name;
}

/** A Kubernetes object name: lower-case alphanumerics and `-` (and `.` when max > 63). */
function k8sName(ctx: ApplyContext, value: string, max: number): string {
  const t = value.trim();
  const re = max > 63 ? /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/ : /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
  if (t.length > max || !re.test(t)) {
    fail('ERR_BAD_OPTION', ctx.what, value, `expected a Kubernetes name (a-z, 0-9, -; at most ${max} characters)`);
  }
  return t;
}

/** An IPv4 address, IPv4 range whose size is a power of two, or one IPv6 address. */
export function parseAdapterIp(what: string, value: string):
  { v4: { begin: number; end: number } } | { v6: bigint } {
  const v = value.trim();
  const six = parseIPv6(v.replace(/^\[(.*)\]$/, '$1'));
  if (six !== null && v.includes(':')) return { v6: six };
  let begin: number | null = null;
  let end: number | null = null;
  const cidr = /^([0-9.]+)\/([0-9]{1,2})$/.exec(v);
  const dash = /^([0-9.]+)\s*-\s*([0-9.]+)$/.exec(v);
  if (cidr !== null) {
    const a = parseIPv4(cidr[1]!);
    const bits = Number(cidr[2]);
    if (a !== null && bits <= 32) {
      const size = 2 ** (32 - bits);
      begin = a - (a % size);
      end = begin + size - 1;
    }
  } else if (dash !== null) {
    begin = parseIPv4(dash[1]!);
    end = parseIPv4(dash[2]!);
  } else {
    begin = end = parseIPv4(v);
  }
  if (begin === null || end === null || end < begin) {
    fail('ERR_BAD_RANGE', what, value, 'expected an IPv4 address, an IPv4 range, or an IPv6 address');
  }
  const size = end - begin + 1;
  if ((size & (size - 1)) !== 0 && size !== 2 ** 32) {
    fail('ERR_BAD_RANGE', what, value, 'range must be an even power of two in size');
  }
  return { v4: { begin, end } };
}

/** One source port or one port range whose size is a power of two. */
function parseAdapterPort(what: string, value: string): { begin: number; end: number } {
  const m = /^\s*([0-9]+)\s*(?:-\s*([0-9]+)\s*)?$/.exec(value);
  if (m === null) fail('ERR_BAD_PORT', what, value, 'expected one port or one port range, e.g. 40000-40015');
  const begin = Number(m[1]);
  const end = m[2] === undefined ? begin : Number(m[2]);
  if (begin > 65535 || end > 65535 || end < begin) fail('ERR_BAD_PORT', what, value, 'ports are 0..65535');
  const size = end - begin + 1;
  if ((size & (size - 1)) !== 0) fail('ERR_BAD_PORT', what, value, 'source port range must be an even power of two in size');
  return { begin, end };
}

const OUTPUT_FORMATS: Record<string, OutputFormatName> = {
  interactive: 'interactive', list: 'list', unicornscan: 'unicornscan', xml: 'xml', binary: 'binary',
  grepable: 'grepable', greppable: 'grepable', json: 'json', ndjson: 'ndjson', certs: 'certs',
  none: 'none', redis: 'redis', hostonly: 'hostonly', report: 'report',
  // The result stores (src/output/store/): the file name is a SQLite file or a postgres:// URL.
  sqlite: 'sqlite', postgres: 'postgres', postgresql: 'postgres',
};

function parseOutputFormat(what: string, value: string): OutputFormatName {
  const f = lookup(OUTPUT_FORMATS, value.trim().toLowerCase());
  if (f === undefined) {
    fail('ERR_BAD_OPTION', what, value, `unknown output format (one of ${Object.keys(OUTPUT_FORMATS).join(', ')})`);
  }
  // As --redis / -oR (refused in the table): no writer exists, so it fails here, not later.
  if (f === 'redis') fail('ERR_USAGE', what, value, `Redis output is ${NOT_SUPPORTED_YET}`);
  return f;
}

/** -oX F and friends: one more output. `-` is stdout. */
export function addOutput(format: OutputFormatName): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => {
    d.outputs.push({ format, filename: outputName(ctx, v) });
    d.pendingFormat = undefined;
  };
}

/**
 * Capture types the banner modules act on (src/banners/registry.ts reads cert and html). The
 * others are refused when turned on; turning them off changes nothing and is accepted (masscan's
 * echo writes `nocapture = servername`).
 */
const ACTED_CAPTURE: readonly CaptureType[] = ['cert', 'html', 'heartbleed', 'ticketbleed'];

function setCapture(on: boolean): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => {
    for (const word of v.split(',')) {
      const w = word.trim().toLowerCase();
      if (w === '') continue;
      if (!(CAPTURE_TYPES as readonly string[]).includes(w)) {
        fail('ERR_BAD_OPTION', ctx.what, word, `unknown capture type (one of ${CAPTURE_TYPES.join(', ')})`);
      }
      if (on && !ACTED_CAPTURE.includes(w as CaptureType)) {
        throw new ScanError('ERR_USAGE', `${ctx.what} ${clipInput(w)}: ${NOT_SUPPORTED_YET}`);
      }
      if (on) d.capture.add(w as CaptureType);
      else d.capture.delete(w as CaptureType);
    }
  };
}

function setShow(on: boolean): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => {
    for (const word of v.split(',')) {
      const w = word.trim().toLowerCase();
      if (w === '') continue;
      if (w === 'open') d.showOpen = on;
      else if (w === 'closed' || w === 'close') d.showClosed = on;
      else if (w === 'all') { d.showOpen = on; d.showClosed = on; }
      else if (w === 'host') { /* masscan accepts it and does nothing (reference §1.5) */ }
      else fail('ERR_BAD_OPTION', ctx.what, word, "unknown 'show' spec (open, closed, all)");
    }
  };
}

/** tcp-mss/tcp-wscale/tcp-tsecho: empty or a true word = enable, false word = disable, else N. */
function numableTemplate(name: string, max: number): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => {
    const t = v.trim();
    let stored: string;
    if (t === '' || (!isAllDigits(t) && isBoolWord(t))) stored = parseBool(t) ? 'enable' : 'disable';
    else stored = String(parseUintDec(ctx.what, t, max));
    rawSet(d, name, stored);
  };
}

/** The raw flags that turn banners on (bannerCheck). */
const IMPLY_BANNERS = ['rawudp', 'heartbleed', 'ticketbleed', 'vuln'];

/**
 * Banners off. The checks that imply --banners go with them, or reading the config back
 * would turn banners on again.
 */
function bannersOff(d: Draft): void {
  d.banners = false;
  for (const k of IMPLY_BANNERS) d.raw.delete(k);
}

/** --rawudp, --heartbleed, --ticketbleed: a raw flag that implies --banners (the bleed checks also drop cert capture). */
function bannerCheck(name: string, dropsCert: boolean): (d: Draft, v: string) => void {
  return (d, v) => {
    if (!parseBool(v)) { d.raw.delete(name); return; }
    rawSet(d, name, 'true');
    d.banners = true;
    if (dropsCert) d.capture.delete('cert');
  };
}

const HELLO_TYPES = ['ssl', 'http', 'smbv1'];
const NTP_PROBE_NAMES = ['client', 'readvar', 'monlist'];
const VULN_CHECKS = ['heartbleed', 'ticketbleed', 'poodle', 'sslv3', 'ntp-monlist'];

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

function rawString(name: string, multi = false): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => {
    const t = nonEmpty(ctx, v);
    if (multi) rawAdd(d, name, t);
    else rawSet(d, name, t);
  };
}

function rawBool(name: string): (d: Draft, v: string) => void {
  return (d, v) => {
    if (parseBool(v)) rawSet(d, name, 'true');
    else d.raw.delete(name);
  };
}

function rawSeconds(name: string): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => rawSet(d, name, String(parseSeconds(ctx.what, v)));
}

function rawFile(name: string): (d: Draft, v: string, ctx: ApplyContext) => void {
  return (d, v, ctx) => rawSet(d, name, nonEmpty(ctx, v));
}

/** The default protocol of bare numbers in a port list. */
function portsApply(d: Draft, v: string, ctx: ApplyContext): void {
  d.targets.addPorts(ctx.what, v, d.defaultProto);
}

// ---------------------------------------------------------------------------------------------
// The table. Order within a group is the order of --help.

type Def = Omit<OptionDef, 'index' | 'aliases' | 'arg'> & {
  index?: IndexKind; aliases?: readonly string[]; arg?: string;
};

/**
 * nmap options we refuse (§1.9): each fails with `nmap(<tag>): <why>` (tag defaults to the
 * name), and none shows in --help or --echo.
 */
interface NmapRefused {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly kind: 'flag' | 'value';
  readonly tag?: string;
  readonly why: string;
}

const NMAP_REFUSED: readonly NmapRefused[] = [
  { name: 'host-timeout', kind: 'value', why: 'unsupported: this is an asynchronous tool, so no timeouts' },
  { name: 'scan-delay', aliases: ['max-scan-delay'], kind: 'value', why: 'unsupported: we do timing VASTLY differently' },
  { name: 'min-rtt-timeout', aliases: ['max-rtt-timeout', 'initial-rtt-timeout'], kind: 'value', tag: 'rtt-timeout',
    why: 'unsupported: we do timing VASTLY differently' },
  { name: 'min-hostgroup', aliases: ['max-hostgroup'], kind: 'value', tag: 'hostgroup', why: 'unsupported: we do not group hosts' },
  { name: 'min-parallelism', aliases: ['max-parallelism'], kind: 'value', tag: 'parallelism',
    why: 'unsupported: this is an asynchronous tool, so no parallelism limit' },
  { name: 'mtu', kind: 'value', why: 'fragmentation not yet supported' },
  { name: 'ip-options', kind: 'value', why: 'unsupported: maybe soon' },
  { name: 'log-errors', kind: 'flag', why: 'unsupported: maybe soon' },
  { name: 'osscan-limit', aliases: ['osscan-guess'], kind: 'flag', tag: 'osscan', why: 'OS scanning unsupported' },
  { name: 'privileged', aliases: ['unprivileged'], kind: 'flag', why: 'unsupported: raw packets need root or CAP_NET_RAW' },
  { name: 'port-ratio', kind: 'value', why: 'unsupported: use --top-ports' },
  { name: 'scanflags', kind: 'value', why: 'unsupported: only SYN scans' },
  { name: 'send-ip', kind: 'flag', why: 'unsupported: we always send Ethernet frames' },
  { name: 'system-dns', kind: 'flag', why: 'DNS resolution not supported' },
  { name: 'dns-servers', kind: 'value', why: 'DNS resolution not supported' },
  { name: 'traceroute', kind: 'flag', why: 'unsupported' },
  { name: 'version-intensity', kind: 'value', why: 'unsupported: use --banners' },
  { name: 'version-light', aliases: ['version-all', 'version-trace'], kind: 'flag', tag: 'version', why: 'unsupported: use --banners' },
];

function nmapRefusal(r: NmapRefused): Def {
  return {
    name: r.name, effect: refusedOwn, aliases: r.aliases, kind: r.kind, state: 'none', group: 'nmap', help: '',
    apply: nmapReject(r.tag ?? r.name, r.why),
  };
}

const DEFS: Def[] = [
  // --- targets and ports (§1.2)
  { name: 'range', effect: acts('targets4', 'targets6'),
    aliases: ['ranges', 'ip', 'ipv4', 'dst-ip', 'dest-ip', 'destination-ip', 'target-ip'],
    kind: 'value', state: 'targets', group: 'targets', arg: '<list>',
    help: 'targets: IPv4/IPv6 addresses, ranges (a-b) and CIDR blocks; also given bare',
    apply: (d, v, ctx) => d.targets.addText(ctx.what, nonEmpty(ctx, v)) },
  { name: 'includefile', effect: acts('targets4', 'targets6'),
    aliases: ['include-file'], kind: 'value', state: 'targets', group: 'targets',
    arg: '<file>', help: 'read targets from a file (- = stdin); same as -iL',
    apply: (d, v, ctx) => {
      const f = nonEmpty(ctx, v);
      d.targets.addFile(readOrFail(ctx, f, 'include file'), f);
    } },
  { name: 'exclude', effect: acts('targets4', 'targets6'),
    aliases: ['exclude-range', 'exclude-ranges', 'exclude-ip', 'exclude-ipv4'],
    kind: 'value', state: 'targets', group: 'targets', arg: '<list>',
    help: 'never scan these addresses (applied after all targets are read)',
    apply: (d, v, ctx) => d.targets.excludeText(ctx.what, nonEmpty(ctx, v)) },
  { name: 'excludefile', effect: acts('targets4', 'targets6'),
    aliases: ['exclude-file'], kind: 'value', state: 'targets', group: 'targets',
    arg: '<file>', help: 'read addresses to exclude from a file',
    apply: (d, v, ctx) => {
      const f = nonEmpty(ctx, v);
      const n = d.targets.excludeFile(readOrFail(ctx, f, 'exclude file'), f);
      if (n > 0) ctx.warn(`${f}: excluding ${n} ranges from file`);
    } },
  { name: 'ports', effect: acts('ports'), aliases: ['port', 'dst-port', 'dest-port', 'destination-port', 'target-port'],
    kind: 'value', state: 'targets', group: 'targets', arg: '<ports>',
    help: 'ports: 80,443,8000-8100, U:53 (UDP), S:x (SCTP), I:0 (ping); same as -p', apply: portsApply },
  { name: 'tcp-ports', effect: acts('ports'),
    aliases: ['tcp-port'], kind: 'value', state: 'targets', group: 'targets', arg: '<ports>',
    help: 'TCP ports', apply: (d, v, ctx) => {
      d.scanTcp = true; d.scanTypeGiven = true; d.targets.addPorts(ctx.what, v, 'tcp');
    } },
  { name: 'udp-ports', effect: acts('ports'),
    aliases: ['udp-port'], kind: 'value', state: 'targets', group: 'targets', arg: '<ports>',
    help: 'UDP ports', apply: (d, v, ctx) => {
      d.scanUdp = true; d.scanTypeGiven = true; d.targets.addPorts(ctx.what, v, 'udp');
    } },
  { name: 'oproto', effect: acts('ports'),
    aliases: ['oprotos'], kind: 'value', state: 'targets', group: 'targets', arg: '<0-255>',
    help: 'other IP protocol numbers to probe', apply: (d, v, ctx) => {
      d.scanTypeGiven = true;
      d.targets.addPorts(ctx.what, `O:${nonEmpty(ctx, v)}`, 'tcp');
    } },
  { name: 'exclude-ports', effect: acts('ports'), aliases: ['exclude-port'], kind: 'value', state: 'targets', group: 'targets',
    arg: '<ports>', help: 'never probe these ports',
    apply: (d, v, ctx) => d.targets.excludePortSpec(ctx.what, v, d.defaultProto) },
  { name: 'top-ports', effect: acts('ports'),
    aliases: ['top-port'], kind: 'numable', state: 'targets', group: 'targets', arg: '[N]',
    help: 'add the first N of nmap\'s top-1000 TCP ports, in port order, as TCP (masscan 1.3.2; N defaults to 20)', apply: (d, v, ctx) => {
      const t = v.trim();
      if (t === '' ) d.topPorts = 20;
      else if (isAllDigits(t)) d.topPorts = parseUintDec(ctx.what, t, 65536, 'ERR_BAD_PORT');
      else if (isBoolWord(t)) d.topPorts = parseBool(t) ? 20 : undefined;
      else fail('ERR_BAD_PORT', ctx.what, v, 'expected a count of ports');
    } },
  { name: 'ping', effect: acts('ports'), aliases: ['ping-sweep'], kind: 'flag', state: 'targets', group: 'targets',
    help: 'ICMP echo every target (port I:0)', apply: (d, v, ctx) => {
      if (parseBool(v)) { d.scanTypeGiven = true; d.targets.addPorts(ctx.what, 'I:0', 'tcp'); }
    } },
  { name: 'arpscan', effect: acts('arpscan', 'ports'), aliases: ['arp'], kind: 'flag', state: 'field', group: 'targets',
    help: 'ARP scan of the local subnet', apply: (d, v, ctx) => {
      if (!parseBool(v)) return;
      d.arpscan = true;
      d.scanTypeGiven = true;
      d.targets.addPorts(ctx.what, 'I:2', 'tcp');
      d.routerMac4 = 'ff:ff:ff:ff:ff:ff';
      d.routerMac6 = 'ff:ff:ff:ff:ff:ff';
    } },

  // --- speed, order, shards, resume (§1.3)
  { name: 'rate', effect: acts('rate'), aliases: ['max-rate'], kind: 'value', state: 'field', group: 'speed', arg: '<pps>',
    help: 'packets per second (default 100; fractions like 0.5 allowed)',
    apply: (d, v, ctx) => { d.rate = parseRate(ctx.what, v); } },
  { name: 'seed', effect: acts('seed'), kind: 'value', state: 'field', group: 'speed', arg: '<n|time>',
    help: '64-bit seed of the target order and cookies (default random); shards must share it',
    apply: (d, v, ctx) => {
      d.seed = v.trim().toLowerCase() === 'time'
        ? BigInt(Math.floor(ctx.now() / 1000))
        : parseU64(ctx.what, v, 'ERR_BAD_SEED');
    } },
  { name: 'shard', effect: acts('shard'), aliases: ['shards'], kind: 'value', state: 'field', group: 'speed', arg: '<x/y>',
    help: 'scan only shard x of y (all shards use the same --seed)', apply: (d, v, ctx) => {
      const m = /^\s*([0-9]+)\s*[!-/:-@[-`{-~]\s*([0-9]+)\s*$/.exec(v);
      if (m === null) fail('ERR_BAD_SHARD', ctx.what, v, 'expected x/y, e.g. 1/4');
      const one = Number(m[1]);
      const of = Number(m[2]);
      if (one < 1 || one > of || of > 0xffffffff) fail('ERR_BAD_SHARD', ctx.what, v, 'need 1 <= x <= y, e.g. 1/4 2/4 3/4 4/4');
      d.shard = { one, of };
    } },
  { name: 'resume-index', effect: acts('resumeIndex'), kind: 'value', state: 'field', group: 'speed', arg: '<i>',
    help: 'start at this (unshuffled) index', apply: (d, v, ctx) => {
      d.resumeIndex = parseUintDec(ctx.what, v, Number.MAX_SAFE_INTEGER);
    } },
  { name: 'resume-count', effect: acts('resumeCount'), kind: 'value', state: 'field', group: 'speed', arg: '<n>',
    help: 'cover at most this many indexes (0 = all)', apply: (d, v, ctx) => {
      d.resumeCount = parseUintDec(ctx.what, v, Number.MAX_SAFE_INTEGER);
    } },
  { name: 'retries', effect: acts('retries'),
    aliases: ['retry', 'max-retries', 'max-retry'], kind: 'value', state: 'field', group: 'speed',
    arg: '<R>', help: 'send R more probes per target (R+1 in all; masscan sends (R+1)^2)',
    apply: (d, v, ctx) => { d.retries = parseUintBase0(ctx.what, v, 999); } },
  { name: 'blackrock-rounds', effect: acts('blackrockRounds'), kind: 'value', state: 'field', group: 'speed', arg: '<n>',
    help: 'rounds of the target permutation (default 14)',
    apply: (d, v, ctx) => { d.blackrockRounds = parseUintDec(ctx.what, v, 255); } },
  { name: 'infinite', effect: acts('infinite'),
    kind: 'flag', state: 'field', group: 'speed', help: 'repeat the scan forever (seed+1 per pass)',
    apply: (d, v) => { d.infinite = parseBool(v); } },
  { name: 'wait', effect: acts('wait'), kind: 'value', state: 'field', group: 'speed', arg: '<secs|forever>',
    help: 'seconds to wait for replies after the last probe (default 10)', apply: (d, v, ctx) => {
      d.wait = v.trim().toLowerCase() === 'forever' ? Infinity : parseSeconds(ctx.what, v);
    } },
  { name: 'tx-threads', effect: acts('txThreads'), kind: 'value', state: 'field', group: 'speed', arg: '<n>', ours: true,
    help: 'transmit workers (default 0 = one per core)',
    apply: (d, v, ctx) => { d.txThreads = parseUintDec(ctx.what, v, 256); } },
  { name: 'randomize-hosts', effect: noop('the target order is always random'), kind: 'flag', state: 'none', group: 'speed',
    help: 'accepted; the order is always random', apply: () => undefined },
  { name: 'resume', effect: acts('cli:parse.ts:includeFile', 'outputAppend'),
    kind: 'value', state: 'include', group: 'speed', arg: '<file>',
    help: 'continue a scan from its paused.conf (also appends to output files)', apply: (d, v, ctx) => {
      ctx.include(nonEmpty(ctx, v), ctx.what);
      d.outputAppend = true;
    } },
  { name: 'conf', effect: acts('cli:parse.ts:includeFile'),
    aliases: ['config'], kind: 'value', state: 'include', group: 'speed', arg: '<file>',
    help: 'read options from a config file, at this position (same as -c)',
    apply: (_d, v, ctx) => ctx.include(nonEmpty(ctx, v), ctx.what) },
  { name: 'no-default-config', effect: acts('cli:parse.ts:nodefaultconfig'),
    kind: 'flag', state: 'none', group: 'speed', ours: true,
    help: 'do not read /etc/tidescan/tidescan.conf (or set TIDESCAN_NO_DEFAULT_CONFIG=1)',
    apply: () => undefined },

  // --- adapter, source, link (§1.4)
  { name: 'adapter', effect: acts('adapter', 'extraAdapters'),
    aliases: ['if', 'interface'], kind: 'value', state: 'field', group: 'adapter', index: 'adapter',
    arg: '<ifname>', help: 'network interface (default: the one with the default route); same as -e; adapter[1..7]: more, each sending its share',
    apply: (d, v, ctx) => {
      const slot = adapterSlot('adapter', ctx);
      const name = nonEmpty(ctx, v);
      if (slot !== undefined) rawSet(d, slot, name);
      else d.adapter = name;
    } },
  { name: 'adapter-ip', effect: acts('adapterIp4', 'adapterIp6', 'extraAdapters'),
    aliases: ['source-ip', 'source-address', 'spoof-ip', 'spoof-address', 'src-ip'],
    kind: 'value', state: 'field', group: 'adapter', index: 'adapter', arg: '<ip>',
    help: 'source address: IPv4, IPv4 range of 2^n addresses, or IPv6; same as -S',
    apply: (d, v, ctx) => {
      const slot = adapterSlot('adapter-ip', ctx);
      const ip = parseAdapterIp(ctx.what, v);
      if (slot !== undefined) {
        // One IPv4 and one IPv6 source per adapter, as for adapter 0: a later value of the
        // same family replaces the earlier one.
        const six = 'v6' in ip;
        const keep = (d.raw.get(slot) ?? []).filter((x) => x.includes(':') !== six);
        d.raw.set(slot, [...keep, v.trim()]);
        return;
      }
      if ('v6' in ip) d.adapterIp6 = ip.v6;
      else d.adapterIp4 = ip.v4;
    } },
  { name: 'adapter-port', effect: acts('adapterPort'),
    aliases: ['source-port', 'src-port', 'sourceport'], kind: 'value', state: 'field',
    group: 'adapter', arg: '<port[-port]>', help: 'source port or range of 2^n ports; same as -g',
    apply: (d, v, ctx) => { d.adapterPort = parseAdapterPort(ctx.what, v); } },
  { name: 'adapter-mac', effect: acts('adapterMac', 'extraAdapters'),
    aliases: ['spoof-mac', 'source-mac', 'src-mac'], kind: 'value', state: 'field',
    group: 'adapter', index: 'adapter', arg: '<mac>', help: 'source MAC address', apply: (d, v, ctx) => {
      const slot = adapterSlot('adapter-mac', ctx);
      const mac = parseMac(ctx.what, v);
      if (slot !== undefined) { rawSet(d, slot, mac); return; }
      if (d.adapterMac !== undefined && d.adapterMac !== mac) ctx.warn(`[-] WARNING: overwriting MAC address ${d.adapterMac} with ${mac}`);
      d.adapterMac = mac;
    } },
  { name: 'router-mac', effect: acts('routerMac4', 'routerMac6', 'extraAdapters'),
    aliases: ['router', 'dest-mac', 'destination-mac', 'dst-mac', 'target-mac'],
    kind: 'value', state: 'field', group: 'adapter', index: 'adapter', arg: '<mac>',
    help: 'gateway MAC for IPv4 and IPv6 (skips ARP/NDP)', apply: (d, v, ctx) => {
      const slot = adapterSlot('router-mac', ctx);
      const mac = parseMac(ctx.what, v);
      if (slot !== undefined) {
        rawSet(d, slot.replace('router-mac', 'router-mac-ipv4'), mac);
        rawSet(d, slot.replace('router-mac', 'router-mac-ipv6'), mac);
        return;
      }
      d.routerMac4 = mac;
      d.routerMac6 = mac;
    } },
  { name: 'router-mac-ipv4', effect: acts('routerMac4', 'extraAdapters'),
    aliases: ['router-ipv4'], kind: 'value', state: 'field', group: 'adapter',
    index: 'adapter', arg: '<mac>', help: 'gateway MAC for IPv4', apply: (d, v, ctx) => {
      const slot = adapterSlot('router-mac-ipv4', ctx);
      const mac = parseMac(ctx.what, v);
      if (slot !== undefined) rawSet(d, slot, mac);
      else d.routerMac4 = mac;
    } },
  { name: 'router-mac-ipv6', effect: acts('routerMac6', 'extraAdapters'),
    aliases: ['router-ipv6'], kind: 'value', state: 'field', group: 'adapter',
    index: 'adapter', arg: '<mac>', help: 'gateway MAC for IPv6', apply: (d, v, ctx) => {
      const slot = adapterSlot('router-mac-ipv6', ctx);
      const mac = parseMac(ctx.what, v);
      if (slot !== undefined) rawSet(d, slot, mac);
      else d.routerMac6 = mac;
    } },
  { name: 'router-ip', effect: acts('routerIp', 'extraAdapters'), kind: 'value', state: 'field', group: 'adapter', index: 'adapter', arg: '<ipv4>',
    help: 'gateway IPv4 address to ARP for', apply: (d, v, ctx) => {
      const slot = adapterSlot('router-ip', ctx);
      const ip = parseIPv4(v.trim());
      if (ip === null) fail('ERR_BAD_RANGE', ctx.what, v, 'expected an IPv4 address');
      if (slot !== undefined) rawSet(d, slot, v.trim());
      else d.routerIp = ip;
    } },
  { name: 'vlan', effect: acts('vlan'), aliases: ['adapter-vlan'], kind: 'value', state: 'field', group: 'adapter', arg: '<id>',
    help: '802.1Q VLAN tag', apply: (d, v, ctx) => { d.vlan = parseUintDec(ctx.what, v, 4095); } },
  { name: 'ttl', effect: acts('ttl'), kind: 'value', state: 'field', group: 'adapter', arg: '<n>',
    help: 'IP TTL / hop limit of probes (default 255)',
    apply: (d, v, ctx) => { d.ttl = parseUintDec(ctx.what, v, 255); } },
  { name: 'offline', effect: acts('offline'),
    aliases: ['notransmit', 'nosend', 'dry-run'], kind: 'flag', state: 'field', group: 'adapter',
    help: 'build probes but never send them', apply: (d, v) => { d.offline = parseBool(v); } },
  { name: 'tx-backend', effect: acts('txBackend'),
    kind: 'value', state: 'field', group: 'adapter', arg: '<sendmmsg|txring>', ours: true,
    help: 'kernel transmit path (default: the measured faster one)', apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (t !== 'sendmmsg' && t !== 'txring') fail('ERR_BAD_OPTION', ctx.what, v, 'expected sendmmsg or txring');
      d.txBackend = t;
    } },
  { name: 'tx-arbiter', effect: acts('txArbiter'),
    kind: 'value', state: 'field', group: 'adapter', arg: '<auto|parallel|serial>', ours: true,
    help: 'how transmit workers share the interface: measure (auto, the default), or force', apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (t !== 'auto' && t !== 'parallel' && t !== 'serial') fail('ERR_BAD_OPTION', ctx.what, v, 'expected auto, parallel or serial');
      d.txArbiter = t;
    } },
  { name: 'bpf', effect: acts('bpf'), kind: 'value', state: 'field', group: 'adapter', arg: '<filter>',
    help: 'extra BPF filter on received packets', apply: (d, v, ctx) => { d.bpf = nonEmpty(ctx, v); } },
  { name: 'pfring', effect: noop('there is no PF_RING here; frames always go through AF_PACKET (masscan ignores it without PF_RING too)'),
    kind: 'flag', state: 'none', group: 'adapter', help: 'accepted for masscan compatibility (no PF_RING here)',
    apply: () => undefined },
  { name: 'sendq', effect: noop('Windows-only in masscan (WinPcap send queues); Linux has no such queue to select'),
    kind: 'flag', state: 'none', group: 'adapter', help: 'accepted for masscan compatibility (Windows only)',
    apply: () => undefined },
  { name: 'debug', effect: refused('raw:debug'), kind: 'value', state: 'raw', group: 'adapter', arg: '<if>',
    help: 'debug a subsystem (`if`: adapter self-test)', apply: rawString('debug') },

  // --- output (§1.5)
  { name: 'output-format', effect: acts('outputs'), kind: 'value', state: 'field', group: 'output', arg: '<format>',
    help: 'format of --output-filename: list json ndjson grepable xml binary unicornscan hostonly certs report none sqlite postgres',
    apply: (d, v, ctx) => {
      const f = parseOutputFormat(ctx.what, v);
      const last = d.outputs[d.outputs.length - 1];
      // masscan's echo prints output-filename before output-format: a format after a file
      // name applies to that file.
      if (last !== undefined && d.pendingFormat === undefined) last.format = f;
      else d.pendingFormat = f;
    } },
  { name: 'output-filename', effect: acts('outputs'),
    aliases: ['output-file'], kind: 'value', state: 'field', group: 'output', arg: '<file>',
    help: 'output file (format from --output-format, else XML; a postgres:// URL for postgres)', apply: (d, v, ctx) => {
      d.outputs.push({ format: d.pendingFormat ?? 'xml', filename: outputName(ctx, v) });
      d.pendingFormat = undefined;
    } },
  { name: 'store-resume', effect: acts('storeResume'), kind: 'flag', state: 'field', group: 'output', ours: true,
    help: 'with a PostgreSQL or SQLite output: resume this shard from its row there (a retried --k8s-job pod)',
    apply: (d, v) => { d.storeResume = parseBool(v); } },
  { name: 'output-append', effect: acts('outputAppend'),
    aliases: ['append-output'], kind: 'flag', state: 'field', group: 'output',
    help: 'append to output files instead of truncating', apply: (d, v) => { d.outputAppend = parseBool(v); } },
  { name: 'open', effect: acts('showOpen', 'showClosed'),
    aliases: ['open-only', 'output-show-open'], kind: 'flag', state: 'field', group: 'output',
    help: 'report open ports only (the default)', apply: (d, v) => { if (parseBool(v)) { d.showOpen = true; d.showClosed = false; } } },
  { name: 'show', effect: acts('showOpen', 'showClosed'),
    aliases: ['output-show', 'output-status'], kind: 'value', state: 'field', group: 'output',
    arg: '<open,closed,all>', help: 'also report these statuses', apply: setShow(true) },
  { name: 'noshow', effect: acts('showOpen', 'showClosed'),
    aliases: ['output-noshow'], kind: 'value', state: 'field', group: 'output',
    arg: '<open,closed,all>', help: 'do not report these statuses', apply: setShow(false) },
  { name: 'interactive', effect: acts('interactive'), kind: 'flag', state: 'field', group: 'output',
    help: 'print results on stdout too when writing a file', apply: (d, v) => { d.interactive = parseBool(v); } },
  { name: 'nointeractive', effect: acts('interactive'),
    kind: 'flag', state: 'field', group: 'output', help: 'do not print results on stdout',
    apply: (d, v) => { if (parseBool(v)) d.interactive = false; } },
  { name: 'status', effect: acts('cli:run-scan.ts:status'),
    kind: 'flag', state: 'field', group: 'output', help: 'show the status line (default on)',
    apply: (d, v) => { d.status = parseBool(v); } },
  { name: 'nostatus', effect: acts('cli:run-scan.ts:status'), kind: 'flag', state: 'field', group: 'output', help: 'hide the status line',
    apply: (d, v) => { if (parseBool(v)) d.status = false; } },
  { name: 'ndjson-status', effect: acts('cli:run-scan.ts:ndjsonStatus'),
    aliases: ['status-ndjson', 'json-status', 'status-json'], kind: 'flag', state: 'field',
    group: 'output', help: 'status as one JSON object per line', apply: (d, v) => { d.ndjsonStatus = parseBool(v); } },
  { name: 'rotate', effect: acts('rotateSeconds'),
    aliases: ['output-rotate', 'rotate-output', 'rotate-time'], kind: 'value', state: 'field',
    group: 'output', arg: '<period>', help: 'rotate output files every period (secs, 5min, 1h, hourly, daily)',
    apply: (d, v, ctx) => { d.rotateSeconds = parsePeriod(ctx.what, v); } },
  { name: 'rotate-offset', effect: acts('rotateOffset'),
    aliases: ['output-rotate-offset'], kind: 'value', state: 'field', group: 'output',
    arg: '<time>', help: 'shift rotation boundaries (less than a day; -T = 1 day minus T)',
    apply: (d, v, ctx) => { d.rotateOffset = parseOffset(ctx.what, v); } },
  { name: 'rotate-size', effect: acts('rotateSize'),
    aliases: ['rotate-filesize', 'output-rotate-filesize'], kind: 'value', state: 'field',
    group: 'output', arg: '<bytes>', help: 'rotate output files at this size (k/m/g suffixes)',
    apply: (d, v, ctx) => { d.rotateSize = parseSize(ctx.what, v); } },
  { name: 'rotate-dir', effect: acts('rotateDir'),
    aliases: ['output-rotate-dir', 'rotate-directory'], kind: 'value', state: 'field',
    group: 'output', arg: '<dir>', help: 'directory for rotated files (default .)', apply: (d, v, ctx) => {
      const t = nonEmpty(ctx, v).replace(/[\s/]+$/, '');
      d.rotateDir = t === '' ? '/' : t;
    } },
  { name: 'stylesheet', effect: acts('stylesheet'), kind: 'value', state: 'field', group: 'output', arg: '<url>',
    help: 'XML stylesheet reference', apply: (d, v, ctx) => { d.stylesheet = nonEmpty(ctx, v); } },
  { name: 'webxml', effect: acts('stylesheet'),
    kind: 'flag', state: 'field', group: 'output', help: "use nmap's stylesheet from the web",
    apply: (d, v) => { if (parseBool(v)) d.stylesheet = 'http://nmap.org/svn/docs/nmap.xsl'; } },
  { name: 'no-stylesheet', effect: acts('stylesheet'), kind: 'flag', state: 'field', group: 'output', help: 'no XML stylesheet',
    apply: (d, v) => { if (parseBool(v)) d.stylesheet = undefined; } },
  { name: 'pcap-filename', effect: acts('pcapFilename'),
    aliases: ['pcap'], kind: 'value', state: 'field', group: 'output', arg: '<file>',
    help: 'save received packets to a pcap file', apply: (d, v, ctx) => { d.pcapFilename = nonEmpty(ctx, v); } },
  { name: 'packet-trace', effect: acts('packetTrace'), aliases: ['trace-packet'], kind: 'flag', state: 'field', group: 'output',
    help: "print masscan's SENT/RCVD line for each packet (at most 1000 a second per thread)", apply: (d, v) => { d.packetTrace = parseBool(v); } },
  { name: 'reason', effect: noop('nmap compatibility: every record already carries its reason (syn-ack, rst, ...)'),
    kind: 'flag', state: 'none', group: 'output', help: 'accepted (nmap compatibility)',
    apply: () => undefined },
  { name: 'verbosity', effect: acts('cli:run-scan.ts:verbosity'), kind: 'value', state: 'field', group: 'output', arg: '<n>', ours: true,
    help: 'log level (same as that many -v)', apply: (d, v, ctx) => { d.verbosity = parseUintDec(ctx.what, v, 100); } },
  { name: 'debug-level', effect: acts('debug'), kind: 'value', state: 'field', group: 'output', arg: '<n>', ours: true,
    help: 'debug level (same as that many -d): above 0, the receive side prints what it did with each frame, with counts', apply: (d, v, ctx) => { d.debug = parseUintDec(ctx.what, v, 100); } },
  { name: 'redis', effect: refusedBecause('Redis output is not supported yet', 'outputs'),
    kind: 'value', state: 'field', group: 'output', arg: '<ip[:port]>',
    help: 'send results to Redis (default port 6379); same as -oR', apply: addOutput('redis') },
  { name: 'redis-pwd', effect: refused('raw:redis-pwd'), kind: 'value', state: 'raw', group: 'output', arg: '<password>',
    help: 'Redis password', apply: rawString('redis-pwd') },

  // --- banners (§1.6)
  { name: 'banners', effect: acts('banners'), aliases: ['banner'], kind: 'flag', state: 'field', group: 'banners',
    help: 'complete TCP connections and grab banners', apply: (d, v) => { if (parseBool(v)) d.banners = true; else bannersOff(d); } },
  { name: 'nobanners', effect: acts('banners'), aliases: ['nobanner'], kind: 'flag', state: 'field', group: 'banners',
    help: 'no banner grabbing', apply: (d, v) => { if (parseBool(v)) bannersOff(d); } },
  { name: 'rawudp', effect: acts('rawUdp'),
    kind: 'flag', state: 'raw', group: 'banners', help: 'also report raw UDP payloads (implies --banners)',
    apply: bannerCheck('rawudp', false) },
  { name: 'connection-timeout', effect: acts('connectionTimeout'),
    aliases: ['tcp-timeout'], kind: 'value', state: 'raw', group: 'banners',
    arg: '<secs>', help: 'longest life of a banner connection (default 30)', apply: rawSeconds('connection-timeout') },
  { name: 'hello-timeout', effect: acts('helloTimeout'), kind: 'value', state: 'raw', group: 'banners', arg: '<secs>',
    help: 'wait this long for the server to speak first (default 2)', apply: rawSeconds('hello-timeout') },
  { name: 'hello', effect: acts('hello'), kind: 'value', state: 'raw', group: 'banners', arg: '<ssl|http|smbv1>',
    help: 'send this probe on every port', apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (!HELLO_TYPES.includes(t)) fail('ERR_BAD_OPTION', ctx.what, v, 'unknown hello type (ssl, http, smbv1)');
      rawSet(d, 'hello', t);
    } },
  { name: 'hello-string', effect: acts('helloStrings'),
    kind: 'value', state: 'raw', group: 'banners', index: 'port', arg: '<base64>',
    help: 'hello-string[PORT]: the probe to send on PORT, base64', apply: (d, v, ctx) => {
      const port = portIndex(ctx);
      const t = v.trim();
      if (!isBase64(t)) fail('ERR_BAD_OPTION', ctx.what, v, 'not base64');
      rawSet(d, `hello-string[${port}]`, t);
    } },
  { name: 'hello-file', effect: acts('helloStrings'),
    aliases: ['hello-filename'], kind: 'value', state: 'raw', group: 'banners', index: 'port',
    arg: '<file>', help: 'hello-file[PORT]: the probe to send on PORT, from a file (<= 16 KiB)',
    apply: (d, v, ctx) => {
      const port = portIndex(ctx);
      const f = nonEmpty(ctx, v);
      const buf = readOrFail(ctx, f, 'hello file');
      if (buf.length > 16384) fail('ERR_FILE', ctx.what, f, 'file larger than 16 KiB');
      // Stored as the hello-string it stands for, which is what --echo prints (as masscan).
      rawSet(d, `hello-string[${port}]`, buf.toString('base64'));
    } },
  { name: 'http-user-agent', effect: acts('httpUserAgent'),
    aliases: ['http-useragent'], kind: 'value', state: 'raw', group: 'banners',
    arg: '<text>', help: 'HTTP User-Agent of the HTTP probe', apply: rawString('http-user-agent') },
  { name: 'http-host', effect: acts('httpHost'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<text>', help: 'HTTP Host field',
    apply: rawString('http-host') },
  { name: 'http-method', effect: acts('httpMethod'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<text>', help: 'HTTP method',
    apply: rawString('http-method') },
  { name: 'http-url', effect: acts('httpUrl'),
    aliases: ['http-uri'], kind: 'value', state: 'raw', group: 'banners', arg: '<path>',
    help: 'HTTP request path', apply: rawString('http-url') },
  { name: 'http-version', effect: acts('httpVersion'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<text>', help: 'HTTP version',
    apply: rawString('http-version') },
  { name: 'http-header', effect: acts('httpHeaders'),
    aliases: ['http-field'], kind: 'value', state: 'raw', group: 'banners', index: 'name',
    arg: '<Name:Value>', help: 'replace or add an HTTP header field (also http-header[Name] Value)',
    apply: (d, v, ctx) => {
      let text: string;
      if (ctx.index !== undefined && ctx.index !== '') text = `${ctx.index}:${v.trim()}`;
      else text = v.trim();
      const colon = text.indexOf(':');
      if (colon <= 0) fail('ERR_BAD_OPTION', ctx.what, v, 'needs both a name and a value, e.g. X-Name:value');
      rawAdd(d, 'http-header', `${text.slice(0, colon).trim()}:${text.slice(colon + 1).trim()}`);
    } },
  { name: 'http-cookie', effect: acts('httpCookies'), kind: 'value', state: 'raw', group: 'banners', arg: '<text>',
    help: 'add a Cookie field', apply: rawString('http-cookie', true) },
  { name: 'http-payload', effect: acts('httpPayload'), kind: 'value', state: 'raw', group: 'banners', arg: '<text>',
    help: 'HTTP request body (adds Content-Length)', apply: rawString('http-payload') },
  { name: 'http-field-remove', effect: acts('httpFieldRemove'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<name>',
    help: 'remove a field from the HTTP probe', apply: rawString('http-field-remove', true) },
  { name: 'capture', effect: acts('capture'), kind: 'value', state: 'field', group: 'banners', arg: '<type>',
    help: 'keep cert (default), html, heartbleed or ticketbleed (leaked bytes); servername: not supported yet', apply: setCapture(true) },
  { name: 'nocapture', effect: acts('capture'),
    aliases: ['no-capture'], kind: 'value', state: 'field', group: 'banners', arg: '<type>',
    help: 'do not keep that', apply: setCapture(false) },
  { name: 'heartbleed', effect: acts('vulnCheck', 'banners'),
    kind: 'flag', state: 'raw', group: 'banners', help: 'check for Heartbleed (implies --banners)',
    apply: bannerCheck('heartbleed', true) },
  { name: 'ticketbleed', effect: acts('vulnCheck', 'banners'),
    kind: 'flag', state: 'raw', group: 'banners', help: 'check for Ticketbleed (implies --banners)',
    apply: bannerCheck('ticketbleed', true) },
  { name: 'vuln', effect: acts('vulnCheck', 'banners'), kind: 'value', state: 'raw', group: 'banners', arg: '<check>',
    help: 'vulnerability check: heartbleed or ticketbleed (as --heartbleed, --ticketbleed), poodle (or sslv3: an SSL 3.0 hello), ' +
      'ntp-monlist (the UDP/123 probe is mode-7 monlist, as --ntp-probe monlist)',
    apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (!VULN_CHECKS.includes(t)) fail('ERR_BAD_OPTION', ctx.what, v, `vuln check does not exist (${VULN_CHECKS.join(', ')})`);
      rawSet(d, 'vuln', t === 'sslv3' ? 'poodle' : t);
      // masscan: banners on; the TLS checks also stop keeping certificates
      d.banners = true;
      if (t !== 'ntp-monlist') d.capture.delete('cert');
    } },
  { name: 'banner-types', effect: acts('bannerTypes'),
    aliases: ['banner-type', 'banner-apps', 'banner-app'], kind: 'value', state: 'field',
    group: 'banners', arg: '<app>', help: 'with --readscan: only these banner types',
    apply: (d, v, ctx) => { d.bannerTypes.push(nonEmpty(ctx, v)); } },
  { name: 'readscan-numbering', effect: acts('readscanNumbering'),
    kind: 'value', state: 'raw', group: 'banners', arg: 'head|1.3.2',
    help: 'with --readscan: banner app-protocol ids of the file (default head; 1.3.2 files number from 16 up one lower)',
    apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (t !== 'head' && t !== '1.3.2') fail('ERR_BAD_OPTION', ctx.what, v, 'expected head or 1.3.2');
      rawSet(d, 'readscan-numbering', t);
    } },
  { name: 'tls-sni', effect: acts('tlsSni'), kind: 'value', state: 'raw', group: 'banners', arg: '<name>', ours: true,
    help: 'server name (SNI) of the TLS ClientHello (default: none)', apply: rawString('tls-sni') },
  { name: 'no-identify', effect: acts('identify'), kind: 'flag', state: 'raw', group: 'banners', ours: true,
    help: 'no identification probes on ports without a hello (only the hello table applies, as in masscan)',
    apply: rawBool('no-identify') },
  { name: 'no-firewall', effect: acts('noFirewall'), kind: 'flag', state: 'field', group: 'banners', ours: true,
    help: 'with --banners: do not add the nftables rule that keeps the kernel from resetting our connections',
    apply: (d, v) => { d.noFirewall = parseBool(v); } },
  { name: 'noreset', effect: acts('noreset'),
    kind: 'flag', state: 'field', group: 'banners', help: 'do not send RST after a SYN-ACK',
    apply: (d, v) => { d.noreset = parseBool(v); } },
  { name: 'nmap-payloads', effect: acts('cli:payload-files.ts:nmapPayloads'),
    aliases: ['nmap-payload'], kind: 'value', state: 'raw', group: 'banners', arg: '<file>',
    help: 'UDP payloads in nmap-payloads format', apply: rawFile('nmap-payloads') },
  { name: 'nmap-service-probes', effect: refused('raw:nmap-service-probes'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<file>',
    help: 'nmap-service-probes file', apply: rawFile('nmap-service-probes') },
  { name: 'pcap-payloads', effect: acts('cli:payload-files.ts:pcapPayloads'),
    aliases: ['pcap-payload'], kind: 'value', state: 'raw', group: 'banners', arg: '<file>',
    help: 'UDP payloads from a pcap file', apply: rawFile('pcap-payloads') },
  { name: 'ntp-probe', effect: acts('ntpProbe'), kind: 'value', state: 'raw', group: 'banners', arg: '<client|readvar|monlist>', ours: true,
    help: 'the UDP/123 probe: client (mode 3, default), readvar (mode 6) or monlist (mode 7, masscan\'s)', apply: (d, v, ctx) => {
      const t = v.trim().toLowerCase();
      if (!NTP_PROBE_NAMES.includes(t)) fail('ERR_BAD_OPTION', ctx.what, v, `unknown NTP probe (${NTP_PROBE_NAMES.join(', ')})`);
      rawSet(d, 'ntp-probe', t);
    } },
  { name: 'script', effect: refused('raw:script'),
    kind: 'value', state: 'raw', group: 'banners', arg: '<file>', help: 'script file',
    apply: rawFile('script') },

  // --- packet template (§1.7)
  { name: 'tcp-mss', effect: acts('template'),
    aliases: ['tcpmss'], kind: 'numable', state: 'raw', group: 'template', arg: '[N|bool]',
    help: 'TCP MSS option of the SYN (default 1460)', apply: numableTemplate('tcp-mss', 65535) },
  { name: 'tcp-wscale', effect: acts('template'), kind: 'numable', state: 'raw', group: 'template', arg: '[N|bool]',
    help: 'TCP window-scale option (default 3)', apply: numableTemplate('tcp-wscale', 254) },
  { name: 'tcp-tsecho', effect: acts('template'), kind: 'numable', state: 'raw', group: 'template', arg: '[N|bool]',
    help: 'TCP timestamp option', apply: numableTemplate('tcp-tsecho', 0xffffffff) },
  { name: 'tcp-sackok', effect: acts('template'),
    kind: 'flag', state: 'raw', group: 'template', help: 'TCP SACK-permitted option',
    apply: (d, v) => rawSet(d, 'tcp-sackok', parseBool(v) ? 'enable' : 'disable') },
  { name: 'min-packet', effect: acts('template'),
    aliases: ['min-pkt'], kind: 'value', state: 'raw', group: 'template', arg: '<n>',
    help: 'minimum frame size (default 60)', apply: (d, v, ctx) => rawSet(d, 'min-packet', String(parseUintDec(ctx.what, v, 9000))) },
  { name: 'badsum', effect: acts('template'),
    kind: 'flag', state: 'raw', group: 'template', help: 'send bad checksums', apply: rawBool('badsum') },
  { name: 'data-length', effect: acts('template'), kind: 'value', state: 'raw', group: 'template', arg: '<n>',
    help: 'n bytes of data in each TCP SYN (< 1460; from the seed)', apply: (d, v, ctx) => rawSet(d, 'data-length', String(parseUintDec(ctx.what, v, 1459))) },
  { name: 'datadir', effect: refused('raw:datadir'),
    kind: 'value', state: 'raw', group: 'template', arg: '<dir>', help: 'data directory',
    apply: rawFile('datadir') },

  // --- operations (§1.8)
  { name: 'echo', effect: acts('op:echo'), aliases: ['echo-all'], kind: 'flag', state: 'operation', group: 'operations',
    help: 'print the configuration and exit', apply: (d, v) => { if (parseBool(v)) setOperation(d, 'echo'); } },
  { name: 'echo-cidr', effect: acts('op:echo-cidr'),
    kind: 'flag', state: 'operation', group: 'operations', help: 'print the targets as CIDR blocks',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'echo-cidr'); } },
  { name: 'list-scan', effect: acts('op:list'), kind: 'flag', state: 'operation', group: 'operations', ours: true,
    help: 'list the targets in scan order (same as -sL)', apply: (d, v) => { if (parseBool(v)) setOperation(d, 'list'); } },
  { name: 'readscan', effect: acts('op:readscan', 'readscanFiles'),
    kind: 'files', state: 'field', group: 'operations', arg: '<files...>',
    help: 'read scan files (binary -oB, JSON -oJ, NDJSON -oD) and write them in another format', apply: (d, v, ctx) => {
      d.readscanFiles.push(nonEmpty(ctx, v));
      setOperation(d, 'readscan');
    } },
  // --report OUT FILES…: the first file is the HTML report, the others are scan files read as
  // --readscan reads them (binary, JSON or NDJSON); while scanning, -oW OUT writes one.
  { name: 'report', effect: acts('op:readscan', 'readscanFiles', 'outputs'), ours: true,
    kind: 'files', state: 'field', group: 'operations', arg: '<report.html> <files...>',
    help: 'write an HTML report (charts, tables, banners, certificates) of binary, JSON or NDJSON scan files', apply: (d, v, ctx) => {
      if (!d.reportOutput) {
        d.reportOutput = true;
        d.outputs.push({ format: 'report', filename: outputName(ctx, v) });
        d.pendingFormat = undefined;
        return;
      }
      d.readscanFiles.push(nonEmpty(ctx, v));
      setOperation(d, 'readscan');
    } },
  // --- across machines: a Kubernetes Indexed Job of the scan, and merging per-shard files
  { name: 'merge', effect: acts('op:merge', 'readscanFiles'),
    kind: 'files', state: 'operation', group: 'operations', arg: '<files...>', ours: true,
    help: 'combine binary scan files (one per shard) into the outputs given: every record once', apply: (d, v, ctx) => {
      d.readscanFiles.push(nonEmpty(ctx, v));
      setOperation(d, 'merge');
    } },
  { name: 'k8s-job', effect: acts('op:k8s-job', 'cli:k8s-job.ts:k8sJob'), kind: 'value', state: 'operation', group: 'operations',
    arg: '<N>', ours: true, help: 'print a Kubernetes Indexed Job that runs this scan as N shards, one pod each',
    apply: (d, v, ctx) => {
      const n = parseUintDec(ctx.what, v, 100_000);
      if (n < 1) fail('ERR_BAD_OPTION', ctx.what, v, 'expected 1 to 100000 pods');
      d.k8s.count = n;
      setOperation(d, 'k8s-job');
    } },
  { name: 'k8s-image', effect: acts('cli:k8s-job.ts:k8sJob'), kind: 'value', state: 'operation', group: 'operations',
    arg: '<image>', ours: true, help: 'with --k8s-job: the container image (default tidescan:latest)',
    apply: (d, v, ctx) => {
      const t = v.trim();
      if (!/^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,254}$/.test(t)) fail('ERR_BAD_OPTION', ctx.what, v, 'expected an image reference, e.g. registry.example/tidescan:1');
      d.k8s.image = t;
    } },
  { name: 'k8s-namespace', effect: acts('cli:k8s-job.ts:k8sJob'), kind: 'value', state: 'operation', group: 'operations',
    arg: '<ns>', ours: true, help: 'with --k8s-job: the namespace of the Job (default default)',
    apply: (d, v, ctx) => { d.k8s.namespace = k8sName(ctx, v, 63); } },
  { name: 'k8s-secret', effect: acts('cli:k8s-job.ts:k8sJob'), kind: 'value', state: 'operation', group: 'operations',
    arg: '<name>', ours: true, help: 'with --k8s-job: Secret whose key `url` is the PostgreSQL URL (default tidescan-db)',
    apply: (d, v, ctx) => { d.k8s.secret = k8sName(ctx, v, 253); } },
  { name: 'k8s-pvc', effect: acts('cli:k8s-job.ts:k8sJob'), kind: 'value', state: 'operation', group: 'operations',
    arg: '<claim>', ours: true, help: 'with --k8s-job: write per-shard -oB files to this PersistentVolumeClaim instead of PostgreSQL',
    apply: (d, v, ctx) => { d.k8s.pvc = k8sName(ctx, v, 253); } },
  { name: 'readrange', effect: acts('op:readrange'),
    aliases: ['readranges', 'read-range', 'read-ranges'], kind: 'flag', state: 'operation',
    group: 'operations', help: 'print the target ranges', apply: (d, v) => { if (parseBool(v)) setOperation(d, 'readrange'); } },
  { name: 'selftest', effect: acts('op:selftest'),
    aliases: ['self-test', 'regress'], kind: 'flag', state: 'operation', group: 'operations',
    help: 'run the built-in self test', apply: (d, v) => { if (parseBool(v)) setOperation(d, 'selftest'); } },
  { name: 'benchmark', effect: acts('op:benchmark'),
    kind: 'flag', state: 'operation', group: 'operations', help: 'measure the probe and reply paths in process (no network)',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'benchmark'); } },
  { name: 'iflist', effect: acts('op:iflist'),
    kind: 'flag', state: 'operation', group: 'operations', help: 'list network interfaces (same as -W)',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'iflist'); } },
  { name: 'nmap', effect: acts('op:nmap-help'),
    kind: 'flag', state: 'operation', group: 'operations', help: 'list the nmap-compatible options',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'nmap-help'); } },
  { name: 'version', effect: acts('op:version'),
    kind: 'flag', state: 'operation', group: 'operations', help: 'print the version (same as -V)',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'version'); } },
  { name: 'help', effect: acts('op:help'), kind: 'flag', state: 'operation', group: 'operations', help: 'this help',
    apply: (d, v) => { if (parseBool(v)) setOperation(d, 'help'); } },
  { name: 'banner1', effect: refusedOwn, kind: 'value', state: 'none', group: 'operations', arg: '<pcap>', help: '',
    apply: (_d, _v, ctx) => { throw new ScanError('ERR_USAGE', `${ctx.what}: the pcap banner test is not supported; use --banners on a scan`); } },

  // --- nmap options accepted with a message, or refused (§1.9)
  // masscan prints this and goes on; a minimum rate we do not keep is refused instead.
  { name: 'min-rate', effect: refusedOwn, kind: 'value', state: 'none', group: 'nmap', arg: '<pps>', help: '',
    apply: nmapReject('min-rate', 'unsupported, we go as fast as --max-rate allows') },
  { name: 'send-eth', effect: noop('frames are always sent as Ethernet frames (masscan says the same)'),
    kind: 'flag', state: 'none', group: 'nmap', help: '',
    apply: nmapInfo('send-eth', 'unnecessary, we always do --send-eth') },
  { name: 'release-memory', effect: noop('nothing is held that could be released (masscan says the same)'),
    kind: 'flag', state: 'none', group: 'nmap', help: '',
    apply: nmapInfo('release-memory', 'this is our default option') },
  { name: 'nobacktrace', effect: noop('no backtraces are printed anyway (masscan ignores it outside its crash handler)'),
    aliases: ['backtrace'], kind: 'flag', state: 'none', group: 'misc', help: '',
    apply: () => undefined },
  ...NMAP_REFUSED.map(nmapRefusal),
];

export const OPTIONS: readonly OptionDef[] = DEFS.map((d) => ({
  ...d,
  aliases: d.aliases ?? [],
  index: d.index ?? 'none',
  arg: d.arg ?? '',
}));

const BY_NAME = new Map<string, OptionDef>();
for (const def of OPTIONS) {
  for (const n of [def.name, ...def.aliases]) {
    const key = normaliseName(n);
    const seen = BY_NAME.get(key);
    if (seen !== undefined && seen !== def) throw new Error(`options table: duplicate name ${n}`);
    BY_NAME.set(key, def);
  }
}

export function findOption(name: string): OptionDef | undefined {
  return BY_NAME.get(normaliseName(name));
}

export function optionByName(name: string): OptionDef {
  const def = findOption(name);
  if (def === undefined) throw new Error(`options table: no option ${name}`);
  return def;
}

/** Reads a file named by an option; a missing or unreadable file is one clear error. */
function readOrFail(ctx: ApplyContext, path: string, what: string): Buffer {
  try {
    return ctx.readFile(path);
  } catch (e) {
    const why = e instanceof Error && 'code' in e ? String((e as NodeJS.ErrnoException).code) : 'cannot read';
    const msg = e instanceof Error ? e.message : String(e);
    throw new ScanError('ERR_FILE', `${ctx.what}: cannot read ${what} ${quoteInput(path)}: ${why === 'cannot read' ? clipInput(msg) : why}`);
  }
}

// ---------------------------------------------------------------------------------------------
// nmap-style single-dash options (§1.9)

/** Single-letter options that take a value (attached, `-p80`, or the next argument). */
export const DASH_VALUE: Readonly<Record<string, string>> = {
  p: 'ports', e: 'adapter', i: 'adapter', g: 'adapter-port', S: 'adapter-ip', c: 'conf',
};

export const OUTPUT_LETTERS: Readonly<Record<string, OutputFormatName>> = {
  L: 'list', J: 'json', D: 'ndjson', G: 'grepable', X: 'xml', B: 'binary', U: 'unicornscan', H: 'hostonly',
  R: 'redis',
  // SQLite: Q (for query) is a letter neither masscan (L J D G X B U H R) nor nmap (N X S G A,
  // and the old M and H) gives to -o, so no user of either reads -oQ as something else.
  Q: 'sqlite',
  // -oR is masscan's Redis output, so the HTML report takes W (web page): a letter that
  // neither masscan (L J D G X B U H R) nor nmap (N X S G A) uses.
  W: 'report',
};

export const DASH_S_REJECT: Readonly<Record<string, string>> = {
  A: 'ACK scan not yet supported', F: 'FIN scan not yet supported', N: 'NULL scan not yet supported',
  M: 'Maimon scan not yet supported', W: 'Window scan not yet supported', X: 'Xmas scan not yet supported',
  C: 'default scripts not supported', I: 'idle scan not yet supported', V: 'use --banners instead',
  n: 'ping scan: use --ping instead',
};

export const DASH_REJECT: Readonly<Record<string, string>> = {
  A: 'unsupported: use --banners', O: 'unsupported, OS detection is too complex',
  F: 'unsupported, use --top-ports', f: 'fragmentation not yet supported', b: 'FTP bounce scans will never be supported',
  R: 'unsupported, we do not do DNS', r: 'unsupported: randomisation of the target order is mandatory',
};
