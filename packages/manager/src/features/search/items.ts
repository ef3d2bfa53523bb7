/**
 * Mapping between the manager's entities and the SearchIndex port's items and hits.
 *
 * Item ids are unique per user and say what they are: `m/<sessionId>/<messageId>`,
 * `d/<sessionId>/<documentId>`, `c/<sessionId>/<current|snapshotId>`, `p/<panelId>/<messageId>`.
 */
import type {
  DocumentRecord,
  IndexDocument,
  IndexHit,
  Message,
  SearchResult,
  SituationalContext,
} from '@ffdb/core-types';
import type { StoredMessage } from '../types.js';

export const messageItemId = (sessionId: string, messageId: string): string => `m/${sessionId}/${messageId}`;
export const documentItemId = (sessionId: string, documentId: string): string =>
  `d/${sessionId}/${documentId}`;
export const contextItemId = (sessionId: string, contextId: string): string => `c/${sessionId}/${contextId}`;
export const panelItemId = (panelId: string, messageId: string): string => `p/${panelId}/${messageId}`;

/** Largest document text indexed (characters); the rest of a huge file is not searchable. */
export const MAX_DOCUMENT_TEXT = 1_000_000;

export function messageItem(userId: string, sessionId: string, m: StoredMessage, log: string): IndexDocument {
  const meta: Record<string, unknown> = { messageId: m.messageId, seq: m.seq };
  if (m.attachments.length > 0) meta.attachments = m.attachments;
  if (Object.keys(m.metadata).length > 0) meta.metadata = m.metadata;
  if (m.parentId !== undefined) meta.parentId = m.parentId;
  return {
    id: messageItemId(sessionId, m.messageId),
    userId,
    sessionId,
    type: 'message',
    content: m.content,
    timestamp: m.timestamp,
    role: m.role,
    metadata: meta,
    source: { log, seq: m.seq },
  };
}

const TEXT_EXTENSIONS = new Set([
  '.txt',
  '.md',
  '.markdown',
  '.json',
  '.csv',
  '.tsv',
  '.html',
  '.htm',
  '.xml',
  '.yaml',
  '.yml',
  '.log',
  '.rst',
]);

function extensionOf(name: string): string {
  const i = name.lastIndexOf('.');
  return i < 0 ? '' : name.slice(i).toLowerCase();
}

/** Text of a document for the index: text-like formats are decoded; other formats index their metadata. */
export function documentText(record: DocumentRecord, bytes: Uint8Array | null): string {
  if (!bytes) return '';
  const ext = extensionOf(record.originalName || record.filename);
  const mime = record.mimeType.toLowerCase();
  const textual =
    mime.startsWith('text/') || mime.includes('json') || mime.includes('xml') || TEXT_EXTENSIONS.has(ext);
  if (!textual) return '';
  let text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(0, MAX_DOCUMENT_TEXT * 4));
  if (mime.includes('html') || ext === '.html' || ext === '.htm') {
    text = text
      .replace(/<(script|style)[^>]*>[\s\S]*?<\/\1>/gi, ' ')
      .replace(/<[^>]+>/g, ' ')
      .replace(/&nbsp;/g, ' ')
      .replace(/&amp;/g, '&')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>');
  }
  return text.slice(0, MAX_DOCUMENT_TEXT);
}

/** The reference's document "metadata text": original name, description and analysis results. */
function documentTitle(record: DocumentRecord): string {
  const parts = [record.originalName || record.filename];
  const description = record.metadata.description;
  if (typeof description === 'string') parts.push(description);
  if (Object.keys(record.analysis).length > 0) parts.push(JSON.stringify(record.analysis).slice(0, 4000));
  return parts.join('\n');
}

export function documentItem(
  userId: string,
  sessionId: string,
  record: DocumentRecord,
  bytes: Uint8Array | null,
): IndexDocument {
  const title = documentTitle(record);
  const text = documentText(record, bytes);
  return {
    id: documentItemId(sessionId, record.documentId),
    userId,
    sessionId,
    type: 'document',
    // Binary formats (pdf, images) are searchable through their metadata text.
    content: text.trim() === '' ? title : text,
    timestamp: record.uploadedAt,
    title,
    metadata: {
      documentId: record.documentId,
      filename: record.filename,
      originalName: record.originalName,
      mimeType: record.mimeType,
      size: record.size,
      uploadedBy: record.uploadedBy,
      metadata: record.metadata,
    },
  };
}

export function contextItem(
  userId: string,
  sessionId: string,
  ctx: SituationalContext,
  contextId: string,
): IndexDocument {
  return {
    id: contextItemId(sessionId, contextId),
    userId,
    sessionId,
    type: 'context',
    content: ctx.summary,
    timestamp: ctx.timestamp,
    title: ctx.keyPoints.join('\n'),
    metadata: {
      contextId,
      keyPoints: ctx.keyPoints,
      entities: ctx.entities,
      confidence: ctx.confidence,
      metadata: ctx.metadata,
    },
  };
}

const str = (v: unknown, fallback = ''): string => (typeof v === 'string' ? v : fallback);
const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** The item's own metadata (message/document/context metadata), for the `metadata` filter. */
export function ownMetadata(hit: IndexHit): Record<string, unknown> {
  return obj(hit.metadata?.metadata);
}

/** A hit as an API.md SearchResult (metadata as the reference's §1.6 step 7, plus role). */
export function toSearchResult(hit: IndexHit): SearchResult {
  const meta = hit.metadata ?? {};
  let id = hit.id;
  let metadata: Record<string, unknown>;
  let score = hit.score;
  if (hit.type === 'message' || hit.type === 'panel_message') {
    id = str(meta.messageId, hit.id);
    metadata = { role: hit.role ?? '', seq: meta.seq };
    if (meta.personaId !== undefined) metadata.personaId = meta.personaId;
  } else if (hit.type === 'document') {
    id = str(meta.documentId, hit.id);
    metadata = {
      originalName: meta.originalName,
      mimeType: meta.mimeType,
      size: meta.size,
      filename: meta.filename,
    };
  } else {
    id = str(meta.contextId, hit.id);
    const confidence = typeof meta.confidence === 'number' ? meta.confidence : 0;
    metadata = { keyPoints: meta.keyPoints ?? [], entities: meta.entities ?? {}, confidence };
    // The reference multiplies context scores by confidence; a softened factor keeps a context with
    // confidence 0 (the default) findable instead of scoring it 0.
    score *= 0.5 + 0.5 * confidence;
  }
  return {
    id,
    type: hit.type as SearchResult['type'],
    content: hit.content,
    sessionId: hit.sessionId,
    userId: hit.userId,
    timestamp: hit.timestamp,
    relevanceScore: score,
    highlights: hit.highlights,
    snippet: hit.snippet,
    metadata,
  };
}

/** A message hit back as a stored Message. */
export function toMessage(hit: IndexHit): Message & { seq: number } {
  const meta = hit.metadata ?? {};
  const m: Message & { seq: number } = {
    messageId: str(meta.messageId, hit.id),
    role: hit.role ?? '',
    content: hit.content,
    timestamp: hit.timestamp,
    attachments: Array.isArray(meta.attachments) ? (meta.attachments as string[]) : [],
    metadata: obj(meta.metadata),
    seq: typeof meta.seq === 'number' ? meta.seq : 0,
  };
  if (typeof meta.parentId === 'string') m.parentId = meta.parentId;
  return m;
}
