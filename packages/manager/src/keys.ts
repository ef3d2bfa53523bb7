/**
 * The manager's key layout (docs/guide.md "On-disk layout"). Every key is built from ids that were
 * validated before (user ids by USER_ID_PATTERN, the others by SAFE_ID_PATTERN / DOCUMENT_ID_PATTERN),
 * and the storage port validates every key again, so nothing can resolve outside the store.
 *
 * users/<u>/profile.json                                  the user profile (blob)
 * users/<u>/session-index                                 log: session create/update/touch/delete events
 *                                                         (the sessions' metadata; see services/session-index.ts)
 * users/<u>/sessions/<sid>/messages                       log: one record per message
 * users/<u>/sessions/<sid>/streams/<messageId>            log: deltas of a streamed reply
 * users/<u>/sessions/<sid>/documents/<docId>              document bytes (blob)
 * users/<u>/sessions/<sid>/document-index                 log: document put/analysis/delete events
 * users/<u>/sessions/<sid>/context/current.json           current situational context (blob)
 * users/<u>/sessions/<sid>/context/history/<snap>.json    context snapshots (blobs)
 * users/<u>/sessions/<sid>/context-events                 log: which context was written (`current` or a
 *                                                         snapshot id), for derived indexes' crash catch-up
 * users/<u>/features/<name>/…                             per-user data of a feature (vectors, …)
 * features/<name>/…                                       global data of a feature (search index, …)
 * system/trash/<time>_<u>[_<sid>]/…                       optional backups made before deletes
 */
export interface KeyLayout {
  usersRoot: string;
  userRoot(userId: string): string;
  profile(userId: string): string;
  sessionIndex(userId: string): string;
  sessionsRoot(userId: string): string;
  sessionRoot(userId: string, sessionId: string): string;
  sessionMeta(userId: string, sessionId: string): string;
  /** Present while an import writes the session's records (left by an import that stopped). */
  importMarker(userId: string, sessionId: string): string;
  messagesLog(userId: string, sessionId: string): string;
  streamsRoot(userId: string, sessionId: string): string;
  streamLog(userId: string, sessionId: string, messageId: string): string;
  documentsRoot(userId: string, sessionId: string): string;
  documentsIndex(userId: string, sessionId: string): string;
  documentKey(userId: string, sessionId: string, documentId: string): string;
  contextRoot(userId: string, sessionId: string): string;
  contextKey(userId: string, sessionId: string): string;
  contextHistoryRoot(userId: string, sessionId: string): string;
  contextSnapshot(userId: string, sessionId: string, snapshotId: string): string;
  contextEvents(userId: string, sessionId: string): string;
  userFeatureRoot(userId: string, feature: string): string;
  featureRoot(feature: string): string;
  trashRoot: string;
}

export const keys: KeyLayout = {
  usersRoot: 'users',
  userRoot: (u) => `users/${u}`,
  profile: (u) => `users/${u}/profile.json`,
  sessionIndex: (u) => `users/${u}/session-index`,
  sessionsRoot: (u) => `users/${u}/sessions`,
  sessionRoot: (u, s) => `users/${u}/sessions/${s}`,
  sessionMeta: (u, s) => `users/${u}/sessions/${s}/session.json`,
  importMarker: (u, s) => `users/${u}/sessions/${s}/importing.json`,
  messagesLog: (u, s) => `users/${u}/sessions/${s}/messages`,
  streamsRoot: (u, s) => `users/${u}/sessions/${s}/streams`,
  streamLog: (u, s, m) => `users/${u}/sessions/${s}/streams/${m}`,
  documentsRoot: (u, s) => `users/${u}/sessions/${s}/documents`,
  documentsIndex: (u, s) => `users/${u}/sessions/${s}/document-index`,
  documentKey: (u, s, d) => `users/${u}/sessions/${s}/documents/${d}`,
  contextRoot: (u, s) => `users/${u}/sessions/${s}/context`,
  contextKey: (u, s) => `users/${u}/sessions/${s}/context/current.json`,
  contextHistoryRoot: (u, s) => `users/${u}/sessions/${s}/context/history`,
  contextSnapshot: (u, s, id) => `users/${u}/sessions/${s}/context/history/${id}.json`,
  contextEvents: (u, s) => `users/${u}/sessions/${s}/context-events`,
  userFeatureRoot: (u, f) => `users/${u}/features/${f}`,
  featureRoot: (f) => `features/${f}`,
  trashRoot: 'system/trash',
};
