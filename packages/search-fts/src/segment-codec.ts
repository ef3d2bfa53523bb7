/**
 * On-disk form of a segment.
 *
 * Raw layout (all integers little-endian):
 *   "FFSG" | u32 version | u32 headerBytes | header JSON (UTF-8) | padding to 8 | sections…
 * Each section is `u32 byteLength | u32 reserved | bytes | padding to 8`, in this order: id bytes, id
 * offsets (u32), timestamp bytes, timestamp offsets, terms ("\n"-joined UTF-8), content offsets,
 * session index (u32), role index (i32), types (u8), timestamps in ms (f64), lengths (u32), postings
 * start (u32), postings docs (u32), postings term frequencies (u16), and last the content bytes.
 *
 * Loading creates typed-array *views* over the decompressed bytes (every section is 8-aligned), so a
 * restart costs a read, a decompression and the split of the term list; nothing is rebuilt. The
 * content bytes come last and their compressed chunks are only decompressed when a hit needs them
 * (contents are over half of a segment), so a first query after a restart pays for the index part.
 *
 * Blob layout (what is stored): "FFSC" | u32 version | u32 chunkCount | u32 rawBytes | compressor id
 * (u8 length + ASCII) | chunks of `u32 rawLen | u32 storedLen | bytes`. The raw segment is compressed
 * in chunks of 256 KiB, yielding to the event loop every few milliseconds, so writing a 100k-message segment
 * never blocks appends for the whole compression.
 */
import { type Compressor, FFCorruptionError } from '@ffdb/core-types';
import type { BufferPool } from './buffer-pool.js';
import type { SegmentData } from './segment.js';
import { StringColumn } from './string-column.js';
import { TermDict } from './term-dict.js';

const SEGMENT_MAGIC = [0x46, 0x46, 0x53, 0x47]; // "FFSG"
const BLOB_MAGIC = [0x46, 0x46, 0x53, 0x43]; // "FFSC"
export const SEGMENT_FORMAT_VERSION = 1;
const CHUNK_BYTES = 256 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Header {
  name: string;
  n: number;
  sessionTable: string[];
  roleTable: string[];
  titles: [number, string][];
  metadata: [number, Record<string, unknown>][];
}

const pad8 = (n: number): number => (n + 7) & ~7;
const view = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function encodeSegment(d: SegmentData): Uint8Array {
  const header: Header = {
    name: d.name,
    n: d.n,
    sessionTable: d.sessionTable,
    roleTable: d.roleTable,
    titles: [...d.titles],
    metadata: [...d.metadata],
  };
  const headerBytes = enc.encode(JSON.stringify(header));
  const sections: Uint8Array[] = [
    d.ids.bytes,
    view(d.ids.offsets),
    d.timestamps.bytes,
    view(d.timestamps.offsets),
    d.terms.encode(),
    view(d.contents.offsets),
    view(d.sessionIdx),
    view(d.roleIdx),
    view(d.types),
    view(d.tsMs),
    view(d.lengths),
    view(d.postStart),
    view(d.postDocs),
    view(d.postTf),
    d.contents.bytes,
  ];
  let size = pad8(12 + headerBytes.length);
  for (const s of sections) size += 8 + pad8(s.byteLength);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(SEGMENT_MAGIC, 0);
  dv.setUint32(4, SEGMENT_FORMAT_VERSION, true);
  dv.setUint32(8, headerBytes.length, true);
  out.set(headerBytes, 12);
  let at = pad8(12 + headerBytes.length);
  for (const s of sections) {
    dv.setUint32(at, s.byteLength, true);
    out.set(s, at + 8);
    at += 8 + pad8(s.byteLength);
  }
  return out;
}

/**
 * A segment's sections as views over `input`. With a `pool`, the deletion bitmap comes from it and is
 * recorded in `lazy.owned` (released with the raw buffer when the segment is unloaded).
 */
export function decodeSegment(input: Uint8Array | LazyRaw, key: string, pool?: BufferPool): SegmentData {
  const bad = (why: string): FFCorruptionError =>
    new FFCorruptionError(`index segment is unreadable: ${why}`, { key });
  const lazy: LazyRaw =
    input instanceof Uint8Array
      ? // Views need 8-byte alignment of the whole buffer; copy once if it is not aligned.
        { bytes: input.byteOffset % 8 === 0 ? input : input.slice(), ensure: () => undefined, owned: [] }
      : input;
  const bytes = lazy.bytes;
  lazy.ensure(0, Math.min(12, bytes.byteLength));
  if (bytes.byteLength < 12 || SEGMENT_MAGIC.some((b, i) => bytes[i] !== b)) throw bad('bad magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SEGMENT_FORMAT_VERSION) throw bad(`unknown format version ${version}`);
  const hLen = dv.getUint32(8, true);
  if (12 + hLen > bytes.byteLength) throw bad('truncated header');
  lazy.ensure(12, 12 + hLen);
  let header: Header;
  try {
    header = JSON.parse(dec.decode(bytes.subarray(12, 12 + hLen))) as Header;
  } catch (cause) {
    throw new FFCorruptionError('index segment header is not JSON', { key, cause });
  }
  let at = pad8(12 + hLen);
  const next = (load = true): { offset: number; length: number } => {
    if (at + 8 > bytes.byteLength) throw bad('truncated section');
    lazy.ensure(at, at + 8);
    const length = dv.getUint32(at, true);
    if (at + 8 + length > bytes.byteLength) throw bad('truncated section');
    if (load) lazy.ensure(at + 8, at + 8 + length);
    const offset = bytes.byteOffset + at + 8;
    at += 8 + pad8(length);
    return { offset, length };
  };
  const buf = bytes.buffer;
  const u8 = () => {
    const s = next();
    return new Uint8Array(buf, s.offset, s.length);
  };
  const u32 = () => {
    const s = next();
    return new Uint32Array(buf, s.offset, s.length / 4);
  };
  const n = header.n;
  const ids = new StringColumn(u8(), u32());
  const timestamps = new StringColumn(u8(), u32());
  const termBytes = u8();
  const contentOffsets = u32();
  const sessionIdx = u32();
  const roleSec = next();
  const typeSec = next();
  const tsSec = next();
  const lengths = u32();
  const postStart = u32();
  const postDocs = u32();
  const tfSec = next();
  const contentSec = next(false);
  const terms = TermDict.fromArray(termBytes.byteLength === 0 ? [] : dec.decode(termBytes).split('\n'));
  // The deletion bitmap comes from the pool too (zeroed), so a load allocates no buffer of its own.
  const deleted = pool ? pool.acquire(n) : new Uint8Array(n);
  if (pool) lazy.owned.push(deleted);
  lazy.deleted = deleted;
  const base = contentSec.offset - bytes.byteOffset;
  const contents = new StringColumn(
    new Uint8Array(buf, contentSec.offset, contentSec.length),
    contentOffsets,
    (from, to) => lazy.ensure(base + from, base + to),
  );
  const data: SegmentData = {
    name: header.name,
    n,
    ids,
    timestamps,
    contents,
    sessionTable: header.sessionTable,
    sessionIdx,
    roleTable: header.roleTable,
    roleIdx: new Int32Array(buf, roleSec.offset, roleSec.length / 4),
    types: new Uint8Array(buf, typeSec.offset, typeSec.length),
    tsMs: new Float64Array(buf, tsSec.offset, tsSec.length / 8),
    lengths,
    titles: new Map(header.titles),
    metadata: new Map(header.metadata),
    terms,
    postStart,
    postDocs,
    postTf: new Uint16Array(buf, tfSec.offset, tfSec.length / 2),
  };
  if (
    ids.length !== n ||
    contents.length !== n ||
    timestamps.length !== n ||
    data.tsMs.length !== n ||
    data.postStart.length !== terms.length + 1 ||
    data.postDocs.length !== data.postTf.length ||
    (contentOffsets[n] ?? 0) > contentSec.length
  ) {
    throw bad('inconsistent section sizes');
  }
  return data;
}

/** A decompressed segment whose chunks are decompressed on demand. */
export interface LazyRaw {
  bytes: Uint8Array;
  /** Make `bytes[from, to)` valid. */
  ensure(from: number, to: number): void;
  /** Pooled buffers (the raw bytes among them) to hand back when the segment is unloaded. */
  owned: Uint8Array[];
  /** A zeroed deletion bitmap of the segment's size, set by `decodeSegment`. */
  deleted?: Uint8Array;
}

// ----------------------------------------------------------------------------- compressed blob

const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Compress a raw segment in chunks (yielding between chunks) into the stored blob. */
export async function packSegment(raw: Uint8Array, compressor: Compressor | undefined): Promise<Uint8Array> {
  const id = enc.encode(compressor?.id ?? 'none');
  const chunks: { rawLen: number; data: Uint8Array }[] = [];
  let lastYield = performance.now();
  for (let at = 0; at < raw.byteLength; at += CHUNK_BYTES) {
    const part = raw.subarray(at, Math.min(raw.byteLength, at + CHUNK_BYTES));
    chunks.push({ rawLen: part.byteLength, data: compressor ? compressor.compress(part) : part });
    if (performance.now() - lastYield > 8) {
      await yieldLoop();
      lastYield = performance.now();
    }
  }
  let size = 16 + 1 + id.byteLength;
  for (const c of chunks) size += 8 + c.data.byteLength;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(BLOB_MAGIC, 0);
  dv.setUint32(4, SEGMENT_FORMAT_VERSION, true);
  dv.setUint32(8, chunks.length, true);
  dv.setUint32(12, raw.byteLength, true);
  out[16] = id.byteLength;
  out.set(id, 17);
  let at = 17 + id.byteLength;
  for (const c of chunks) {
    dv.setUint32(at, c.rawLen, true);
    dv.setUint32(at + 4, c.data.byteLength, true);
    out.set(c.data, at + 8);
    at += 8 + c.data.byteLength;
  }
  return out;
}

/**
 * The raw segment of a stored blob, decompressed lazily chunk by chunk (into one aligned buffer):
 * `decodeSegment` asks for the index sections; content chunks wait until a hit needs them.
 */
export function unpackSegment(
  blob: Uint8Array,
  compressor: Compressor | undefined,
  key: string,
  pool?: BufferPool,
): LazyRaw {
  const bad = (why: string): FFCorruptionError =>
    new FFCorruptionError(`index segment is unreadable: ${why}`, { key });
  if (blob.byteLength < 17 || BLOB_MAGIC.some((b, i) => blob[i] !== b)) throw bad('bad magic');
  const dv = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const count = dv.getUint32(8, true);
  const rawBytes = dv.getUint32(12, true);
  const idLen = blob[16] as number;
  const id = dec.decode(blob.subarray(17, 17 + idLen));
  if (id !== 'none' && (!compressor || compressor.id !== id)) throw bad(`needs the ${id} compressor`);
  // Chunk directory: raw start, stored offset and length of every chunk.
  const rawStart: number[] = [];
  const storedAt: number[] = [];
  const storedLen: number[] = [];
  let at = 17 + idLen;
  let raw = 0;
  for (let i = 0; i < count; i++) {
    if (at + 8 > blob.byteLength) throw bad('truncated chunk');
    const rawLen = dv.getUint32(at, true);
    const len = dv.getUint32(at + 4, true);
    if (at + 8 + len > blob.byteLength) throw bad('truncated chunk');
    rawStart.push(raw);
    storedAt.push(at + 8);
    storedLen.push(len);
    raw += rawLen;
    at += 8 + len;
  }
  if (raw !== rawBytes) throw bad('missing chunks');
  rawStart.push(raw);
  // Pooled buffers are zeroed when reused: bytes of a chunk not yet decompressed are never stale.
  const owned: Uint8Array[] = [];
  const out = pool ? pool.acquire(rawBytes) : new Uint8Array(rawBytes);
  if (pool) owned.push(out);
  const done = new Uint8Array(count);
  // The compressed blob is kept only while some chunk is still compressed. With a pool it is copied
  // into a pooled buffer: the storage read's own buffer then dies young (a scavenge frees it), where a
  // blob kept for as long as the user is cached would be promoted and need a full GC to be freed.
  let source: Uint8Array | null = blob;
  if (pool && count > 0) {
    source = pool.acquire(blob.byteLength);
    source.set(blob);
    owned.push(source);
  }
  let loaded = 0;
  const load = (i: number): void => {
    const stored = (source as Uint8Array).subarray(
      storedAt[i] as number,
      (storedAt[i] as number) + (storedLen[i] as number),
    );
    const part = id === 'none' ? stored : (compressor as Compressor).decompress(stored);
    if (part.byteLength !== (rawStart[i + 1] as number) - (rawStart[i] as number))
      throw bad('chunk size mismatch');
    out.set(part, rawStart[i] as number);
    done[i] = 1;
    if (++loaded === count) {
      // Every chunk is decompressed: the pooled copy of the blob can serve the next load right away.
      if (pool && source !== blob) {
        owned.splice(owned.indexOf(source as Uint8Array), 1);
        pool.release(source as Uint8Array);
      }
      source = null;
    }
  };
  return {
    bytes: out,
    owned,
    ensure(from: number, to: number): void {
      if (to <= from) return;
      for (let i = Math.floor(from / CHUNK_BYTES); i < count && (rawStart[i] as number) < to; i++)
        if (!done[i]) load(i);
    },
  };
}
