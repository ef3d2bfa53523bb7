/** verify / compact / cleanupOldData: the storage port's checks plus the manager's own invariants. */
import type { CompactOptions, VerifyIssue, VerifyReport } from '@ffdb/core-types';
import { FFValidationError } from '@ffdb/core-types';
import { setTimeout as realSetTimeout } from 'node:timers';
import { z } from 'zod';
import type { Core } from '../core.js';
import type { FeatureHooks } from '../features/types.js';
import { keys } from '../keys.js';
import { stoppedImport } from './import-marker.js';
import { parseOptions } from '../validation.js';
import { longRunningFields, ProgressTracker } from './progress.js';
import type { DocumentService } from './documents.js';
import type { SessionService } from './sessions.js';
import { purgeTrash } from './trash.js';
import type { UserService } from './users.js';

interface Deps {
  users: UserService;
  sessions: SessionService;
  documents: DocumentService;
  features: () => { name: string; feature: FeatureHooks }[];
}

const VerifyOptions = z.object({
  repair: z.boolean().optional(),
  /** Document files without a record younger than this are left alone (a save in progress). */
  orphanGraceMs: z.number().int().nonnegative().optional(),
  ...longRunningFields,
});
const CompactOpts = z.object({
  archive: z.boolean().optional(),
  olderThanDays: z.number().nonnegative().optional(),
  ...longRunningFields,
});
const CleanupOptions = z.object({ olderThanDays: z.number().nonnegative(), dryRun: z.boolean().optional() });

/** How old a document file without a record must be before verify calls it an orphan. */
const ORPHAN_GRACE_MS = 60_000;
/**
 * verify's second look at session trees without an index entry (a delete in progress removes the
 * tree right after hiding the session). node:timers' export stays real under fake timers (activity.ts).
 */
const ORPHAN_SETTLE_MS = 300;

export class MaintenanceService {
  constructor(
    private readonly core: Core,
    private readonly d: Deps,
  ) {}

  /**
   * Storage checksums (the port's verify) plus: no session tree
   * exists without an index entry (left behind by a crash during delete), every document record has its
   * bytes and every document file has a record. `repair` fixes what can be fixed without guessing.
   *
   * Progress units: the storage check, each user, each feature. An abort stops between units and
   * resolves with what was checked so far, `aborted: true` and `ok: false` (the store was not fully verified).
   */
  async verify(opts?: unknown): Promise<VerifyReport & { aborted?: boolean }> {
    const o = parseOptions(VerifyOptions, opts);
    const repair = o.repair === true;
    const userIds = await this.d.users.list();
    const features = this.d.features().filter(({ feature }) => typeof feature.verify === 'function');
    const progress = new ProgressTracker(o, 1 + userIds.length + features.length);
    const finish = (issues: VerifyIssue[], checked?: VerifyReport['checked']) => {
      // A repair may have cut damaged log records: message counts are re-read on the next listing.
      if (repair) this.core.index.forgetCounts();
      const report: VerifyReport & { aborted?: boolean } = {
        ok: !progress.aborted && issues.every((i) => i.repaired === true),
        issues,
      };
      if (checked) report.checked = checked;
      if (progress.aborted) report.aborted = true;
      return report;
    };
    if (progress.aborted) return finish([]);
    const base = await this.core.storage.verify({ repair });
    progress.tick('storage');
    // Damaged data is reported under the catalogued FF_CORRUPTION code (API.md: "reported (FFCorruptionError
    // from verify)"; errors.md), the adapter's own code kept as `kind`.
    const issues: VerifyIssue[] = base.issues.map((i) =>
      i.code.startsWith('corrupt_') ? { ...i, code: 'FF_CORRUPTION', kind: i.code } : i,
    );
    const { storage } = this.core;
    for (const userId of userIds) {
      if (progress.aborted) return finish(issues, base.checked);
      const live = new Set(await this.d.sessions.ids(userId));
      for (const sid of live) {
        // A session an import began and did not finish (it stopped: a crash, a kill). An import still
        // running, here or in another live process, is not reported.
        if (await stoppedImport(this.core, userId, sid)) {
          issues.push({
            code: 'IMPORT_INCOMPLETE',
            key: keys.sessionRoot(userId, sid),
            message: 'an import stopped inside this session; importing the same bundle again finishes it',
          });
        }
        // Documents: records vs bytes.
        const index = (await this.d.documents.readIndex(userId, sid)) ?? {};
        const files = await storage.list(keys.documentsRoot(userId, sid));
        const fileIds = new Set(files.map((k) => k.slice(k.lastIndexOf('/') + 1)));
        for (const docId of Object.keys(index)) {
          if (!fileIds.has(docId)) {
            const issue: VerifyIssue = {
              code: 'DOCUMENT_BYTES_MISSING',
              key: keys.documentKey(userId, sid, docId),
              message: 'a document record has no bytes',
            };
            if (repair) {
              await storage.append(keys.documentsIndex(userId, sid), [{ op: 'delete', id: docId }]);
              issue.repaired = true;
            }
            issues.push(issue);
          }
        }
        for (const docId of fileIds) {
          if (!(docId in index)) {
            const key = keys.documentKey(userId, sid, docId);
            // Bytes are written before their record: a young file may be a save in progress (in this
            // process or another), not an orphan.
            if (await this.young(key, o.orphanGraceMs ?? ORPHAN_GRACE_MS)) continue;
            const issue: VerifyIssue = {
              code: 'DOCUMENT_ORPHAN',
              key,
              message: 'a document file has no record',
            };
            if (repair) {
              await storage.delete(key);
              issue.repaired = true;
            }
            issues.push(issue);
          }
        }
      }
      // Session trees with no live index entry (a crash between hiding and deleting, or a write that
      // raced a delete). A tree that holds only logs is not listed as a blob prefix: its logs name it.
      const root = keys.sessionsRoot(userId);
      const trees = new Set(await storage.list(root));
      for (const log of await storage.listLogs(root)) {
        const sid = log.slice(root.length + 1).split('/')[0];
        if (sid) trees.add(`${root}/${sid}`);
      }
      // Read the index again after the listing: a session created since `live` was read (here or in
      // another process) has its index entry before any of its data, so it is in this second read.
      // Judged on the first read alone, a repair deleted the messages of sessions created meanwhile.
      const liveAfterListing = trees.size > live.size ? new Set(await this.d.sessions.ids(userId)) : live;
      const orphans = [...trees].sort().filter((child) => {
        const sid = child.slice(child.lastIndexOf('/') + 1);
        return !live.has(sid) && !liveAfterListing.has(sid);
      });
      if (orphans.length > 0) {
        // A delete in progress (here or in another process) hides the session first, then removes
        // its tree: a tree that is gone a moment later was being deleted, not left behind.
        await new Promise((resolve) => realSetTimeout(resolve, ORPHAN_SETTLE_MS));
      }
      for (const child of orphans) {
        if (!(await this.treeExists(child))) continue;
        const issue: VerifyIssue = {
          code: 'SESSION_ORPHAN',
          key: child,
          message: 'session data without an index entry',
        };
        if (repair) {
          await storage.delete(child);
          issue.repaired = true;
        }
        issues.push(issue);
      }
      progress.tick(userId);
    }
    for (const { name, feature } of features) {
      if (progress.aborted) return finish(issues, base.checked);
      try {
        issues.push(...(await (feature.verify as NonNullable<FeatureHooks['verify']>)({ repair })));
      } catch (error) {
        issues.push({ code: `${name.toUpperCase()}_VERIFY_FAILED`, message: (error as Error).message });
      }
      progress.tick(name);
    }
    return finish(issues, base.checked);
  }

  /** Whether anything (a blob or a log) is left under a session tree. */
  private async treeExists(prefix: string): Promise<boolean> {
    const { storage } = this.core;
    return (await storage.list(prefix)).length > 0 || (await storage.listLogs(prefix)).length > 0;
  }

  /** A blob modified within `graceMs` (or gone meanwhile): not treated as an orphan. */
  private async young(key: string, graceMs: number): Promise<boolean> {
    const st = await this.core.storage.stat(key);
    if (!st) return true;
    return Date.now() - Date.parse(st.modifiedAt) < graceMs;
  }

  /**
   * Progress units: the storage's logs (as it reports them), then each feature. The signal is passed to
   * the storage, which stops between logs; an abort resolves with the partial report, `aborted: true`.
   */
  async compact(opts?: unknown): Promise<Record<string, unknown>> {
    const o = parseOptions(CompactOpts, opts);
    const features = this.d.features().filter(({ feature }) => typeof feature.compact === 'function');
    const progress = new ProgressTracker(o, features.length);
    const options: CompactOptions = {};
    if (o.archive !== undefined) options.archive = o.archive;
    if (o.olderThanDays !== undefined) options.olderThanDays = o.olderThanDays;
    if (o.signal) options.signal = o.signal;
    let storageDone = 0;
    options.onProgress = (done, total) => {
      progress.total = total + features.length;
      progress.tick('storage', done - storageDone);
      storageDone = done;
    };
    const report = progress.aborted ? null : await this.core.storage.compact(options);
    const done: string[] = [];
    for (const { name, feature } of features) {
      if (progress.aborted) break;
      await (feature.compact as NonNullable<FeatureHooks['compact']>)();
      done.push(name);
      progress.tick(name);
    }
    return {
      ...(report ?? { logsCompacted: 0, segmentsRewritten: 0, bytesBefore: 0, bytesAfter: 0 }),
      features: done,
      ...(progress.aborted ? { aborted: true } : {}),
    };
  }

  /**
   * Deletes sessions whose last activity is older than `olderThanDays` (every user; through the same
   * path as deleteSession, so nothing reappears) and trash backups older than that. `dryRun` only counts.
   */
  async cleanupOldData(
    opts: unknown,
    deleteSession?: (userId: string, sessionId: string) => Promise<boolean>,
  ): Promise<Record<string, unknown>> {
    if (opts === undefined)
      throw new FFValidationError([{ path: 'opts.olderThanDays', message: 'is required' }]);
    const o = parseOptions(CleanupOptions, opts);
    const cutoff = new Date(this.core.clock.now().getTime() - o.olderThanDays * 86_400_000).toISOString();
    let sessionsDeleted = 0;
    const usersAffected = new Set<string>();
    for (const userId of await this.d.users.list()) {
      for (const s of await this.d.sessions.list(userId)) {
        if (s.updatedAt >= cutoff) continue;
        if (!o.dryRun) {
          const removed = deleteSession
            ? await deleteSession(userId, s.sessionId)
            : await this.d.sessions.remove(userId, s.sessionId);
          if (!removed) continue;
        }
        sessionsDeleted++;
        usersAffected.add(userId);
      }
    }
    const trashPurged = await purgeTrash(this.core, cutoff, o.dryRun === true);
    return {
      cutoff,
      sessionsDeleted,
      usersAffected: [...usersAffected],
      trashPurged,
      dryRun: o.dryRun === true,
    };
  }
}
