/**
 * Host-only format `-oH` (reference §4.9): one address per line for every status and banner
 * record, duplicates kept (as masscan). No header or footer.
 */
import { putIp } from './ascii.js';
import type { AppendState, FormatState, OutputFormat } from './format.js';
import { ipToString } from './ip.js';
import type { BannerRecord, StatusRecord } from './record.js';
import type { Sink } from './sink.js';

class HostonlyState implements FormatState {
  header(): void {}
  status(w: Sink, r: StatusRecord): void {
    const p = putIp(w.buf, w.reserve(41), r.ip);
    w.buf[p] = 0x0a;
    w.commit(p + 1);
  }
  banner(w: Sink, r: BannerRecord): void {
    w.text(ipToString(r.ip) + '\n');
  }
  footer(): void {}
  resume(_s: AppendState): void {}
}

export const hostonlyFormat: OutputFormat = {
  name: 'hostonly',
  description: 'one IP address per line (-oH)',
  extension: '.txt',
  alwaysComplete: false,
  create: () => new HostonlyState(),
};
