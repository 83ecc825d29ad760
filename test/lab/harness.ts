/**
 * Running scanners in the lab and reading what they wrote: shared by the e2e tests, the
 * benchmarks and the demo. Scanners run only through `lab.spawnScanner` (which checks the
 * scanner namespace has no default route first), bounded in time, killed by PID.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { LAB_ADDR, REPO_ROOT, type ExecResult, type Lab, type LabProcess } from './lab.js';
import { canonIp } from './scenario.js';

export const TIDESCAN_BIN = path.join(REPO_ROOT, 'bin', 'tidescan.js');

export interface RunOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Send this signal once, `afterMs` after the start. */
  readonly signal?: { readonly sig: NodeJS.Signals; readonly afterMs: number };
}

/** The link options every lab scan passes: the scanner veth and the sink's MAC as router. */
export function linkArgs(lab: Lab, dev?: string): string[] {
  return ['-e', dev ?? lab.scanIf, '--router-mac', LAB_ADDR.sinkMac];
}

async function runWithSignal(p: LabProcess, opts: RunOptions): Promise<ExecResult> {
  let t: NodeJS.Timeout | undefined;
  if (opts.signal) {
    const { sig, afterMs } = opts.signal;
    t = setTimeout(() => p.kill(sig), afterMs);
  }
  const r = await p.done;
  if (t) clearTimeout(t);
  return r;
}

/** `node bin/tidescan.js ARGS` inside <p>-scan (no link args added: pass `linkArgs(lab)`). */
export async function runTidescan(lab: Lab, args: readonly string[], opts: RunOptions = {}): Promise<ExecResult> {
  const p = await lab.spawnScanner(process.execPath, [TIDESCAN_BIN, ...args], {
    timeoutMs: opts.timeoutMs ?? 90_000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return runWithSignal(p, opts);
}

/**
 * masscan 1.3.2 inside <p>-scan under `timeout -k 5 -s INT`. It needs the trickle (see
 * LAB.md) to exit; the link args and both source addresses are added (it cannot find the
 * ULA IPv6 address of the veth by itself) unless `args` sets --source-ip/-e itself.
 */
export async function runMasscan(
  lab: Lab,
  args: readonly string[],
  opts: RunOptions & { readonly maxSeconds?: number } = {},
): Promise<ExecResult> {
  const secs = opts.maxSeconds ?? 60;
  const extra: string[] = [];
  if (!args.includes('-e')) extra.push(...linkArgs(lab));
  if (!args.includes('--source-ip') && !args.includes('--adapter-ip')) {
    extra.push('--source-ip', LAB_ADDR.scanIp4);
    if (lab.ipv6) extra.push('--source-ip', LAB_ADDR.scanIp6);
  }
  const p = await lab.spawnScanner('timeout', ['-k', '5', '-s', 'INT', String(secs), 'masscan', ...extra, ...args], {
    timeoutMs: (secs + 15) * 1000,
    ...(opts.cwd ? { cwd: opts.cwd } : {}),
  });
  return runWithSignal(p, opts);
}

export function describeRun(r: ExecResult): string {
  return (
    `exit=${r.code ?? r.signal}${r.timedOut ? ' (TIMED OUT)' : ''} in ${Math.round(r.ms)} ms\n` +
    `--- stdout (tail)\n${r.stdout.slice(-1500)}\n--- stderr (tail)\n${r.stderr.slice(-1500)}`
  );
}

// --- -oL files --------------------------------------------------------------------------------

export interface ListFile {
  /** `<status> <proto> <port> <ip>` per status record, in file order (duplicates kept). */
  readonly records: string[];
  readonly banners: string[];
  readonly hasHeader: boolean;
  readonly hasFooter: boolean;
  readonly bad: string[];
}

const STATUS_LINE = /^(open|closed|up) (tcp|udp|icmp|sctp|arp|err) (\d+) (\S+) (\d+)$/;

export function parseList(text: string): ListFile {
  const records: string[] = [];
  const banners: string[] = [];
  const bad: string[] = [];
  let hasHeader = false;
  let hasFooter = false;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line === '#masscan') {
      hasHeader = true;
      continue;
    }
    if (line === '# end') {
      hasFooter = true;
      continue;
    }
    const m = STATUS_LINE.exec(line);
    if (m) {
      const ip = canonIp(m[4]!);
      records.push(`${m[1]} ${m[2]} ${m[3]} ${ip}`);
    } else if (line.startsWith('banner ')) banners.push(line);
    else bad.push(line);
  }
  return { records, banners, hasHeader, hasFooter, bad };
}

export async function readList(file: string): Promise<ListFile> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = '';
  }
  return parseList(text);
}

/**
 * One tidescan lab scan writing -oL (`--wait 1`, the lab's link options unless `link` is
 * false); returns its status records, after asserting exit 0 and a well-formed file.
 */
export async function scanList(
  lab: Lab,
  args: readonly string[],
  dir: string,
  name = 'out.txt',
  opts: { readonly link?: boolean } = {},
): Promise<string[]> {
  const out = path.join(dir, name);
  const link = opts.link === false ? [] : linkArgs(lab);
  const r = await runTidescan(lab, [...link, ...args, '--wait', '1', '-oL', out], { cwd: dir, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `tidescan ${args.join(' ')}\n${describeRun(r)}`);
  const l = await readList(out);
  assert.deepEqual(l.bad, [], 'unparseable -oL lines');
  if (l.records.length > 0) assert.ok(l.hasHeader && l.hasFooter, '-oL header/footer');
  return l.records;
}

/**
 * Asserts `actual` holds exactly `expected`: nothing missing, nothing extra, and (when
 * `noDuplicates`) no record twice. The message lists the differences.
 */
export function assertExactly(actual: readonly string[], expected: ReadonlySet<string>, what: string, noDuplicates = true): void {
  const seen = new Map<string, number>();
  for (const a of actual) seen.set(a, (seen.get(a) ?? 0) + 1);
  const missing = [...expected].filter((e) => !seen.has(e)).sort();
  const extra = [...seen.keys()].filter((a) => !expected.has(a)).sort();
  const dups = noDuplicates ? [...seen.entries()].filter(([, n]) => n > 1).map(([k, n]) => `${k} x${n}`) : [];
  if (missing.length || extra.length || dups.length) {
    const show = (l: string[]): string => (l.length > 20 ? `${l.slice(0, 20).join(', ')} ... (${l.length})` : l.join(', '));
    assert.fail(
      `${what}: expected ${expected.size} records, got ${actual.length}\n` +
        `  missing (${missing.length}): ${show(missing)}\n  extra (${extra.length}): ${show(extra)}\n` +
        `  duplicates (${dups.length}): ${show(dups)}`,
    );
  }
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(tmpdir(), 'tidescan-lab-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface BannerLine {
  readonly ip: string;
  readonly port: number;
  readonly proto?: string;
  readonly rec_type: string;
  readonly data: { readonly service_name?: string; readonly banner?: string };
}

/**
 * The records of an NDJSON (-oD) file, one per non-empty line; a missing file reads as none.
 * A line that is not JSON throws, unless `lenient` (masscan's files: its trailing garbage).
 */
export async function readNdjson<T>(file: string, lenient = false): Promise<T[]> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const out: T[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      if (!lenient) throw new Error(`${file}: not an NDJSON line: ${line.slice(0, 200)}`, { cause: e });
    }
  }
  return out;
}

/**
 * The banners of an NDJSON (or masscan -oD) file: `ip:port` (`ip:port/proto` with `withProto`,
 * tcp when the record has none) -> service -> banner text. A missing file reads as empty; a
 * line that is not JSON is skipped.
 */
export async function readBannerMap(file: string, withProto = false): Promise<Map<string, Map<string, string>>> {
  const m = new Map<string, Map<string, string>>();
  for (const r of await readNdjson<BannerLine>(file, true)) {
    if (r.rec_type !== 'banner') continue;
    const k = withProto ? `${r.ip}:${r.port}/${r.proto ?? 'tcp'}` : `${r.ip}:${r.port}`;
    if (!m.has(k)) m.set(k, new Map());
    m.get(k)!.set(String(r.data.service_name), String(r.data.banner ?? ''));
  }
  return m;
}

/** tcpdump in the sink on `dev`, writing `file` (filter `filter`); resolves once it listens. */
export async function startCapture(lab: Lab, dev: string, file: string, filter: string): Promise<LabProcess> {
  const p = lab.spawn('sink', 'tcpdump', ['-i', dev, '-U', '-n', '-w', file, filter], { timeoutMs: 90_000 });
  const deadline = Date.now() + 10_000;
  while (!p.stderr().includes('listening on')) {
    if (Date.now() > deadline) throw new Error(`tcpdump did not start: ${p.stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return p;
}

/**
 * Stop a capture of startCapture; its frames as `tcpdump -r FILE -n ARGS` prints them, one per
 * frame (the continuation lines of -v output joined to their frame's line).
 */
export async function captureFrames(lab: Lab, p: LabProcess, file: string, args: readonly string[] = ['-e']): Promise<string[]> {
  await new Promise((r) => setTimeout(r, 300));
  p.kill('SIGINT');
  await p.done;
  const r = await lab.exec('sink', 'tcpdump', ['-r', file, '-n', ...args]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.split(/\n(?=\d\d:\d\d)/).map((l) => l.trim()).filter((l) => l !== '');
}
