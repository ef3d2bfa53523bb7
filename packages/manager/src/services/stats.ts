/** Statistics, analytics and health, computed from the stored data (never from cached counters). */
import fs from 'node:fs';
import path from 'node:path';
import {
  type ConversationAnalysis,
  type DocumentRecord,
  type DocumentStats,
  FFNotFoundError,
  type SessionStats,
  type StorageStats,
  type UserAnalytics,
  type UserStats,
} from '@ffdb/core-types';
import { z } from 'zod';
import type { Core } from '../core.js';
import type { FeatureHooks, StoredMessage, VectorFeature } from '../features/types.js';
import { utf8Length } from '../json-blob.js';
import { keys } from '../keys.js';
import { topTerms } from '../text-analysis.js';
import { assertSessionId, assertUserId, parseOptions } from '../validation.js';
import type { ContextService } from './context.js';
import type { DocumentService } from './documents.js';
import type { MessageService } from './messages.js';
import type { SessionService } from './sessions.js';
import type { UserService } from './users.js';

const round2 = (n: number) => Math.round(n * 100) / 100;
const maxStr = (a: string | null, b: string | null | undefined) => (b && (!a || b > a) ? b : a);
const minStr = (a: string | null, b: string | null | undefined) => (b && (!a || b < a) ? b : a);

export interface StatsDeps {
  users: UserService;
  sessions: SessionService;
  messages: MessageService;
  documents: DocumentService;
  context: ContextService;
  vectors: () => VectorFeature | null;
  features: () => { name: string; feature: FeatureHooks }[];
}

export class StatsService {
  constructor(
    private readonly core: Core,
    private readonly d: StatsDeps,
  ) {}

  /**
   * API.md's rule for reads, "reading something missing -> null": the user-level statistics of a user
   * that does not exist are null. Only getSessionStats throws (API.md says so, as the reference did).
   */
  private async userMissing(userId: string): Promise<boolean> {
    return !(await this.d.users.exists(userId));
  }

  async sessionStats(userId: string, sessionId: string): Promise<SessionStats> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const session = await this.d.sessions.get(userId, sessionId);
    if (!session) throw new FFNotFoundError(`Session ${sessionId} not found for user ${userId}`);
    const messages = await this.d.messages.read(userId, sessionId);
    const docs = await this.d.documents.list(userId, sessionId);
    const contentBytes = messages.reduce((s, m) => s + utf8Length(m.content), 0);
    const docBytes = docs.reduce((s, doc) => s + doc.size, 0);
    const { count: vectorCount, bytes: vectorBytes } = await this.sessionVectors(userId, sessionId);
    const context = await this.d.context.get(userId, sessionId).catch(() => null);
    const snapshots = (await this.core.storage.list(keys.contextHistoryRoot(userId, sessionId))).length;
    let last: string | null = maxStr(session.createdAt, session.updatedAt);
    for (const m of messages) last = maxStr(last, m.timestamp);
    return {
      sessionId,
      userId,
      createdAt: session.createdAt,
      updatedAt: session.updatedAt,
      storagePath: keys.sessionRoot(userId, sessionId),
      messageCount: messages.length,
      documentCount: docs.length,
      totalSizeBytes: contentBytes + docBytes + vectorBytes,
      averageMessageSize: messages.length ? round2(contentBytes / messages.length) : 0,
      vectorCount,
      hasContext: context !== null,
      contextSnapshots: snapshots,
      lastActivity: last ?? session.updatedAt,
      title: session.title,
      sessionType: session.sessionType,
    };
  }

  /** A session's vectors (count, bytes of its vector store); zero without the vector feature. */
  private async sessionVectors(userId: string, sessionId: string): Promise<{ count: number; bytes: number }> {
    const vectors = this.d.vectors();
    if (!vectors) return { count: 0, bytes: 0 };
    try {
      const vs = await vectors.getVectorStats(userId, sessionId);
      // The fields getVectorStats returns (the reference's names).
      return { count: Number(vs.totalVectors ?? 0) || 0, bytes: Number(vs.storageSizeBytes ?? 0) || 0 };
    } catch (error) {
      this.core.logger.warn({ userId, sessionId, err: (error as Error).message }, 'vector stats unavailable');
      return { count: 0, bytes: 0 };
    }
  }

  /** Every session's vector bytes, as sessionVectors reports them, read once for the whole user. */
  private async userVectorBytes(userId: string): Promise<Map<string, number>> {
    const vectors = this.d.vectors();
    if (!vectors) return new Map();
    try {
      return await vectors.vectorBytesBySession(userId);
    } catch (error) {
      this.core.logger.warn({ userId, err: (error as Error).message }, 'vector stats unavailable');
      return new Map();
    }
  }

  /** Visits every message of a user page by page (bounded memory). */
  private async forEachMessage(
    userId: string,
    sessionIds: string[],
    fn: (m: StoredMessage, sessionId: string) => void,
  ): Promise<void> {
    const page = this.core.config.runtime.jsonlPageSize;
    for (const sid of sessionIds) {
      for (let from = 0; ; from += page) {
        const batch = await this.d.messages.read(userId, sid, { fromSeq: from, limit: page });
        for (const m of batch) fn(m, sid);
        if (batch.length < page) break;
      }
    }
  }

  async userStats(userId: string): Promise<UserStats | null> {
    assertUserId(userId);
    if (await this.userMissing(userId)) return null;
    const sessions = await this.d.sessions.list(userId);
    const messagesByRole: Record<string, number> = {};
    let messageCount = 0;
    let bytes = 0;
    let first: string | null = null;
    let last: string | null = null;
    for (const s of sessions) {
      first = minStr(first, s.createdAt);
      last = maxStr(last, s.updatedAt);
    }
    await this.forEachMessage(
      userId,
      sessions.map((s) => s.sessionId),
      (m) => {
        messageCount++;
        messagesByRole[m.role] = (messagesByRole[m.role] ?? 0) + 1;
        bytes += utf8Length(m.content);
        first = minStr(first, m.timestamp);
        last = maxStr(last, m.timestamp);
      },
    );
    // totalSizeBytes counts what getSessionStats counts, so the sessions' totals add up to the user's.
    const vectorBytes = await this.userVectorBytes(userId);
    let documentCount = 0;
    for (const s of sessions) {
      const docs = await this.d.documents.list(userId, s.sessionId);
      documentCount += docs.length;
      bytes += docs.reduce((sum, doc) => sum + doc.size, 0);
      bytes += vectorBytes.get(s.sessionId) ?? 0;
    }
    const usage = await this.core.storage.usage(keys.userRoot(userId));
    return {
      userId,
      sessionCount: sessions.length,
      messageCount,
      documentCount,
      totalSizeBytes: bytes,
      storageBytes: usage.bytes,
      messagesByRole,
      firstActivity: first,
      lastActivity: last,
    };
  }

  async storageStats(): Promise<StorageStats> {
    const users = await this.d.users.list();
    let sessionCount = 0;
    let messageCount = 0;
    let documentCount = 0;
    for (const u of users) {
      const ids = await this.d.sessions.ids(u);
      sessionCount += ids.length;
      const counts = await Promise.all(ids.map((s) => this.d.messages.count(u, s)));
      messageCount += counts.reduce((a, b) => a + b, 0);
      for (const s of ids) documentCount += (await this.d.documents.list(u, s)).length;
    }
    const usage = await this.core.storage.usage();
    const features: Record<string, unknown> = {};
    for (const { name, feature } of this.d.features()) {
      if (feature.stats) {
        try {
          features[name] = await feature.stats();
        } catch (error) {
          features[name] = { error: (error as Error).message };
        }
      }
    }
    return {
      userCount: users.length,
      sessionCount,
      messageCount,
      documentCount,
      totalSizeBytes: usage.bytes,
      logicalSizeBytes: usage.logicalBytes,
      fileCount: usage.files,
      compressionRatio: usage.logicalBytes > 0 ? round2(usage.bytes / usage.logicalBytes) : 1,
      backendType: this.core.storage.id,
      features,
    };
  }

  private async userDocuments(userId: string): Promise<(DocumentRecord & { sessionId: string })[]> {
    const out: (DocumentRecord & { sessionId: string })[] = [];
    for (const sid of await this.d.sessions.ids(userId)) {
      for (const doc of await this.d.documents.list(userId, sid)) out.push({ ...doc, sessionId: sid });
    }
    return out;
  }

  async documentStats(userId: string): Promise<DocumentStats | null> {
    assertUserId(userId);
    if (await this.userMissing(userId)) return null;
    const docs = await this.userDocuments(userId);
    const documentTypes: Record<string, number> = {};
    let total = 0;
    let analyzed = 0;
    for (const doc of docs) {
      documentTypes[doc.mimeType] = (documentTypes[doc.mimeType] ?? 0) + 1;
      total += doc.size;
      if (doc.analysis && Object.keys(doc.analysis).length > 0) analyzed++;
    }
    const mostCommon = Object.entries(documentTypes).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    return {
      totalDocuments: docs.length,
      totalSizeBytes: total,
      totalSizeMb: round2(total / (1024 * 1024)),
      documentTypes,
      mostCommonType: mostCommon ? mostCommon[0] : null,
      analyzedCount: analyzed,
      averageSizeBytes: docs.length ? Math.round(total / docs.length) : 0,
    };
  }

  async documentUsagePatterns(userId: string): Promise<Record<string, unknown> | null> {
    assertUserId(userId);
    if (await this.userMissing(userId)) return null;
    const docs = await this.userDocuments(userId);
    const uploadsByDay: Record<string, number> = {};
    const uploadsByHour = new Array<number>(24).fill(0);
    const sessions = new Set<string>();
    const byExtension: Record<string, number> = {};
    for (const doc of docs) {
      const day = doc.uploadedAt.slice(0, 10);
      uploadsByDay[day] = (uploadsByDay[day] ?? 0) + 1;
      const hour = new Date(doc.uploadedAt).getUTCHours();
      uploadsByHour[hour] = (uploadsByHour[hour] ?? 0) + 1;
      sessions.add(doc.sessionId);
      const ext = path.extname(doc.originalName || doc.filename).toLowerCase() || '(none)';
      byExtension[ext] = (byExtension[ext] ?? 0) + 1;
    }
    const largest = [...docs].sort((a, b) => b.size - a.size)[0];
    return {
      userId,
      totalDocuments: docs.length,
      sessionsWithDocuments: sessions.size,
      uploadsByDay,
      uploadsByHour,
      byExtension,
      averageSizeBytes: docs.length ? Math.round(docs.reduce((s, d) => s + d.size, 0) / docs.length) : 0,
      largestDocument: largest
        ? { documentId: largest.documentId, sessionId: largest.sessionId, size: largest.size }
        : null,
      analyzedShare: docs.length
        ? round2(docs.filter((d) => Object.keys(d.analysis ?? {}).length > 0).length / docs.length)
        : 0,
    };
  }

  /** Null for a missing session (API.md's rule for reads; unlike getSessionStats, which throws). */
  async analyzeConversation(userId: string, sessionId: string): Promise<ConversationAnalysis | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const session = await this.d.sessions.get(userId, sessionId);
    if (!session) return null;
    const messages = await this.d.messages.read(userId, sessionId);
    const messagesByRole: Record<string, number> = {};
    const lengthByRole: Record<string, number> = {};
    const activityByHour = new Array<number>(24).fill(0);
    const activityByDay: Record<string, number> = {};
    let chars = 0;
    for (const m of messages) {
      messagesByRole[m.role] = (messagesByRole[m.role] ?? 0) + 1;
      lengthByRole[m.role] = (lengthByRole[m.role] ?? 0) + m.content.length;
      chars += m.content.length;
      const t = new Date(m.timestamp);
      if (!Number.isNaN(t.getTime())) {
        activityByHour[t.getUTCHours()] = (activityByHour[t.getUTCHours()] ?? 0) + 1;
        const day = t.toISOString().slice(0, 10);
        activityByDay[day] = (activityByDay[day] ?? 0) + 1;
      }
    }
    const averageLengthByRole = Object.fromEntries(
      Object.entries(lengthByRole).map(([r, n]) => [r, round2(n / (messagesByRole[r] ?? 1))]),
    );
    // Earliest and latest by time, not by position: a message may carry an earlier timestamp than one
    // stored before it (an import, a caller-given time), as getUserStats' first/lastActivity already do.
    let first: string | null = null;
    let last: string | null = null;
    for (const m of messages) {
      if (Number.isNaN(Date.parse(m.timestamp))) continue;
      if (first === null || Date.parse(m.timestamp) < Date.parse(first)) first = m.timestamp;
      if (last === null || Date.parse(m.timestamp) > Date.parse(last)) last = m.timestamp;
    }
    return {
      userId,
      sessionId,
      messageCount: messages.length,
      messagesByRole,
      averageMessageLength: messages.length ? round2(chars / messages.length) : 0,
      averageLengthByRole,
      firstMessageAt: first,
      lastMessageAt: last,
      durationSeconds: first && last ? Math.max(0, (Date.parse(last) - Date.parse(first)) / 1000) : 0,
      topTerms: topTerms(
        messages.map((m) => m.content),
        10,
        this.core.config.search.minWordLength,
      ),
      activityByHour,
      activityByDay,
    };
  }

  async userAnalytics(userId: string, opts?: unknown): Promise<UserAnalytics | null> {
    assertUserId(userId);
    const o = parseOptions(z.object({ days: z.number().int().positive().max(3650).optional() }), opts);
    if (await this.userMissing(userId)) return null;
    const days = o.days ?? 30;
    const now = this.core.clock.now();
    const end = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const startMs = end - (days - 1) * 86_400_000;
    const startIso = new Date(startMs).toISOString();
    const perDay = new Map<string, number>();
    for (let i = 0; i < days; i++)
      perDay.set(new Date(startMs + i * 86_400_000).toISOString().slice(0, 10), 0);
    const sessions = await this.d.sessions.list(userId);
    const sessionsCreated = sessions.filter((s) => s.createdAt >= startIso).length;
    const messagesByRole: Record<string, number> = {};
    let total = 0;
    await this.forEachMessage(
      userId,
      sessions.map((s) => s.sessionId),
      (m) => {
        const t = new Date(m.timestamp);
        if (Number.isNaN(t.getTime())) return;
        const day = t.toISOString().slice(0, 10);
        if (!perDay.has(day)) return;
        perDay.set(day, (perDay.get(day) ?? 0) + 1);
        messagesByRole[m.role] = (messagesByRole[m.role] ?? 0) + 1;
        total++;
      },
    );
    const messagesPerDay = [...perDay.entries()].map(([date, count]) => ({ date, count }));
    const active = messagesPerDay.filter((d) => d.count > 0).length;
    return {
      userId,
      days,
      messagesPerDay,
      sessionsCreated,
      messagesByRole,
      totalMessages: total,
      activeDays: active,
      averageMessagesPerDay: round2(total / days),
    };
  }

  async healthCheck(basePath: string | null): Promise<Record<string, unknown> & { healthy: boolean }> {
    const warnings: string[] = [];
    const errors: string[] = [];
    let backend: Record<string, unknown> = {};
    try {
      const report = await this.core.storage.healthCheck();
      backend = report;
      if (!report.healthy) errors.push(...(report.errors ?? ['storage backend unhealthy']));
      warnings.push(...(report.warnings ?? []));
    } catch (error) {
      errors.push(`storage health check failed: ${(error as Error).message}`);
    }
    // The reference's checks of the base path (a store that is not on disk reports its own health).
    const abs = basePath && this.core.storage.capabilities.persistent ? path.resolve(basePath) : null;
    let basePathExists = false;
    let canRead = errors.length === 0;
    let canWrite = errors.length === 0;
    if (abs) {
      const can = (mode: number) =>
        fs.promises.access(abs, mode).then(
          () => true,
          () => false,
        );
      basePathExists = await can(fs.constants.F_OK);
      canRead = basePathExists && (await can(fs.constants.R_OK | fs.constants.X_OK));
      canWrite = basePathExists && (await can(fs.constants.W_OK | fs.constants.X_OK));
      if (!basePathExists) errors.push(`the base path ${abs} does not exist`);
      else if (!canRead || !canWrite)
        errors.push(`the base path ${abs} is not ${canRead ? 'writable' : 'readable'} by this process`);
    }
    let diskUsage: Record<string, number> | null = null;
    if (abs) {
      try {
        const st = await fs.promises.statfs(abs);
        const total = st.blocks * st.bsize;
        const free = st.bavail * st.bsize;
        const usedPercentage = total > 0 ? round2(((total - free) / total) * 100) : 0;
        diskUsage = { totalBytes: total, freeBytes: free, usedPercentage };
        const { diskUsageWarningThreshold: warn, diskUsageCriticalThreshold: crit } =
          this.core.config.runtime;
        if (usedPercentage >= crit)
          errors.push(`disk usage ${usedPercentage}% is above the critical threshold ${crit}%`);
        else if (usedPercentage >= warn)
          warnings.push(`disk usage ${usedPercentage}% is above the warning threshold ${warn}%`);
      } catch (error) {
        warnings.push(`disk usage unavailable: ${(error as Error).message}`);
      }
    }
    return {
      healthy: errors.length === 0,
      backendType: this.core.storage.id,
      basePath,
      basePathExists,
      canRead,
      canWrite,
      config: {
        basePath,
        maxDocumentSize: this.core.config.storage.maxDocumentSizeBytes,
      },
      diskUsage,
      backend,
      features: this.d.features().map((f) => f.name),
      warnings,
      errors,
      checkedAt: this.core.now(),
    };
  }
}
