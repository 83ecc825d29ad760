/**
 * Ethernet II frames, with at most one 802.1Q (or 802.1ad) VLAN tag modelled.
 *
 *   0      6      12         14 (untagged)        with a tag: 12    14    16        18
 *   | dst  | src  | ethertype | payload ...                 | 8100 | TCI | ethertype | payload
 *
 * The frame check sequence is not part of what AF_PACKET hands us, so it is not modelled.
 * Frames shorter than 60 bytes are padded on the wire; the IP layer's own length field says
 * where the packet ends, never the frame length.
 */
import { getU16, regionOk, setU16 } from './bytes.js';
import type { WireError } from './wire-error.js';

export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
export const MAC_LEN = 6;

/** EtherType values the scanner knows. Any other value stays a number (printed as 0x%04x). */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  VLAN: 0x8100, // IEEE 802.1Q customer tag
  QINQ: 0x88a8, // IEEE 802.1ad service tag
  IPV6: 0x86dd,
} as const;

/** Byte offsets, named once. */
export const EthernetField = {
  DST: 0,
  SRC: 6,
  ETHERTYPE: 12,
  /** Only when ETHERTYPE is a VLAN tag type. */
  VLAN_TCI: 14,
  VLAN_ETHERTYPE: 16,
} as const;

/** True for the tag protocol identifiers that introduce a 4-byte VLAN tag. */
export function isVlanTpid(etherType: number): boolean {
  return etherType === EtherType.VLAN || etherType === EtherType.QINQ;
}

/** VLAN id (12 bits) of a tag control word. */
export function vlanId(tci: number): number {
  return tci & 0x0fff;
}

/** A view of an Ethernet frame at `buf[off .. off+len)`. Copies nothing. */
export class EthernetFrame {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
    readonly len = buf.length - off,
  ) {}

  /** After `null`, every accessor below reads inside `[off, off+len)`. */
  checkLen(): WireError | null {
    if (!regionOk(this.buf, this.off, this.len)) return 'truncated';
    if (this.len < ETHERNET_HEADER_LEN) return 'truncated';
    if (this.hasVlan() && this.len < ETHERNET_HEADER_LEN + VLAN_TAG_LEN) return 'truncated';
    return null;
  }

  /** Offset in `buf` of the destination MAC. */
  dstOff(): number {
    return this.off + EthernetField.DST;
  }
  /** Offset in `buf` of the source MAC. */
  srcOff(): number {
    return this.off + EthernetField.SRC;
  }
  dst(): Uint8Array {
    return this.buf.slice(this.dstOff(), this.dstOff() + MAC_LEN);
  }
  src(): Uint8Array {
    return this.buf.slice(this.srcOff(), this.srcOff() + MAC_LEN);
  }
  /** The first EtherType field: 0x8100/0x88a8 when tagged. */
  outerEtherType(): number {
    return getU16(this.buf, this.off + EthernetField.ETHERTYPE);
  }
  hasVlan(): boolean {
    return isVlanTpid(this.outerEtherType());
  }
  /** Tag control information (PCP 3 bits, DEI 1 bit, VID 12 bits); call only if hasVlan(). */
  vlanTci(): number {
    return getU16(this.buf, this.off + EthernetField.VLAN_TCI);
  }
  /** The EtherType of the payload (after the tag, if any). */
  etherType(): number {
    return this.hasVlan() ? getU16(this.buf, this.off + EthernetField.VLAN_ETHERTYPE) : this.outerEtherType();
  }
  headerLen(): number {
    return this.hasVlan() ? ETHERNET_HEADER_LEN + VLAN_TAG_LEN : ETHERNET_HEADER_LEN;
  }
  payloadOff(): number {
    return this.off + this.headerLen();
  }
  payloadLen(): number {
    return this.len - this.headerLen();
  }

  setDst(mac: Uint8Array): void {
    this.buf.set(mac.subarray(0, MAC_LEN), this.dstOff());
  }
  setSrc(mac: Uint8Array): void {
    this.buf.set(mac.subarray(0, MAC_LEN), this.srcOff());
  }
  setOuterEtherType(v: number): void {
    setU16(this.buf, this.off + EthernetField.ETHERTYPE, v);
  }
  setVlanTci(v: number): void {
    setU16(this.buf, this.off + EthernetField.VLAN_TCI, v);
  }
  setInnerEtherType(v: number): void {
    setU16(this.buf, this.off + EthernetField.VLAN_ETHERTYPE, v);
  }
}

/** What differs between Ethernet headers. MACs are 6-byte copies. */
export interface EthernetRepr {
  dst: Uint8Array;
  src: Uint8Array;
  /** EtherType of the payload. */
  etherType: number;
  /** The 802.1Q tag control word, or undefined for an untagged frame. */
  vlanTci: number | undefined;
}

export function parseEthernet(frame: EthernetFrame): EthernetRepr | WireError {
  const e = frame.checkLen();
  if (e !== null) return e;
  return {
    dst: frame.dst(),
    src: frame.src(),
    etherType: frame.etherType(),
    vlanTci: frame.hasVlan() ? frame.vlanTci() : undefined,
  };
}

export function ethernetHeaderLen(repr: EthernetRepr): number {
  return repr.vlanTci === undefined ? ETHERNET_HEADER_LEN : ETHERNET_HEADER_LEN + VLAN_TAG_LEN;
}

/** Write the header at `frame.off`; the caller supplies `ethernetHeaderLen(repr)` bytes. */
export function emitEthernet(repr: EthernetRepr, frame: EthernetFrame): void {
  frame.setDst(repr.dst);
  frame.setSrc(repr.src);
  if (repr.vlanTci === undefined) {
    frame.setOuterEtherType(repr.etherType);
  } else {
    frame.setOuterEtherType(EtherType.VLAN);
    frame.setVlanTci(repr.vlanTci);
    frame.setInnerEtherType(repr.etherType);
  }
}
