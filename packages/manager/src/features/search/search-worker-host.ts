/**
 * The one search worker of this process (search-worker.ts), shared by every manager's WorkerSearchIndex:
 * starting a worker (loading the search package and its dependencies) costs far more than a call, so it is
 * paid once, not per manager. The worker is unref'd whenever no call waits for it, so an idle worker never
 * keeps the process alive.
 */
import { Worker } from 'node:worker_threads';
import { deserializeError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

/** What a client (one WorkerSearchIndex) receives from the worker. */
export interface WorkerClient {
  onResult(m: Extract<FromWorker, { t: 'result' }>): void;
  onStorage(m: Extract<FromWorker, { t: 'io' }>): void;
  onLog(m: Extract<FromWorker, { t: 'log' }>): void;
  /** The worker died (or could not start): pending calls are lost, the client runs in-thread from now. */
  onDeath(error: Error): void;
}

/** Where the worker's entry is: the compiled .js next to this file, or the .ts twin when run from sources. */
function workerEntry(): { url: URL; execArgv?: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    // Tests run the workspace from TypeScript sources: the worker needs the same source resolution.
    const loader = new URL('../../../scripts/ts-source-loader.mjs', here).href;
    return {
      url: new URL('./search-worker.ts', here),
      execArgv: ['--conditions=ffdb-source', '--import', loader],
    };
  }
  return { url: new URL('./search-worker.js', here) };
}

export class SearchWorkerHost {
  private static current: SearchWorkerHost | null = null;

  /** The process's worker, started on first use (and again after one died). */
  static shared(): SearchWorkerHost {
    if (!SearchWorkerHost.current || SearchWorkerHost.current.dead) {
      SearchWorkerHost.current = new SearchWorkerHost();
    }
    return SearchWorkerHost.current;
  }

  private readonly worker: Worker;
  /** Resolves once the worker has loaded the search package; rejects if it cannot. */
  readonly ready: Promise<void>;
  private readonly clients = new Map<number, WorkerClient>();
  private nextInst = 1;
  /** Calls waiting for a reply, over all clients (the worker is ref'd while > 0). */
  private waiting = 0;
  private dead = false;

  private constructor() {
    const entry = workerEntry();
    const init: WorkerInit = { searchPackage: '@ffdb/search-fts' };
    this.worker = new Worker(entry.url, {
      workerData: init,
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    });
    this.worker.unref();
    this.ready = new Promise<void>((resolve, reject) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.t === 'ready') resolve();
        else if (m.t === 'init-failed') {
          reject(deserializeError(m.error));
          this.die(deserializeError(m.error));
        } else this.route(m);
      });
      this.worker.on('error', (error) => {
        reject(error);
        this.die(error);
      });
      this.worker.on('exit', (code) => {
        const error = new Error(`the search worker exited with code ${code}`);
        reject(error);
        this.die(error);
      });
    });
    // Failures are handled by every client through `ready` or onDeath.
    this.ready.catch(() => undefined);
  }

  get isDead(): boolean {
    return this.dead;
  }

  register(client: WorkerClient): number {
    const inst = this.nextInst++;
    this.clients.set(inst, client);
    return inst;
  }

  unregister(inst: number): void {
    this.clients.delete(inst);
  }

  post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** A call now waits for a reply (`+1`) or got one (`-1`): keep the process alive only meanwhile. */
  waitingDelta(delta: number): void {
    const before = this.waiting;
    this.waiting += delta;
    if (before === 0 && this.waiting > 0) this.worker.ref();
    else if (before > 0 && this.waiting === 0) this.worker.unref();
  }

  private route(m: FromWorker): void {
    if (m.t === 'ready' || m.t === 'init-failed') return;
    const client = this.clients.get(m.inst);
    if (!client) return;
    if (m.t === 'result') client.onResult(m);
    else if (m.t === 'io') client.onStorage(m);
    else client.onLog(m);
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = true;
    this.worker.unref();
    const clients = [...this.clients.values()];
    this.clients.clear();
    for (const c of clients) c.onDeath(error);
    void this.worker.terminate().catch(() => undefined);
  }
}
