import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { CompactOptions, CompactReport } from '@ffdb/core-types';
import type { FsStorageBackend } from './backend.js';
import { INTERNAL_DIR, LOG_SUFFIX } from './layout.js';

const DAY = 86_400_000;

/**
 * Rewrites segments: seals every active segment (so all data gets compressed), re-encodes sealed
 * segments whose compressor is not the configured one, moves segments older than
 * `olderThanDays` (default `archiveAfterDays`) to the archival compressor, and removes superseded
 * files and deleted trees (the store's tombstones). Runs under the store writer lock.
 */
export async function compactStore(store: FsStorageBackend, options: CompactOptions): Promise<CompactReport> {
  const report: CompactReport = { logsCompacted: 0, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0 };
  const archive = store.archiveCompressor;
  const olderThanDays = options.olderThanDays ?? (options.archive ? 0 : store.options.archiveAfterDays);
  // Older than 0 days is every sealed segment, including those this run seals (their footers carry
  // the time they were sealed, after the run began).
  const archiveBefore =
    archive &&
    olderThanDays !== undefined &&
    (options.archive || store.options.archiveAfterDays !== undefined)
      ? olderThanDays === 0
        ? Number.POSITIVE_INFINITY
        : store.clock.now().getTime() - olderThanDays * DAY
      : undefined;

  const logDirs: { key: string; dir: string }[] = [];
  const walk = async (abs: string, rel: string): Promise<void> => {
    const entries = await fsp.readdir(abs, { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
    for (const e of entries) {
      if (!e.isDirectory() || (rel === '' && e.name === INTERNAL_DIR)) continue;
      const key = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.name.endsWith(LOG_SUFFIX))
        logDirs.push({ key: key.slice(0, -LOG_SUFFIX.length), dir: path.join(abs, e.name) });
      else await walk(path.join(abs, e.name), key);
    }
  };
  await walk(store.layout.root, '');

  let done = 0;
  for (const { key, dir } of logDirs) {
    if (options.signal?.aborted) break;
    let changed = false;
    const before = dirBytes(dir);
    let view = store.logView(key);
    for (const name of view.leftovers) {
      fs.rmSync(path.join(dir, name), { force: true });
      changed = true;
    }
    const last = view.segments[view.segments.length - 1];
    if (last?.kind === 'active' && last.last >= last.first) {
      const file = path.join(dir, last.name);
      const fd = fs.openSync(file, 'r+');
      try {
        if (store.segments.seal(dir, file, fd)) {
          report.segmentsRewritten++;
          changed = true;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    view = store.logView(key);
    for (const seg of view.segments) {
      if (seg.kind !== 'sealed') continue;
      const file = path.join(dir, seg.name);
      let footer: ReturnType<typeof store.segments.footer>;
      try {
        footer = store.segments.footer(file);
      } catch {
        continue; // damaged: left for verify to report
      }
      const age = Date.parse(footer.createdAt);
      let target = store.compressor;
      if (archive && archiveBefore !== undefined && age <= archiveBefore) target = archive;
      else if (archive && footer.compressor === archive.id) continue; // already archived: keep
      if (footer.compressor === target.id && footer.codec === store.codec.id) continue;
      try {
        store.segments.rewriteSealed(
          dir,
          seg,
          target,
          target === archive ? store.options.archiveBlockBytes : store.options.blockBytes,
        );
        report.segmentsRewritten++;
        changed = true;
      } catch (err) {
        store.logger.warn(
          { log: key, segment: seg.name, err: (err as Error).message },
          'segment not rewritten',
        );
      }
    }
    const after = dirBytes(dir);
    report.bytesBefore += before;
    report.bytesAfter += after;
    if (changed) report.logsCompacted++;
    done++;
    options.onProgress?.(done, logDirs.length);
  }
  const trash = await fsp.readdir(store.layout.trashDir).catch(() => [] as string[]);
  for (const n of trash) await fsp.rm(path.join(store.layout.trashDir, n), { recursive: true, force: true });
  return report;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const name of fs.readdirSync(dir)) {
    try {
      n += fs.statSync(path.join(dir, name)).size;
    } catch {
      // removed concurrently
    }
  }
  return n;
}
