/**
 * --help, -h, --nmap and --version texts. The long help is generated from the options table,
 * so every option the parser knows is listed (except nmap options we refuse).
 */
import { TIDESCAN_VERSION } from '../engine/version.js';
import { OPTIONS, type HelpGroup } from './options.js';

/** The title of each option group, in --help and the man page. */
export const GROUP_TITLES: Record<HelpGroup, string> = {
  targets: 'TARGETS AND PORTS',
  speed: 'SPEED, ORDER, SHARDS, RESUME',
  adapter: 'ADAPTER AND SOURCE',
  output: 'OUTPUT',
  banners: 'BANNERS',
  template: 'PACKET TEMPLATE',
  operations: 'OPERATIONS',
  nmap: 'NMAP COMPATIBILITY',
  misc: 'OTHER',
};

/** tidescan's version (read once, by engine/console.ts). */
export function version(): string {
  return TIDESCAN_VERSION;
}

export function usageText(): string {
  return [
    'usage:',
    'tidescan -p80,8000-8100 10.0.0.0/8 --rate=10000',
    ' scan some web ports on 10.x.x.x at 10kpps',
    'tidescan --nmap',
    ' list those options that are compatible with nmap',
    'tidescan -p80 10.0.0.0/8 -oB <filename>',
    ' save results of scan in binary format to <filename>',
    'tidescan --open --readscan <filename> -oX <savefile>',
    ' read binary scan results in <filename> and save them as xml in <savefile>',
    'tidescan --help',
    ' every option',
    '',
  ].join('\n');
}

export function helpText(): string {
  const lines: string[] = [
    `tidescan ${version()}: an Internet-scale port scanner with masscan's command line`,
    'usage: tidescan [options] [targets]',
    '',
    'Options may be written --name value, --name=value or --name:value; in names, "-", "_"',
    'and "." are ignored and case does not matter. A config file (-c FILE) holds',
    '"name = value" lines with the same names. /etc/tidescan/tidescan.conf is read first',
    'when it exists (skip it with --no-default-config or TIDESCAN_NO_DEFAULT_CONFIG=1).',
  ];
  const groups = new Map<HelpGroup, string[]>();
  for (const def of OPTIONS) {
    if (def.help === '') continue;
    const names = [def.name, ...def.aliases].map((n) => `--${n}`).join(', ');
    const head = `  ${names}${def.arg !== '' ? ` ${def.arg}` : ''}`;
    // Refused options stay listed (masscan users look for them) but say they do not work.
    const help = def.effect.is === 'refused' ? `[${def.effect.why}] ${def.help}` : def.help;
    const text = head.length < 38 ? `${head.padEnd(38)}${help}` : `${head}\n${' '.repeat(38)}${help}`;
    const list = groups.get(def.group) ?? [];
    list.push(text);
    groups.set(def.group, list);
  }
  for (const [g, list] of groups) {
    lines.push('', `${GROUP_TITLES[g]}:`, ...list);
  }
  lines.push('', 'nmap-style options: run tidescan --nmap', '');
  return lines.join('\n');
}

export function nmapHelpText(): string {
  return [
    `tidescan ${version()}`,
    'Usage: tidescan [Options] -p{Target-Ports} {Target-IP-Ranges}',
    'TARGET SPECIFICATION:',
    '  Can pass only IPv4/IPv6 address, CIDR networks, or ranges (non-nmap style)',
    '  Ex: 10.0.0.0/8, 192.168.0.1, 10.0.0.1-10.0.0.254',
    '  -iL <inputfilename>: Input from list of hosts/networks',
    '  --exclude <host1[,host2][,host3],...>: Exclude hosts/networks',
    '  --excludefile <exclude_file>: Exclude list from file',
    '  --randomize-hosts: Randomize order of hosts (default)',
    'HOST DISCOVERY:',
    '  -Pn: Treat all hosts as online (default)',
    '  -n: Never do DNS resolution (default)',
    'SCAN TECHNIQUES:',
    '  -sS: TCP SYN (always on, default)',
    '  -sU: UDP scan (port numbers without a prefix become UDP)',
    '  -sZ: SCTP scan',
    '  -sL: list the targets in scan order, send nothing',
    'SERVICE/VERSION DETECTION:',
    '  --banners: get the banners of the listening service if available.',
    'PORT SPECIFICATION AND SCAN ORDER:',
    '  -p <port ranges>: Only scan specified ports',
    '    Ex: -p22; -p1-65535; -p 111,137,80,139,8080; -p U:53,T:80',
    '  --top-ports [N]: the N most common ports',
    'TIMING AND PERFORMANCE:',
    '  --max-rate <number>: Send packets no faster than <number> per second',
    'FIREWALL/IDS EVASION AND SPOOFING:',
    '  -S/--source-ip <IP_Address>: Spoof source address',
    '  -e <iface>: Use specified interface',
    '  -g/--source-port <portnum>: Use given port number',
    '  --ttl <val>: Set IP time-to-live field',
    '  --spoof-mac <mac address>: Spoof your MAC address',
    'OUTPUT:',
    '  -oX/-oJ/-oD/-oG/-oL/-oB/-oU/-oH <file>: Output scan in XML, JSON, NDJSON, Grepable,',
    '     List, Binary, Unicornscan or host-only format, respectively, to the given filename.',
    '  -oQ <file>: Results into a SQLite database (--output-format postgres',
    '     --output-filename postgres://... for PostgreSQL).',
    '  -v: Increase verbosity level (use -vv or more for greater effect)',
    '  --open: Only show open (or possibly open) ports',
    '  --packet-trace: Show all packets sent',
    '  --append-output: Append to rather than clobber specified output files',
    '  --resume <filename>: Resume an aborted scan',
    'MISC:',
    '  --send-eth: Send using raw ethernet frames (default)',
    '  -V: Print version number',
    '  -h: Print this help summary page.',
    'ACCEPTED AND IGNORED (as masscan does): -n, -Pn, -sY, -6, --randomize-hosts, --reason',
    'EXAMPLES:',
    '  tidescan -v -sS 192.168.0.0/16 10.0.0.0/8 -p 80',
    '  tidescan 23.0.0.0/0 -p80 --exclude 255.255.255.255 --output-format binary --output-filename internet.scan',
    '  tidescan --open --readscan internet.scan -oG internet_scan.grepable',
    'SEE (https://github.com/robertdavidgraham/masscan) FOR MORE HELP',
    '',
  ].join('\n');
}

export function versionText(): string {
  return [
    '',
    `tidescan version ${version()}`,
    `Node.js: ${process.version}`,
    `OS: ${process.platform} ${process.arch}`,
    'Compatible with: masscan 1.3.2 (command line, config files, output formats, -sL order)',
    '',
  ].join('\n');
}
