/**
 * Which loop indexes i in [0, range) one transmit thread of one shard visits in one pass
 * (reference §5.3, §5.4); the engine sends probes for shuffle(i) (plus masscan's offsets).
 *
 * The lattice. Shard x/y owns every i with i mod y == x-1, exactly as in masscan
 * (`-sL --shard 2/3` over 8 targets visits 1, 4, 7). The T transmit threads of a shard split
 * that lattice round-robin: thread t owns i mod (y*T) == (x-1) + t*y. So a shard's set of
 * indexes does not depend on how many threads (cores) each machine uses, and the threads of
 * a shard are disjoint and together cover it.
 *   NOTE: masscan instead interleaves shards and adapters (start (x-1)*nics + t, step y*nics),
 *   which makes a shard's set depend on the adapter count; with one thread both agree.
 *
 * Resume. `resumeIndex` is a GLOBAL loop index: the window is [resumeIndex, end) and each
 * thread starts at its first lattice point >= resumeIndex. It is never shifted by the shard
 * offset, so a resumed sharded scan stays on its own lattice (masscan adds the shard offset
 * to a paused.conf index that already contains it, moving onto another shard's lattice).
 * To pause exactly, write resume-index = the minimum over threads of the next index each
 * would have sent: every index below it is done, at most a few are sent twice, none missed.
 * A masscan paused.conf index (a lattice index of that shard) resumes correctly here too.
 * `resumeCount` > 0 limits the window to [resumeIndex, resumeIndex + resumeCount), shared by
 * all shards and threads (masscan: `--resume-index 3 --resume-count 2` on 8 targets -> 3, 4).
 *
 * Retries. tidescan's R retries mean R+1 probes per target (not masscan's (R+1)^2); a slice
 * describes one pass over the window and the engine decides how passes are spaced.
 */
import { ScanError } from '../error.js';

export interface IndexSliceInput {
  /** Size of the index space (plan.range). */
  readonly range: number;
  /** Shard x of y, 1-based: shardOne = x, shardOf = y. */
  readonly shardOne: number;
  readonly shardOf: number;
  readonly resumeIndex: number;
  /** 0 = to the end. */
  readonly resumeCount: number;
  /** Transmit threads of this shard, and which one this is (0-based). */
  readonly threads: number;
  readonly thread: number;
}

/** Visit i = start, start + step, ... while i < end. Empty when start >= end. */
export interface IndexSlice {
  readonly start: number;
  readonly end: number;
  readonly step: number;
}

function isCount(v: number): boolean {
  return Number.isSafeInteger(v) && v >= 0;
}

export function indexSlice(input: IndexSliceInput): IndexSlice {
  const { range, shardOne, shardOf, resumeIndex, resumeCount, threads, thread } = input;
  if (!isCount(shardOf) || shardOf < 1 || !isCount(shardOne) || shardOne < 1 || shardOne > shardOf) {
    throw new ScanError('ERR_BAD_SHARD', `bad shard ${shardOne}/${shardOf}: expected x/y with 1 <= x <= y`);
  }
  if (!isCount(threads) || threads < 1 || !isCount(thread) || thread >= threads) {
    throw new ScanError('ERR_INTERNAL', `bad thread ${thread} of ${threads}`);
  }
  if (!isCount(range) || !isCount(resumeIndex) || !isCount(resumeCount)) {
    throw new ScanError(
      'ERR_BAD_OPTION',
      `bad resume-index/resume-count ${resumeIndex}/${resumeCount}: expected integers below 2^53`,
    );
  }
  const step = shardOf * threads;
  if (!Number.isSafeInteger(step)) throw new ScanError('ERR_BAD_SHARD', `shard count too large: ${shardOf}`);
  const offset = shardOne - 1 + thread * shardOf;
  const lo = Math.min(resumeIndex, range);
  let end = range;
  if (resumeCount > 0 && lo + resumeCount < end) end = lo + resumeCount;
  // first i >= lo with i = offset (mod step); % is exact on integers below 2^53
  let start = lo + ((((offset - lo) % step) + step) % step);
  if (start > end) start = end;
  return { start, end, step };
}

/** How many indexes a slice visits. */
export function sliceLength(s: IndexSlice): number {
  return s.start < s.end ? Math.floor((s.end - s.start - 1) / s.step) + 1 : 0;
}

/** The resume index to save when pausing: the least next-index over the threads (see above). */
export function pauseIndex(nextByThread: readonly number[]): number {
  let m = Infinity;
  for (const v of nextByThread) if (v < m) m = v;
  return m === Infinity ? 0 : m;
}
