import { CborDamage, CborWalker } from './cbor-items.js';

/** Decodes one CBOR item (cbor-x, with the block's structures). */
export type DecodeItem = (bytes: Uint8Array) => unknown;

/**
 * Records `from` .. `from + count - 1` of a row-major body (one CBOR array of records): the records
 * before the range are skipped item by item, the range is decoded in one call, the rest is walked
 * to check the body ends where the block ends.
 */
export function rowRange(
  data: Uint8Array,
  start: number,
  from: number,
  count: number,
  decodeItem: DecodeItem,
  recordKeys: readonly number[],
): { total: number; records: unknown[] | undefined } {
  const w = new CborWalker(data, start, data.length, recordKeys);
  const total = w.arrayHead();
  if (from + count > total) return { total, records: undefined };
  w.skip(from);
  const a = w.pos;
  w.skip(count);
  const b = w.pos;
  w.skip(total - from - count);
  if (w.pos !== data.length) throw new CborDamage('bytes after the body');
  return { total, records: count === 0 ? [] : decodeSpans(data, count, [a, b], decodeItem) };
}

/**
 * Records `from` .. `from + count - 1` of a columnar body `[shapes, order, columns, others]` (see
 * columnar-layout.ts). The whole body is walked (item heads only) and checked the way `fromColumns`
 * checks it; only the range's items of each column (and of `others`) are decoded.
 */
export function columnarRange(
  data: Uint8Array,
  start: number,
  from: number,
  count: number,
  decodeItem: DecodeItem,
  recordKeys: readonly number[],
): { total: number; records: unknown[] | undefined } {
  const w = new CborWalker(data, start, data.length, recordKeys);
  if (w.arrayHead() !== 4) throw new CborDamage('columnar block is not [shapes, order, columns, others]');

  // shapes: one key list per shape (decoded below, with the range's values).
  const shapesAt = w.pos;
  const nShapes = w.arrayHead();
  const nKeys: number[] = new Array(nShapes);
  for (let s = 0; s < nShapes; s++) {
    const n = w.arrayHead();
    nKeys[s] = n;
    w.skip(n);
  }
  // The bytes of every item to decode, as [start, end) pairs: the shapes, then per shape and key the
  // range's values of that column, then the range's `others`. One cbor-x call decodes them all.
  const spans: number[] = [shapesAt, w.pos];

  // order: the shape of every record (-1: kept whole in `others`).
  const total = w.arrayHead();
  if (from + count > total) return { total, records: undefined };
  // Plain arrays, not typed ones: a typed array allocation costs more than this whole loop.
  const order: number[] = new Array(count);
  const before: number[] = new Array(nShapes + 1).fill(0); // per shape (last: others), records before `from`
  const within: number[] = new Array(nShapes + 1).fill(0); // … and inside the range
  const sizes: number[] = new Array(nShapes + 1).fill(0); // … and in the whole block
  const end = from + count;
  for (let i = 0; i < total; i++) {
    const s = w.int();
    if (s < -1 || s >= nShapes) throw new CborDamage('columnar block references a bad shape');
    const slot = s === -1 ? nShapes : s;
    sizes[slot] = (sizes[slot] as number) + 1;
    if (i < from) before[slot] = (before[slot] as number) + 1;
    else if (i < end) {
      within[slot] = (within[slot] as number) + 1;
      order[i - from] = s;
    }
  }

  // columns: columns[s][k] holds key k of every record of shape s, in record order.
  if (w.arrayHead() !== nShapes) throw new CborDamage('columnar block has a column set per shape mismatch');
  let items = 1;
  for (let s = 0; s < nShapes; s++) {
    if (w.arrayHead() !== nKeys[s]) throw new CborDamage('columnar block references a bad shape');
    const skipBefore = before[s] as number;
    const take = within[s] as number;
    const size = sizes[s] as number;
    for (let k = 0; k < (nKeys[s] as number); k++) {
      const len = w.arrayHead();
      // fromColumns reads column[p] for p < the shape's record count: a shorter column is damage.
      if (len < size) throw new CborDamage('columnar block column is too short');
      w.skip(skipBefore);
      const a = w.pos;
      w.skip(take);
      if (take > 0) spans.push(a, w.pos);
      items += take;
      w.skip(len - skipBefore - take);
    }
  }

  // others: records that are not plain objects, whole.
  const nOthers = sizes[nShapes] as number;
  if (w.arrayHead() !== nOthers) throw new CborDamage('columnar block has a missing or unused record');
  w.skip(before[nShapes] as number);
  const oa = w.pos;
  const takeOthers = within[nShapes] as number;
  w.skip(takeOthers);
  if (takeOthers > 0) spans.push(oa, w.pos);
  items += takeOthers;
  w.skip(nOthers - (before[nShapes] as number) - takeOthers);
  if (w.pos !== data.length) throw new CborDamage('bytes after the body');

  const values = decodeSpans(data, items, spans, decodeItem);
  const shapes = values[0];
  if (!Array.isArray(shapes) || shapes.length !== nShapes)
    throw new CborDamage('columnar block has bad shapes');
  for (const keys of shapes as unknown[]) {
    if (!Array.isArray(keys)) throw new CborDamage('columnar block references a bad shape');
    // toColumns keeps records with an own `__proto__` key whole, so such a shape is never written.
    if (keys.includes('__proto__')) throw new CborDamage('columnar block has a bad key');
  }

  // Where each column's values start in `values`, then rebuild the records as fromColumns does.
  const colAt: number[][] = new Array(nShapes);
  let at = 1;
  for (let s = 0; s < nShapes; s++) {
    const starts: number[] = new Array(nKeys[s] as number);
    for (let k = 0; k < (nKeys[s] as number); k++) {
      starts[k] = at;
      at += within[s] as number;
    }
    colAt[s] = starts;
  }
  let other = at;
  const cursor: number[] = new Array(nShapes).fill(0);
  const out: unknown[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const s = order[i] as number;
    if (s === -1) {
      out[i] = values[other++];
      continue;
    }
    const keys = shapes[s] as string[];
    const starts = colAt[s] as number[];
    const p = cursor[s] as number;
    cursor[s] = p + 1;
    const obj: Record<string, unknown> = {};
    for (let k = 0; k < keys.length; k++) obj[keys[k] as string] = values[(starts[k] as number) + p];
    out[i] = obj;
  }
  return { total, records: out };
}

/**
 * Decodes `items` CBOR items stored at `spans` ([start, end) pairs of `data`) with one decoder call:
 * the spans are copied behind an array head, so cbor-x sees one array (its per-call setup costs as
 * much as decoding a few records).
 */
function decodeSpans(
  data: Uint8Array,
  items: number,
  spans: readonly number[],
  decodeItem: DecodeItem,
): unknown[] {
  let bytes = 0;
  for (let i = 0; i < spans.length; i += 2) bytes += (spans[i + 1] as number) - (spans[i] as number);
  const headSize = items < 24 ? 1 : items < 0x100 ? 2 : items < 0x10000 ? 3 : 5;
  const buf = new Uint8Array(headSize + bytes);
  if (headSize === 1) buf[0] = 0x80 | items;
  else if (headSize === 2) buf.set([0x98, items]);
  else if (headSize === 3) buf.set([0x99, items >> 8, items & 0xff]);
  else buf.set([0x9a, items >>> 24, (items >> 16) & 0xff, (items >> 8) & 0xff, items & 0xff]);
  let at = headSize;
  for (let i = 0; i < spans.length; i += 2) {
    const part = data.subarray(spans[i] as number, spans[i + 1] as number);
    buf.set(part, at);
    at += part.length;
  }
  const values = decodeItem(buf);
  if (!Array.isArray(values) || values.length !== items)
    throw new CborDamage('items decode to a different count');
  return values;
}
