/**
 * A column of strings stored as UTF-8 bytes plus offsets. Segments keep ids, timestamps and contents
 * this way: loading a segment is then a view over its decompressed bytes (no decoding of 100k
 * strings), and only the strings of returned hits are ever decoded.
 */
const decoder = new TextDecoder();
const encoder = new TextEncoder();

export class StringColumn {
  constructor(
    readonly bytes: Uint8Array,
    /** `length + 1` byte offsets. */
    readonly offsets: Uint32Array,
    /** Makes `bytes[from, to)` available (lazy decompression of a loaded segment's contents). */
    private readonly ensure?: (from: number, to: number) => void,
  ) {}
  get length(): number {
    return this.offsets.length - 1;
  }
  get(i: number): string {
    return decoder.decode(this.raw(i));
  }
  raw(i: number): Uint8Array {
    const from = this.offsets[i] ?? 0;
    const to = this.offsets[i + 1] ?? 0;
    this.ensure?.(from, to);
    return this.bytes.subarray(from, to);
  }
  byteSize(): number {
    return this.bytes.byteLength + this.offsets.byteLength;
  }
}

export class StringColumnBuilder {
  private bytes: Uint8Array;
  private readonly offsets: Uint32Array;
  private at = 0;
  private count = 0;

  constructor(n: number, expectedBytes = 64) {
    this.bytes = new Uint8Array(Math.max(64, expectedBytes));
    this.offsets = new Uint32Array(n + 1);
  }
  private ensure(extra: number): void {
    if (this.at + extra <= this.bytes.length) return;
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.at + extra));
    next.set(this.bytes.subarray(0, this.at));
    this.bytes = next;
  }
  push(s: string): void {
    this.ensure(s.length * 3);
    this.at += encoder.encodeInto(s, this.bytes.subarray(this.at)).written;
    this.offsets[++this.count] = this.at;
  }
  pushRaw(b: Uint8Array): void {
    this.ensure(b.byteLength);
    this.bytes.set(b, this.at);
    this.at += b.byteLength;
    this.offsets[++this.count] = this.at;
  }
  finish(): StringColumn {
    return new StringColumn(this.bytes.slice(0, this.at), this.offsets);
  }
}
