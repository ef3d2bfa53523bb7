/**
 * Who answers: an OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, LM Studio, vLLM, …)
 * when CHATDB_LLM_BASE_URL is set, otherwise a deterministic local responder that answers from the
 * user's own history through ffdb's full-text search. Both yield the reply in pieces.
 */
import type { FFStorageManager, Message } from '@ffdb/manager';

export interface Turn {
  userId: string;
  text: string;
  /** The message just stored (the local responder never answers with it). */
  messageId: string;
  history: Message[];
  systemPrompt?: string;
}

export type Responder = { name: string; reply(turn: Turn): AsyncIterable<string> };

export function localResponder(store: FFStorageManager): Responder {
  return {
    name: 'local',
    async *reply(turn) {
      const words = turn.text.toLowerCase().match(/[a-z0-9]{4,}/g) ?? [];
      const hits = words.length
        ? await store.advancedSearch({
            query: words.join(' '),
            userId: turn.userId,
            maxResults: 5,
            mode: 'or',
          })
        : [];
      const best = hits.find((h) => h.id !== turn.messageId && h.content !== turn.text);
      const text = best
        ? `Earlier, in ${best.sessionId}: "${best.snippet || best.content}"`
        : `Noted. I will remember that (${turn.text.split(/\s+/).length} words).`;
      for (const piece of text.match(/\S+\s*/g) ?? [text]) yield piece;
    },
  };
}

export function openAIResponder(baseUrl: string, model: string, apiKey?: string): Responder {
  return {
    name: `${model} at ${baseUrl}`,
    async *reply(turn) {
      const messages = [
        ...(turn.systemPrompt ? [{ role: 'system', content: turn.systemPrompt }] : []),
        ...turn.history.map((m) => ({ role: m.role === 'user' ? 'user' : 'assistant', content: m.content })),
      ];
      const res = await fetch(`${baseUrl.replace(/\/+$/, '')}/chat/completions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
        },
        body: JSON.stringify({ model, messages, stream: true }),
      });
      if (!res.ok || !res.body) throw new Error(`the model endpoint answered HTTP ${res.status}`);
      // Server-sent events: `data: {choices:[{delta:{content}}]}` lines, ending with `data: [DONE]`.
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines) {
          const data = line.trim().replace(/^data:\s*/, '');
          if (!line.trim().startsWith('data:') || data === '[DONE]') continue;
          const delta = JSON.parse(data).choices?.[0]?.delta?.content;
          if (typeof delta === 'string' && delta) yield delta;
        }
      }
    },
  };
}
