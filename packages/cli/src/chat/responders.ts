/**
 * Who answers in `ffdb chat`: an OpenAI-compatible chat-completions endpoint when one is configured
 * (OpenAI, Ollama, LM Studio, vLLM, …), otherwise a small deterministic local responder that answers
 * from the user's own history through full-text search. Both yield the reply in pieces (streaming).
 */
import type { Message, SearchResult } from '@ffdb/core-types';

export interface ReplyInput {
  userId: string;
  sessionId: string;
  userText: string;
  /** The user's message just stored (excluded from retrieval). */
  userMessageId: string;
  /** Earlier turns of this session, oldest first (the new user turn included last). */
  history: Message[];
  /** The persona's system prompt, when a persona is active. */
  systemPrompt?: string;
  signal: AbortSignal;
}

export interface Responder {
  readonly name: string;
  reply(input: ReplyInput): AsyncIterable<string>;
}

export type SearchFn = (userId: string, query: string) => Promise<SearchResult[]>;

const STOP = new Set(
  'a an and are as at be but by do does for from has have how i in is it its me my of on or so that the this to was what when where which who why will with you your'.split(
    ' ',
  ),
);

export function keywords(text: string): string[] {
  return [...new Set(text.toLowerCase().match(/[a-z0-9']{3,}/g) ?? [])].filter((w) => !STOP.has(w));
}

/** Answers with the most relevant earlier message or document snippet, or acknowledges the note. */
export class LocalResponder implements Responder {
  readonly name = 'local';
  constructor(private readonly search: SearchFn) {}

  async *reply(input: ReplyInput): AsyncIterable<string> {
    const words = keywords(input.userText);
    let text: string;
    let best: SearchResult | undefined;
    if (words.length > 0) {
      const results = await this.search(input.userId, words.join(' '));
      best = results.find((r) => r.id !== input.userMessageId && r.content.trim() !== input.userText.trim());
    }
    if (best) {
      const where =
        best.type === 'document'
          ? `document ${best.metadata.filename ?? best.id}`
          : `session ${best.sessionId}`;
      const snippet = (best.snippet || best.content).replace(/\s+/g, ' ').trim().slice(0, 240);
      text = `From your ${where}: "${snippet}"`;
    } else {
      const n = input.userText.trim().split(/\s+/).length;
      text = `I have nothing earlier about that yet, so I noted it (${n} word${n === 1 ? '' : 's'}). Ask me about it later.`;
    }
    // Word by word, so the reply streams like a model's.
    for (const piece of text.match(/\S+\s*/g) ?? [text]) {
      if (input.signal.aborted) return;
      yield piece;
    }
  }
}

export interface OpenAIOptions {
  baseUrl: string;
  apiKey?: string;
  model: string;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** An OpenAI-compatible `POST /chat/completions` client with `stream: true` (SSE), or a JSON reply. */
export class OpenAICompatibleResponder implements Responder {
  readonly name: string;
  constructor(private readonly opts: OpenAIOptions) {
    this.name = `openai-compatible ${opts.model} at ${opts.baseUrl}`;
  }

  async *reply(input: ReplyInput): AsyncIterable<string> {
    const messages = [
      ...(input.systemPrompt ? [{ role: 'system', content: input.systemPrompt }] : []),
      ...input.history.slice(-20).map((m) => ({
        role: m.role === 'user' || m.role === 'system' ? m.role : 'assistant',
        content: m.content,
      })),
    ];
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    const signal = AbortSignal.any([input.signal, AbortSignal.timeout(this.opts.timeoutMs ?? 120_000)]);
    const res = await (this.opts.fetchImpl ?? fetch)(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: this.opts.model, messages, stream: true }),
      signal,
    });
    if (!res.ok) throw new Error(`LLM endpoint answered HTTP ${res.status}`);
    const type = res.headers.get('content-type') ?? '';
    if (!type.includes('text/event-stream')) {
      const body = (await res.json()) as { choices?: { message?: { content?: string } }[] };
      const content = body.choices?.[0]?.message?.content;
      if (typeof content !== 'string') throw new Error('LLM endpoint sent no choices[0].message.content');
      yield content;
      return;
    }
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl = buffer.indexOf('\n');
      while (nl >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        nl = buffer.indexOf('\n');
        if (!line.startsWith('data:')) continue;
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        try {
          const delta = (JSON.parse(data) as { choices?: { delta?: { content?: string } }[] }).choices?.[0]
            ?.delta?.content;
          if (delta) yield delta;
        } catch {
          // A keep-alive or vendor line that is not JSON: ignore it.
        }
      }
    }
  }
}

/** The endpoint from flags or CHATDB_LLM_BASE_URL / CHATDB_LLM_API_KEY / CHATDB_LLM_MODEL, or null. */
export function llmFromEnv(
  env: NodeJS.ProcessEnv,
  flags: { llmUrl?: string; model?: string } = {},
): OpenAIOptions | null {
  const baseUrl = flags.llmUrl ?? env.CHATDB_LLM_BASE_URL;
  if (!baseUrl) return null;
  const apiKey = env.CHATDB_LLM_API_KEY ?? env.OPENAI_API_KEY;
  return {
    baseUrl,
    model: flags.model ?? env.CHATDB_LLM_MODEL ?? 'gpt-4o-mini',
    ...(apiKey ? { apiKey } : {}),
  };
}
