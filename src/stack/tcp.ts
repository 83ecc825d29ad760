/**
 * The user-mode TCP stack for banner grabbing (DESIGN.md §3 "Banner stack", issue 9): the
 * client side of connections whose SYN the engine sent statelessly, so each connection starts
 * in SYN-SENT with the (cookie-checked) SYN-ACK arriving. It follows RFC 9293's segment
 * processing (§3.10.7.4), RFC 5961's rules for RST and SYN, and RFC 6298's timer rules
 * without RTT estimation (a fixed first RTO that doubles).
 *
 * Choices (documented where they apply, listed here):
 *  - ACKs: each call that accepts data or a FIN answers with one ACK (piggybacked on data we
 *    send in the same call when there is some); no delayed ACK.
 *  - Our receive window is constant (options.window, at most 65535): in-order bytes go
 *    straight to the host, so the window never fills. When our SYN offered a window scale
 *    (options.wscale, --tcp-wscale) and the SYN-ACK has one too, the window fields are scaled
 *    both ways (RFC 7323 §2.3): theirs shifted left by their shift, ours right by ours.
 *  - Out-of-order segments inside the window wait in pool chunks, a few per connection,
 *    until the gap fills (reorder.ts says which are kept); queued data waits in the send
 *    queue until acknowledged (sendq.ts).
 *  - Retransmission: one segment, the earliest unacknowledged (RFC 6298 5.4), per expiry; the
 *    RTO is rtoMs << retries; after maxRetries retransmissions the next expiry resets ('retries').
 *  - Zero window: a persist timer (rtoMs << backoff, back-off capped at 2^6) sends a one-byte
 *    probe; probes never count as retries (RFC 1122: keep probing while the peer answers);
 *    only the connection timeout ends a connection stuck on a zero window.
 *  - TIME-WAIT lasts options.timeWaitMs (default 1000 ms; 0 closes at once): our source ports
 *    are firewalled, so a long 2 MSL protects nothing.
 *  - Timers fire within one wheel tick (8 ms) after their deadline, on the next poll().
 *
 * Sequence numbers are int32 everywhere inside (and in StackHost.output): a u32 above 2^31
 * passed between functions is a heap number, an allocation per call; the arithmetic is the
 * same modulo 2^32 (`x >>> 0` gives the u32 back).
 *
 * Re-entrancy: host callbacks may call send/close/abort/setAppTimer on any connection; after
 * each callback the stack re-checks that the connection still exists before going on.
 * NOTE: the connection id is a slot number, reused after host.closed returns.
 */
import type { CloseReason, StackCounters, StackHost, StackOptions } from './api.js';
import { ChunkPool } from './pool.js';
import { ConnTable, Flag, State, STATE_NAMES } from './table.js';
import { NEVER, TimerWheel } from './timer-wheel.js';
import { ReorderQueue } from './reorder.js';
import { SendQueue } from './sendq.js';
import { seqGt, seqLt } from './seq.js';
import { checkInvariants } from './invariants.js';

const FIN = 0x01;
const SYN = 0x02;
const RST = 0x04;
const PSH = 0x08;
const ACK = 0x10;

const EMPTY = new Uint8Array(0);
/** Largest zero-window probe back-off exponent. */
const MAX_BACKOFF = 6;
/** RFC 9293 §3.7.1 (MUST-15): the send MSS assumed when the SYN-ACK carries no MSS option. */
const DEFAULT_MSS4 = 536;
const DEFAULT_MSS6 = 1220;

/** Copy bytes with a plain loop: `set(subarray())` would allocate a view per segment. */
export class TcpStack {
  readonly counters: StackCounters = {
    active: 0, opened: 0, refused: 0, closedFin: 0, closedRst: 0, timeouts: 0, gaveUp: 0, aborted: 0,
    retransmits: 0, strays: 0, outOfOrder: 0, duplicates: 0,
  };
  readonly table: ConnTable;
  readonly pool: ChunkPool;
  readonly wheel: TimerWheel;
  private readonly host: StackHost;
  private readonly rcvWnd: number;
  /** Our offered window-scale shift, -1 when our SYNs offer none. */
  private readonly ourWscale: number;
  /** Per connection: the peer's window-scale shift (0 when scaling is off). */
  private readonly sndShift: Uint8Array;
  /**
   * Per connection: our window field, rcvWnd >> our shift when scaling is on (at least 1, so
   * the peer never sees a zero window; the peer's window is then never above rcvWnd, except
   * for a rcvWnd below 2^shift, where the segments past rcvWnd are dropped and resent).
   */
  private readonly rcvField: Uint16Array;
  private readonly mssCap: number;
  private readonly rtoMs: number;
  private readonly maxRetries: number;
  private readonly connTimeoutMs: number;
  private readonly timeWaitMs: number;
  /** Application bytes queued to send, until acknowledged (sendq.ts). */
  private readonly sndq: SendQueue;
  /** Out-of-order segments waiting for the gap before them (reorder.ts). */
  private readonly ooo: ReorderQueue;
  /** Segment bytes copied out of the send queue (at most one MSS). */
  private readonly scratch: Uint8Array;
  /** The `now` of the first call: deadlines are Int32 milliseconds from it. */
  private epoch = NaN;
  /** The connection and acknowledgement number of the last segment sent (skip redundant ACKs). */
  private outC = -1;
  private outAck = 0;

  constructor(o: StackOptions, host: StackHost) {
    const int = (name: string, v: number, lo: number, hi: number): number => {
      if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`stack option ${name}=${v} not in ${lo}..${hi}`);
      return v;
    };
    this.host = host;
    this.table = new ConnTable(int('capacity', o.capacity, 1, 0x3fffffff));
    this.pool = new ChunkPool(int('chunkSize', o.chunkSize, 1, 65535), int('maxChunks', o.maxChunks, 1, 0x3fffffff));
    this.wheel = new TimerWheel(o.capacity, o.wheelSlots ?? 8192, o.tickMs ?? 8);
    this.rcvWnd = int('window', o.window, 1, 0x7fffffff) > 65535 ? 65535 : o.window;
    this.mssCap = int('mss', o.mss, 1, 65535);
    this.ourWscale = o.wscale === undefined ? -1 : int('wscale', o.wscale, 0, 14);
    this.sndShift = new Uint8Array(o.capacity);
    this.rcvField = new Uint16Array(o.capacity);
    this.rtoMs = int('rtoMs', o.rtoMs, 1, 0x3fffffff);
    this.maxRetries = int('maxRetries', o.maxRetries, 0, 30);
    this.connTimeoutMs = int('connectionTimeoutMs', o.connectionTimeoutMs, 1, 0x3fffffff);
    this.timeWaitMs = int('timeWaitMs', o.timeWaitMs ?? 1000, 0, 0x3fffffff);
    this.sndq = new SendQueue(this.table, this.pool);
    this.ooo = new ReorderQueue(this.table, this.pool, this.counters, host,
      int('maxHeld', o.maxHeld ?? 4, 0, 255), int('reserveChunks', o.reserveChunks ?? Math.floor(o.maxChunks / 16), 0, o.maxChunks));
    this.scratch = new Uint8Array(this.mssCap);
  }

  // ---------------------------------------------------------------- connection set-up

  /**
   * A valid SYN-ACK (the engine checked the SYN cookie: ack - 1 == cookie). Creates the
   * connection and ACKs it (then host.opened), or re-ACKs a duplicate SYN-ACK of an existing
   * one. Returns the connection id, or -1 when the table or the buffer pool is full (counted
   * in counters.refused). `theirMss` 0 (or less): no MSS option. `theirWscale` -1: no window
   * scale option (the SYN-ACK's own window is never scaled).
   * NOTE: addresses and sequence numbers may be given as u32 or as their int32 bits
   * (`x | 0`); on the hot path pass int32: a u32 above 2^31 crossing a call is a heap number.
   */
  synAck4(now: number, theirIp: number, theirPort: number, ourIp: number, ourPort: number, theirSeq: number, ourSeq: number, theirWindow: number, theirMss: number, theirWscale = -1): number {
    const t = this.table;
    const x = t.find4(theirIp, theirPort, ourIp, ourPort);
    if (x >= 0) return this.dupSynAck(x);
    const c = this.takeSlot();
    if (c < 0) return -1;
    t.flags[c] = 0;
    t.theirIp[c] = theirIp;
    t.ourIp[c] = ourIp;
    t.theirPort[c] = theirPort;
    t.ourPort[c] = ourPort;
    t.hash4(c);
    return this.open(c, now, theirSeq | 0, ourSeq | 0, theirWindow, theirMss > 0 ? theirMss : DEFAULT_MSS4, theirWscale);
  }

  synAck6(now: number, theirIp: Uint32Array, theirPort: number, ourIp: Uint32Array, ourPort: number, theirSeq: number, ourSeq: number, theirWindow: number, theirMss: number, theirWscale = -1): number {
    const t = this.table;
    const x = t.find6(theirIp, theirPort, ourIp, ourPort);
    if (x >= 0) return this.dupSynAck(x);
    const c = this.takeSlot();
    if (c < 0) return -1;
    t.flags[c] = Flag.V6;
    t.set6(c, theirIp, ourIp);
    t.theirPort[c] = theirPort;
    t.ourPort[c] = ourPort;
    t.hash6(c);
    return this.open(c, now, theirSeq | 0, ourSeq | 0, theirWindow, theirMss > 0 ? theirMss : DEFAULT_MSS6, theirWscale);
  }

  /** A SYN-ACK for an existing connection: our ACK was lost, or the server repeats itself. */
  private dupSynAck(c: number): number {
    // RFC 9293 §3.10.7.4, fourth: "If the SYN bit is set, irrespective of the sequence number,
    // TCP endpoints MUST send a 'challenge ACK' to the remote peer" -- which is also the ACK a
    // server that lost ours is waiting for.
    this.counters.duplicates++;
    this.sendAck(c);
    return c;
  }

  private takeSlot(): number {
    if (this.pool.available < 1) {
      this.counters.refused++;
      return -1;
    }
    const c = this.table.take();
    if (c < 0) this.counters.refused++;
    return c;
  }

  private open(c: number, now: number, theirSeq: number, ourSeq: number, theirWindow: number, theirMss: number, theirWscale: number): number {
    const t = this.table;
    // RFC 7323 §2.2: scaling is on only when both SYNs carry the option; a shift above 14
    // "MUST" be used as 14 (§2.3). The SYN-ACK's own window is not scaled.
    const scaled = this.ourWscale >= 0 && theirWscale >= 0;
    this.sndShift[c] = scaled ? (theirWscale > 14 ? 14 : theirWscale) : 0;
    const field = scaled ? this.rcvWnd >>> this.ourWscale : this.rcvWnd;
    this.rcvField[c] = field > 0 ? field : 1;
    const rel = this.rel(now);
    // RFC 9293 §3.10.7.3 (SYN-SENT): "If SND.UNA > ISS (our SYN has been ACKed), change the
    // connection state to ESTABLISHED, form an ACK segment <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>
    // and send it." (the engine checked SEG.ACK = ISS + 1 through the cookie)
    t.state[c] = State.ESTABLISHED;
    t.retries[c] = 0;
    t.backoff[c] = 0;
    t.held[c] = 0;
    t.sndUna[c] = ourSeq;
    t.sndNxt[c] = ourSeq;
    t.sndWnd[c] = theirWindow;
    // "SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK"
    t.sndWl1[c] = theirSeq;
    t.sndWl2[c] = ourSeq;
    // "RCV.NXT is set to SEG.SEQ+1, IRS is set to SEG.SEQ"
    t.rcvNxt[c] = (theirSeq + 1) | 0;
    t.mss[c] = theirMss < this.mssCap ? theirMss : this.mssCap;
    t.rtxAt[c] = NEVER;
    t.appAt[c] = NEVER;
    t.deadAt[c] = rel + this.connTimeoutMs;
    t.sndHead[c] = -1;
    t.sndTail[c] = -1;
    t.sndOff[c] = 0;
    t.sndBuf[c] = 0;
    t.oooHead[c] = -1;
    this.counters.opened++;
    this.counters.active++;
    this.wheel.set(c, t.deadAt[c]);
    this.sendAck(c);
    this.host.opened(c, now);
    return c;
  }

  // ---------------------------------------------------------------- segments in

  /**
   * Any other TCP segment addressed to us (numbers as in synAck4; `buf[off, off + len)` is the
   * payload, read only during the call). True when it belonged to a connection and was
   * handled; false: no such connection (counted in counters.strays).
   */
  segment4(now: number, theirIp: number, theirPort: number, ourIp: number, ourPort: number, seq: number, ack: number, flags: number, window: number, buf: Uint8Array, off: number, len: number): boolean {
    const c = this.table.find4(theirIp, theirPort, ourIp, ourPort);
    if (c < 0) {
      this.counters.strays++;
      return false;
    }
    this.input(c, now, seq | 0, ack | 0, flags, window, buf, off, len);
    return true;
  }

  segment6(now: number, theirIp: Uint32Array, theirPort: number, ourIp: Uint32Array, ourPort: number, seq: number, ack: number, flags: number, window: number, buf: Uint8Array, off: number, len: number): boolean {
    const c = this.table.find6(theirIp, theirPort, ourIp, ourPort);
    if (c < 0) {
      this.counters.strays++;
      return false;
    }
    this.input(c, now, seq | 0, ack | 0, flags, window, buf, off, len);
    return true;
  }

  /** RFC 9293 §3.10.7.4, "Otherwise" (the synchronized states), for one segment of `c`. */
  private input(c: number, now: number, seq: number, ack: number, flags: number, window: number, buf: Uint8Array, off: number, len: number): void {
    const t = this.table;
    const rel = this.rel(now);
    // NOTE: a range outside `buf` is the host's bug; drop the segment rather than read outside.
    if (len < 0 || off < 0 || off + len > buf.length) return;
    const st = t.state[c] as State;
    const rcvNxt = t.rcvNxt[c];
    const wnd = this.rcvWnd;
    const segLen = len + (flags & SYN ? 1 : 0) + (flags & FIN ? 1 : 0);
    const d = (seq - rcvNxt) | 0; // where the segment starts, relative to RCV.NXT
    const last = d + segLen - 1;
    this.outC = -1;

    // First, check sequence number: "There are four cases for the acceptability test for an
    // incoming segment" (length 0: RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND; otherwise the first
    // or the last octet inside that window; RCV.WND is never 0 here).
    const acceptable = segLen === 0 ? d >= 0 && d < wnd : (d >= 0 && d < wnd) || (last >= 0 && last < wnd);
    if (!acceptable) {
      if (d < 0) this.counters.duplicates++;
      else this.counters.outOfOrder++;
      // "If an incoming segment is not acceptable, an acknowledgment should be sent in reply
      // (unless the RST bit is set, if so drop the segment and return)"
      if ((flags & RST) === 0) {
        this.sendAck(c);
        // TIME-WAIT: "The only thing that can arrive in this state is a retransmission of the
        // remote FIN. Acknowledge it, and restart the 2 MSL timeout."
        if (st === State.TIME_WAIT && (flags & FIN) !== 0) this.startTimeWait(c, rel);
      }
      return;
    }

    // Second, check the RST bit (RFC 5961 §3.2, taken into RFC 9293):
    if (flags & RST) {
      if (d === 0) {
        // "If the RST bit is set and the sequence number exactly matches the next expected
        // sequence number (RCV.NXT), then TCP endpoints MUST reset the connection"; in every
        // synchronized state: "enter the CLOSED state, delete the TCB, and return."
        this.finish(c, 'rst', now);
      } else {
        // "If the RST bit is set and the sequence number does not exactly match the next
        // expected sequence value, yet is within the current receive window, TCP endpoints
        // MUST send an acknowledgment (challenge ACK)"
        this.sendAck(c);
      }
      return;
    }

    // Fourth, check the SYN bit: "If the SYN bit is set, irrespective of the sequence number,
    // TCP endpoints MUST send a 'challenge ACK' to the remote peer" ... "and drop the segment".
    if (flags & SYN) {
      this.counters.duplicates++;
      this.sendAck(c);
      return;
    }

    // Fifth, check the ACK field: "if the ACK bit is off, drop the segment and return"
    if ((flags & ACK) === 0) return;

    const una = t.sndUna[c];
    const nxt = t.sndNxt[c];
    if (seqGt(ack, nxt)) {
      // "If the ACK acks something not yet sent (SEG.ACK > SND.NXT), then send an ACK, drop the
      // segment, and return."
      this.sendAck(c);
      return;
    }
    if (seqGt(ack, una)) {
      // "If SND.UNA < SEG.ACK =< SND.NXT, then set SND.UNA <- SEG.ACK. Any segments on the
      // retransmission queue that are thereby entirely acknowledged are removed."
      const acked = (ack - una) >>> 0;
      const buffered = t.sndBuf[c];
      this.sndq.dropAcked(c, acked < buffered ? acked : buffered);
      t.sndUna[c] = ack;
      t.retries[c] = 0;
      // RFC 6298 (5.2) "When all outstanding data has been acknowledged, turn off the
      // retransmission timer." (5.3) "When an ACK is received that acknowledges new data,
      // restart the retransmission timer"
      t.rtxAt[c] = ack === nxt ? NEVER : rel + this.rtoMs;
    }
    // (a duplicate ACK, SEG.ACK =< SND.UNA, "can be ignored")
    if (!seqLt(ack, una)) {
      // "If SND.UNA =< SEG.ACK =< SND.NXT, the send window should be updated. If (SND.WL1 <
      // SEG.SEQ or (SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK)), set SND.WND <- SEG.WND, set
      // SND.WL1 <- SEG.SEQ, and set SND.WL2 <- SEG.ACK."
      const wl1 = t.sndWl1[c];
      if (seqLt(wl1, seq) || (wl1 === seq && !seqGt(t.sndWl2[c], ack))) {
        const was = t.sndWnd[c];
        t.sndWnd[c] = window << this.sndShift[c]; // at most 65535 << 14 < 2^30
        t.sndWl1[c] = seq;
        t.sndWl2[c] = ack;
        if (was === 0 && window > 0) {
          // The window opened: probing is over; what is in flight is back under the normal RTO.
          t.backoff[c] = 0;
          t.rtxAt[c] = t.sndNxt[c] === t.sndUna[c] ? NEVER : rel + this.rtoMs;
        }
      }
    }
    const finAcked = (t.flags[c] & Flag.FIN_SENT) !== 0 && t.sndUna[c] === t.sndNxt[c];
    let state = st;
    if (state === State.FIN_WAIT_1 && finAcked) {
      // FIN-WAIT-1: "if the FIN segment is now acknowledged, then enter FIN-WAIT-2 and continue
      // processing in that state."
      state = t.state[c] = State.FIN_WAIT_2;
    } else if (state === State.CLOSING) {
      // CLOSING: "if the ACK acknowledges our FIN, then enter the TIME-WAIT state; otherwise,
      // ignore the segment."
      if (finAcked) this.enterTimeWait(c, rel);
      this.endInput(c, now, rel, false);
      return;
    } else if (state === State.LAST_ACK) {
      // LAST-ACK: "The only thing that can arrive in this state is an acknowledgment of our FIN.
      // If our FIN is now acknowledged, delete the TCB, enter the CLOSED state, and return."
      if (finAcked) this.finish(c, 'fin', now);
      else this.endInput(c, now, rel, false);
      return;
    } else if (state === State.TIME_WAIT) {
      // "The only thing that can arrive in this state is a retransmission of the remote FIN."
      return;
    }

    // Seventh, process the segment text. ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2: "Once in the
    // ESTABLISHED state, it is possible to deliver segment data to user RECEIVE buffers."
    // CLOSE-WAIT: "This should not occur since a FIN has been received from the remote side.
    // Ignore the segment text." (and the FIN: it was processed already)
    if (state === State.CLOSE_WAIT) {
      this.endInput(c, now, rel, false);
      return;
    }
    let needAck = false;
    let fin = (flags & FIN) !== 0;
    let n = len;
    // Trim the right edge to the window: octet i is at d + i from RCV.NXT and must stay below
    // RCV.WND (the FIN goes with the trimmed octets).
    if (n > wnd - d) {
      n = wnd - d;
      fin = false;
    }
    if (d > 0) {
      if (n > 0 || fin) {
        // Out of order: "Segments with higher beginning sequence numbers SHOULD be held for
        // later processing" -- when the pool allows (see the header).
        this.counters.outOfOrder++;
        this.ooo.hold(c, seq, buf, off, n, fin);
        this.sendAck(c); // a duplicate ACK tells the peer where the gap starts
      }
      this.endInput(c, now, rel, false);
      return;
    }
    const pos = -d; // octets already received at the front
    if (n > 0) {
      // "If a segment's contents straddle the boundary between old and new, only the new parts
      // are processed."
      if (pos > 0) this.counters.duplicates++;
      if (pos < n) {
        t.rcvNxt[c] = (rcvNxt + (n - pos)) | 0;
        needAck = true;
        this.host.received(c, buf, off + pos, n - pos, now);
        if (t.state[c] === State.FREE) return;
        if (t.oooHead[c] >= 0 && this.ooo.drain(c, now)) {
          if (t.state[c] === State.FREE) return;
          fin = true;
        }
        if (t.state[c] === State.FREE) return;
      } else if (!fin) {
        needAck = true; // only old octets: re-ACK
      }
    }
    // Eighth, check the FIN bit. Every octet before it has been received: the segment starts
    // at or before RCV.NXT (d <= 0) and, being acceptable, its FIN is not before RCV.NXT.
    if (fin) {
      this.peerFin(c, now, rel);
      if (t.state[c] === State.FREE) return;
      needAck = true;
    }
    this.endInput(c, now, rel, needAck);
  }

  /** After a segment: send what the window allows, ACK when needed, re-arm the timer. */
  private endInput(c: number, now: number, rel: number, needAck: boolean): void {
    const t = this.table;
    this.trySend(c, rel);
    if (needAck && !(this.outC === c && this.outAck === t.rcvNxt[c])) this.sendAck(c);
    if (t.state[c] === State.TIME_WAIT && this.timeWaitMs === 0) {
      this.finish(c, 'fin', now);
      return;
    }
    this.arm(c);
  }

  /** The peer's FIN, in order: RFC 9293 §3.10.7.4, eighth. */
  private peerFin(c: number, now: number, rel: number): void {
    const t = this.table;
    // "advance RCV.NXT over the FIN, and send an acknowledgment for the FIN" (the caller ACKs)
    t.rcvNxt[c] = (t.rcvNxt[c] + 1) | 0;
    this.ooo.free(c); // nothing after the FIN can be data
    const st = t.state[c];
    const finAcked = (t.flags[c] & Flag.FIN_SENT) !== 0 && t.sndUna[c] === t.sndNxt[c];
    if (st === State.ESTABLISHED) {
      // ESTABLISHED: "Enter the CLOSE-WAIT state."
      t.state[c] = State.CLOSE_WAIT;
    } else if (st === State.FIN_WAIT_1) {
      // FIN-WAIT-1: "If our FIN has been ACKed (perhaps in this segment), then enter TIME-WAIT,
      // start the time-wait timer, turn off the other timers; otherwise, enter the CLOSING state."
      if (finAcked) this.enterTimeWait(c, rel);
      else t.state[c] = State.CLOSING;
    } else if (st === State.FIN_WAIT_2) {
      // FIN-WAIT-2: "Enter the TIME-WAIT state. Start the time-wait timer, turn off the other timers."
      this.enterTimeWait(c, rel);
    }
    // "signal the user 'connection closing'"
    this.host.peerClosed(c, now);
  }

  private enterTimeWait(c: number, rel: number): void {
    const t = this.table;
    t.state[c] = State.TIME_WAIT;
    t.appAt[c] = NEVER;
    this.startTimeWait(c, rel);
  }

  private startTimeWait(c: number, rel: number): void {
    this.table.rtxAt[c] = rel + this.timeWaitMs;
    this.arm(c);
  }

  // ---------------------------------------------------------------- sending

  /** Queue application bytes (copied into pool chunks); false when there is no room or the connection cannot send. */
  send(c: number, buf: Uint8Array, off: number, len: number, now: number): boolean {
    const t = this.table;
    const st = t.state[c];
    if ((st !== State.ESTABLISHED && st !== State.CLOSE_WAIT) || (t.flags[c] & Flag.FIN_QUEUED) !== 0) return false;
    if (len <= 0) return len === 0;
    if (off < 0 || off + len > buf.length) return false;
    if (!this.sndq.append(c, buf, off, len)) return false;
    const rel = this.rel(now);
    this.outC = -1;
    this.trySend(c, rel);
    this.arm(c);
    return true;
  }

  /** FIN after the queued data (RFC 9293 §3.10.4 CLOSE). */
  close(c: number, now: number): void {
    const t = this.table;
    const st = t.state[c];
    if (st === State.ESTABLISHED) {
      // ESTABLISHED: "Queue this until all preceding SENDs have been segmentized, then form a
      // FIN segment and send it. In any case, enter FIN-WAIT-1 state."
      t.state[c] = State.FIN_WAIT_1;
    } else if (st === State.CLOSE_WAIT) {
      // CLOSE-WAIT: "Queue this request until all preceding SENDs have been segmentized; then
      // send a FIN segment, enter LAST-ACK state." (we enter it now; the FIN follows the data)
      t.state[c] = State.LAST_ACK;
    } else {
      return; // closing already, or free
    }
    t.flags[c] |= Flag.FIN_QUEUED;
    t.appAt[c] = NEVER;
    this.outC = -1;
    this.trySend(c, this.rel(now));
    this.arm(c);
  }

  /** RST now (RFC 9293 §3.10.5 ABORT), then host.closed(c, 'local'). */
  abort(c: number, now: number): void {
    const t = this.table;
    const st = t.state[c];
    if (st === State.FREE) return;
    // ESTABLISHED, FIN-WAIT-1/2, CLOSE-WAIT: "Send a reset segment: <SEQ=SND.NXT><CTL=RST>";
    // CLOSING, LAST-ACK, TIME-WAIT: "Respond with 'ok' and delete the TCB" (we reset the
    // first two anyway: the peer may still hold its side open).
    if (st !== State.TIME_WAIT) this.sendRst(c);
    this.finish(c, 'local', now);
  }

  /**
   * One application deadline per connection (absolute, in `now`'s time base): host.appTimer
   * runs on the first poll() at or after it (within one wheel tick). Setting it again replaces
   * it; close() cancels it.
   */
  setAppTimer(c: number, atMs: number): void {
    const t = this.table;
    if (t.state[c] === State.FREE) return;
    const at = this.rel(atMs);
    t.appAt[c] = at;
    this.wheel.ensure(c, at);
  }

  /** Send new data and our FIN as far as the peer's window allows (arms the timers). */
  private trySend(c: number, rel: number): void {
    const t = this.table;
    const st = t.state[c];
    if (st !== State.ESTABLISHED && st !== State.CLOSE_WAIT && st !== State.FIN_WAIT_1 && st !== State.LAST_ACK) return;
    const fl = t.flags[c];
    if (fl & Flag.FIN_SENT) return;
    let nxt = t.sndNxt[c];
    let inflight = (nxt - t.sndUna[c]) >>> 0;
    let unsent = t.sndBuf[c] - inflight;
    const wnd = t.sndWnd[c];
    const mss = t.mss[c];
    let sent = false;
    while (unsent > 0 && wnd > inflight) {
      let n = wnd - inflight;
      if (n > unsent) n = unsent;
      if (n > mss) n = mss;
      this.sendData(c, inflight, n, nxt, false);
      nxt = (nxt + n) | 0;
      inflight += n;
      unsent -= n;
      sent = true;
    }
    t.sndNxt[c] = nxt;
    if (unsent === 0 && (fl & Flag.FIN_QUEUED) !== 0) {
      // The FIN "queued until all preceding SENDs have been segmentized" goes now. NOTE: it is
      // sent even into a zero window, as common stacks do (it carries no octet to store).
      this.emit(c, FIN | ACK, nxt, EMPTY, 0, 0);
      t.sndNxt[c] = (nxt + 1) | 0;
      t.flags[c] = fl | Flag.FIN_SENT;
      sent = true;
    }
    if (sent) {
      // RFC 6298 (5.1): "Every time a packet containing data is sent (including a
      // retransmission), if the timer is not running, start it running"
      if (t.rtxAt[c] === NEVER) t.rtxAt[c] = rel + this.rto(t.retries[c]);
    } else if (unsent > 0 && wnd === 0 && inflight === 0 && t.rtxAt[c] === NEVER) {
      // Zero window, nothing in flight: the persist timer (RFC 9293 §3.8.6.1).
      t.rtxAt[c] = rel + this.persist(t.backoff[c]);
    }
  }

  /** Emit `n` queued bytes from offset `from` (relative to SND.UNA) with sequence number `seq`. */
  private sendData(c: number, from: number, n: number, seq: number, fin: boolean): void {
    const out = this.scratch;
    this.sndq.copyOut(c, from, n, out);
    this.emit(c, fin ? ACK | PSH | FIN : ACK | PSH, seq, out, 0, n);
  }


  private rto(retries: number): number {
    const v = this.rtoMs * 2 ** (retries > 20 ? 20 : retries);
    return v > 0x3fffffff ? 0x3fffffff : v;
  }

  private persist(backoff: number): number {
    return this.rto(backoff > MAX_BACKOFF ? MAX_BACKOFF : backoff);
  }

  private sendAck(c: number): void {
    const t = this.table;
    this.emit(c, ACK, t.sndNxt[c], EMPTY, 0, 0);
  }

  private sendRst(c: number): void {
    this.host.output(c, RST, this.table.sndNxt[c], 0, 0, EMPTY, 0, 0);
  }

  private emit(c: number, flags: number, seq: number, buf: Uint8Array, off: number, len: number): void {
    const ack = this.table.rcvNxt[c];
    this.outC = c;
    this.outAck = ack;
    this.host.output(c, flags, seq, ack, this.rcvField[c], buf, off, len);
  }

  // ---------------------------------------------------------------- timers

  /** Run what is due: retransmissions, zero-window probes, application timers, timeouts. */
  poll(now: number): void {
    const rel = this.rel(now);
    const w = this.wheel;
    const target = Math.floor(rel / w.tickMs);
    let t = w.tick;
    if (target - t >= w.slots) t = target - w.slots + 1; // a long pause: each slot once
    for (; t <= target; t++) {
      w.take(t);
      let c: number;
      while ((c = w.pop()) >= 0) this.fire(c, now, rel);
    }
  }

  private fire(c: number, now: number, rel: number): void {
    const t = this.table;
    if (t.state[c] === State.FREE) return;
    const rtxAt = t.rtxAt[c];
    const deadAt = t.deadAt[c];
    if (t.state[c] === State.TIME_WAIT && (rtxAt <= rel || deadAt <= rel)) {
      // "If the time-wait timeout expires on a connection, delete the TCB, enter the CLOSED
      // state, and return."
      this.finish(c, 'fin', now);
      return;
    }
    if (deadAt <= rel) {
      // USER TIMEOUT: "flush all queues, signal the user 'error: connection aborted due to user
      // timeout' ..., delete the TCB, enter the CLOSED state" (--connection-timeout; we RST
      // so that the server frees its side too).
      this.sendRst(c);
      this.finish(c, 'timeout', now);
      return;
    }
    if (t.appAt[c] <= rel) {
      t.appAt[c] = NEVER;
      this.host.appTimer(c, now);
      if (t.state[c] === State.FREE) return;
    }
    if (t.rtxAt[c] <= rel) {
      t.rtxAt[c] = NEVER;
      this.outC = -1;
      this.expire(c, now, rel);
      if (t.state[c] === State.FREE) return;
    }
    this.wheel.set(c, this.earliest(c));
  }

  /** The retransmission (or persist) timer of c expired. */
  private expire(c: number, now: number, rel: number): void {
    const t = this.table;
    const una = t.sndUna[c];
    const inflight = (t.sndNxt[c] - una) >>> 0;
    const finSent = (t.flags[c] & Flag.FIN_SENT) !== 0;
    const sentData = inflight - (finSent ? 1 : 0);
    if (t.sndWnd[c] === 0) {
      // RFC 9293 §3.8.6.1: "The sending TCP peer must regularly transmit at least one octet of
      // new data (if available), or retransmit to the receiving TCP peer even if the send
      // window is zero, in order to 'probe' the window." Probes back off and are not retries.
      if (sentData > 0) this.sendData(c, 0, 1, una, false);
      else if (inflight === 0 && t.sndBuf[c] > 0) {
        this.sendData(c, 0, 1, una, false);
        t.sndNxt[c] = (una + 1) | 0;
      } else if (finSent) this.emit(c, FIN | ACK, una, EMPTY, 0, 0);
      else return;
      if (t.backoff[c] < MAX_BACKOFF) t.backoff[c]++;
      t.rtxAt[c] = rel + this.persist(t.backoff[c]);
      return;
    }
    if (inflight === 0) {
      this.trySend(c, rel); // a probe's window opened meanwhile, or nothing to do
      return;
    }
    if (t.retries[c] >= this.maxRetries) {
      this.sendRst(c);
      this.finish(c, 'retries', now);
      return;
    }
    // RETRANSMISSION TIMEOUT: "send the segment at the front of the retransmission queue
    // again, reinitialize the retransmission timer, and return." RFC 6298 (5.5): "The host
    // MUST set RTO <- RTO * 2 ("back off the timer")".
    t.retries[c]++;
    this.counters.retransmits++;
    const mss = t.mss[c];
    if (sentData > 0) {
      const n = sentData < mss ? sentData : mss;
      this.sendData(c, 0, n, una, finSent && n === sentData);
    } else {
      this.emit(c, FIN | ACK, una, EMPTY, 0, 0);
    }
    t.rtxAt[c] = rel + this.rto(t.retries[c]);
  }

  private earliest(c: number): number {
    const t = this.table;
    let e = t.deadAt[c];
    if (t.appAt[c] < e) e = t.appAt[c];
    if (t.rtxAt[c] < e) e = t.rtxAt[c];
    return e;
  }

  /** Make sure c's wheel timer fires no later than its earliest deadline. */
  private arm(c: number): void {
    if (this.table.state[c] !== State.FREE) this.wheel.ensure(c, this.earliest(c));
  }

  /**
   * Milliseconds since the first `now` seen. NOTE: deadlines are Int32, so a stack must not
   * live longer than about 24 days (2^31 ms).
   */
  private rel(now: number): number {
    if (this.epoch !== this.epoch) this.epoch = now;
    return Math.floor(now - this.epoch);
  }

  // ---------------------------------------------------------------- the end

  private finish(c: number, reason: CloseReason, now: number): void {
    const t = this.table;
    this.wheel.unlink(c);
    t.unhash(c);
    this.sndq.free(c);
    this.ooo.free(c);
    t.state[c] = State.FREE;
    t.rtxAt[c] = NEVER;
    t.appAt[c] = NEVER;
    t.deadAt[c] = NEVER;
    const k = this.counters;
    k.active--;
    if (reason === 'fin') k.closedFin++;
    else if (reason === 'rst') k.closedRst++;
    else if (reason === 'timeout') k.timeouts++;
    else if (reason === 'retries') k.gaveUp++;
    else k.aborted++;
    // The addresses stay readable during the callback; the slot is reused only after it.
    this.host.closed(c, reason, now);
    t.release(c);
  }

  // ---------------------------------------------------------------- accessors

  version(c: number): 4 | 6 {
    return this.table.flags[c] & Flag.V6 ? 6 : 4;
  }
  /** Their IPv4 address (u32). */
  theirIp4(c: number): number {
    return this.table.theirIp[c] >>> 0;
  }
  /** Our IPv4 address (u32). */
  ourIp4(c: number): number {
    return this.table.ourIp[c] >>> 0;
  }
  /**
   * Their and our IPv4 addresses as int32 bits, for the per-segment path: a u32 above 2^31
   * passed to a call that is not inlined is a heap number, an allocation per segment.
   */
  theirIp4Bits(c: number): number {
    return this.table.theirIp[c]!;
  }
  ourIp4Bits(c: number): number {
    return this.table.ourIp[c]!;
  }
  theirIp6(c: number, out: Uint32Array): void {
    this.copy6(c * 8, out);
  }
  ourIp6(c: number, out: Uint32Array): void {
    this.copy6(c * 8 + 4, out);
  }
  private copy6(k: number, out: Uint32Array): void {
    const w = this.table.ip6;
    if (w === null) {
      out.fill(0, 0, 4);
      return;
    }
    out[0] = w[k];
    out[1] = w[k + 1];
    out[2] = w[k + 2];
    out[3] = w[k + 3];
  }
  theirPort(c: number): number {
    return this.table.theirPort[c];
  }
  ourPort(c: number): number {
    return this.table.ourPort[c];
  }

  /** The RFC 9293 state name of c ('FREE' for an unused slot). For tests and debugging. */
  stateName(c: number): string {
    return STATE_NAMES[this.table.state[c]] ?? 'FREE';
  }

  /**
   * Check the table's invariants (O(capacity + chunks)); returns a description of the first
   * broken one, or null. For tests and fuzzing (invariants.ts).
   */
  checkInvariants(): string | null {
    return checkInvariants(this.table, this.pool, this.wheel, this.counters, this.ooo.maxHeld, (c) => this.earliest(c));
  }
}
