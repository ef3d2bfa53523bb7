import { afterEach, describe, expect, it } from 'vitest';
import { FFValidationError } from '../src/index.js';
import { spawnChild } from './child.js';
import { BACKENDS, collect, fsBackend, type TestStore } from './helpers.js';

async function seed(store: TestStore, user: string, n: number): Promise<string> {
  const sid = await store.manager.createSession(user);
  await store.manager.addMessages(
    user,
    sid,
    Array.from({ length: n }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `m${i}` })),
  );
  return sid;
}

describe.each(BACKENDS)('streaming reads ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('streamMessages: batches in order, offsets, maxMessages', async () => {
    store = await backend.create();
    const sid = await seed(store, 's1', 250);
    const batches = await collect(store.manager.streamMessages('s1', sid, { batchSize: 100 }));
    expect(batches.map((b) => b.length)).toEqual([100, 100, 50]);
    expect(batches.flat().map((m) => m.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    const part = (
      await collect(
        store.manager.streamMessages('s1', sid, { startOffset: 240, maxMessages: 5, batchSize: 2 }),
      )
    ).flat();
    expect(part.map((m) => m.content)).toEqual(['m240', 'm241', 'm242', 'm243', 'm244']);
    expect(await collect(store.manager.streamMessages('s1', 'chat_session_20200101_000000_000000'))).toEqual(
      [],
    );
    expect(() => store.manager.streamMessages('s1', '../x')).toThrow(FFValidationError);
    expect(() => store.manager.streamMessages('s1', sid, { batchSize: 0 })).toThrow(FFValidationError);
  });

  it('streamMessages follow: sees later appends, ends quietly on abort', async () => {
    store = await backend.create();
    const sid = await seed(store, 's2', 3);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of store.manager.streamMessages('s2', sid, {
        follow: true,
        signal: ac.signal,
        batchSize: 10,
      })) {
        seen.push(...batch.map((m) => m.content));
        if (seen.length >= 6) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 3; i++)
      await store.manager.addMessage('s2', sid, { role: 'user', content: `late${i}` });
    await done;
    expect(seen).toEqual(['m0', 'm1', 'm2', 'late0', 'late1', 'late2']);
  });

  it('follow yields a streamed reply when it starts and again, with its text, when it ends', async () => {
    store = await backend.create({ streaming: { timeoutSeconds: 1 } });
    const m = store.manager;
    const sid = await seed(store, 's3', 1);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of m.streamMessages('s3', sid, { follow: true, signal: ac.signal })) {
        for (const msg of batch) seen.push(`${msg.seq}:${msg.metadata.streamStatus ?? '-'}:${msg.content}`);
        if (seen.length >= 5) ac.abort();
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    const seenSeq = async (seq: number) => {
      for (let i = 0; i < 500 && !seen.some((x) => x.startsWith(`${seq}:`)); i++) {
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const reply = await m.beginMessageStream('s3', sid, { role: 'assistant' });
    await seenSeq(1); // the follower has the reply while it is being written
    await reply.write('Hello ');
    await reply.write('world');
    await reply.complete();
    // A reply left idle past streaming.timeoutSeconds ends as interrupted: the follower learns that
    // too, and a late write is refused instead of reviving it.
    const idle = await m.beginMessageStream('s3', sid, { role: 'assistant' });
    await idle.write('partial');
    await seenSeq(2);
    await new Promise((r) => setTimeout(r, 1300));
    await expect(idle.write(' more')).rejects.toMatchObject({ name: 'FFConflictError' });
    await expect(idle.complete()).rejects.toMatchObject({ name: 'FFConflictError' });
    await done;
    // Per message, in order: a reply is yielded while streaming (with whatever text it had when the
    // follower read it), then once more when it ended. How the two replies interleave depends on timing.
    const bySeq = (seq: number) => seen.filter((x) => x.startsWith(`${seq}:`)).map((x) => x.slice(2));
    expect(bySeq(0)).toEqual(['-:m0']);
    expect(bySeq(1)).toHaveLength(2);
    expect(bySeq(1)[0]).toMatch(/^streaming:/);
    expect(bySeq(1)[1]).toBe('complete:Hello world');
    expect(bySeq(2)).toHaveLength(2);
    expect(bySeq(2)[0]).toMatch(/^streaming:/);
    expect(bySeq(2)[1]).toBe('interrupted:partial');
    const stored = await m.getMessage('s3', sid, idle.messageId);
    expect(stored?.metadata).toMatchObject({ streamStatus: 'interrupted' });
    expect(stored?.content).toBe('partial');
  });

  it('streamMessagesReverse and parallelStreamSessions', async () => {
    store = await backend.create();
    const a = await seed(store, 's3', 25);
    const b = await seed(store, 's3', 7);
    const rev = await collect(store.manager.streamMessagesReverse('s3', a, { batchSize: 10 }));
    expect(rev.map((x) => x.length)).toEqual([10, 10, 5]);
    expect(rev.flat().map((m) => m.seq)).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i));
    expect(
      (await collect(store.manager.streamMessagesReverse('s3', a, { limit: 3 }))).flat().map((m) => m.seq),
    ).toEqual([24, 23, 22]);
    const pairs = await collect(store.manager.parallelStreamSessions('s3', [a, b], { batchSize: 4 }));
    const bySession = new Map<string, number[]>();
    for (const [sid, batch] of pairs)
      bySession.set(sid, [...(bySession.get(sid) ?? []), ...batch.map((m) => m.seq)]);
    expect(bySession.get(a)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(bySession.get(b)).toEqual(Array.from({ length: 7 }, (_, i) => i));
    expect(pairs.length).toBe(7 + 2);
  });

  it('session and user exports in the reference order', async () => {
    store = await backend.create();
    const m = store.manager;
    await m.createUser('s4', { username: 'S' });
    const sid = await seed(store, 's4', 5);
    await m.saveDocument('s4', sid, 'a.txt', 'A');
    await m.updateContext('s4', sid, { summary: 'now' });
    await m.saveContextSnapshot('s4', sid, { summary: 'old' });
    const recs = await collect(m.streamSessionExport('s4', sid, { batchSize: 2 }));
    expect(recs.map((r) => r.type)).toEqual([
      'session_metadata',
      'messages',
      'messages',
      'messages',
      'documents',
      'context',
      'context_history',
    ]);
    const user = await collect(m.streamUserExport('s4'));
    expect(user[0]?.type).toBe('user_profile');
    expect(user[1]).toEqual({ type: 'session_start', data: { sessionId: sid } });
    expect(user.at(-1)).toEqual({ type: 'session_end', data: { sessionId: sid } });
    expect(await collect(m.streamUserExport('nobody'))).toEqual([]);
  });

  it('beginMessageStream: durable as it grows, complete and interrupted states, stats and health', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('s5');
    await m.addMessage('s5', sid, { role: 'user', content: 'question' });
    const reply = await m.beginMessageStream('s5', sid, { role: 'assistant', metadata: { model: 'x' } });
    expect(reply.messageId).toMatch(/^msg_/);
    await reply.write('Hello');
    await reply.write(', world');
    let live = await m.getMessage('s5', sid, reply.messageId);
    expect(live).toMatchObject({
      content: 'Hello, world',
      seq: 1,
      metadata: { streamStatus: 'streaming', model: 'x' },
    });
    expect(m.getStreamingStats().activeStreams).toBe(1);
    const final = await reply.complete();
    expect(final).toMatchObject({ content: 'Hello, world', metadata: { streamStatus: 'complete' } });
    live = await m.getMessage('s5', sid, reply.messageId);
    expect(live?.metadata.streamStatus).toBe('complete');
    await expect(reply.write('more')).rejects.toThrow(/finished/);
    const second = await m.beginMessageStream('s5', sid, { role: 'assistant' });
    await second.write('partial');
    // abort() resolves to the final message, as complete() does; again, to the same message.
    const aborted = await second.abort('user stopped');
    expect(aborted).toMatchObject({
      messageId: second.messageId,
      content: 'partial',
      metadata: { streamStatus: 'interrupted', streamReason: 'user stopped' },
    });
    expect(await second.abort('again')).toEqual(aborted);
    expect(await reply.abort()).toEqual(final);
    const stopped = (await m.getAllMessages('s5', sid)).at(-1);
    expect(stopped).toMatchObject({
      content: 'partial',
      metadata: { streamStatus: 'interrupted', streamReason: 'user stopped' },
    });
    const stats = m.getStreamingStats();
    expect(stats).toMatchObject({
      activeStreams: 0,
      repliesStarted: 2,
      repliesCompleted: 1,
      repliesInterrupted: 1,
    });
    const health = await m.getStreamHealth('s5', sid);
    expect(health).toMatchObject({
      exists: true,
      healthy: true,
      messageCount: 3,
      replies: { total: 2, complete: 1, interrupted: 1 },
    });
    expect(await m.getStreamHealth('s5', 'chat_session_20200101_000000_000000')).toMatchObject({
      exists: false,
    });
    await expect(
      m.beginMessageStream('s5', 'chat_session_20200101_000000_000000', { role: 'assistant' }),
    ).rejects.toThrow(/not found/);
    await expect(m.beginMessageStream('s5', sid, { role: '' })).rejects.toThrow(FFValidationError);
    // A reply still open when the manager closes reads back as interrupted.
    const open = await m.beginMessageStream('s5', sid, { role: 'assistant' });
    await open.write('cut');
    const other = await store.reopen();
    expect((await other.getMessage('s5', sid, open.messageId))?.metadata.streamStatus).toBe('streaming');
    await m.close();
    expect(await other.getMessage('s5', sid, open.messageId)).toMatchObject({
      content: 'cut',
      metadata: { streamStatus: 'interrupted' },
    });
  });
});

describe('writes racing a deleteSession leave nothing behind (fs)', () => {
  it('a reply whose session is deleted: the next write fails FF_NOT_FOUND, verify stays ok', async () => {
    const store = await fsBackend.create();
    try {
      const m = store.manager;
      const sid = await m.createSession('rd');
      const reply = await m.beginMessageStream('rd', sid, { role: 'assistant' });
      await reply.write('first words');
      expect(await m.deleteSession('rd', sid)).toBe(true);
      await expect(reply.write(' more')).rejects.toMatchObject({ code: 'FF_NOT_FOUND' });
      expect(await m.getSession('rd', sid)).toBeNull();
      const other = await store.reopen();
      expect(await other.verify()).toMatchObject({ ok: true, issues: [] });
    } finally {
      await store.cleanup();
    }
  });

  it('documents, contexts and snapshots written while the session is deleted: verify stays ok', async () => {
    const store = await fsBackend.create();
    try {
      const m = store.manager;
      for (let round = 0; round < 15; round++) {
        const sid = await m.createSession('rd2');
        await Promise.allSettled([
          m.saveDocument('rd2', sid, `f${round}.txt`, 'text'),
          m.updateContext('rd2', sid, { summary: `ctx ${round}` }),
          m.saveContextSnapshot('rd2', sid, { summary: `snap ${round}` }),
          m.deleteSession('rd2', sid),
          m.saveDocument('rd2', sid, `g${round}.txt`, 'text'),
          m.updateContext('rd2', sid, { summary: `ctx ${round}b` }),
        ]);
      }
      const other = await store.reopen();
      expect(await other.verify()).toMatchObject({ ok: true, issues: [] });
      expect(await other.listSessions('rd2')).toEqual([]);
    } finally {
      await store.cleanup();
    }
  });
});

describe('streaming.enabled: false', () => {
  it('switches the streaming API off; plain reads and exportData keep working', async () => {
    const store = await fsBackend.create({ streaming: { enabled: false } } as never);
    try {
      const m = store.manager;
      const sid = await m.createSession('sw');
      await m.addMessage('sw', sid, { role: 'user', content: 'hello' });
      const refused = (fn: () => unknown) => {
        try {
          fn();
        } catch (e) {
          return (
            FFValidationError.isInstance(e) &&
            (e as FFValidationError).issues[0]?.path === 'streaming.enabled'
          );
        }
        return false;
      };
      expect(refused(() => m.streamMessages('sw', sid))).toBe(true);
      expect(refused(() => m.streamMessagesReverse('sw', sid))).toBe(true);
      expect(refused(() => m.parallelStreamSessions('sw', [sid]))).toBe(true);
      expect(refused(() => m.streamSessionExport('sw', sid))).toBe(true);
      expect(refused(() => m.streamUserExport('sw'))).toBe(true);
      await expect(m.beginMessageStream('sw', sid, { role: 'assistant' })).rejects.toMatchObject({
        issues: [{ path: 'streaming.enabled' }],
      });
      expect((await m.getMessages('sw', sid)).map((x) => x.content)).toEqual(['hello']);
      expect(m.getStreamingStats()).toMatchObject({ enabled: false });
    } finally {
      await store.cleanup();
    }
  });
});

describe('cross-process (storage-fs, real child processes)', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('follow sees messages appended by another process', async () => {
    store = await fsBackend.create();
    const sid = await seed(store, 'x1', 2);
    const ac = new AbortController();
    const seen: string[] = [];
    const done = (async () => {
      for await (const batch of store.manager.streamMessages('x1', sid, {
        follow: true,
        signal: ac.signal,
      })) {
        seen.push(...batch.map((m) => m.content));
        if (seen.length >= 7) ac.abort();
      }
    })();
    const child = spawnChild({
      FFDB_BASE: store.basePath,
      FFDB_USER: 'x1',
      FFDB_SESSION: sid,
      FFDB_MODE: 'append',
      FFDB_COUNT: '5',
    });
    await child.waitFor(/DONE/);
    await Promise.race([
      done,
      new Promise((_, rej) => setTimeout(() => rej(new Error('follow timed out')), 15_000)),
    ]);
    expect(seen).toEqual([
      'm0',
      'm1',
      'from child 0',
      'from child 1',
      'from child 2',
      'from child 3',
      'from child 4',
    ]);
    expect((await store.manager.getSession('x1', sid))?.messageCount).toBe(7);
  }, 60_000);

  it('a reply whose process is killed (SIGKILL) reads back as interrupted with the text written so far', async () => {
    store = await fsBackend.create();
    const sid = await store.manager.createSession('x2');
    const child = spawnChild({
      FFDB_BASE: store.basePath,
      FFDB_USER: 'x2',
      FFDB_SESSION: sid,
      FFDB_MODE: 'stream',
    });
    const begin = await child.waitFor(/^BEGIN /);
    const messageId = begin.split(' ')[1]!;
    await child.waitFor(/^WROTE 5$/);
    const mid = await store.manager.getMessage('x2', sid, messageId);
    expect(mid?.metadata.streamStatus).toBe('streaming');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const wrote = Number(
      child.lines
        .filter((l) => l.startsWith('WROTE'))
        .at(-1)!
        .split(' ')[1],
    );
    const after = await store.manager.getMessage('x2', sid, messageId);
    expect(after?.metadata.streamStatus).toBe('interrupted');
    const expected = Array.from({ length: wrote }, (_, i) => `w${i} `).join('');
    // Every acknowledged delta is there (one more may have been durable before its ack was printed).
    expect(after!.content.startsWith(expected)).toBe(true);
    expect(after!.content.length - expected.length).toBeLessThanOrEqual(`w${wrote} `.length);
    const reopened = await store.reopen();
    expect((await reopened.getMessage('x2', sid, messageId))?.metadata.streamStatus).toBe('interrupted');
  }, 60_000);
});
