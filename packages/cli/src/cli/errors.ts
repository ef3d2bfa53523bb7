/**
 * Every failure ends as one line on stderr and a non-zero exit code:
 * 1 = the operation failed, 2 = bad usage (unknown command/option, bad argument), 130 = interrupted.
 */
import { FFError } from '@ffdb/core-types';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** An error the CLI raises itself, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT_FAILURE,
    readonly code: string = exitCode === EXIT_USAGE ? 'CLI_USAGE' : 'CLI_ERROR',
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string) => new CliError(message, EXIT_USAGE, 'CLI_USAGE');

export class InterruptedError extends CliError {
  constructor() {
    super('interrupted; the store was closed cleanly', EXIT_INTERRUPTED, 'CLI_INTERRUPTED');
  }
}

export interface ErrorSummary {
  code: string;
  message: string;
  exitCode: number;
  issues?: { path: string; message: string }[];
}

/** Collapses any thrown value to one line (no stack, no file contents). */
export function summarizeError(err: unknown): ErrorSummary {
  if (err instanceof CliError) return { code: err.code, message: err.message, exitCode: err.exitCode };
  if (FFError.isInstance(err)) {
    const issues = (err as { issues?: { path: string; message: string }[] }).issues;
    const exitCode = err.code === 'FF_VALIDATION' ? EXIT_USAGE : EXIT_FAILURE;
    return { code: err.code, message: oneLine(err.message), exitCode, ...(issues ? { issues } : {}) };
  }
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      code: typeof code === 'string' ? code : 'ERROR',
      message: oneLine(err.message),
      exitCode: EXIT_FAILURE,
    };
  }
  return { code: 'ERROR', message: oneLine(String(err)), exitCode: EXIT_FAILURE };
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
