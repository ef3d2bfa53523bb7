import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackedStores } from './helpers/temp-store.js';

// A log another process deletes counts 0 in this one, also when the delete lands between this
// process's look at the WAL and its read of the log's files (the port: a missing log counts 0).
const stores = trackedStores();
const LOG = 'u/s/messages';

function logDir(base: string): string {
  const found = fs
    .readdirSync(base, { recursive: true, withFileTypes: true })
    .find((e) => e.isDirectory() && e.name.startsWith('messages'));
  if (!found) throw new Error('log directory not found');
  return path.join(found.parentPath, found.name);
}

describe('countLog of a log deleted under a cached view', () => {
  it('is 0, never an ENOENT', async () => {
    const dir = stores.temp();
    const store = await stores.open(dir, { segmentMaxRecords: 50 });
    await store.append(
      LOG,
      Array.from({ length: 120 }, (_, i) => ({ i })),
    );
    await store.checkpoint();
    // A page inside sealed segments: the view is cached, the active segment's count not read yet.
    expect((await store.readLog(LOG, { fromSeq: 0, limit: 10 })).length).toBe(10);
    // The log's files go (as another process's delete does) without this process seeing a WAL frame.
    fs.rmSync(logDir(dir), { recursive: true, force: true });
    expect(await store.countLog(LOG)).toBe(0);
    expect(await store.readLog(LOG)).toEqual([]);
  });
});
