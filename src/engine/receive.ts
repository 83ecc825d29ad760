/**
 * The receive side (reference masscan-compat.md §7; DESIGN.md §1): every frame the RX ring
 * hands us is decoded into one reused `Decoded`, classified by a pure function of its bytes
 * and the scan's constants (`classifyFrame`, src/probes/classify.ts), deduplicated, and turned into a numeric record in
 * the record ring; frames we must send in answer (RSTs after SYN-ACKs, ARP/NDP replies for a
 * spoofed source) go into the frame ring for a transmit worker.
 *
 * What counts as a reply, and what it reports, is the probes' business: src/probes/classify.ts
 * dispatches to the classifier of each probe kind.
 *
 * The per-frame path allocates nothing (ARP/NDP answers excepted, see responder.ts).
 */
import type { FrameRing, RecordRing } from './ring.js';
import { RecordWord } from './ring.js';
import { CookieKey } from '../crypto/cookie.js';
import { DedupTable } from './dedup.js';
import { Responder } from '../link/responder.js';
import { TcpTemplate4, TcpTemplate6, synPayload } from '../probes/tcp-syn.js';
import type { TcpOption } from '../wire/tcp.js';
import { ipv6Bytes, ipv6Words } from '../probes/frame.js';
import { Decoded, decodeFrame } from '../wire/decode.js';
import { IpProtocol } from '../wire/ip.js';
import { getU16, getU32 } from '../wire/bytes.js';
import { BannerEngine, type BannerFound, type BannerSetup } from './banner-engine.js';
import { SegmentBuilder4, SegmentBuilder6 } from './segment.js';
import { classify, classifyContext, classifyPartial, type ClassifySetup } from '../probes/classify.js';
import { RecordKind, RecStatus, Verdict, type ClassifyContext } from '../probes/reply.js';


// ---------------------------------------------------------------------------------------
// The stateful receiver: decode -> answer ARP/NDP -> classify -> dedup -> record / RST.
// ---------------------------------------------------------------------------------------

/** Counters of a receiver, published to the main thread for the status line and tests. */
export class ReceiveCounters {
  frames = 0;
  undecodable = 0;
  /** Valid replies (before dedup). */
  valid = 0;
  duplicates = 0;
  records = 0;
  /** Records lost because the record ring stayed full. */
  recordDrops = 0;
  /** Open/up records (after dedup): the status line's found=. */
  found = 0;
  rstQueued = 0;
  answersQueued = 0;
  /** Frames for the transmit side lost because the frame ring stayed full. */
  frameDrops = 0;
  /** Decoded frames that are no reply to us (classify: address, port, target or cookie check failed). */
  refused = 0;
  /** Segments of banner connections (--banners), handed to the TCP stack. */
  segments = 0;
}

/**
 * -d / --debug-level: what the receive side did with the frames the kernel gave it, with
 * counts (printed on stderr when the receive thread ends). Every frame lands in exactly one
 * of replies, refused, undecodable, answered and segments.
 */
export function receiveDebugLines(c: ReceiveCounters, kernelDrops: number): string {
  return `[debug] receive: ${c.frames} frames: ${c.valid} replies (${c.duplicates} duplicates, ${c.records} records), ` +
    `${c.refused} refused (not to our address/port, not from a target or scanned port, or a wrong cookie), ` +
    `${c.undecodable} undecodable, ${c.answersQueued} ARP/NDP answered, ${c.segments} banner-connection segments\n` +
    `[debug] receive: lost: ${kernelDrops} frames in the kernel ring, ${c.recordDrops} records (record ring full), ` +
    `${c.frameDrops} frames to send (frame ring full); ${c.rstQueued} RSTs queued\n`;
}

/** Something that keeps received frames (--pcap). */
export interface FrameSink {
  writeFrame(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void;
}

export interface ReceiverParts {
  readonly ctx: ClassifyContext;
  readonly key: CookieKey;
  readonly records: RecordRing;
  /** Where RSTs and ARP/NDP answers go; null: nothing is sent back (--offline). */
  readonly frames: FrameRing | null;
  readonly responder: Responder | null;
  /** RST builders (null with --noreset or without that family). */
  readonly rst4: TcpTemplate4 | null;
  readonly rst6: TcpTemplate6 | null;
  /** Unix seconds, for records of frames without a kernel timestamp. */
  readonly wallClock: () => number;
  readonly pcap: FrameSink | null;
  /** --banners: the TCP stack's host, which opens a connection on each valid SYN-ACK. */
  readonly banners: BannerEngine | null;
  /** Monotonic milliseconds (the TCP stack's clock). */
  readonly nowMs: () => number;
}

export class Receiver {
  readonly counters = new ReceiveCounters();
  private readonly d = new Decoded();
  private readonly v = new Verdict();
  private readonly dedup = new DedupTable();
  private readonly scratch = new Uint8Array(2048);
  private pendingPublish = false;
  /** Bound onFrame, created once (RxChannel.poll takes a callback). */
  readonly onFrame: (buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number) => void;

  constructor(private readonly p: ReceiverParts) {
    this.onFrame = (buf, off, len, tsSec, tsNsec) => this.handle(buf, off, len, tsSec, tsNsec);
  }

  /** Handle one frame. */
  handle(buf: Uint8Array, off: number, len: number, tsSec: number, tsNsec: number): void {
    const c = this.counters;
    c.frames++;
    const p = this.p;
    const d = this.d;
    const v = this.v;
    const r = decodeFrame(buf, off, len, d);
    if (r !== 'ok') {
      // Not modelled all the way, yet possibly an answer to an O: probe (classifyPartial).
      if (classifyPartial(buf, r, d, p.ctx, p.key, v) === 0) {
        c.undecodable++;
        return;
      }
    } else {
      if (p.responder !== null && p.frames !== null) {
        const n = p.responder.answer(buf, d, this.scratch);
        if (n > 0) {
          if (p.frames.push(this.scratch, 0, n)) c.answersQueued++;
          else c.frameDrops++;
          return;
        }
      }
      // A segment of a banner connection (data, ACK, FIN, RST) goes to the TCP stack.
      if (p.banners !== null && d.proto === IpProtocol.TCP && p.banners.segment(buf, d, p.nowMs())) {
        c.segments++;
        if (p.pcap !== null) p.pcap.writeFrame(buf, off, len, tsSec, tsNsec);
        return;
      }
      if (classify(buf, d, p.ctx, p.key, v) === 0) {
        c.refused++;
        return;
      }
    }
    c.valid++;
    // --pcap keeps the replies: what passed the checks above (as masscan writes the frames
    // it records), not the ARP/NDP we answer nor the strays the filter let through.
    if (p.pcap !== null) p.pcap.writeFrame(buf, off, len, tsSec, tsNsec);
    if (v.rst) {
      // A valid SYN-ACK: with --banners the stack completes the connection (duplicates are
      // re-ACKed); else it is reset, as masscan does.
      if (p.banners !== null) p.banners.synAck(buf, d, p.nowMs());
      else if (p.frames !== null) this.queueRst(v);
    }
    const dup = v.version === 4
      ? this.dedup.seen4(v.ip[0]! | 0, v.internalPort, v.status, 0)
      : this.dedup.seen6(v.ip, 0, v.internalPort, v.ip, 0, v.status);
    if (dup) {
      c.duplicates++;
      return;
    }
    this.push(buf, tsSec);
    // --banners: a UDP reply's payload is its banner (the first reply of each port; an ICMP
    // error quoting our datagram has d.proto ICMP and no payload of theirs).
    if (p.banners !== null && r === 'ok' && d.proto === IpProtocol.UDP && v.proto === IpProtocol.UDP) p.banners.udpReply(buf, d);
  }

  private queueRst(v: Verdict): void {
    const p = this.p;
    const s = this.scratch;
    let n = 0;
    if (v.version === 4) {
      if (p.rst4 === null) return;
      p.rst4.writeBase(s, 0);
      n = p.rst4.patch(s, 0, v.myIp, v.ip[0]! | 0, v.port, v.myPort, v.rstSeq); // int32 bits: see classifyTcp
    } else {
      if (p.rst6 === null) return;
      p.rst6.writeBase(s, 0);
      n = p.rst6.patch(s, 0, v.ip, 0, v.port, v.myPort, v.rstSeq);
    }
    if (p.frames !== null && p.frames.push(s, 0, n)) this.counters.rstQueued++;
    else this.counters.frameDrops++;
  }

  private push(buf: Uint8Array, tsSec: number): void {
    const ring = this.p.records;
    let off = ring.reserve();
    if (off < 0) {
      // Let the main thread drain: publish what we have, wait a little, try once more.
      ring.publish();
      ring.waitForSpace(20);
      off = ring.reserve();
      if (off < 0) {
        this.counters.recordDrops++;
        return;
      }
    }
    const v = this.v;
    const w = ring.data;
    w[off + RecordWord.KIND] = RecordKind.STATUS;
    w[off + RecordWord.TIME] = tsSec > 0 ? tsSec : this.p.wallClock();
    w[off + RecordWord.VERSION] = v.version;
    w[off + RecordWord.IP0] = v.ip[0]; w[off + RecordWord.IP1] = v.ip[1]; w[off + RecordWord.IP2] = v.ip[2]; w[off + RecordWord.IP3] = v.ip[3];
    w[off + RecordWord.PROTO] = v.proto;
    w[off + RecordWord.PORT] = v.port;
    w[off + RecordWord.STATUS] = v.status;
    w[off + RecordWord.REASON] = v.reason;
    w[off + RecordWord.TTL] = v.ttl;
    if (v.macOff >= 0) {
      w[off + RecordWord.MAC_HI] = getU16(buf, v.macOff);
      w[off + RecordWord.MAC_LO] = getU32(buf, v.macOff + 2);
      w[off + RecordWord.AUX0] = 1;
    } else {
      w[off + RecordWord.MAC_HI] = 0; w[off + RecordWord.MAC_LO] = 0; w[off + RecordWord.AUX0] = 0;
    }
    this.counters.records++;
    if (v.status !== RecStatus.CLOSED) this.counters.found++;
    this.pendingPublish = true;
  }

  /** Run the TCP stack's timers (hello timeouts, retransmissions, connection timeouts). */
  tick(): void {
    const b = this.p.banners;
    if (b !== null) b.poll(this.p.nowMs());
  }

  /** The scan is over: end every banner connection, so its banners are emitted. */
  closeConnections(): void {
    const b = this.p.banners;
    if (b !== null) b.closeAll(this.p.nowMs());
  }

  /** Make the records of this poll visible (once per poll, not per record). */
  flush(): void {
    if (this.pendingPublish) {
      this.p.records.publish();
      this.pendingPublish = false;
    }
  }
}

// ---------------------------------------------------------------------------------------
// Set-up shared by the receive worker and the in-process (test) engine.
// ---------------------------------------------------------------------------------------

/** Everything a receive worker needs (plain, structured-cloneable): what the classifiers read, and more. */
export interface ReceiveSetup extends ClassifySetup {
  readonly seed: bigint;
  /**
   * The TCP options of the scan's SYNs (--tcp-mss, --tcp-wscale, --tcp-sackok, --tcp-tsecho).
   * Our RSTs carry them too, as masscan's RST is built from the SYN's template (reference
   * §6.2: "same options"), and so do the banner stack's reconnect SYNs (with the SYN's data).
   * Absent: the default template's (MSS 1460).
   */
  readonly tcpOptions?: readonly TcpOption[] | undefined;
  readonly srcMac: Uint8Array;
  readonly routerMac4: Uint8Array;
  readonly routerMac6: Uint8Array;
  readonly vlan: number | undefined;
  readonly ttl: number;
  /** Answer ARP / NDP for our source addresses (spoofed). */
  readonly answer4: boolean;
  readonly answer6: boolean;
  readonly noreset: boolean;
  /** --banners: complete connections and grab banners. Absent: SYN-ACKs are reset. */
  readonly banners?: BannerSetup | undefined;
  /** --bpf: a tcpdump expression frames must also match (rx-worker compiles it). */
  readonly bpf?: string | undefined;
  /** --packet-trace: the receive worker prints a RCVD line per accepted reply. */
  readonly packetTrace?: boolean | undefined;
  /** -d / --debug-level: above 0, the receive worker prints receiveDebugLines when it ends. */
  readonly debug?: number | undefined;
}

/**
 * A Receiver for `s`. `frames` null: nothing is sent back (no RSTs, no ARP answers).
 * `wallClock`: unix seconds for records of frames without a kernel timestamp.
 */
export function buildReceiver(
  s: ReceiveSetup, records: RecordRing, frames: FrameRing | null, wallClock: () => number, pcap: FrameSink | null,
  emitBanner: (b: BannerFound) => void = () => undefined, nowMs: () => number = () => performance.now(),
): Receiver {
  const ctx = classifyContext(s);
  const zeroMac = (m: Uint8Array): boolean => m.every((b) => b === 0);
  const rstTcp = { kind: 'rst' as const, options: s.tcpOptions };
  const rst4 = !s.noreset && frames !== null && s.src4 !== undefined && !zeroMac(s.routerMac4)
    ? new TcpTemplate4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan, srcIp: s.src4.begin, ttl: s.ttl }, rstTcp)
    : null;
  const rst6 = !s.noreset && frames !== null && s.src6 !== undefined && !zeroMac(s.routerMac6)
    ? new TcpTemplate6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan, srcIp: ipv6Bytes(s.src6), hopLimit: s.ttl }, rstTcp)
    : null;
  const responder = frames !== null && (s.answer4 || s.answer6)
    ? new Responder({
      mac: s.srcMac, ip4: s.src4, ip6: s.src6 !== undefined ? ipv6Words(s.src6) : undefined,
      answer4: s.answer4, answer6: s.answer6, vlan: s.vlan,
    })
    : null;
  const key = new CookieKey(s.seed);
  const bs = s.banners;
  // The reconnect SYNs are the probes' SYNs: the same options and data.
  const synTcp = { options: s.tcpOptions, payload: (s.dataLength ?? 0) > 0 ? synPayload(s.seed, s.dataLength ?? 0) : undefined };
  const banners = bs !== undefined
    ? new BannerEngine(
      bs,
      s.src4 !== undefined && !zeroMac(s.routerMac4) ? new SegmentBuilder4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan }, s.ttl) : null,
      s.src6 !== undefined && !zeroMac(s.routerMac6) ? new SegmentBuilder6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan }, s.ttl) : null,
      frames, emitBanner, wallClock,
      {
        key,
        syn4: s.src4 !== undefined && !zeroMac(s.routerMac4)
          ? new TcpTemplate4({ srcMac: s.srcMac, dstMac: s.routerMac4, vlan: s.vlan, srcIp: s.src4.begin, ttl: s.ttl }, synTcp)
          : null,
        syn6: s.src6 !== undefined && !zeroMac(s.routerMac6)
          ? new TcpTemplate6({ srcMac: s.srcMac, dstMac: s.routerMac6, vlan: s.vlan, srcIp: ipv6Bytes(s.src6), hopLimit: s.ttl }, synTcp)
          : null,
        portBegin: s.srcPort.begin,
        portEnd: s.srcPort.end,
      },
    )
    : null;
  return new Receiver({ ctx, key, records, frames, responder, rst4, rst6, wallClock, pcap, banners, nowMs });
}

