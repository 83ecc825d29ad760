/**
 * The namespace lab (shared/LAB.md): the only place tidescan, masscan and the tests send
 * packets. Used by the end-to-end tests, the benchmarks and the demo.
 *
 * ```
 * netns <p>-scan                                netns <p>-sink
 * veth <p>-s 10.250.0.1/30  fd00:250::1/64 <==> veth <p>-k 10.250.0.2/30  fd00:250::2/64
 *   02:50:00:00:00:01                            02:50:00:00:00:02
 * route 198.18.0.0/15 via 10.250.0.2            local 198.18.0.0/15 dev lo   (AnyIP)
 * route 2001:db8::/32 via fd00:250::2           local 2001:db8::/32 dev lo   (AnyIP)
 * NO default route (v4 and v6; checked)         listeners, UDP responders, trickle,
 * optional ifb <p>-i (discard sink)             iptables DROP/REJECT, nft ingress drop
 * optional second pair (`secondPair`, no route: frames go out through it by --router-mac):
 * veth <p>-s2 10.250.1.1/30  fd00:251::1/64 <==> veth <p>-k2 10.250.1.2/30  fd00:251::2/64
 *   02:50:00:00:01:01                            02:50:00:00:01:02
 * ```
 *
 * Guarantees:
 * - names carry a per-process prefix (`tl<pid>` unless given), so parallel runs never collide;
 * - the scanner namespace has no default route: `assertNoDefaultRoute()` runs at creation and
 *   before every scanner command started through `execScanner`/`spawnScanner`, and throws;
 * - every process the lab starts is tracked and killed by its PID at `destroy()`, and the
 *   namespaces are deleted by name; the same happens synchronously at process exit and on
 *   SIGINT/SIGTERM/SIGHUP, even when a test failed;
 * - every command has a time limit.
 *
 * NOTE: 10.250.0.3 (the spoofed source) is the directed-broadcast address of the /30, and the
 * kernel installs a `broadcast 10.250.0.3` route for it in both namespaces; a packet from a
 * broadcast source is a martian and is dropped. The lab deletes those two broadcast routes so
 * that .3 is an ordinary on-link host that the scanner must answer ARP for.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import type { SinkServerSpec, SinkTcpListener, SinkUdpResponder } from './sink-server.js';

export type { SinkServerSpec, SinkTcpListener, SinkUdpResponder } from './sink-server.js';

/** Repository root (this file runs from dist/test/lab/). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SINK_SERVER = fileURLToPath(new URL('./sink-server.js', import.meta.url));

export const LAB_ADDR = {
  scanIp4: '10.250.0.1',
  sinkIp4: '10.250.0.2',
  spoofIp4: '10.250.0.3',
  scanIp6: 'fd00:250::1',
  sinkIp6: 'fd00:250::2',
  scanMac: '02:50:00:00:00:01',
  sinkMac: '02:50:00:00:00:02',
  /** RFC 2544 benchmarking range, owned by the sink (AnyIP). */
  net4: '198.18.0.0/15',
  /** Documentation prefix, owned by the sink (AnyIP). */
  net6: '2001:db8::/32',
} as const;

/** The optional second veth pair (LabOptions.secondPair): a second adapter into the same sink. */
export const LAB_ADDR2 = {
  scanIp4: '10.250.1.1',
  sinkIp4: '10.250.1.2',
  spoofIp4: '10.250.1.3',
  scanIp6: 'fd00:251::1',
  sinkIp6: 'fd00:251::2',
  scanMac: '02:50:00:00:01:01',
  sinkMac: '02:50:00:00:01:02',
  net4: '10.250.1.0/30',
} as const;

export type LabNs = 'scan' | 'sink';

export interface LabOptions {
  /** Name prefix; default `tl<pid>`; at most 10 characters (interface names are <= 15). */
  readonly prefix?: string;
  /** Configure the IPv6 link and 2001:db8::/32 (default true). */
  readonly ipv6?: boolean;
  /**
   * Loss/delay on the sink veth's egress, e.g. `loss 1%` or `loss 1% delay 5ms`. This kernel
   * has no sch_netem: `loss N%` alone falls back to an nftables random drop; a delay then fails.
   */
  readonly netem?: string;
  /** Drop everything arriving on the sink veth at ingress (nftables netdev hook). */
  readonly dropIngress?: boolean;
  /** Create an ifb device `<p>-i` in the scanner namespace: a pure discard sink. */
  readonly ifb?: boolean;
  /** Keep the namespaces when this process exits (the `up` CLI). Default false. */
  readonly persistent?: boolean;
  /**
   * A second veth pair `<p>-s2` <-> `<p>-k2` (LAB_ADDR2; IPv6 too unless `ipv6` is false)
   * from the scanner into the same sink, for scans over two adapters. The scanner namespace
   * gets no route over it (only its /30 and /64): probes leave through it because the scanner
   * sends on it with --router-mac; the sink answers over it because the source address is on
   * its /30 (/64). Default false.
   */
  readonly secondPair?: boolean;
}

export interface ExecOptions {
  readonly timeoutMs?: number;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly input?: string | Buffer;
  /** Max bytes kept of each of stdout/stderr (default 64 MiB). */
  readonly maxBuffer?: number;
}

export interface ExecResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
  readonly timedOut: boolean;
}

export interface LabProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves when the process has exited, with what it printed. */
  readonly done: Promise<ExecResult>;
  kill(signal?: NodeJS.Signals): void;
  /**
   * Signal only the processes this one started (e.g. the command under `time`/`timeout`);
   * with `leavesOnly`, only those that started none themselves, so that each wrapper still
   * reaps its child (and `time` still reports the CPU it used).
   */
  killDescendants(signal: NodeJS.Signals, leavesOnly?: boolean): void;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
}

export interface LinkCounters {
  readonly rxPackets: number;
  readonly txPackets: number;
  readonly rxBytes: number;
  readonly txBytes: number;
  readonly rxDropped: number;
  readonly txDropped: number;
}

export interface ServicesSpec {
  readonly tcp?: readonly SinkTcpListener[];
  readonly udp?: readonly SinkUdpResponder[];
  /** Trickle of ~10 datagrams/s to the scanner's address (for masscan). Default false. */
  readonly trickle?: boolean;
  /** Lifetime of the services process (default 10 minutes). */
  readonly lifetimeMs?: number;
}

export interface Services {
  readonly process: LabProcess;
  readonly spec: SinkServerSpec;
  stop(): Promise<void>;
}

export interface Lab {
  readonly prefix: string;
  readonly scanNs: string;
  readonly sinkNs: string;
  /** Scanner-side veth. */
  readonly scanIf: string;
  /** Sink-side veth. */
  readonly sinkIf: string;
  /** The ifb device in the scanner namespace, when `ifb` was asked for. */
  readonly ifbIf: string | undefined;
  /** The second pair's scanner-side and sink-side veths, when `secondPair` was asked for. */
  readonly scanIf2: string | undefined;
  readonly sinkIf2: string | undefined;
  readonly ipv6: boolean;
  readonly addr: typeof LAB_ADDR;

  /** Run a command inside a namespace, bounded in time (default 60 s). Never throws on exit codes. */
  exec(ns: LabNs, cmd: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** Start a tracked long-running process inside a namespace (killed at destroy). */
  spawn(ns: LabNs, cmd: string, args: readonly string[], opts?: ExecOptions): LabProcess;
  /** `exec` in the scanner namespace, after checking again that it has no default route. */
  execScanner(cmd: string, args: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  /** `spawn` in the scanner namespace, after checking again that it has no default route. */
  spawnScanner(cmd: string, args: readonly string[], opts?: ExecOptions): Promise<LabProcess>;
  /** Throws unless `ip route show default` and `ip -6 route show default` are empty in <p>-scan. */
  assertNoDefaultRoute(): Promise<void>;

  /** Start the sink's listeners/responders/trickle; resolves once every socket is bound. */
  startServices(spec: ServicesSpec): Promise<Services>;
  /** iptables (or ip6tables) rule in the sink's INPUT chain: silently drop. */
  filter(rule: FilterRule): Promise<void>;
  /** iptables rule in the sink's INPUT chain: REJECT with ICMP port unreachable. */
  reject(rule: FilterRule): Promise<void>;
  /** Turn the nftables ingress drop on the sink veth on or off. */
  setDropIngress(on: boolean): Promise<void>;
  /** Counters of a device in a namespace. */
  counters(ns: LabNs, dev: string): Promise<LinkCounters>;
  /** Tear down: kill tracked processes by PID, delete both namespaces. Idempotent. */
  destroy(): Promise<void>;
}

export interface FilterRule {
  readonly ip: string;
  readonly proto: 'tcp' | 'udp' | 'icmp';
  /** Destination port (tcp/udp); all ports when absent. */
  readonly port?: number;
}

/** Throws a one-line error unless running as root (the lab needs CAP_NET_ADMIN). */
export function requireRoot(): void {
  const uid = typeof process.getuid === 'function' ? process.getuid() : -1;
  if (uid !== 0) {
    throw new Error(
      'test/lab needs root (CAP_NET_ADMIN, CAP_NET_RAW) to create network namespaces; ' +
        'run the lab tests/benchmarks/demo as root (CI runs as root). Not skipped: failing.',
    );
  }
}

// ---------------------------------------------------------------------------------------------
// process plumbing

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BUFFER = 64 * 1024 * 1024;

/**
 * The descendants of a process we started (children first), from /proc/<pid>/task/<tid>/children.
 * NOTE: `timeout` forwards SIGINT/SIGTERM to its command but not SIGKILL; an orphaned command
 * would keep our pipes open (and run on), so a SIGKILL always goes to the whole tree.
 */
function descendants(pid: number, depth = 0): number[] {
  if (depth > 8) return [];
  const out: number[] = [];
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let kids: string[] = [];
    try {
      kids = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter((k) => k !== '');
    } catch {
      continue;
    }
    for (const k of kids) {
      const kp = Number(k);
      out.push(...descendants(kp, depth + 1), kp);
    }
  }
  return out;
}

function killTree(pid: number, signal: NodeJS.Signals): void {
  for (const d of descendants(pid)) {
    try {
      process.kill(d, signal);
    } catch {
      /* gone */
    }
  }
  try {
    process.kill(pid, signal);
  } catch {
    /* gone */
  }
}

function startProcess(argv0: string, args: readonly string[], opts: ExecOptions = {}): LabProcess {
  const t0 = performance.now();
  const child = spawn(argv0, [...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const max = opts.maxBuffer ?? DEFAULT_MAX_BUFFER;
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8');
  child.stderr!.setEncoding('utf8');
  child.stdout!.on('data', (d: string) => {
    if (out.length < max) out += d;
  });
  child.stderr!.on('data', (d: string) => {
    if (err.length < max) err += d;
  });
  child.stdin!.on('error', () => undefined);
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (timeoutMs > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      try {
        child.kill('SIGTERM');
      } catch {
        /* gone */
      }
      killTimer = setTimeout(() => {
        if (child.pid !== undefined) killTree(child.pid, 'SIGKILL');
      }, 3000);
    }, timeoutMs);
  }
  const done = new Promise<ExecResult>((resolve) => {
    let settled = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      resolve({ code, signal, stdout: out, stderr: err, ms: performance.now() - t0, timedOut });
    };
    child.on('error', (e) => {
      err += `spawn ${argv0}: ${e.message}\n`;
      finish(127, null);
    });
    child.on('close', (code, signal) => finish(code, signal));
    // A grandchild that outlived the child would hold the pipes open ('close' never comes).
    child.on('exit', (code, signal) => setTimeout(() => finish(code, signal), 3000).unref());
  });
  return {
    pid: child.pid ?? -1,
    child,
    done,
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.pid === undefined) return;
      if (signal === 'SIGKILL') {
        // Also the orphans-to-be (see killTree), even when the direct child is gone already.
        killTree(child.pid, 'SIGKILL');
      } else if (child.exitCode === null && child.signalCode === null) {
        try {
          child.kill(signal);
        } catch {
          /* already gone */
        }
      }
    },
    killDescendants(signal: NodeJS.Signals, leavesOnly = false) {
      if (child.pid === undefined) return;
      for (const d of descendants(child.pid)) {
        if (leavesOnly && descendants(d).length > 0) continue;
        try {
          process.kill(d, signal);
        } catch {
          /* gone */
        }
      }
    },
    stdout: () => out,
    stderr: () => err,
  };
}

/** Run a host command (ip, tc, nft) bounded in time; throws with its stderr on failure. */
async function run(cmd: string, args: readonly string[], timeoutMs = 15_000): Promise<string> {
  const r = await startProcess(cmd, args, { timeoutMs }).done;
  if (r.code !== 0) {
    throw new Error(`lab: '${cmd} ${args.join(' ')}' failed (${r.code ?? r.signal}): ${r.stderr.trim()}`);
  }
  return r.stdout;
}

// ---------------------------------------------------------------------------------------------
// cleanup at exit

const liveLabs = new Set<LabImpl>();
let handlersInstalled = false;

function destroySync(lab: LabImpl): void {
  for (const p of lab.tracked) killTree(p.pid, 'SIGKILL');
  lab.tracked.clear();
  for (const ns of [lab.scanNs, lab.sinkNs]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 10_000 });
    } catch {
      /* already gone */
    }
  }
  liveLabs.delete(lab);
}

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const lab of [...liveLabs]) destroySync(lab);
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      for (const lab of [...liveLabs]) destroySync(lab);
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

// ---------------------------------------------------------------------------------------------
// the lab

class LabImpl implements Lab {
  readonly prefix: string;
  readonly scanNs: string;
  readonly sinkNs: string;
  readonly scanIf: string;
  readonly sinkIf: string;
  ifbIf: string | undefined;
  scanIf2: string | undefined;
  sinkIf2: string | undefined;
  readonly ipv6: boolean;
  readonly addr = LAB_ADDR;
  readonly tracked = new Set<LabProcess>();
  private destroyed = false;
  private dropIngressOn = false;

  constructor(prefix: string, ipv6: boolean) {
    this.prefix = prefix;
    this.scanNs = `${prefix}-scan`;
    this.sinkNs = `${prefix}-sink`;
    this.scanIf = `${prefix}-s`;
    this.sinkIf = `${prefix}-k`;
    this.ifbIf = undefined;
    this.scanIf2 = undefined;
    this.sinkIf2 = undefined;
    this.ipv6 = ipv6;
  }

  private nsName(ns: LabNs): string {
    return ns === 'scan' ? this.scanNs : this.sinkNs;
  }

  spawn(ns: LabNs, cmd: string, args: readonly string[], opts: ExecOptions = {}): LabProcess {
    if (this.destroyed) throw new Error('lab: already destroyed');
    const p = startProcess('ip', ['netns', 'exec', this.nsName(ns), cmd, ...args], opts);
    this.tracked.add(p);
    void p.done.then(() => this.tracked.delete(p));
    return p;
  }

  exec(ns: LabNs, cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.spawn(ns, cmd, args, opts).done;
  }

  async execScanner(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    await this.assertNoDefaultRoute();
    return this.exec('scan', cmd, args, opts);
  }

  async spawnScanner(cmd: string, args: readonly string[], opts: ExecOptions = {}): Promise<LabProcess> {
    await this.assertNoDefaultRoute();
    return this.spawn('scan', cmd, args, opts);
  }

  async assertNoDefaultRoute(): Promise<void> {
    const v4 = (await run('ip', ['-n', this.scanNs, 'route', 'show', 'default'])).trim();
    const v6 = (await run('ip', ['-n', this.scanNs, '-6', 'route', 'show', 'default'])).trim();
    if (v4 !== '' || v6 !== '') {
      throw new Error(
        `lab: REFUSING to scan: namespace ${this.scanNs} has a default route (${v4} ${v6}); ` +
          'the lab rule forbids any route out of the lab',
      );
    }
    // Every route of the scanner namespace must stay inside the lab.
    const routes = await run('ip', ['-n', this.scanNs, '-4', 'route', 'show']);
    for (const line of routes.split('\n')) {
      const dst = line.trim().split(/\s+/)[0];
      if (!dst) continue;
      if (dst !== '198.18.0.0/15' && dst !== '10.250.0.0/30' && !(this.scanIf2 !== undefined && dst === LAB_ADDR2.net4)) {
        throw new Error(`lab: REFUSING to scan: unexpected route in ${this.scanNs}: ${line.trim()}`);
      }
    }
  }

  async setup(opts: LabOptions): Promise<void> {
    const { scanNs: S, sinkNs: K, scanIf: sIf, sinkIf: kIf } = this;
    const A = LAB_ADDR;
    await run('ip', ['netns', 'add', S]);
    await run('ip', ['netns', 'add', K]);
    // Per-namespace sysctls: no IPv6 autoconf/DAD surprises, no ICMP rate limit in the sink
    // (closed UDP ports must each get their port-unreachable), AnyIP binds for v6.
    const sysctl = async (ns: string, kv: string[]): Promise<void> => {
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', ...kv]);
    };
    await run('ip', [
      'link', 'add', sIf, 'netns', S, 'address', A.scanMac, 'type', 'veth',
      'peer', 'name', kIf, 'netns', K, 'address', A.sinkMac,
    ]);
    for (const [ns, dev] of [[S, sIf], [K, kIf]] as const) {
      await sysctl(ns, [
        `net.ipv6.conf.all.accept_ra=0`, `net.ipv6.conf.default.accept_ra=0`,
        `net.ipv6.conf.all.accept_dad=0`, `net.ipv6.conf.default.accept_dad=0`,
        `net.ipv6.conf.${dev}.accept_dad=0`, `net.ipv6.conf.${dev}.accept_ra=0`,
        `net.ipv6.conf.${dev}.disable_ipv6=${this.ipv6 ? 0 : 1}`,
      ]);
    }
    await sysctl(K, [
      'net.ipv4.icmp_ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=10000000', 'net.ipv4.icmp_msgs_burst=1000000',
      'net.ipv4.icmp_echo_ignore_broadcasts=1', 'net.ipv4.ip_nonlocal_bind=1',
      'net.ipv6.icmp.ratelimit=0', 'net.ipv6.ip_nonlocal_bind=1',
      'net.ipv4.tcp_max_syn_backlog=65536', 'net.core.somaxconn=65536',
    ]);
    await run('ip', ['-n', S, 'addr', 'add', '10.250.0.1/30', 'dev', sIf]);
    await run('ip', ['-n', K, 'addr', 'add', '10.250.0.2/30', 'dev', kIf]);
    for (const [ns, dev] of [[S, sIf], [K, kIf]] as const) {
      await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      // NOTE: see the header: 10.250.0.3 must be a host, not the /30's broadcast.
      await run('ip', ['-n', ns, 'route', 'del', 'broadcast', '10.250.0.3', 'dev', dev, 'table', 'local']);
    }
    await run('ip', ['-n', K, 'route', 'add', 'local', A.net4, 'dev', 'lo']);
    await run('ip', ['-n', S, 'route', 'add', A.net4, 'via', A.sinkIp4, 'dev', sIf]);
    if (this.ipv6) {
      await run('ip', ['-n', S, '-6', 'addr', 'add', `${A.scanIp6}/64`, 'dev', sIf, 'nodad']);
      await run('ip', ['-n', K, '-6', 'addr', 'add', `${A.sinkIp6}/64`, 'dev', kIf, 'nodad']);
      await run('ip', ['-n', K, '-6', 'route', 'add', 'local', A.net6, 'dev', 'lo']);
      await run('ip', ['-n', S, '-6', 'route', 'add', A.net6, 'via', A.sinkIp6, 'dev', sIf]);
    }
    // Both kernels know each other's MAC from the start (no ARP/NDP race in the first
    // milliseconds of a 10 M pps scan); the scanner still answers ARP for spoofed addresses.
    await run('ip', ['-n', K, 'neigh', 'replace', A.scanIp4, 'lladdr', A.scanMac, 'dev', kIf, 'nud', 'permanent']);
    await run('ip', ['-n', S, 'neigh', 'replace', A.sinkIp4, 'lladdr', A.sinkMac, 'dev', sIf, 'nud', 'permanent']);
    if (this.ipv6) {
      await run('ip', ['-n', K, '-6', 'neigh', 'replace', A.scanIp6, 'lladdr', A.scanMac, 'dev', kIf, 'nud', 'permanent']);
      await run('ip', ['-n', S, '-6', 'neigh', 'replace', A.sinkIp6, 'lladdr', A.sinkMac, 'dev', sIf, 'nud', 'permanent']);
    }
    if (opts.ifb) {
      this.ifbIf = `${this.prefix}-i`;
      await run('ip', ['-n', S, 'link', 'add', this.ifbIf, 'type', 'ifb']);
      await run('ip', ['-n', S, 'link', 'set', this.ifbIf, 'up']);
      // Like a veth: no qdisc in front of the discard device (the default pfifo_fast has a
      // 32-packet queue that drops bursts before the device counts them).
      const nq = await startProcess('tc', ['-n', S, 'qdisc', 'replace', 'dev', this.ifbIf, 'root', 'noqueue']).done;
      if (nq.code !== 0) await run('ip', ['-n', S, 'link', 'set', this.ifbIf, 'txqueuelen', '10000']);
    }
    if (opts.secondPair) await this.setupSecondPair();
    if (opts.netem !== undefined) await this.applyNetem(opts.netem);
    if (opts.dropIngress) await this.setDropIngress(true);
    await this.assertNoDefaultRoute();
  }

  /** LabOptions.secondPair: `<p>-s2` <-> `<p>-k2`, no route in the scanner namespace. */
  private async setupSecondPair(): Promise<void> {
    const { scanNs: S, sinkNs: K } = this;
    const B = LAB_ADDR2;
    const sIf = `${this.prefix}-s2`;
    const kIf = `${this.prefix}-k2`;
    await run('ip', ['link', 'add', sIf, 'netns', S, 'address', B.scanMac, 'type', 'veth', 'peer', 'name', kIf, 'netns', K, 'address', B.sinkMac]);
    this.scanIf2 = sIf;
    this.sinkIf2 = kIf;
    for (const [ns, dev, ip] of [[S, sIf, B.scanIp4], [K, kIf, B.sinkIp4]] as const) {
      await run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', `net.ipv6.conf.${dev}.accept_dad=0`,
        `net.ipv6.conf.${dev}.accept_ra=0`, `net.ipv6.conf.${dev}.disable_ipv6=${this.ipv6 ? 0 : 1}`]);
      await run('ip', ['-n', ns, 'addr', 'add', `${ip}/30`, 'dev', dev]);
      await run('ip', ['-n', ns, 'link', 'set', dev, 'up']);
      // As for the first pair: .3 is a host (the spoofed source), not the /30's broadcast.
      await run('ip', ['-n', ns, 'route', 'del', 'broadcast', B.spoofIp4, 'dev', dev, 'table', 'local']);
    }
    await run('ip', ['-n', K, 'neigh', 'replace', B.scanIp4, 'lladdr', B.scanMac, 'dev', kIf, 'nud', 'permanent']);
    await run('ip', ['-n', S, 'neigh', 'replace', B.sinkIp4, 'lladdr', B.sinkMac, 'dev', sIf, 'nud', 'permanent']);
    if (this.ipv6) {
      await run('ip', ['-n', S, '-6', 'addr', 'add', `${B.scanIp6}/64`, 'dev', sIf, 'nodad']);
      await run('ip', ['-n', K, '-6', 'addr', 'add', `${B.sinkIp6}/64`, 'dev', kIf, 'nodad']);
      await run('ip', ['-n', K, '-6', 'neigh', 'replace', B.scanIp6, 'lladdr', B.scanMac, 'dev', kIf, 'nud', 'permanent']);
      await run('ip', ['-n', S, '-6', 'neigh', 'replace', B.sinkIp6, 'lladdr', B.sinkMac, 'dev', sIf, 'nud', 'permanent']);
    }
  }

  private async applyNetem(spec: string): Promise<void> {
    const args = spec.trim().split(/\s+/);
    const r = await startProcess('tc', ['-n', this.sinkNs, 'qdisc', 'add', 'dev', this.sinkIf, 'root', 'netem', ...args]).done;
    if (r.code === 0) return;
    // No sch_netem in this kernel: emulate `loss N%` with an nftables random drop on egress.
    const m = /^loss\s+(\d+(?:\.\d+)?)%$/.exec(spec.trim());
    if (!m) {
      throw new Error(`lab: netem '${spec}' unavailable (${r.stderr.trim()}); only 'loss N%' has a fallback here`);
    }
    const permille = Math.round(parseFloat(m[1]!) * 10);
    const ruleset =
      `table netdev tslab_loss {\n chain egress {\n  type filter hook egress device "${this.sinkIf}" priority 0; policy accept;\n` +
      `  numgen random mod 1000 < ${permille} drop\n }\n}\n`;
    const r2 = await startProcess('ip', ['netns', 'exec', this.sinkNs, 'nft', '-f', '-'], { input: ruleset }).done;
    if (r2.code !== 0) throw new Error(`lab: loss emulation failed: ${r2.stderr.trim()}`);
  }

  async setDropIngress(on: boolean): Promise<void> {
    if (on === this.dropIngressOn) return;
    if (on) {
      const ruleset =
        `table netdev tslab_drop {\n chain ingress {\n  type filter hook ingress device "${this.sinkIf}" priority -500; policy drop;\n }\n}\n`;
      const r = await startProcess('ip', ['netns', 'exec', this.sinkNs, 'nft', '-f', '-'], { input: ruleset }).done;
      if (r.code !== 0) throw new Error(`lab: drop-at-ingress failed: ${r.stderr.trim()}`);
    } else {
      await run('ip', ['netns', 'exec', this.sinkNs, 'nft', 'delete', 'table', 'netdev', 'tslab_drop']);
    }
    this.dropIngressOn = on;
  }

  private async iptables(target: string[], rule: FilterRule): Promise<void> {
    const v6 = rule.ip.includes(':');
    const bin = v6 ? 'ip6tables' : 'iptables';
    const proto = rule.proto === 'icmp' ? (v6 ? 'ipv6-icmp' : 'icmp') : rule.proto;
    const args = ['-w', '5', '-A', 'INPUT', '-d', rule.ip, '-p', proto];
    if (rule.port !== undefined) args.push('--dport', String(rule.port));
    await run('ip', ['netns', 'exec', this.sinkNs, bin, ...args, '-j', ...target]);
  }

  filter(rule: FilterRule): Promise<void> {
    return this.iptables(['DROP'], rule);
  }

  reject(rule: FilterRule): Promise<void> {
    const v6 = rule.ip.includes(':');
    return this.iptables(['REJECT', '--reject-with', v6 ? 'icmp6-port-unreachable' : 'icmp-port-unreachable'], rule);
  }

  async counters(ns: LabNs, dev: string): Promise<LinkCounters> {
    const out = await run('ip', ['-n', this.nsName(ns), '-s', '-j', 'link', 'show', 'dev', dev]);
    const j = JSON.parse(out) as { stats64?: { rx: Record<string, number>; tx: Record<string, number> } }[];
    const s = j[0]?.stats64;
    if (!s) throw new Error(`lab: no counters for ${dev} in ${ns}`);
    return {
      rxPackets: s.rx['packets'] ?? 0,
      txPackets: s.tx['packets'] ?? 0,
      rxBytes: s.rx['bytes'] ?? 0,
      txBytes: s.tx['bytes'] ?? 0,
      rxDropped: s.rx['dropped'] ?? 0,
      txDropped: s.tx['dropped'] ?? 0,
    };
  }

  async startServices(spec: ServicesSpec): Promise<Services> {
    const full: SinkServerSpec = {
      tcp: spec.tcp ?? [],
      udp: spec.udp ?? [],
      ...(spec.trickle ? { trickle: { host: LAB_ADDR.scanIp4, port: 9, intervalMs: 100, maxCount: 20_000 } } : {}),
      lifetimeMs: spec.lifetimeMs ?? 10 * 60_000,
    };
    const arg = Buffer.from(JSON.stringify(full)).toString('base64');
    const p = this.spawn('sink', process.execPath, [SINK_SERVER, arg], { timeoutMs: full.lifetimeMs + 5000 });
    // Wait for READY (bounded).
    const t0 = Date.now();
    for (;;) {
      const out = p.stdout();
      if (out.includes('READY\n')) break;
      if (out.includes('ERROR')) {
        p.kill('SIGKILL');
        throw new Error(`lab: sink services failed: ${out.trim()} ${p.stderr().trim()}`);
      }
      if (p.child.exitCode !== null || p.child.signalCode !== null) {
        throw new Error(`lab: sink services exited early: ${out.trim()} ${p.stderr().trim()}`);
      }
      if (Date.now() - t0 > 15_000) {
        p.kill('SIGKILL');
        throw new Error('lab: sink services not ready within 15 s');
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    return {
      process: p,
      spec: full,
      stop: async () => {
        p.kill('SIGTERM');
        const killer = setTimeout(() => p.kill('SIGKILL'), 2000);
        await p.done;
        clearTimeout(killer);
      },
    };
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const procs = [...this.tracked];
    for (const p of procs) p.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const p of procs) p.kill('SIGKILL');
    }, 2000);
    await Promise.all(procs.map((p) => p.done));
    clearTimeout(killer);
    for (const ns of [this.scanNs, this.sinkNs]) {
      await startProcess('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).done;
    }
    liveLabs.delete(this);
  }
}

/**
 * A unique prefix for this process: `tl<pid>` (and a counter when a process makes several).
 * TIDESCAN_LAB_PREFIX replaces `tl`, so that runs side by side on one machine can tell their
 * namespaces apart (and clean up only their own).
 */
let labCounter = 0;
export function defaultPrefix(): string {
  const n = labCounter++;
  const base = `${process.env['TIDESCAN_LAB_PREFIX'] ?? 'tl'}${process.pid}`;
  return n === 0 ? base : `${base}x${n}`;
}

/** Bring a lab up. On any failure the half-built lab is torn down before the error is thrown. */
export async function createLab(opts: LabOptions = {}): Promise<Lab> {
  requireRoot();
  const prefix = opts.prefix ?? defaultPrefix();
  if (!/^[a-z][a-z0-9]{0,9}$/.test(prefix)) {
    throw new Error(`lab: bad prefix '${prefix}' (1-10 chars, [a-z][a-z0-9]*)`);
  }
  const lab = new LabImpl(prefix, opts.ipv6 ?? true);
  if (!opts.persistent) {
    installExitHandlers();
    liveLabs.add(lab);
  }
  try {
    await lab.setup(opts);
  } catch (e) {
    await lab.destroy().catch(() => undefined);
    destroySync(lab);
    throw e;
  }
  return lab;
}

/** Delete the namespaces of a lab by prefix (CLI `down`, or after a crash). */
export async function destroyLabByPrefix(prefix: string): Promise<void> {
  for (const ns of [`${prefix}-scan`, `${prefix}-sink`]) {
    await startProcess('ip', ['netns', 'del', ns], { timeoutMs: 10_000 }).done;
  }
}

// ---------------------------------------------------------------------------------------------
// CLI: node dist/test/lab/lab.js up|down|status [PREFIX] [--ifb] [--no-ipv6] [--drop-ingress] [--second-pair]

async function cli(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  const flags = new Set(rest.filter((a) => a.startsWith('--')));
  const prefix = rest.find((a) => !a.startsWith('--'));
  switch (cmd) {
    case 'up': {
      const lab = await createLab({
        prefix: prefix ?? `tl${process.pid}`,
        persistent: true,
        ipv6: !flags.has('--no-ipv6'),
        ifb: flags.has('--ifb'),
        dropIngress: flags.has('--drop-ingress'),
        secondPair: flags.has('--second-pair'),
      });
      process.stdout.write(
        `lab ${lab.prefix} is up: scanner ns ${lab.scanNs} (dev ${lab.scanIf}, ${LAB_ADDR.scanIp4}` +
          `${lab.ipv6 ? `, ${LAB_ADDR.scanIp6}` : ''}), sink ns ${lab.sinkNs} (dev ${lab.sinkIf})\n` +
          `  scan:  ip netns exec ${lab.scanNs} node bin/tidescan.js 198.18.0.0/24 -p80 -e ${lab.scanIf} --router-mac ${LAB_ADDR.sinkMac}\n` +
          `  down:  node dist/test/lab/lab.js down ${lab.prefix}\n`,
      );
      return 0;
    }
    case 'down': {
      if (!prefix) throw new Error('usage: lab.js down PREFIX');
      await destroyLabByPrefix(prefix);
      process.stdout.write(`lab ${prefix} is down\n`);
      return 0;
    }
    case 'status': {
      if (!prefix) throw new Error('usage: lab.js status PREFIX');
      for (const ns of [`${prefix}-scan`, `${prefix}-sink`]) {
        process.stdout.write(`== ${ns}\n`);
        for (const args of [['-br', 'addr'], ['route'], ['-6', 'route'], ['-s', 'link']]) {
          const r = await startProcess('ip', ['-n', ns, ...args], { timeoutMs: 10_000 }).done;
          process.stdout.write(r.code === 0 ? r.stdout : `  (${r.stderr.trim()})\n`);
        }
      }
      return 0;
    }
    default:
      process.stderr.write('usage: node dist/test/lab/lab.js up|down|status [PREFIX] [--ifb] [--no-ipv6] [--drop-ingress] [--second-pair]\n');
      return 1;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.on('error', () => undefined); // `lab.js status X | head`
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`lab: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
