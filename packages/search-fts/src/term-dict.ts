/**
 * A segment's sorted term list (JS string order, as built), with the lookups the query evaluator needs.
 *
 * Loaded segments decode the whole list into strings at load time. A lazy variant that kept only the
 * UTF-8 bytes and compared in place was measured (tools/bench/src/search/cold-probe.ts, 1,000 users,
 * 64 cached): it made V8 start 35–43 extra incremental full collections per 1,000 cold queries and
 * tripled the p99, against 0–1 with the eager list, so the eager list stays (docs/performance.md).
 */
const encoder = new TextEncoder();

export class TermDict {
  private constructor(private readonly terms: readonly string[]) {}

  static fromArray(terms: readonly string[]): TermDict {
    return new TermDict(terms);
  }

  get length(): number {
    return this.terms.length;
  }

  get(i: number): string {
    return this.terms[i] as string;
  }

  /** Index of `term`, or -1. */
  indexOf(term: string): number {
    const terms = this.terms;
    let lo = 0;
    let hi = terms.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = terms[mid] as string;
      if (t === term) return mid;
      if (t < term) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** First index whose term is >= `term`. */
  lowerBound(term: string): number {
    const terms = this.terms;
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((terms[mid] as string) < term) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  all(): readonly string[] {
    return this.terms;
  }

  /** The stored form: "\n"-joined UTF-8. */
  encode(): Uint8Array {
    return encoder.encode(this.terms.join('\n'));
  }

  /** Rough heap footprint, for the cache accounting. */
  approxBytes(): number {
    return this.terms.length * 40;
  }
}
