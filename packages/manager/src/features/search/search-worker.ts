/**
 * The search worker thread: runs the full-text indexes (tokenising, stemming, segment building and
 * compression) off the manager's request thread. One worker per process serves every manager's index
 * (`inst`). Storage goes through the manager thread (that store's one StorageBackend, see
 * remote-storage.ts). Calls arrive in order on one port and are started in arrival order, so the index's
 * own read-your-writes (a search drains what was added before it) holds across the thread boundary.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { Compressor, DocumentRecord, Logger, SearchIndex } from '@ffdb/core-types';
import { documentItem } from './items.js';
import { RemoteStorage } from './remote-storage.js';
import {
  type FromWorker,
  type IndexInit,
  serializeError,
  type ToWorker,
  type WorkerInit,
} from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('search-worker.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => port.postMessage(m);

/**
 * Indexing is background work: on Linux this thread lowers its own scheduling priority (nice +10, per
 * thread: /proc/thread-self names its thread id), so when the cores are busy the request thread runs
 * first and the index catches up in the gaps. Elsewhere it simply keeps the default priority.
 */
function lowerPriority(): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0) setPriority(tid, 10);
  } catch {
    // Not Linux, or not permitted: default priority.
  }
}
lowerPriority();

type Call = Extract<ToWorker, { t: 'call' }>;
type Handler = (...args: any[]) => Promise<unknown>;
type SearchPkg = { createLunrSearchIndex(o: Record<string, unknown>): SearchIndex };
type CompressionPkg = { createCompressor(o: { algorithm: string }): Compressor };

interface Instance {
  storage: RemoteStorage;
  /** Null until `create` has built the index; calls that arrive earlier wait in `queue`, in order. */
  handlers: Record<string, Handler> | null;
  queue: Call[];
}

const instances = new Map<number, Instance>();
const loaded: Promise<SearchPkg> = (async () => {
  const pkg = (await import(/* @vite-ignore */ init.searchPackage)) as SearchPkg;
  if (typeof pkg.createLunrSearchIndex !== 'function')
    throw new Error(`${init.searchPackage} does not export createLunrSearchIndex`);
  return pkg;
})();
let compressionPkg: Promise<CompressionPkg> | null = null;

function loggerFor(inst: number): Logger {
  const log =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (obj: object | string, msg?: string): void => {
      const o = typeof obj === 'string' ? {} : (obj as Record<string, unknown>);
      post({ t: 'log', inst, level, obj: o, msg: typeof obj === 'string' ? obj : (msg ?? '') });
    };
  const logger: Logger = {
    trace: () => undefined,
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

function handlersOf(index: SearchIndex, inst: number): Record<string, Handler> {
  const idx = index as SearchIndex & { idle?: () => Promise<void> };
  return {
    add: (items) => index.add(items),
    addDocumentBytes: (u: string, s: string, record: DocumentRecord, bytes: Uint8Array, source) => {
      const item = documentItem(u, s, record, bytes);
      if (source) item.source = source;
      return index.add([item]);
    },
    remove: (u, ids) => index.remove(u, ids),
    removeSession: (u, s) => index.removeSession(u, s),
    removeUser: (u) => index.removeUser(u),
    search: (q) => index.search(q),
    positions: (u) => index.positions(u),
    flush: () => index.flush(),
    clear: (u) => index.clear(u),
    stats: () => index.stats(),
    idle: async () => {
      if (typeof idx.idle === 'function') await idx.idle();
    },
    close: async () => {
      try {
        await index.close();
      } finally {
        instances.delete(inst);
      }
    },
  };
}

async function create(inst: number, instance: Instance, opts: IndexInit): Promise<void> {
  let compressor: Compressor | undefined;
  if (opts.compression) {
    compressionPkg ??= import('@ffdb/compression') as Promise<CompressionPkg>;
    compressor = (await compressionPkg).createCompressor({ algorithm: opts.compression });
  }
  const index = (await loaded).createLunrSearchIndex({
    ...opts.indexOptions,
    storage: instance.storage,
    compressor,
    logger: loggerFor(inst),
  });
  await index.open();
  instance.handlers = handlersOf(index, inst);
  for (const m of instance.queue.splice(0)) start(m, instance.handlers);
}

function start(m: Call, table: Record<string, Handler>): void {
  const handler = table[m.method];
  let p: Promise<unknown>;
  try {
    // Started synchronously in arrival order: the index enqueues an add before its first await.
    p = handler ? handler(...m.args) : Promise.reject(new Error(`unknown method ${m.method}`));
  } catch (error) {
    p = Promise.reject(error);
  }
  p.then(
    (value) => post({ t: 'result', inst: m.inst, id: m.id, ok: true, value }),
    (error) => post({ t: 'result', inst: m.inst, id: m.id, ok: false, error: serializeError(error) }),
  );
}

function onCall(m: Call): void {
  if (m.method === 'create') {
    const instance: Instance = { storage: new RemoteStorage(m.inst, post), handlers: null, queue: [] };
    instances.set(m.inst, instance);
    create(m.inst, instance, m.args[0] as IndexInit).then(
      () => post({ t: 'result', inst: m.inst, id: m.id, ok: true, value: null }),
      (error) => {
        instances.delete(m.inst);
        post({ t: 'result', inst: m.inst, id: m.id, ok: false, error: serializeError(error) });
      },
    );
    return;
  }
  const instance = instances.get(m.inst);
  if (!instance) {
    const error = { name: 'FFError', code: 'FF_CLOSED', message: 'the search index was used after close()' };
    post({ t: 'result', inst: m.inst, id: m.id, ok: false, error });
  } else if (instance.handlers) start(m, instance.handlers);
  else instance.queue.push(m);
}

port.on('message', (m: ToWorker) => {
  if (m.t === 'io') instances.get(m.inst)?.storage.settle(m);
  else onCall(m);
});

loaded.then(
  () => post({ t: 'ready' }),
  (error) => post({ t: 'init-failed', error: serializeError(error) }),
);
