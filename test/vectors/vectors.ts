/**
 * Reads the real-packet vectors in test/vectors/*.txt: each packet is the line tcpdump printed
 * (`tcpdump -n -S -t -XX`) followed by its hex dump. Lines starting with '#' are comments.
 * capture.py (run by hand, as root) regenerates the files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fromHex } from '../../src/wire/bytes.js';

export interface Vector {
  /** File name, e.g. 'lo-tcp-open.txt'. */
  file: string;
  /** 0-based index of the packet in its file. */
  index: number;
  /** tcpdump's one-line summary, as printed. */
  tcpdump: string;
  /** The frame, link-layer header included. */
  bytes: Uint8Array;
}

/** The source directory (dist/test/vectors -> test/vectors). */
export function vectorsDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  return here.replace(/([/\\])dist([/\\])test([/\\])vectors$/, '$1test$3vectors');
}

const HEX_LINE = /^\s+0x([0-9a-f]{4}):\s+((?:[0-9a-f]{2,4} ?)+)/;

/** Parse the text of one vector file. */
export function parseVectorText(file: string, text: string): Vector[] {
  const out: Vector[] = [];
  let cur: { tcpdump: string; hex: string[] } | null = null;
  const flush = (): void => {
    if (cur === null) return;
    out.push({ file, index: out.length, tcpdump: cur.tcpdump, bytes: fromHex(cur.hex.join('')) });
    cur = null;
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const m = HEX_LINE.exec(line);
    if (m !== null) {
      if (cur === null) throw new Error(`${file}: hex before a tcpdump line: ${line}`);
      if (parseInt(m[1], 16) !== cur.hex.join('').length / 2) throw new Error(`${file}: offset gap at ${line}`);
      cur.hex.push(m[2].replace(/\s+/g, ''));
    } else {
      flush();
      cur = { tcpdump: line, hex: [] };
    }
  }
  flush();
  return out;
}

/** Every vector of every file (or of the files named). */
export function loadVectors(files?: string[]): Vector[] {
  const dir = vectorsDir();
  const names = files ?? readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  return names.flatMap((f) => parseVectorText(f, readFileSync(join(dir, f), 'utf8')));
}
