/**
 * The man page (man/tidescan.1) and the bash and zsh completion scripts (completion/), all
 * generated from the options table so that none can miss an option. The files are committed;
 * `scripts/gen-docs.sh` rewrites them and test/cli/docs.test.ts fails when they are stale.
 *
 * What each shows:
 * - the man page: every option of the table, by --help group; refused options in a section
 *   of their own with their reason; no-ops (table and single-dash) with theirs;
 * - the completions: every option that is not refused (a refused one would only lead to an
 *   error), with file, interface and word completion for the values that have them.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OPTIONS, DASH_NOOPS, DASH_VALUE, OUTPUT_LETTERS, type OptionDef, type HelpGroup } from './options.js';
import { GROUP_TITLES, version } from './help.js';


/** Every name an option answers to, canonical first. */
function namesOf(d: OptionDef): string[] {
  return [d.name, ...d.aliases];
}

// ---------------------------------------------------------------------------------------------
// man page (roff, man(7) macros)

/** Text for roff: backslashes doubled as `\e`, hyphens as `\-`, no line starting with a control character. */
function roff(text: string): string {
  const t = text.replace(/\\/g, '\\e').replace(/-/g, '\\-');
  return /^[.']/.test(t) ? `\\&${t}` : t;
}

function manEntry(d: OptionDef, why?: string): string[] {
  // the [index] goes with the canonical name: --adapter[n], --if, --interface <ifname>
  const index = d.index === 'adapter' ? '[\\fIn\\fR]' : d.index === 'port' ? '[\\fIport\\fR]' : d.index === 'name' ? '[\\fIname\\fR]' : '';
  const names = namesOf(d).map((n, i) => `\\fB\\-\\-${roff(n)}\\fR${i === 0 ? index : ''}`).join(', ');
  const arg = d.arg !== '' ? ` \\fI${roff(d.arg)}\\fR` : '';
  const help = why !== undefined && d.effect.is === 'noop' ? '' : d.help;
  const body = [help.replace(/([^.])$/, '$1.'), why].filter((x): x is string => x !== undefined && x !== '').join(' ');
  return ['.TP', `${names}${arg}`, roff(body === '' ? 'see masscan' : body)];
}

export function manPage(ver = version()): string {
  const out: string[] = [
    `.TH TIDESCAN 1 "" "tidescan ${roff(ver)}" "User Commands"`,
    '.\\" Generated from src/cli/options.ts by scripts/gen-docs.sh: do not edit.',
    '.SH NAME',
    'tidescan \\- an Internet\\-scale port scanner with masscan\'s command line',
    '.SH SYNOPSIS',
    '.B tidescan',
    '[\\fIoptions\\fR] [\\fItargets\\fR]',
    '.SH DESCRIPTION',
    'tidescan sends probes to every (address, port) pair of its targets in a random order and',
    'reports the ports that answer. Its options, configuration files and output formats are',
    'masscan\'s.',
    '.PP',
    'Options may be written \\fB\\-\\-name value\\fR, \\fB\\-\\-name=value\\fR or \\fB\\-\\-name:value\\fR;',
    'in names, "\\-", "_" and "." are ignored and case does not matter. A configuration file',
    '(\\fB\\-c\\fR \\fIFILE\\fR) holds "name = value" lines with the same names.',
    '.PP',
    'Every option either acts or is refused with an error naming it; the few that masscan',
    'also ignores are listed under ACCEPTED AND IGNORED.',
  ];
  const groups = new Map<HelpGroup, OptionDef[]>();
  const refusedDefs: OptionDef[] = [];
  const noopDefs: OptionDef[] = [];
  for (const d of OPTIONS) {
    if (d.effect.is === 'refused') { refusedDefs.push(d); continue; }
    if (d.effect.is === 'noop') { noopDefs.push(d); continue; }
    const list = groups.get(d.group) ?? [];
    list.push(d);
    groups.set(d.group, list);
  }
  out.push('.SH OPTIONS');
  for (const [g, list] of groups) {
    out.push(`.SS "${GROUP_TITLES[g]}"`);
    for (const d of list) out.push(...manEntry(d));
  }
  out.push('.SS "SINGLE\\-DASH OPTIONS (nmap style)"');
  for (const [letter, long] of Object.entries(DASH_VALUE)) {
    out.push('.TP', `\\fB\\-${letter}\\fR \\fIvalue\\fR`, roff(`same as --${long}`));
  }
  for (const [letter, format] of Object.entries(OUTPUT_LETTERS)) {
    out.push('.TP', `\\fB\\-o${letter}\\fR \\fIfile\\fR`, roff(`output in ${format} format to file (- for stdout)`));
  }
  for (const [flag, text] of [['-iL', 'same as --includefile'], ['-sS', 'TCP SYN scan (the default)'],
    ['-sU', 'UDP: later bare port numbers are UDP'], ['-sZ', 'SCTP: later bare port numbers are SCTP'],
    ['-sL', 'list the targets in scan order'], ['-v', 'more verbose (repeat for more)'],
    ['-h', 'short usage'], ['-V', 'version'], ['-W', 'same as --iflist']] as const) {
    out.push('.TP', `\\fB${roff(flag)}\\fR`, roff(text));
  }
  out.push('.SH "ACCEPTED AND IGNORED"', 'masscan accepts and ignores these too.');
  for (const d of noopDefs) out.push(...manEntry(d, d.effect.is === 'noop' ? `Ignored: ${d.effect.why}.` : undefined));
  for (const [flag, why] of Object.entries(DASH_NOOPS)) out.push('.TP', `\\fB${roff(flag)}\\fR`, roff(`Ignored: ${why}.`));
  out.push('.SH "NOT SUPPORTED"',
    'Using one of these is an error that names it (exit status 1), unless it asks for what is',
    'already so (\\fB\\-\\-nobanners\\fR).');
  for (const d of refusedDefs) {
    const why = d.effect.is === 'refused' && d.effect.own !== true ? `Refused: ${d.effect.why}.` : 'Refused.';
    out.push(...manEntry(d, why));
  }
  out.push(
    '.SH "EXIT STATUS"',
    '0 for a scan, \\fB\\-sL\\fR, \\fB\\-\\-echo\\fR, \\fB\\-\\-readscan\\fR and the other operations that',
    'succeeded; 1 for \\fB\\-\\-help\\fR, \\fB\\-\\-version\\fR, no arguments, and every error (one line',
    '"[\\-] FAIL: ..." on standard error).',
    '.SH FILES',
    '.TP',
    '/etc/tidescan/tidescan.conf',
    'read first when it exists (skip it with \\fB\\-\\-no\\-default\\-config\\fR or TIDESCAN_NO_DEFAULT_CONFIG=1).',
    '.TP',
    'paused.conf',
    'written on Ctrl\\-C; \\fB\\-\\-resume paused.conf\\fR carries on.',
    '.SH "SEE ALSO"',
    '.BR masscan (8),',
    '.BR nmap (1)',
    '',
  );
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------
// completion

/** How the value of an option completes. */
type ValueKind = 'file' | 'dir' | 'iface' | 'words' | 'none' | 'flag';

const VALUE_WORDS: Readonly<Record<string, readonly string[]>> = {
  'output-format': ['list', 'json', 'ndjson', 'grepable', 'xml', 'binary', 'unicornscan', 'hostonly', 'certs', 'none', 'sqlite', 'postgres'],
  'tx-backend': ['sendmmsg', 'txring'],
  'tx-arbiter': ['auto', 'parallel', 'serial'],
  show: ['open', 'closed', 'all'],
  noshow: ['open', 'closed', 'all'],
  wait: ['forever'],
  seed: ['time'],
  rotate: ['hourly', 'daily', 'weekly', 'minutely'],
  'readscan-numbering': ['head', '1.3.2'],
};

function valueKind(d: OptionDef): ValueKind {
  if (d.kind === 'flag') return 'flag';
  if (VALUE_WORDS[d.name] !== undefined) return 'words';
  if (d.arg === '<ifname>') return 'iface';
  if (d.arg === '<dir>') return 'dir';
  if (d.arg === '<file>' || d.arg === '<files...>' || d.arg === '<pcap>') return 'file';
  if (d.kind === 'numable') return 'flag'; // the value is optional
  return 'none';
}

/** Options the completions offer: all but the refused ones. */
export function completedOptions(): OptionDef[] {
  return OPTIONS.filter((d) => d.effect.is !== 'refused');
}

const SINGLE_DASH = ['-p', '-e', '-i', '-g', '-S', '-c', '-iL', '-sS', '-sU', '-sZ', '-sL', '-v', '-h', '-V', '-W',
  ...Object.keys(OUTPUT_LETTERS).map((l) => `-o${l}`), ...Object.keys(DASH_NOOPS)];

export function bashCompletion(): string {
  const defs = completedOptions();
  const long = defs.flatMap((d) => namesOf(d).map((n) => `--${n}`));
  const byKind = (k: ValueKind): string[] => defs.filter((d) => valueKind(d) === k).flatMap((d) => namesOf(d).map((n) => `--${n}`));
  const fileOpts = [...byKind('file'), '-c', '-iL', ...Object.keys(OUTPUT_LETTERS).map((l) => `-o${l}`)];
  const words = defs.filter((d) => valueKind(d) === 'words');
  const lines = [
    '# bash completion for tidescan. Generated from src/cli/options.ts by scripts/gen-docs.sh: do not edit.',
    '_tidescan() {',
    '  local cur prev',
    '  cur="${COMP_WORDS[COMP_CWORD]}"',
    '  prev="${COMP_WORDS[COMP_CWORD-1]}"',
    '  case "$prev" in',
    `    ${fileOpts.join('|')})`,
    '      COMPREPLY=( $(compgen -f -- "$cur") ); return 0 ;;',
    `    ${byKind('dir').join('|')})`,
    '      COMPREPLY=( $(compgen -d -- "$cur") ); return 0 ;;',
    `    ${[...byKind('iface'), '-e', '-i'].join('|')})`,
    '      COMPREPLY=( $(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur") ); return 0 ;;',
  ];
  for (const d of words) {
    lines.push(`    ${namesOf(d).map((n) => `--${n}`).join('|')})`,
      `      COMPREPLY=( $(compgen -W "${VALUE_WORDS[d.name]!.join(' ')}" -- "$cur") ); return 0 ;;`);
  }
  lines.push(
    '  esac',
    '  if [[ "$cur" == -* ]]; then',
    `    COMPREPLY=( $(compgen -W "${[...long, ...SINGLE_DASH].join(' ')}" -- "$cur") )`,
    '  fi',
    '  return 0',
    '}',
    'complete -o default -F _tidescan tidescan',
    '',
  );
  return lines.join('\n');
}

/** Text inside a zsh _arguments description `[...]`, in single quotes. */
function zshDesc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/'/g, "'\\''").replace(/([[\]:])/g, '\\$1');
}

export function zshCompletion(): string {
  const specs: string[] = [];
  for (const d of completedOptions()) {
    const k = valueKind(d);
    const desc = zshDesc(d.help !== '' ? d.help : d.effect.is === 'noop' ? `ignored: ${d.effect.why}` : d.name);
    let action = '';
    if (k === 'file') action = ':file:_files';
    else if (k === 'dir') action = ':directory:_files -/';
    else if (k === 'iface') action = ':interface:_net_interfaces';
    else if (k === 'words') action = `:value:(${VALUE_WORDS[d.name]!.join(' ')})`;
    else if (k === 'none') action = `:${zshDesc(d.arg.replace(/[<>]/g, '') || 'value')}:`;
    for (const n of namesOf(d)) {
      // `*` lets an option repeat (-p, --range, --exclude accumulate; others: the last wins)
      specs.push(`'*--${n}${k === 'flag' ? '' : '='}[${desc}]${action}'`);
    }
  }
  for (const l of Object.keys(OUTPUT_LETTERS)) specs.push(`'*-o${l}[output file, ${OUTPUT_LETTERS[l]} format]:file:_files'`);
  for (const [flag, desc, action] of [['-p', 'ports', ':ports:'], ['-e', 'interface', ':interface:_net_interfaces'],
    ['-i', 'interface', ':interface:_net_interfaces'], ['-g', 'source port', ':port:'], ['-S', 'source address', ':address:'],
    ['-c', 'config file', ':file:_files'], ['-iL', 'targets from a file', ':file:_files'], ['-sS', 'TCP SYN scan', ''],
    ['-sU', 'UDP scan', ''], ['-sZ', 'SCTP scan', ''], ['-sL', 'list the targets', ''], ['-v', 'more verbose', ''],
    ['-h', 'usage', ''], ['-V', 'version', ''], ['-W', 'list interfaces', '']] as const) {
    specs.push(`'*${flag}[${desc}]${action}'`);
  }
  for (const [flag, why] of Object.entries(DASH_NOOPS)) specs.push(`'*${flag}[ignored: ${zshDesc(why)}]'`);
  return [
    '#compdef tidescan',
    '# zsh completion for tidescan. Generated from src/cli/options.ts by scripts/gen-docs.sh: do not edit.',
    '_arguments \\',
    ...specs.map((s) => `  ${s} \\`),
    "  '*:target:'",
    '',
  ].join('\n');
}

/** The generated files, relative to the package root. */
export function docFiles(): Record<string, string> {
  return {
    'man/tidescan.1': manPage(),
    'completion/tidescan.bash': bashCompletion(),
    'completion/_tidescan': zshCompletion(),
  };
}

export function writeDocs(root: string): void {
  for (const [rel, text] of Object.entries(docFiles())) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), text);
  }
}

// `node dist/src/cli/docs.js ROOT` (scripts/gen-docs.sh) rewrites the files.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeDocs(process.argv[2] ?? '.');
}
