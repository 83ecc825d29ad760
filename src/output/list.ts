/**
 * List format `-oL` (reference §4.3): `#masscan`, one line per record, `# end`.
 *   open tcp 80 10.0.0.1 1700000000
 *   banner tcp 80 10.0.0.1 1700000003 http HTTP/1.0 200 OK\x0d\x0a
 * Lazy header: a scan with no result leaves a 0-byte file, as masscan's does.
 */
import type { FormatState, OutputFormat, AppendState } from './format.js';
import { protoName } from './format.js';
import { ipToString } from './ip.js';
import type { BannerRecord, StatusRecord } from './record.js';
import type { Sink } from './sink.js';

class ListState implements FormatState {
  header(w: Sink): void {
    w.text('#masscan\n');
  }
  status(w: Sink, r: StatusRecord): void {
    w.text(`${r.status} ${protoName(r.ipProto)} ${r.port} ${ipToString(r.ip)} ${r.timestamp}\n`);
  }
  banner(w: Sink, r: BannerRecord): void {
    w.text(`banner ${protoName(r.ipProto)} ${r.port} ${ipToString(r.ip)} ${r.timestamp} ${r.service} `);
    w.escaped(r.banner);
    w.text('\n');
  }
  footer(w: Sink): void {
    w.text('# end\n');
  }
  resume(_s: AppendState): void {}
}

export const listFormat: OutputFormat = {
  name: 'list',
  description: 'one line per result: status proto port ip timestamp (-oL)',
  extension: '.txt',
  alwaysComplete: false,
  create: () => new ListState(),
};
