/**
 * User UDP payloads from files: `--nmap-payloads F` (reference masscan-compat.md §10.2) and
 * `--pcap-payloads F` (§10.3). Both give plain `{ port, bytes }` entries (structured-cloneable,
 * one per port, last one wins) that `buildPayloadTable` (probes/udp-payloads.ts; each transmitter
 * builds its own) lays over the built-ins. They are read here, in cli, as -iL files are, and handed
 * to the engine as data (ScanOptions.udpPayloads).
 *
 * nmap-payloads grammar, as accepted here (masscan's, plus what nmap's own file uses):
 *
 *   file    := entry*
 *   entry   := "udp" portlist string+ ["source" port]
 *   portlist:= item ("," item)*          item := port | port "-" port      (0..65535)
 *   string  := '"' (char | escape)* '"'  on one line; consecutive strings are concatenated
 *   escape  := \\ \" \' \? \a \b \f \n \r \t \v | \x + 1-2 hex digits | \ + 1-3 octal digits
 *
 * Tokens are separated by any white space, newlines included (an entry may span lines). `#`,
 * `/` and `;` outside a string start a comment that runs to the end of the line.
 * Beyond masscan, for nmap's file (/usr/share/nmap/nmap-payloads):
 *   - a comment may follow a string on the same line (masscan calls that a syntax error;
 *     nmap's file has `"\x06\x00\xff\x06" # RMCP version 6`);
 *   - strings may start at the beginning of a line, comment lines may sit between the strings
 *     of one payload, and `source <port>` may stand on its own line after them;
 *   - "udp" and "source" are matched without regard to case; a UTF-8 byte-order mark is skipped.
 * Still refused, each as one line `FILE:LINE: ...` (ScanError ERR_BAD_OPTION): any other
 * keyword (nmap's "for future expansion" keywords included: none is in its file) — `syntax
 * error, expected "udp".`; a bad port list — `syntax error, expected ports.`; `source` without
 * a port — `syntax error, expected source port.`; `udp <ports>` without a string; an
 * unterminated string; an unknown escape; a payload longer than MAX_UDP_PAYLOAD.
 * The `source` port is checked and then ignored, as masscan does (§10.1 port 500). Where nmap
 * lists several payloads for a port (it sends them all), the last one is kept (masscan, issue
 * #587). Characters above 0xff (only possible when the text did not come from a file read
 * here, which maps bytes 1:1 to characters) are encoded as UTF-8.
 *
 * pcap payloads: every UDP datagram of the capture (IPv4 or IPv6, not a fragment, complete in
 * the capture) gives its payload to its destination port. Link types: Ethernet (1, with VLAN
 * tags), raw IP (101; 12 and 14 as some systems write DLT_RAW; 228 IPv4, 229 IPv6), Linux
 * cooked v1 (113) and v2 (276), BSD loopback (0). Other records (ARP, TCP, ICMP, truncated
 * datagrams) are skipped; masscan's payloads for other IP protocols are not modelled (only UDP
 * has a table). A damaged file is one ScanError (ERR_CORRUPT) naming the file and the byte
 * offset; so is a payload longer than MAX_UDP_PAYLOAD.
 */
import { readFile, stat } from 'node:fs/promises';
import { ScanError, isScanError } from '../error.js';
import { readPcap, type PcapCapture } from '../adapter/pcap-file.js';
import { Decoded, LinkType, decodeFrame } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { MAX_UDP_PAYLOAD, type UdpPayloadEntry } from '../probes/udp-payloads.js';

// ---------------------------------------------------------------------------------------
// nmap-payloads
// ---------------------------------------------------------------------------------------

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  '\\': 0x5c, '"': 0x22, "'": 0x27, '?': 0x3f, a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11,
};

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0b || c === 0x0c;
}
function isCommentStart(c: number): boolean {
  return c === 0x23 /* # */ || c === 0x2f /* / */ || c === 0x3b /* ; */;
}
function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const l = c | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}

/** Parses a port list (`53,69,1000-1005`) into [lo, hi] pairs, or null if it is not one. */
function parsePortList(tok: string): Array<[number, number]> | null {
  const out: Array<[number, number]> = [];
  for (const item of tok.split(',')) {
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item);
    if (m === null) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > 0xffff || hi > 0xffff || lo > hi) return null;
    out.push([lo, hi]);
  }
  return out;
}

/**
 * Parses the text of an nmap-payloads file (see the module comment). `fileName` names the file
 * in error messages. Returns one entry per port, by port; entries from one `udp` line share
 * their `bytes`. Throws only ScanError.
 */
export function parseNmapPayloads(text: string, fileName: string): UdpPayloadEntry[] {
  const n = text.length;
  let i = 0;
  let line = 1;
  const fail = (at: number, what: string): never => {
    throw new ScanError('ERR_BAD_OPTION', `${fileName}:${at}: ${what}`);
  };
  const syntax = (at: number, expected: string): never => fail(at, `syntax error, expected ${expected}.`);

  /** Skips white space (counting lines) and comments. */
  const skip = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) { line++; i++; } else if (isSpace(c)) i++;
      else if (isCommentStart(c)) { while (i < n && text.charCodeAt(i) !== 0x0a) i++; } else return;
    }
  };
  /** Skips blanks on the current line only. */
  const skipBlanks = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x0a || !isSpace(c)) return;
      i++;
    }
  };
  /** The maximal run of characters that are not space, quote or comment start. */
  const token = (): string => {
    const start = i;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isSpace(c) || c === 0x22 || isCommentStart(c)) break;
      i++;
    }
    return text.slice(start, i);
  };
  /** One quoted string at text[i] === '"', appended to out. */
  const quoted = (out: number[]): void => {
    const at = line;
    i++; // opening quote
    for (;;) {
      if (i >= n) fail(at, 'unterminated string.');
      let c = text.charCodeAt(i);
      if (c === 0x0a) fail(at, 'unterminated string.');
      if (c === 0x22) { i++; return; }
      if (c === 0x5c) {
        i++;
        if (i >= n) fail(at, 'unterminated string.');
        const e = text[i]!;
        const simple = SIMPLE_ESCAPES[e];
        if (simple !== undefined) { out.push(simple); i++; } else if (e === 'x') {
          i++;
          let v = 0, digits = 0;
          while (digits < 2 && i < n && hexValue(text.charCodeAt(i)) >= 0) { v = v * 16 + hexValue(text.charCodeAt(i)); i++; digits++; }
          if (digits === 0) fail(at, 'bad escape \\x without hex digits.');
          out.push(v);
        } else if (e >= '0' && e <= '7') {
          let v = 0, digits = 0;
          while (digits < 3 && i < n && text.charCodeAt(i) >= 0x30 && text.charCodeAt(i) <= 0x37) { v = v * 8 + text.charCodeAt(i) - 0x30; i++; digits++; }
          if (v > 0xff) fail(at, `octal escape \\${v.toString(8)} is more than one byte.`);
          out.push(v);
        } else {
          fail(at, `bad escape ${JSON.stringify('\\' + e)}.`);
        }
      } else if (c <= 0xff) {
        out.push(c); i++;
      } else {
        // Not from a file read as latin1: encode the code point as UTF-8.
        const cp = text.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        c = cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp;
        if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      if (out.length > MAX_UDP_PAYLOAD) fail(at, `payload longer than ${MAX_UDP_PAYLOAD} bytes.`);
    }
  };

  // Byte-order mark, as a character or as the three latin1 characters of its UTF-8 form.
  if (text.startsWith('\ufeff')) i = 1;
  else if (text.startsWith('\u00ef\u00bb\u00bf')) i = 3;

  const payloads: Uint8Array[] = [];
  const portPayload = new Int32Array(65536).fill(-1);
  skip();
  while (i < n) {
    const at = line;
    if (token().toLowerCase() !== 'udp') syntax(at, '"udp"');
    skip();
    const portsAt = line;
    const ranges = parsePortList(token());
    if (ranges === null) syntax(portsAt, 'ports');
    skip();
    const bytes: number[] = [];
    let strings = 0;
    while (i < n && text.charCodeAt(i) === 0x22) {
      quoted(bytes);
      strings++;
      skip();
    }
    if (strings === 0) syntax(line, 'a quoted string');
    if (i < n) {
      const save = i, saveLine = line;
      const sourceAt = line;
      if (token().toLowerCase() === 'source') {
        skipBlanks();
        const p = token();
        if (!/^\d{1,5}$/.test(p) || Number(p) > 0xffff) syntax(sourceAt, 'source port');
        skip();
      } else {
        i = save; line = saveLine; // the next entry's "udp" (or an error there)
      }
    }
    const idx = payloads.length;
    payloads.push(Uint8Array.from(bytes));
    for (const [lo, hi] of ranges!) portPayload.fill(idx, lo, hi + 1);
  }
  const out: UdpPayloadEntry[] = [];
  for (let p = 0; p < 65536; p++) {
    const k = portPayload[p]!;
    if (k >= 0) out.push({ port: p, bytes: payloads[k]! });
  }
  return out;
}

/** One entry per port of `byPort`, in port order. */
function entriesByPort(byPort: ReadonlyMap<number, Uint8Array>): UdpPayloadEntry[] {
  return [...byPort.entries()].sort((a, b) => a[0] - b[0]).map(([port, bytes]) => ({ port, bytes }));
}

// ---------------------------------------------------------------------------------------
// pcap
// ---------------------------------------------------------------------------------------

/** LINKTYPE_LINUX_SLL2: 20-byte header, protocol type (EtherType) at offset 0. */
const LINKTYPE_LINUX_SLL2 = 276;
const SLL2_HEADER_LEN = 20;
/** pcap link types that hold a bare IP packet (decoded by version nibble). */
const RAW_LINKTYPES: ReadonlySet<number> = new Set([LinkType.RAW, 12, 14, 228, 229]);

/**
 * The UDP payloads of a libpcap capture, by destination port (last one wins), one entry per
 * port, by port; each entry has its own copy of the bytes. Throws only ScanError.
 */
export function parsePcapPayloads(bytes: Uint8Array, fileName: string): UdpPayloadEntry[] {
  let cap: PcapCapture;
  try {
    cap = readPcap(bytes);
  } catch (e) {
    if (isScanError(e)) throw new ScanError('ERR_CORRUPT', `${fileName}: ${e.message.replace(/^pcap: /, '')}`);
    throw e;
  }
  const lt = cap.linktype;
  let decodeAs: number;
  if (lt === LinkType.ETHERNET || lt === LinkType.LINUX_SLL || lt === LinkType.NULL) decodeAs = lt;
  else if (RAW_LINKTYPES.has(lt) || lt === LINKTYPE_LINUX_SLL2) decodeAs = LinkType.RAW;
  else {
    throw new ScanError('ERR_CORRUPT',
      `${fileName}: link type ${lt} at byte 20 is not supported (Ethernet, raw IP, Linux cooked v1/v2, BSD loopback)`);
  }
  const d = new Decoded(decodeAs, false);
  d.verifyIpChecksum = false; // a capture may hold frames whose checksums the NIC was to fill
  const byPort = new Map<number, Uint8Array>();
  for (const rec of cap.records) {
    const data = rec.data;
    let off = 0;
    if (lt === LINKTYPE_LINUX_SLL2) {
      if (data.length < SLL2_HEADER_LEN) continue;
      const proto = (data[0]! << 8) | data[1]!;
      if (proto !== 0x0800 && proto !== 0x86dd) continue;
      off = SLL2_HEADER_LEN;
    }
    if (decodeFrame(data, off, data.length - off, d) !== 'ok') continue;
    if (d.proto !== IpProtocol.UDP || d.fragmented || d.payloadOff < 0) continue;
    if (d.payloadLen > MAX_UDP_PAYLOAD) {
      const at = data.byteOffset - bytes.byteOffset + d.payloadOff;
      throw new ScanError('ERR_CORRUPT',
        `${fileName}: UDP payload of ${d.payloadLen} bytes for port ${d.dstPort} at byte ${at} is longer than ${MAX_UDP_PAYLOAD}`);
    }
    byPort.set(d.dstPort, data.slice(d.payloadOff, d.payloadOff + d.payloadLen));
  }
  return entriesByPort(byPort);
}

// ---------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------

/** Files larger than this are refused before reading (a payload file is small). */
export const MAX_NMAP_PAYLOADS_FILE = 16 * 1024 * 1024;
export const MAX_PCAP_PAYLOADS_FILE = 512 * 1024 * 1024;

async function readWhole(path: string, option: string, limit: number): Promise<Buffer> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ScanError('ERR_FILE', `--${option} ${path}: not a regular file`);
    if (st.size > limit) throw new ScanError('ERR_FILE', `--${option} ${path}: ${st.size} bytes, more than ${limit}`);
    return await readFile(path);
  } catch (e) {
    if (isScanError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new ScanError('ERR_FILE', `--${option} ${path}: cannot read (${code ?? String(e)})`);
  }
}

export interface UdpPayloadFiles {
  /** --nmap-payloads: path of an nmap-payloads file. */
  readonly nmapPayloads?: string | undefined;
  /** --pcap-payloads: path of a libpcap capture. */
  readonly pcapPayloads?: string | undefined;
}

/**
 * Reads the payload files given (neither: no entries). The nmap-payloads entries come first,
 * then the capture's, and for a port in both the capture's wins; the result has one entry per
 * port, by port, ready for `buildPayloadTable` (and for postMessage/workerData).
 */
export async function loadUdpPayloadFiles(files: UdpPayloadFiles): Promise<UdpPayloadEntry[]> {
  const byPort = new Map<number, Uint8Array>();
  if (files.nmapPayloads !== undefined) {
    const buf = await readWhole(files.nmapPayloads, 'nmap-payloads', MAX_NMAP_PAYLOADS_FILE);
    for (const e of parseNmapPayloads(buf.toString('latin1'), files.nmapPayloads)) byPort.set(e.port, e.bytes);
  }
  if (files.pcapPayloads !== undefined) {
    const buf = await readWhole(files.pcapPayloads, 'pcap-payloads', MAX_PCAP_PAYLOADS_FILE);
    const bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    for (const e of parsePcapPayloads(bytes, files.pcapPayloads)) byPort.set(e.port, e.bytes);
  }
  return entriesByPort(byPort);
}
