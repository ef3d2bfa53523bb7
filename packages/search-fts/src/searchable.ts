/**
 * What the query evaluator needs from a searchable unit. Both the mutable in-memory tail and the
 * immutable segments implement it, so one evaluator serves both and the tail's results are scored
 * exactly like a segment's (read-your-writes without a different code path).
 */
import type { IndexedItemType } from '@ffdb/core-types';

export const ITEM_TYPES: readonly IndexedItemType[] = ['message', 'document', 'context', 'panel_message'];

export function typeCode(type: IndexedItemType): number {
  const i = ITEM_TYPES.indexOf(type);
  return Math.max(i, 0);
}

/** One stored item, as kept in the tail and rebuilt from a segment for hits. */
export interface DocRecord {
  id: string;
  sessionId: string;
  type: IndexedItemType;
  role: string | undefined;
  timestamp: string;
  /** `Date.parse(timestamp)`; NaN when unparsable (such items pass every time filter, as in the reference). */
  tsMs: number;
  content: string;
  title: string | undefined;
  metadata: Record<string, unknown> | undefined;
}

/** A posting list slice: `docs[start..end)` with the matching term frequencies. */
export interface Postings {
  docs: ArrayLike<number>;
  tfs: ArrayLike<number>;
  start: number;
  end: number;
}

export interface Searchable {
  /** Documents including deleted ones (doc numbers are `0..size-1`). */
  readonly size: number;
  /** Sum of the lengths (in indexed terms) of all documents. */
  readonly totalLength: number;
  readonly liveCount: number;
  isDeleted(doc: number): boolean;
  docLength(doc: number): number;
  /** Postings of a term, or null when the term is absent. */
  postings(term: string): Postings | null;
  /** Document frequency of a term (0 when absent). */
  df(term: string): number;
  /** Index terms starting with `prefix`, at most `max`, the most frequent first. */
  termsWithPrefix(prefix: string, max: number): string[];
  /** Every index term (for fuzzy expansion). */
  allTerms(): Iterable<string>;
  // ---- per-document fields used by filters ----
  idOf(doc: number): string;
  sessionOf(doc: number): string;
  typeCodeOf(doc: number): number;
  roleOf(doc: number): string | undefined;
  tsOf(doc: number): number;
  contentOf(doc: number): string;
  record(doc: number): DocRecord;
  /** Doc number of an id, or -1. */
  find(id: string): number;
  /** Mark a document deleted; true when it was live. */
  markDeleted(doc: number): boolean;
}
