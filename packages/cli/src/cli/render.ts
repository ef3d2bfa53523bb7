/** Human renderings of ffdb entities shared by several commands. */
import type { Message, SearchResult, Session } from '@ffdb/core-types';
import { type Style, highlight } from './style.js';
import { type Column, renderTable } from './table.js';

export const shortTime = (iso: string | null | undefined) =>
  iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';

export function sessionsTable(sessions: readonly Session[]): string {
  if (sessions.length === 0) return '(no sessions)';
  const cols: Column<Session>[] = [
    { header: 'SESSION', value: (s) => s.sessionId },
    { header: 'TYPE', value: (s) => s.sessionType },
    { header: 'MESSAGES', value: (s) => s.messageCount, align: 'right' },
    { header: 'UPDATED', value: (s) => shortTime(s.updatedAt) },
    { header: 'TITLE', value: (s) => s.title, max: 40 },
  ];
  return renderTable(sessions, cols);
}

export function messageLine(m: Message, style: Style, width = 0): string {
  const content = width > 0 && m.content.length > width ? `${m.content.slice(0, width - 1)}…` : m.content;
  // A streamed reply still being written, or cut off (`tail --follow` prints it again when it ends).
  const status = m.metadata?.streamStatus;
  const mark = status === 'streaming' || status === 'interrupted' ? ` ${style.dim(`[${status}]`)}` : '';
  return `${style.dim(shortTime(m.timestamp))} ${style.bold(m.role.padEnd(9))} ${content}${mark}`;
}

export function messagesText(messages: readonly Message[], style: Style): string {
  if (messages.length === 0) return '(no messages)';
  return messages.map((m) => messageLine(m, style)).join('\n');
}

/** A search hit: score, where, and the text around the highlights with the matched terms marked. */
export function searchHitText(r: SearchResult, style: Style, rank: number): string {
  const where = `${r.type} ${r.sessionId}${r.id ? ` ${r.id}` : ''}`;
  const explain = r.explain
    ? ` (text ${r.explain.text?.toFixed(3) ?? '-'}, vector ${r.explain.vector?.toFixed(3) ?? '-'})`
    : '';
  const head = `${String(rank).padStart(2)}. ${style.cyan(r.relevanceScore.toFixed(3))}${style.dim(explain)}  ${style.dim(where)}`;
  return `${head}\n    ${excerpt(r, style)}`;
}

function excerpt(r: SearchResult, style: Style, radius = 90): string {
  // One character for one character, so the highlight offsets stay valid.
  const text = r.content.replace(/\s/g, ' ');
  const ranges = r.highlights.filter(([a, b]) => b <= text.length && a < b);
  if (ranges.length === 0) {
    const s = (r.snippet || text).replace(/\s+/g, ' ');
    return s.length > radius * 2 ? `${s.slice(0, radius * 2)}…` : s;
  }
  const first = ranges[0]![0];
  const start = Math.max(0, first - radius);
  const end = Math.min(text.length, first + radius);
  const shifted = ranges
    .filter(([a, b]) => a >= start && b <= end)
    .map(([a, b]) => [a - start, b - start] as const);
  return `${start > 0 ? '…' : ''}${highlight(text.slice(start, end), shifted, style.mark)}${end < text.length ? '…' : ''}`;
}
