/** Hand-built masscan binary files for the binary and interop tests. */
import { ScanError } from '../../src/error.js';
import { BinaryReader } from '../../src/output/binary.js';
import type { ScanRecord } from '../../src/core/record.js';
import { banner, status } from './helpers.js';

/** Hand-built masscan file pieces. */
export function rec(type: number, body: Uint8Array): Buffer {
  const n = body.length;
  const len = n < 128 ? [n] : n < 16384 ? [0x80 | (n >>> 7), n & 0x7f] : [0x80 | (n >>> 14), 0x80 | ((n >>> 7) & 0x7f), n & 0x7f];
  return Buffer.concat([Buffer.from([type, ...len]), body]);
}
export function be(...fields: [number, number][]): Buffer {
  const parts = fields.map(([v, size]) => {
    const b = Buffer.alloc(size);
    b.writeUIntBE(v, 0, size);
    return b;
  });
  return Buffer.concat(parts);
}
export const HEADER = Buffer.concat([Buffer.from('masscan/1.1\ns:1700000000\n'), Buffer.alloc(99 - 25)]);
export const TRAILER = Buffer.concat([Buffer.from('masscan/1.1'), Buffer.alloc(88)]);
const IP6 = Buffer.from('20010db8000000000000000000000001', 'hex');

/** Every record type, as masscan's reader decodes it (checked with masscan 1.3.2 for 1..7, 9..11, 13). */
export function everyTypeFile(): { bytes: Buffer; expect: ScanRecord[] } {
  const parts = [
    HEADER,
    rec(1, be([1700000007, 4], [0x0a000005, 4], [53, 2], [0, 1], [1, 1])),
    rec(2, be([1700000007, 4], [0x0a000005, 4], [22, 2], [0x14, 1], [1, 1])),
    rec(1, be([1700000007, 4], [0x0a000005, 4], [36412, 2], [0, 1], [9, 1])),
    rec(3, Buffer.concat([be([1700000008, 4], [0x0a000005, 4], [22, 2], [3, 2]), Buffer.from('t3')])),
    // type 4: one byte longer than its LENGTH says (the byte after 't4' belongs to it)
    Buffer.concat([rec(4, Buffer.concat([be([1700000008, 4], [0x0a000005, 4], [6, 1], [22, 2], [3, 2]), Buffer.from('Xt4')])), Buffer.from('!')]),
    rec(5, Buffer.concat([be([1700000008, 4], [0x0a000005, 4], [17, 1], [161, 2], [7, 2]), Buffer.from('t5')])),
    rec(6, be([1700000000, 4], [0x0a000001, 4], [6, 1], [80, 2], [0x12, 1], [64, 1])),
    rec(7, be([1700000001, 4], [0x0a000002, 4], [6, 1], [443, 2], [0x14, 1], [128, 1])),
    rec(8, be([1700000009, 4], [0x0a000006, 4], [0, 1], [0, 2], [0, 1], [64, 1])),
    rec(9, Buffer.concat([be([1700000003, 4], [0x0a000001, 4], [6, 1], [80, 2], [4, 2], [64, 1]), Buffer.from('HTTP/1.0 200 OK\r\n')])),
    rec(10, Buffer.concat([be([1700000004, 4], [6, 1], [22, 2], [0x12, 1], [57, 1], [6, 1]), IP6])),
    rec(11, Buffer.concat([be([1700000004, 4], [6, 1], [23, 2], [0x14, 1], [57, 1], [6, 1]), IP6])),
    rec(12, Buffer.concat([be([1700000004, 4], [0, 1], [0, 2], [0, 1], [0, 1], [6, 1]), IP6])),
    rec(13, Buffer.concat([be([1700000005, 4], [6, 1], [22, 2], [3, 2], [57, 1], [6, 1]), IP6, Buffer.from('SSH-2.0-x\r\n')])),
    rec(9, Buffer.concat([be([1700000006, 4], [0x0a000004, 4], [6, 1], [443, 2], [9, 2], [51, 1]), Buffer.alloc(202, 0x41)])),
    rec(9, Buffer.concat([be([1700000006, 4], [0x0a000004, 4], [6, 1], [443, 2], [40, 2], [51, 1]), Buffer.from('id40')])),
    TRAILER,
  ];
  const expect: ScanRecord[] = [
    status('10.0.0.5', 17, 53, 'open', 0, 1, 1700000007),
    status('10.0.0.5', 6, 22, 'closed', 0x14, 1, 1700000007),
    status('10.0.0.5', 132, 36412, 'open', 0, 9, 1700000007),
    banner('10.0.0.5', 6, 22, 'ssh', 't3', 0, 1700000008),
    banner('10.0.0.5', 6, 22, 'ssh', 'Xt4!', 0, 1700000008),
    banner('10.0.0.5', 17, 161, 'snmp', 't5', 0, 1700000008),
    status('10.0.0.1', 6, 80, 'open', 0x12, 64, 1700000000),
    status('10.0.0.2', 6, 443, 'closed', 0x14, 128, 1700000001),
    status('10.0.0.6', 0, 0, 'up', 0, 64, 1700000009),
    banner('10.0.0.1', 6, 80, 'http', 'HTTP/1.0 200 OK\r\n', 64, 1700000003),
    status('2001:db8::1', 6, 22, 'open', 0x12, 57, 1700000004),
    status('2001:db8::1', 6, 23, 'closed', 0x14, 57, 1700000004),
    status('2001:db8::1', 0, 0, 'up', 0, 0, 1700000004),
    banner('2001:db8::1', 6, 22, 'ssh', 'SSH-2.0-x\r\n', 57, 1700000005),
    banner('10.0.0.4', 6, 443, 'ssl', 'A'.repeat(202), 51, 1700000006),
    banner('10.0.0.4', 6, 443, '(40)', 'id40', 51, 1700000006),
  ];
  return { bytes: Buffer.concat(parts), expect };
}


export interface Parsed { records: ScanRecord[]; ids: number[]; error: ScanError | undefined; offsets: number[] }

/** Reads `bytes` split at the given cut points. */
export function readBinary(bytes: Uint8Array, cuts: readonly number[] = [], numbering: 'head' | '1.3.2' = 'head', name = 'f.bin'): Parsed {
  const reader = new BinaryReader({ fileName: name, numbering });
  const out: Parsed = { records: [], ids: [], error: undefined, offsets: [] };
  const points = [...new Set(cuts.filter((c) => c > 0 && c < bytes.length))].sort((a, b) => a - b);
  let prev = 0;
  try {
    for (const c of [...points, bytes.length]) {
      // A fresh copy each time: the reader must not keep the caller's buffer.
      const chunk = Uint8Array.from(bytes.subarray(prev, c));
      reader.push(chunk, (r, id) => { out.records.push(r); out.ids.push(id); });
      chunk.fill(0xee);
      prev = c;
    }
    reader.end();
  } catch (e) {
    if (!(e instanceof ScanError)) throw e;
    out.error = e;
  }
  return out;
}

