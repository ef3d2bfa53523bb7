/**
 * Documents: bytes at …/documents/<docId>; records in the session's `document-index` log of
 * `put` / `analysis` / `delete` events (one small append per change, never a rewrite of a growing file).
 * Limits as the reference: size limit inclusive (storage.maxDocumentSizeBytes), extension allow-list
 * case-insensitive on the last suffix, MIME by extension. A document given by `path` is streamed to
 * the store, never held in memory.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  type DocumentRecord,
  FFNotFoundError,
  type LogAppendResult,
  FFValidationError,
  MAX_DOCUMENT_NAME_LENGTH,
  Metadata,
  mimeTypeFor,
  parseOrThrow,
  sanitizeFilename,
  StoreDocumentInputSchema,
} from '@ffdb/core-types';
import type { Core } from '../core.js';
import { keys } from '../keys.js';
import {
  assertDocumentId,
  assertLengthRule,
  assertPlainObject,
  assertSessionId,
  assertUserId,
} from '../validation.js';

type DocIndex = Record<string, DocumentRecord>;

type DocEvent =
  | { op: 'put'; record: DocumentRecord }
  | { op: 'analysis'; id: string; analysis: Record<string, unknown>; at: string }
  | { op: 'delete'; id: string };

/** The extension allow-list (case-insensitive; only the last suffix counts, like the reference). */
export function assertAllowedExtension(allowedExtensions: readonly string[], filename: string): void {
  const ext = extensionOf(filename);
  const allowed = allowedExtensions.map((e) => e.toLowerCase());
  if (!allowed.includes(ext)) {
    throw new FFValidationError([
      {
        path: 'filename',
        message: `extension ${ext ? JSON.stringify(ext) : '(none)'} is not in document.allowedExtensions`,
        limit: allowed.join(' '),
      },
    ]);
  }
}

/**
 * The last suffix, lower-cased, as pathlib's `suffix` (the reference): a name that is only a leading dot
 * and a word (`.txt`, `.env`) is a hidden file without an extension, not a `.txt` file.
 */
export function extensionOf(filename: string): string {
  const base = filename.split(/[\\/]/).pop() ?? filename;
  const dot = base.lastIndexOf('.');
  return dot > 0 && dot < base.length - 1 ? base.slice(dot).toLowerCase() : '';
}

export class DocumentService {
  constructor(private readonly core: Core) {}

  /** The folded records of a session (null when it never had a document). */
  async readIndex(userId: string, sessionId: string): Promise<DocIndex | null> {
    const entries = await this.core.storage.readLog<DocEvent & Record<string, unknown>>(
      keys.documentsIndex(userId, sessionId),
    );
    if (entries.length === 0) return null;
    const index: DocIndex = {};
    for (const { data: e } of entries) {
      if (e.op === 'put') index[e.record.documentId] = e.record;
      else if (e.op === 'delete') delete index[e.id];
      else if (e.op === 'analysis') {
        const r = index[e.id];
        if (r) r.analysis = { ...r.analysis, analysis: e.analysis, analyzedAt: e.at };
      }
    }
    return index;
  }

  private async append(userId: string, sessionId: string, event: DocEvent): Promise<LogAppendResult> {
    const res = await this.core.storage.append(keys.documentsIndex(userId, sessionId), [
      event as unknown as Record<string, unknown>,
    ]);
    // Other processes' search indexes learn of the change from the session index (a put's bytes are
    // already written; a delete's removal from their index needs nothing else).
    this.core.index.revSoon(userId, sessionId, 'd', res.firstSeq + 1);
    return res;
  }

  async store(userId: string, sessionId: string, doc: unknown): Promise<string> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const d = parseOrThrow(StoreDocumentInputSchema, assertPlainObject(doc, 'doc'), 'doc');
    const metadata = d.metadata === undefined ? {} : parseOrThrow(Metadata, d.metadata, 'doc.metadata');
    const { config } = this.core;
    assertAllowedExtension(config.document.allowedExtensions, d.filename);
    const limit = config.storage.maxDocumentSizeBytes;
    let bytes: Uint8Array | null = null;
    let size: number;
    if (d.content !== undefined) {
      bytes = typeof d.content === 'string' ? new TextEncoder().encode(d.content) : d.content;
      size = bytes.byteLength;
    } else {
      const stat = await fs.promises.stat(d.path!).catch(() => null);
      if (!stat?.isFile())
        throw new FFValidationError([{ path: 'doc.path', message: 'is not a readable file' }]);
      size = stat.size;
    }
    if (size > limit) {
      throw new FFValidationError([
        {
          path: 'content',
          message: `document is ${size} bytes, over storage.maxDocumentSizeBytes ${limit}`,
          limit,
        },
      ]);
    }
    const { runtime } = config;
    assertLengthRule(
      size,
      'content',
      { min: runtime.minDocumentContentLength, minField: 'runtime.minDocumentContentLength' },
      'bytes',
    );
    assertLengthRule(d.filename.length, 'filename', {
      min: runtime.minFilenameLength,
      minField: 'runtime.minFilenameLength',
    });
    if (!(await this.core.index.has(userId, sessionId))) {
      throw new FFNotFoundError(`Session ${sessionId} not found for user ${userId}`);
    }
    // <8 hex>_<sanitized name>, which is also the stored filename: the name is shortened (keeping its
    // extension) so that the whole fits runtime.maxFilenameLength and one 255-character key segment.
    const nameMax = Math.max(1, Math.min(MAX_DOCUMENT_NAME_LENGTH, runtime.maxFilenameLength - 9));
    const documentId = `${randomBytes(4).toString('hex')}_${sanitizeFilename(d.filename, nameMax)}`;
    const key = keys.documentKey(userId, sessionId, documentId);
    // A deleteSession racing this save can remove the session's tree under the writes below: the save
    // then fails as for a missing session (FFNotFoundError), not with the storage error that caused.
    const sessionGone = (): never => {
      throw new FFNotFoundError(`Session ${sessionId} not found for user ${userId}`);
    };
    if (bytes) {
      await this.core.index.writeUnlessGone(
        userId,
        sessionId,
        () => this.core.storage.write(key, bytes),
        sessionGone,
      );
    } else {
      const written = await this.core.index.writeUnlessGone(
        userId,
        sessionId,
        () => this.core.storage.writeStream(key, fs.createReadStream(d.path!)),
        sessionGone,
      );
      size = written;
      if (written > limit) {
        await this.core.storage.delete(key);
        throw new FFValidationError([
          {
            path: 'content',
            message: `document is ${written} bytes, over storage.maxDocumentSizeBytes ${limit}`,
            limit,
          },
        ]);
      }
    }
    const record: DocumentRecord = {
      documentId,
      filename: documentId,
      originalName:
        d.originalName ?? (d.path && d.filename === undefined ? path.basename(d.path) : d.filename),
      path: key,
      mimeType: d.mimeType ?? mimeTypeFor(d.filename),
      size,
      uploadedAt: this.core.now(),
      uploadedBy: d.uploadedBy ?? userId,
      analysis: {},
      metadata,
    };
    const put = await this.core.index.writeUnlessGone(
      userId,
      sessionId,
      () => this.putRecord(userId, sessionId, record),
      sessionGone,
    );
    // Deleted meanwhile (by any process): the document lies in a tree nobody lists. Removed again, and
    // the save fails as it would have a moment earlier.
    if (await this.core.index.removeIfGone(userId, sessionId)) sessionGone();
    if (this.core.hooks.has('onDocumentStored')) {
      const content = bytes ?? (await this.core.storage.read(key)) ?? new Uint8Array();
      // The put event's position lets derived indexes catch up after a crash (like message seqs).
      const source = { log: keys.documentsIndex(userId, sessionId), seq: put.firstSeq };
      await this.core.hooks.emit('onDocumentStored', userId, sessionId, record, content, source);
    }
    return documentId;
  }

  /** Adds or replaces a record in the session's document index (import uses it directly). */
  async putRecord(userId: string, sessionId: string, record: DocumentRecord): Promise<LogAppendResult> {
    return this.append(userId, sessionId, { op: 'put', record });
  }

  /** The session's document events from `fromSeq` on (what changed, by position), for catch-up. */
  async events(
    userId: string,
    sessionId: string,
    fromSeq = 0,
  ): Promise<{ seq: number; op: DocEvent['op']; documentId: string }[]> {
    const entries = await this.core.storage.readLog<DocEvent & Record<string, unknown>>(
      keys.documentsIndex(userId, sessionId),
      { fromSeq },
    );
    return entries.map(({ seq, data: e }) => ({
      seq,
      op: e.op,
      documentId: e.op === 'put' ? e.record.documentId : e.id,
    }));
  }

  async get(userId: string, sessionId: string, documentId: string): Promise<Uint8Array | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    assertDocumentId(documentId);
    return this.core.storage.read(keys.documentKey(userId, sessionId, documentId));
  }

  async info(userId: string, sessionId: string, documentId: string): Promise<DocumentRecord | null> {
    assertUserId(userId);
    assertSessionId(sessionId);
    assertDocumentId(documentId);
    return (await this.readIndex(userId, sessionId))?.[documentId] ?? null;
  }

  async list(userId: string, sessionId: string): Promise<DocumentRecord[]> {
    assertUserId(userId);
    assertSessionId(sessionId);
    const index = await this.readIndex(userId, sessionId);
    if (!index) return [];
    // Upload order: the order of the put events in the log (object keys keep insertion order).
    return Object.values(index);
  }

  async remove(userId: string, sessionId: string, documentId: string): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    assertDocumentId(documentId);
    const indexKey = keys.documentsIndex(userId, sessionId);
    const removed = await this.core.storage.withLock(indexKey, async () => {
      const index = await this.readIndex(userId, sessionId);
      if (!index?.[documentId]) return false;
      await this.append(userId, sessionId, { op: 'delete', id: documentId });
      await this.core.storage.delete(keys.documentKey(userId, sessionId, documentId));
      return true;
    });
    if (removed) await this.core.hooks.emit('onDocumentDeleted', userId, sessionId, documentId);
    return removed;
  }

  async updateAnalysis(
    userId: string,
    sessionId: string,
    documentId: string,
    analysis: unknown,
  ): Promise<boolean> {
    assertUserId(userId);
    assertSessionId(sessionId);
    assertDocumentId(documentId);
    // JSON-only values, checked here so a BigInt is named as `analysis.<key>` before the lock is taken.
    const a = parseOrThrow(Metadata, assertPlainObject(analysis, 'analysis'), 'analysis');
    const indexKey = keys.documentsIndex(userId, sessionId);
    const res = await this.core.storage.withLock(indexKey, async () => {
      const index = await this.readIndex(userId, sessionId);
      if (!index?.[documentId]) return null;
      return this.append(userId, sessionId, {
        op: 'analysis',
        id: documentId,
        analysis: a,
        at: this.core.now(),
      });
    });
    if (!res) return false;
    // The next query sees the new analysis (read-your-writes), not only the background catch-up.
    await this.core.hooks.emit('onDocumentAnalyzed', userId, sessionId, documentId, {
      log: indexKey,
      seq: res.firstSeq,
    });
    return true;
  }
}
