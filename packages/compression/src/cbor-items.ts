/**
 * A minimal CBOR (RFC 8949) item walker: reads item heads and skips whole items without building
 * values, so a reader can find the bytes of a few records in a block and hand only those to cbor-x.
 * Strings are skipped by their length head, never decoded.
 *
 * It is at least as strict as cbor-x's decoder on what it skips, so a block it walks through would
 * not make a full decode throw. Two kinds of failure:
 * - {@link CborDamage}: the bytes are not well-formed CBOR (truncated, reserved head, stray break);
 * - {@link NeedsFullDecode}: well-formed, but only a full decode knows what the item means or
 *   whether cbor-x accepts it (a cbor-x record definition, any tag other than a reference to a known
 *   record structure, a map key that is not a string or number, an indefinite-length string, a
 *   simple value other than false/true/null/undefined, deep nesting). The caller decodes the block
 *   whole then.
 */
export class CborDamage extends Error {}
export class NeedsFullDecode extends Error {}

/** Nesting of maps and indefinite-length arrays the walker recurses into before it gives up. */
const MAX_DEPTH = 256;

/** cbor-x record references: tag 0xe000 + structure id (the structures table travels in the block). */
const RECORD_TAG_MIN = 0xe000;
const RECORD_TAG_MAX = 0xffff;

/** The walker's position and the last head it read (fields, not a returned object: no allocation). */
export class CborWalker {
  pos: number;
  /** Major type (0..7) of the last head. */
  major = 0;
  /** Additional information (low 5 bits) of the last head. */
  ai = 0;
  /** Argument of the last head: the value, length or count; -1 for an indefinite length or a break. */
  arg = 0;
  private depth = 0;

  /**
   * @param recordKeys key count of each entry of the block's structures table (empty without
   *   records): a record reference to another id is left to the full decoder.
   */
  constructor(
    readonly data: Uint8Array,
    pos: number,
    readonly end: number,
    readonly recordKeys: readonly number[] = [],
  ) {
    this.pos = pos;
  }

  /** Reads one item head at `pos` (sets `major`, `ai` and `arg`, advances past the head). */
  head(): void {
    const d = this.data;
    const p = this.pos;
    if (p >= this.end) throw new CborDamage('truncated');
    const b = d[p] as number;
    const major = b >> 5;
    const ai = b & 31;
    this.major = major;
    this.ai = ai;
    if (ai < 24) {
      this.arg = ai;
      this.pos = p + 1;
      return;
    }
    let size: number;
    if (ai === 24) size = 1;
    else if (ai === 25) size = 2;
    else if (ai === 26) size = 4;
    else if (ai === 27) size = 8;
    else if (ai === 31) {
      // Indefinite length (strings, arrays, maps) or "break" (major 7); not allowed for integers and tags.
      if (major === 0 || major === 1 || major === 6) throw new CborDamage('indefinite integer or tag');
      this.arg = -1;
      this.pos = p + 1;
      return;
    } else throw new CborDamage('reserved head');
    if (p + 1 + size > this.end) throw new CborDamage('truncated');
    let v = 0;
    for (let i = 1; i <= size; i++) v = v * 256 + (d[p + i] as number);
    this.arg = v;
    this.pos = p + 1 + size;
  }

  /** Reads a head that must be a definite-length array and returns its length. */
  arrayHead(): number {
    this.head();
    if (this.major !== 4) throw new CborDamage('expected an array');
    if (this.arg === -1) throw new NeedsFullDecode('indefinite array');
    return this.arg;
  }

  /** Reads an integer item; single-byte heads (0..23, -1..-24) take a fast path. */
  int(): number {
    const p = this.pos;
    if (p < this.end) {
      const b = this.data[p] as number;
      if (b < 0x18) {
        this.pos = p + 1;
        return b;
      }
      if (b >= 0x20 && b < 0x38) {
        this.pos = p + 1;
        return 0x1f - b;
      }
    }
    this.head();
    if (this.major === 0) return this.arg;
    if (this.major === 1) return -1 - this.arg;
    throw new CborDamage('expected an integer');
  }

  /**
   * Skips `n` whole items. Definite-length arrays and record references are not recursed into:
   * their items are added to the count still to skip (nesting costs no stack). Each step consumes at
   * least one byte, so a hostile count ends at the end of the data as "truncated".
   */
  skip(n: number): void {
    const d = this.data;
    const end = this.end;
    let left = n;
    while (left > 0) {
      left--;
      const p = this.pos;
      if (p >= end) throw new CborDamage('truncated');
      const b = d[p] as number;
      // Fast paths for what columns are made of: small ints, short text heads, small arrays
      // (cbor-x record values), false/true/null/undefined.
      if (b < 0x18 || (b >= 0x20 && b < 0x38) || (b >= 0xf4 && b <= 0xf7)) {
        this.pos = p + 1;
        continue;
      }
      if (b >= 0x60 && b < 0x78) {
        this.bytesAt(p + 1, b - 0x60);
        continue;
      }
      if (b === 0x78 && p + 1 < end) {
        this.bytesAt(p + 2, d[p + 1] as number);
        continue;
      }
      if (b === 0x79 && p + 2 < end) {
        this.bytesAt(p + 3, ((d[p + 1] as number) << 8) | (d[p + 2] as number));
        continue;
      }
      if (b >= 0x80 && b < 0x98) {
        this.pos = p + 1;
        left += b - 0x80;
        continue;
      }
      this.head();
      const major = this.major;
      const arg = this.arg;
      if (major === 0 || major === 1) continue;
      if (major === 2 || major === 3) {
        // cbor-x does not read indefinite-length strings.
        if (arg === -1) throw new NeedsFullDecode('indefinite string');
        this.bytes(arg);
      } else if (major === 4) {
        if (arg === -1) this.nested(() => this.skipUntilBreak());
        else {
          if (arg > end - this.pos) throw new CborDamage('truncated');
          left += arg;
        }
      } else if (major === 5) {
        this.nested(() => this.skipMap(arg));
      } else if (major === 6) {
        this.recordTag(arg);
        left += 1;
      } else this.simple(arg);
    }
  }

  private nested(walk: () => void): void {
    if (this.depth >= MAX_DEPTH) throw new NeedsFullDecode('deep nesting');
    this.depth++;
    try {
      walk();
    } finally {
      this.depth--;
    }
  }

  /** Items of an indefinite-length array (its head read) up to and including the break. */
  private skipUntilBreak(): void {
    for (;;) {
      if (this.pos >= this.end) throw new CborDamage('truncated');
      if (this.data[this.pos] === 0xff) {
        this.pos++;
        return;
      }
      this.skip(1);
    }
  }

  /**
   * Pairs of a map (its head read; `pairs` -1 for indefinite). cbor-x turns maps into objects and
   * throws on keys that are neither strings nor numbers, so any other key goes to the full decoder.
   */
  private skipMap(pairs: number): void {
    if (pairs !== -1 && pairs * 2 > this.end - this.pos) throw new CborDamage('truncated');
    for (let i = 0; pairs === -1 || i < pairs; i++) {
      if (pairs === -1) {
        if (this.pos >= this.end) throw new CborDamage('truncated');
        if (this.data[this.pos] === 0xff) {
          this.pos++;
          return;
        }
      }
      this.head();
      if (this.major === 3 && this.arg !== -1) this.bytes(this.arg);
      else if (this.major !== 0 && this.major !== 1) throw new NeedsFullDecode('map key');
      this.skip(1);
    }
  }

  /**
   * After a tag head: a cbor-x record reference to a known structure is walked (its values array
   * follows and is counted as the next item); any other tag is left to the full decoder, which knows
   * what it means (or rejects it). A record definition (0xdfff) lands here too.
   * cbor-x writes at most as many values as the structure has keys (fewer when it extended a key
   * list after writing the record); more values would make cbor-x's readers disagree with each
   * other (their result then depends on what was decoded before), so that is damage.
   */
  private recordTag(tag: number): void {
    const keys = this.recordKeys[tag - RECORD_TAG_MIN];
    if (tag < RECORD_TAG_MIN || tag > RECORD_TAG_MAX || keys === undefined) throw new NeedsFullDecode('tag');
    const at = this.pos;
    this.head();
    if (this.major !== 4 || this.arg === -1 || this.arg > keys) {
      throw new CborDamage('record values do not match its structure');
    }
    this.pos = at;
  }

  /** Major 7 (head read): floats, and the simple values cbor-x reads (false/true/null/undefined). */
  private simple(arg: number): void {
    if (arg === -1) throw new CborDamage('unexpected break');
    const ai = this.ai;
    if (ai === 25 || ai === 26 || ai === 27) return;
    if (ai >= 20 && ai <= 23) return;
    if (ai === 24 && arg >= 20 && arg <= 23) return;
    throw new NeedsFullDecode('simple value');
  }

  private bytes(n: number): void {
    this.bytesAt(this.pos, n);
  }

  private bytesAt(at: number, n: number): void {
    if (n > this.end - at) throw new CborDamage('truncated');
    this.pos = at + n;
  }
}
