/**
 * The interactive chat: one line in, one turn out. Every user and assistant turn is stored; the
 * reply is written through `beginMessageStream`, so it is durable while it grows and marked
 * `interrupted` if the user presses Ctrl-C mid-reply. Commands start with a slash.
 */
import type { Message, SearchResult } from '@ffdb/core-types';
import type { FFStorageManager } from '@ffdb/manager';
import { messageLine, searchHitText, sessionsTable } from '../cli/render.js';
import type { Style } from '../cli/style.js';
import type { Responder } from './responders.js';

export const CHAT_HELP = [
  'Commands:',
  '  /search <query>   full-text search over all your sessions and documents',
  '  /history [n]      the last n messages of this session (default 10)',
  '  /sessions         your sessions, newest first',
  '  /persona [id]     show the persona, or switch to another one (/persona none to clear)',
  '  /help             this help',
  '  /quit             leave (Ctrl-D works too)',
].join('\n');

export interface ChatOptions {
  userId: string;
  sessionId: string;
  personaId?: string;
  responder: Responder;
  /** Writes raw text (replies stream through it piece by piece). */
  write: (text: string) => void;
  /** Writes an error line (stderr, as every CLI error); the chat goes on. Default: `write`. */
  writeError?: (text: string) => void;
  style: Style;
  signal: AbortSignal;
}

export class ChatSession {
  private personaId: string | undefined;
  private systemPrompt: string | undefined;
  /** Aborts the reply being generated (Ctrl-C during a reply). */
  private replyAbort: AbortController | null = null;

  constructor(
    private readonly m: FFStorageManager,
    private readonly opts: ChatOptions,
  ) {
    this.personaId = opts.personaId;
  }

  /** Writes a line. */
  private out(text: string): void {
    this.opts.write(`${text}\n`);
  }

  get sessionId(): string {
    return this.opts.sessionId;
  }

  async start(): Promise<void> {
    if (this.personaId) await this.setPersona(this.personaId);
    const s = await this.m.getSession(this.opts.userId, this.opts.sessionId);
    this.out(
      `Chatting as ${this.opts.userId} in ${this.opts.sessionId} (${s?.messageCount ?? 0} messages) — ` +
        `replies by ${this.opts.responder.name}${this.personaId ? `, persona ${this.personaId}` : ''}. /help for commands.`,
    );
  }

  /** Stops the reply in progress, if any; true when there was one. */
  interruptReply(): boolean {
    if (!this.replyAbort) return false;
    this.replyAbort.abort();
    return true;
  }

  /** Handles one input line; false means the chat should end. */
  async handle(line: string): Promise<boolean> {
    const text = line.trim();
    if (text === '') return true;
    if (text.startsWith('/')) return this.command(text);
    await this.turn(text);
    return true;
  }

  private async command(text: string): Promise<boolean> {
    const [cmd = '', ...rest] = text.slice(1).split(/\s+/);
    const arg = rest.join(' ').trim();
    const { userId, sessionId, style } = this.opts;
    const out = (t: string) => this.out(t);
    switch (cmd.toLowerCase()) {
      case 'quit':
      case 'exit':
      case 'q':
        return false;
      case 'help':
      case '?':
        out(CHAT_HELP);
        return true;
      case 'history': {
        const n = arg === '' ? 10 : Number(arg);
        if (!Number.isInteger(n) || n < 1) {
          out('usage: /history [n]  (n a positive integer)');
          return true;
        }
        const list = await this.m.getRecentMessages(userId, sessionId, n);
        out(list.length ? list.map((m) => messageLine(m, style)).join('\n') : '(no messages yet)');
        return true;
      }
      case 'search': {
        if (arg === '') {
          out('usage: /search <query>');
          return true;
        }
        const results: SearchResult[] = await this.m.advancedSearch({
          query: arg,
          userId,
          maxResults: 5,
          includeDocuments: true,
        });
        out(
          results.length
            ? results.map((r, i) => searchHitText(r, style, i + 1)).join('\n')
            : `No results for "${arg}"`,
        );
        return true;
      }
      case 'sessions': {
        const list = await this.m.listSessions(userId, { limit: 20 });
        out(sessionsTable(list));
        return true;
      }
      case 'persona': {
        if (arg === '') {
          // Stored personas, then the config's built-in ones (getPersona finds those without a write).
          const stored = (await this.m.listPersonas(userId).catch(() => [])).map((p) => p.personaId);
          const builtIn = Object.keys(this.m.config.panel.defaultPersonas).filter(
            (id) => !stored.includes(id),
          );
          const all = [...stored, ...builtIn];
          out(
            `Persona: ${this.personaId ?? '(none)'}` + (all.length ? `\nAvailable: ${all.join(', ')}` : ''),
          );
        } else if (arg === 'none') {
          this.personaId = undefined;
          this.systemPrompt = undefined;
          out('Persona cleared');
        } else if (await this.setPersona(arg)) {
          out(`Persona: ${arg}`);
        } else {
          out(`No persona ${arg}; /persona lists the available ones`);
        }
        return true;
      }
      default:
        out(`Unknown command /${cmd}; /help lists the commands`);
        return true;
    }
  }

  private async setPersona(id: string): Promise<boolean> {
    const p = await this.m.getPersona(id, this.opts.userId).catch(() => null);
    if (!p) return false;
    this.personaId = id;
    const prompt = (p as { systemPrompt?: unknown }).systemPrompt;
    this.systemPrompt =
      typeof prompt === 'string' && prompt !== ''
        ? prompt
        : `You are ${p.name}. ${p.description ?? ''}`.trim();
    return true;
  }

  private async turn(text: string): Promise<void> {
    const { userId, sessionId, write } = this.opts;
    const [stored] = await this.m.addMessages(userId, sessionId, [{ role: 'user', content: text }]);
    const history: Message[] = await this.m.getRecentMessages(userId, sessionId, 20);
    this.replyAbort = new AbortController();
    const signal = AbortSignal.any([this.replyAbort.signal, this.opts.signal]);
    // The stream starts with the first piece, so a responder that fails at once stores no empty reply.
    let stream: Awaited<ReturnType<FFStorageManager['beginMessageStream']>> | null = null;
    write(`${this.personaId ?? 'assistant'}> `);
    try {
      for await (const piece of this.opts.responder.reply({
        userId,
        sessionId,
        userText: text,
        userMessageId: stored?.messageId ?? '',
        history,
        ...(this.systemPrompt ? { systemPrompt: this.systemPrompt } : {}),
        signal,
      })) {
        if (signal.aborted) break;
        stream ??= await this.m.beginMessageStream(userId, sessionId, {
          role: 'assistant',
          metadata: {
            responder: this.opts.responder.name,
            ...(this.personaId ? { personaId: this.personaId } : {}),
          },
        });
        await stream.write(piece);
        write(piece);
      }
      if (!stream) write('(no reply)\n');
      else if (signal.aborted) {
        await stream.abort('interrupted');
        write(' [interrupted]\n');
      } else {
        await stream.complete();
        write('\n');
      }
    } catch (e) {
      if (stream) await Promise.resolve(stream.abort('error')).catch(() => undefined);
      write('\n');
      (this.opts.writeError ?? write)(
        `ffdb: error: the responder failed: ${(e as Error).message.split('\n')[0]}\n`,
      );
    } finally {
      this.replyAbort = null;
    }
  }
}
