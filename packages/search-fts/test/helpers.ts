import type { IndexDocument } from '@ffdb/core-types';

let clockMs = Date.UTC(2026, 0, 1);
/** A message item with a deterministic, increasing timestamp. */
export function msg(
  userId: string,
  sessionId: string,
  id: string,
  content: string,
  extra: Partial<IndexDocument> = {},
): IndexDocument {
  clockMs += 1000;
  return {
    id,
    userId,
    sessionId,
    type: 'message',
    content,
    timestamp: new Date(clockMs).toISOString(),
    role: 'user',
    ...extra,
  };
}
