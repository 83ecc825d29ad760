/**
 * A simulated network for engine tests over the memory adapter: it sees every frame the
 * scanner sends and answers like a small Internet would:
 *  - TCP SYN to an open port -> SYN-ACK (ack = seq + 1); to any other port -> RST-ACK;
 *  - UDP to an open UDP port -> a UDP reply that echoes the request (so it carries a
 *    request id at the request's offset, as a DNS, RPC or memcached answer does; 1 2 3 4 for
 *    an empty request); else ICMP port unreachable quoting the probe;
 *  - ICMP echo request to a pinging host -> echo reply with the same id/seq;
 *  - ARP request for a known host -> ARP reply; SCTP INIT -> ABORT (closed) or INIT-ACK.
 * It counts probes per target, and the scanner's RSTs. Nothing here touches a real network.
 */
import { decodeFrame, Decoded } from '../../src/wire/decode.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../src/wire/ethernet.js';
import { Ipv4Packet, emitIpv4 } from '../../src/wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../../src/wire/ipv6.js';
import { TcpPacket, TcpFlags, emitTcp } from '../../src/wire/tcp.js';
import { UdpPacket, emitUdp } from '../../src/wire/udp.js';
import { Icmpv4Packet, emitIcmpv4 } from '../../src/wire/icmpv4.js';
import { ArpPacket, emitArp } from '../../src/wire/arp.js';
import { IpProtocol } from '../../src/wire/ip.js';
import { crc32c } from '../../src/wire/checksum.js';
import { readFileSync } from 'node:fs';
import { parseCommandLine, type ParseIo } from '../../src/cli/parse.js';
import type { ScanConfig } from '../../src/core/config.js';
import type { ResolvedLink } from '../../src/link/resolve.js';
import type { MemoryLink } from '../../src/adapter/memory.js';
import { planFromRanges } from '../../src/engine/transmit.js';
import { Blackrock } from '../../src/target/blackrock.js';
import { Picker, Target } from '../../src/target/picker.js';
import { formatIPv4 } from '../../src/target/ipv4.js';
import type { FrameHandler, RxChannel, RxStats } from '../../src/adapter/adapter.js';

export const SCANNER_MAC = new Uint8Array([0x02, 0x50, 0, 0, 0, 0x01]);
export const ROUTER_MAC = new Uint8Array([0x02, 0x50, 0, 0, 0, 0x02]);

export function ip4(text: string): number {
  return text.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}

function words6ToBytes(w: Uint32Array): Uint8Array {
  const b = new Uint8Array(16);
  for (let i = 0; i < 4; i++) {
    b[4 * i] = w[i] >>> 24; b[4 * i + 1] = (w[i] >>> 16) & 0xff; b[4 * i + 2] = (w[i] >>> 8) & 0xff; b[4 * i + 3] = w[i] & 0xff;
  }
  return b;
}

export function bigint6(w: Uint32Array): bigint {
  return (BigInt(w[0]) << 96n) | (BigInt(w[1]) << 64n) | (BigInt(w[2]) << 32n) | BigInt(w[3]);
}

export interface SimOptions {
  /** TCP open ports as `ip:port` (IPv4 dotted or IPv6 bigint decimal). */
  readonly tcpOpen?: Iterable<string>;
  readonly udpOpen?: Iterable<string>;
  /** Hosts answering ping (IPv4 dotted). */
  readonly ping?: Iterable<string>;
  /** Hosts answering ARP: IPv4 dotted -> MAC. */
  readonly arp?: ReadonlyMap<string, Uint8Array>;
  /** SCTP open ports as `ip:port`. */
  readonly sctpOpen?: Iterable<string>;
  /** Answer each SYN-ACK twice (a target retransmitting), and each UDP probe of an open port. */
  readonly duplicateReplies?: boolean;
  /** Answer closed TCP ports with nothing instead of RST (filtered). */
  readonly silentClosed?: boolean;
}

function ipKey(d: Decoded, which: 'dst' | 'src'): string {
  if (d.ipVersion === 4) {
    const v = which === 'dst' ? d.dst : d.src;
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
  }
  return String(bigint6(which === 'dst' ? d.dst6 : d.src6));
}

export class SimNet {
  readonly tcpOpen: Set<string>;
  readonly udpOpen: Set<string>;
  readonly sctpOpen: Set<string>;
  readonly ping: Set<string>;
  readonly arp: ReadonlyMap<string, Uint8Array>;
  /** Probes seen per `proto ip:port`. */
  readonly probes = new Map<string, number>();
  /** The last UDP payload seen per destination port (hex). */
  readonly udpPayloads = new Map<number, string>();
  /** RSTs the scanner sent (answering our SYN-ACKs). */
  rsts = 0;
  /** Other frames from the scanner (ARP/NDP answers etc.). */
  other = 0;
  private readonly d = new Decoded();

  constructor(private readonly o: SimOptions = {}) {
    this.tcpOpen = new Set(o.tcpOpen ?? []);
    this.udpOpen = new Set(o.udpOpen ?? []);
    this.sctpOpen = new Set(o.sctpOpen ?? []);
    this.ping = new Set(o.ping ?? []);
    this.arp = o.arp ?? new Map();
  }

  private count(key: string): void {
    this.probes.set(key, (this.probes.get(key) ?? 0) + 1);
  }

  /** The memory link's responder. */
  readonly respond = (frame: Uint8Array): Uint8Array[] => {
    const d = this.d;
    if (decodeFrame(frame, 0, frame.length, d) !== 'ok') return [];
    if (d.ipVersion === 0) {
      if (d.arpOp !== 1) { this.other++; return []; }
      const ip = d.arpTargetIp;
      const key = `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
      this.count(`arp ${key}`);
      const mac = this.arp.get(key);
      if (mac === undefined) return [];
      return [arpReply(mac, ip, frame.slice(d.arpSenderMacOff, d.arpSenderMacOff + 6), d.arpSenderIp)];
    }
    const them = ipKey(d, 'dst');
    switch (d.proto) {
      case IpProtocol.TCP: {
        if ((d.tcpFlags & TcpFlags.RST) !== 0) { this.rsts++; return []; }
        if ((d.tcpFlags & TcpFlags.SYN) === 0) { this.other++; return []; }
        this.count(`tcp ${them}:${d.dstPort}`);
        const open = this.tcpOpen.has(`${them}:${d.dstPort}`);
        if (!open && this.o.silentClosed === true) return [];
        const flags = open ? TcpFlags.SYN | TcpFlags.ACK : TcpFlags.RST | TcpFlags.ACK;
        const r = tcpReply(d, flags, 1000, (d.tcpSeq + 1) >>> 0);
        return open && this.o.duplicateReplies === true ? [r, r.slice()] : [r];
      }
      case IpProtocol.UDP: {
        this.count(`udp ${them}:${d.dstPort}`);
        this.udpPayloads.set(d.dstPort, Buffer.from(frame.subarray(d.payloadOff, d.payloadOff + d.payloadLen)).toString('hex'));
        if (this.udpOpen.has(`${them}:${d.dstPort}`)) {
          const req = frame.slice(d.payloadOff, d.payloadOff + d.payloadLen);
          const r = udpReply(d, req.length > 0 ? req : new Uint8Array([1, 2, 3, 4]));
          return this.o.duplicateReplies === true ? [r, r.slice()] : [r];
        }
        if (d.ipVersion !== 4) return [];
        return [icmpUnreachable(frame, d)];
      }
      case IpProtocol.ICMP: {
        if (d.icmpType !== 8) return [];
        this.count(`icmp ${them}`);
        if (!this.ping.has(them)) return [];
        return [echoReply(d)];
      }
      case IpProtocol.SCTP: {
        this.count(`sctp ${them}:${d.dstPort}`);
        return [sctpReply(frame, d, this.sctpOpen.has(`${them}:${d.dstPort}`))];
      }
      default:
        this.other++;
        return [];
    }
  };

  /** Total probes seen. */
  total(): number {
    let n = 0;
    for (const v of this.probes.values()) n += v;
    return n;
  }
}

function eth(out: Uint8Array, etherType: number): number {
  emitEthernet({ dst: SCANNER_MAC, src: ROUTER_MAC, etherType, vlanTci: undefined }, new EthernetFrame(out, 0, out.length));
  return 14;
}

/** An IPv4 or IPv6 header answering decoded probe `d` (addresses swapped); returns the L4 offset. */
function ipReply(out: Uint8Array, d: Decoded, proto: number, l4len: number): number {
  if (d.ipVersion === 4) {
    eth(out, EtherType.IPV4);
    emitIpv4({ src: d.dst, dst: d.src, protocol: proto, payloadLen: l4len, ttl: 57, tos: 0, ident: 7, dontFrag: true,
      moreFrags: false, fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + l4len));
    return 34;
  }
  eth(out, EtherType.IPV6);
  emitIpv6({ src: words6ToBytes(d.dst6), dst: words6ToBytes(d.src6), nextHeader: proto, payloadLen: l4len, hopLimit: 57,
    trafficClass: 0, flowLabel: 0 }, new Ipv6Packet(out, 14, 40 + l4len));
  return 54;
}

function pair(d: Decoded): { version: 4; src: number; dst: number } | { version: 6; src: Uint8Array; dst: Uint8Array } {
  return d.ipVersion === 4
    ? { version: 4, src: d.dst, dst: d.src }
    : { version: 6, src: words6ToBytes(d.dst6), dst: words6ToBytes(d.src6) };
}

/** A TCP segment from the probed target back to the scanner. */
export function tcpReply(d: Decoded, flags: number, seq: number, ack: number): Uint8Array {
  const out = new Uint8Array(14 + 40 + 20);
  const l4 = ipReply(out, d, IpProtocol.TCP, 20);
  emitTcp({ srcPort: d.dstPort, dstPort: d.srcPort, seq, ack, flags, window: 65535, urgent: 0, options: [], payload: new Uint8Array(0) },
    new TcpPacket(out, l4, 20), pair(d));
  return out.slice(0, l4 + 20);
}

function udpReply(d: Decoded, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(14 + 40 + 8 + payload.length);
  const l4 = ipReply(out, d, IpProtocol.UDP, 8 + payload.length);
  emitUdp({ srcPort: d.dstPort, dstPort: d.srcPort, payload }, new UdpPacket(out, l4, 8 + payload.length), pair(d));
  return out.slice(0, l4 + 8 + payload.length);
}

export function icmpUnreachable(frame: Uint8Array, d: Decoded): Uint8Array {
  const quoted = frame.slice(d.ipOff, Math.min(d.ipEnd, d.ipOff + d.ipHeaderLen + 8));
  const len = 8 + quoted.length;
  const out = new Uint8Array(34 + len);
  eth(out, EtherType.IPV4);
  emitIpv4({ src: d.dst, dst: d.src, protocol: IpProtocol.ICMP, payloadLen: len, ttl: 57, tos: 0, ident: 9, dontFrag: false,
    moreFrags: false, fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + len));
  emitIcmpv4({ kind: 'dst-unreachable', code: 3, restOfHeader: 0, quoted }, new Icmpv4Packet(out, 34, len));
  return out;
}

function echoReply(d: Decoded): Uint8Array {
  const data = new Uint8Array(48);
  const len = 8 + data.length;
  const out = new Uint8Array(34 + len);
  eth(out, EtherType.IPV4);
  emitIpv4({ src: d.dst, dst: d.src, protocol: IpProtocol.ICMP, payloadLen: len, ttl: 57, tos: 0, ident: 9, dontFrag: false,
    moreFrags: false, fragOffset: 0, options: new Uint8Array(0) }, new Ipv4Packet(out, 14, 20 + len));
  emitIcmpv4({ kind: 'echo-reply', ident: d.icmpId, seq: d.icmpSeq, data }, new Icmpv4Packet(out, 34, len));
  return out;
}

function arpReply(mac: Uint8Array, ip: number, toMac: Uint8Array, toIp: number): Uint8Array {
  const out = new Uint8Array(42);
  emitEthernet({ dst: toMac, src: mac, etherType: EtherType.ARP, vlanTci: undefined }, new EthernetFrame(out, 0, 42));
  emitArp({ operation: 2, senderMac: mac, senderIp: ip, targetMac: toMac, targetIp: toIp }, new ArpPacket(out, 14, 28));
  return out;
}

/** SCTP INIT-ACK (open) or ABORT (closed) with the probe's initiate tag as verification tag. */
function sctpReply(_frame: Uint8Array, d: Decoded, open: boolean): Uint8Array {
  const chunkLen = open ? 20 : 4;
  const len = 12 + chunkLen;
  const out = new Uint8Array(14 + 40 + len);
  const l4 = ipReply(out, d, IpProtocol.SCTP, len);
  const w16 = (o: number, v: number): void => { out[o] = v >>> 8; out[o + 1] = v & 0xff; };
  const w32 = (o: number, v: number): void => { w16(o, v >>> 16); w16(o + 2, v & 0xffff); };
  w16(l4, d.dstPort); w16(l4 + 2, d.srcPort); w32(l4 + 4, d.sctpInitiateTag);
  const c = l4 + 12;
  out[c] = open ? 2 : 6; out[c + 1] = 0; w16(c + 2, chunkLen);
  if (open) { w32(c + 4, 0x12345678); w32(c + 8, 65536); w16(c + 12, 10); w16(c + 14, 10); w32(c + 16, 1); }
  const crc = crc32c(out, l4, len);
  out[l4 + 8] = crc & 0xff; out[l4 + 9] = (crc >>> 8) & 0xff; out[l4 + 10] = (crc >>> 16) & 0xff; out[l4 + 11] = crc >>> 24;
  return out.slice(0, l4 + len);
}

/** A parse environment with a fixed clock and seed (no default config file, no warnings). */
export const SIM_IO: ParseIo = {
  readFile: (p) => readFileSync(p),
  env: {},
  cwd: process.cwd(),
  now: () => 1_700_000_000_000,
  randomSeed: () => 1n,
  warn: () => {},
};

/** A configuration from a command line, parsed with SIM_IO. */
export function simConfig(args: string): ScanConfig {
  return parseCommandLine(args.split(/\s+/).filter((s) => s !== ''), SIM_IO);
}

/** The simulated link: our address 10.250.0.1 / fd00:250::1, port 40000, the sim's MACs. */
export function simLink(notes: readonly string[] = []): ResolvedLink {
  return {
    ifname: 'sim0',
    srcMac: SCANNER_MAC,
    src4: { begin: ip4('10.250.0.1'), end: ip4('10.250.0.1') },
    src6: 0xfd000250000000000000000000000001n,
    srcPort: { begin: 40000, end: 40000 },
    routerMac4: ROUTER_MAC,
    routerMac6: ROUTER_MAC,
    answer4: false,
    answer6: false,
    notes: [...notes],
  };
}

/** Several memory links (one per transmit thread) seen as one receive channel. */
export class MultiRx implements RxChannel {
  constructor(private readonly links: MemoryLink[]) {}
  poll(t: number, onFrame: FrameHandler): number {
    let n = 0;
    for (const l of this.links) n += l.rx.poll(t, onFrame);
    return n;
  }
  stats(): RxStats {
    let received = 0, kernelDrops = 0;
    for (const l of this.links) { const s = l.rx.stats(); received += s.received; kernelDrops += s.kernelDrops; }
    return { received, kernelDrops };
  }
  close(): void {
    for (const l of this.links) l.rx.close();
  }
}

/**
 * The targets of the scan's loop indices i in [0, range) with i mod `step` == `offset` (the
 * scan's own shuffle), each as `key` gives it (default `a.b.c.d:port`), sorted.
 */
export function ownedTargets(
  cfg: Pick<ScanConfig, 'targets4' | 'targets6' | 'ports' | 'seed' | 'blackrockRounds'>,
  step: number,
  offset: number,
  key: (t: Target) => string = (t) => `${formatIPv4(t.ip4)}:${t.port}`,
): string[] {
  const plan = planFromRanges(cfg.targets4, cfg.targets6, cfg.ports);
  const br = new Blackrock(plan.range, cfg.seed, cfg.blackrockRounds);
  const p = new Picker(plan);
  const t = new Target();
  const out: string[] = [];
  for (let i = offset; i < plan.range; i += step) {
    p.pickScan(br.shuffle(i), t);
    out.push(key(t));
  }
  return out.sort();
}
