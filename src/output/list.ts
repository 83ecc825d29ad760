/**
 * List format `-oL` (reference §4.3): `#masscan`, one line per record, `# end`.
 *   open tcp 80 10.0.0.1 1700000000
 *   banner tcp 80 10.0.0.1 1700000003 http HTTP/1.0 200 OK\x0d\x0a
 * Lazy header: a scan with no result leaves a 0-byte file, as masscan's does.
 */
import { asciiOf, putBytes, putDec, putIp } from './ascii.js';
import type { FormatState, OutputFormat, AppendState } from './format.js';
import { protoName } from './format.js';
import { ipToString } from '../core/address.js';
import type { BannerRecord, StatusRecord } from '../core/record.js';
import type { Sink } from './sink.js';

const STATUS_WORD: Readonly<Record<StatusRecord['status'], Uint8Array>> = {
  open: asciiOf('open '), closed: asciiOf('closed '), up: asciiOf('up '),
};
const PROTO_WORD: Uint8Array[] = [];
for (let i = 0; i < 256; i++) PROTO_WORD.push(asciiOf(protoName(i) + ' '));

/** Longest status line: `closed sctp 65535 <39-byte IPv6> <16-digit ts>\n`. */
const STATUS_MAX = 7 + 5 + 6 + 40 + 17;

class ListState implements FormatState {
  header(w: Sink): void {
    w.text('#masscan\n');
  }
  // Hot path: bytes straight into the sink's buffer, no string per record.
  status(w: Sink, r: StatusRecord): void {
    const b = w.buf;
    let p = w.reserve(STATUS_MAX);
    p = putBytes(b, p, STATUS_WORD[r.status]);
    p = putBytes(b, p, PROTO_WORD[r.ipProto & 255]!);
    p = putDec(b, p, r.port);
    b[p++] = 0x20;
    p = putIp(b, p, r.ip);
    b[p++] = 0x20;
    p = putDec(b, p, r.timestamp);
    b[p++] = 0x0a;
    w.commit(p);
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
