/**
 * Child process of vectors-recovery.int.test.ts. Env: FFDB_BASE, FFDB_USER.
 * Opens a manager with the vector feature, stores a first message marked for embedding and waits until it
 * is embedded, then stores a second one and prints `ADDED <sessionId>` as soon as addMessage has resolved,
 * and blocks its event loop so the background embedding queue never runs: the parent kills it with
 * SIGKILL — a crash with the second message stored but not embedded.
 */
import { writeSync } from 'node:fs';
import { FFStorageManager } from '../src/index.js';

const env = process.env;
const user = env.FFDB_USER!;
const manager = await FFStorageManager.open({
  config: { storage: { basePath: env.FFDB_BASE!, durability: 'always', backupBeforeDelete: false } },
  features: { search: false, vectors: true, personas: false },
});
const sessionId = await manager.createSession(user, 'crash');
await manager.addMessage(user, sessionId, {
  role: 'user',
  content: 'Sourdough bread rises slowly with wild yeast.',
  metadata: { enableEmbeddings: true },
});
// Drains the queue: the first message is embedded and its position recorded.
const first = await manager.searchSimilarMessages(user, 'sourdough bread yeast');
if (first.length !== 1) throw new Error(`first message not embedded (${first.length} hits)`);
await manager.addMessage(user, sessionId, {
  role: 'assistant',
  content: 'The lighthouse keeper polished the giant lens every evening.',
  metadata: { enableEmbeddings: true },
});
writeSync(1, `ADDED ${sessionId}\n`);
for (;;) {
  // Busy until killed: the embedding queue's timer never fires.
}
