import type { SearchResult } from '@ffdb/core-types';

type Ordered = Pick<SearchResult, 'relevanceScore' | 'timestamp'> &
  Partial<Pick<SearchResult, 'sessionId' | 'metadata'>>;

/**
 * Search results best first; equal scores newest first (the order every search method returns). Two
 * messages of one session stamped in the same millisecond keep their log order (the later `seq` first).
 */
export function byRelevanceThenRecency(a: Ordered, b: Ordered): number {
  return (
    b.relevanceScore - a.relevanceScore ||
    (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0) ||
    laterInLog(a, b)
  );
}

function laterInLog(a: Ordered, b: Ordered): number {
  if (a.sessionId === undefined || a.sessionId !== b.sessionId) return 0;
  const sa = a.metadata?.seq;
  const sb = b.metadata?.seq;
  return typeof sa === 'number' && typeof sb === 'number' ? sb - sa : 0;
}
