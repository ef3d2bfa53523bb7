/**
 * An in-process shared/exclusive gate per key. Shared tasks run together; an exclusive task starts once
 * the shared ones already running have settled and runs alone; tasks arriving after it wait for it.
 * No timeout: the tasks it guards are short and never wait on each other.
 *
 * Why: `deleteUser` checks "no sessions" and then removes the user's tree, while `createSession` adds
 * a session to that tree. Interleaved in one process, both succeeded and the returned session was
 * gone; createSessions among themselves need no order.
 */
export class KeyedGate {
  private readonly keys = new Map<string, { barrier: Promise<void>; running: Set<Promise<void>> }>();

  shared<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.entry(key);
    const result = entry.barrier.then(task);
    const settled = result.then(done, done);
    entry.running.add(settled);
    void settled.then(() => {
      entry.running.delete(settled);
      this.release(key, entry);
    });
    return result;
  }

  exclusive<T>(key: string, task: () => Promise<T>): Promise<T> {
    const entry = this.entry(key);
    const result = Promise.all([entry.barrier, ...entry.running]).then(task);
    const barrier = result.then(done, done);
    entry.barrier = barrier;
    void barrier.then(() => this.release(key, entry));
    return result;
  }

  private entry(key: string) {
    let entry = this.keys.get(key);
    if (!entry) {
      entry = { barrier: Promise.resolve(), running: new Set() };
      this.keys.set(key, entry);
    }
    return entry;
  }

  /** Forgets a key once nothing runs or waits on it (its barrier settled and no newer one came). */
  private release(key: string, entry: { barrier: Promise<void>; running: Set<Promise<void>> }): void {
    if (entry.running.size > 0 || this.keys.get(key) !== entry) return;
    const barrier = entry.barrier;
    void barrier.then(() => {
      if (entry.running.size === 0 && entry.barrier === barrier && this.keys.get(key) === entry)
        this.keys.delete(key);
    });
  }
}

function done(): void {}
