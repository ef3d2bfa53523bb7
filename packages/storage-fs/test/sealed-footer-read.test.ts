import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BuiltinJsonCodec, IdentityCompressor } from '../src/builtin-codecs.js';
import { encodeSealed, readFooter } from '../src/sealed-segment.js';
import { tempDir } from './helpers/temp-store.js';

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

// The footer is read with one 4 KiB pread from the end when it fits, with a second read when not:
// both must give the footer that was written, and damage must still be detected.
describe('sealed segment footer read', () => {
  it.each([
    ['fits in the first read', 30],
    ['needs a second read', 3000],
  ])('returns the written footer when it %s', (_name, n) => {
    const t = tempDir();
    cleanup = t.cleanup;
    const records = Array.from({ length: n }, (_, i) => JSON.stringify({ i, text: `record ${i}`.repeat(3) }));
    const img = encodeSealed(7, records, new BuiltinJsonCodec(), new IdentityCompressor(), 1024, 'now');
    const footerBytes = Buffer.from(JSON.stringify(img.footer)).length;
    expect(footerBytes > 4096 - 16).toBe(n > 100);
    const file = path.join(t.dir, 'x.sseg');
    fs.writeFileSync(file, Buffer.concat(img.chunks));
    const fd = fs.openSync(file, 'r');
    try {
      expect(readFooter(fd)).toEqual(img.footer);
    } finally {
      fs.closeSync(fd);
    }
    // A flipped byte inside the footer fails its checksum.
    const bytes = fs.readFileSync(file);
    const at = bytes.length - 16 - Math.floor(footerBytes / 2);
    bytes[at] = (bytes[at] as number) ^ 1;
    fs.writeFileSync(file, bytes);
    const fd2 = fs.openSync(file, 'r');
    try {
      expect(() => readFooter(fd2)).toThrow(/checksum/);
    } finally {
      fs.closeSync(fd2);
    }
  });
});
