/**
 * The default Logger: pino, quiet by default (`runtime.logLevel`, default `silent`; env
 * `CHATDB_RUNTIME_LOG_LEVEL` through loadConfig, or `FFDB_LOG_LEVEL` as a shortcut), JSON lines to stderr.
 *
 * Privacy: the manager never passes message or document content to the logger; as a second fence,
 * fields that usually carry content (`content`, `text`, `delta`, `summary`, `query`) are redacted unless
 * `runtime.logContent` is true.
 */
import type { FFConfig, Logger } from '@ffdb/core-types';
import { pino } from 'pino';

const LEVELS = new Set(['silent', 'fatal', 'error', 'warn', 'info', 'debug', 'trace']);
const CONTENT_FIELDS = ['content', 'text', 'delta', 'summary', 'query', 'bytes'];

export interface DefaultLoggerOptions {
  /** Where log lines go (default: stderr). */
  destination?: { write(line: string): unknown };
}

export function createDefaultLogger(config: FFConfig, opts: DefaultLoggerOptions = {}): Logger {
  const envLevel = process.env.FFDB_LOG_LEVEL;
  const level = envLevel && LEVELS.has(envLevel) ? envLevel : (config.runtime.logLevel ?? 'silent');
  const redact = config.runtime.logContent
    ? undefined
    : { paths: [...CONTENT_FIELDS, ...CONTENT_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' };
  const options = { level, base: { name: 'ffdb' }, ...(redact ? { redact } : {}) };
  const destination = opts.destination ?? pino.destination({ dest: 2, sync: false });
  return pino(options, destination as never) as unknown as Logger;
}

/** A logger that drops everything (used before the config is known). */
export const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
