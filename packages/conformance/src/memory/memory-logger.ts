import type { Logger } from '@ffdb/core-types';

export type MemoryLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface MemoryLogEntry {
  level: MemoryLogLevel;
  /** Bindings of the logger chain (child loggers) merged with the object passed to the call. */
  fields: Record<string, unknown>;
  msg: string | undefined;
}

/** A Logger that keeps every entry in memory, for tests that assert on what was logged. */
export class MemoryLogger implements Logger {
  readonly entries: MemoryLogEntry[];
  private readonly bindings: Record<string, unknown>;

  constructor(bindings: Record<string, unknown> = {}, entries: MemoryLogEntry[] = []) {
    this.bindings = bindings;
    this.entries = entries;
  }

  private log(level: MemoryLogLevel, obj: object | string, msg?: string): void {
    if (typeof obj === 'string') this.entries.push({ level, fields: { ...this.bindings }, msg: obj });
    else this.entries.push({ level, fields: { ...this.bindings, ...obj }, msg });
  }

  trace(obj: object | string, msg?: string): void {
    this.log('trace', obj, msg);
  }
  debug(obj: object | string, msg?: string): void {
    this.log('debug', obj, msg);
  }
  info(obj: object | string, msg?: string): void {
    this.log('info', obj, msg);
  }
  warn(obj: object | string, msg?: string): void {
    this.log('warn', obj, msg);
  }
  error(obj: object | string, msg?: string): void {
    this.log('error', obj, msg);
  }
  fatal(obj: object | string, msg?: string): void {
    this.log('fatal', obj, msg);
  }

  /** A child shares the parent's entry list and adds its bindings to every entry. */
  child(bindings: Record<string, unknown>): MemoryLogger {
    return new MemoryLogger({ ...this.bindings, ...bindings }, this.entries);
  }

  at(level: MemoryLogLevel): MemoryLogEntry[] {
    return this.entries.filter((e) => e.level === level);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
