/**
 * Command line -> frozen ScanConfig.
 *
 * Order of application (reference §1.1, §3.1): /etc/tidescan/tidescan.conf first (when it
 * exists, unless --readscan, --merge, --no-default-config or TIDESCAN_NO_DEFAULT_CONFIG=1), then argv
 * left to right, with -c/--conf/--resume files applied at the position they appear (later
 * options override earlier ones). Then: TCP is assumed when no scan type was named,
 * --top-ports are added (after all arguments, so a later -sU still counts), excludes are
 * applied, and the target count is checked.
 */
import { ScanError } from '../error.js';
import { type ScanConfig, type Operation, type K8sJobSettings, CAPTURE_TYPES } from '../core/config.js';
import { type Draft, newDraft } from './draft.js';
import {
  type ApplyContext, type OptionDef, type OptionEffect, findOption, DASH_NOOPS, normaliseName, DASH_VALUE, OUTPUT_LETTERS, DASH_S_REJECT,
  DASH_REJECT, optionByName, addOutput,
} from './options.js';
import { parseConfigText } from './config-file.js';
import { isAllDigits, isBoolWord, lookup, refuseLineBreak } from './values.js';
import { finishTargets, topPortRanges } from './targets.js';
import { PORT_ARP } from '../target/ports.js';
import { quoteInput, clipInput } from '../target/parse.js';
import { rawOptionFields } from './typed-options.js';
import { extraAdapters } from './adapters.js';
import { isStoreKind } from '../output/store/store.js';

export const DEFAULT_CONFIG_PATH = '/etc/tidescan/tidescan.conf';
const NO_DEFAULT_CONFIG_ENV = 'TIDESCAN_NO_DEFAULT_CONFIG';

export interface ParseIo {
  /** Reads a whole file; `-` means standard input. Throws (with an errno `code`) on failure. */
  readFile(path: string): Buffer;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Milliseconds since the Unix epoch (for `--seed time`). */
  now(): number;
  /** A fresh random 64-bit seed (crypto). */
  randomSeed(): bigint;
  /** Receives warnings and informational lines meant for stderr. */
  warn?(line: string): void;
}

const MAX_INCLUDE_DEPTH = 8;

/**
 * Everything a non-target option can change in the draft, as one string (the target lists are
 * left out: no refused option touches them). Used to tell a refused option that would change
 * the configuration from one that asks for what is already so.
 */
function draftFingerprint(d: Draft): string {
  const { targets: _targets, includeDepth: _depth, ...rest } = d;
  return JSON.stringify(rest, (_k, v: unknown) => {
    if (typeof v === 'bigint') return `${v}n`;
    if (v instanceof Set) return [...(v as Set<unknown>)].sort();
    if (v instanceof Map) return [...(v as Map<unknown, unknown>)];
    if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
    return v;
  });
}

/** Splits `name[index]` (index < 65536 for numeric kinds is checked by the option). */
function splitIndex(text: string): { name: string; index: string | undefined } {
  const m = /^([^[\]]*)\[([^\]]*)\]$/.exec(text);
  if (m === null) return { name: text, index: undefined };
  return { name: m[1]!, index: m[2]! };
}

class Parser {
  readonly d: Draft = newDraft();
  private readonly warnFn: (line: string) => void;

  constructor(private readonly io: ParseIo) {
    this.warnFn = io.warn ?? (() => undefined);
  }

  private ctx(what: string, index: string | undefined): ApplyContext {
    return {
      what,
      index,
      readFile: (p) => this.io.readFile(p),
      now: () => this.io.now(),
      warn: this.warnFn,
      include: (p, w) => this.includeFile(p, w),
    };
  }

  apply(def: OptionDef, value: string, what: string, index: string | undefined): void {
    if (index !== undefined) {
      if (def.index === 'none') throw new ScanError('ERR_USAGE', `${what}[${clipInput(index)}]: this option takes no [index]`);
      if (def.index !== 'name' && (!/^[0-9]+$/.test(index) || Number(index) > 65535)) {
        throw new ScanError('ERR_USAGE', `${what}[${clipInput(index)}]: the index must be a number below 65536`);
      }
    }
    // Target lists are echoed as ranges, so they may hold a line break; an index (the name of
    // an http-header[Name]) is echoed inside the value.
    if (index !== undefined) refuseLineBreak(`${what} index`, index);
    if (def.state !== 'targets') refuseLineBreak(what, value);
    if (def.effect.is === 'refused') this.applyRefused(def, def.effect, value, what, index);
    else def.apply(this.d, value, this.ctx(what, index));
  }

  /**
   * An option nothing acts on yet is an error, one line naming it (`--banners: not supported
   * yet`, `scan.conf:3: tcp-mss: not supported yet`), unless applying it changes nothing:
   * `--nobanners` or `nocapture = servername` ask for what is already so, and paused.conf files
   * written before may hold such lines. Its value is parsed all the same (the code stays ready
   * for the day it acts); a bad value is refused with the same message.
   */
  private applyRefused(def: OptionDef, effect: OptionEffect & { is: 'refused' }, value: string, what: string,
    index: string | undefined): void {
    const shown = index === undefined ? what : `${what}[${clipInput(index)}]`;
    const before = draftFingerprint(this.d);
    try {
      def.apply(this.d, value, this.ctx(what, index));
    } catch (e) {
      if (effect.own === true) throw e;
      throw new ScanError('ERR_USAGE', `${shown}: ${effect.why}`);
    }
    if (draftFingerprint(this.d) !== before) throw new ScanError('ERR_USAGE', `${shown}: ${effect.why}`);
  }

  /** -c / --conf / --resume: apply a config file here. */
  includeFile(path: string, what: string): void {
    if (this.d.includeDepth >= MAX_INCLUDE_DEPTH) {
      throw new ScanError('ERR_FILE', `${what} ${quoteInput(path)}: config files nested too deep`);
    }
    let buf: Buffer;
    try {
      buf = this.io.readFile(path);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : String(e));
      throw new ScanError('ERR_FILE', `${what}: cannot read configuration file ${quoteInput(path)}: ${clipInput(code)} (cwd = ${clipInput(this.io.cwd)})`);
    }
    this.d.includeDepth++;
    try {
      this.applyConfigText(buf.toString('utf8'), path);
    } finally {
      this.d.includeDepth--;
    }
  }

  applyConfigText(text: string, filename: string): void {
    for (const e of parseConfigText(text)) {
      const { name, index } = splitIndex(e.name);
      const where = `${clipInput(filename)}:${e.line}`;
      const what = `${where}: ${clipInput(name)}`;
      const def = findOption(name);
      if (def === undefined) {
        throw new ScanError('ERR_USAGE', `${where}: unknown config option: ${clipInput(e.name)} = ${clipInput(e.value)}`);
      }
      this.apply(def, e.value, what, index);
    }
  }

  parseArgv(argv: readonly string[]): void {
    let i = 0;
    const next = (what: string): string => {
      if (i + 1 >= argv.length) throw new ScanError('ERR_USAGE', `${what}: missing value`);
      i++;
      return argv[i]!;
    };
    for (; i < argv.length; i++) {
      const a = argv[i]!;
      if (a.startsWith('--')) {
        const body = a.slice(2);
        let nameText = body;
        let inline: string | undefined;
        let cut = body.indexOf('=');
        if (cut < 0) cut = body.indexOf(':');
        if (cut >= 0) {
          nameText = body.slice(0, cut);
          inline = body.slice(cut + 1);
        }
        const { name, index } = splitIndex(nameText);
        const def = findOption(name);
        const what = `--${clipInput(name)}`;
        if (def === undefined || name === '') {
          throw new ScanError('ERR_USAGE', `unknown option: ${clipInput(a)} (try --help, or --nmap for the nmap-style options)`);
        }
        if (def.kind === 'files') {
          const files: string[] = [];
          if (inline !== undefined) files.push(inline);
          while (i + 1 < argv.length && !argv[i + 1]!.startsWith('-')) files.push(argv[++i]!);
          if (files.length === 0) throw new ScanError('ERR_USAGE', `${what}: no files given`);
          for (const f of files) this.apply(def, f, what, index);
          continue;
        }
        let value: string;
        if (inline !== undefined) value = inline;
        else if (def.kind === 'flag') value = '';
        else if (def.kind === 'numable') {
          const n = argv[i + 1];
          if (n !== undefined && (isAllDigits(n) || isBoolWord(n))) { value = n; i++; } else value = '';
        } else value = next(what);
        this.apply(def, value, what, index);
      } else if (a.startsWith('-') && a.length > 1) {
        this.parseDash(a, next);
      } else {
        const c = a.charCodeAt(0);
        if ((c >= 0x30 && c <= 0x39) || a[0] === ':' || a[0] === '[') {
          this.d.targets.addText('target', a);
        } else {
          throw new ScanError('ERR_USAGE', `unknown command-line parameter ${quoteInput(a)} (did you want ${quoteInput(`--${a}`)}?)`);
        }
      }
    }
  }

  private parseDash(a: string, next: (what: string) => string): void {
    const d = this.d;
    const letter = a[1]!;
    const rest = a.slice(2);
    const shown = clipInput(a);
    const reject = (msg: string): never => { throw new ScanError('ERR_USAGE', `nmap(${shown}): ${msg}`); };
    if (/^-(v+)$/.test(a)) { d.verbosity += a.length - 1; return; }
    // -d, -dd: as many --debug-level steps.
    if (/^-(d+)$/.test(a)) { this.apply(optionByName('debug-level'), String(d.debug + a.length - 1), clipInput(a), undefined); return; }
    if (lookup(DASH_NOOPS, a) !== undefined) return;
    switch (a) {
      case '-h': case '-?': d.operation = 'usage'; return;
      case '-V': d.operation = 'version'; return;
      case '-W': d.operation = 'iflist'; return;
      case '-iL': this.apply(optionByName('includefile'), next(a), a, undefined); return;
      case '-iR': reject('random targets are not supported; give --range 0.0.0.0/0 with --exclude instead');
    }
    if (letter === 's') {
      if (rest.length !== 1) throw new ScanError('ERR_USAGE', `${shown}: unknown parameter (scan types are one letter: -sS, -sU, ...)`);
      switch (rest) {
        case 'S': d.scanTcp = true; d.scanTypeGiven = true; d.defaultProto = 'tcp'; return;
        case 'U': d.scanUdp = true; d.scanTypeGiven = true; d.defaultProto = 'udp'; return;
        case 'Z': d.scanSctp = true; d.scanTypeGiven = true; d.defaultProto = 'sctp'; return;
        case 'O': d.scanTypeGiven = true; return;
        case 'L': d.operation = 'list'; return;
        case 'T':
          this.warnFn('nmap(-sT): connect() is too synchronous for cool kids');
          this.warnFn('WARNING: doing SYN scan (-sS) anyway, ignoring (-sT)');
          d.scanTcp = true; d.scanTypeGiven = true; return;
      }
      const msg = lookup(DASH_S_REJECT, rest);
      if (msg !== undefined) reject(msg);
      throw new ScanError('ERR_USAGE', `${shown}: unknown parameter`);
    }
    if (letter === 'P') reject('unsupported option, maybe in future');
    if (letter === 'T' && /^[0-9]$/.test(rest)) reject('unsupported, we do timing WAY different than nmap');
    if (letter === 'o') {
      const f = rest[0];
      if (f === 'A' || f === 'N' || f === 'S') reject('unsupported output format');
      const format = f === undefined ? undefined : lookup(OUTPUT_LETTERS, f);
      if (format === undefined) throw new ScanError('ERR_USAGE', `unknown option: ${shown} (try --help, or --nmap)`);
      const what = `-o${f}`;
      const file = rest.length > 1 ? rest.slice(1) : next(what);
      if (format === 'redis') this.apply(optionByName('redis'), file, what, undefined);
      else addOutput(format)(d, file, this.ctx(what, undefined));
      return;
    }
    if (rest === '') {
      const msg = lookup(DASH_REJECT, letter);
      if (msg !== undefined) reject(msg);
    }
    const long = lookup(DASH_VALUE, letter);
    if (long !== undefined) {
      const what = `-${letter}`;
      const value = rest !== '' ? rest : next(what);
      this.apply(optionByName(long), value, what, undefined);
      return;
    }
    throw new ScanError('ERR_USAGE', `unknown option: ${shown} (try --help, or --nmap for the nmap-style options)`);
  }

  /** Seeds, default ports, excludes, counts: the frozen config. */
  finish(): ScanConfig {
    const d = this.d;
    const operation: Operation = d.operation ?? 'scan';
    if (!d.scanTypeGiven) d.scanTcp = true;
    // `--top-ports 0` adds nothing; it is remembered so that "no ports" can name it.
    if (d.topPorts === 0) d.targets.given.ports.push('--top-ports 0');
    if (d.topPorts !== undefined && d.topPorts > 0) {
      if (d.scanTcp || !d.scanUdp) d.targets.addPortRanges(topPortRanges(d.topPorts, 'tcp'));
      if (d.scanUdp) d.targets.addPortRanges(topPortRanges(d.topPorts, 'udp'));
    }
    if (d.shard.of > 1 && d.seed === undefined) {
      this.warnFn('[-] WARNING: --seed <num> is not specified');
      this.warnFn('    HINT: all shards must share the same seed');
    }
    const seed = d.seed ?? this.io.randomSeed();
    const t = finishTargets(d.targets, operation);
    if (d.arpscan && t.ports.some((p) => p.begin !== PORT_ARP || p.end !== PORT_ARP)) {
      throw new ScanError('ERR_USAGE', 'cannot arpscan and portscan at the same time');
    }
    const outputs = d.outputs.map((o) => Object.freeze({ format: o.format, filename: o.filename }));
    if (d.pendingFormat !== undefined && d.pendingFormat !== 'interactive') {
      outputs.push(Object.freeze({ format: d.pendingFormat, filename: '-' }));
    }
    const raw = new Map<string, readonly string[]>();
    for (const [k, v] of d.raw) raw.set(k, Object.freeze([...v]));
    const k8sJob = finishK8s(d, operation);
    if (d.storeResume && operation === 'scan' && outputs.filter((o) => isStoreKind(o.format)).length !== 1) {
      throw new ScanError('ERR_USAGE', '--store-resume: needs exactly one PostgreSQL or SQLite output (its row of this shard is resumed)');
    }
    const config: ScanConfig = {
      operation,
      targets4: Object.freeze(t.targets4.map((r) => Object.freeze(r))),
      targets6: Object.freeze(t.targets6.map((r) => Object.freeze(r))),
      ports: Object.freeze(t.ports.map((r) => Object.freeze(r))),
      hasExclude4: d.targets.hasExclude4,
      seed,
      blackrockRounds: d.blackrockRounds,
      shard: Object.freeze({ one: d.shard.one, of: d.shard.of }),
      resumeIndex: d.resumeIndex,
      resumeCount: d.resumeCount,
      retries: d.retries,
      infinite: d.infinite,
      rate: d.rate,
      wait: d.wait,
      txThreads: d.txThreads,
      adapter: d.adapter,
      adapterIp4: d.adapterIp4 === undefined ? undefined : Object.freeze({ ...d.adapterIp4 }),
      adapterIp6: d.adapterIp6,
      adapterPort: d.adapterPort === undefined ? undefined : Object.freeze({ ...d.adapterPort }),
      adapterMac: d.adapterMac,
      routerMac4: d.routerMac4,
      routerMac6: d.routerMac6,
      routerIp: d.routerIp,
      extraAdapters: extraAdapters(raw),
      vlan: d.vlan,
      ttl: d.ttl,
      offline: d.offline,
      txBackend: d.txBackend,
      txArbiter: d.txArbiter,
      bpf: d.bpf,
      noreset: d.noreset,
      noFirewall: d.noFirewall,
      arpscan: d.arpscan,
      banners: d.banners,
      packetTrace: d.packetTrace,
      pcapFilename: d.pcapFilename,
      capture: Object.freeze(CAPTURE_TYPES.filter((c) => d.capture.has(c))),
      outputs: Object.freeze(outputs),
      outputAppend: d.outputAppend,
      showOpen: d.showOpen,
      showClosed: d.showClosed,
      interactive: d.interactive,
      status: d.status,
      ndjsonStatus: d.ndjsonStatus,
      rotateSeconds: d.rotateSeconds,
      rotateOffset: d.rotateOffset,
      rotateSize: d.rotateSize,
      rotateDir: d.rotateDir,
      stylesheet: d.stylesheet,
      verbosity: d.verbosity,
      debug: d.debug,
      readscanFiles: Object.freeze([...d.readscanFiles]),
      bannerTypes: Object.freeze([...d.bannerTypes]),
      ...rawOptionFields(raw),
      storeResume: d.storeResume,
      k8sJob,
      raw,
    };
    return Object.freeze(config);
  }
}

/** The --k8s-job settings with their defaults; --k8s-* without --k8s-job is an error. */
function finishK8s(d: Draft, operation: Operation): K8sJobSettings | undefined {
  const k = d.k8s;
  if (operation !== 'k8s-job' || k.count === undefined) {
    const given = Object.keys(k).filter((n) => n !== 'count');
    if (given.length > 0) throw new ScanError('ERR_USAGE', `--k8s-${given[0]!}: only with --k8s-job N`);
    return undefined;
  }
  return Object.freeze({
    count: k.count,
    image: k.image ?? 'tidescan:latest',
    namespace: k.namespace ?? 'default',
    secret: k.secret ?? 'tidescan-db',
    pvc: k.pvc,
  });
}

/** Where argv first names the long option `name` (normalised), or -1. */
function argvIndex(argv: readonly string[], name: string): number {
  return argv.findIndex((a) => a.startsWith('--') && normaliseName(a.slice(2).split(/[=:[]/, 1)[0]!) === name);
}

/** Whether argv names the long option `name` (normalised) anywhere. */
function argvHas(argv: readonly string[], name: string): boolean {
  return argvIndex(argv, name) >= 0;
}

function wantsDefaultConfig(argv: readonly string[], env: ParseIo['env']): boolean {
  const e = env[NO_DEFAULT_CONFIG_ENV];
  if (e !== undefined && e !== '' && e !== '0') return false;
  return !argvHas(argv, 'readscan') && !argvHas(argv, 'merge') && !reportsFiles(argv) && !argvHas(argv, 'nodefaultconfig');
}

/** `--report OUT FILE…`: a conversion of files, which (as --readscan) reads no default config. */
function reportsFiles(argv: readonly string[]): boolean {
  const i = argvIndex(argv, 'report');
  if (i < 0) return false;
  const inline = argv[i]!.includes('=') ? 1 : 0;
  let n = inline;
  for (let j = i + 1; j < argv.length && !argv[j]!.startsWith('-'); j++) n++;
  return n >= 2;
}

/** Reads the default config file when it exists (a missing file is not an error). */
function readDefaultConfig(io: ParseIo): string | undefined {
  try {
    return io.readFile(DEFAULT_CONFIG_PATH).toString('utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw new ScanError('ERR_FILE', `cannot read default configuration file ${DEFAULT_CONFIG_PATH}: ${code ?? String(e)}`);
  }
}

/**
 * Parses a command line (without the program name) into a frozen ScanConfig. Throws
 * ScanError for any bad input, with one line that names it.
 */
export function parseCommandLine(argv: readonly string[], io: ParseIo): ScanConfig {
  const p = new Parser(io);
  if (wantsDefaultConfig(argv, io.env)) {
    const text = readDefaultConfig(io);
    if (text !== undefined) p.applyConfigText(text, DEFAULT_CONFIG_PATH);
  }
  if (argv.length === 0) p.d.operation = 'usage';
  p.parseArgv(argv);
  return p.finish();
}

/** Parses config-file text alone (no argv, no default file): for tests and tools. */
export function parseConfigFileText(text: string, filename: string, io: ParseIo): ScanConfig {
  const p = new Parser(io);
  p.applyConfigText(text, filename);
  return p.finish();
}
