/** Shapes shared by every port. */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
/** A JSON-serialisable object: what logs store and what blobs usually hold. */
export type JsonObject = { [key: string]: unknown };

/** Every adapter identifies itself and says what it can do, so callers can branch on capabilities. */
export interface Adapter<Caps extends object = Record<string, boolean>> {
  /** Stable adapter id, e.g. `storage-fs`, `memory`, `lz4`, `lunr`, `faiss`. */
  readonly id: string;
  readonly capabilities: Caps;
}

/** Adapters with resources implement this; the manager calls `open` once and `close` in reverse order. */
export interface Lifecycle {
  open(): Promise<void>;
  close(): Promise<void>;
}

export interface HealthReport {
  healthy: boolean;
  backendType: string;
  warnings?: string[];
  errors?: string[];
  [key: string]: unknown;
}

export interface Clock {
  /** Current time. Tests inject a fixed or stepping clock. */
  now(): Date;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** A structured logger (pino-compatible call shape). Never pass message or document content to it. */
export interface Logger {
  trace(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}
