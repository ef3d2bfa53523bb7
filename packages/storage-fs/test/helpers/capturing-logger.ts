import type { Logger } from '@ffdb/core-types';

export interface LoggedLine {
  level: string;
  msg: string | undefined;
  obj: object | string;
}

/** A logger port that keeps every line it is given (tests check what was logged, and what was not). */
export function capturingLogger(): Logger & { lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const mk = (level: string) => (obj: object | string, msg?: string) => {
    lines.push({ level, msg, obj });
  };
  const logger = {
    lines,
    trace: mk('trace'),
    debug: mk('debug'),
    info: mk('info'),
    warn: mk('warn'),
    error: mk('error'),
    child: () => logger,
  };
  return logger;
}
