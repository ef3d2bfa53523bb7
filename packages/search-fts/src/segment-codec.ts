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
 * Segment format 2 stores the postings narrow when they fit (doc numbers as u16 when the segment has at
 * most 65,536 documents, term frequencies as u8 when all are below 256; `docWidth`/`tfWidth` in the
 * header). Format 1 (always u32/u16) is still read.
 *
 * Blob layout (what is stored): "FFSC" | u32 version | u32 chunkCount | u32 rawBytes | compressor id
 * (u8 length + ASCII) | chunks of `u32 rawLen | u32 storedLen | bytes`. The raw segment is compressed
 * in chunks, yielding to the event loop every few milliseconds, so writing a 100k-message segment never
 * blocks appends for the whole compression. Blob version 1: chunks of 256 KiB, all compressed. Blob
 * version 2: a chunk whose `storedLen === rawLen` is stored uncompressed (a compressed chunk is only kept
 * when strictly smaller). Everything before the content bytes (the index part, read by every load) is
 * stored uncompressed in chunks of 256 KiB unless `compressIndex` is set; the contents are compressed in
 * chunks of 32 KiB, so a hit decompresses the small chunk holding its text and not a quarter megabyte.
 * Why: with many users and a small cache most queries load a segment first, and decompressing the index
 * part cost ~0.3 ms of lz4 plus a fresh output buffer (garbage) per load, while reading it uncompressed
 * costs a copy (docs/performance.md, Search, "Cold loads").
 */
import { type Compressor, FFCorruptionError } from '@ffdb/core-types';
import type { BufferPool } from './buffer-pool.js';
import type { SegmentData } from './segment.js';
import { StringColumn } from './string-column.js';
import { TermDict } from './term-dict.js';

const SEGMENT_MAGIC = [0x46, 0x46, 0x53, 0x47]; // "FFSG"
const BLOB_MAGIC = [0x46, 0x46, 0x53, 0x43]; // "FFSC"
export const SEGMENT_FORMAT_VERSION = 2;
const BLOB_FORMAT_VERSION = 2;
/** Chunk size of the index part (and of every chunk of a version-1 blob). */
const CHUNK_BYTES = 256 * 1024;
/** Chunk size of the compressed contents. */
const CONTENT_CHUNK_BYTES = 32 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

interface Header {
  name: string;
  n: number;
  sessionTable: string[];
  roleTable: string[];
  titles: [number, string][];
  metadata: [number, Record<string, unknown>][];
  /** Bytes per stored doc number (2 or 4; absent in format 1: 4). */
  docWidth?: number;
  /** Bytes per stored term frequency (1 or 2; absent in format 1: 2). */
  tfWidth?: number;
}

const pad8 = (n: number): number => (n + 7) & ~7;
/** Sections of a raw segment (see the layout above); the content bytes are the last. */
const SECTION_COUNT = 15;
const view = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The narrowest stored form of the postings (see the file comment). */
function narrowPostings(d: SegmentData): {
  docs: ArrayBufferView;
  tfs: ArrayBufferView;
  dw: number;
  tw: number;
} {
  const docs =
    d.n <= 0x10000 && !(d.postDocs instanceof Uint16Array) ? Uint16Array.from(d.postDocs) : d.postDocs;
  let maxTf = 0;
  for (let i = 0; i < d.postTf.length; i++)
    if ((d.postTf[i] as number) > maxTf) maxTf = d.postTf[i] as number;
  const tfs = maxTf < 256 && !(d.postTf instanceof Uint8Array) ? Uint8Array.from(d.postTf) : d.postTf;
  return { docs, tfs, dw: docs.BYTES_PER_ELEMENT, tw: tfs.BYTES_PER_ELEMENT };
}

export function encodeSegment(d: SegmentData): Uint8Array {
  const post = narrowPostings(d);
  const header: Header = {
    name: d.name,
    n: d.n,
    sessionTable: d.sessionTable,
    roleTable: d.roleTable,
    titles: [...d.titles],
    metadata: [...d.metadata],
    docWidth: post.dw,
    tfWidth: post.tw,
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
    view(post.docs),
    view(post.tfs),
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
 * A segment's sections as views over `input`. With a `pool`, the term offsets and the deletion bitmap come from it and are
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
  if (version !== 1 && version !== SEGMENT_FORMAT_VERSION) throw bad(`unknown format version ${version}`);
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
  const docWidth = version === 1 ? 4 : header.docWidth;
  const tfWidth = version === 1 ? 2 : header.tfWidth;
  if ((docWidth !== 2 && docWidth !== 4) || (tfWidth !== 1 && tfWidth !== 2)) throw bad('bad postings width');
  const docSec = next();
  const postDocs =
    docWidth === 2
      ? new Uint16Array(buf, docSec.offset, docSec.length / 2)
      : new Uint32Array(buf, docSec.offset, docSec.length / 4);
  const tfSec = next();
  const contentSec = next(false);
  // Term offsets are found by one scan of the term bytes; the strings are decoded on lookup only.
  const termCount = Math.max(0, postStart.length - 1);
  // One auxiliary buffer holds the term offsets and the deletion bitmap (pooled like the raw bytes), so
  // a load allocates no buffer of its own.
  const startsBytes = pad8((termCount + 1) * 4);
  const aux = pool ? pool.acquire(startsBytes + n) : new Uint8Array(startsBytes + n);
  if (pool) lazy.owned.push(aux);
  lazy.deleted = aux.subarray(startsBytes, startsBytes + n);
  const terms = TermDict.fromBytes(
    termBytes,
    termCount,
    new Uint32Array(aux.buffer, aux.byteOffset, termCount + 1),
  );
  if (!terms) throw bad('term list does not match the postings');
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
    postTf:
      tfWidth === 1
        ? new Uint8Array(buf, tfSec.offset, tfSec.length)
        : new Uint16Array(buf, tfSec.offset, tfSec.length / 2),
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

/** Byte offset of the content bytes in a raw segment (the index part is everything before it). */
function contentStart(raw: Uint8Array): number {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = pad8(12 + dv.getUint32(8, true));
  for (let s = 0; s < SECTION_COUNT - 1; s++) at += 8 + pad8(dv.getUint32(at, true));
  return at + 8;
}

/**
 * Compress a raw segment in chunks (yielding between chunks) into the stored blob. The index part is
 * stored uncompressed unless `compressIndex` (see the file comment).
 */
export async function packSegment(
  raw: Uint8Array,
  compressor: Compressor | undefined,
  options: { compressIndex?: boolean } = {},
): Promise<Uint8Array> {
  const id = enc.encode(compressor?.id ?? 'none');
  const chunks: { rawLen: number; data: Uint8Array }[] = [];
  const split = compressor ? Math.min(raw.byteLength, contentStart(raw)) : raw.byteLength;
  let lastYield = performance.now();
  const add = (from: number, to: number, size: number, compress: boolean): Promise<void> | undefined => {
    for (let at = from; at < to; at += size) {
      const part = raw.subarray(at, Math.min(to, at + size));
      let data = part;
      if (compress && compressor) {
        const packed = compressor.compress(part);
        if (packed.byteLength < part.byteLength) data = packed; // else stored as is (storedLen === rawLen)
      }
      chunks.push({ rawLen: part.byteLength, data });
      if (performance.now() - lastYield > 8) {
        return yieldLoop().then(() => {
          lastYield = performance.now();
          return add(at + size, to, size, compress);
        });
      }
    }
    return undefined;
  };
  await add(0, split, CHUNK_BYTES, options.compressIndex === true);
  await add(split, raw.byteLength, CONTENT_CHUNK_BYTES, true);
  let size = 16 + 1 + id.byteLength;
  for (const c of chunks) size += 8 + c.data.byteLength;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(BLOB_MAGIC, 0);
  dv.setUint32(4, BLOB_FORMAT_VERSION, true);
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
  const blobVersion = dv.getUint32(4, true);
  if (blobVersion !== 1 && blobVersion !== BLOB_FORMAT_VERSION)
    throw bad(`unknown blob version ${blobVersion}`);
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
  return lazyChunks(
    blob,
    { rawBytes, count, rawStart, storedAt, storedLen },
    id === 'none' ? undefined : compressor,
    blobVersion,
    key,
    pool,
  );
}

interface ChunkDirectory {
  rawBytes: number;
  count: number;
  rawStart: number[];
  storedAt: number[];
  storedLen: number[];
}

/**
 * Chunks stored as is (the index part of a version-2 blob) are copied into the raw buffer at once:
 * `decodeSegment` needs them anyway. The compressed ones (the contents) are kept until a hit needs
 * them: with a pool, only that stretch of the blob is copied, into a pooled buffer, so the storage
 * read's own buffer dies young (a scavenge frees it), where a blob kept for as long as the user is
 * cached would be promoted and need a full GC to be freed. `blob` is only used in this function's body:
 * a closure that could see it would keep the storage read's buffer alive through the context.
 */
function lazyChunks(
  blob: Uint8Array,
  dir: ChunkDirectory,
  compressor: Compressor | undefined,
  blobVersion: number,
  key: string,
  pool: BufferPool | undefined,
): LazyRaw {
  const { count, rawStart, storedAt, storedLen } = dir;
  const mismatch = (): FFCorruptionError =>
    new FFCorruptionError('index segment is unreadable: chunk size mismatch', { key });
  // Pooled buffers are zeroed when reused: bytes of a chunk not yet decompressed are never stale.
  const owned: Uint8Array[] = [];
  const out = pool ? pool.acquire(dir.rawBytes) : new Uint8Array(dir.rawBytes);
  if (pool) owned.push(out);
  const done = new Uint8Array(count);
  let loaded = 0;
  let first = count; // the first compressed chunk
  for (let i = 0; i < count; i++) {
    const rawLen = (rawStart[i + 1] as number) - (rawStart[i] as number);
    const len = storedLen[i] as number;
    // Version 2 stores a chunk as is when compressing did not make it smaller.
    if (!compressor || (blobVersion === 2 && len === rawLen)) {
      if (len !== rawLen) throw mismatch();
      const at = storedAt[i] as number;
      out.set(blob.subarray(at, at + len), rawStart[i] as number);
      done[i] = 1;
      loaded++;
    } else if (first === count) first = i;
  }
  const base = first < count ? (storedAt[first] as number) : 0;
  let source: Uint8Array | null = null;
  const pooledSource = first < count && pool !== undefined;
  if (first < count) {
    if (pool) {
      source = pool.acquire(blob.byteLength - base);
      source.set(blob.subarray(base));
      owned.push(source);
    } else source = blob.subarray(base);
  }
  const load = (i: number): void => {
    const at = (storedAt[i] as number) - base;
    const stored = (source as Uint8Array).subarray(at, at + (storedLen[i] as number));
    const part = (compressor as Compressor).decompress(stored);
    if (part.byteLength !== (rawStart[i + 1] as number) - (rawStart[i] as number)) throw mismatch();
    out.set(part, rawStart[i] as number);
    done[i] = 1;
    if (++loaded === count) {
      // Every chunk is decompressed: the pooled copy can serve the next load right away.
      if (pool && pooledSource) {
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
      // First chunk ending after `from` (chunks differ in size: binary search the raw starts).
      let lo = 0;
      let hi = count;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((rawStart[mid + 1] as number) <= from) lo = mid + 1;
        else hi = mid;
      }
      for (let i = lo; i < count && (rawStart[i] as number) < to; i++) if (!done[i]) load(i);
    },
  };
}
