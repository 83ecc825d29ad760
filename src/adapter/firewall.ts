/**
 * Kernel RSTs, handled automatically (issue 9 item 2).
 *
 * When tidescan completes TCP connections itself (banners) from an address the host owns, the
 * host's kernel sees each SYN-ACK for a port no socket of its own uses and answers it with RST,
 * killing the connection before any banner arrives. masscan leaves this to its user (an
 * iptables rule by hand, or a spare address). tidescan installs the rule itself:
 *
 * - **owner** (preferred; Linux >= 5.12, nft >= 1.0.1): an nftables table with the `owner`
 *   flag, created by an `nft -i` child that stays alive with its stdin a pipe from us. The
 *   kernel deletes an owned table when the netlink socket that created it closes; when
 *   tidescan dies in any way (exit, signal, kill -9), the pipe closes, nft reads EOF and exits,
 *   and the table goes with it. Nothing can be left behind.
 * - **pid** (fallback, when the owner flag is refused): a plain table `tidescan_<pid>` made
 *   with `nft -f -`, deleted by `close()`, which runs on process 'exit' and on SIGINT/SIGTERM/
 *   SIGHUP when nobody else handles those. A kill -9 leaves it; `sweepStaleTables()` (run
 *   before each creation) deletes tables whose PID is dead.
 * - **none**: nft is missing or fails: one warning line with the manual fix.
 *
 * The table has one chain at `prerouting` hook, `raw` priority (before conntrack), that drops
 * TCP to our source-port range arriving on our interface:
 *   table inet tidescan_<pid> { chain rx { type filter hook prerouting priority raw;
 *     policy accept; iifname "<if>" tcp dport <lo>-<hi> drop } }
 * AF_PACKET taps run before the netfilter prerouting hook, so the scanner's receive ring still
 * sees every dropped packet (checked in test/lab/firewall.test.ts).
 *
 * NOTE: the interface name and ports end up inside nft's command text; they are validated
 * (`validateGuardTarget`) before any text is built, so nothing a user types can add commands.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { ScanError } from '../error.js';

export type RstGuardMode = 'owner' | 'pid' | 'none';

export interface RstGuard {
  /** How the rule is held: kernel-owned table, PID-named table, or no rule at all. */
  readonly mode: RstGuardMode;
  /** The table's name (`tidescan_<pid>`, family inet), undefined in mode 'none'. */
  readonly table: string | undefined;
  /**
   * Remove the rule now. Idempotent, synchronous, safe to call from an 'exit' handler.
   * In mode 'owner' it ends the nft child (the kernel then deletes the table).
   */
  close(): void;
}

export interface RstGuardOptions {
  /** The scanner's interface (the rule matches `iifname`). */
  readonly iface: string;
  /** The scanner's source-port range, inclusive. */
  readonly portBegin: number;
  readonly portEnd: number;
  /** Where the one warning line goes (mode 'none', or a guard that vanished). */
  readonly warn: (line: string) => void;
  /** nft binary (default 'nft', found through PATH). */
  readonly nft?: string;
  /** Try the owner-flag table first (default true); false forces the PID-table fallback. */
  readonly owner?: boolean;
  /** Bound on each nft step (default 5000 ms). */
  readonly timeoutMs?: number;
  /**
   * In mode 'pid', remove the table on process 'exit' and, when no other listener handles
   * them, on SIGINT/SIGTERM/SIGHUP (then the signal is re-raised). Default true. A caller
   * with its own shutdown path may pass false and call close() itself.
   */
  readonly exitHandlers?: boolean;
}

/** Table names we create and sweep: tidescan_<pid> or tidescan_<pid>_<n>. */
export const TABLE_PREFIX = 'tidescan_';
const TABLE_RE = /^tidescan_([1-9][0-9]{0,9})(?:_([0-9]{1,6}))?$/;

/**
 * Linux interface names: 1-15 bytes, no '/', no whitespace (dev_valid_name). We accept a
 * stricter set, and no '+' (nft reads a trailing '+' in iifname as a wildcard).
 */
const IFACE_RE = /^[A-Za-z0-9_.@:-]{1,15}$/;

/** Throws ScanError unless the interface name and port range are safe to put in nft's text. */
export function validateGuardTarget(iface: string, portBegin: number, portEnd: number): void {
  if (typeof iface !== 'string' || !IFACE_RE.test(iface) || iface === '.' || iface === '..') {
    throw new ScanError('ERR_BAD_OPTION', `firewall: bad interface name ${JSON.stringify(iface)}`);
  }
  for (const p of [portBegin, portEnd]) {
    if (!Number.isInteger(p) || p < 0 || p > 65535) {
      throw new ScanError('ERR_BAD_PORT', `firewall: bad source port ${String(p)} (expected 0-65535)`);
    }
  }
  if (portEnd < portBegin) {
    throw new ScanError('ERR_BAD_PORT', `firewall: bad source port range ${portBegin}-${portEnd}`);
  }
}

/**
 * The nft commands that build the table, one per line. `owner` adds the owner flag.
 * Validates its inputs first (throws ScanError).
 */
export function guardCommands(table: string, iface: string, portBegin: number, portEnd: number, owner: boolean): string[] {
  validateGuardTarget(iface, portBegin, portEnd);
  if (!TABLE_RE.test(table)) throw new ScanError('ERR_INTERNAL', `firewall: bad table name ${table}`);
  const ports = portBegin === portEnd ? `${portBegin}` : `${portBegin}-${portEnd}`;
  return [
    owner ? `add table inet ${table} { flags owner; }` : `add table inet ${table}`,
    `add chain inet ${table} rx { type filter hook prerouting priority raw; policy accept; }`,
    `add rule inet ${table} rx iifname "${iface}" tcp dport ${ports} drop`,
  ];
}

/** The one-line manual fix printed when no rule could be installed. */
export function manualFixLine(iface: string, portBegin: number, portEnd: number, reason: string): string {
  const ports = portBegin === portEnd ? `${portBegin}` : `${portBegin}:${portEnd}`;
  return (
    `tidescan: could not install the nftables rule that stops this host's kernel from resetting ` +
    `banner connections (${reason.replace(/\s+/g, ' ').trim()}); fix by hand with ` +
    `'iptables -A INPUT -i ${iface} -p tcp --dport ${ports} -j DROP', or scan with --source-ip ` +
    `set to an address this host does not own`
  );
}

export interface TidescanTable {
  readonly family: string;
  readonly name: string;
  readonly pid: number;
}

/** Our tables in the output of `nft list tables` (lines `table <family> <name>`). */
export function parseTidescanTables(listing: string): TidescanTable[] {
  const out: TidescanTable[] = [];
  for (const line of listing.split('\n')) {
    const m = /^\s*table\s+(ip|ip6|inet|arp|bridge|netdev)\s+(\S+)\s*$/.exec(line);
    if (!m) continue;
    const t = TABLE_RE.exec(m[2]!);
    if (!t) continue;
    out.push({ family: m[1]!, name: m[2]!, pid: Number(t[1]) });
  }
  return out;
}

/** Whether a PID names a live process (EPERM counts as alive: it exists, it is not ours). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface SweepOptions {
  readonly nft?: string;
  readonly timeoutMs?: number;
  /** Liveness check (injected for tests); default `pidAlive`. */
  readonly isAlive?: (pid: number) => boolean;
}

/**
 * Delete the `tidescan_<pid>` tables of this network namespace whose PID is dead (left by a
 * PID-mode guard whose process was killed with SIGKILL). Never touches a live process's
 * table, nor any table not named by us. Returns the names deleted; never throws.
 */
export function sweepStaleTables(o: SweepOptions = {}): string[] {
  const nft = o.nft ?? 'nft';
  const timeout = o.timeoutMs ?? 5000;
  const alive = o.isAlive ?? pidAlive;
  let listing: string;
  try {
    listing = execFileSync(nft, ['list', 'tables'], { encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return [];
  }
  const deleted: string[] = [];
  for (const t of parseTidescanTables(listing)) {
    if (t.pid === process.pid || alive(t.pid)) continue;
    try {
      execFileSync(nft, ['delete', 'table', t.family, t.name], { timeout, stdio: 'ignore' });
      deleted.push(t.name);
    } catch {
      /* gone meanwhile, or owned by a live socket */
    }
  }
  return deleted;
}

// ---------------------------------------------------------------------------------------------

let tableCounter = 0;
function nextTableName(): string {
  const n = tableCounter++;
  return n === 0 ? `${TABLE_PREFIX}${process.pid}` : `${TABLE_PREFIX}${process.pid}_${n}`;
}

type OwnerResult = { ok: true; child: ChildProcess } | { ok: false; missing: boolean; reason: string };

/**
 * Start `nft -i`, feed it the owned table, and wait until nft itself lists the table back with
 * its rule (stdout) or reports an error (stderr), bounded in time.
 */
function startOwner(nft: string, table: string, cmds: readonly string[], timeoutMs: number): Promise<OwnerResult> {
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      // detached: its own session, so a terminal's ^C (sent to our process group) does not end
      // nft before tidescan's own graceful shutdown is over. It still ends when our pipe closes.
      child = spawn(nft, ['-i'], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      resolve({ ok: false, missing: true, reason: (e as Error).message });
      return;
    }
    let out = '';
    let err = '';
    let settled = false;
    const finish = (r: OwnerResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!r.ok) {
        try {
          child.kill('SIGKILL');
        } catch {
          /* gone */
        }
      }
      resolve(r);
    };
    const timer = setTimeout(
      () => finish({ ok: false, missing: false, reason: `nft -i did not confirm the table within ${timeoutMs} ms` }),
      timeoutMs,
    );
    child.on('error', (e: NodeJS.ErrnoException) =>
      finish({ ok: false, missing: e.code === 'ENOENT' || e.code === 'EACCES', reason: `${nft}: ${e.message}` }),
    );
    child.on('exit', (code, sig) =>
      finish({ ok: false, missing: false, reason: `nft -i exited (${code ?? sig}) ${err.trim()}`.trim() }),
    );
    child.stdin!.on('error', () => undefined);
    child.stdout!.setEncoding('utf8');
    child.stderr!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => {
      out += d;
      // nft prints the listing whole: the table line ... a closing brace at column 0.
      if (out.includes(`table inet ${table} `) && / drop\n/.test(out) && /\n}\n/.test(out)) {
        finish({ ok: true, child });
      }
    });
    child.stderr!.on('data', (d: string) => {
      err += d;
      // An error is followed by the echo of the command and a caret line; wait for the caret.
      if (/Error/.test(err) && /\^/.test(err)) finish({ ok: false, missing: false, reason: err.replace(/\s+/g, ' ').trim() });
    });
    child.stdin!.write(cmds.join('\n') + `\nlist table inet ${table}\n`);
  });
}

/** Run nft once with a script on stdin, bounded; returns the error text or undefined. */
function runNftScript(nft: string, script: string, timeoutMs: number): { missing: boolean; error: string } | undefined {
  try {
    execFileSync(nft, ['-f', '-'], { input: script, timeout: timeoutMs, stdio: ['pipe', 'ignore', 'pipe'] });
    return undefined;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: Buffer };
    const missing = err.code === 'ENOENT' || err.code === 'EACCES';
    const text = err.stderr && err.stderr.length > 0 ? err.stderr.toString('utf8') : err.message;
    return { missing, error: text.replace(/\s+/g, ' ').trim() };
  }
}

const EXIT_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Install the rule that keeps this host's kernel from answering our SYN-ACKs with RST.
 * Throws ScanError only for a bad interface name or port range; every other failure ends in
 * mode 'none' with one warning line.
 */
export async function guardKernelRst(o: RstGuardOptions): Promise<RstGuard> {
  validateGuardTarget(o.iface, o.portBegin, o.portEnd);
  const nft = o.nft ?? 'nft';
  const timeoutMs = o.timeoutMs ?? 5000;
  const table = nextTableName();
  const none = (reason: string): RstGuard => {
    o.warn(manualFixLine(o.iface, o.portBegin, o.portEnd, reason));
    return { mode: 'none', table: undefined, close: () => undefined };
  };

  let ownerReason = '';
  if (o.owner !== false) {
    const r = await startOwner(nft, table, guardCommands(table, o.iface, o.portBegin, o.portEnd, true), timeoutMs);
    if (r.ok) return ownerGuard(r.child, table, o.warn);
    if (r.missing) return none(`${nft} not found`);
    ownerReason = r.reason;
  }

  // No owner flag (old kernel or nft, or forced): a plain table named by our PID.
  sweepStaleTables({ nft, timeoutMs });
  const script = guardCommands(table, o.iface, o.portBegin, o.portEnd, false).join('\n') + '\n';
  const e = runNftScript(nft, script, timeoutMs);
  if (e !== undefined) {
    // Half-made (table but no rule): remove what exists.
    try {
      execFileSync(nft, ['delete', 'table', 'inet', table], { timeout: timeoutMs, stdio: 'ignore' });
    } catch {
      /* nothing was made */
    }
    return none(e.missing ? `${nft} not found` : ownerReason !== '' ? `${ownerReason}; ${e.error}` : e.error);
  }
  return pidGuard(nft, table, timeoutMs, o.exitHandlers !== false);
}

function ownerGuard(child: ChildProcess, table: string, warn: (line: string) => void): RstGuard {
  let closed = false;
  // The guard must not keep the event loop alive; nft prints nothing more unless it fails.
  child.stdout!.removeAllListeners('data');
  child.stderr!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  child.removeAllListeners('exit');
  child.on('exit', () => {
    if (!closed) warn(`tidescan: the nft process holding table ${table} ended; the kernel may reset banner connections again`);
  });
  child.unref();
  for (const s of [child.stdin, child.stdout, child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
  const onExit = (): void => guard.close();
  process.on('exit', onExit);
  const guard: RstGuard = {
    mode: 'owner',
    table,
    close() {
      if (closed) return;
      closed = true;
      process.removeListener('exit', onExit);
      // Closing its stdin is enough (nft reads EOF and exits); SIGKILL makes it immediate.
      child.stdin!.destroy();
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
  return guard;
}

function pidGuard(nft: string, table: string, timeoutMs: number, handlers: boolean): RstGuard {
  let closed = false;
  const onExit = (): void => guard.close();
  const onSignal = (sig: NodeJS.Signals): void => {
    // A caller that handles the signal too owns its shutdown: the table must stay through its
    // graceful end, and the 'exit' handler removes it then.
    if (process.listenerCount(sig) > 1) return;
    guard.close(); // removes our listeners
    // The default action again: die by the signal, as without us.
    process.kill(process.pid, sig);
  };
  const guard: RstGuard = {
    mode: 'pid',
    table,
    close() {
      if (closed) return;
      closed = true;
      if (handlers) {
        process.removeListener('exit', onExit);
        for (const s of EXIT_SIGNALS) process.removeListener(s, onSignal);
      }
      try {
        execFileSync(nft, ['delete', 'table', 'inet', table], { timeout: timeoutMs, stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    },
  };
  if (handlers) {
    process.on('exit', onExit);
    for (const s of EXIT_SIGNALS) process.on(s, onSignal);
  }
  return guard;
}
