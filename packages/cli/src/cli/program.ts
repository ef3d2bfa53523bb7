/** The `ffdb` command tree (API.md §5 and §6.18). */
import { Command } from 'commander';
import { registerChatCommands } from '../commands/chat-command.js';
import { registerContentCommands } from '../commands/content-commands.js';
import { registerMaintenanceCommands } from '../commands/maintenance-commands.js';
import { registerStoreCommands } from '../commands/store-commands.js';
import type { RunState } from './define.js';
import { VERSION } from './version.js';

export function buildProgram(state: RunState): Command {
  const program = new Command('ffdb')
    .description(
      'ffdb: an embedded chat database — users, sessions, messages, documents, search — in plain files',
    )
    .version(VERSION, '-V, --version')
    .option('--data <dir>', 'store directory (default: storage.basePath from config, ./data)')
    .option(
      '--config <file>',
      'JSON config file (default: $CHATDB_CONFIG_PATH); CHATDB_* variables apply on top',
    )
    .option('--json', 'print one machine-readable JSON document')
    .showHelpAfterError(false)
    .addHelpText(
      'after',
      '\nExit codes: 0 ok, 1 failed, 2 bad usage or invalid input, 130 interrupted.\nStart with: ffdb demo',
    );
  registerStoreCommands(program, state);
  registerContentCommands(program, state);
  registerMaintenanceCommands(program, state);
  registerChatCommands(program, state);
  // Every command: usage errors are thrown (not printed by commander), help is written to stdout.
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => state.io.stdout.write(s),
      writeErr: (s) => {
        state.heldStderr = (state.heldStderr ?? '') + s;
      },
      outputError: () => undefined,
    });
    for (const sub of cmd.commands) configure(sub);
  };
  configure(program);
  return program;
}
