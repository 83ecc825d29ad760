/**
 * The send queue of the TCP stack (tcp.ts): application bytes of each connection, copied
 * into a chain of pool chunks from `sndHead` (starting `sndOff` bytes into it) to `sndTail`,
 * `sndBuf` bytes in all, from SND.UNA on. Sent bytes stay until acknowledged (they may be
 * retransmitted); acknowledged ones leave and emptied chunks return to the pool.
 */
import type { ChunkPool } from './pool.js';
import type { ConnTable } from './table.js';
import { copy } from './seq.js';

export class SendQueue {
  constructor(private readonly table: ConnTable, private readonly pool: ChunkPool) {}

  /** Copy `len` bytes to the end of c's queue; false (nothing queued) when the pool lacks the chunks. */
  append(c: number, buf: Uint8Array, off: number, len: number): boolean {
    const t = this.table;
    const p = this.pool;
    const size = p.size;
    const end = t.sndOff[c] + t.sndBuf[c]; // position after the last queued byte, from the head chunk's start
    let room = t.sndTail[c] >= 0 ? size - (((end - 1) % size) + 1) : 0;
    const need = len > room ? Math.ceil((len - room) / size) : 0;
    if (need > p.available) return false;
    let k = t.sndTail[c];
    let at = k >= 0 ? k * size + (size - room) : 0;
    let done = 0;
    while (done < len) {
      if (room === 0) {
        const nk = p.alloc(); // cannot fail: counted above
        if (k >= 0) p.next[k] = nk;
        else {
          t.sndHead[c] = nk;
          t.sndOff[c] = 0;
        }
        k = nk;
        t.sndTail[c] = k;
        room = size;
        at = k * size;
      }
      const m = len - done < room ? len - done : room;
      copy(buf, off + done, p.bytes, at, m);
      done += m;
      room -= m;
      at += m;
    }
    t.sndBuf[c] += len;
    return true;
  }

  /** Copy `n` queued bytes from offset `from` (relative to SND.UNA) into `out`. */
  copyOut(c: number, from: number, n: number, out: Uint8Array): void {
    const t = this.table;
    const p = this.pool;
    const size = p.size;
    let pos = t.sndOff[c] + from;
    let k = t.sndHead[c];
    while (pos >= size) {
      k = p.next[k];
      pos -= size;
    }
    let done = 0;
    while (done < n) {
      let m = size - pos;
      if (m > n - done) m = n - done;
      copy(p.bytes, k * size + pos, out, done, m);
      done += m;
      pos = 0;
      k = p.next[k];
    }
  }

  /** Acknowledged octets leave the send queue; emptied chunks return to the pool. */
  dropAcked(c: number, n: number): void {
    if (n <= 0) return;
    const t = this.table;
    const p = this.pool;
    const size = p.size;
    let off = t.sndOff[c] + n;
    let k = t.sndHead[c];
    while (off >= size && k >= 0) {
      const nx = p.next[k];
      p.release(k);
      k = nx;
      off -= size;
    }
    t.sndBuf[c] -= n;
    if (t.sndBuf[c] === 0) {
      if (k >= 0) p.releaseChain(k);
      k = -1;
      off = 0;
    }
    t.sndHead[c] = k;
    if (k < 0) t.sndTail[c] = -1;
    t.sndOff[c] = off;
  }

  /** Give back every chunk of c's queue (the connection ends). */
  free(c: number): void {
    const t = this.table;
    if (t.sndHead[c] >= 0) this.pool.releaseChain(t.sndHead[c]);
    t.sndHead[c] = -1;
    t.sndTail[c] = -1;
    t.sndBuf[c] = 0;
  }
}
