/** Runs the CLI: parses argv, maps every failure to one stderr line and an exit code. */
import { CommanderError } from 'commander';
import type { CliIO } from './context.js';
import { EXIT_OK, EXIT_USAGE, summarizeError } from './errors.js';
import { buildProgram } from './program.js';
import { VERSION } from './version.js';

export function defaultIO(): CliIO {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Returns the exit code. `argv` is the full process.argv (node, script, …args). */
export async function run(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const state = { io, exitCode: EXIT_OK };
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
        // A command group without its subcommand: help went to stderr; --json still gets one document.
        if (json) {
          const e = {
            code: 'CLI_USAGE',
            message: 'a subcommand is required (see --help)',
            exitCode: EXIT_USAGE,
          };
          io.stdout.write(`${JSON.stringify({ error: e }, null, 2)}\n`);
        }
        return EXIT_USAGE;
      }
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
  // An interrupted command adds no document (its output so far may be a JSON Lines stream).
  if (json && e.code !== 'CLI_INTERRUPTED') io.stdout.write(`${JSON.stringify({ error: e }, null, 2)}\n`);
}
