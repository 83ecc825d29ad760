/**
 * Child process of kill.test.ts (not a test file): writes records to every format until it is
 * killed, closing the outputs from its SIGTERM/SIGINT handlers as the engine does, or (mode
 * `fatal`) dies of an uncaught exception whose handler closes them. Bounded: stops by itself
 * after 60 s or 20 M records.
 */
import * as path from 'node:path';
import { OutputSet } from '../../src/output/outputs.js';
import type { ScanRecord } from '../../src/core/record.js';
import { builtinServiceNames } from '../../src/output/services.js';

const [dir, mode] = process.argv.slice(2);
if (dir === undefined) {
  process.stderr.write('usage: kill-child DIR [signal|fatal]\n');
  process.exit(2);
}
const formats: [string, string][] = [
  ['list', 'out.txt'], ['json', 'out.json'], ['ndjson', 'out.ndjson'], ['grepable', 'out.gnmap'],
  ['xml', 'out.xml'], ['binary', 'out.bin'], ['unicornscan', 'out.u'], ['hostonly', 'out.h'],
];
const set = OutputSet.open({
  outputs: formats.map(([format, f]) => ({ format, filename: path.join(dir, f) })),
  append: false, showOpen: true, showClosed: true, interactive: false,
  rotateSeconds: 0, rotateOffset: 0, rotateSize: 0, rotateDir: '.', stylesheet: undefined,
  services: builtinServiceNames(),
}, { startTime: 1700000000, version: '0.1.0', portsScanned: [{ begin: 80, end: 80 }], commandLine: 'kill-child' });

const onSignal = (sig: string): void => {
  set.closeAll();
  process.exit(sig === 'SIGTERM' ? 143 : 130);
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));
process.on('uncaughtException', (e) => {
  set.closeAll();
  process.stderr.write(`fatal: ${e.message}\n`);
  process.exit(1);
});

const banner = new Uint8Array(Buffer.from('HTTP/1.1 200 OK\r\nServer: <x>&"\'\\\r\n\x00\xff'));
let n = 0;
const started = Date.now();
let announced = false;

function batch(): void {
  for (let i = 0; i < 5000; i++, n++) {
    const ip = { version: 4 as const, v4: (0x0a000000 + n) >>> 0 };
    const r: ScanRecord = n % 3 === 2
      ? { kind: 'banner', timestamp: 1700000000 + (n >>> 10), ip, ipProto: 6, port: 80, service: 'http', ttl: 64, banner }
      : { kind: 'status', timestamp: 1700000000 + (n >>> 10), ip, ipProto: 6, port: 80, status: n % 3 === 0 ? 'open' : 'closed', reason: 0x12, ttl: 64 };
    set.write(r);
  }
  if ((n / 5000) % 10 === 0) set.flush();
  if (!announced && n >= 50000) {
    announced = true;
    process.stdout.write('ready\n');
  }
  if (mode === 'fatal' && n >= 200000) throw new Error('simulated fatal error');
  if (Date.now() - started > 60000 || n >= 20_000_000) {
    set.closeAll();
    process.exit(0);
  }
  setImmediate(batch);
}
batch();
