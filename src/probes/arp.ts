/**
 * ARP who-has probes (--arpscan) and the classifier of ARP replies.
 * See frame.ts for how templates are patched.
 */
import { Decoded } from '../wire/decode.js';
import { ArpOperation, ARP_ETH_IPV4_LEN, ArpField, ArpPacket, emitArp } from '../wire/arp.js';
import { setU32 } from '../wire/bytes.js';
import { EtherType } from '../wire/ethernet.js';
import { Ipv4Options, PROBE_FIELDS, bad, checkLink, emitLink, linkHeaderLen, paddedLen } from './frame.js';
import { ARP_PORT, ClassifyContext, RecStatus, RecordKind, Verdict, inRanges4, isOurIp4, setTheirs4 } from './reply.js';

/** Slots of the probe-field array (frame.ts ProbeField), as module constants: V8 folds these, not imported bindings. */
const PF_SRC_IP = 0, PF_DST_IP = 1;

// ---------------------------------------------------------------------------------------
// ARP who-has (--arpscan).
// ---------------------------------------------------------------------------------------

const BROADCAST_MAC = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
const ZERO_MAC = new Uint8Array(6);

/** Broadcast ARP request "who has <target>? tell <us>". Ethernet only. */
export class ArpTemplate {
  readonly frameLen: number;
  readonly maxFrameLen: number;
  /** Per-probe values for patch() -> patchFields() (see ProbeField). */
  private readonly f: Int32Array = new Int32Array(PROBE_FIELDS);
  readonly base: Uint8Array;
  private readonly oSpa: number;
  private readonly oTpa: number;

  /** link.dstMac is ignored: requests go to the broadcast address. */
  constructor(link: Ipv4Options) {
    if (link.raw === true) bad('ARP needs an Ethernet link');
    checkLink(link);
    const l2 = linkHeaderLen(link);
    this.frameLen = paddedLen(link, l2 + ARP_ETH_IPV4_LEN);
    this.maxFrameLen = this.frameLen;
    const b = new Uint8Array(this.frameLen);
    emitLink({ srcMac: link.srcMac, dstMac: BROADCAST_MAC, vlan: link.vlan }, EtherType.ARP, b);
    emitArp(
      { operation: ArpOperation.REQUEST, senderMac: link.srcMac, senderIp: link.srcIp, targetMac: ZERO_MAC, targetIp: 0 },
      new ArpPacket(b, l2, ARP_ETH_IPV4_LEN),
    );
    this.base = b;
    this.oSpa = l2 + ArpField.SPA;
    this.oTpa = l2 + ArpField.TPA;
  }

  writeBase(slot: Uint8Array, off: number): void {
    slot.set(this.base, off);
  }

  patch(slot: Uint8Array, off: number, srcIp: number, dstIp: number): number {
    const f = this.f;
    f[PF_SRC_IP] = srcIp; f[PF_DST_IP] = dstIp;
    return this.patchFields(slot, off, f);
  }

  /** patch() with the per-probe values in `f` (see ProbeField): allocation-free even when not inlined. */
  patchFields(slot: Uint8Array, off: number, f: Int32Array): number {
    const srcIp = f[PF_SRC_IP], dstIp = f[PF_DST_IP];
    setU32(slot, off + this.oSpa, srcIp);
    setU32(slot, off + this.oTpa, dstIp);
    return this.frameLen;
  }
}

const ARP_REPLY = ArpOperation.REPLY;

/** ARP: only replies, only in --arp mode, only to our address, only from a target. */
export function classifyArp(d: Decoded, c: ClassifyContext, v: Verdict): number {
  if (c.arpscan && d.arpOp === ARP_REPLY && isOurIp4(c, d.arpTargetIp) && inRanges4(c.targets4, d.arpSenderIp)) {
    setTheirs4(v, d.arpSenderIp);
    v.proto = 0; v.port = 0; v.internalPort = ARP_PORT; v.status = RecStatus.UP; v.ttl = 0;
    v.macOff = d.arpSenderMacOff;
    v.kind = RecordKind.STATUS;
  }
  return v.kind;
}
