/**
 * Per user and source log, how far this process has handled the log: the seq after the newest event it
 * indexed or embedded (its own writes, catch-up, gap fills). Only moves forward. The search and vectors
 * features use it to notice events another process appended between their own (see their gap fills).
 */
export class LogProgress {
  private readonly byUser = new Map<string, Map<string, number>>();

  get(userId: string, log: string): number | undefined {
    return this.byUser.get(userId)?.get(log);
  }

  note(userId: string, log: string, next: number): void {
    let logs = this.byUser.get(userId);
    if (!logs) {
      logs = new Map();
      this.byUser.set(userId, logs);
    }
    const was = logs.get(log);
    if (was === undefined || was < next) logs.set(log, next);
  }

  /** A log deleted (a session recreated under its id starts at seq 0 again). */
  forgetLog(userId: string, log: string): void {
    this.byUser.get(userId)?.delete(log);
  }

  forgetUser(userId: string): void {
    this.byUser.delete(userId);
  }

  clear(): void {
    this.byUser.clear();
  }
}
