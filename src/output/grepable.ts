/**
 * Grepable format `-oG` (reference §4.6), nmap's grepable layout as masscan writes it:
 *   # tidescan 0.1.0 scan initiated Tue Nov 14 22:13:20 2023 as: tidescan -p80 …
 *   # Ports scanned: TCP(5;80-80,443-443,8000-8002,) UDP(0;) SCTP(0;) PROTOCOLS(0;)
 *   Timestamp: 1700000000<TAB>Host: 10.0.0.1 ()<TAB>Ports: 80/open/tcp//http//
 *   Host: 10.0.0.1 ()<TAB>Port: 80<TAB>Service: http<TAB>Banner: HTTP/1.0 200 OK\x0d\x0a
 *   # tidescan done at Tue Nov 14 22:15:00 2023
 * The "Ports scanned" line keeps masscan's quirks: internal port values (UDP 53 prints as
 * 65589-65589), and a comma after every range except the last of the whole list. Service
 * names come from the system's services database (services.ts). The first line names
 * tidescan instead of Masscan and adds nmap's ` as: <command line>`. Lazy header.
 */
import type { AppendState, FormatOptions, FormatState, OutputFormat, ScanMeta } from './format.js';
import { classRanges, gmtimeC, PORT_CLASSES } from './format.js';
import { protoName } from './format.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, ScanRecord, ServiceRecord, StatusRecord } from '../core/record.js';
import type { ServiceNames } from './services.js';
import type { Sink } from './sink.js';

/** `TCP(n;a-b,…) UDP(…) SCTP(…) PROTOCOLS(…)` from internal port ranges. */
export function portsScannedLine(ranges: readonly { begin: number; end: number }[]): string {
  const perClass = PORT_CLASSES.map((c) => classRanges(ranges, c.base, c.end));
  const total = perClass.reduce((n, l) => n + l.length, 0);
  let seen = 0;
  const parts: string[] = [];
  for (let i = 0; i < PORT_CLASSES.length; i++) {
    const list = perClass[i]!;
    let count = 0;
    let items = '';
    for (const r of list) {
      count += r.end - r.begin + 1;
      seen++;
      items += `${r.begin}-${r.end}${seen === total ? '' : ','}`;
    }
    parts.push(`${PORT_CLASSES[i]!.label}(${count};${items})`);
  }
  return parts.join(' ');
}

class GrepableState implements FormatState {
  constructor(
    private readonly meta: ScanMeta,
    private readonly services: ServiceNames,
  ) {}

  header(w: Sink, first: ScanRecord | undefined): void {
    const t = this.meta.readscan === true && first !== undefined ? first.timestamp : this.meta.startTime;
    const as = this.meta.commandLine === '' ? '' : ` as: ${this.meta.commandLine}`;
    w.text(`# tidescan ${this.meta.version} scan initiated ${gmtimeC(t)}${as}\n` +
      `# Ports scanned: ${portsScannedLine(this.meta.portsScanned)}\n`);
  }
  status(w: Sink, r: StatusRecord): void {
    const svc = r.ipProto === 0 ? 'arp' : this.services.port(r.ipProto, r.port);
    w.text(`Timestamp: ${r.timestamp}\tHost: ${ipToString(r.ip)} ()\tPorts: ` +
      `${r.port}/${r.status}/${protoName(r.ipProto)}//${svc}//\n`);
  }
  banner(w: Sink, r: BannerRecord): void {
    w.text(`Host: ${ipToString(r.ip)} ()\tPort: ${r.port}\tService: ${r.service}\tBanner: `);
    w.escaped(r.banner);
    w.text('\n');
  }
  /** Identification (ServiceRecord): a `Ports:` line whose service field is the one found. */
  service(w: Sink, r: ServiceRecord): void {
    w.text(`Timestamp: ${r.timestamp}\tHost: ${ipToString(r.ip)} ()\tPorts: ` +
      `${r.port}/open/${protoName(r.ipProto)}//${r.service}//\n`);
  }
  footer(w: Sink, nowMs: number): void {
    w.text(`# tidescan done at ${gmtimeC(Math.floor(nowMs / 1000))}\n`);
  }
  resume(_s: AppendState): void {}
}

export const grepableFormat: OutputFormat = {
  name: 'grepable',
  description: "nmap's grepable format (-oG)",
  extension: '.gnmap',
  alwaysComplete: false,
  create: (meta: ScanMeta, opts: FormatOptions) => new GrepableState(meta, opts.services),
};
