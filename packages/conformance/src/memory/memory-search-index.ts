import {
  assertUserId,
  FFValidationError,
  type IndexDocument,
  type IndexedItemType,
  type IndexHit,
  type IndexQuery,
  type SearchIndex,
  type SearchIndexStats,
} from '@ffdb/core-types';

interface Token {
  term: string;
  start: number;
  end: number;
}

interface Entry {
  doc: IndexDocument;
  /** Tokens of `content` with their offsets (for highlights). */
  tokens: Token[];
  /** Term frequencies over content and title. */
  tf: Map<string, number>;
  length: number;
}

interface UserIndex {
  entries: Map<string, Entry>;
  positions: Map<string, number>;
}

const WORD = /[\p{L}\p{N}_]+/gu;
const ITEM_TYPES: readonly IndexedItemType[] = ['message', 'document', 'context', 'panel_message'];
const SNIPPET_CHARS = 160;

/** Lowercased words with their offsets; simple and locale-free on purpose. */
export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(WORD)) {
    out.push({ term: m[0].toLowerCase(), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

function editDistanceWithin(a: string, b: string, max: number): boolean {
  if (Math.abs(a.length - b.length) > max) return false;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      cur.push(v);
      rowMin = Math.min(rowMin, v);
    }
    if (rowMin > max) return false;
    prev = cur;
  }
  return (prev[b.length] ?? Number.POSITIVE_INFINITY) <= max;
}

function parseTime(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new FFValidationError([{ path: field, message: 'must be an ISO-8601 date' }]);
  return ms;
}

function checkDocument(doc: IndexDocument, i: number): void {
  assertUserId(doc?.userId, `items.${i}.userId`);
  const problems: { path: string; message: string }[] = [];
  if (typeof doc.id !== 'string' || doc.id === '')
    problems.push({ path: `items.${i}.id`, message: 'must be a non-empty string' });
  if (typeof doc.sessionId !== 'string')
    problems.push({ path: `items.${i}.sessionId`, message: 'must be a string' });
  if (!ITEM_TYPES.includes(doc.type))
    problems.push({ path: `items.${i}.type`, message: `must be one of ${ITEM_TYPES.join(', ')}` });
  if (typeof doc.content !== 'string')
    problems.push({ path: `items.${i}.content`, message: 'must be a string' });
  if (typeof doc.timestamp !== 'string' || Number.isNaN(Date.parse(doc.timestamp))) {
    problems.push({ path: `items.${i}.timestamp`, message: 'must be an ISO-8601 date' });
  }
  if (problems.length) throw new FFValidationError(problems);
}

/**
 * The reference SearchIndex: lowercase word tokens, AND/OR, prefix and fuzzy terms, tf-idf scoring
 * with length normalisation, highlights as offsets into `content`, and a snippet around the first one.
 * Everything lives in memory, partitioned by user.
 */
export class MemorySearchIndex implements SearchIndex {
  readonly id = 'memory';
  readonly capabilities = { persistent: false, incremental: true, fuzzy: true, prefix: true };
  private readonly users = new Map<string, UserIndex>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async flush(): Promise<void> {}

  private user(userId: string, create: true): UserIndex;
  private user(userId: string, create: false): UserIndex | undefined;
  private user(userId: string, create: boolean): UserIndex | undefined {
    let u = this.users.get(userId);
    if (!u && create) {
      u = { entries: new Map(), positions: new Map() };
      this.users.set(userId, u);
    }
    return u;
  }

  async add(items: readonly IndexDocument[]): Promise<void> {
    if (!Array.isArray(items)) throw new FFValidationError([{ path: 'items', message: 'must be an array' }]);
    items.forEach(checkDocument);
    for (const item of items) {
      const doc = structuredClone(item);
      const tokens = tokenize(doc.content);
      const all = doc.title ? [...tokens, ...tokenize(doc.title)] : tokens;
      const tf = new Map<string, number>();
      for (const t of all) tf.set(t.term, (tf.get(t.term) ?? 0) + 1);
      const u = this.user(doc.userId, true);
      u.entries.set(doc.id, { doc, tokens, tf, length: all.length });
      if (doc.source) {
        const next = doc.source.seq + 1;
        if ((u.positions.get(doc.source.log) ?? 0) < next) u.positions.set(doc.source.log, next);
      }
    }
  }

  async remove(userId: string, ids: readonly string[]): Promise<void> {
    assertUserId(userId);
    const u = this.user(userId, false);
    for (const id of ids) u?.entries.delete(id);
  }

  async removeSession(userId: string, sessionId: string): Promise<void> {
    assertUserId(userId);
    const u = this.user(userId, false);
    if (!u) return;
    for (const [id, e] of u.entries) if (e.doc.sessionId === sessionId) u.entries.delete(id);
  }

  async removeUser(userId: string): Promise<void> {
    assertUserId(userId);
    this.users.delete(userId);
  }

  async clear(userId?: string): Promise<void> {
    if (userId === undefined) this.users.clear();
    else {
      assertUserId(userId);
      this.users.delete(userId);
    }
  }

  async positions(userId: string): Promise<Record<string, number>> {
    assertUserId(userId);
    return Object.fromEntries(this.user(userId, false)?.positions ?? []);
  }

  async stats(): Promise<SearchIndexStats> {
    let documents = 0;
    for (const u of this.users.values()) documents += u.entries.size;
    return { users: this.users.size, documents, segments: 0, bytesOnDisk: 0 };
  }

  async search(query: IndexQuery): Promise<IndexHit[]> {
    assertUserId(query?.userId, 'userId');
    if (typeof query.text !== 'string')
      throw new FFValidationError([{ path: 'text', message: 'must be a string' }]);
    const limit = query.limit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 0)) {
      throw new FFValidationError([{ path: 'limit', message: 'must be a non-negative integer' }]);
    }
    const start = parseTime(query.startDate, 'startDate');
    const end = parseTime(query.endDate, 'endDate');
    const fuzz = query.fuzzy === true ? 1 : typeof query.fuzzy === 'number' ? query.fuzzy : 0;
    const u = this.user(query.userId, false);
    if (!u) return [];
    const terms = [...new Set(tokenize(query.text).map((t) => t.term))];

    const candidates = [...u.entries.values()].filter((e) => {
      const d = e.doc;
      if (query.types && !query.types.includes(d.type)) return false;
      if (query.sessionIds && !query.sessionIds.includes(d.sessionId)) return false;
      if (query.roles && (d.role === undefined || !query.roles.includes(d.role))) return false;
      const t = Date.parse(d.timestamp);
      if (start !== undefined && t < start) return false;
      if (end !== undefined && t > end) return false;
      return true;
    });

    const matches = (queryTerm: string, docTerm: string) =>
      docTerm === queryTerm ||
      (query.prefix === true && docTerm.startsWith(queryTerm)) ||
      (fuzz > 0 && editDistanceWithin(queryTerm, docTerm, fuzz));

    const total = u.entries.size;
    const docFreq = (queryTerm: string) => {
      let df = 0;
      for (const e of u.entries.values()) {
        for (const term of e.tf.keys()) {
          if (matches(queryTerm, term)) {
            df++;
            break;
          }
        }
      }
      return df;
    };
    const idf = new Map(terms.map((t) => [t, Math.log(1 + total / Math.max(1, docFreq(t)))]));

    const hits: IndexHit[] = [];
    for (const e of candidates) {
      let score = 0;
      let matched = 0;
      for (const qt of terms) {
        let tf = 0;
        for (const [term, n] of e.tf) if (matches(qt, term)) tf += term === qt ? n : n * 0.5;
        if (tf > 0) {
          matched++;
          score += (tf / (tf + 1.2)) * (idf.get(qt) ?? 0) * (1 / Math.sqrt(1 + e.length / 50));
        }
      }
      if (terms.length > 0) {
        if (matched === 0) continue;
        if ((query.mode ?? 'and') === 'and' && matched < terms.length) continue;
      }
      if (query.minScore !== undefined && score < query.minScore) continue;
      const highlights: [number, number][] = e.tokens
        .filter((t) => terms.some((qt) => matches(qt, t.term)))
        .map((t) => [t.start, t.end]);
      hits.push({
        id: e.doc.id,
        userId: e.doc.userId,
        sessionId: e.doc.sessionId,
        type: e.doc.type,
        content: e.doc.content,
        timestamp: e.doc.timestamp,
        ...(e.doc.role !== undefined ? { role: e.doc.role } : {}),
        ...(e.doc.metadata !== undefined ? { metadata: structuredClone(e.doc.metadata) } : {}),
        score,
        highlights,
        snippet: snippetOf(e.doc.content, highlights[0]),
      });
    }
    // Best first; ties (e.g. an empty query) newest first, then by id for a stable order.
    hits.sort(
      (a, b) =>
        b.score - a.score ||
        (a.timestamp < b.timestamp ? 1 : a.timestamp > b.timestamp ? -1 : 0) ||
        (a.id < b.id ? -1 : 1),
    );
    return limit === undefined ? hits : hits.slice(0, limit);
  }
}

function snippetOf(content: string, first: [number, number] | undefined): string {
  if (content.length <= SNIPPET_CHARS) return content;
  const center = first ? first[0] : 0;
  const from = Math.max(0, Math.min(center - SNIPPET_CHARS / 4, content.length - SNIPPET_CHARS));
  const text = content.slice(from, from + SNIPPET_CHARS);
  return `${from > 0 ? '…' : ''}${text}${from + SNIPPET_CHARS < content.length ? '…' : ''}`;
}

export function createMemorySearchIndex(): MemorySearchIndex {
  return new MemorySearchIndex();
}
