/**
 * A segment's sorted term list (JS string order, as built), with the lookups the query evaluator needs.
 *
 * A built segment holds its terms as an array of strings. A loaded one keeps the whole list as ONE
 * string (the stored "\n"-joined text, decoded once) plus the start of every term in it (a pooled
 * Uint32Array): lookups compare in place with `charCodeAt` (UTF-16 code units, i.e. exactly JS string
 * order), and a term becomes a string of its own only when a caller asks for it (prefix expansion,
 * hits' terms, merges).
 *
 * Why: splitting the list into thousands of strings per load (~8,000 for a 1,000-message user) made
 * every cold load promote ~0.4 MB of strings that lived as long as the user stayed cached; copying
 * them dominated the scavenges behind the query tail. Decoding a term on every binary-search probe
 * instead (no strings kept) was measured worse still: with almost nothing promoted V8 kept its heap
 * limit so close to the live size that it marked the whole heap continuously (docs/performance.md,
 * Search, "Cold loads"). One string per load sits between the two.
 */
const decoder = new TextDecoder();
const encoder = new TextEncoder();
const NL = 0x0a;

export class TermDict {
  private materialised: string[] | null;

  private constructor(
    readonly length: number,
    array: string[] | null,
    /** All terms, "\n"-joined (loaded segments). */
    private readonly text: string,
    /** `length + 1` code-unit offsets of each term in `text` (as if a "\n" followed the last one). */
    private readonly starts: Uint32Array | null,
  ) {
    this.materialised = array;
  }

  static fromArray(terms: string[]): TermDict {
    return new TermDict(terms.length, terms, '', null);
  }

  /**
   * Terms stored as "\n"-joined UTF-8. `starts` must hold `count + 1` entries; it is filled here (a
   * pooled buffer can be passed). Returns null when the bytes do not hold `count` terms.
   */
  static fromBytes(bytes: Uint8Array, count: number, starts: Uint32Array): TermDict | null {
    if (count === 0) return bytes.byteLength === 0 ? new TermDict(0, [], '', null) : null;
    if (starts.length < count + 1) return null;
    const text = decoder.decode(bytes);
    let t = 0;
    starts[0] = 0;
    const len = text.length;
    for (let i = 0; i < len; i++) {
      if (text.charCodeAt(i) !== NL) continue;
      if (++t >= count) return null;
      starts[t] = i + 1;
    }
    if (t !== count - 1) return null;
    starts[count] = len + 1;
    return new TermDict(count, null, text, starts);
  }

  get(i: number): string {
    if (this.materialised) return this.materialised[i] as string;
    const s = this.starts as Uint32Array;
    return this.text.slice(s[i] as number, (s[i + 1] as number) - 1);
  }

  /** Compare term `i` with `term` in JS string order (negative: term i sorts first). */
  private compareAt(i: number, term: string): number {
    const s = this.starts as Uint32Array;
    const from = s[i] as number;
    const len = (s[i + 1] as number) - 1 - from;
    const text = this.text;
    const n = Math.min(len, term.length);
    for (let k = 0; k < n; k++) {
      const d = text.charCodeAt(from + k) - term.charCodeAt(k);
      if (d !== 0) return d;
    }
    return len - term.length;
  }

  /** Index of `term`, or -1. */
  indexOf(term: string): number {
    let lo = 0;
    let hi = this.length - 1;
    if (this.materialised) {
      const terms = this.materialised;
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1;
        const t = terms[mid] as string;
        if (t === term) return mid;
        if (t < term) lo = mid + 1;
        else hi = mid - 1;
      }
      return -1;
    }
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compareAt(mid, term);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** First index whose term is >= `term`. */
  lowerBound(term: string): number {
    let lo = 0;
    let hi = this.length;
    const terms = this.materialised;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const less = terms ? (terms[mid] as string) < term : this.compareAt(mid, term) < 0;
      if (less) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Every term as a string (made once and kept: fuzzy queries and merges walk the whole list). */
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
    if (!this.materialised) return encoder.encode(this.text);
    return encoder.encode(this.materialised.join('\n'));
  }

  /** Rough heap footprint, for the cache accounting. */
  approxBytes(): number {
    return this.materialised ? this.length * 40 : this.text.length * 2 + this.length * 4;
  }
}
