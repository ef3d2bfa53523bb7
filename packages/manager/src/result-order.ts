import type { SearchResult } from '@ffdb/core-types';

/** Search results best first; equal scores newest first (the order every search method returns). */
export function byRelevanceThenRecency(
  a: Pick<SearchResult, 'relevanceScore' | 'timestamp'>,
  b: Pick<SearchResult, 'relevanceScore' | 'timestamp'>,
): number {
  return (
    b.relevanceScore - a.relevanceScore ||
    (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0)
  );
}
