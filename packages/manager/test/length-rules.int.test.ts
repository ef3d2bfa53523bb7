/**
 * The runtime length rules (runtime.min/maxUserIdLength, min/maxSessionNameLength, minMessageContentLength,
 * maxPersonaNameLength, minDocumentContentLength, min/maxFilenameLength) apply where something is
 * created or renamed: one FFValidationError naming the field and the rule, nothing written. Imports
 * keep what another store allowed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FFValidationError, validateConfig } from '../src/index.js';
import { fsBackend, removeDir, type TestStore, tempDir } from './helpers.js';

async function issueOf(p: Promise<unknown>): Promise<{ path?: string; message: string; limit?: unknown }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect((err as FFValidationError | null)?.code).toBe('FF_VALIDATION');
  return (err as FFValidationError).issues[0]!;
}

describe('runtime length rules', () => {
  const stores: TestStore[] = [];
  const bundles: string[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.cleanup();
    for (const dir of bundles.splice(0)) removeDir(dir);
  });
  async function open(runtime: Record<string, number>): Promise<TestStore> {
    const store = await fsBackend.create({ runtime });
    stores.push(store);
    return store;
  }

  it('user ids: a new user follows min/maxUserIdLength; nothing is written when it breaks them', async () => {
    const { manager: m } = await open({ minUserIdLength: 3, maxUserIdLength: 6 });
    expect(await issueOf(m.createUser('abcdefg'))).toMatchObject({
      path: 'userId',
      limit: 6,
      message: expect.stringContaining('runtime.maxUserIdLength'),
    });
    expect(await issueOf(m.createUser('ab'))).toMatchObject({ path: 'userId', limit: 3 });
    expect(await issueOf(m.createSession('abcdefg', 'hello'))).toMatchObject({ path: 'userId', limit: 6 });
    expect(await issueOf(m.storeUserProfile({ userId: 'abcdefg' }))).toMatchObject({
      path: 'profile.userId',
    });
    expect(await m.userExists('abcdefg')).toBe(false);
    expect(await m.listUsers()).toEqual([]);
    expect(await m.createUser('abc')).toBe(true);
    // Reads of a well-formed id longer than the rule are plain misses, not errors.
    expect(await m.getUserProfile('abcdefghij')).toBeNull();
  });

  it('session titles follow min/maxSessionNameLength, beyond the default 200 when configured', async () => {
    const { manager: m } = await open({ minSessionNameLength: 3, maxSessionNameLength: 600 });
    const long = await m.createSession('ada', 'x'.repeat(500));
    expect((await m.getSession('ada', long))?.title).toHaveLength(500);
    expect(await issueOf(m.createSession('ada', 'x'.repeat(601)))).toMatchObject({
      path: 'title',
      limit: 600,
    });
    expect(await issueOf(m.createSession('ada', 'ab'))).toMatchObject({
      path: 'title',
      limit: 3,
      message: expect.stringContaining('runtime.minSessionNameLength'),
    });
    // An empty title still takes the type's default title.
    const untitled = await m.createSession('ada', '');
    expect((await m.getSession('ada', untitled))?.title).not.toBe('');
    expect(await issueOf(m.updateSession('ada', long, { title: 'ab' }))).toMatchObject({
      path: 'updates.title',
    });
    expect((await m.getSession('ada', long))?.title).toHaveLength(500);
    expect(await m.listSessions('ada')).toHaveLength(2);
  });

  it('message content follows minMessageContentLength', async () => {
    const { manager: m } = await open({ minMessageContentLength: 5 });
    const sid = await m.createSession('ada', 'chat');
    expect(await issueOf(m.addMessage('ada', sid, { role: 'user', content: 'hey' }))).toMatchObject({
      path: 'content',
      limit: 5,
      message: expect.stringContaining('runtime.minMessageContentLength'),
    });
    expect(
      await issueOf(
        m.addMessages('ada', sid, [
          { role: 'user', content: 'hello' },
          { role: 'user', content: 'hi' },
        ]),
      ),
    ).toMatchObject({ path: 'messages.1.content', limit: 5 });
    expect(await m.countMessages('ada', sid)).toBe(0);
    expect(await m.addMessage('ada', sid, { role: 'user', content: 'hello' })).toBe(true);
  });

  it('persona names follow maxPersonaNameLength', async () => {
    const { manager: m } = await open({ maxPersonaNameLength: 150 });
    expect(await m.createPersona({ personaId: 'long_name', name: 'n'.repeat(140) })).toBe(true);
    expect(await issueOf(m.createPersona({ personaId: 'too_long', name: 'n'.repeat(151) }))).toMatchObject({
      path: 'name',
      limit: 150,
    });
    expect(await issueOf(m.savePersona('too_long', { name: 'n'.repeat(151) }))).toMatchObject({
      path: 'name',
    });
    expect(await m.getPersona('too_long')).toBeNull();
    const { manager: strict } = await open({ maxPersonaNameLength: 10 });
    expect(await issueOf(strict.createPersona({ personaId: 'p1', name: 'Eleven char' }))).toMatchObject({
      path: 'name',
      limit: 10,
    });
  });

  it('documents: minDocumentContentLength, minFilenameLength, and maxFilenameLength shortens the name', async () => {
    const { manager: m } = await open({
      minDocumentContentLength: 3,
      minFilenameLength: 6,
      maxFilenameLength: 24,
    });
    const sid = await m.createSession('ada', 'docs');
    expect(await issueOf(m.saveDocument('ada', sid, 'notes.txt', 'hi'))).toMatchObject({
      path: 'content',
      limit: 3,
      message: expect.stringContaining('runtime.minDocumentContentLength'),
    });
    expect(await issueOf(m.saveDocument('ada', sid, 'a.txt', 'hello'))).toMatchObject({
      path: 'filename',
      limit: 6,
    });
    expect(await m.listDocuments('ada', sid)).toEqual([]);
    const id = await m.saveDocument('ada', sid, 'a-rather-long-report-name.txt', 'hello');
    const info = await m.getDocumentInfo('ada', sid, id);
    expect(info?.filename.length).toBeLessThanOrEqual(24);
    expect(info?.filename.endsWith('.txt')).toBe(true);
    expect(info?.originalName).toBe('a-rather-long-report-name.txt');
  });

  it('a user a looser configuration created still exists: createUser is false, not an error', async () => {
    const loose = await open({});
    expect(await loose.manager.createUser('u0')).toBe(true);
    const strict = await loose.reopen({ runtime: { minUserIdLength: 4 } });
    expect(await strict.createUser('u0')).toBe(false);
    expect(await issueOf(strict.createUser('u1'))).toMatchObject({ path: 'userId', limit: 4 });
  });

  it('imports keep ids and titles another configuration allowed', async () => {
    const { manager: loose } = await open({});
    const sid = await loose.createSession('a_long_user_id', 'A title of some length');
    await loose.addMessage('a_long_user_id', sid, { role: 'user', content: 'ok' });
    const bundle = tempDir('ffdb-length-bundle-');
    bundles.push(bundle);
    await loose.exportData(bundle);
    const { manager: strict } = await open({
      maxUserIdLength: 5,
      maxSessionNameLength: 5,
      minMessageContentLength: 3,
    });
    await strict.importData(bundle);
    expect((await strict.getSession('a_long_user_id', sid))?.title).toBe('A title of some length');
    expect((await strict.getMessages('a_long_user_id', sid))[0]?.content).toBe('ok');
  });

  it('the hard bounds are config errors: user ids at most 100 (API.md §1), titles and persona names 1000', () => {
    const paths = (runtime: Record<string, number>) => validateConfig({ runtime }).map((i) => i.path);
    expect(paths({ maxUserIdLength: 101 })).toContain('runtime.maxUserIdLength');
    expect(paths({ maxSessionNameLength: 1001 })).toContain('runtime.maxSessionNameLength');
    expect(paths({ maxPersonaNameLength: 1001 })).toContain('runtime.maxPersonaNameLength');
    expect(paths({ minUserIdLength: 7, maxUserIdLength: 6 })).toContain('runtime.minUserIdLength');
  });
});
