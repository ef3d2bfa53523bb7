/**
 * @ffdb/cli — the `ffdb` command-line tool. The binary is `dist/bin.js`; these exports let other
 * programs run the CLI in-process or reuse its pieces.
 */
export { run, defaultIO } from './cli/run.js';
export { buildProgram } from './cli/program.js';
export { ProgressBar, type ProgressOptions } from './cli/progress.js';
export { renderTable, renderPairs, type Column } from './cli/table.js';
export { CliError, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE } from './cli/errors.js';
export { ChatSession, CHAT_HELP, type ChatOptions } from './chat/chat-session.js';
export {
  LocalResponder,
  OpenAICompatibleResponder,
  llmFromEnv,
  type Responder,
  type ReplyInput,
  type OpenAIOptions,
} from './chat/responders.js';
export { readSentences, categories } from './demo/corpus.js';
export { buildSample, DEMO_QUERIES, type SampleData } from './demo/sample.js';
