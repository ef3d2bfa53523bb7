/** Runs the CLI: parses argv, maps every failure to one stderr line and an exit code. */
import { type Command, CommanderError } from 'commander';
import type { CliIO } from './context.js';
import type { RunState } from './define.js';
import { EXIT_OK, EXIT_USAGE, summarizeError } from './errors.js';
import { buildProgram } from './program.js';
import { VERSION } from './version.js';

export function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Returns the exit code. `argv` is the full process.argv (node, script, …args). */
export async function run(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const state: RunState = { io, exitCode: EXIT_OK };
  const program = buildProgram(state);
  const json = argv.includes('--json');
  // `--json --version`: the version as a JSON document, like every other --json output.
  const args = argv.slice(2);
  if (json && args.some((a) => a === '--version' || a === '-V') && args.every((a) => a.startsWith('-'))) {
    io.stdout.write(`${JSON.stringify({ version: VERSION }, null, 2)}\n`);
    return EXIT_OK;
  }
  try {
    await program.parseAsync(argv);
    return state.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return 0;
      if (err.code === 'commander.help' || err.code === 'commander.executeSubCommandAsync') {
        // A command group without its subcommand: one error line naming the subcommands (commander's
        // full help, held back in state.heldStderr, is what `--help` prints).
        const { path, subcommands } = missingSubcommand(program, args);
        const message = `${path} needs a command: ${subcommands.join(', ')}`;
        report(io, json, { code: 'CLI_USAGE', message, exitCode: EXIT_USAGE }, ` (see ${path} --help)`);
        return EXIT_USAGE;
      }
      if (state.heldStderr) io.stderr.write(state.heldStderr);
      const message = err.message.replace(/^error:\s*/, '');
      report(io, json, { code: 'CLI_USAGE', message, exitCode: EXIT_USAGE }, ' (see --help)');
      return EXIT_USAGE;
    }
    const summary = summarizeError(err);
    report(io, json, summary, '');
    return summary.exitCode;
  }
}

function report(
  io: CliIO,
  json: boolean,
  e: { code: string; message: string; exitCode: number },
  hint: string,
) {
  io.stderr.write(`ffdb: error: ${e.message}${hint}\n`);
  // An interrupted command too: its result is printed only when it finishes, so stdout holds nothing
  // else (`msg tail --follow` ends with 0 on Ctrl-C, without an error).
  if (json) io.stdout.write(`${JSON.stringify({ error: e }, null, 2)}\n`);
}

/** The command group the arguments name (`ffdb user`), and its subcommands. */
function missingSubcommand(
  program: Command,
  args: readonly string[],
): { path: string; subcommands: string[] } {
  // The program's options that take a value (--data, --config): their value is not a command name.
  const valueOptions = new Set(
    program.options.filter((o) => o.required || o.optional).flatMap((o) => [o.long, o.short]),
  );
  let cmd = program;
  const names = ['ffdb'];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (valueOptions.has(a)) {
      i++;
      continue;
    }
    if (a.startsWith('-')) continue;
    const sub = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (!sub) break;
    cmd = sub;
    names.push(a);
  }
  return {
    path: names.join(' '),
    subcommands: cmd.commands.map((c) => c.name()).filter((n) => n !== 'help'),
  };
}
