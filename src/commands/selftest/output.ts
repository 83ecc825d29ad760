/**
 * --selftest units of src/output: the binary format, written and read back.
 */
import { formatIPv4 } from '../../target/ipv4.js';
import { formatIPv6 } from '../../target/ipv6.js';
import { toHex } from '../../wire/bytes.js';
import { binaryFormat, BinaryReader } from '../../output/binary.js';
import { Sink, type OutputFs } from '../../output/sink.js';
import { builtinServiceNames } from '../../output/services.js';
import type { ScanRecord } from '../../core/record.js';
import { writeSync } from 'node:fs';
import { fail, check, eq, eqList, throwsScan, type SelftestUnit } from './harness.js';

function memorySink(chunks: Uint8Array[]): Sink {
  const no = (): never => fail('the binary writer touched the file system');
  const fs: OutputFs = {
    openSync: no, readSync: no, fstatSync: no, ftruncateSync: no, closeSync: no, renameSync: no,
    existsSync: no, mkdirSync: no,
    writeSync: (_fd, b, off, len) => {
      chunks.push(b.slice(off, off + len));
      return len;
    },
  };
  return new Sink(-1, 'selftest.bin', fs);
}

function recordText(r: ScanRecord): string {
  const ip = r.ip.version === 4 ? formatIPv4(r.ip.v4) : formatIPv6(r.ip.v6);
  if (r.kind === 'service') return `service ${r.timestamp} ${ip} ${r.ipProto} ${r.port} ${r.service} ${r.handshakes}`;
  return r.kind === 'status'
    ? `status ${r.timestamp} ${ip} ${r.ipProto} ${r.port} ${r.status} ${r.reason} ${r.ttl}`
    : `banner ${r.timestamp} ${ip} ${r.ipProto} ${r.port} ${r.service} ${r.ttl} ${toHex(r.banner)}`;
}

export const binaryUnit: SelftestUnit = {
  name: 'output_binary',
  what: '-oB writer -> --readscan reader round trip (v4/v6, status/banner, 1- and 2-byte lengths), split reads',
  run() {
    const http = Uint8Array.from('HTTP/1.0 200 OK\r\nServer: x\r\n\r\n', (c) => c.charCodeAt(0));
    const long = Uint8Array.from({ length: 202 }, (_, i) => 0x20 + (i % 90));
    const records: ScanRecord[] = [
      { kind: 'status', timestamp: 0x6553f100, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, status: 'open', reason: 0x12, ttl: 0x40 },
      { kind: 'status', timestamp: 0x6553f101, ip: { version: 4, v4: 0x0a000002 }, ipProto: 6, port: 443, status: 'closed', reason: 0x14, ttl: 0x80 },
      { kind: 'banner', timestamp: 0x6553f103, ip: { version: 4, v4: 0x0a000001 }, ipProto: 6, port: 80, service: 'http', ttl: 0x40, banner: http },
      { kind: 'status', timestamp: 0x6553f104, ip: { version: 6, v6: 0x20010db8000000000000000000000001n }, ipProto: 6, port: 22, status: 'open', reason: 0x12, ttl: 0x39 },
      { kind: 'banner', timestamp: 0x6553f105, ip: { version: 6, v6: 0x20010db8000000000000000000000001n }, ipProto: 6, port: 22, service: 'ssh', ttl: 0x39, banner: Uint8Array.of(0x53, 0x53, 0x48) },
      { kind: 'banner', timestamp: 0x6553f106, ip: { version: 4, v4: 0x0a000004 }, ipProto: 6, port: 443, service: 'ssl', ttl: 0x33, banner: long },
      { kind: 'status', timestamp: 0x6553f107, ip: { version: 4, v4: 0x0a000005 }, ipProto: 17, port: 53, status: 'open', reason: 0, ttl: 0x30 },
    ];
    const chunks: Uint8Array[] = [];
    const sink = memorySink(chunks);
    const state = binaryFormat.create(
      { startTime: 1700000000, version: 'selftest', portsScanned: [{ begin: 80, end: 80 }], commandLine: 'tidescan --selftest' },
      { stylesheet: undefined, services: builtinServiceNames(), binaryNumbering: 'head' },
    );
    state.header(sink, records[0]);
    for (const r of records) {
      if (r.kind === 'status') state.status(sink, r); else if (r.kind === 'banner') state.banner(sink, r);
    }
    state.footer(sink, 0);
    sink.flush();
    check(sink.error === undefined, `sink error: ${sink.error?.message}`);
    const file = Buffer.concat(chunks);
    // Layout (§4.8): 99-byte header `masscan/1.1\ns:<start>\n`, 99-byte trailer.
    const head = 'masscan/1.1\ns:1700000000\n';
    eq(String.fromCharCode(...file.subarray(0, head.length)), head, 'binary header text');
    eq(toHex(file.subarray(99, 99 + 15)), '060d6553f1000a000001060050' + '1240', 'first record bytes (masscan sample)');
    eq(String.fromCharCode(...file.subarray(file.length - 99, file.length - 88)), 'masscan/1.1', 'binary trailer');
    const want = records.map(recordText);
    // Whole, then byte by byte, then at a few split points: same records every time.
    const splits: number[][] = [[file.length], Array.from({ length: file.length }, () => 1), [1, 98, 2, 13, 50, 7]];
    for (const sizes of splits) {
      const reader = new BinaryReader({ fileName: 'selftest.bin' });
      const got: string[] = [];
      let p = 0;
      let s = 0;
      while (p < file.length) {
        const n = Math.min(sizes[s % sizes.length], file.length - p);
        reader.push(file.subarray(p, p + n), (r) => { got.push(recordText(r)); });
        p += n;
        s++;
      }
      reader.end();
      eqList(got, want, `records read back in chunks of ${sizes.length === 1 ? sizes[0] : sizes.slice(0, 3).join('/') + '...'}`);
      eq(reader.startTime, 1700000000, 'start time read back');
    }
    // A damaged file is an error naming the file, never a crash or a silent success.
    const damaged = file.slice(0, 99 + 6);
    const reader = new BinaryReader({ fileName: 'selftest.bin' });
    throwsScan(() => { reader.push(damaged, () => undefined); reader.end(); }, 'ERR_CORRUPT', 'truncated binary file');
  },
};

/** The units of `--selftest`, in masscan's spirit: one per module. */
