/**
 * Regenerates test/vectors/crafted.txt (run by hand after a build:
 * `node dist/test/vectors/craft.js`): frames built byte by byte here for the cases that local
 * traffic does not produce (SCTP, VLAN tags, rare TCP options, ICMP codes, router
 * advertisements, IPv6 extension headers, truncation), written to a pcap file and printed by
 * tcpdump itself (`tcpdump -r <file> -n -S -t -XX`), so that the text above each frame is
 * tcpdump's, not ours. No packet is sent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex } from '../../src/wire/bytes.js';
import { internetChecksum, pseudoHeaderSum4, pseudoHeaderSum6, foldChecksum, sumWords } from '../../src/wire/checksum.js';
import { SctpPacket } from '../../src/wire/sctp.js';
import { vectorsDir } from './vectors.js';

const ETH4 = '665544332211 020000000001 0800';
const ETH6 = '665544332211 020000000001 86dd';

/** An IPv4 frame: header fields given, lengths and checksums computed. */
function ip4(proto: number, l4: string, opts: { src?: string; dst?: string; l4sum?: number; frag?: string; vlan?: string } = {}): Uint8Array {
  const body = fromHex(l4);
  const src = opts.src ?? 'c0000232';
  const dst = opts.dst ?? '0a000001';
  const hdr = fromHex(`4500 ${(20 + body.length).toString(16).padStart(4, '0')} 1234 ${opts.frag ?? '0000'} 40 ${proto.toString(16).padStart(2, '0')} 0000 ${src} ${dst}`);
  const c = internetChecksum(hdr, 0, 20);
  hdr[10] = c >>> 8;
  hdr[11] = c & 255;
  if (opts.l4sum !== undefined) {
    const ps = pseudoHeaderSum4(parseInt(src, 16), parseInt(dst, 16), proto, body.length);
    body[opts.l4sum] = 0;
    body[opts.l4sum + 1] = 0;
    const s = foldChecksum(sumWords(body, 0, body.length, proto === 1 ? 0 : ps));
    body[opts.l4sum] = s >>> 8;
    body[opts.l4sum + 1] = s & 255;
  }
  const eth = opts.vlan ? fromHex(`665544332211 020000000001 8100 ${opts.vlan} 0800`) : fromHex(ETH4);
  const out = new Uint8Array(eth.length + 20 + body.length);
  out.set(eth);
  out.set(hdr, eth.length);
  out.set(body, eth.length + 20);
  return out;
}

function ip6(nh: number, payload: string, src: string, dst: string, l4sum?: number, upperProto?: number, upperOff = 0): Uint8Array {
  const body = fromHex(payload);
  const addrs = fromHex(src + dst);
  if (l4sum !== undefined) {
    const len = body.length - upperOff;
    body[upperOff + l4sum] = 0;
    body[upperOff + l4sum + 1] = 0;
    const s = foldChecksum(sumWords(body, upperOff, len, pseudoHeaderSum6(addrs, 0, 16, upperProto ?? nh, len)));
    body[upperOff + l4sum] = s >>> 8;
    body[upperOff + l4sum + 1] = s & 255;
  }
  const hdr = fromHex(`6000 0000 ${body.length.toString(16).padStart(4, '0')} ${nh.toString(16).padStart(2, '0')} ff`);
  const eth = fromHex(ETH6);
  const out = new Uint8Array(14 + 40 + body.length);
  out.set(eth);
  out.set(hdr, 14);
  out.set(addrs, 22);
  out.set(body, 54);
  return out;
}

function sctp(chunks: string): string {
  const b = fromHex('9c40 0050 00000000 00000000' + chunks);
  new SctpPacket(b).fillChecksum();
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const FE80_1 = 'fe800000000000000000000000000001';
const FF02_1 = 'ff020000000000000000000000000001';
const DOC_1 = '20010db8000000000000000000000001';
const DOC_2 = '20010db8000000000000000000000002';

const frames: [string, Uint8Array][] = [
  ["masscan's SYN template (masscan-compat §6.2)", fromHex(ETH4 + '4500002cdd5c0000ff06123cc00002320a000001 9c400050 09eedd0d 00000000 6002 0401 4466 0000 020405b4')],
  ['SYN in an 802.1Q tag (VID 100, PCP 5)', ip4(6, '9c40 0050 09eedd0d 00000000 5002 0401 0000 0000', { l4sum: 16, vlan: 'a064' })],
  ['SACK, unknown option, URG/ECE/CWR', ip4(6, '0050 9c40 00000064 09eedd0e a0f8 0100 0000 0007 0101 050a 00000001 00000002 fe04 abcd 0000 0000', { l4sum: 16 })],
  ['TCP header cut short', ip4(6, '0050 9c40 00000064', {})],
  ['TCP data offset beyond the segment', ip4(6, '0050 9c40 00000064 09eedd0e f012 0100 0000 0000', {})],
  ['UDP length below 8', ip4(17, '9c40 9c41 0004 0000', {})],
  ['SCTP INIT probe', ip4(132, sctp('0100 0014 09eedd0d 00008000 000a 0800 12345678'))],
  ['SCTP INIT ACK with a state cookie', ip4(132, sctp('0200 001c cafef00d 0001a000 000a 000a 00000007 0007 0008 01020304'))],
  ['SCTP ABORT', ip4(132, sctp('0601 0004'))],
  ['ICMP host unreachable', ip4(1, '0301 0000 00000000 4500 002c 0001 0000 40 06 0000 0a000001 c0000232 9c40 0050 09eedd0d', { l4sum: 2, src: '0a0000fe', dst: '0a000001' })],
  ['ICMP admin prohibited filter', ip4(1, '030d 0000 00000000 4500 002c 0001 0000 40 06 0000 0a000001 c0000232 9c40 0050 09eedd0d', { l4sum: 2, src: '0a0000fe', dst: '0a000001' })],
  ['ICMP need to frag', ip4(1, '0304 0000 000005dc 4500 05dc 0001 4000 40 11 0000 0a000001 c0000232 9c40 0035 05c8 0000', { l4sum: 2, src: '0a0000fe', dst: '0a000001' })],
  ['ICMP time exceeded', ip4(1, '0b00 0000 00000000 4500 002c 0001 0000 01 06 0000 0a000001 c0000232 9c40 0050 09eedd0d', { l4sum: 2, src: '0a0000fe', dst: '0a000001' })],
  ['IPv4 protocol 253 (experimental)', ip4(253, 'deadbeef')],
  ['IPv4 non-first fragment', ip4(17, '0102030405060708', { frag: '00b9' })],
  ['ARP request with a known target MAC', fromHex('ffffffffffff 025000000001 0806 0001 0800 0604 0001 025000000001 0afa0001 025000000002 0afa0002')],
  ['unknown EtherType (0x88b5, local experimental)', fromHex('ffffffffffff 025000000001 88b5 0102030405060708')],
  ['ICMPv6 router advertisement', ip6(58, '8600 0000 4000 0708 00000000 00000000 0101 025000000002', FE80_1, FF02_1, 2)],
  ['ICMPv6 router solicitation', ip6(58, '8500 0000 00000000', FE80_1, 'ff020000000000000000000000000002', 2)],
  ['ICMPv6 packet too big', ip6(58, '0200 0000 000005dc 6000 0000 0008 11 40' + DOC_2 + DOC_1 + '9c40 0035 0008 0000', DOC_1, DOC_2, 2)],
  ['ICMPv6 admin prohibited', ip6(58, '0101 0000 00000000 6000 0000 0014 06 40' + DOC_2 + DOC_1 + '9c40 0050 09eedd0d 00000000 5002 0401 0000 0000', DOC_1, DOC_2, 2)],
  ['IPv6 hop-by-hop and a first fragment, then UDP', ip6(0, '2c00 0000 0000 0000' + '1100 0001 12345678' + '9c40 9c41 000c 0000 01020304', DOC_2, DOC_1, 6, 17, 16)],
  ['IPv6 non-first fragment', ip6(44, '1100 0101 12345678' + '0102030405060708', DOC_2, DOC_1)],
  ['IPv6 destination options, then ICMPv6 echo', ip6(60, '3a00 0104 00000000' + '8000 0000 0001 0002', DOC_2, DOC_1, 2, 58, 8)],
  ['IPv6 TCP SYN (masscan-style)', ip6(6, '9c40 0050 09eedd0d 00000000 6002 0401 0000 0000 020405b4', DOC_2, DOC_1, 16)],
];

function pcap(list: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [fromHex('d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000')];
  for (const f of list) {
    const h = new Uint8Array(16);
    const dv = new DataView(h.buffer);
    dv.setUint32(8, f.length, true);
    dv.setUint32(12, f.length, true);
    parts.push(h, f);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'tidescan-craft-'));
try {
  const file = join(dir, 'crafted.pcap');
  writeFileSync(file, pcap(frames.map(([, f]) => f)));
  const text = execFileSync('tcpdump', ['-r', file, '-n', '-S', '-t', '-XX'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  // one comment line naming the case above each packet
  const blocks = text.split('\n').reduce<string[][]>((acc, line) => {
    if (line !== '' && !/^\s/.test(line)) acc.push([]);
    if (line !== '') acc[acc.length - 1].push(line);
    return acc;
  }, []);
  let out = '# Frames crafted by test/vectors/craft.ts (not captured), printed by tcpdump itself:\n';
  out += '# tcpdump -r crafted.pcap -n -S -t -XX\n';
  blocks.forEach((b, i) => {
    out += `# ${frames[i][0]}\n${b.join('\n')}\n`;
  });
  writeFileSync(join(vectorsDir(), 'crafted.txt'), out);
  console.log(`${blocks.length} frames written`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
