/**
 * Ground truth from the sink's kernel itself, asked independently of tidescan: a small
 * Python program run in <p>-scan sends, on an AF_PACKET socket on the scanner veth, one
 * probe per (address, question), and reports every frame that comes back for it. The lab
 * tests turn those answers into the records a correct scan must give (`expectedRecords`), so
 * no test carries a list of which IP protocols this kernel build handles (that list changes
 * with the kernel: PIM, 103, went from "dropped" to "protocol unreachable" once).
 *
 * The probes have the shapes of tidescan's (src/probes/), because the answer can depend on
 * the bytes (GRE's 4-byte header): a bare IPv4/IPv6 header of protocol n followed by
 * `oprotoPayloadLen(n)` zero bytes; ICMP(v6) echo requests; ICMP timestamp requests. Each
 * carries its own index (IPv4 identification / IPv6 flow label / ICMP sequence number), so
 * a quoted or echoed probe is matched to its question exactly.
 *
 * Only the scanner veth, only the lab's addresses: the program sends to the sink's MAC and
 * the caller's targets, which are the sink's AnyIP ranges (LAB.md).
 */
import assert from 'node:assert/strict';
import { LAB_ADDR, type Lab } from './lab.js';
import { canonIp } from './scenario.js';
import { oprotoPayloadLen, oprotoReportable } from '../../src/probes/ip-proto.js';

/** One question: an echo request (`I:0`), a timestamp request (`I:1`, IPv4), or a bare header of protocol n (`O:n`). */
export type KernelQuestion =
  | { readonly ip: string; readonly kind: 'echo' }
  | { readonly ip: string; readonly kind: 'timestamp' }
  | { readonly ip: string; readonly kind: 'proto'; readonly n: number };

/**
 * What came back for one question, each answer once:
 * `echo-reply`, `timestamp-reply`, `packet` (a packet of the probed protocol from the
 * target), `icmp T/C` (an ICMP error of type T code C quoting the probe),
 * `icmp6 T/C/P` (an ICMPv6 error quoting the probe, P its pointer/MTU word).
 */
export interface KernelAnswer {
  readonly question: KernelQuestion;
  readonly answers: readonly string[];
}

const PROBE_PY = String.raw`
import json, select, socket, struct, sys, time
cfg = json.load(sys.stdin)
qs = cfg['questions']
ETH_P_ALL, PACKET_OUTGOING = 3, 4
mac = lambda s: bytes.fromhex(s.replace(':', ''))
src_mac, dst_mac = mac(cfg['srcMac']), mac(cfg['dstMac'])
src4 = socket.inet_pton(socket.AF_INET, cfg['src4'])
src6 = socket.inet_pton(socket.AF_INET6, cfg['src6']) if cfg['src6'] else None
ICMP_ID = 0x7470

def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ip4(dst, proto, payload, ident):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0, 64, proto, 0, src4, dst)
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload

def ip6(dst, nh, payload, flow):
    return struct.pack('!IHBB16s16s', (6 << 28) | flow, len(payload), nh, 64, src6, dst) + payload

def icmp6(dst, t, body):
    pseudo = src6 + dst + struct.pack('!I3xB', 4 + len(body), 58)
    c = csum(pseudo + struct.pack('!BBH', t, 0, 0) + body)
    return struct.pack('!BBH', t, 0, c) + body

frames, keys = [], {}
for i, q in enumerate(qs):
    v6 = ':' in q['ip']
    fam = socket.AF_INET6 if v6 else socket.AF_INET
    dst = socket.inet_pton(fam, q['ip'])
    tag = i + 1  # 0 is never a question: an unset field
    if q['kind'] == 'proto':
        pay = bytes(q['payloadLen'])
        pkt = ip6(dst, q['n'], pay, tag) if v6 else ip4(dst, q['n'], pay, tag)
    elif q['kind'] == 'echo':
        body = struct.pack('!HH', ICMP_ID, tag) + b'tidescan-lab'
        if v6:
            pkt = ip6(dst, 58, icmp6(dst, 128, body), tag)
        else:
            m = struct.pack('!BBH', 8, 0, 0) + body
            pkt = ip4(dst, 1, m[:2] + struct.pack('!H', csum(m)) + m[4:], tag)
    else:  # timestamp: RFC 792 type 13, three zero timestamps; IPv6 has none, tidescan sends ICMPv6 "type 13" like masscan
        body = struct.pack('!HH12x', ICMP_ID, tag)
        if v6:
            pkt = ip6(dst, 58, icmp6(dst, 13, body), tag)
        else:
            m = struct.pack('!BBH', 13, 0, 0) + body
            pkt = ip4(dst, 1, m[:2] + struct.pack('!H', csum(m)) + m[4:], tag)
    frames.append(dst_mac + src_mac + struct.pack('!H', 0x86dd if v6 else 0x0800) + pkt)

s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind((cfg['dev'], 0))
answers = [[] for _ in qs]

def note(i, what, src=None):
    if 1 <= i <= len(qs) and what not in answers[i - 1]:
        if src is None or src == qs[i - 1]['ip']:
            answers[i - 1].append(what)

def handle(f):
    et = struct.unpack('!H', f[12:14])[0]
    p = f[14:]
    if et == 0x0800 and len(p) >= 20:
        ihl = (p[0] & 15) * 4
        src = socket.inet_ntop(socket.AF_INET, p[12:16])
        proto, l4 = p[9], p[ihl:]
        if proto == 1 and len(l4) >= 8:
            t, c = l4[0], l4[1]
            if t in (0, 14) and struct.unpack('!H', l4[4:6])[0] == ICMP_ID:
                note(struct.unpack('!H', l4[6:8])[0], 'echo-reply' if t == 0 else 'timestamp-reply', src)
                return
            q = l4[8:]
            if t in (3, 4, 5, 11, 12) and len(q) >= 20 and q[0] >> 4 == 4 and q[12:16] == src4:
                i = struct.unpack('!H', q[4:6])[0]
                if 1 <= i <= len(qs) and socket.inet_ntop(socket.AF_INET, q[16:20]) == qs[i - 1]['ip']:
                    note(i, 'icmp %d/%d' % (t, c))
                return
        for i, qq in enumerate(qs):
            if qq['kind'] == 'proto' and qq['n'] == proto and qq['ip'] == src: note(i + 1, 'packet')
    elif et == 0x86dd and len(p) >= 40 and src6 is not None:
        src = socket.inet_ntop(socket.AF_INET6, p[8:24])
        nh, l4 = p[6], p[40:]
        if nh == 58 and len(l4) >= 8:
            t, c = l4[0], l4[1]
            if t == 129 and struct.unpack('!H', l4[4:6])[0] == ICMP_ID:
                note(struct.unpack('!H', l4[6:8])[0], 'echo-reply', src)
                return
            q = l4[8:]
            if t < 128 and len(q) >= 40 and q[0] >> 4 == 6 and q[8:24] == src6:
                i = struct.unpack('!I', q[0:4])[0] & 0xfffff
                if 1 <= i <= len(qs) and socket.inet_ntop(socket.AF_INET6, q[24:40]) == qs[i - 1]['ip']:
                    note(i, 'icmp6 %d/%d/%d' % (t, c, struct.unpack('!I', l4[4:8])[0]))
                return
        for i, qq in enumerate(qs):
            if qq['kind'] == 'proto' and qq['n'] == nh and qq['ip'] == src: note(i + 1, 'packet')

def drain(until):
    while True:
        left = until - time.monotonic()
        if left <= 0: return
        r, _, _ = select.select([s], [], [], left)
        if not r: return
        while True:
            try:
                f, addr = s.recvfrom(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                break
            if addr[2] != PACKET_OUTGOING and len(f) >= 14: handle(f)

for k, f in enumerate(frames):
    s.send(f)
    if k % 64 == 63: drain(time.monotonic() + 0.002)
drain(time.monotonic() + cfg['waitMs'] / 1000)
json.dump(answers, sys.stdout)
`;

/**
 * Ask the sink's kernel `questions` from <p>-scan (raw frames on the scanner veth, from the
 * scanner's own addresses) and return what came back for each, after `waitMs` of silence
 * past the last probe. Throws when the probe program fails.
 */
export async function askSinkKernel(lab: Lab, questions: readonly KernelQuestion[], waitMs = 1000): Promise<KernelAnswer[]> {
  const qs = questions.map((q) => ({
    ...q,
    ip: canonIp(q.ip),
    ...(q.kind === 'proto' ? { payloadLen: oprotoPayloadLen(q.n) } : {}),
  }));
  const input = JSON.stringify({
    dev: lab.scanIf, srcMac: LAB_ADDR.scanMac, dstMac: LAB_ADDR.sinkMac,
    src4: LAB_ADDR.scanIp4, src6: lab.ipv6 ? LAB_ADDR.scanIp6 : null, waitMs, questions: qs,
  });
  const r = await lab.execScanner('python3', ['-c', PROBE_PY], { input, timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kernel probe failed: ${r.stderr}`);
  const answers = JSON.parse(r.stdout) as string[][];
  assert.equal(answers.length, questions.length, 'one answer list per question');
  return questions.map((question, i) => ({ question, answers: answers[i]! }));
}

/**
 * The `-oL` records (`status proto port ip`, as harness.parseList gives them) that a correct
 * tidescan scan gives for these answers: the classifiers' rules (src/probes/) applied to what
 * the kernel said.
 * - echo reply -> `open icmp 0`; timestamp reply (IPv4) -> `open icmp 1`;
 * - O:n, for a protocol that can be reported (probes/ip-proto.ts oprotoReportable: not 0, 1, 6,
 *   17, 58 or 132, whose numbers mean other things in a record):
 *   ICMP protocol unreachable (3/2), or ICMPv6 parameter problem "unrecognized next header"
 *   (4/1) pointing at the fixed header's next-header field (6) -> `closed err n`;
 *   ICMP port unreachable (3/3, ICMPv6 1/4) or a packet of protocol n -> `open err n`.
 * Anything else that came back (e.g. a parameter problem about a fragment header) gives no
 * record. `show` 'closed' keeps the closed ones (--show closed), 'open' drops them.
 */
export function expectedRecords(answers: readonly KernelAnswer[], show: 'open' | 'closed'): Set<string> {
  const out = new Set<string>();
  for (const { question: q, answers: a } of answers) {
    const ip = canonIp(q.ip);
    const v6 = ip.includes(':');
    for (const x of a) {
      let rec: string | undefined;
      if (q.kind === 'echo' && x === 'echo-reply') rec = `open icmp 0 ${ip}`;
      else if (q.kind === 'timestamp' && !v6 && x === 'timestamp-reply') rec = `open icmp 1 ${ip}`;
      else if (q.kind === 'proto' && oprotoReportable(q.n)) {
        if (x === (v6 ? 'icmp6 4/1/6' : 'icmp 3/2')) rec = `closed err ${q.n} ${ip}`;
        else if (x === (v6 ? 'icmp6 1/4/0' : 'icmp 3/3') || x === 'packet') rec = `open err ${q.n} ${ip}`;
      }
      if (rec !== undefined && (show === 'closed' || rec.startsWith('open '))) out.add(rec);
    }
  }
  return out;
}

/** Every (address, question) of a scan of `ips` with `-p` spelled as `ports` (I:0, I:1, O:n only). */
export function questionsFor(ips: readonly string[], ports: readonly string[]): KernelQuestion[] {
  const out: KernelQuestion[] = [];
  for (const ip of ips) {
    for (const p of ports) {
      if (p === 'I:0') out.push({ ip, kind: 'echo' });
      else if (p === 'I:1') out.push({ ip, kind: 'timestamp' });
      else {
        const m = /^O:(\d+)$/.exec(p);
        assert.ok(m, `questionsFor: ${p}`);
        out.push({ ip, kind: 'proto', n: Number(m[1]) });
      }
    }
  }
  return out;
}

/** A short account of the answers (the test's diagnostic): `ip kind/n: answers`. */
export function describeAnswers(answers: readonly KernelAnswer[]): string {
  return answers
    .map(({ question: q, answers: a }) => `${q.ip} ${q.kind === 'proto' ? `O:${q.n}` : q.kind}: ${a.join(',') || '-'}`)
    .join('\n');
}
