/**
 * Interactive lines (reference §4.2): what goes to stdout with no output option, or with
 * --interactive beside a file:
 *   Discovered open port 80/tcp on 10.0.0.1
 *   Banner on port 80/tcp on 10.0.0.1: [http] HTTP/1.0 200 OK\x0d\x0a
 *   Discovered up port 0/arp on 10.0.0.7 (00:0c:29:aa:bb:cc) VMware
 * Every line shorter than 79 columns is padded with spaces to 79, so it fully overwrites the
 * `\r`-terminated status line on stderr.
 */
import { escapedLength } from './escape.js';
import type { AppendState, FormatState, OutputFormat } from './format.js';
import { protoName } from './format.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

const WIDTH = 79;
const SPACES = ' '.repeat(WIDTH);

/** A few OUI prefixes users meet on lab and home networks (masscan prints a similar set). */
const OUI: ReadonlyMap<string, string> = new Map([
  ['00:50:56', 'VMware'], ['00:0c:29', 'VMware'], ['00:05:69', 'VMware'], ['00:1c:14', 'VMware'],
  ['08:00:27', 'VirtualBox'], ['52:54:00', 'QEMU'], ['00:16:3e', 'Xen'],
  ['b8:27:eb', 'Raspberry Pi'], ['dc:a6:32', 'Raspberry Pi'], ['e4:5f:01', 'Raspberry Pi'],
  ['00:00:0c', 'Cisco'], ['00:1b:63', 'Apple'], ['00:03:93', 'Apple'], ['f0:18:98', 'Apple'],
  ['00:15:5d', 'Microsoft'],
]);

function ouiVendor(mac: string): string {
  return OUI.get(mac.slice(0, 8).toLowerCase()) ?? '';
}

class InteractiveState implements FormatState {
  header(): void {}
  status(w: Sink, r: StatusRecord): void {
    let line = `Discovered ${r.status} port ${r.port}/${protoName(r.ipProto)} on ${ipToString(r.ip)}`;
    if (r.mac !== undefined) {
      const v = ouiVendor(r.mac);
      line += ` (${r.mac})${v === '' ? '' : ' ' + v}`;
    }
    w.text(line.length < WIDTH ? line + SPACES.slice(line.length) + '\n' : line + '\n');
  }
  banner(w: Sink, r: BannerRecord): void {
    const head = `Banner on port ${r.port}/${protoName(r.ipProto)} on ${ipToString(r.ip)}: [${r.service}] `;
    w.text(head);
    w.escaped(r.banner);
    const n = head.length + escapedLength(r.banner);
    w.text(n < WIDTH ? SPACES.slice(n) + '\n' : '\n');
  }
  footer(): void {}
  resume(_s: AppendState): void {}
}

export const interactiveFormat: OutputFormat = {
  name: 'interactive',
  description: 'human-readable lines, as printed to the terminal',
  extension: '.txt',
  alwaysComplete: false,
  create: () => new InteractiveState(),
};
