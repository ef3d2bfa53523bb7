import { CborCodec, Lz4Compressor } from '@ffdb/compression';
import { describe, expect, it } from 'vitest';
import { trackedStores } from './helpers/temp-store.js';

// Sealed footers and decoded blocks are cached by file name; a log deleted and written again gets
// the same segment names, so the caches must forget the old files (in this process and when another
// process deletes the log).
const stores = trackedStores();
const LOG = 'u/s/messages';
const OPTS = {
  segmentMaxRecords: 200,
  blockBytes: 1024,
  codec: new CborCodec(),
  compressor: new Lz4Compressor(),
};
const rows = (tag: string) =>
  Array.from({ length: 600 }, (_, i) => ({ tag, i, text: `${tag} ${i}`.repeat(4) }));

describe('sealed caches after a log is deleted and written again', () => {
  it('hand out the new records, not the cached old ones (same process)', async () => {
    const store = await stores.open(stores.temp(), OPTS);
    await store.append(LOG, rows('old'));
    await store.checkpoint();
    // Three reads: partial decode, whole-block decode into the cache, cache hit.
    for (let k = 0; k < 3; k++)
      expect((await store.readLog(LOG, { fromSeq: 100, limit: 2 })).map((e) => e.data)).toEqual(
        rows('old').slice(100, 102),
      );
    expect(await store.delete(LOG)).toBe(true);
    await store.append(LOG, rows('new'));
    await store.checkpoint();
    for (let k = 0; k < 3; k++)
      expect((await store.readLog(LOG, { fromSeq: 100, limit: 2 })).map((e) => e.data)).toEqual(
        rows('new').slice(100, 102),
      );
    expect((await store.readLog(LOG)).map((e) => e.data)).toEqual(rows('new'));
  });

  it('hand out the new records when another store instance deleted and rewrote the log', async () => {
    const dir = stores.temp();
    const reader = await stores.open(dir, OPTS);
    const writer = await stores.open(dir, OPTS);
    await writer.append(LOG, rows('old'));
    await writer.checkpoint();
    for (let k = 0; k < 3; k++) await reader.readLog(LOG, { fromSeq: 300, limit: 3 });
    expect(await writer.delete(LOG)).toBe(true);
    await writer.append(LOG, rows('new'));
    await writer.checkpoint();
    expect((await reader.readLog(LOG, { fromSeq: 300, limit: 3 })).map((e) => e.data)).toEqual(
      rows('new').slice(300, 303),
    );
  });
});
