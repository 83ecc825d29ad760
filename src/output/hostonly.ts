/**
 * Host-only format `-oH` (reference §4.9): one address per line for every status and banner
 * record, duplicates kept (as masscan). No header or footer.
 */
import { putIp } from './ascii.js';
import type { AppendState, FormatState, OutputFormat } from './format.js';
import type { BannerRecord, IpAddress, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

/** The address and a newline, straight into the sink (at most 39 + 1 bytes). */
function ipLine(w: Sink, ip: IpAddress): void {
  const p = putIp(w.buf, w.reserve(41), ip);
  w.buf[p] = 0x0a;
  w.commit(p + 1);
}

class HostonlyState implements FormatState {
  header(): void {}
  status(w: Sink, r: StatusRecord): void {
    ipLine(w, r.ip);
  }
  banner(w: Sink, r: BannerRecord): void {
    ipLine(w, r.ip);
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
