import { setImmediate as nextImmediate } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { trackedStores } from './helpers/temp-store.js';

/**
 * An inline checkpoint writes END into the current WAL generation and then awaits its fdatasync.
 * A read in that window refreshes from the WAL without the writer lock: it used to see the END,
 * take it for another process's checkpoint and close the generation under the checkpoint, whose
 * fdatasync then failed with EBADF (or synced whatever file reused the descriptor).
 */
const { temp, open } = trackedStores();

it('reads racing an inline checkpoint neither break it nor see records twice or not at all', async () => {
  const dir = temp();
  const store = await open(dir, { durability: 'always' });
  const logs = ['race/a', 'race/b', 'race/c'];
  let expected = 0;
  for (let round = 0; round < 25; round++) {
    await Promise.all(logs.map((log, i) => store.append(log, [{ round, i, text: 'x'.repeat(200) }])));
    expected++;
    let checkpointing = true;
    const readsDuringCheckpoint: number[] = [];
    const reader = (async () => {
      while (checkpointing) {
        for (const log of logs) readsDuringCheckpoint.push(await store.countLog(log));
        await nextImmediate();
      }
    })();
    try {
      await store.checkpoint();
    } finally {
      checkpointing = false;
      await reader;
    }
    expect(readsDuringCheckpoint.every((n) => n === expected)).toBe(true);
  }
  for (const log of logs) expect(await store.countLog(log)).toBe(25);
  expect((await store.verify()).ok).toBe(true);
});
