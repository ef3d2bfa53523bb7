#!/usr/bin/env node
/**
 * Generates docs/cli.md from the `--help` text of every ffdb command (the built program in dist/).
 * `node packages/cli/scripts/gen-cli-docs.mjs` writes the file; `--check` exits 1 when it is stale.
 * The help text is rendered at 80 columns, as `ffdb … --help` prints it when piped.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const DOC_PATH = path.resolve(here, '../../../docs/cli.md');

const INTRO = `# ffdb command line

\`ffdb\` is the command-line tool of ffdb (package \`@ffdb/cli\`). This page is generated from the
\`--help\` output of every command by \`packages/cli/scripts/gen-cli-docs.mjs\`; a test keeps it in sync.

In this repository, run it as \`node packages/cli/dist/bin.js …\` after \`npm run setup\` (or \`npm run demo\`);
installed from npm, the binary is \`ffdb\`.

## Conventions

- **Store**: \`--data DIR\` picks the store directory; otherwise \`storage.basePath\` of the configuration
  (default \`./data\`). A store is a directory holding \`ffdb.json\`. \`init\`, \`demo\` and \`import\` create
  one; any command opens an empty directory as a new, empty store (as the library's \`initialize()\`
  does), and \`user add\`, \`session new\` and \`chat\` also create a missing directory. Every other command
  on a missing path, and every command on a directory holding other files (\`init\` included), refuses ("no
  ffdb store at …"), so a mistyped \`--data\` never reads as an empty store. \`import\` checks what it can
  before creating anything (the bundle's \`manifest.json\`, \`--timezone\`): a refused import leaves no store.
- **Text that starts with \`-\`** (\`msg add … "-5 degrees"\`, \`search ada "-bar"\`) would read as an option:
  put \`--\` before it (\`ffdb msg add ada SESSION -- "-5 degrees"\`).
- **Configuration**: defaults, then the environment preset (\`CHATDB_ENV\`: development, test, production),
  then the JSON file (\`--config FILE\` or \`$CHATDB_CONFIG_PATH\`), then \`CHATDB_<SECTION>_<FIELD>\` variables
  (e.g. \`CHATDB_STORAGE_BASE_PATH\`), then \`--data\`. \`ffdb config show\` prints the result.
- **\`--json\`**: the command prints exactly one JSON document on stdout (errors too:
  \`{"error": {"code", "message", "exitCode"}}\`). The one exception is \`msg tail --follow --json\`, which
  prints one JSON message per line (JSON Lines) until stopped.
- **Human output**: aligned tables; search hits show the matched terms highlighted (bold on a terminal,
  \`**term**\` when piped). Long work (import, export, verify, reindex, compact, demo seeding) draws a progress
  bar with rate and ETA on stderr, fed by the manager's progress reports, only on a terminal and never with
  \`--json\`.
- **Errors**: one line on stderr (\`ffdb: error: …\`) and a non-zero exit code: \`1\` the operation failed,
  \`2\` bad usage or invalid input, \`130\` interrupted.
- **Ctrl-C** stops long work between units and closes the store normally; a second Ctrl-C quits at once.
  It is also how \`msg tail --follow\` ends (as does a SIGTERM from \`kill\` or a supervisor): that is its
  normal end, with exit code 0 and no error line.
  Either way the store stays consistent (writes are atomic, appends are acknowledged only when durable).
- **Chat**: \`ffdb chat\` answers through an OpenAI-compatible endpoint when \`--llm-url\` or
  \`CHATDB_LLM_BASE_URL\` is set (\`CHATDB_LLM_API_KEY\`, \`CHATDB_LLM_MODEL\`), otherwise with a small local
  responder that answers from your own history through full-text search.
- **Start-up**: every command except \`chat\` opens the store with \`searchWorker: false\`: the few writes a
  command makes are indexed for full-text search on the main thread, not in the manager's search worker
  thread, whose start would cost more than it saves (measured: commands took 0.3–1.0 s longer with it,
  medians of 8 interleaved runs each of \`search\`, \`stats\` and \`msg add\` on a small store, load 11–15).
  \`chat\` is long-running and keeps the worker, so indexing never delays a reply.

## Migrating from the Python original

\`ffdb import --from python DIR [--timezone ZONE]\` reads a data directory of the Python Flatfile Chat
Database and writes it into the store, keeping every id:

- **Layouts**: \`users/<user>/profile.json\`, \`users/<user>/<session_id>/\` with \`session.json\`, \`messages.jsonl\`,
  \`situational_context.json\`, \`context_history/context_*.json\` and \`documents/metadata.json\` plus the document
  bytes; \`users/<user>/personas/*.json\`; \`personas_global/*.json\` (plain and rich persona files);
  \`panel_sessions/<panel_id>/\` with \`panel.json\`, \`messages.jsonl\`, \`personas/\` and \`insights/\`. The older
  layout without the \`users/\` level (\`<base>/<user>/<session_id>/\`) is read too.
- **Keys**: snake_case keys become camelCase; the older \`id\` keys become \`messageId\` / \`sessionId\`; keys a
  record has no field for are kept (profile extras at the top level, message extras in \`metadata\`). Session ids
  with or without the microsecond suffix (\`chat_session_20250722_175402\`) are kept as they are.
- **Time**: the original wrote naive local time. It is read in \`--timezone\` (an IANA name such as
  \`Europe/Berlin\`) or else in the zone of the importing process (\`TZ\`), and stored as UTC with \`Z\` at
  millisecond precision.
- **Skipped and reported** (counts and the first 50 with their reason, never file contents): malformed JSON
  lines and files, messages with an empty role or content, duplicate message ids, documents whose bytes are
  missing, \`<session>.backup_*\` directories, per-persona copies \`<persona>_messages.jsonl\`, invalid ids, and
  the original's vector files (re-embed with \`ffdb doc process\`).
- **Kept as the original allowed them** (it checked none of these): \`NaN\` / \`Infinity\` values its
  \`json.dumps\` wrote become \`null\` (the line is kept); a persona without a name takes its id as name;
  an insight type outside ffdb's four is stored as \`analysis\` with \`metadata.originalType\`; panel replies
  deeper than \`panel.maxThreadDepth\`, panels past \`panel.maxMessagesPerPanel\` and replies to a missing
  message are imported as they are (the limits apply to new messages); a stored global persona with a
  built-in's id (\`analyst\`, \`creative\`, \`pragmatist\`) replaces the built-in, as it did there. Document ids
  up to 255 characters are kept; a longer one (the original truncated names at 255 and added 9) cannot be one
  file name and is skipped with that reason.
- **Re-running** adds nothing twice: what exists is counted under \`existing\`. An import stopped with Ctrl-C
  can simply be run again. The search index is rebuilt at the end.
`;

/** Every command in definition order, depth first. */
function walk(cmd, prefix = []) {
  const out = [];
  for (const sub of cmd.commands) {
    const names = [...prefix, sub.name()];
    out.push({ names, cmd: sub });
    out.push(...walk(sub, names));
  }
  return out;
}

export async function generate() {
  const { buildProgram } = await import(path.resolve(here, '../dist/cli/program.js'));
  // outputHelp (not helpInformation): what `--help` prints, the text added after the options included
  // (the root's exit codes and "Start with").
  let captured = '';
  const sink = {
    write: (s) => {
      captured += s;
      return true;
    },
  };
  const program = buildProgram({
    io: { stdout: sink, stderr: sink, stdin: process.stdin, env: {} },
    exitCode: 0,
  });
  const render = (c) => {
    c.configureHelp({ helpWidth: 80 });
    captured = '';
    c.outputHelp();
    return captured.trimEnd();
  };
  const parts = [INTRO, '## ffdb\n', '```text', render(program), '```\n'];
  for (const { names, cmd } of walk(program)) {
    parts.push(`## ffdb ${names.join(' ')}\n`, '```text', render(cmd), '```\n');
  }
  return `${parts.join('\n').trimEnd()}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const text = await generate();
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(DOC_PATH, 'utf8');
    } catch {}
    if (current !== text) {
      console.error(`${DOC_PATH} is out of date; run node packages/cli/scripts/gen-cli-docs.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(DOC_PATH, text);
    console.log(`wrote ${DOC_PATH}`);
  }
}
