/**
 * A small pool of the large buffers a segment load needs (the decompressed segment, the term offsets).
 *
 * Why: with many users and a small user cache, most queries first load a segment, and each load used to
 * allocate ~1 MB of fresh ArrayBuffers. Those count as external memory, and V8 answers a growing external
 * footprint with full mark-compact collections of the whole heap; in a process with a large heap that
 * GC, not the search, dominated the query tail. Buffers of evicted users are handed back here and reused
 * by the next load, so steady-state loads allocate (almost) nothing large.
 *
 * Isolation: a buffer is zero-filled when it is handed out again, so no byte of the previous owner can be
 * read even through a bug in the lazy chunk loading; and a released buffer is only ever given to one new
 * owner (it leaves the free list on `acquire`).
 */
/** Smaller requests are plain allocations; pooled capacities are multiples of this. */
const MIN_BYTES = 4 * 1024;
/** A pooled buffer is reused for a request if it is at most this much larger (bounds wasted memory). */
const MAX_SLACK = 1.5;

export class BufferPool {
  private free: ArrayBuffer[] = [];
  private freeBytes = 0;
  /** Counters for tests and stats. */
  reused = 0;
  allocated = 0;

  constructor(
    /** Most bytes kept on the free list; beyond that released buffers are left to the GC. */
    private readonly maxFreeBytes = 32 * 1024 * 1024,
  ) {}

  /** A zeroed, 8-aligned view of exactly `bytes` bytes (at offset 0 of its ArrayBuffer). */
  acquire(bytes: number): Uint8Array {
    if (bytes < MIN_BYTES) return new Uint8Array(bytes); // small: not worth pooling
    let best = -1;
    for (let i = 0; i < this.free.length; i++) {
      const cap = (this.free[i] as ArrayBuffer).byteLength;
      if (cap >= bytes && cap <= bytes * MAX_SLACK + 64 * 1024) {
        if (best < 0 || cap < (this.free[best] as ArrayBuffer).byteLength) best = i;
      }
    }
    if (best >= 0) {
      const buf = this.free[best] as ArrayBuffer;
      this.free[best] = this.free[this.free.length - 1] as ArrayBuffer;
      this.free.pop();
      this.freeBytes -= buf.byteLength;
      this.reused++;
      const view = new Uint8Array(buf, 0, bytes);
      view.fill(0);
      return view;
    }
    this.allocated++;
    // Round up (12.5 %, 4 KiB granularity) so slightly larger segments can reuse the buffer later.
    const cap = Math.ceil((bytes * 1.125) / MIN_BYTES) * MIN_BYTES;
    return new Uint8Array(new ArrayBuffer(cap), 0, bytes);
  }

  /** Hand a buffer back; the caller must hold no view of it any more. */
  release(view: Uint8Array): void {
    const buf = view.buffer;
    if (!(buf instanceof ArrayBuffer) || buf.byteLength < MIN_BYTES) return;
    if (this.freeBytes + buf.byteLength > this.maxFreeBytes) return;
    if (this.free.includes(buf)) return; // double release would hand one buffer to two owners
    this.free.push(buf);
    this.freeBytes += buf.byteLength;
  }

  get pooledBytes(): number {
    return this.freeBytes;
  }
}
