/**
 * ARP (RFC 826). The view reads any hardware/protocol sizes; the repr models only what
 * the scanner uses, Ethernet + IPv4 (28 bytes), and calls anything else `unsupported`.
 *
 *   0     2     4    5    6      8     14    18    24    28
 *   |htype|ptype|hlen|plen|oper  | sha  | spa | tha | tpa |
 */
import { getU16, getU32, regionOk, setU16, setU32 } from './bytes.js';
import { MAC_LEN } from './ethernet.js';
import type { WireError } from './wire-error.js';

export const ARP_HEADER_LEN = 8;
/** Length of an Ethernet/IPv4 ARP packet. */
export const ARP_ETH_IPV4_LEN = 28;

export const ArpField = {
  HTYPE: 0,
  PTYPE: 2,
  HLEN: 4,
  PLEN: 5,
  OPER: 6,
  /** The addresses start here; their offsets depend on HLEN and PLEN. */
  SHA: 8,
  /** For Ethernet/IPv4 only: */
  SPA: 14,
  THA: 18,
  TPA: 24,
} as const;

export const ArpHardware = { ETHERNET: 1 } as const;
export const ArpOperation = { REQUEST: 1, REPLY: 2 } as const;

export class ArpPacket {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /** After `null`, the fixed header and all four addresses (of any size) lie inside the view. */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < ARP_HEADER_LEN) return 'truncated';
    if (this.len < ARP_HEADER_LEN + 2 * (this.hardwareLen() + this.protocolLen())) return 'truncated';
    return null;
  }

  hardwareType(): number {
    return getU16(this.buf, this.off + ArpField.HTYPE);
  }
  protocolType(): number {
    return getU16(this.buf, this.off + ArpField.PTYPE);
  }
  hardwareLen(): number {
    return this.buf[this.off + ArpField.HLEN];
  }
  protocolLen(): number {
    return this.buf[this.off + ArpField.PLEN];
  }
  operation(): number {
    return getU16(this.buf, this.off + ArpField.OPER);
  }
  /** True for the Ethernet/IPv4 variant, the only one whose addresses the getters below read. */
  isEthernetIpv4(): boolean {
    return (
      this.hardwareType() === ArpHardware.ETHERNET &&
      this.protocolType() === 0x0800 &&
      this.hardwareLen() === MAC_LEN &&
      this.protocolLen() === 4
    );
  }
  senderMacOff(): number {
    return this.off + ArpField.SHA;
  }
  senderIp(): number {
    return getU32(this.buf, this.off + ArpField.SPA);
  }
  targetMacOff(): number {
    return this.off + ArpField.THA;
  }
  targetIp(): number {
    return getU32(this.buf, this.off + ArpField.TPA);
  }

  setHeader(hardwareType: number, protocolType: number, hlen: number, plen: number, op: number): void {
    setU16(this.buf, this.off + ArpField.HTYPE, hardwareType);
    setU16(this.buf, this.off + ArpField.PTYPE, protocolType);
    this.buf[this.off + ArpField.HLEN] = hlen;
    this.buf[this.off + ArpField.PLEN] = plen;
    setU16(this.buf, this.off + ArpField.OPER, op);
  }
  setSenderMac(mac: Uint8Array): void {
    this.buf.set(mac.subarray(0, MAC_LEN), this.senderMacOff());
  }
  setSenderIp(ip: number): void {
    setU32(this.buf, this.off + ArpField.SPA, ip);
  }
  setTargetMac(mac: Uint8Array): void {
    this.buf.set(mac.subarray(0, MAC_LEN), this.targetMacOff());
  }
  setTargetIp(ip: number): void {
    setU32(this.buf, this.off + ArpField.TPA, ip);
  }
}

/** An Ethernet/IPv4 ARP message. `operation` stays a number: 1 request, 2 reply, others kept. */
export interface ArpRepr {
  operation: number;
  senderMac: Uint8Array;
  senderIp: number;
  targetMac: Uint8Array;
  targetIp: number;
}

export function parseArp(pkt: ArpPacket): ArpRepr | WireError {
  const e = pkt.checkLen();
  if (e !== null) return e;
  if (!pkt.isEthernetIpv4()) return 'unsupported';
  return {
    operation: pkt.operation(),
    senderMac: pkt.buf.slice(pkt.senderMacOff(), pkt.senderMacOff() + MAC_LEN),
    senderIp: pkt.senderIp(),
    targetMac: pkt.buf.slice(pkt.targetMacOff(), pkt.targetMacOff() + MAC_LEN),
    targetIp: pkt.targetIp(),
  };
}

export function arpBufferLen(_repr: ArpRepr): number {
  return ARP_ETH_IPV4_LEN;
}

/** Write a 28-byte Ethernet/IPv4 ARP message at `pkt.off`. */
export function emitArp(repr: ArpRepr, pkt: ArpPacket): void {
  pkt.setHeader(ArpHardware.ETHERNET, 0x0800, MAC_LEN, 4, repr.operation);
  pkt.setSenderMac(repr.senderMac);
  pkt.setSenderIp(repr.senderIp);
  pkt.setTargetMac(repr.targetMac);
  pkt.setTargetIp(repr.targetIp);
}
