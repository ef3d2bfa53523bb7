/**
 * The chat itself: one input line in, output out. Every user and assistant turn is stored in ffdb;
 * replies go through `beginMessageStream`, so a reply is durable while it is being generated.
 */
import type { FFStorageManager } from '@ffdb/manager';
import type { Responder } from './responders.js';

export const HELP = `/search <query>  search all your conversations
/history [n]     the last n messages here (default 10)
/sessions        your sessions
/persona [id]    show or switch the persona (/persona none clears it)
/help            this help
/quit            leave`;

export class ChatApp {
  private persona: { id: string; prompt: string } | null = null;

  constructor(
    private readonly store: FFStorageManager,
    private readonly userId: string,
    readonly sessionId: string,
    private readonly responder: Responder,
    private readonly write: (text: string) => void,
  ) {}

  /** Handles one line; resolves to false when the user wants to leave. */
  async handle(line: string): Promise<boolean> {
    const text = line.trim();
    if (!text) return true;
    if (!text.startsWith('/')) {
      await this.turn(text);
      return true;
    }
    const [command, ...rest] = text.slice(1).split(/\s+/);
    const arg = rest.join(' ');
    const { store, userId, sessionId } = this;
    switch (command) {
      case 'quit':
      case 'exit':
        return false;
      case 'help':
        this.write(`${HELP}\n`);
        break;
      case 'history': {
        const n = arg ? Number.parseInt(arg, 10) : 10;
        if (!(n > 0)) {
          this.write('usage: /history [n]\n');
          break;
        }
        for (const m of await store.getRecentMessages(userId, sessionId, n))
          this.write(`[${m.role}] ${m.content}\n`);
        break;
      }
      case 'search': {
        const hits = arg ? await store.advancedSearch({ query: arg, userId, maxResults: 5 }) : [];
        if (!hits.length) this.write(`no results for "${arg}"\n`);
        for (const h of hits)
          this.write(`${h.relevanceScore.toFixed(2)} ${h.sessionId}: ${h.snippet || h.content}\n`);
        break;
      }
      case 'sessions':
        for (const s of await store.listSessions(userId)) {
          this.write(
            `${s.sessionId === sessionId ? '*' : ' '} ${s.sessionId}  ${s.messageCount} messages  ${s.title}\n`,
          );
        }
        break;
      case 'persona':
        if (!arg) this.write(`persona: ${this.persona?.id ?? 'none'}\n`);
        else if (arg === 'none') {
          this.persona = null;
          this.write('persona cleared\n');
        } else {
          const p = await store.getPersona(arg, userId).catch(() => null);
          if (!p) this.write(`no persona ${arg}\n`);
          else {
            const prompt =
              typeof p.systemPrompt === 'string' ? p.systemPrompt : `You are ${p.name}. ${p.description}`;
            this.persona = { id: arg, prompt };
            this.write(`persona: ${arg}\n`);
          }
        }
        break;
      default:
        this.write(`unknown command /${command} (try /help)\n`);
    }
    return true;
  }

  private async turn(text: string): Promise<void> {
    const [stored] = await this.store.addMessages(this.userId, this.sessionId, [
      { role: 'user', content: text },
    ]);
    const history = await this.store.getRecentMessages(this.userId, this.sessionId, 20);
    this.write(`${this.persona?.id ?? 'assistant'}> `);
    let stream: Awaited<ReturnType<FFStorageManager['beginMessageStream']>> | null = null;
    try {
      for await (const piece of this.responder.reply({
        userId: this.userId,
        text,
        messageId: stored?.messageId ?? '',
        history,
        ...(this.persona ? { systemPrompt: this.persona.prompt } : {}),
      })) {
        stream ??= await this.store.beginMessageStream(this.userId, this.sessionId, {
          role: 'assistant',
          metadata: this.persona ? { personaId: this.persona.id } : {},
        });
        await stream.write(piece);
        this.write(piece);
      }
      if (stream) await stream.complete();
      this.write(stream ? '\n' : '(no reply)\n');
    } catch (e) {
      if (stream) await stream.abort('error');
      this.write(`\n(error: ${(e as Error).message})\n`);
    }
  }
}
