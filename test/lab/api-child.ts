/**
 * Run inside the lab's scanner namespace by test/lab/api.test.ts (never outside it: the test
 * starts it through lab.spawnScanner, which checks the namespace has no default route).
 * Imports the library as a program would (dist/src/index.js) and prints one JSON line:
 *  - `scan <options-json>`: the records (bytes as base64), the events seen, the summary;
 *  - `repeat <n> <options-json>`: n scans in a row, half ended by `break`, with the open
 *    file descriptors and RSS before and after.
 * Options JSON may give `seed` as a decimal string (bigint) and `abortAfterRecords`.
 */
import { readdirSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { scan, type ScanOptions, type ScanRecord } from '../../src/index.js';

type Json = Record<string, unknown>;

/** scan() returned a job (a later failure came through the iterator and `done`). */
let returned = false;

function options(text: string): ScanOptions & { abortAfterRecords?: number } {
  const o = JSON.parse(text) as Json;
  if (typeof o.seed === 'string') o.seed = BigInt(o.seed);
  return o as unknown as ScanOptions & { abortAfterRecords?: number };
}

function plain(r: ScanRecord): Json {
  const o: Json = { ...r, time: r.time.getTime() };
  if (r.kind === 'banner') o.bytes = Buffer.from(r.bytes).toString('base64');
  return o;
}

async function one(o: ScanOptions & { abortAfterRecords?: number }): Promise<Json> {
  const { abortAfterRecords, ...rest } = o;
  const ac = new AbortController();
  const job = scan({ ...rest, signal: ac.signal });
  returned = true;
  const events: Json[] = [];
  for (const t of ['start', 'stopping', 'paused', 'end', 'warning']) {
    job.addEventListener(t, (e) => events.push({ type: t, detail: (e as CustomEvent<unknown>).detail }));
  }
  let progress = 0;
  job.addEventListener('progress', () => { progress++; });
  const records: Json[] = [];
  for await (const r of job) {
    records.push(plain(r));
    if (abortAfterRecords !== undefined && records.length === abortAfterRecords) ac.abort();
  }
  const summary = await job.done;
  return { records, events, progress, summary };
}

function fds(): number {
  return readdirSync('/proc/self/fd').length;
}

async function repeat(n: number, o: ScanOptions): Promise<Json> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 3; i++) { gc(); await new Promise((r) => setTimeout(r, 20)); }
  };
  const run = async (i: number): Promise<number> => {
    const job = scan(o);
    let k = 0;
    for await (const _ of job) if (++k === 1 && i % 2 === 0) break;
    const s = await job.done;
    return s.sent;
  };
  for (let i = 0; i < 5; i++) await run(i);
  await settle();
  const before = { fds: fds(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers };
  const t0 = performance.now();
  let sent = 0;
  for (let i = 0; i < n; i++) sent += await run(i);
  const ms = performance.now() - t0;
  await settle();
  const after = { fds: fds(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers };
  return { before, after, ms, sent };
}

async function main(): Promise<void> {
  const [mode, a, b] = process.argv.slice(2);
  const out = mode === 'repeat' ? await repeat(Number(a), options(b!)) : await one(options(a!));
  process.stdout.write(`${JSON.stringify(out, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n`);
}

main().catch((e: unknown) => {
  process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.message : String(e), code: (e as { code?: unknown }).code, returned })}\n`);
  process.exitCode = 1;
});
