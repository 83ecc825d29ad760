/**
 * `--selftest` (aliases `--self-test`, `--regress`): masscan's built-in regression test
 * (reference masscan-compat.md §11), for a binary that may have been built or installed
 * somewhere the test suite never ran.
 *
 * Every unit exercises the SHIPPED code (the modules a scan uses), in process, with fixed
 * inputs, and compares it with facts that do not come from that code: published vectors
 * (SipHash paper, RFC 1071, CRC32c "123456789", masscan's verified blackrock, cookie and SYN
 * frame vectors), a second construction of the same thing (a template frame against the frame
 * built field by field with the wire reprs), or invariants (the permutation is a bijection and
 * unshuffle inverts it; writer -> reader gives the records back, however the bytes are split).
 *
 * Unlike masscan's `blackrock_selftest`, nothing is seeded from the clock: every run checks
 * exactly the same thing (style-anchors §3.6). No unit touches the network, the file system or
 * a timer; the whole run takes well under a second.
 *
 * Output (stderr by default), masscan's: nothing per passing unit; one line per failing unit
 * `[-] selftest: <unit>: <why>`; then `regression test: success!` (exit 0) or
 * `regression test: failed :( ` (exit 1, trailing space included).
 *
 * The unit list is data (`selftestUnits`), and `runUnits` runs any list, so tests can check
 * that a broken unit is reported.
 */
import { oneLine } from '../error.js';
import { writeLineSync } from './fd-writer.js';
import { SelftestFailure, type SelftestUnit } from './selftest/harness.js';
import { blackrockUnit, ipv4Unit, ipv6Unit, portsUnit, rangesUnit } from './selftest/target.js';
import { checksumUnit } from './selftest/wire.js';
import { siphashUnit, cookieUnit, templateUnit, receiveUnit, udpPayloadsUnit, dedupUnit } from './selftest/engine.js';
import { binaryUnit } from './selftest/output.js';

export { SelftestFailure, type SelftestUnit } from './selftest/harness.js';

/** masscan's last line on success (stderr). */
export const SELFTEST_SUCCESS = 'regression test: success!';
/** masscan's last line on failure (stderr; the trailing space is masscan's). */
export const SELFTEST_FAILED = 'regression test: failed :( ';

/** Writes a line to stderr (masscan prints its selftest result there). */
function stderrLine(line: string): void {
  writeLineSync(2, line);
}

/**
 * Runs `units` in order; every failing unit prints one line `[-] selftest: <name>: <why>`.
 * Ends with masscan's success or failure line. Returns the exit code (0 all passed, 1 not).
 */
export async function runUnits(units: readonly SelftestUnit[], out: (line: string) => void = stderrLine): Promise<number> {
  let failed = 0;
  for (const u of units) {
    try {
      await u.run();
    } catch (e) {
      failed++;
      const why = e instanceof SelftestFailure ? e.message
        : e instanceof Error ? `unexpected ${e.name}: ${e.message}` : `unexpected throw: ${String(e)}`;
      out(oneLine(`[-] selftest: ${u.name}: ${why}`));
    }
  }
  out(failed === 0 ? SELFTEST_SUCCESS : SELFTEST_FAILED);
  return failed === 0 ? 0 : 1;
}

/** `--selftest`: every unit of `selftestUnits`. Returns the exit code. */
export async function runSelftest(out: (line: string) => void = stderrLine): Promise<number> {
  return runUnits(selftestUnits, out);
}

/** The units of `--selftest`, in masscan's spirit: one per module. */
export const selftestUnits: readonly SelftestUnit[] = [
  blackrockUnit,
  siphashUnit,
  cookieUnit,
  checksumUnit,
  ipv4Unit,
  ipv6Unit,
  portsUnit,
  rangesUnit,
  templateUnit,
  receiveUnit,
  udpPayloadsUnit,
  dedupUnit,
  binaryUnit,
];
