// The manager loads reflect-metadata; import it before tsyringe (as a user program would).
import '../src/index.js';
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { container as rootContainer } from 'tsyringe';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FFConfigError,
  FFStorageManager,
  type FFError,
  loadConfig,
  MessageRole,
  TOKENS,
  createMessage,
  validateConfig,
} from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dir(): string {
  const d = tempDir();
  cleanups.push(() => removeDir(d));
  return d;
}

function track(m: FFStorageManager): FFStorageManager {
  cleanups.push(() => m.close());
  return m;
}

describe('composition root', () => {
  it('re-exports core-types and needs no setup line', () => {
    expect(typeof loadConfig).toBe('function');
    expect(typeof validateConfig).toBe('function');
    expect(MessageRole.ASSISTANT).toBe('assistant');
    expect(createMessage({ role: 'user', content: 'x' }).messageId).toMatch(/^msg_/);
    expect(typeof TOKENS.StorageBackend).toBe('symbol');
    expect(typeof (Reflect as { getMetadata?: unknown }).getMetadata).toBe('function');
  });

  it('defaults to storage-fs + lz4 + cbor on the configured base path; initialize is idempotent', async () => {
    const base = dir();
    const m = track(new FFStorageManager(testConfig(base)));
    expect(m.basePath).toBe(base);
    expect(await m.initialize()).toBe(true);
    expect(await m.initialize()).toBe(true);
    expect(m.storage.id).toBe('storage-fs');
    expect(m.container.resolve<{ id: string }>(TOKENS.Compressor as never).id).toBe('lz4');
    expect(m.container.resolve<{ id: string }>(TOKENS.Codec as never).id).toBe('cbor');
    await m.createUser('a');
    expect(fs.existsSync(base)).toBe(true);
    // Nothing is registered in tsyringe's root container.
    expect(rootContainer.isRegistered(TOKENS.StorageBackend as never)).toBe(false);
  });

  it('two managers on two base paths never share state', async () => {
    const a = track(await FFStorageManager.open(testConfig(dir())));
    const b = track(await FFStorageManager.open(testConfig(dir())));
    await a.createUser('same');
    const sa = await a.createSession('same', 'A');
    expect(await b.userExists('same')).toBe(false);
    expect(await b.listSessions('same')).toEqual([]);
    await b.createUser('same');
    expect((await b.listSessions('same')).length).toBe(0);
    expect((await a.getSession('same', sa))?.title).toBe('A');
    expect(a.storage).not.toBe(b.storage);
  });

  it('a custom StorageBackend override is used for everything', async () => {
    const base = dir();
    const backend = new MemoryStorageBackend();
    const m = track(
      new FFStorageManager(testConfig(base), { overrides: { [TOKENS.StorageBackend]: backend } }),
    );
    expect(await m.initialize()).toBe(true);
    const sid = await m.createSession('mem', 'x');
    await m.addMessage('mem', sid, { role: 'user', content: 'hi' });
    await m.saveDocument('mem', sid, 'a.txt', 'doc');
    expect(m.storage).toBe(backend);
    expect(await backend.countLog(`users/mem/sessions/${sid}/messages`)).toBe(1);
    // Nothing touched the disk under the base path.
    expect(fs.readdirSync(base)).toEqual([]);
    // Overrides by token name work too.
    const other = new MemoryStorageBackend();
    const n = track(new FFStorageManager(testConfig(dir()), { overrides: { StorageBackend: other } }));
    await n.createUser('named');
    expect(await other.exists('users/named/profile.json')).toBe(true);
  });

  it('a SearchIndex and a VectorIndex supplied by the caller are opened by the manager, not closed', async () => {
    const backend = new MemoryStorageBackend();
    const { createLunrSearchIndex } = await import('@ffdb/search-fts');
    const { createFaissVectorIndex } = await import('@ffdb/vector-faiss');
    const search = createLunrSearchIndex({ storage: backend, prefix: 'search' });
    const vectors = createFaissVectorIndex({ storage: backend, prefix: 'vectors' });
    const calls: string[] = [];
    for (const [name, index] of [
      ['search', search],
      ['vectors', vectors],
    ] as const) {
      const open = index.open.bind(index);
      const close = index.close.bind(index);
      index.open = async () => {
        calls.push(`${name}.open`);
        await open();
      };
      index.close = async () => {
        calls.push(`${name}.close`);
        await close();
      };
    }
    const m = new FFStorageManager(testConfig(dir()), {
      overrides: {
        [TOKENS.StorageBackend]: backend,
        [TOKENS.SearchIndex]: search,
        [TOKENS.VectorIndex]: vectors,
      },
    });
    const sid = await m.createSession('ivy', 'x');
    await m.addMessage('ivy', sid, { role: 'user', content: 'lanterns at dusk' });
    expect((await m.searchMessages('ivy', 'lanterns')).length).toBe(1);
    expect(await m.vectorSearch('ivy', 'lanterns')).toEqual([]);
    await m.close();
    expect(calls.sort()).toEqual(['search.open', 'vectors.open']);
  });

  it('a StorageBackend lacking port methods is refused at initialize, naming them', async () => {
    const backend = new MemoryStorageBackend();
    const partial = Object.assign(Object.create(backend) as object, {
      countLog: undefined,
      watchLog: undefined,
      count: undefined,
      watch: undefined,
    });
    const m = new FFStorageManager(testConfig(dir()), { overrides: { [TOKENS.StorageBackend]: partial } });
    const error = (await m.initialize().catch((e: unknown) => e)) as FFConfigError;
    expect(FFConfigError.isInstance(error)).toBe(true);
    expect(error.message).toContain('countLog, watchLog');
    expect(error.issues.map((i) => i.path)).toEqual(['StorageBackend.countLog', 'StorageBackend.watchLog']);
    // The port's API.md names are offered by the bundled adapters too.
    await backend.open();
    await backend.append('x/log', [{ a: 1 }]);
    expect(await backend.count('x/log')).toBe(1);
    await backend.close();
  });

  it("a StorageBackend written with API.md's log names (count, watch) is used as the port", async () => {
    const inner = new MemoryStorageBackend();
    // Only API.md's names: the port's countLog and watchLog are absent.
    const apiShaped = new Proxy(inner, {
      get(target, prop) {
        if (prop === 'countLog' || prop === 'watchLog') return undefined;
        if (prop === 'count') return (log: string) => target.countLog(log);
        if (prop === 'watch') return (log: string, o?: object) => target.watchLog(log, o);
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const m = new FFStorageManager(testConfig(dir()), {
      overrides: { [TOKENS.StorageBackend]: apiShaped },
      features: { search: false, vectors: false, personas: false },
    });
    expect(await m.initialize()).toBe(true);
    const sid = await m.createSession('kay', 'x');
    expect(await m.addMessage('kay', sid, { role: 'user', content: 'one' })).toBe(true);
    expect(await m.countMessages('kay', sid)).toBe(1);
    expect((await m.listSessions('kay'))[0]?.messageCount).toBe(1);
    // A follow stream runs on `watch`.
    const controller = new AbortController();
    const seen: string[] = [];
    const follow = (async () => {
      for await (const batch of m.streamMessages('kay', sid, { follow: true, signal: controller.signal })) {
        for (const msg of batch) seen.push(msg.content);
        if (seen.length === 2) controller.abort();
      }
    })();
    await m.addMessage('kay', sid, { role: 'user', content: 'two' });
    await follow;
    expect(seen).toEqual(['one', 'two']);
    await m.close();
  });

  it('a caller backend that fails to open is reported without the unused base path', async () => {
    const backend = new MemoryStorageBackend();
    backend.open = async () => {
      throw new Error('remote store unreachable');
    };
    const base = dir();
    const error = (await FFStorageManager.open({
      config: testConfig(base),
      overrides: { [TOKENS.StorageBackend]: backend },
    }).catch((e: unknown) => e)) as FFError;
    expect(error.message).toContain('the storage backend could not be opened: remote store unreachable');
    expect(error.message).not.toContain(base);
  });

  it('a caller child container supplies adapters; a missing required token is a clear FFConfigError', async () => {
    const parent = rootContainer.createChildContainer();
    const backend = new MemoryStorageBackend();
    parent.register(TOKENS.StorageBackend as never, { useValue: backend });
    const m = track(new FFStorageManager(testConfig(dir()), { container: parent }));
    await m.createUser('viaContainer');
    expect(await backend.exists('users/viaContainer/profile.json')).toBe(true);

    const bare = track(
      new FFStorageManager(testConfig(dir()), {
        defaults: false,
        overrides: { [TOKENS.StorageBackend]: new MemoryStorageBackend() },
      }),
    );
    const err = (await bare.initialize().catch((e: unknown) => e)) as FFError;
    expect(FFConfigError.isInstance(err)).toBe(true);
    expect(err.code).toBe('FF_CONFIG_MISSING_TOKEN');
    expect(err.message).toContain('TOKENS.Compressor');
    expect(err.message).toContain('TOKENS.Codec');
    expect(() => new FFStorageManager(testConfig(dir()), { overrides: { Nope: 1 } as never })).toThrow(
      /Unknown override/,
    );
  });

  it('invalid configuration throws FFConfigError listing every problem', () => {
    const err = (() => {
      try {
        new FFStorageManager({ storage: { basePath: '', maxMessageSizeBytes: -1 } } as never);
      } catch (e) {
        return e as FFConfigError;
      }
      return null;
    })();
    expect(FFConfigError.isInstance(err)).toBe(true);
    expect(err!.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(['storage.basePath', 'storage.maxMessageSizeBytes']),
    );
  });

  it('initialize returns false (not throws) when the base path is unusable; open() throws', async () => {
    const d = dir();
    const file = path.join(d, 'a-file');
    fs.writeFileSync(file, 'x');
    const m = track(new FFStorageManager(testConfig(path.join(file, 'sub'))));
    expect(await m.initialize()).toBe(false);
    expect((await m.healthCheck()).healthy).toBe(false);
    await expect(m.createUser('x')).rejects.toMatchObject({ code: 'FF_STORAGE_MISSING_BASE' });
    await expect(FFStorageManager.open(testConfig(path.join(file, 'sub')))).rejects.toMatchObject({
      name: 'FFStorageError',
    });
  });

  it('open() accepts a config or { config, overrides }; close() is final and releases the store', async () => {
    const base = dir();
    const m = await FFStorageManager.open({ config: testConfig(base) });
    await m.createUser('u');
    await m.close();
    await m.close();
    await expect(m.createUser('v')).rejects.toMatchObject({ code: 'FF_CLOSED' });
    expect(await m.initialize()).toBe(false);
    const again = track(await FFStorageManager.open(testConfig(base)));
    expect(await again.userExists('u')).toBe(true);
  });

  it('a disabled or missing feature package throws FF_PACKAGE_MISSING naming the package', async () => {
    const m = track(
      await FFStorageManager.open({
        config: testConfig(dir()),
        features: { search: false, vectors: false, personas: false },
      }),
    );
    expect(m.getFeatureStatus()).toEqual({ search: 'disabled', vectors: 'disabled', personas: 'disabled' });
    for (const call of [
      () => m.searchMessages('u', 'x'),
      () => m.vectorSearch('u', 'x'),
      () => m.listPersonas(),
    ]) {
      await expect(call()).rejects.toMatchObject({ code: 'FF_PACKAGE_MISSING' });
    }
    expect(() => m.chunkText('abc')).toThrow(/vectors feature is disabled/);
  });

  it("a caller's adapter that fails to start: FF_FEATURE_FAILED with the cause, and healthCheck says so", async () => {
    const broken = {
      id: 'broken-search',
      capabilities: { persistent: false, incremental: true, fuzzy: false, prefix: false },
      open: async () => {
        throw new Error('index server unreachable');
      },
    };
    const m = track(
      new FFStorageManager(testConfig(dir()), { overrides: { [TOKENS.SearchIndex]: broken as never } }),
    );
    expect(await m.initialize()).toBe(true); // the store itself works
    await m.createUser('ann');
    const error = await m.searchMessages('ann', 'x').catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'FFConfigError', code: 'FF_FEATURE_FAILED' });
    expect((error as Error).message).toMatch(/search feature failed to start \(index server unreachable\)/);
    expect(((error as FFError).cause as Error).message).toBe('index server unreachable');
    const health = await m.healthCheck();
    expect(health.healthy).toBe(false);
    expect(health.warnings).toContain('the search feature failed to start: index server unreachable');
    expect(health.features).toMatchObject({ search: 'failed' });
  });

  it('TOKENS.Config in overrides or a caller container is the configuration, validated', async () => {
    const base = dir();
    const m = track(
      new FFStorageManager(undefined, {
        overrides: { [TOKENS.Config]: { storage: { basePath: base } } as never },
      }),
    );
    await m.createUser('cfg');
    expect(fs.existsSync(path.join(base, 'users', 'cfg', 'profile.json'))).toBe(true);
    const child = rootContainer.createChildContainer();
    const other = dir();
    child.register(TOKENS.Config, { useValue: { storage: { basePath: other } } });
    const n = track(new FFStorageManager(undefined, { container: child }));
    await n.createUser('cfg2');
    expect(fs.existsSync(path.join(other, 'users', 'cfg2', 'profile.json'))).toBe(true);
    expect(
      () =>
        new FFStorageManager(undefined, {
          overrides: { Config: { storage: { maxMessageSizeBytes: -1 } } as never },
        }),
    ).toThrow(FFConfigError);
  });
});
