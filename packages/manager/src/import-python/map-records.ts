/**
 * Maps the original's snake_case records (and the older `id` keys) to ffdb's camelCase shapes.
 * Each mapper returns the record or a reason string when the record cannot be imported.
 */
import { DEFAULT_SESSION_TITLES, FALLBACK_SESSION_TITLE, sliceWhole } from '@ffdb/core-types';
import { naiveToUtcIso } from './naive-time.js';

export type Json = Record<string, unknown>;
export type Mapped<T> = { ok: true; value: T } | { ok: false; reason: string };

export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export function camelKey(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Top-level keys camelCased; nested values kept as written (they are user data). */
export function camelTopLevel(obj: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) out[camelKey(k)] = v;
  return out;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Json => (isObject(v) ? v : {});
const strList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];

export interface TimeCtx {
  timeZone: string | undefined;
  /** Used when a record has no usable timestamp. */
  fallback: string;
}

function time(v: unknown, ctx: TimeCtx): string {
  return naiveToUtcIso(v, ctx.timeZone) ?? ctx.fallback;
}

function unknownKeys(rec: Json, known: readonly string[]): Json {
  const extra: Json = {};
  for (const [k, v] of Object.entries(rec)) if (!known.includes(k)) extra[camelKey(k)] = v;
  return extra;
}

export interface MappedMessage {
  messageId: string;
  role: string;
  content: string;
  timestamp: string;
  attachments: string[];
  metadata: Json;
}

const MESSAGE_KEYS = ['message_id', 'id', 'role', 'content', 'timestamp', 'attachments', 'metadata'] as const;
const MESSAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$/;

/**
 * A message line. Keys the message schema has no field for (a panel chat's `persona_id`, …) are kept
 * in `metadata`, camelCased, unless metadata already has that key.
 */
export function mapMessage(rec: unknown, ctx: TimeCtx): Mapped<MappedMessage> {
  if (!isObject(rec)) return { ok: false, reason: 'not a JSON object' };
  const messageId = str(rec.message_id) ?? str(rec.id) ?? str(rec.messageId);
  if (!messageId) return { ok: false, reason: 'no message_id or id' };
  if (!MESSAGE_ID.test(messageId)) return { ok: false, reason: 'message id has invalid characters' };
  const role = str(rec.role)?.trim();
  if (!role) return { ok: false, reason: 'empty role' };
  const content = str(rec.content);
  if (content === undefined || content.trim() === '') return { ok: false, reason: 'empty content' };
  const metadata = { ...unknownKeys(rec, [...MESSAGE_KEYS, 'messageId']), ...obj(rec.metadata) };
  return {
    ok: true,
    value: {
      messageId,
      role,
      content,
      timestamp: time(rec.timestamp, ctx),
      attachments: strList(rec.attachments),
      metadata,
    },
  };
}

export interface MappedSession {
  sessionId: string;
  userId: string;
  title: string;
  sessionType: string;
  createdAt: string;
  updatedAt: string;
  metadata: Json;
  /** The count the original recorded (informational: ffdb counts the log). */
  recordedMessageCount: number | null;
}

/** The type encoded in an id prefix: `panel_session_…` -> `panel`. */
export function sessionTypeFromId(sessionId: string): string {
  const m = /^([a-z_]+?)_session_/.exec(sessionId);
  return m?.[1] ?? 'chat';
}

export function mapSession(rec: Json, dirName: string, userId: string, ctx: TimeCtx): MappedSession {
  const sessionType = str(rec.session_type) ?? sessionTypeFromId(dirName);
  // No title: the default title of the type, as ffdb gives a new session.
  const fallback = DEFAULT_SESSION_TITLES[sessionType] ?? FALLBACK_SESSION_TITLE;
  const title = sliceWhole(str(rec.title) ?? str(rec.session_name) ?? fallback, 0, 200) || fallback;
  const count = rec.message_count;
  return {
    sessionId: dirName,
    userId,
    title,
    sessionType,
    createdAt: time(rec.created_at, ctx),
    updatedAt: time(rec.updated_at ?? rec.created_at, ctx),
    metadata: obj(rec.metadata),
    recordedMessageCount: typeof count === 'number' && Number.isInteger(count) ? count : null,
  };
}

export interface MappedProfile {
  userId: string;
  username: string;
  createdAt: string;
  updatedAt: string;
  preferences: Json;
  metadata: Json;
  [extra: string]: unknown;
}

const PROFILE_KEYS = ['user_id', 'id', 'username', 'created_at', 'updated_at', 'preferences', 'metadata'];

/** profile.json; extra keys (name, email, …) are kept as top-level fields, camelCased. */
export function mapProfile(rec: Json, userId: string, ctx: TimeCtx): MappedProfile {
  return {
    ...unknownKeys(rec, PROFILE_KEYS),
    userId,
    username: str(rec.username) ?? '',
    createdAt: time(rec.created_at, ctx),
    updatedAt: time(rec.updated_at ?? rec.created_at, ctx),
    preferences: obj(rec.preferences),
    metadata: obj(rec.metadata),
  };
}

export interface MappedDocument {
  documentId: string;
  filename: string;
  originalName: string;
  mimeType: string;
  uploadedAt: string;
  uploadedBy: string;
  analysis: Json;
  metadata: Json;
  /** The relative path the original recorded (kept in metadata for reference). */
  originalPath: string | null;
  recordedSize: number | null;
}

export function mapDocument(docId: string, rec: unknown, ctx: TimeCtx): Mapped<MappedDocument> {
  if (!isObject(rec)) return { ok: false, reason: 'document entry is not an object' };
  const filename = str(rec.filename) ?? docId;
  return {
    ok: true,
    value: {
      documentId: docId,
      filename,
      originalName: str(rec.original_name) ?? filename,
      mimeType: str(rec.mime_type) ?? 'application/octet-stream',
      uploadedAt: time(rec.uploaded_at, ctx),
      uploadedBy: str(rec.uploaded_by) ?? '',
      analysis: mapAnalysis(obj(rec.analysis), ctx),
      metadata: obj(rec.metadata),
      originalPath: str(rec.path) ?? null,
      recordedSize: typeof rec.size === 'number' ? rec.size : null,
    },
  };
}

/**
 * The original keeps each analysis as `analysis[type] = { results, timestamp }` (naive local time);
 * `updateDocumentAnalysis` stores `analysis.analysis` = the results and `analysis.analyzedAt` (UTC). The
 * `analysis` type is mapped to that shape; other types keep theirs, their timestamps converted to UTC.
 */
function mapAnalysis(analysis: Json, ctx: TimeCtx): Json {
  const out: Json = {};
  for (const [type, value] of Object.entries(analysis)) {
    const entry = isObject(value) && 'results' in value ? value : null;
    if (entry === null) out[type] = value;
    else if (type === 'analysis') {
      out.analysis = entry.results;
      if (entry.timestamp !== undefined) out.analyzedAt = time(entry.timestamp, ctx);
    } else {
      out[type] = {
        ...entry,
        ...(entry.timestamp !== undefined ? { timestamp: time(entry.timestamp, ctx) } : {}),
      };
    }
  }
  return out;
}

export interface MappedContext {
  summary: string;
  keyPoints: string[];
  entities: Record<string, string[]>;
  timestamp: string;
  confidence: number;
  messageRange: { start: string; end: string } | null;
  metadata: Json;
}

export function mapContext(rec: unknown, ctx: TimeCtx): Mapped<MappedContext> {
  if (!isObject(rec)) return { ok: false, reason: 'not a JSON object' };
  const summary = str(rec.summary);
  if (!summary || summary.trim() === '') return { ok: false, reason: 'empty summary' };
  const confidence = typeof rec.confidence === 'number' ? rec.confidence : 0;
  if (confidence < 0 || confidence > 1) return { ok: false, reason: 'confidence outside [0, 1]' };
  const entities: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(obj(rec.entities))) entities[k] = strList(v);
  const range = obj(rec.message_range);
  const start = str(range.start);
  const end = str(range.end);
  return {
    ok: true,
    value: {
      summary,
      keyPoints: strList(rec.key_points).slice(0, 10),
      entities,
      timestamp: time(rec.timestamp, ctx),
      confidence,
      messageRange: start !== undefined && end !== undefined ? { start, end } : null,
      metadata: obj(rec.metadata),
    },
  };
}

/**
 * A persona file: the plain FFPersonaDTO (`id`, `communication_style`, `is_global`, …) or the chat
 * app's rich file (`persona_id`, `behavioral_traits`, `expertise_areas`, `llm_config_persona`, …).
 * Top-level keys are camelCased; every field is kept.
 */
export function mapPersona(
  rec: unknown,
  fileStem: string,
  ownerId: string | null,
  ctx: TimeCtx,
): Mapped<Json> {
  if (!isObject(rec)) return { ok: false, reason: 'not a JSON object' };
  const personaId = str(rec.persona_id) ?? str(rec.id) ?? fileStem;
  // The original stored persona dicts unchecked; a nameless one takes its id as name (as savePersona does).
  const given = str(rec.name) ?? str(rec.persona_name);
  const name = given && given.trim() !== '' ? given : personaId;
  const out = camelTopLevel(rec);
  delete out.id;
  out.personaId = personaId;
  out.name = name;
  if (typeof out.createdAt === 'string') out.createdAt = time(out.createdAt, ctx);
  if (typeof out.updatedAt === 'string') out.updatedAt = time(out.updatedAt, ctx);
  if (ownerId !== null) {
    out.isGlobal = false;
    out.ownerId = ownerId;
  } else if (out.isGlobal === undefined) {
    out.isGlobal = true;
  }
  return { ok: true, value: out };
}

export interface MappedPanel {
  panelId: string;
  type: string;
  personas: string[];
  createdAt: string;
  updatedAt: string;
  config: Json;
  metadata: Json;
}

export function mapPanel(rec: unknown, dirName: string, ctx: TimeCtx): Mapped<MappedPanel> {
  if (!isObject(rec)) return { ok: false, reason: 'panel.json is not an object' };
  const personas = strList(rec.personas);
  if (personas.length === 0) return { ok: false, reason: 'panel has no personas' };
  return {
    ok: true,
    value: {
      panelId: dirName,
      type: str(rec.type) ?? str(rec.panel_type) ?? 'multi_persona',
      personas,
      createdAt: time(rec.created_at, ctx),
      updatedAt: time(rec.updated_at ?? rec.created_at, ctx),
      config: obj(rec.config),
      metadata: obj(rec.metadata),
    },
  };
}

export interface MappedPanelMessage extends MappedMessage {
  personaId: string;
  responseTo: string | null;
  consensusLevel: number | null;
}

export function mapPanelMessage(rec: unknown, ctx: TimeCtx): Mapped<MappedPanelMessage> {
  if (!isObject(rec)) return { ok: false, reason: 'not a JSON object' };
  const stripped: Json = { ...rec };
  for (const k of ['persona_id', 'response_to', 'consensus_level']) delete stripped[k];
  const base = mapMessage(stripped, ctx);
  if (!base.ok) return base;
  const consensus = rec.consensus_level;
  if (typeof consensus === 'number' && (consensus < 0 || consensus > 1)) {
    return { ok: false, reason: 'consensus_level outside [0, 1]' };
  }
  return {
    ok: true,
    value: {
      ...base.value,
      personaId: str(rec.persona_id) || base.value.role,
      responseTo: str(rec.response_to) ?? null,
      consensusLevel: typeof consensus === 'number' ? consensus : null,
    },
  };
}

export interface MappedInsight {
  insightId: string;
  panelId: string;
  type: 'conclusion' | 'analysis' | 'summary' | 'recommendation';
  content: string;
  supportingMessages: string[];
  consensusLevel: number;
  createdAt: string;
  createdBy: string;
  metadata: Json;
}

const INSIGHT_TYPES = ['conclusion', 'analysis', 'summary', 'recommendation'] as const;

export function mapInsight(
  rec: unknown,
  fileStem: string,
  panelId: string,
  ctx: TimeCtx,
): Mapped<MappedInsight> {
  if (!isObject(rec)) return { ok: false, reason: 'not a JSON object' };
  const content = str(rec.content);
  if (!content || content.trim() === '') return { ok: false, reason: 'empty content' };
  // The original did not check the type: one outside ffdb's four is kept as an `analysis`, its own
  // type in metadata.originalType, rather than dropped.
  const given = str(rec.type) ?? 'conclusion';
  const known = (INSIGHT_TYPES as readonly string[]).includes(given);
  const type = known ? given : 'analysis';
  const consensus = typeof rec.consensus_level === 'number' ? rec.consensus_level : 0;
  if (consensus < 0 || consensus > 1) return { ok: false, reason: 'consensus_level outside [0, 1]' };
  return {
    ok: true,
    value: {
      insightId: str(rec.id) ?? str(rec.insight_id) ?? fileStem,
      panelId,
      type: type as MappedInsight['type'],
      content,
      supportingMessages: strList(rec.supporting_messages),
      consensusLevel: consensus,
      createdAt: time(rec.created_at, ctx),
      createdBy: str(rec.created_by) ?? 'system',
      metadata: known ? obj(rec.metadata) : { ...obj(rec.metadata), originalType: given },
    },
  };
}
