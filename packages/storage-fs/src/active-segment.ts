import fs from 'node:fs';
import { readExactSync } from './atomic-file.js';
import { crc32 } from './checksum.js';

/**
 * The active segment of a log is text: one record per line,
 *   `<len:8 hex> <crc32:8 hex> {"seq":N,"data":{…}}\n`
 * so `cat`/`tail` show readable JSON, while every line is still verifiable (length + CRC of the
 * JSON bytes). JSON.stringify never emits a raw newline, so lines can be found from either end.
 */
const NL = 0x0a;
const PREFIX_LEN = 18; // "xxxxxxxx xxxxxxxx "
const SEQ_RE = /^\{"seq":(\d+),"data":/;

export function encodeLine(seq: number, dataJson: string): Buffer {
  const dataBytes = Buffer.byteLength(dataJson, 'utf8');
  const out = Buffer.allocUnsafe(lineSize(seq, dataBytes));
  encodeLineInto(out, 0, seq, dataJson, dataBytes);
  return out;
}

/** Bytes of the line of record `seq` whose JSON text is `dataBytes` UTF-8 bytes long. */
export function lineSize(seq: number, dataBytes: number): number {
  // `{"seq":` + digits + `,"data":` + data + `}` between the prefix and the newline.
  return PREFIX_LEN + 7 + String(seq).length + 8 + dataBytes + 1 + 1;
}

/**
 * Writes the line of record `seq` at `out[at]` (sized by lineSize) and returns the offset after it:
 * a checkpoint encodes all the lines it writes to a segment into one buffer, with no buffer per
 * record and no concatenation.
 */
export function encodeLineInto(
  out: Buffer,
  at: number,
  seq: number,
  dataJson: string,
  dataBytes: number,
): number {
  const bodyStart = at + PREFIX_LEN;
  let o = bodyStart;
  o += out.write(`{"seq":${seq},"data":`, o, 'latin1');
  o += out.write(dataJson, o, 'utf8');
  out[o++] = 0x7d; // }
  const bodyLen = o - bodyStart;
  if (bodyLen !== lineSize(seq, dataBytes) - PREFIX_LEN - 1) throw new Error('record byte length mismatch');
  const crc = crc32(out.subarray(bodyStart, o));
  out.write(`${bodyLen.toString(16).padStart(8, '0')} ${crc.toString(16).padStart(8, '0')} `, at, 'latin1');
  out[o++] = NL;
  return o;
}

export interface ParsedLine {
  seq: number;
  /** The record's JSON text. */
  data: string;
}

/** Parses the line `buf[start, end)` (without its newline); undefined when it fails any check. */
export function parseLine(buf: Buffer, start: number, end: number): ParsedLine | undefined {
  if (end - start < PREFIX_LEN + 2 || buf[start + 8] !== 0x20 || buf[start + 17] !== 0x20) return undefined;
  const len = Number.parseInt(buf.toString('latin1', start, start + 8), 16);
  const crc = Number.parseInt(buf.toString('latin1', start + 9, start + 17), 16);
  if (!Number.isFinite(len) || len !== end - start - PREFIX_LEN) return undefined;
  const body = buf.subarray(start + PREFIX_LEN, end);
  if (crc32(body) !== crc) return undefined;
  const json = body.toString('utf8');
  const m = SEQ_RE.exec(json);
  if (!m || json.charCodeAt(json.length - 1) !== 0x7d) return undefined;
  return { seq: Number(m[1]), data: json.slice(m[0].length, -1) };
}

export interface ScannedLine extends ParsedLine {
  offset: number;
  end: number;
}

export interface ScanResult {
  lines: ScannedLine[];
  /** Byte ranges of complete lines that failed their checks. */
  corrupt: { offset: number; end: number }[];
  /** End of the last complete line (newline included); bytes after it are a torn tail. */
  completeEnd: number;
}

/** Forward scan of `buf` (file bytes starting at `base`). */
export function scanBuffer(buf: Buffer, base: number): ScanResult {
  const lines: ScannedLine[] = [];
  const corrupt: { offset: number; end: number }[] = [];
  let pos = 0;
  for (;;) {
    const nl = buf.indexOf(NL, pos);
    if (nl < 0) break;
    const parsed = parseLine(buf, pos, nl);
    if (parsed) lines.push({ ...parsed, offset: base + pos, end: base + nl + 1 });
    else corrupt.push({ offset: base + pos, end: base + nl + 1 });
    pos = nl + 1;
  }
  return { lines, corrupt, completeEnd: base + pos };
}

/** Reads and scans a whole segment file. */
export function scanFile(fd: number): ScanResult & { size: number } {
  const size = fs.fstatSync(fd).size;
  const buf = readExactSync(fd, size, 0);
  return { ...scanBuffer(buf, 0), size: buf.length };
}

/**
 * Reads lines backwards from the end of the file until `stop(line)` says enough (or the start is
 * reached). Returns lines newest first, plus whether the file ends with a torn (partial) line.
 */
export function scanBackward(
  fd: number,
  size: number,
  stop: (line: ScannedLine) => boolean,
  chunk = 64 << 10,
  /** Bytes of the file already read (`buf` = file bytes from `start`); used instead of re-reading them. */
  prefetched?: { start: number; buf: Buffer },
): { lines: ScannedLine[]; corrupt: { offset: number; end: number }[]; validEnd: number } {
  const readPart = (from: number, to: number): Buffer => {
    if (prefetched && from >= prefetched.start && to <= prefetched.start + prefetched.buf.length)
      return prefetched.buf.subarray(from - prefetched.start, to - prefetched.start);
    return readExactSync(fd, to - from, from);
  };
  const lines: ScannedLine[] = [];
  const corrupt: { offset: number; end: number }[] = [];
  let end = size; // bytes [0, end) still to examine
  let carry: Buffer = Buffer.alloc(0); // bytes after `end` belonging to an incomplete line
  let validEnd = -1;
  let first = true;
  while (end > 0 || carry.length > 0) {
    const start = Math.max(0, end - chunk);
    const part = end > start ? readPart(start, end) : Buffer.alloc(0);
    const buf = carry.length ? Buffer.concat([part, carry]) : part;
    // The last newline in buf closes the newest complete line.
    let lineEnd = buf.lastIndexOf(NL);
    if (first) {
      validEnd = lineEnd < 0 ? (start === 0 ? 0 : -1) : start + lineEnd + 1;
      if (lineEnd >= 0) first = false;
    }
    while (lineEnd >= 0) {
      // (lastIndexOf with a negative offset would count from the end: guard lineEnd === 0)
      const prevNl = lineEnd > 0 ? buf.lastIndexOf(NL, lineEnd - 1) : -1;
      if (prevNl < 0 && start > 0) break; // line start is in an earlier chunk
      const ls = prevNl + 1;
      const parsed = parseLine(buf, ls, lineEnd);
      const line = parsed ? { ...parsed, offset: start + ls, end: start + lineEnd + 1 } : undefined;
      if (line) {
        lines.push(line);
        if (stop(line)) return { lines, corrupt, validEnd };
      } else corrupt.push({ offset: start + ls, end: start + lineEnd + 1 });
      lineEnd = prevNl;
    }
    if (start === 0) break;
    carry = lineEnd >= 0 ? buf.subarray(0, lineEnd + 1) : buf;
    // keep only the incomplete head (bytes before the first processed line)
    end = start;
    if (carry.length > 64 << 20) break; // a "line" over 64 MiB cannot be ours
  }
  if (validEnd < 0) validEnd = 0;
  return { lines, corrupt, validEnd };
}
