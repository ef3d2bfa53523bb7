import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCompressor } from '@ffdb/compression';
import type { StorageBackend } from '@ffdb/core-types';
import { createLunrSearchIndex, type LunrSearchIndex } from '@ffdb/search-fts';
import Database from 'better-sqlite3';
import MiniSearch from 'minisearch';
import type { CorpusMessage } from '../corpus.js';
import { loadFsStorageFactory } from '../storage/ffdb-store.js';

/** One full-text engine under test; `user` partitions the data (one user = one index for ffdb/MiniSearch). */
export interface Engine {
  readonly name: string;
  ingest(user: string, batch: readonly CorpusMessage[]): Promise<void>;
  /** Wait until everything ingested is durable/indexed (ffdb: segments built and persisted). */
  settle(): Promise<void>;
  one(user: string, term: string): Promise<number>;
  three(user: string, terms: readonly string[]): Promise<number>;
  prefix(user: string, p: string): Promise<number>;
  filtered(user: string, q: { term: string; role: string; start: string; end: string }): Promise<number>;
  /** Close and reopen from disk (the first query afterwards is timed by the caller). */
  restart(): Promise<void>;
  bytesOnDisk(): number;
  close(): Promise<void>;
  stats?(): Promise<Record<string, unknown>>;
}

export function dirBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : statSync(p).size;
  }
  return total;
}

const TOP = 10;

// ------------------------------------------------------------------------------------------- ffdb

export class FfdbEngine implements Engine {
  readonly name = 'ffdb search-fts';
  private storage!: StorageBackend;
  index!: LunrSearchIndex;
  constructor(
    private readonly dir: string,
    private readonly opts: {
      flushThreshold?: number;
      cacheMaxUsers?: number;
      segmentCacheSize?: number;
      /** Another build of search-fts to compare with (cold-probe's FTS_DIST). */
      create?: typeof createLunrSearchIndex;
    } = {},
  ) {}

  async open(): Promise<this> {
    const create = await loadFsStorageFactory();
    this.storage = create({ basePath: this.dir, durability: 'none' });
    await this.storage.open();
    const { create: createIndex = createLunrSearchIndex, ...opts } = this.opts;
    this.index = createIndex({
      storage: this.storage,
      compressor: createCompressor({ algorithm: 'lz4' }),
      flushIntervalMs: 1000,
      ...opts,
    });
    await this.index.open();
    return this;
  }
  async ingest(user: string, batch: readonly CorpusMessage[]): Promise<void> {
    await this.index.add(
      batch.map((m, i) => ({
        id: m.id,
        userId: user,
        sessionId: m.session_id,
        type: 'message' as const,
        content: m.content,
        timestamp: m.timestamp,
        role: m.role,
        source: { log: `users/${user}/sessions/${m.session_id}/messages`, seq: i },
      })),
    );
  }
  async settle(): Promise<void> {
    await this.index.flush();
    await this.index.idle();
  }
  async one(user: string, term: string): Promise<number> {
    return (await this.index.search({ userId: user, text: term, limit: TOP })).length;
  }
  async three(user: string, terms: readonly string[]): Promise<number> {
    return (await this.index.search({ userId: user, text: terms.join(' '), limit: TOP })).length;
  }
  async prefix(user: string, p: string): Promise<number> {
    return (await this.index.search({ userId: user, text: `${p}*`, limit: TOP })).length;
  }
  async filtered(
    user: string,
    q: { term: string; role: string; start: string; end: string },
  ): Promise<number> {
    return (
      await this.index.search({
        userId: user,
        text: q.term,
        roles: [q.role],
        startDate: q.start,
        endDate: q.end,
        limit: TOP,
      })
    ).length;
  }
  async restart(): Promise<void> {
    await this.close();
    await this.open();
  }
  bytesOnDisk(): number {
    return dirBytes(this.dir);
  }
  async close(): Promise<void> {
    await this.index.close();
    await this.storage.close();
  }
  async stats(): Promise<Record<string, unknown>> {
    return { ...(await this.index.stats()) };
  }
}

// ------------------------------------------------------------------------------------------- FTS5

/** SQLite FTS5 (better-sqlite3 12.11.1), external-content table, unicode61, bm25 ranking (perf-baselines.md §4). */
export class Fts5Engine implements Engine {
  readonly name = 'SQLite FTS5';
  private db!: Database.Database;
  private insertMsg!: Database.Statement;
  private insertFts!: Database.Statement;
  private matchStmt!: Database.Statement;
  private filteredStmt!: Database.Statement;
  private tx!: (user: string, rows: readonly CorpusMessage[]) => void;
  private readonly file: string;
  constructor(
    dir: string,
    /** Several users share one table; the user is an FTS column matched with the terms. */
    private readonly multiUser: boolean,
  ) {
    this.file = join(dir, 'fts.sqlite');
  }
  open(): this {
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS messages (seq INTEGER PRIMARY KEY, usr TEXT, role TEXT, ts TEXT, content TEXT);
      CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5(content, usr, content='messages', content_rowid='seq');`);
    this.insertMsg = this.db.prepare('INSERT INTO messages (usr, role, ts, content) VALUES (?, ?, ?, ?)');
    this.insertFts = this.db.prepare('INSERT INTO fts (rowid, content, usr) VALUES (?, ?, ?)');
    this.matchStmt = this.db.prepare('SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY rank LIMIT 10');
    this.filteredStmt = this.db.prepare(
      'SELECT m.seq FROM fts JOIN messages m ON m.seq = fts.rowid WHERE fts MATCH ? AND m.role = ? AND m.ts BETWEEN ? AND ? ORDER BY rank LIMIT 10',
    );
    this.tx = this.db.transaction((user: string, rows: readonly CorpusMessage[]) => {
      for (const m of rows) {
        const r = this.insertMsg.run(user, m.role, m.timestamp, m.content);
        this.insertFts.run(r.lastInsertRowid, m.content, user);
      }
    });
    return this;
  }
  private q(user: string, expr: string): string {
    return this.multiUser ? `content: (${expr}) AND usr: "${user}"` : `content: (${expr})`;
  }
  async ingest(user: string, batch: readonly CorpusMessage[]): Promise<void> {
    this.tx(user, batch);
  }
  async settle(): Promise<void> {}
  async one(user: string, term: string): Promise<number> {
    return this.matchStmt.all(this.q(user, `"${term}"`)).length;
  }
  async three(user: string, terms: readonly string[]): Promise<number> {
    return this.matchStmt.all(this.q(user, terms.map((t) => `"${t}"`).join(' '))).length;
  }
  async prefix(user: string, p: string): Promise<number> {
    return this.matchStmt.all(this.q(user, `"${p}"*`)).length;
  }
  async filtered(
    user: string,
    q: { term: string; role: string; start: string; end: string },
  ): Promise<number> {
    return this.filteredStmt.all(this.q(user, `"${q.term}"`), q.role, q.start, q.end).length;
  }
  async restart(): Promise<void> {
    this.db.close();
    this.open();
  }
  bytesOnDisk(): number {
    let b = 0;
    for (const f of [this.file, `${this.file}-wal`]) {
      try {
        b += statSync(f).size;
      } catch {}
    }
    return b;
  }
  async close(): Promise<void> {
    this.db.close();
  }
}

// ------------------------------------------------------------------------------------------- MiniSearch

interface MiniDoc {
  id: string;
  content: string;
  role: string;
  ts: string;
}

/** MiniSearch 7.2.0, one index per user, BM25+, all terms required; persisted with JSON.stringify. */
export class MiniSearchEngine implements Engine {
  readonly name = 'MiniSearch';
  private readonly indexes = new Map<string, MiniSearch<MiniDoc>>();
  private readonly options = { fields: ['content'], storeFields: ['role', 'ts'] };
  constructor(private readonly dir: string) {}
  private of(user: string): MiniSearch<MiniDoc> {
    let ms = this.indexes.get(user);
    if (!ms) {
      ms = new MiniSearch<MiniDoc>(this.options);
      this.indexes.set(user, ms);
    }
    return ms;
  }
  async ingest(user: string, batch: readonly CorpusMessage[]): Promise<void> {
    this.of(user).addAll(batch.map((m) => ({ id: m.id, content: m.content, role: m.role, ts: m.timestamp })));
  }
  async settle(): Promise<void> {}
  async one(user: string, term: string): Promise<number> {
    return this.of(user).search(term, { combineWith: 'AND' }).slice(0, TOP).length;
  }
  async three(user: string, terms: readonly string[]): Promise<number> {
    return this.of(user).search(terms.join(' '), { combineWith: 'AND' }).slice(0, TOP).length;
  }
  async prefix(user: string, p: string): Promise<number> {
    return this.of(user).search(p, { combineWith: 'AND', prefix: true }).slice(0, TOP).length;
  }
  async filtered(
    user: string,
    q: { term: string; role: string; start: string; end: string },
  ): Promise<number> {
    return this.of(user)
      .search(q.term, {
        combineWith: 'AND',
        filter: (r) => r.role === q.role && (r.ts as string) >= q.start && (r.ts as string) <= q.end,
      })
      .slice(0, TOP).length;
  }
  /** Persists every index as JSON (what a restart has to load). */
  persist(): void {
    for (const [user, ms] of this.indexes) writeFileSync(join(this.dir, `${user}.json`), JSON.stringify(ms));
  }
  async restart(): Promise<void> {
    this.persist();
    const users = [...this.indexes.keys()];
    this.indexes.clear();
    for (const user of users) {
      this.indexes.set(
        user,
        MiniSearch.loadJSON<MiniDoc>(readFileSync(join(this.dir, `${user}.json`), 'utf8'), this.options),
      );
    }
  }
  bytesOnDisk(): number {
    let b = 0;
    for (const ms of this.indexes.values()) b += Buffer.byteLength(JSON.stringify(ms));
    return b;
  }
  async close(): Promise<void> {
    this.indexes.clear();
  }
}
