import type { Adapter, Lifecycle } from './common.js';

export type IndexedItemType = 'message' | 'document' | 'context' | 'panel_message';

/** One searchable item. Ids are unique per user (e.g. `<sessionId>/<messageId>`). */
export interface IndexDocument {
  id: string;
  userId: string;
  sessionId: string;
  type: IndexedItemType;
  content: string;
  /** ISO-8601 UTC. */
  timestamp: string;
  role?: string;
  /** Extra searchable text (e.g. a document's filename or a context's key points). */
  title?: string;
  metadata?: Record<string, unknown>;
  /** Where the item came from, so the index can record the log position it covers. */
  source?: { log: string; seq: number };
}

export interface IndexQuery {
  userId: string;
  /** Free text; empty means "every item passing the filters". */
  text: string;
  types?: IndexedItemType[];
  sessionIds?: string[];
  roles?: string[];
  /** Inclusive ISO-8601 bounds. */
  startDate?: string;
  endDate?: string;
  /** `and` (default): every term must match; `or`: any term. */
  mode?: 'and' | 'or';
  /** Treat every term as a prefix. */
  prefix?: boolean;
  /** Edit distance for fuzzy terms (true = 1). */
  fuzzy?: boolean | number;
  limit?: number;
  minScore?: number;
}

export interface IndexHit {
  id: string;
  userId: string;
  sessionId: string;
  type: IndexedItemType;
  content: string;
  timestamp: string;
  role?: string;
  metadata?: Record<string, unknown>;
  /** BM25-based score, higher is better. */
  score: number;
  /** Character offsets `[start, end)` into `content`. */
  highlights: [number, number][];
  snippet: string;
}

export interface SearchIndexStats {
  users: number;
  documents: number;
  segments: number;
  bytesOnDisk: number;
  [key: string]: unknown;
}

export interface SearchIndex
  extends Adapter<{ persistent: boolean; incremental: boolean; fuzzy: boolean; prefix: boolean }>,
    Lifecycle {
  /** Add or replace items; visible to the next `search` (read-your-writes). */
  add(items: readonly IndexDocument[]): Promise<void>;
  /** Remove items by id. */
  remove(userId: string, ids: readonly string[]): Promise<void>;
  removeSession(userId: string, sessionId: string): Promise<void>;
  removeUser(userId: string): Promise<void>;
  search(query: IndexQuery): Promise<IndexHit[]>;
  /** Per log, the next seq not yet indexed (what the index covers), for crash catch-up. */
  positions(userId: string): Promise<Record<string, number>>;
  /** Persist pending work. */
  flush(): Promise<void>;
  /** Drop everything (one user, or all) before a rebuild. */
  clear(userId?: string): Promise<void>;
  stats(): Promise<SearchIndexStats>;
}
