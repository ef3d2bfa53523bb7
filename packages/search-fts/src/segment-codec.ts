/**
 * Binary encoding of a segment (before compression). Layout, all integers little-endian:
 *
 *   "FFSG" | u32 version | u32 headerBytes | header JSON (UTF-8) | padding to 8 | sections…
 *
 * Each section is `u32 byteLength | u32 reserved | bytes | padding to 8`, in this order: ids (UTF-8,
 * "\n"-joined), timestamps ("\n"-joined), terms ("\n"-joined), content text, content offsets (u32),
 * session index (u32), role index (i32), types (u8), timestamps in ms (f64), lengths (u32), postings
 * start (u32), postings docs (u32), postings term frequencies (u16).
 *
 * Strings are stored as a few large UTF-8 blobs rather than JSON arrays so loading a segment is a
 * handful of `TextDecoder` calls and typed-array copies (a restart loads, it does not rebuild).
 */
import { FFCorruptionError } from '@ffdb/core-types';
import type { SegmentData } from './segment.js';

const MAGIC = [0x46, 0x46, 0x53, 0x47]; // "FFSG"
export const SEGMENT_FORMAT_VERSION = 1;

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
  const view = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const sections: Uint8Array[] = [
    enc.encode(d.ids.join('\n')),
    enc.encode(d.timestamps.join('\n')),
    enc.encode(d.terms.join('\n')),
    enc.encode(d.contentText),
    view(d.contentOffsets),
    view(d.sessionIdx),
    view(d.roleIdx),
    view(d.types),
    view(d.tsMs),
    view(d.lengths),
    view(d.postStart),
    view(d.postDocs),
    view(d.postTf),
  ];
  let size = pad8(12 + headerBytes.length);
  for (const s of sections) size += 8 + pad8(s.byteLength);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
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

export function decodeSegment(bytes: Uint8Array, key: string): SegmentData {
  const bad = (why: string): FFCorruptionError =>
    new FFCorruptionError(`index segment is unreadable: ${why}`, { key });
  if (bytes.byteLength < 12 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('bad magic');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== SEGMENT_FORMAT_VERSION) throw bad(`unknown format version ${version}`);
  const hLen = dv.getUint32(8, true);
  if (12 + hLen > bytes.byteLength) throw bad('truncated header');
  let header: Header;
  try {
    header = JSON.parse(dec.decode(bytes.subarray(12, 12 + hLen))) as Header;
  } catch (cause) {
    throw new FFCorruptionError('index segment header is not JSON', { key, cause });
  }
  let at = pad8(12 + hLen);
  const next = (): Uint8Array => {
    if (at + 8 > bytes.byteLength) throw bad('truncated section');
    const len = dv.getUint32(at, true);
    if (at + 8 + len > bytes.byteLength) throw bad('truncated section');
    const s = bytes.subarray(at + 8, at + 8 + len);
    at += 8 + pad8(len);
    return s;
  };
  // Copy into fresh buffers: aligned, and independent of the (large) decompressed block.
  const copy = (s: Uint8Array): ArrayBuffer => s.slice().buffer;
  const split = (s: Uint8Array): string[] => (s.byteLength === 0 ? [] : dec.decode(s).split('\n'));
  const n = header.n;
  const ids = split(next());
  const timestamps = split(next());
  const terms = split(next());
  const contentText = dec.decode(next());
  const data: SegmentData = {
    name: header.name,
    n,
    ids: n === 0 ? [] : ids,
    timestamps: n === 0 ? [] : timestamps,
    contentText,
    contentOffsets: new Uint32Array(copy(next())),
    sessionTable: header.sessionTable,
    sessionIdx: new Uint32Array(copy(next())),
    roleTable: header.roleTable,
    roleIdx: new Int32Array(copy(next())),
    types: new Uint8Array(copy(next())),
    tsMs: new Float64Array(copy(next())),
    lengths: new Uint32Array(copy(next())),
    titles: new Map(header.titles),
    metadata: new Map(header.metadata),
    terms,
    postStart: new Uint32Array(copy(next())),
    postDocs: new Uint32Array(copy(next())),
    postTf: new Uint16Array(copy(next())),
  };
  if (
    data.ids.length !== n ||
    data.contentOffsets.length !== n + 1 ||
    data.postStart.length !== terms.length + 1
  ) {
    throw bad('inconsistent section sizes');
  }
  return data;
}
