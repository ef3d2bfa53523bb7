import { crc32 } from './checksum.js';

/**
 * WAL frame: `[u32 payloadLen][u32 crc32][u32 gen][u8 type][payload]`, little endian. The CRC covers
 * gen, type and payload; `gen` (low 32 bits of the WAL file's generation) rejects stale bytes
 * left from another file. An all-zero header marks the pre-allocated, never-written region.
 */
export const FRAME_HEADER = 13;
export const MAX_FRAME_PAYLOAD = 256 << 20;

export const FrameType = { Append: 1, Delete: 2, DeleteDone: 3, End: 4, Rotate: 5 } as const;

export type WalFrame =
  | { type: 'append'; key: string; firstSeq: number; recs: string[]; bytes: number }
  | { type: 'delete'; prefix: string }
  | { type: 'deleteDone'; prefix: string }
  | { type: 'end'; nextGen: number }
  | { type: 'rotate'; nextGen: number };

function frame(gen: number, type: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(gen >>> 0, 8);
  out.writeUInt8(type, 12);
  payload.copy(out, FRAME_HEADER);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
}

/** Bytes of an APPEND frame for a key of `keyLen` UTF-8 bytes and records of `recBytes` JSON bytes in all. */
export function appendFrameSize(keyLen: number, count: number, recBytes: number): number {
  return FRAME_HEADER + 2 + keyLen + 8 + 4 + 4 * count + recBytes;
}

/**
 * The most bytes a record's JSON text of `chars` UTF-16 code units can take in UTF-8 (3 per unit: a
 * surrogate pair is 2 units for 4 bytes). The append path sizes buffers with this instead of
 * measuring each text (Buffer.byteLength scans it: ~0.6 µs for a 500-byte message, per append).
 */
export const utf8MaxBytes = (chars: number): number => 3 * chars;

/**
 * An append batch: `[u16 keyLen][key][f64 firstSeq][u32 count]` then `[u32 len][json]` per record.
 * Records are given as JSON texts and written straight into the frame.
 */
export function encodeAppend(gen: number, key: string, firstSeq: number, recs: readonly string[]): Buffer {
  const keyLen = Buffer.byteLength(key, 'utf8');
  let recBytes = 0;
  for (const r of recs) recBytes += Buffer.byteLength(r, 'utf8');
  const out = Buffer.allocUnsafe(appendFrameSize(keyLen, recs.length, recBytes));
  encodeAppendInto(out, 0, gen, key, keyLen, firstSeq, recs);
  return out;
}

/**
 * Writes an APPEND frame at `out[at]` and returns the offset after it: a group commit encodes the
 * frames of all its requests into one buffer (one allocation, no concat). `out` must have room for
 * the texts' utf8MaxBytes: each text is written first and its length filled in from what was written.
 */
export function encodeAppendInto(
  out: Buffer,
  at: number,
  gen: number,
  key: string,
  keyLen: number,
  firstSeq: number,
  recs: readonly string[],
): number {
  let o = at + FRAME_HEADER;
  o = out.writeUInt16LE(keyLen, o);
  o += out.write(key, o, 'utf8');
  o = out.writeDoubleLE(firstSeq, o);
  o = out.writeUInt32LE(recs.length, o);
  for (let i = 0; i < recs.length; i++) {
    const n = out.write(recs[i] as string, o + 4, 'utf8');
    out.writeUInt32LE(n, o);
    o += 4 + n;
  }
  out.writeUInt32LE(o - at - FRAME_HEADER, at);
  out.writeUInt32LE(gen >>> 0, at + 8);
  out.writeUInt8(FrameType.Append, at + 12);
  out.writeUInt32LE(crc32(out.subarray(at + 8, o)), at + 4);
  return o;
}

function encodeText(gen: number, type: number, text: string): Buffer {
  const t = Buffer.from(text, 'utf8');
  const p = Buffer.allocUnsafe(2 + t.length);
  p.writeUInt16LE(t.length, 0);
  t.copy(p, 2);
  return frame(gen, type, p);
}

export const encodeDelete = (gen: number, prefix: string) => encodeText(gen, FrameType.Delete, prefix);
export const encodeDeleteDone = (gen: number, prefix: string) =>
  encodeText(gen, FrameType.DeleteDone, prefix);

export function encodeEnd(gen: number, nextGen: number): Buffer {
  const p = Buffer.allocUnsafe(8);
  p.writeDoubleLE(nextGen, 0);
  return frame(gen, FrameType.End, p);
}

/**
 * ROTATE: this generation takes no more frames, appends continue in `nextGen`, but its records are
 * not in segments yet (a background checkpoint writes them, then appends END(nextGen) after this).
 */
export function encodeRotate(gen: number, nextGen: number): Buffer {
  const p = Buffer.allocUnsafe(8);
  p.writeDoubleLE(nextGen, 0);
  return frame(gen, FrameType.Rotate, p);
}

export type FrameCheck =
  | { kind: 'frame'; frame: WalFrame; size: number }
  | { kind: 'zero' }
  | { kind: 'need'; bytes: number }
  | { kind: 'bad'; reason: string };

/** Decodes the frame at `buf[off]` if it is complete and valid for `gen`. */
export function checkFrame(buf: Buffer, off: number, gen: number): FrameCheck {
  if (off + FRAME_HEADER > buf.length) {
    // A zero prefix shorter than a header is still "nothing written yet".
    for (let i = off; i < buf.length; i++) if (buf[i] !== 0) return { kind: 'need', bytes: FRAME_HEADER };
    return buf.length - off === 0
      ? { kind: 'need', bytes: FRAME_HEADER }
      : { kind: 'need', bytes: FRAME_HEADER };
  }
  const len = buf.readUInt32LE(off);
  const crc = buf.readUInt32LE(off + 4);
  if (len === 0 && crc === 0 && buf.readUInt32LE(off + 8) === 0 && buf[off + 12] === 0)
    return { kind: 'zero' };
  if (len > MAX_FRAME_PAYLOAD) return { kind: 'bad', reason: 'frame length out of range' };
  const size = FRAME_HEADER + len;
  if (off + size > buf.length) return { kind: 'need', bytes: size };
  if (crc32(buf.subarray(off + 8, off + size)) !== crc) return { kind: 'bad', reason: 'checksum mismatch' };
  if (buf.readUInt32LE(off + 8) !== gen >>> 0)
    return { kind: 'bad', reason: 'frame of another WAL generation' };
  const type = buf[off + 12];
  const p = off + FRAME_HEADER;
  try {
    switch (type) {
      case FrameType.Append: {
        const kl = buf.readUInt16LE(p);
        let o = p + 2;
        const key = buf.toString('utf8', o, o + kl);
        o += kl;
        const firstSeq = buf.readDoubleLE(o);
        o += 8;
        const count = buf.readUInt32LE(o);
        o += 4;
        const recs: string[] = new Array(count);
        let bytes = 0;
        for (let i = 0; i < count; i++) {
          const l = buf.readUInt32LE(o);
          o += 4;
          if (o + l > off + size) return { kind: 'bad', reason: 'record overruns frame' };
          recs[i] = buf.toString('utf8', o, o + l);
          bytes += l;
          o += l;
        }
        return { kind: 'frame', size, frame: { type: 'append', key, firstSeq, recs, bytes } };
      }
      case FrameType.Delete:
      case FrameType.DeleteDone: {
        const l = buf.readUInt16LE(p);
        const prefix = buf.toString('utf8', p + 2, p + 2 + l);
        return {
          kind: 'frame',
          size,
          frame: { type: type === FrameType.Delete ? 'delete' : 'deleteDone', prefix },
        };
      }
      case FrameType.End:
        return { kind: 'frame', size, frame: { type: 'end', nextGen: buf.readDoubleLE(p) } };
      case FrameType.Rotate:
        return { kind: 'frame', size, frame: { type: 'rotate', nextGen: buf.readDoubleLE(p) } };
      default:
        return { kind: 'bad', reason: `unknown frame type ${type}` };
    }
  } catch {
    return { kind: 'bad', reason: 'malformed frame payload' };
  }
}
