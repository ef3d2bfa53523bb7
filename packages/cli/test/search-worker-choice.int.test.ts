/**
 * One-shot commands open the store without the manager's search worker thread (its start costs more than
 * the few writes a command indexes: docs/cli.md); the long-running `chat` keeps it. Real store, real
 * manager and index: the search feature's index tells where full text is indexed.
 */
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CliContext } from '../src/cli/context.js';
import { tempDir } from './helpers.js';

function context(dir: string): CliContext {
  const io = {
    stdout: new PassThrough() as unknown as NodeJS.WriteStream,
    stderr: new PassThrough() as unknown as NodeJS.WriteStream,
    stdin: new PassThrough() as unknown as NodeJS.ReadStream,
    env: {},
  };
  return new CliContext({ data: dir }, io, new AbortController().signal);
}

/** The class of the search feature's index: `WorkerSearchIndex` when full text is indexed in the worker. */
function searchIndexKind(m: unknown): string | undefined {
  const features = (m as { features: Map<string, { index?: object }> }).features;
  return features.get('search')?.index?.constructor.name;
}

describe('the search worker in CLI commands', () => {
  const cleanups: (() => void)[] = [];
  const contexts: CliContext[] = [];
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
    for (const c of cleanups.splice(0)) c();
  });

  it('one-shot commands index in-thread; chat (searchWorker: true) uses the worker', async () => {
    const { dir, cleanup } = tempDir('worker');
    cleanups.push(cleanup);
    const oneShot = context(dir);
    contexts.push(oneShot);
    const m = await oneShot.open({ create: true });
    expect(searchIndexKind(m)).toBeDefined();
    expect(searchIndexKind(m)).not.toBe('WorkerSearchIndex');
    // Still searchable right after a write.
    await m.createUser('alice');
    const sid = await m.createSession('alice');
    await m.addMessage('alice', sid, { role: 'user', content: 'kayaks at dawn' });
    expect(await m.searchMessages('alice', 'kayaks')).toHaveLength(1);
    await oneShot.close();

    const chat = context(dir);
    contexts.push(chat);
    const w = await chat.open({ searchWorker: true });
    expect(searchIndexKind(w)).toBe('WorkerSearchIndex');
    expect(await w.searchMessages('alice', 'kayaks')).toHaveLength(1);
  });
});
