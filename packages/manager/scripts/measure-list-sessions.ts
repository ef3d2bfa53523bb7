/**
 * Measures listSessions(userId) with no limit on a user with many sessions (warm: the second and later
 * calls of one process). Not a test: run by hand to compare before/after a change.
 *   node --conditions=ffdb-source --import ./scripts/ts-source-loader.mjs scripts/measure-list-sessions.ts [sessions]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FFStorageManager } from '../src/index.js';

const N = Number(process.argv[2] ?? 10_000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-list-'));
try {
  const m = await FFStorageManager.open({
    config: { storage: { basePath: dir, durability: 'none' } },
    features: { search: false, vectors: false, personas: false },
  });
  const ids: string[] = [];
  for (let i = 0; i < N; i++) ids.push(await m.createSession('u1', `s${i}`));
  // A few messages in some sessions so counts are not all zero.
  for (let i = 0; i < N; i += 10)
    await m.addMessages('u1', ids[i]!, [
      { role: 'user', content: 'hello' },
      { role: 'assistant', content: 'hi' },
    ]);
  await m.listSessions('u1'); // warm-up
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    const list = await m.listSessions('u1');
    times.push(performance.now() - t);
    if (list.length !== N) throw new Error(`expected ${N}, got ${list.length}`);
  }
  times.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      sessions: N,
      medianMs: +times[3]!.toFixed(1),
      minMs: +times[0]!.toFixed(1),
      maxMs: +times[6]!.toFixed(1),
    }),
  );
  await m.close();
  // Cold: the first listing of a fresh manager reads every session's count from its log once.
  const fresh = await FFStorageManager.open({
    config: { storage: { basePath: dir, durability: 'none' } },
    features: { search: false, vectors: false, personas: false },
  });
  const t = performance.now();
  await fresh.listSessions('u1');
  console.log(JSON.stringify({ coldFirstCallMs: +(performance.now() - t).toFixed(1) }));
  await fresh.close();
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
