/**
 * Fixtures the --selftest units (and --benchmark) share: masscan's verified probe.
 */
import { fromHex } from '../../wire/bytes.js';
import { EtherType, EthernetFrame, emitEthernet } from '../../wire/ethernet.js';
import { IpProtocol } from '../../wire/ip.js';
import { Ipv4Packet, emitIpv4 } from '../../wire/ipv4.js';
import { Ipv6Packet, emitIpv6 } from '../../wire/ipv6.js';
import { TcpFlags, TcpPacket, emitTcp, tcpBufferLen, type TcpRepr } from '../../wire/tcp.js';

// ---------------------------------------------------------------------------------------
// Shared fixtures: masscan's verified probe (reference §6.1, §6.2).
// ---------------------------------------------------------------------------------------

/** 10.0.0.1:80 (them) <- 192.0.2.50:40000 (us), seed 1. */
export const THEM = 0x0a000001;
export const ME = 0xc0000232;
export const MY_PORT = 40000;
export const MAC_US = Uint8Array.of(0x02, 0x00, 0x00, 0x00, 0x00, 0x01);
export const MAC_ROUTER = Uint8Array.of(0x66, 0x55, 0x44, 0x33, 0x22, 0x11);
export const ME6 = 0x20010db8000000000000000000000032n;
export const THEM6 = 0x20010db8000000010000000000000001n;

/** masscan HEAD's offline SYN frame for that probe (§6.2), 58 bytes before our padding. */
export const MASSCAN_SYN = fromHex(
  '665544332211 020000000001 0800' +
  '4500 002c dd5c 0000 ff06 123c c0000232 0a000001' +
  '9c40 0050 09eedd0d 00000000 6002 0401 4466 0000 020405b4',
);

/**
 * A TCP segment over IPv4 in an Ethernet frame (zero-padded to 60 bytes), built field by
 * field with the wire reprs, checksums included. Not the hot path: for checks and benchmarks.
 */
export function reprTcp4(
  src: number, dst: number, r: TcpRepr, ttl: number, ident: number, vlan: number | undefined,
  srcMac: Uint8Array, dstMac: Uint8Array,
): Uint8Array {
  const l2 = vlan === undefined ? 14 : 18;
  const len = tcpBufferLen(r);
  const b = new Uint8Array(Math.max(60, l2 + 20 + len));
  emitEthernet({ dst: dstMac, src: srcMac, etherType: EtherType.IPV4, vlanTci: vlan }, new EthernetFrame(b, 0, b.length));
  emitIpv4({ src, dst, protocol: IpProtocol.TCP, payloadLen: len, ttl, tos: 0, ident, dontFrag: false, moreFrags: false, fragOffset: 0, options: new Uint8Array(0) },
    new Ipv4Packet(b, l2, 20 + len));
  emitTcp(r, new TcpPacket(b, l2 + 20, len), { version: 4, src, dst });
  return b;
}

export function reprTcp6(src: Uint8Array, dst: Uint8Array, r: TcpRepr, hop: number, srcMac: Uint8Array, dstMac: Uint8Array): Uint8Array {
  const len = tcpBufferLen(r);
  const b = new Uint8Array(Math.max(60, 14 + 40 + len));
  emitEthernet({ dst: dstMac, src: srcMac, etherType: EtherType.IPV6, vlanTci: undefined }, new EthernetFrame(b, 0, b.length));
  emitIpv6({ src, dst, nextHeader: IpProtocol.TCP, payloadLen: len, hopLimit: hop, trafficClass: 0, flowLabel: 0 }, new Ipv6Packet(b, 14, 40 + len));
  emitTcp(r, new TcpPacket(b, 54, len), { version: 6, src, dst });
  return b;
}

export function synRepr(sport: number, dport: number, seq: number): TcpRepr {
  return {
    srcPort: sport, dstPort: dport, seq, ack: 0, flags: TcpFlags.SYN, window: 1025, urgent: 0,
    options: [{ kind: 'mss', mss: 1460 }], payload: new Uint8Array(0),
  };
}
