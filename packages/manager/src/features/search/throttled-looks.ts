/**
 * Per user, a look (at other processes' changes) that runs at most once per `intervalMs` unless forced,
 * one at a time: callers within the interval share the last look, a forced one waits for it to end.
 * A look must not reject (it handles its own errors), so the next one can always follow it.
 */
export class ThrottledLooks<T> {
  private readonly last = new Map<string, { at: number; running: Promise<T> }>();

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number,
  ) {}

  run(userId: string, force: boolean, look: () => Promise<T>): Promise<T> {
    const now = this.now();
    const last = this.last.get(userId);
    if (last && !force && now - last.at < this.intervalMs) return last.running;
    const running = (async () => {
      await last?.running;
      return look();
    })();
    this.last.set(userId, { at: now, running });
    return running;
  }

  forget(userId: string): void {
    this.last.delete(userId);
  }
}
