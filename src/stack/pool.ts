/**
 * A pool of fixed-size byte chunks with a global cap (DESIGN.md §3, "Banner stack"): send
 * queues and held out-of-order segments of every connection live here, never in per-connection
 * buffers. A chunk is an index; its bytes are `bytes[id * size, (id + 1) * size)`.
 *
 * Memory: the backing Uint8Array is allocated once at its full size, but the OS maps pages only
 * when they are first written, and chunks are handed out fresh-in-order and then LIFO from the
 * free list, so resident memory follows the peak number of chunks in use, not the cap.
 * Nothing here allocates after construction.
 */
export class ChunkPool {
  readonly size: number;
  readonly max: number;
  readonly bytes: Uint8Array;
  /** Chain link (next chunk of the same queue, -1: none); also the free list's link. */
  readonly next: Int32Array;
  /** For held out-of-order segments: the sequence number of the chunk's first byte (int32 bits). */
  readonly seq: Int32Array;
  /** For held out-of-order segments: bytes used in the chunk. */
  readonly len: Int32Array;
  /** For held out-of-order segments: 1 when the segment carried a FIN right after its bytes. */
  readonly fin: Uint8Array;
  private freeHead = -1;
  /** Chunks [fresh, max) were never handed out. */
  private fresh = 0;
  private used = 0;

  constructor(size: number, max: number) {
    if (!Number.isInteger(size) || size < 1 || size > 65535) throw new RangeError(`chunk size ${size} not in 1..65535`);
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`chunk count ${max} must be a positive integer`);
    if (size * max > 2 ** 32) throw new RangeError(`pool of ${size * max} bytes is larger than 4 GiB`);
    this.size = size;
    this.max = max;
    this.bytes = new Uint8Array(size * max);
    this.next = new Int32Array(max);
    this.seq = new Int32Array(max);
    this.len = new Int32Array(max);
    this.fin = new Uint8Array(max);
  }

  /** Chunks handed out and not yet released. */
  get inUse(): number {
    return this.used;
  }

  /** Chunks that can still be allocated. */
  get available(): number {
    return this.max - this.used;
  }

  /** A chunk id, or -1 when the cap is reached. */
  alloc(): number {
    let id = this.freeHead;
    if (id >= 0) this.freeHead = this.next[id];
    else if (this.fresh < this.max) id = this.fresh++;
    else return -1;
    this.next[id] = -1;
    this.used++;
    return id;
  }

  release(id: number): void {
    this.next[id] = this.freeHead;
    this.freeHead = id;
    this.used--;
  }

  /** Release a chain linked through `next`; returns the number of chunks released. */
  releaseChain(head: number): number {
    let n = 0;
    while (head >= 0) {
      const nx = this.next[head];
      this.release(head);
      head = nx;
      n++;
    }
    return n;
  }

  /** The length of the free list plus the never-used chunks (for invariant checks: O(free)). */
  countFree(): number {
    let n = this.max - this.fresh;
    for (let id = this.freeHead; id >= 0 && n <= this.max; id = this.next[id]) n++;
    return n;
  }
}
