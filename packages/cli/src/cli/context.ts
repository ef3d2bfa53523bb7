/**
 * What every command gets: the global options, the output channel, the interrupt signal and a way to
 * open the store. A "store" is a data directory holding `ffdb.json`. init, demo and import create one;
 * any command opens an empty directory as a new store; the commands that create a user or session
 * (user add, session new, chat) also create a missing directory; the others refuse a missing path, so
 * a mistyped --data never reads as empty.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { type FFConfig, loadConfig } from '@ffdb/core-types';
import type { FFStorageManager } from '@ffdb/manager';
import { CliError, InterruptedError, usageError } from './errors.js';
import { ProgressBar } from './progress.js';
import { type Style, colorEnabled, makeStyle } from './style.js';

export interface GlobalOptions {
  data?: string;
  config?: string;
  json?: boolean;
}

export interface CliIO {
  stdout: NodeJS.WriteStream;
  stderr: NodeJS.WriteStream;
  stdin: NodeJS.ReadStream;
  env: NodeJS.ProcessEnv;
}

export const STORE_MARKER = 'ffdb.json';

/** What a --data path is (a symbolic link counts as what it points to). */
function describePath(p: string): 'missing' | 'directory' | 'file' | 'broken link' {
  if (existsSync(p)) return statSync(p).isDirectory() ? 'directory' : 'file';
  try {
    lstatSync(p);
    return 'broken link';
  } catch {
    return 'missing';
  }
}

export class CliContext {
  readonly style: Style;
  private manager: FFStorageManager | null = null;
  private printed = false;

  constructor(
    readonly opts: GlobalOptions,
    readonly io: CliIO,
    readonly signal: AbortSignal,
    /** Which signal aborted `signal`, if one did (Ctrl-C is SIGINT). */
    readonly interruptedBy: () => NodeJS.Signals | undefined = () => undefined,
  ) {
    this.style = makeStyle(!opts.json && colorEnabled(io.stdout));
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  /** The effective configuration: defaults, preset, --config / $CHATDB_CONFIG_PATH, CHATDB_* env, --data. */
  loadConfig(): FFConfig {
    // An empty --data or --config is bad usage (exit 2), not a failed operation.
    if (this.opts.data !== undefined && this.opts.data.trim() === '') {
      throw usageError('--data needs a directory (got an empty value)');
    }
    if (this.opts.config !== undefined && this.opts.config.trim() === '') {
      throw usageError('--config needs a file (got an empty value)');
    }
    if (this.opts.config !== undefined && !existsSync(this.opts.config)) {
      throw new CliError(`config file not found: ${this.opts.config}`);
    }
    return loadConfig({
      ...(this.opts.config !== undefined ? { path: this.opts.config } : {}),
      env: this.io.env,
      ...(this.opts.data !== undefined ? { overrides: { storage: { basePath: this.opts.data } } } : {}),
    });
  }

  basePath(config: FFConfig = this.loadConfig()): string {
    return path.resolve(config.storage.basePath);
  }

  static isStore(dir: string): boolean {
    return existsSync(path.join(dir, STORE_MARKER));
  }

  /**
   * Opens the store. An empty directory becomes one (as the library's initialize() would make it),
   * for any command: `ffdb --data "$(mktemp -d)" user list` lists no users. Otherwise, unless `create`
   * is set, a path without `ffdb.json` is "no store": one clear error instead of silently creating a
   * store where a mistyped path points. `create` (init, demo, import) and `create: 'where-nothing-is'`
   * (user add, session new, chat) also create the directory when it does not exist. A directory holding
   * other files is always refused, `create` or not.
   *
   * `searchWorker` (default false): one-shot commands index full text on the main thread. Starting the
   * manager's search worker thread costs more than the few writes a command indexes (measured: a command
   * took 0.3-1.0 s longer with it at load 11-15, see docs/cli.md); only the long-running `chat` asks for it.
   */
  async open(
    opts: { create?: boolean | 'where-nothing-is'; searchWorker?: boolean } = {},
  ): Promise<FFStorageManager> {
    if (this.manager) return this.manager;
    const config = this.loadConfig();
    const base = this.basePath(config);
    if (!CliContext.isStore(base)) {
      const what = describePath(base);
      // `.ffdb/` alone: another process is creating the store right now.
      const emptyDirectory = what === 'directory' && readdirSync(base).every((n) => n === '.ffdb');
      const creatable =
        emptyDirectory || (what === 'missing' && opts.create !== undefined && opts.create !== false);
      if (!creatable) {
        // A directory holding other files is never made a store, not even by init, demo or import:
        // the store's files would mix with someone else's.
        const hint = {
          missing: 'does not exist; run `ffdb init` or pass --data DIR',
          directory: 'is a directory holding other files; pass --data with an empty or new directory',
          file: 'is a file, not a directory; pass --data DIR',
          'broken link': 'is a symbolic link to nothing; pass --data DIR',
        }[what];
        throw new CliError(`no ffdb store at ${base} (${hint})`);
      }
    }
    // Loaded on demand: --help and --version stay fast.
    const { FFStorageManager } = await import('@ffdb/manager');
    this.manager = await FFStorageManager.open({ config, searchWorker: opts.searchWorker === true });
    return this.manager;
  }

  async close(): Promise<void> {
    const m = this.manager;
    this.manager = null;
    if (m) await m.close();
  }

  /** Throws when Ctrl-C was pressed; long loops call this between units of work. */
  checkInterrupted(): void {
    if (this.signal.aborted) throw new InterruptedError();
  }

  progress(label: string, total?: number, unit?: string): ProgressBar {
    return new ProgressBar({
      label,
      enabled: !this.json,
      stream: this.io.stderr,
      ...(total !== undefined ? { total } : {}),
      ...(unit !== undefined ? { unit } : {}),
    });
  }

  /** Prints the command's result: one JSON document with --json, the human rendering otherwise. */
  result(value: unknown, human: () => string | undefined): void {
    if (this.printed && this.json) throw new Error('a command printed two JSON documents');
    this.printed = true;
    if (this.json) {
      this.io.stdout.write(`${JSON.stringify(value, jsonReplacer, 2)}\n`);
      return;
    }
    const text = human();
    if (text !== undefined && text !== '') this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A human line on stdout (ignored with --json). */
  say(text: string): void {
    if (!this.json) this.io.stdout.write(`${text}\n`);
  }

  /** A note on stderr (ignored with --json). */
  note(text: string): void {
    if (!this.json) this.io.stderr.write(`${text}\n`);
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}
