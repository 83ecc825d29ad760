/**
 * Classic BPF (the socket-filter language of Linux SO_ATTACH_FILTER, tcpdump -d) assembled in
 * TypeScript, so the receive ring only ever holds frames that can be replies to us.
 *
 * - `buildReplyFilter()` emits the program "ARP, or IPv4/IPv6 to one of our addresses (and, if
 *   asked, TCP/UDP to our port range)".
 * - `encodeBpf()` packs a program for native/afpacket.c: two u32 per instruction,
 *   `code | jt << 16 | jf << 24` then `k`.
 * - `runBpf()` is a small interpreter with the kernel's semantics (an out-of-range load
 *   rejects the frame, division by zero rejects it), used by tests to check a program
 *   against real frames without a socket.
 *
 * Guarantees: every program built here has at most 4096 instructions (BPF_MAXINSNS), ends in
 * RET on every path, and jumps only forward within range (the kernel's checker would refuse
 * anything else with EINVAL). Loads of packet words are big-endian, so an IPv4 address
 * compares as the u32 `a << 24 | b << 16 | c << 8 | d` used everywhere in tidescan.
 */
import { ScanError } from '../error.js';

export interface BpfInsn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** A classic BPF program (sock_filter array). */
export type BpfProgram = readonly BpfInsn[];

// Instruction classes, sizes, modes, ops (linux/bpf_common.h).
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;
export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;
export const BPF_K = 0x00;
export const BPF_X = 0x08;
export const BPF_A = 0x10;
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;
export const BPF_MAXINSNS = 4096;
const BPF_MEMWORDS = 16;

export function bpfStmt(code: number, k: number): BpfInsn {
  return { code, jt: 0, jf: 0, k: k >>> 0 };
}
export function bpfJump(code: number, k: number, jt: number, jf: number): BpfInsn {
  return { code, jt, jf, k: k >>> 0 };
}

/** Packs a program for the native addon: [code | jt << 16 | jf << 24, k] per instruction. */
export function encodeBpf(prog: BpfProgram): Uint32Array {
  if (prog.length === 0 || prog.length > BPF_MAXINSNS) {
    throw new ScanError('ERR_BAD_OPTION', `BPF program has ${prog.length} instructions (1..${BPF_MAXINSNS} allowed)`);
  }
  const out = new Uint32Array(prog.length * 2);
  for (let i = 0; i < prog.length; i++) {
    const p = prog[i];
    if (p.code >>> 16 !== 0 || p.jt >>> 8 !== 0 || p.jf >>> 8 !== 0) {
      throw new ScanError('ERR_BAD_OPTION', `BPF instruction ${i} has an out-of-range field`);
    }
    out[2 * i] = (p.code | (p.jt << 16) | (p.jf << 24)) >>> 0;
    out[2 * i + 1] = p.k >>> 0;
  }
  return out;
}

// ------------------------------------------------------------------ assembler with labels

type Target = string | number; // label, or 0 = next instruction
interface PendingInsn {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
  /** Appended as is (raw): offsets already relative. */
  fixed?: boolean;
}

/** A tiny assembler: conditional jumps name labels; `finish()` resolves them. */
class Asm {
  private readonly insns: PendingInsn[] = [];
  private readonly labels = new Map<string, number>();
  label(name: string): void {
    this.labels.set(name, this.insns.length);
  }
  stmt(code: number, k: number): void {
    this.insns.push({ code, k, jt: 0, jf: 0 });
  }
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.insns.push({ code, k, jt, jf });
  }
  /** An instruction whose jumps are already relative offsets (an appended program). */
  raw(p: BpfInsn): void {
    this.insns.push({ code: p.code, k: p.k, jt: p.jt, jf: p.jf, fixed: true });
  }
  /** Unconditional jump: 32-bit offset, so it reaches any later label. */
  ja(label: string): void {
    this.insns.push({ code: BPF_JMP | BPF_JA, k: 0, jt: label, jf: 0 });
  }
  finish(): BpfInsn[] {
    const out: BpfInsn[] = [];
    for (let pc = 0; pc < this.insns.length; pc++) {
      const p = this.insns[pc];
      if (p.fixed === true) {
        out.push({ code: p.code, k: p.k >>> 0, jt: p.jt as number, jf: p.jf as number });
        continue;
      }
      if (p.code === (BPF_JMP | BPF_JA)) {
        const at = typeof p.jt === 'string' ? this.labels.get(p.jt) : undefined;
        if (at === undefined || at <= pc) throw new ScanError('ERR_INTERNAL', `BPF label ${String(p.jt)} unusable`);
        out.push({ code: p.code, k: at - pc - 1, jt: 0, jf: 0 });
        continue;
      }
      out.push({ code: p.code, k: p.k >>> 0, jt: this.resolve(pc, p.jt), jf: this.resolve(pc, p.jf) });
    }
    if (out.length > BPF_MAXINSNS) {
      throw new ScanError('ERR_BAD_OPTION', `BPF receive filter too long (${out.length} instructions)`);
    }
    return out;
  }
  private resolve(pc: number, t: Target): number {
    if (typeof t === 'number') return t;
    const at = this.labels.get(t);
    if (at === undefined) throw new ScanError('ERR_INTERNAL', `BPF label ${t} undefined`);
    const off = at - pc - 1;
    if (off < 0 || off > 255) {
      throw new ScanError('ERR_BAD_OPTION', 'BPF receive filter: too many source addresses (jump out of range)');
    }
    return off;
  }
}

export interface Ipv4Range {
  /** u32, inclusive. */
  readonly first: number;
  readonly last: number;
}
export interface PortRange {
  readonly first: number;
  readonly last: number;
}

export interface ReplyFilterOptions {
  /** Our IPv4 addresses (u32 ranges). Undefined: any IPv4 destination; empty: no IPv4. */
  readonly ipv4?: readonly Ipv4Range[];
  /** Our IPv6 addresses. Undefined: any IPv6 destination; empty: no IPv6. */
  readonly ipv6?: readonly bigint[];
  /** Accept ARP (needed to answer ARP for a spoofed source address). Default true. */
  readonly arp?: boolean;
  /**
   * Destination ports of TCP/UDP replies (our source ports). Other IP protocols (ICMP
   * errors quoting our probes, SCTP) and non-first IPv4 fragments always pass, and so does
   * IPv6 with extension headers: the TypeScript decoder decides about those.
   */
  readonly ports?: PortRange;
  /** Bytes kept per frame (the rest is cut). Default 65535. */
  readonly snaplen?: number;
  /**
   * --bpf: a user program (compileUserFilter) that IP frames we accept must pass too: ours
   * runs first and, where it would accept an IPv4/IPv6 frame, jumps into this one, whose
   * RETs then decide (their accept length capped at `snaplen`). ARP and IPv6 neighbour
   * solicitations/advertisements skip it: the responder must keep answering for our
   * addresses whatever the user filters (a filter such as `tcp port 80` would otherwise make
   * our spoofed source address unreachable mid-scan).
   */
  readonly user?: BpfProgram;
}

const ETH_TYPE = 12;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_ARP = 0x0806;
const IP4_PROTO = 14 + 9;
const IP4_FRAG = 14 + 6;
const IP4_DST = 14 + 16;
const IP6_NEXT = 14 + 6;
const IP6_DST = 14 + 24;
const IP6_L4_DPORT = 14 + 40 + 2;
const IP6_L4_TYPE = 14 + 40;
const MAX_V4_RANGES = 120;
const MAX_V6_ADDRS = 30;

/**
 * The receive filter: ARP (optional), and IPv4/IPv6 frames addressed to us, optionally only
 * TCP/UDP to our ports. Ethernet II framing only (the kernel strips hardware VLAN tags
 * before the filter runs).
 */
export function buildReplyFilter(o: ReplyFilterOptions = {}): BpfProgram {
  const arp = o.arp ?? true;
  const snap = o.snaplen ?? 65535;
  if (!Number.isInteger(snap) || snap < 64 || snap > 262144) {
    throw new ScanError('ERR_BAD_OPTION', `BPF snaplen ${snap} out of range (64..262144)`);
  }
  if (o.ipv4 !== undefined && o.ipv4.length > MAX_V4_RANGES) {
    throw new ScanError('ERR_BAD_OPTION', `too many IPv4 source ranges for the receive filter (max ${MAX_V4_RANGES})`);
  }
  if (o.ipv6 !== undefined && o.ipv6.length > MAX_V6_ADDRS) {
    throw new ScanError('ERR_BAD_OPTION', `too many IPv6 source addresses for the receive filter (max ${MAX_V6_ADDRS})`);
  }
  if (o.ports !== undefined) {
    const { first, last } = o.ports;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first < 0 || last > 65535 || first > last) {
      throw new ScanError('ERR_BAD_OPTION', `bad port range ${first}-${last} for the receive filter`);
    }
  }
  const wantV4 = o.ipv4 === undefined || o.ipv4.length > 0;
  const wantV6 = o.ipv6 === undefined || o.ipv6.length > 0;
  const ports = o.ports;
  // Layout: a dispatch on the ethertype, then one block per family ending in its own RET
  // pair, so every conditional jump stays short (8-bit offsets); the dispatch reaches the
  // IPv6 block with a JA (32-bit offset).
  const a = new Asm();
  a.stmt(BPF_LD | BPF_H | BPF_ABS, ETH_TYPE);
  if (arp) a.jump(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_ARP, 'arp', 0);
  if (wantV4) a.jump(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV4, 'v4', 0);
  if (wantV6) {
    a.jump(BPF_JMP | BPF_JEQ | BPF_K, ETHERTYPE_IPV6, 0, 'drop0');
    a.ja('v6');
  }
  a.label('drop0');
  a.stmt(BPF_RET | BPF_K, 0);
  if (arp) {
    a.label('arp');
    a.stmt(BPF_RET | BPF_K, snap);
  }

  if (wantV4) {
    a.label('v4');
    if (o.ipv4 !== undefined) {
      a.stmt(BPF_LD | BPF_W | BPF_ABS, IP4_DST);
      for (let i = 0; i < o.ipv4.length; i++) {
        const r = o.ipv4[i];
        const first = r.first >>> 0;
        const last = r.last >>> 0;
        if (first !== r.first || last !== r.last || first > last) {
          throw new ScanError('ERR_BAD_OPTION', 'bad IPv4 range for the receive filter');
        }
        const miss = i + 1 < o.ipv4.length ? `v4next${i}` : 'v4drop';
        if (first === last) {
          a.jump(BPF_JMP | BPF_JEQ | BPF_K, first, 'v4ok', miss);
        } else {
          // first <= A <= last: JGE first (else miss), then JGT last (then miss, else ok).
          a.jump(BPF_JMP | BPF_JGE | BPF_K, first, 0, miss);
          a.jump(BPF_JMP | BPF_JGT | BPF_K, last, miss, 'v4ok');
        }
        if (i + 1 < o.ipv4.length) a.label(`v4next${i}`);
      }
    }
    a.label('v4ok');
    if (ports !== undefined) {
      a.stmt(BPF_LD | BPF_B | BPF_ABS, IP4_PROTO);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 6, 'v4l4', 0);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 17, 'v4l4', 'v4acc');
      a.label('v4l4');
      // A non-first fragment carries no port header: let the decoder see (and drop) it.
      a.stmt(BPF_LD | BPF_H | BPF_ABS, IP4_FRAG);
      a.jump(BPF_JMP | BPF_JSET | BPF_K, 0x1fff, 'v4acc', 0);
      a.stmt(BPF_LDX | BPF_B | BPF_MSH, 14); // X = 4 * IHL
      a.stmt(BPF_LD | BPF_H | BPF_IND, 14 + 2); // destination port
      a.jump(BPF_JMP | BPF_JGE | BPF_K, ports.first, 0, 'v4drop');
      a.jump(BPF_JMP | BPF_JGT | BPF_K, ports.last, 'v4drop', 'v4acc');
    }
    a.label('v4acc');
    if (o.user !== undefined) a.ja('user');
    else a.stmt(BPF_RET | BPF_K, snap);
    a.label('v4drop');
    a.stmt(BPF_RET | BPF_K, 0);
  }

  if (wantV6) {
    a.label('v6');
    if (o.ipv6 !== undefined) {
      for (let i = 0; i < o.ipv6.length; i++) {
        const addr = o.ipv6[i];
        if (addr < 0n || addr >= 1n << 128n) {
          throw new ScanError('ERR_BAD_OPTION', 'bad IPv6 address for the receive filter');
        }
        const miss = i + 1 < o.ipv6.length ? `v6next${i}` : 'v6drop';
        for (let w = 0; w < 4; w++) {
          const word = Number((addr >> BigInt(96 - 32 * w)) & 0xffffffffn);
          a.stmt(BPF_LD | BPF_W | BPF_ABS, IP6_DST + 4 * w);
          a.jump(BPF_JMP | BPF_JEQ | BPF_K, word, w === 3 ? 'v6ok' : 0, miss);
        }
        if (i + 1 < o.ipv6.length) a.label(`v6next${i}`);
      }
    }
    a.label('v6ok');
    if (ports !== undefined) {
      a.stmt(BPF_LD | BPF_B | BPF_ABS, IP6_NEXT);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 6, 'v6l4', 0);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 17, 'v6l4', 'v6acc');
      a.label('v6l4');
      a.stmt(BPF_LD | BPF_H | BPF_ABS, IP6_L4_DPORT);
      a.jump(BPF_JMP | BPF_JGE | BPF_K, ports.first, 0, 'v6drop');
      a.jump(BPF_JMP | BPF_JGT | BPF_K, ports.last, 'v6drop', 'v6acc');
    }
    a.label('v6acc');
    if (o.user !== undefined) {
      // Neighbour discovery (ICMPv6 135/136 right after the fixed header) skips the user filter.
      a.stmt(BPF_LD | BPF_B | BPF_ABS, IP6_NEXT);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 58, 0, 'v6user');
      a.stmt(BPF_LD | BPF_B | BPF_ABS, IP6_L4_TYPE);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 135, 'v6nd', 0);
      a.jump(BPF_JMP | BPF_JEQ | BPF_K, 136, 'v6nd', 'v6user');
      a.label('v6nd');
      a.stmt(BPF_RET | BPF_K, snap);
      a.label('v6user');
      a.ja('user');
    } else a.stmt(BPF_RET | BPF_K, snap);
    a.label('v6drop');
    a.stmt(BPF_RET | BPF_K, 0);
  }
  if (o.user !== undefined) {
    checkBpf(o.user);
    a.label('user');
    // Appended as they are: their jumps are relative, so they stay inside their program.
    for (const p of o.user) {
      const ret = (p.code & 0x07) === BPF_RET && (p.code & 0x18) === BPF_K;
      a.raw({ code: p.code, jt: p.jt, jf: p.jf, k: ret && p.k !== 0 ? Math.min(p.k >>> 0, snap) : p.k >>> 0 });
    }
  }
  return a.finish();
}

/**
 * Parses the output of `tcpdump -ddd` (libpcap's compiled program: a count line, then
 * `code jt jf k` in decimal per instruction) into a program; throws on anything else, and
 * on a program the kernel would refuse (checkBpf).
 */
export function parseTcpdumpDdd(text: string): BpfProgram {
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const bad = (why: string): never => { throw new ScanError('ERR_BAD_OPTION', `BPF program from tcpdump -ddd: ${why}`); };
  if (lines.length === 0 || !/^\d{1,5}$/.test(lines[0]!)) bad('no instruction count');
  const n = Number(lines[0]);
  if (n < 1 || n > BPF_MAXINSNS || lines.length !== n + 1) bad(`expected ${n} instructions, got ${lines.length - 1}`);
  const prog: BpfInsn[] = [];
  for (let i = 1; i <= n; i++) {
    const m = /^(\d{1,5}) (\d{1,3}) (\d{1,3}) (\d{1,10})$/.exec(lines[i]!);
    if (m === null) bad(`line ${i + 1} is not "code jt jf k"`);
    const [code, jt, jf, k] = [Number(m![1]), Number(m![2]), Number(m![3]), Number(m![4])];
    if (code > 0xffff || jt > 255 || jf > 255 || k > 0xffffffff) bad(`line ${i + 1}: field out of range`);
    prog.push({ code, jt, jf, k });
  }
  checkBpf(prog);
  return prog;
}

/** How compileUserFilter runs tcpdump (a test passes its own). */
export type RunTcpdump = (args: readonly string[]) => { readonly status: number | null; readonly stdout: string; readonly stderr: string; readonly error?: Error | undefined };

/**
 * Compiles a --bpf expression with `tcpdump -ddd -y EN10MB`: libpcap's own compiler, so the
 * expression means exactly what it means to masscan (which hands --bpf to pcap_compile) and
 * to tcpdump, without a libpcap binding in the addon or a second implementation of the pcap
 * filter language here. The frames the receive ring sees are Ethernet II (VLAN tags are
 * stripped by the kernel before socket filters run), hence EN10MB. An expression tcpdump
 * refuses is an ERR_BAD_OPTION naming it (cut to 80 characters) and tcpdump's reason.
 */
export function compileUserFilter(expr: string, run: RunTcpdump): BpfProgram {
  const shown = expr.length > 80 ? `${expr.slice(0, 77)}...` : expr;
  const r = run(['-ddd', '-y', 'EN10MB', '--', expr]);
  if (r.error !== undefined) {
    throw new ScanError('ERR_BAD_OPTION', `--bpf ${JSON.stringify(shown)}: cannot run tcpdump to compile it (${r.error.message.split('\n')[0]})`);
  }
  if (r.status !== 0) {
    const why = r.stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('Warning:')).at(-1) ?? `tcpdump exited with ${r.status}`;
    throw new ScanError('ERR_BAD_OPTION', `--bpf ${JSON.stringify(shown)}: ${why.slice(0, 200)}`);
  }
  return parseTcpdumpDdd(r.stdout);
}

// ------------------------------------------------------------------ interpreter (tests)

/**
 * Runs `prog` over `pkt` with Linux's semantics and returns the accepted length (0 =
 * dropped; the kernel then cuts the frame to min(result, length)). Loads past the end of
 * the packet return 0 at once, as in the kernel. Bounded: at most prog.length steps, since
 * jumps only go forward. Throws ScanError for a program the kernel would refuse.
 */
export function runBpf(prog: BpfProgram, pkt: Uint8Array): number {
  checkBpf(prog);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let A = 0;
  let X = 0;
  const len = pkt.length;
  const load = (off: number, size: number): number => {
    if (off < 0 || off + size > len) return -1;
    if (size === 4) return ((pkt[off] << 24) | (pkt[off + 1] << 16) | (pkt[off + 2] << 8) | pkt[off + 3]) >>> 0;
    if (size === 2) return (pkt[off] << 8) | pkt[off + 1];
    return pkt[off];
  };
  for (let pc = 0; pc < prog.length; pc++) {
    const { code, jt, jf } = prog[pc];
    const k = prog[pc].k >>> 0;
    const cls = code & 0x07;
    switch (cls) {
      case BPF_LD:
      case BPF_LDX: {
        const mode = code & 0xe0;
        const size = (code & 0x18) === BPF_W ? 4 : (code & 0x18) === BPF_H ? 2 : 1;
        let v: number;
        if (mode === BPF_IMM) v = k;
        else if (mode === BPF_LEN) v = len;
        else if (mode === BPF_MEM) v = mem[k];
        else if (mode === BPF_ABS) v = load(k, size);
        else if (mode === BPF_IND) v = load((X + k) >>> 0, size);
        else if (mode === BPF_MSH) {
          const b = load(k, 1);
          v = b < 0 ? -1 : (b & 0x0f) << 2;
        } else return 0;
        if (v < 0) return 0;
        if (cls === BPF_LD) A = v >>> 0;
        else X = v >>> 0;
        break;
      }
      case BPF_ST:
        mem[k] = A;
        break;
      case BPF_STX:
        mem[k] = X;
        break;
      case BPF_ALU: {
        const src = (code & BPF_X) !== 0 ? X : k;
        switch (code & 0xf0) {
          case BPF_ADD: A = (A + src) >>> 0; break;
          case BPF_SUB: A = (A - src) >>> 0; break;
          case BPF_MUL: A = Math.imul(A, src) >>> 0; break;
          case BPF_DIV: if (src === 0) return 0; A = Math.floor(A / src) >>> 0; break;
          case BPF_MOD: if (src === 0) return 0; A = (A % src) >>> 0; break;
          case BPF_OR: A = (A | src) >>> 0; break;
          case BPF_AND: A = (A & src) >>> 0; break;
          case BPF_XOR: A = (A ^ src) >>> 0; break;
          case BPF_LSH: A = src >= 32 ? 0 : (A << src) >>> 0; break;
          case BPF_RSH: A = src >= 32 ? 0 : A >>> src; break;
          case BPF_NEG: A = -A >>> 0; break;
          default: return 0;
        }
        break;
      }
      case BPF_JMP: {
        const op = code & 0xf0;
        if (op === BPF_JA) {
          pc += k;
          break;
        }
        const src = (code & BPF_X) !== 0 ? X : k;
        let cond: boolean;
        if (op === BPF_JEQ) cond = A === src;
        else if (op === BPF_JGT) cond = A > src;
        else if (op === BPF_JGE) cond = A >= src;
        else if (op === BPF_JSET) cond = (A & src) !== 0;
        else return 0;
        pc += cond ? jt : jf;
        break;
      }
      case BPF_RET:
        return (code & 0x18) === BPF_A ? A : k;
      case BPF_MISC:
        if ((code & 0xf8) === BPF_TXA) A = X;
        else X = A;
        break;
    }
  }
  return 0;
}

/** The structural checks of the kernel's sk_chk_filter that matter for programs we build. */
export function checkBpf(prog: BpfProgram): void {
  if (prog.length === 0 || prog.length > BPF_MAXINSNS) {
    throw new ScanError('ERR_BAD_OPTION', `BPF program has ${prog.length} instructions`);
  }
  for (let pc = 0; pc < prog.length; pc++) {
    const p = prog[pc];
    const cls = p.code & 0x07;
    if (cls === BPF_JMP) {
      const far = (p.code & 0xf0) === BPF_JA ? p.k >>> 0 : Math.max(p.jt, p.jf);
      if (pc + 1 + far >= prog.length) throw new ScanError('ERR_BAD_OPTION', `BPF jump at ${pc} leaves the program`);
    }
    if ((cls === BPF_ST || cls === BPF_STX || ((cls === BPF_LD || cls === BPF_LDX) && (p.code & 0xe0) === BPF_MEM)) &&
        p.k >= BPF_MEMWORDS) {
      throw new ScanError('ERR_BAD_OPTION', `BPF scratch index out of range at ${pc}`);
    }
  }
  if ((prog[prog.length - 1].code & 0x07) !== BPF_RET) {
    throw new ScanError('ERR_BAD_OPTION', 'BPF program does not end in RET');
  }
}
