/**
 * readScan(file): the records of a binary scan file (-oB, ours or masscan's) as an async
 * iterator of the library's records. A damaged file yields every record before the damage,
 * then throws ScanError ERR_CORRUPT; a missing file throws ERR_FILE. `break` closes the file.
 */
import { open } from 'node:fs/promises';
import { ScanError } from '../error.js';
import type { AppNumbering } from '../core/config.js';
import type { ScanRecord as CoreRecord } from '../core/record.js';
import { BinaryReader } from '../output/binary.js';
import { toApiRecord, type ScanRecord } from './records.js';

export interface ReadScanOptions {
  /** App-protocol numbering of the file: 'head' (ours and current masscan, the default) or '1.3.2' (masscan 1.3.2). */
  readonly numbering?: AppNumbering;
}

const CHUNK = 1 << 20;

async function* readGenerator(file: string, numbering: AppNumbering): AsyncGenerator<ScanRecord, void, undefined> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (e) {
    throw new ScanError('ERR_FILE', `${file}: cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  try {
    const reader = new BinaryReader({ fileName: file, numbering });
    const buf = Buffer.allocUnsafe(CHUNK);
    const got: CoreRecord[] = [];
    const take = (r: CoreRecord): void => { got.push(r); };
    let pos = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      pos += bytesRead;
      let failure: unknown;
      try {
        reader.push(buf.subarray(0, bytesRead), take);
      } catch (e) {
        failure = e;
      }
      for (const r of got) yield toApiRecord(r);
      got.length = 0;
      if (failure !== undefined) throw failure;
    }
    reader.end();
  } finally {
    await fh.close();
  }
}

/** The records of a binary scan file, in file order. */
export function readScan(file: string, options: ReadScanOptions = {}): AsyncIterable<ScanRecord> & AsyncIterator<ScanRecord, void, undefined> {
  if (typeof file !== 'string' || file === '') {
    throw new ScanError('ERR_BAD_OPTION', 'readScan: expected a file name');
  }
  const numbering = options.numbering ?? 'head';
  if (numbering !== 'head' && numbering !== '1.3.2') {
    throw new ScanError('ERR_BAD_OPTION', `readScan: numbering: expected 'head' or '1.3.2'`);
  }
  return readGenerator(file, numbering);
}
