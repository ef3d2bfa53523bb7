/**
 * A segment's sorted term list.
 *
 * A built segment holds its terms as strings. A loaded one keeps them as the stored UTF-8 bytes plus an
 * offsets array and decodes a term only when a lookup touches it (a binary search decodes ~log2(n)
 * terms): loading used to split the whole list into thousands of strings per segment, which the cache
 * then promoted to the old generation and dropped again on eviction — GC work on every cold query.
 * Comparisons are on decoded strings, so the order is exactly the build order (JS string order).
 */
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const NL = 0x0a;

export class TermDict {
  private materialised: string[] | null;

  private constructor(
    readonly length: number,
    array: string[] | null,
    private readonly bytes: Uint8Array | null,
    /** `length + 1` byte offsets of each term in `bytes` (the "\n" separators excluded). */
    private readonly starts: Uint32Array | null,
  ) {
    this.materialised = array;
  }

  static fromArray(terms: string[]): TermDict {
    return new TermDict(terms.length, terms, null, null);
  }

  /**
   * Terms stored as "\n"-joined UTF-8. `starts` must hold `count + 1` entries; it is filled here (a
   * pooled buffer can be passed). Returns null when the bytes do not hold `count` terms.
   */
  static fromBytes(bytes: Uint8Array, count: number, starts: Uint32Array): TermDict | null {
    if (count === 0) return bytes.byteLength === 0 ? new TermDict(0, [], null, null) : null;
    if (starts.length < count + 1) return null;
    let t = 0;
    starts[0] = 0;
    const len = bytes.length;
    for (let i = 0; i < len; i++) {
      if (bytes[i] !== NL) continue;
      if (++t >= count) return null;
      starts[t] = i + 1;
    }
    if (t !== count - 1) return null;
    starts[count] = bytes.byteLength + 1; // as if a separator followed the last term
    return new TermDict(count, null, bytes, starts);
  }

  get(i: number): string {
    if (this.materialised) return this.materialised[i] as string;
    const s = this.starts as Uint32Array;
    return decoder.decode((this.bytes as Uint8Array).subarray(s[i] as number, (s[i + 1] as number) - 1));
  }

  /** Index of `term`, or -1. */
  indexOf(term: string): number {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = this.get(mid);
      if (t === term) return mid;
      if (t < term) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** First index whose term is >= `term`. */
  lowerBound(term: string): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid) < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every term as a string (decoded once and kept: fuzzy queries and merges walk the whole list). */
  all(): readonly string[] {
    if (!this.materialised) {
      const out = new Array<string>(this.length);
      for (let i = 0; i < this.length; i++) out[i] = this.get(i);
      this.materialised = out;
    }
    return this.materialised;
  }

  /** The stored form: "\n"-joined UTF-8. */
  encode(): Uint8Array {
    if (this.bytes) return this.bytes;
    return encoder.encode((this.materialised as string[]).join('\n'));
  }

  /** Rough heap footprint, for the cache accounting. */
  approxBytes(): number {
    return this.bytes ? this.bytes.byteLength + this.length * 4 : this.length * 40;
  }
}
