import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNmapPayloads, parsePcapPayloads, loadUdpPayloadFiles } from '../../src/cli/payload-files.js';
import { MAX_UDP_PAYLOAD, BUILTIN_UDP_PAYLOADS, buildPayloadTable, type UdpPayloadEntry } from '../../src/probes/udp-payloads.js';
import { ScanError, isScanError } from '../../src/error.js';
import { internetChecksum } from '../../src/wire/checksum.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const asMap = (es: readonly UdpPayloadEntry[]): Map<number, string> => new Map(es.map((e) => [e.port, hex(e.bytes)]));
const RUNS = { numRuns: 300 };

const dir = mkdtempSync(join(tmpdir(), 'tidescan-payload-files-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Asserts fn throws a ScanError whose one-line message equals `message` (or matches it). */
function throwsScan(fn: () => unknown, message: string | RegExp, code?: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isScanError(e), `not a ScanError: ${String(e)}`);
    if (typeof message === 'string') assert.equal(e.message, message); else assert.match(e.message, message);
    assert.ok(!e.message.includes('\n'), 'one line');
    if (code !== undefined) assert.equal(e.code, code);
    return true;
  });
}

/** Only ScanError may escape. */
function onlyScanError(fn: () => unknown): void {
  try { fn(); } catch (e) {
    if (!(e instanceof ScanError)) throw e;
  }
}

// ---------------------------------------------------------------------------------------
// nmap-payloads
// ---------------------------------------------------------------------------------------

test('nmap-payloads: port lists and ranges, concatenated strings, comments, source, last payload per port wins', () => {
  const es = parseNmapPayloads([
    '# comment line',
    '/ slash comment',
    '; semicolon comment',
    'udp 7 "\\x0D\\x0A" "\\r\\n"',
    'udp 53,69,100-102',
    '  "ab"',
    '  # a comment between the strings of one payload',
    '"cd" # a comment after a string (nmap\'s file has these)',
    'source 500',
    'udp 69 "last"  source 53',
    'UDP 200 ""',
    '',
  ].join('\r\n'), 'F');
  assert.deepEqual(asMap(es), new Map([
    [7, '0d0a0d0a'], [53, hex(Buffer.from('abcd'))], [69, hex(Buffer.from('last'))],
    [100, hex(Buffer.from('abcd'))], [101, hex(Buffer.from('abcd'))], [102, hex(Buffer.from('abcd'))], [200, ''],
  ]));
  assert.deepEqual(es.map((e) => e.port), [7, 53, 69, 100, 101, 102, 200]); // by port
  // One udp line's ports share one byte array (cheap to clone to workers).
  assert.equal(es.find((e) => e.port === 100)!.bytes, es.find((e) => e.port === 53)!.bytes);
  assert.deepEqual(parseNmapPayloads('', 'F'), []);
  assert.deepEqual(parseNmapPayloads('\ufeff# bom\n', 'F'), []);
  assert.deepEqual(asMap(parseNmapPayloads('\u00ef\u00bb\u00bfudp 1 "x"', 'F')), new Map([[1, '78']]));
  assert.equal(parseNmapPayloads('udp 0-65535 "z"', 'F').length, 65536);
});

test('nmap-payloads: C escapes', () => {
  const one = (s: string): string => hex(parseNmapPayloads(`udp 1 "${s}"`, 'F')[0]!.bytes);
  assert.equal(one('\\\\\\"\\\'\\?'), '5c22273f');
  assert.equal(one('\\a\\b\\f\\n\\r\\t\\v'), '0708 0c0a0d090b'.replace(' ', ''));
  assert.equal(one('\\x41\\xfF\\x7g'), '41ff0767');
  assert.equal(one('\\0\\00\\000\\0000\\101\\377\\18'), '000000' + '0030' + '41ff' + '0138');
  assert.equal(one('8d\\xc1x'), '3864c178'); // nmap: OpenVPN probe
  assert.equal(one('\u00e9'), 'e9'); // a byte as read from a file (latin1)
  assert.equal(one('\u20ac'), 'e282ac'); // a character above 0xff: UTF-8
  assert.equal(one('#;/'), '233b2f'); // comment characters inside a string are data
});

test('nmap-payloads: errors are one line FILE:LINE (masscan wording)', () => {
  const F = 'payloads.txt';
  throwsScan(() => parseNmapPayloads('tcp 80 "x"', F), 'payloads.txt:1: syntax error, expected "udp".', 'ERR_BAD_OPTION');
  throwsScan(() => parseNmapPayloads('udp 1 "a"\n\nfoo', F), 'payloads.txt:3: syntax error, expected "udp".');
  throwsScan(() => parseNmapPayloads('udp 1 "a" more', F), 'payloads.txt:1: syntax error, expected "udp".');
  throwsScan(() => parseNmapPayloads('"a"', F), 'payloads.txt:1: syntax error, expected "udp".');
  for (const ports of ['x', '70000', '5-3', '1,', ',1', '1--2', '1-2-3', '']) {
    throwsScan(() => parseNmapPayloads(`\nudp ${ports} "a"`, F), 'payloads.txt:2: syntax error, expected ports.');
  }
  throwsScan(() => parseNmapPayloads('udp 1 "a"\nsource\n', F), 'payloads.txt:2: syntax error, expected source port.');
  throwsScan(() => parseNmapPayloads('udp 1 "a" source 65536', F), 'payloads.txt:1: syntax error, expected source port.');
  throwsScan(() => parseNmapPayloads('udp 1 "a" source\n500', F), 'payloads.txt:1: syntax error, expected source port.');
  throwsScan(() => parseNmapPayloads('udp 1\nudp 2 "a"', F), 'payloads.txt:2: syntax error, expected a quoted string.');
  throwsScan(() => parseNmapPayloads('udp 1', F), 'payloads.txt:1: syntax error, expected a quoted string.');
  throwsScan(() => parseNmapPayloads('udp 1 "abc', F), 'payloads.txt:1: unterminated string.');
  throwsScan(() => parseNmapPayloads('udp 1\n "abc\n"', F), 'payloads.txt:2: unterminated string.');
  throwsScan(() => parseNmapPayloads('udp 1 "\\', F), 'payloads.txt:1: unterminated string.');
  throwsScan(() => parseNmapPayloads('udp 1 "\\q"', F), 'payloads.txt:1: bad escape "\\\\q".');
  throwsScan(() => parseNmapPayloads('udp 1 "\\xg"', F), 'payloads.txt:1: bad escape \\x without hex digits.');
  throwsScan(() => parseNmapPayloads('udp 1 "\\400"', F), 'payloads.txt:1: octal escape \\400 is more than one byte.');
  throwsScan(() => parseNmapPayloads(`udp 1 "${'\\x00'.repeat(MAX_UDP_PAYLOAD + 1)}"`, F), `payloads.txt:1: payload longer than ${MAX_UDP_PAYLOAD} bytes.`);
  assert.equal(parseNmapPayloads(`udp 1 "${'\\x00'.repeat(MAX_UDP_PAYLOAD)}"`, F)[0]!.bytes.length, MAX_UDP_PAYLOAD);
});

test('nmap-payloads: nmap\'s own /usr/share/nmap/nmap-payloads parses, and ports checked by hand', async () => {
  const path = '/usr/share/nmap/nmap-payloads';
  const es = await loadUdpPayloadFiles({ nmapPayloads: path });
  const m = asMap(es);
  // udp 7 "\x0D\x0A\x0D\x0A" (GenericLines)
  assert.equal(m.get(7), '0d0a0d0a');
  // 53 has two entries (DNSStatusRequest, then DNS VER): the last one is kept.
  assert.equal(m.get(53), '777701000001000000000000' + '0776657273696f6e0462696e6400' + '00100003');
  // 69: "DNSStatusRequest" first, then TFTP GET "\x00\x01r7tftp.txt\x00octet\x00": the last wins.
  assert.equal(m.get(69), hex(Buffer.from('\x00\x01r7tftp.txt\x00octet\x00', 'latin1')));
  // udp 3283 "\0\x14\0\x01\x03": octal \0.
  assert.equal(m.get(3283), '0014000103');
  // xdmcp: udp 177 "\x00\x01\x00\x02\x00\x01\x00"
  assert.equal(m.get(177), '00010002000100');
  // 1900: the two-line M-SEARCH with \" escapes.
  const ssdp = Buffer.from(es.find((e) => e.port === 1900)!.bytes).toString('latin1');
  assert.ok(ssdp.startsWith('M-SEARCH * HTTP/1.1\r\n') && ssdp.includes('Man: "ssdp:discover"\r\n') && ssdp.endsWith('\r\n\r\n'));
  // The ONC RPC CALL covers 32768-65535; 111's last entry is that same call.
  assert.equal(m.get(65535), m.get(111));
  assert.equal(m.get(65535)!.length, 80);
  assert.ok(es.length > 32768);
  assert.ok(es.every((e) => e.bytes.length <= MAX_UDP_PAYLOAD));
  // The table takes them over the built-ins.
  const t = buildPayloadTable(es);
  assert.equal(hex(t.get(7)!.bytes), '0d0a0d0a');
  assert.equal(hex(t.get(5060)!.bytes), hex(BUILTIN_UDP_PAYLOADS.find((p) => p.port === 5060)!.bytes)); // not in nmap's file
});

/** A string literal for `bytes`, escaped at random (every form the parser knows). */
function literal(bytes: Uint8Array, style: number[]): string {
  let s = '';
  bytes.forEach((b, i) => {
    const k = style[i % style.length]!;
    const next = bytes[i + 1];
    if (k === 0 && b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c) s += String.fromCharCode(b);
    else if (k === 1 && (next === undefined || !/[0-7]/.test(String.fromCharCode(next)))) s += '\\' + b.toString(8);
    else if (k === 2 && b === 10) s += '\\n';
    else s += '\\x' + b.toString(16).padStart(2, '0');
  });
  return '"' + s + '"';
}

test('nmap-payloads property: generated files parse back to their payloads, last per port', () => {
  const item = fc.record({
    ports: fc.array(fc.tuple(fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 4 })), { minLength: 1, maxLength: 3 }),
    parts: fc.array(fc.uint8Array({ maxLength: 20 }), { minLength: 1, maxLength: 3 }),
    style: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
    sep: fc.constantFrom(' ', '\n', '\t', ' # c\n', '\r\n  '),
    source: fc.option(fc.integer({ min: 0, max: 65535 })),
  });
  fc.assert(fc.property(fc.array(item, { maxLength: 6 }), (items) => {
    const want = new Map<number, string>();
    const lines: string[] = [];
    for (const it of items) {
      const ranges = it.ports.map(([lo, w]) => [lo, Math.min(65535, lo + w)] as const);
      const body = it.parts.map((p) => literal(p, it.style)).join(it.sep);
      const src = it.source === null ? '' : ` source ${it.source}`;
      lines.push(`udp ${ranges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(',')}${it.sep}${body}${src}`);
      const all = hex(Buffer.concat(it.parts));
      for (const [a, b] of ranges) for (let p = a; p <= b; p++) want.set(p, all);
    }
    assert.deepEqual(asMap(parseNmapPayloads(lines.join('\n'), 'G')), want);
  }), RUNS);
});

test('nmap-payloads fuzz: any text, token soup, truncations: only ScanError', () => {
  fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => onlyScanError(() => parseNmapPayloads(s, 'F'))), RUNS);
  const tok = fc.constantFrom('udp', 'UDP', 'source', ' ', '\n', '\t', '"', '\\', '\\x', '\\x4', '\\0', '\\777', '\\q', '1', '65535', '70000',
    '-', ',', '#', '/', ';', 'a', '\u20ac', '\ud800', '\u00ef\u00bb\u00bf', '\r');
  fc.assert(fc.property(fc.array(tok, { maxLength: 60 }), (ts) => {
    const s = ts.join('');
    onlyScanError(() => parseNmapPayloads(s, 'F'));
  }), { numRuns: 1000 });
  const real = readFileSync('/usr/share/nmap/nmap-payloads', 'latin1');
  fc.assert(fc.property(fc.integer({ min: 0, max: real.length }), (n) => onlyScanError(() => parseNmapPayloads(real.slice(0, n), 'F'))), { numRuns: 200 });
});

// ---------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------

function u16(v: number): number[] { return [(v >>> 8) & 0xff, v & 0xff]; }

function udp(sport: number, dport: number, payload: Uint8Array, lenField?: number): number[] {
  return [...u16(sport), ...u16(dport), ...u16(lenField ?? 8 + payload.length), 0, 0, ...payload];
}
function ipv4(proto: number, l4: number[], opts: { mf?: boolean; frag?: number; totalLen?: number } = {}): number[] {
  const h = [0x45, 0, ...u16(opts.totalLen ?? 20 + l4.length), 0x12, 0x34,
    ...u16((opts.mf === true ? 0x2000 : 0) | ((opts.frag ?? 0) >>> 3)), 64, proto, 0, 0, 127, 0, 0, 1, 127, 0, 0, 2];
  const ck = internetChecksum(Uint8Array.from(h), 0, 20);
  h[10] = ck >>> 8; h[11] = ck & 0xff;
  return [...h, ...l4];
}
function ipv6(next: number, l4: number[]): number[] {
  const a = [...new Array<number>(15).fill(0), 1];
  return [0x60, 0, 0, 0, ...u16(l4.length), next, 64, ...a, ...a, ...l4];
}
function eth(type: number, body: number[], vlan?: number): number[] {
  const macs = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2];
  return vlan === undefined ? [...macs, ...u16(type), ...body] : [...macs, 0x81, 0x00, ...u16(vlan), ...u16(type), ...body];
}
function sll(type: number, body: number[]): number[] {
  return [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...u16(type), ...body];
}
function sll2(type: number, body: number[]): number[] {
  return [...u16(type), 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, ...body];
}

interface PcapOpts { bigEndian?: boolean; nano?: boolean; linktype?: number; snaplen?: number }

/** A capture built byte by byte (not with the project's writer), in either byte order. */
function pcap(frames: number[][], o: PcapOpts = {}): Uint8Array {
  const le = o.bigEndian !== true;
  const out: number[] = [];
  const w32 = (v: number): void => {
    const b = [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
    out.push(...(le ? b : b.reverse()));
  };
  const w16 = (v: number): void => { out.push(...(le ? [v & 0xff, v >>> 8] : [v >>> 8, v & 0xff])); };
  w32(o.nano === true ? 0xa1b23c4d : 0xa1b2c3d4); w16(2); w16(4); w32(0); w32(0); w32(o.snaplen ?? 65535); w32(o.linktype ?? 1);
  frames.forEach((f, i) => { w32(1700000000 + i); w32(o.nano === true ? 999_999_999 : 999_999); w32(f.length); w32(f.length); out.push(...f); });
  return Uint8Array.from(out);
}

const P = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

test('pcap: UDP payloads by destination port over every link type, both byte orders, usec and nsec; last wins', () => {
  const v4 = (port: number, s: string): number[] => ipv4(17, udp(40000, port, P(s)));
  const v6 = (port: number, s: string): number[] => ipv6(17, udp(40000, port, P(s)));
  for (const bigEndian of [false, true]) {
    for (const nano of [false, true]) {
      const o = { bigEndian, nano };
      assert.deepEqual(asMap(parsePcapPayloads(pcap([
        eth(0x0800, v4(53, 'first')),
        eth(0x86dd, v6(123, 'six')),
        eth(0x0800, v4(161, 'tagged'), 7), // 802.1Q
        eth(0x0806, new Array<number>(28).fill(0)), // ARP: skipped
        eth(0x0800, ipv4(6, new Array<number>(20).fill(0))), // TCP: skipped
        eth(0x0800, v4(53, 'second')), // last wins
        eth(0x0800, ipv4(17, udp(1, 99, P('frag')), { mf: true })), // first fragment: skipped
        eth(0x0800, ipv4(17, udp(1, 98, P('x')), { frag: 8 })), // later fragment: skipped
        eth(0x0800, ipv4(17, udp(1, 97, P('short'), 100))), // UDP length past the datagram: skipped
        eth(0x0800, v4(0, '')), // empty payload to port 0
      ], o), 'x.pcap')), new Map([[0, ''], [53, hex(P('second'))], [123, hex(P('six'))], [161, hex(P('tagged'))]]));
    }
  }
  const both = [v4(7, 'four'), v6(8, 'six')];
  const want = new Map([[7, hex(P('four'))], [8, hex(P('six'))]]);
  for (const lt of [101, 12, 14]) assert.deepEqual(asMap(parsePcapPayloads(pcap(both, { linktype: lt }), 'r.pcap')), want);
  assert.deepEqual(asMap(parsePcapPayloads(pcap([v4(7, 'four')], { linktype: 228 }), 'r.pcap')), new Map([[7, hex(P('four'))]]));
  assert.deepEqual(asMap(parsePcapPayloads(pcap([v6(8, 'six')], { linktype: 229 }), 'r.pcap')), new Map([[8, hex(P('six'))]]));
  assert.deepEqual(asMap(parsePcapPayloads(pcap([sll(0x0800, both[0]!), sll(0x86dd, both[1]!), sll(0x0806, [1, 2])], { linktype: 113 }), 's.pcap')), want);
  assert.deepEqual(asMap(parsePcapPayloads(pcap([sll2(0x0800, both[0]!), sll2(0x86dd, both[1]!), sll2(0x0806, [1, 2]), [1, 2, 3]], { linktype: 276 }), 's2.pcap')), want);
  const af = (n: number): number[] => [n, 0, 0, 0]; // BSD loopback: family in host order
  assert.deepEqual(asMap(parsePcapPayloads(pcap([[...af(2), ...both[0]!]], { linktype: 0 }), 'n.pcap')), new Map([[7, hex(P('four'))]]));
  // Payloads are copies, not views of the file.
  const file = pcap([eth(0x0800, v4(9, 'copy'))]);
  const es = parsePcapPayloads(file, 'c.pcap');
  file.fill(0);
  assert.equal(hex(es[0]!.bytes), hex(P('copy')));
  assert.equal(es[0]!.bytes.buffer.byteLength, 4);
  assert.deepEqual(parsePcapPayloads(pcap([]), 'empty.pcap'), []);
});

test('pcap: damaged files are one ScanError naming the file and the byte offset', () => {
  const good = pcap([eth(0x0800, ipv4(17, udp(1, 53, P('abc'))))]);
  throwsScan(() => parsePcapPayloads(good.subarray(0, 10), 'bad.pcap'), /^bad\.pcap: .*at byte 0$/, 'ERR_CORRUPT');
  throwsScan(() => parsePcapPayloads(good.subarray(0, 30), 'bad.pcap'), /^bad\.pcap: truncated record header at byte 24$/);
  throwsScan(() => parsePcapPayloads(good.subarray(0, good.length - 1), 'bad.pcap'), /^bad\.pcap: record of \d+ bytes runs past the end of the file at byte 24$/);
  const ng = Uint8Array.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array<number>(28).fill(0)]);
  throwsScan(() => parsePcapPayloads(ng, 'ng.pcapng'), /^ng\.pcapng: unknown magic 0x0a0d0d0a \(not a pcap file\) at byte 0$/);
  throwsScan(() => parsePcapPayloads(pcap([], { linktype: 105 }), 'wifi.pcap'), /^wifi\.pcap: link type 105 at byte 20 is not supported/);
  const big = pcap([[], eth(0x0800, ipv4(17, udp(1, 53, new Uint8Array(MAX_UDP_PAYLOAD + 1))))]);
  throwsScan(() => parsePcapPayloads(big, 'big.pcap'),
    `big.pcap: UDP payload of ${MAX_UDP_PAYLOAD + 1} bytes for port 53 at byte ${24 + 16 + 16 + 14 + 20 + 8} is longer than ${MAX_UDP_PAYLOAD}`);
  assert.equal(parsePcapPayloads(pcap([eth(0x0800, ipv4(17, udp(1, 53, new Uint8Array(MAX_UDP_PAYLOAD))))]), 'ok.pcap')[0]!.bytes.length, MAX_UDP_PAYLOAD);
});

test('pcap fuzz: random bytes, mutated and truncated captures: only ScanError', () => {
  const base = pcap([
    eth(0x0800, ipv4(17, udp(1, 53, P('abcdef')))), eth(0x86dd, ipv6(17, udp(1, 54, P('x')))), eth(0x0800, ipv4(17, udp(1, 55, P('q'))), 3),
  ]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => onlyScanError(() => parsePcapPayloads(b, 'f'))), RUNS);
  // Random bytes behind a valid header, for each link type the reader knows.
  fc.assert(fc.property(fc.constantFrom(0, 1, 12, 14, 101, 113, 228, 229, 276), fc.boolean(), fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 5 }),
    (lt, be, frames) => onlyScanError(() => parsePcapPayloads(pcap(frames.map((f) => [...f]), { linktype: lt, bigEndian: be }), 'f'))), RUNS);
  fc.assert(fc.property(fc.integer({ min: 0, max: base.length }), (n) => onlyScanError(() => parsePcapPayloads(base.subarray(0, n), 'f'))), RUNS);
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (muts) => {
    const b = base.slice();
    for (const [at, v] of muts) b[at] = v;
    onlyScanError(() => parsePcapPayloads(b, 'f'));
  }), RUNS);
});

// ---------------------------------------------------------------------------------------
// A real capture: tcpdump on lo, and on "any" (Linux cooked v2). Loopback only (LAB.md).
// ---------------------------------------------------------------------------------------

/**
 * Runs `tcpdump -c 1` with `filter`, sends `payload` to 127.0.0.1 / ::1 `port` every 100 ms
 * once it listens, and returns the capture file. Bounded: 15 s in all, 100 datagrams.
 */
async function tcpdumpCapture(name: string, family: 4 | 6, port: number, payload: Uint8Array, extra: string[]): Promise<string> {
  const file = join(dir, name);
  const child = spawn('tcpdump', [...extra, '-Z', 'root', '-U', '-n', '-w', file, '-c', '1', `udp and dst port ${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const sock = createSocket(family === 4 ? 'udp4' : 'udp6');
  let stderr = '';
  let timer: NodeJS.Timeout | undefined;
  let sender: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      timer = setTimeout(() => reject(new Error(`tcpdump timed out: ${stderr}`)), 15_000);
      child.on('error', reject);
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (sender === undefined && stderr.includes('listening on')) {
          sender = setInterval(() => {
            if (sent++ < 100) sock.send(payload, port, family === 4 ? '127.0.0.1' : '::1');
          }, 100);
        }
      });
      child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tcpdump exit ${code}: ${stderr}`))));
    });
  } finally {
    clearTimeout(timer);
    clearInterval(sender);
    sock.close();
    if (child.exitCode === null) child.kill('SIGTERM'); // only our own child, by its handle
  }
  return file;
}

test('pcap: a real tcpdump capture on lo (Ethernet, nanosecond) and on any (Linux cooked v2, IPv6) is read back', async () => {
  const port4 = 42000 + (process.pid % 1000) * 2;
  const port6 = port4 + 1;
  const p4 = P('tidescan pcap-payloads v4 \x00\x01\xff');
  const p6 = P('tidescan pcap-payloads v6');
  const f4 = await tcpdumpCapture('lo.pcap', 4, port4, p4, ['-i', 'lo', '--time-stamp-precision=nano']);
  const f6 = await tcpdumpCapture('any.pcap', 6, port6, p6, ['-i', 'any', '-y', 'LINUX_SLL2']);
  const b4 = readFileSync(f4);
  assert.equal(b4.readUInt32LE(0) === 0xa1b23c4d || b4.readUInt32BE(0) === 0xa1b23c4d, true, 'nanosecond magic');
  assert.deepEqual(asMap(parsePcapPayloads(b4, f4)), new Map([[port4, hex(p4)]]));
  const b6 = readFileSync(f6);
  assert.equal(b6.readUInt32LE(20) === 276 || b6.readUInt32BE(20) === 276, true, 'LINUX_SLL2');
  assert.deepEqual(asMap(parsePcapPayloads(b6, f6)), new Map([[port6, hex(p6)]]));
  // Through the loader, with an nmap-payloads file for the same port: the capture wins.
  const nm = join(dir, 'real.payloads');
  writeFileSync(nm, `udp ${port4},9 "from nmap"\n`);
  const es = await loadUdpPayloadFiles({ nmapPayloads: nm, pcapPayloads: f4 });
  assert.deepEqual(asMap(es), new Map([[9, hex(P('from nmap'))], [port4, hex(p4)]]));
});

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

test('loadUdpPayloadFiles: neither file, both (capture wins), plain cloneable entries; unreadable files are ScanError ERR_FILE', async () => {
  assert.deepEqual(await loadUdpPayloadFiles({}), []);
  const nm = join(dir, 'a.payloads');
  writeFileSync(nm, Buffer.concat([Buffer.from('udp 1,2 "\\x01" "'), Buffer.from([0xe9, 0xff]), Buffer.from('"\nudp 3 "n"\n')]));
  const pc = join(dir, 'a.pcap');
  writeFileSync(pc, pcap([eth(0x0800, ipv4(17, udp(5, 3, P('p')))), eth(0x0800, ipv4(17, udp(5, 4, P('q'))))]));
  const es = await loadUdpPayloadFiles({ nmapPayloads: nm, pcapPayloads: pc });
  assert.deepEqual(asMap(es), new Map([[1, '01e9ff'], [2, '01e9ff'], [3, hex(P('p'))], [4, hex(P('q'))]]));
  assert.deepEqual(asMap(structuredClone(es)), asMap(es));
  // What the transmitter builds from them (transmit.ts): the built-ins, then the file's.
  const t = buildPayloadTable(await loadUdpPayloadFiles({ nmapPayloads: nm }));
  assert.equal(hex(t.get(1)!.bytes), '01e9ff');
  assert.equal(t.get(53)!.cookie, 'id16'); // built-ins stay
  await assert.rejects(loadUdpPayloadFiles({ nmapPayloads: join(dir, 'missing') }), (e: unknown) => {
    assert.ok(isScanError(e)); assert.equal(e.code, 'ERR_FILE');
    assert.equal(e.message, `--nmap-payloads ${join(dir, 'missing')}: cannot read (ENOENT)`);
    return true;
  });
  const sub = join(dir, 'subdir');
  mkdirSync(sub);
  await assert.rejects(loadUdpPayloadFiles({ pcapPayloads: sub }), (e: unknown) => {
    assert.ok(isScanError(e)); assert.equal(e.message, `--pcap-payloads ${sub}: not a regular file`);
    return true;
  });
  const bad = join(dir, 'bad.payloads');
  writeFileSync(bad, 'udp 1 "a"\nudp x "b"\n');
  await assert.rejects(loadUdpPayloadFiles({ nmapPayloads: bad }), (e: unknown) => {
    assert.ok(isScanError(e)); assert.equal(e.message, `${bad}:2: syntax error, expected ports.`);
    return true;
  });
});
