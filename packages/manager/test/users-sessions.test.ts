import { afterEach, describe, expect, it } from 'vitest';
import { type FFError, FFValidationError, TOKENS } from '../src/index.js';
import { BACKENDS, type TestStore } from './helpers.js';

const HOSTILE = ['../x', 'a/b', 'a\u0000b', '', ' ', '.hidden', 'x'.repeat(101), 'notes.fflog'];

async function rejectsValidation(p: Promise<unknown>, path?: string) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(FFValidationError.isInstance(err)).toBe(true);
  expect((err as FFError).code).toBe('FF_VALIDATION');
  if (path) expect((err as FFValidationError).issues.map((i) => i.path)).toContain(path);
}

describe.each(BACKENDS)('users ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('creates once, keeps extra profile keys, reads, updates with shallow merges', async () => {
    store = await backend.create();
    const m = store.manager;
    expect(await m.userExists('alice')).toBe(false);
    expect(await m.getUserProfile('alice')).toBeNull();
    expect(
      await m.createUser('alice', {
        username: 'Alice',
        name: 'Alice L',
        email: 'a@x.io',
        preferences: { theme: 'dark', lang: 'en' },
      }),
    ).toBe(true);
    expect(await m.createUser('alice')).toBe(false);
    const p = await m.getUserProfile('alice');
    expect(p).toMatchObject({
      userId: 'alice',
      username: 'Alice',
      name: 'Alice L',
      email: 'a@x.io',
      preferences: { theme: 'dark' },
    });
    expect(p?.createdAt).toMatch(/Z$/);
    await new Promise((r) => setTimeout(r, 5));
    expect(
      await m.updateUserProfile('alice', {
        username: 'Al',
        preferences: { theme: 'light' },
        metadata: { a: 1 },
      }),
    ).toBe(true);
    const q = await m.getUserProfile('alice');
    expect(q).toMatchObject({
      username: 'Al',
      preferences: { theme: 'light', lang: 'en' },
      metadata: { a: 1 },
      email: 'a@x.io',
    });
    expect(q!.updatedAt > p!.updatedAt).toBe(true);
    expect(await m.updateUserProfile('bob', { username: 'B' })).toBe(false);
    expect(await m.userExists('alice')).toBe(true);
  });

  it('storeUserProfile upserts', async () => {
    store = await backend.create();
    const m = store.manager;
    expect(await m.storeUserProfile({ userId: 'carol', username: 'C' })).toBe(true);
    expect((await m.getUserProfile('carol'))?.username).toBe('C');
    expect(await m.storeUserProfile({ userId: 'carol', username: 'C2' })).toBe(true);
    expect((await m.getUserProfile('carol'))?.username).toBe('C2');
    await rejectsValidation(m.storeUserProfile({ userId: '../x' } as never), 'profile.userId');
    // The store keeps its own times, but a given one that is not a time is refused, writing nothing.
    await rejectsValidation(
      m.storeUserProfile({ userId: 'carol', username: 'C3', createdAt: 'not-a-date' } as never),
      'profile.createdAt',
    );
    await rejectsValidation(
      m.storeUserProfile({ userId: 'dave', updatedAt: '2024-02-30T00:00:00Z' } as never),
      'profile.updatedAt',
    );
    expect((await m.getUserProfile('carol'))?.username).toBe('C2');
    expect(await m.userExists('dave')).toBe(false);
    // Concurrent upserts of a new user: one creates it, the others update it, and nothing is lost.
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        m.storeUserProfile({ userId: 'erin', preferences: { [`p${i}`]: i } }),
      ),
    );
    expect(results).toEqual(Array(10).fill(true));
    expect(Object.keys((await m.getUserProfile('erin'))?.preferences ?? {}).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `p${i}`).sort(),
    );
  });

  it('lists users sorted with limit/offset and no cap', async () => {
    store = await backend.create();
    const m = store.manager;
    const ids = Array.from({ length: 30 }, (_, i) => `u${String(i).padStart(2, '0')}`);
    for (const id of [...ids].reverse()) await m.createUser(id);
    expect(await m.listUsers()).toEqual(ids);
    expect(await m.listUsers({ limit: 5, offset: 10 })).toEqual(ids.slice(10, 15));
    await rejectsValidation(m.listUsers({ limit: 'ten' } as never), 'opts.limit');
  });

  it('concurrent createUser of one id: exactly one true', async () => {
    store = await backend.create();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.manager.createUser('dup')));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('rejects hostile ids and wrong types, writing nothing', async () => {
    store = await backend.create();
    const m = store.manager;
    for (const id of HOSTILE) {
      await rejectsValidation(m.createUser(id), 'userId');
      await rejectsValidation(m.getUserProfile(id), 'userId');
    }
    await rejectsValidation(m.createUser(42 as never), 'userId');
    await rejectsValidation(m.createUser('ok', 'not an object' as never));
    await rejectsValidation(m.createUser('ok', { username: 5 } as never), 'profile.username');
    expect(await m.listUsers()).toEqual([]);
  });

  it('deleteUser: false when missing, refuses with sessions unless forced, leaves nothing', async () => {
    store = await backend.create();
    const m = store.manager;
    expect(await m.deleteUser('ghost')).toBe(false);
    await m.createUser('dan');
    const sid = await m.createSession('dan', 'x');
    await m.addMessage('dan', sid, { role: 'user', content: 'secret words' });
    await m.saveDocument('dan', sid, 'a.txt', 'doc');
    expect(await m.deleteUser('dan')).toBe(false);
    expect(await m.userExists('dan')).toBe(true);
    expect(await m.deleteUser('dan', { force: true })).toBe(true);
    expect(await m.userExists('dan')).toBe(false);
    expect(await m.listUsers()).toEqual([]);
    expect(await m.listSessions('dan')).toEqual([]);
    expect(await m.getMessages('dan', sid)).toEqual([]);
    expect((await m.getStorageStats()).messageCount).toBe(0);
    expect(await store.manager.storage.exists('users/dan')).toBe(false);
    // A user without sessions goes without force.
    await m.createUser('erin');
    expect(await m.deleteUser('erin')).toBe(true);
    // deleteUser racing createSession (either call first): the session it returned always exists,
    // with its user (deleted first, then created again), or the delete refused.
    for (let round = 0; round < 10; round++) {
      const user = `racer${round}`;
      await m.createUser(user);
      const [deleted, sessionId] =
        round % 2 === 0
          ? await Promise.all([m.deleteUser(user), m.createSession(user, 'raced')])
          : await Promise.all([m.createSession(user, 'raced'), m.deleteUser(user)]).then(
              ([created, gone]) => [gone, created] as const,
            );
      expect(typeof deleted).toBe('boolean');
      expect(await m.getSession(user, sessionId as string)).not.toBeNull();
      expect(await m.userExists(user)).toBe(true);
    }
  });
});

describe.each(BACKENDS)('sessions ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('keeps activity times near the clock under a burst, and updatedAt still never moves back', async () => {
    store = await backend.create();
    const m = store.manager;
    const one = await m.createSession('burst', 'one');
    const many = await Promise.all(Array.from({ length: 200 }, (_, i) => m.createSession('burst', `s${i}`)));
    let last = '';
    for (let i = 0; i < 3_000; i++) {
      await m.addMessage('burst', one, { role: 'user', content: `m${i}` });
      if (i % 500 === 0) {
        const now = (await m.getSession('burst', one))!.updatedAt;
        expect(now >= last).toBe(true);
        last = now;
      }
    }
    // One session busier than one activity per millisecond leads the clock by at most a second.
    const lead = Date.parse((await m.getSession('burst', one))!.updatedAt) - Date.now();
    expect(lead).toBeLessThanOrEqual(1_000);
    // Spread over many sessions, the user's activities are bounded the same way.
    for (let i = 0; i < 2_000; i++)
      await m.addMessage('burst', many[i % many.length]!, { role: 'user', content: `n${i}` });
    const spread = await m.listSessions('burst');
    const ahead = Math.max(...spread.map((x) => Date.parse(x.updatedAt))) - Date.now();
    expect(ahead).toBeLessThanOrEqual(1_000);
    // And a new session created now lists first, whatever the others' times.
    const fresh = await m.createSession('burst', 'fresh');
    expect(Date.parse((await m.getSession('burst', fresh))!.createdAt) - Date.now()).toBeLessThanOrEqual(
      1_000,
    );
    expect((await m.listSessions('burst', { limit: 1 }))[0]?.sessionId).toBe(fresh);
  });

  it('at the lead bound (a stopped clock: every activity in one millisecond) the latest still lists first', async () => {
    const frozen = new Date('2026-03-01T12:00:00.000Z');
    store = await backend.create({}, { overrides: { [TOKENS.Clock]: { now: () => new Date(frozen) } } });
    const m = store.manager;
    const a = await m.createSession('held', 'A');
    // 1,500 activities in one millisecond: times move 1 ms each up to a second ahead, then hold.
    for (let i = 0; i < 1_500; i++) await m.addMessage('held', a, { role: 'user', content: `a${i}` });
    const held = (await m.getSession('held', a))!.updatedAt;
    expect(Date.parse(held) - frozen.getTime()).toBe(1_000);
    const b = await m.createSession('held', 'B');
    expect((await m.getSession('held', b))!.createdAt).toBe(held);
    expect((await m.listSessions('held')).map((x) => x.sessionId)).toEqual([b, a]);
    await m.addMessage('held', a, { role: 'user', content: 'again' });
    expect((await m.listSessions('held')).map((x) => x.sessionId)).toEqual([a, b]);
    await m.updateSession('held', b, { title: 'B2' });
    expect((await m.listSessions('held')).map((x) => x.sessionId)).toEqual([b, a]);
  });

  it('lists a later activity first after a burst on another session, and keeps that order', async () => {
    store = await backend.create();
    const m = store.manager;
    const a = await m.createSession('order', 'A');
    const b = await m.createSession('order', 'B');
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => m.addMessage('order', a, { role: 'user', content: `a${i}` })),
    );
    await m.addMessage('order', b, { role: 'user', content: 'later' });
    expect((await m.listSessions('order')).map((x) => x.sessionId)).toEqual([b, a]);
    // A message, then an update of another session, at once: the update is the latest, now, once the
    // coalesced activity record is written, and after a reopen.
    const c = await m.createSession('order', 'C');
    const d = await m.createSession('order', 'D');
    await m.addMessage('order', c, { role: 'user', content: 'first' });
    await m.updateSession('order', d, { title: 'D2' });
    const expected = [d, c, b, a];
    expect((await m.listSessions('order')).map((x) => x.sessionId)).toEqual(expected);
    await new Promise((r) => setTimeout(r, 200));
    expect((await m.listSessions('order')).map((x) => x.sessionId)).toEqual(expected);
    const again = await store.reopen();
    expect((await again.listSessions('order')).map((x) => x.sessionId)).toEqual(expected);
  });

  it('lists the session with the latest activity first even within one millisecond', async () => {
    store = await backend.create();
    const m = store.manager;
    // Back to back, these land in one millisecond most of the time: the activity times must still order.
    for (let trial = 0; trial < 30; trial++) {
      const user = `tie${trial}`;
      const a = await m.createSession(user, 'A');
      const b = await m.createSession(user, 'B');
      const c = await m.createSession(user, 'C');
      expect((await m.listSessions(user)).map((s) => s.sessionId)).toEqual([c, b, a]);
      await m.addMessage(user, a, { role: 'user', content: 'hello' });
      expect((await m.listSessions(user)).map((s) => s.sessionId)).toEqual([a, c, b]);
      const before = (await m.getSession(user, b))!.updatedAt;
      expect(await m.updateSession(user, b, { title: 'B2' })).toBe(true);
      const after = (await m.getSession(user, b))!.updatedAt;
      expect(after > before, `${after} > ${before}`).toBe(true);
      expect((await m.listSessions(user)).map((s) => s.sessionId)).toEqual([b, a, c]);
    }
  });

  it('creates sessions with typed prefixes, default titles, and the user when missing', async () => {
    store = await backend.create();
    const m = store.manager;
    const chat = await m.createSession('frank');
    expect(chat).toMatch(/^chat_session_\d{8}_\d{6}_\d{6}$/);
    expect(await m.userExists('frank')).toBe(true);
    const s = await m.getSession('frank', chat);
    expect(s).toMatchObject({
      sessionId: chat,
      userId: 'frank',
      title: 'New Chat',
      sessionType: 'chat',
      messageCount: 0,
      metadata: {},
    });
    const types: [string, string, string][] = [
      ['panel', 'panel_session', 'Panel Session'],
      ['debate', 'debate_session', 'Debate Session'],
      ['problem_solving', 'problem_solving_session', 'Problem Solving Session'],
      ['weird', 'chat_session', 'New Session'],
    ];
    for (const [type, prefix, title] of types) {
      const id = await m.createSession('frank', undefined, { sessionType: type, metadata: { k: type } });
      expect(id.startsWith(`${prefix}_`)).toBe(true);
      expect(await m.getSession('frank', id)).toMatchObject({
        title,
        sessionType: type,
        metadata: { k: type },
      });
    }
    expect(await m.getSession('frank', 'chat_session_20200101_000000_000000')).toBeNull();
    expect(await m.getSession('nobody', chat)).toBeNull();
  });

  it('ids are unique and ordered even back-to-back', async () => {
    store = await backend.create();
    const ids = await Promise.all(Array.from({ length: 50 }, () => store.manager.createSession('gina')));
    expect(new Set(ids).size).toBe(50);
    const seq: string[] = [];
    for (let i = 0; i < 20; i++) seq.push(await store.manager.createSession('gina'));
    expect([...seq].sort()).toEqual(seq);
  });

  it('updates title and merges metadata; false for missing', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('hank', 'T', { metadata: { a: 1 } });
    expect(await m.updateSession('hank', sid, { title: 'T2', metadata: { b: 2 } })).toBe(true);
    expect(await m.updateSessionMetadata('hank', sid, { c: 3 })).toBe(true);
    expect(await m.getSession('hank', sid)).toMatchObject({ title: 'T2', metadata: { a: 1, b: 2, c: 3 } });
    expect(await m.updateSession('hank', 'chat_session_20200101_000000_000000', { title: 'x' })).toBe(false);
    await rejectsValidation(m.updateSession('hank', sid, { title: 7 } as never), 'updates.title');
    expect((await m.getSession('hank', sid))?.title).toBe('T2');
    // Updates of the wrong type are refused and write nothing (no updatedAt bump).
    const before = await m.getSession('hank', sid);
    for (const bad of [null, 'T3', [1], 5]) {
      await rejectsValidation(m.updateSession('hank', sid, bad as never), 'updates');
    }
    expect(await m.getSession('hank', sid)).toEqual(before);
  });

  it('lists newest activity first with no hidden cap, limit/offset/type/order', async () => {
    store = await backend.create();
    const m = store.manager;
    const ids: string[] = [];
    for (let i = 0; i < 45; i++)
      ids.push(await m.createSession('ivy', `s${i}`, { sessionType: i % 3 === 0 ? 'debate' : 'chat' }));
    const all = await m.listSessions('ivy');
    expect(all).toHaveLength(45);
    expect(all.map((s) => s.sessionId)).toEqual([...ids].reverse());
    // A message makes the oldest session the most recent.
    await new Promise((r) => setTimeout(r, 5));
    await m.addMessage('ivy', ids[0]!, { role: 'user', content: 'bump' });
    const after = await m.listSessions('ivy');
    expect(after[0]?.sessionId).toBe(ids[0]);
    expect(after[0]?.messageCount).toBe(1);
    expect(await m.listSessions('ivy', { limit: 5, offset: 1 })).toHaveLength(5);
    expect(
      (await m.listSessions('ivy', { sessionType: 'debate' })).every((s) => s.sessionType === 'debate'),
    ).toBe(true);
    expect((await m.listSessions('ivy', { sessionType: 'debate' })).length).toBe(15);
    expect((await m.listSessions('ivy', { order: 'oldest' }))[0]?.sessionId).toBe(ids[1]);
    expect(await m.listSessions('nobody')).toEqual([]);
    await rejectsValidation(m.listSessions('ivy', { limit: 'ten' } as never), 'opts.limit');
    await rejectsValidation(m.listSessions('ivy', { order: 'sideways' } as never), 'opts.order');
  });

  it('deleteSession: gone everywhere, false when missing; backups go outside the user tree', async () => {
    store = await backend.create({ storage: { backupBeforeDelete: true } } as never);
    const m = store.manager;
    const sid = await m.createSession('jack', 'doomed');
    const keep = await m.createSession('jack', 'kept');
    await m.addMessage('jack', sid, { role: 'user', content: 'hello' });
    await m.saveDocument('jack', sid, 'n.md', '# doc');
    await m.updateContext('jack', sid, { summary: 'ctx' });
    expect(await m.deleteSession('jack', sid)).toBe(true);
    expect(await m.deleteSession('jack', sid)).toBe(false);
    expect(await m.getSession('jack', sid)).toBeNull();
    expect((await m.listSessions('jack')).map((s) => s.sessionId)).toEqual([keep]);
    expect(await m.getMessages('jack', sid)).toEqual([]);
    expect(await m.listDocuments('jack', sid)).toEqual([]);
    expect(await m.getContext('jack', sid)).toBeNull();
    expect(await m.addMessage('jack', sid, { role: 'user', content: 'late' })).toBe(false);
    expect((await m.getUserStats('jack'))?.sessionCount).toBe(1);
    expect((await m.getStorageStats()).messageCount).toBe(0);
    const trash = await m.storage.list('system/trash');
    expect(trash.length).toBe(1);
    // A dry run of cleanupOldData counts the backups a real run would remove, and removes nothing.
    await new Promise((r) => setTimeout(r, 1100)); // backup names carry whole seconds
    expect(await m.cleanupOldData({ olderThanDays: 0, dryRun: true })).toMatchObject({
      dryRun: true,
      trashPurged: 1,
    });
    expect(await m.storage.list('system/trash')).toHaveLength(1);
    const reopened = await store.reopen();
    expect((await reopened.listSessions('jack')).map((s) => s.sessionId)).toEqual([keep]);
  });

  it('hostile session ids throw, well-formed missing ids read empty', async () => {
    store = await backend.create();
    const m = store.manager;
    for (const sid of ['../x', 'a/b', 'a\u0000b', '', '..']) {
      await rejectsValidation(m.getSession('kim', sid), 'sessionId');
      await rejectsValidation(m.getMessages('kim', sid), 'sessionId');
      await rejectsValidation(m.deleteSession('kim', sid), 'sessionId');
    }
    await rejectsValidation(m.getSession('kim', 5 as never), 'sessionId');
    expect(await m.getMessages('kim', 'chat_session_20200101_000000_000000')).toEqual([]);
    await rejectsValidation(m.createSession('kim', 5 as never), 'title');
    await rejectsValidation(m.createSession('kim', 'x'.repeat(201)), 'title');
    await rejectsValidation(m.createSession('kim', 't', { sessionType: '../x' }), 'opts.sessionType');
    expect(await m.userExists('kim')).toBe(false);
  });

  it('stays fast and exact at 10,000 sessions per user (index, not a tree walk)', async () => {
    store = await backend.create();
    const m = store.manager;
    const n = 10_000;
    // Bulk-create through the public API in parallel chunks.
    for (let i = 0; i < n; i += 500) {
      await Promise.all(Array.from({ length: Math.min(500, n - i) }, () => m.createSession('heavy')));
    }
    const page = await m.listSessions('heavy', { limit: 20 });
    expect(page).toHaveLength(20);
    const all = await m.listSessions('heavy');
    expect(all).toHaveLength(n);
    for (let i = 1; i < all.length; i++) expect(all[i - 1]!.sessionId > all[i]!.sessionId).toBe(true);
    // A fresh manager (cold cache) lists them too.
    // A fresh manager (cold cache: index snapshot + the log after it) lists the same.
    await m.deleteSession('heavy', all[5]!.sessionId);
    await m.updateSession('heavy', all[7]!.sessionId, { title: 'renamed' });
    const cold = await store.reopen();
    const coldAll = await cold.listSessions('heavy');
    expect(coldAll).toEqual(await m.listSessions('heavy'));
    expect(coldAll).toHaveLength(n - 1);
    expect(coldAll.find((s) => s.sessionId === all[7]!.sessionId)?.title).toBe('renamed');
    expect(await m.storage.exists('users/heavy/session-index.snapshot.json')).toBe(true);
  }, 120_000);
});
