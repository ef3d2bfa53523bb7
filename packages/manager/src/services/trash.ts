/**
 * Backups before delete (`storage.backupBeforeDelete`). They go to system/trash/<time>_<label>/, outside
 * the user's tree, so nothing deleted can reappear in listings; `cleanupOldData` purges old ones.
 */
import type { Core } from '../core.js';
import { keys } from '../keys.js';

function stamp(iso: string): string {
  return iso.replace(/[-:]/g, '').replace('T', '_').replace(/\..*$/, '');
}

export async function backupTree(core: Core, prefix: string, label: string): Promise<string> {
  const { storage } = core;
  const rand = Math.random().toString(16).slice(2, 8);
  const dest = `${keys.trashRoot}/${stamp(core.now())}_${rand}_${label.replace(/[^A-Za-z0-9_.@-]/g, '_')}`;
  const blobs = await storage.list(prefix, { recursive: true });
  for (const key of blobs) {
    const stat = await storage.stat(key);
    if (!stat || stat.isDirectory) continue;
    const stream = await storage.readStream(key);
    if (stream) await storage.writeStream(`${dest}/${key.slice(prefix.length + 1)}`, stream);
  }
  for (const log of await storage.listLogs(prefix)) {
    const rel = log.slice(prefix.length + 1);
    let from = 0;
    for (;;) {
      const page = await storage.readLog(log, { fromSeq: from, limit: 1000 });
      if (page.length === 0) break;
      await storage.append(
        `${dest}/${rel}`,
        page.map((e) => e.data),
      );
      from = page[page.length - 1]!.seq + 1;
    }
  }
  return dest;
}

/** Trash entries older than `cutoffIso` are removed; resolves to how many. */
export async function purgeTrash(core: Core, cutoffIso: string, dryRun = false): Promise<number> {
  const cutoff = stamp(cutoffIso);
  let purged = 0;
  for (const entry of await core.storage.list(keys.trashRoot)) {
    const name = entry.slice(keys.trashRoot.length + 1);
    if (name.slice(0, 15) < cutoff) {
      // A dry run counts what a real run would remove.
      if (dryRun || (await core.storage.delete(entry))) purged++;
    }
  }
  return purged;
}
