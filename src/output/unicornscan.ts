/**
 * Unicornscan format `-oU` (reference §4.9):
 *   TCP open<TAB>            http[   80]<TAB><TAB>from 10.0.0.1  ttl 64 
 * (service right-aligned in 16, port right-aligned in 5, ttl left-aligned in 3). Other
 * protocols print grepable-style without a service (`Host: ip ()<TAB>Ports: 53/open/udp////`);
 * banners are not printed. `#masscan` header and `# end` footer, lazily.
 */
import type { AppendState, FormatOptions, FormatState, OutputFormat } from './format.js';
import { protoName } from './format.js';
import { ipToString } from '../core/address.js';
import type { StatusRecord } from '../core/record.js';
import type { ServiceNames } from './services.js';
import type { Sink } from './sink.js';

class UnicornState implements FormatState {
  constructor(private readonly services: ServiceNames) {}
  header(w: Sink): void {
    w.text('#masscan\n');
  }
  status(w: Sink, r: StatusRecord): void {
    if (r.ipProto === 6) {
      w.text(`TCP ${r.status}\t${this.services.port(6, r.port).padStart(16)}[${String(r.port).padStart(5)}]` +
        `\t\tfrom ${ipToString(r.ip)}  ttl ${String(r.ttl).padEnd(3)}\n`);
    } else {
      w.text(`Host: ${ipToString(r.ip)} ()\tPorts: ${r.port}/${r.status}/${protoName(r.ipProto)}////\n`);
    }
  }
  banner(): void {}
  footer(w: Sink): void {
    w.text('# end\n');
  }
  resume(_s: AppendState): void {}
}

export const unicornscanFormat: OutputFormat = {
  name: 'unicornscan',
  description: "unicornscan's text format (-oU)",
  extension: '.txt',
  alwaysComplete: false,
  create: (_meta, opts: FormatOptions) => new UnicornState(opts.services),
};
