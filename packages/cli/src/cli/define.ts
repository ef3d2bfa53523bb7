/** Glue between commander actions and command handlers: builds the context, runs, always closes. */
import { type Command, InvalidArgumentError } from 'commander';
import { type CliIO, CliContext, type GlobalOptions } from './context.js';
import { installInterrupt } from './interrupt.js';

export type Handler<O> = (ctx: CliContext, args: string[], opts: O) => Promise<void>;

export interface RunState {
  io: CliIO;
  exitCode: number;
  /**
   * What commander wrote as an error (the help of a command group called without its subcommand):
   * held back, so the user sees one error line instead (run.ts).
   */
  heldStderr?: string;
}

export function action<O = Record<string, unknown>>(state: RunState, handler: Handler<O>) {
  return async (...raw: unknown[]) => {
    const cmd = raw.at(-1) as Command;
    const opts = raw.at(-2) as O;
    const args = raw.slice(0, -2).map((a) => (Array.isArray(a) ? a.join(' ') : (a as string)));
    const globals = cmd.optsWithGlobals() as GlobalOptions;
    const interrupt = installInterrupt(state.io.stderr, globals.json === true);
    const ctx = new CliContext(globals, state.io, interrupt.signal, () => interrupt.received);
    try {
      await handler(ctx, args, opts);
    } finally {
      try {
        await ctx.close();
      } finally {
        interrupt.dispose();
      }
    }
  };
}

/** commander option parsers that turn bad values into usage errors. */
export function intOption(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^-?\d+$/.test(value.trim())) throw new InvalidArgumentError(`${name} must be an integer`);
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max}`);
    return n;
  };
}

export function numberOption(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} must be a number between ${min} and ${max}`);
    }
    return n;
  };
}

export function choiceOption<T extends string>(name: string, choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`${name} must be one of ${choices.join(', ')}`);
    }
    return value as T;
  };
}
