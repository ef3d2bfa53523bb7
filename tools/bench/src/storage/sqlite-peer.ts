import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CorpusMessage } from '../corpus.js';

/**
 * The SQLite peer, set up exactly as in perf-baselines.md: better-sqlite3 12.11.1, WAL, schema
 * `seq INTEGER PRIMARY KEY, id TEXT UNIQUE, session_id, role, content, timestamp, metadata` plus an
 * index on `(session_id, seq)`. Prepared statements, one connection.
 */
export type Synchronous = 'FULL' | 'NORMAL' | 'OFF';

export class SqlitePeer {
  readonly file: string;
  private readonly db: Database.Database;
  private readonly insertStmt: Database.Statement;
  private readonly tailStmt: Database.Statement;
  private readonly pageStmt: Database.Statement;
  private readonly keysetStmt: Database.Statement;
  private readonly insertMany: (rows: readonly CorpusMessage[]) => void;

  constructor(dir: string, synchronous: Synchronous = 'FULL') {
    this.file = join(dir, 'chat.sqlite');
    this.db = new Database(this.file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma(`synchronous = ${synchronous}`);
    this.db.exec(`CREATE TABLE IF NOT EXISTS messages (
      seq INTEGER PRIMARY KEY, id TEXT UNIQUE, session_id TEXT NOT NULL, role TEXT, content TEXT,
      timestamp TEXT, metadata TEXT);
      CREATE INDEX IF NOT EXISTS messages_session_seq ON messages(session_id, seq);`);
    this.insertStmt = this.db.prepare(
      'INSERT INTO messages (id, session_id, role, content, timestamp, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.tailStmt = this.db.prepare('SELECT * FROM messages WHERE session_id = ? ORDER BY seq DESC LIMIT ?');
    this.pageStmt = this.db.prepare(
      'SELECT * FROM messages WHERE session_id = ? ORDER BY seq LIMIT ? OFFSET ?',
    );
    this.keysetStmt = this.db.prepare('SELECT * FROM messages WHERE seq > ? ORDER BY seq LIMIT ?');
    this.insertMany = this.db.transaction((rows: readonly CorpusMessage[]) => {
      for (const m of rows) this.insertRow(m);
    });
  }

  private insertRow(m: CorpusMessage): void {
    this.insertStmt.run(m.id, m.session_id, m.role, m.content, m.timestamp, JSON.stringify(m.metadata));
  }

  /** One message, one transaction (autocommit). */
  insertOne(m: CorpusMessage): void {
    this.insertRow(m);
  }

  /** Many messages, one transaction. */
  insertBatch(rows: readonly CorpusMessage[]): void {
    this.insertMany(rows);
  }

  /** Last `limit` messages of a session, newest first, rows parsed like an app would. */
  tail(sessionId: string, limit: number): CorpusMessage[] {
    return (this.tailStmt.all(sessionId, limit) as Record<string, unknown>[]).map(rowToMessage);
  }

  /** `limit` messages of a session starting at position `offset` (LIMIT/OFFSET on the index). */
  page(sessionId: string, offset: number, limit: number): CorpusMessage[] {
    return (this.pageStmt.all(sessionId, limit, offset) as Record<string, unknown>[]).map(rowToMessage);
  }

  /** Keyset paging by global seq (only equals the session position when the table holds one session). */
  pageAfterSeq(seq: number, limit: number): CorpusMessage[] {
    return (this.keysetStmt.all(seq, limit) as Record<string, unknown>[]).map(rowToMessage);
  }

  checkpoint(): void {
    this.db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Bytes of the database file plus its WAL and shared-memory files. */
  bytesOnDisk(): number {
    let total = 0;
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`])
      if (existsSync(f)) total += statSync(f).size;
    return total;
  }

  close(): void {
    this.db.close();
  }
}

function rowToMessage(row: Record<string, unknown>): CorpusMessage {
  return {
    id: row.id as string,
    session_id: row.session_id as string,
    role: row.role as CorpusMessage['role'],
    content: row.content as string,
    timestamp: row.timestamp as string,
    metadata: JSON.parse(row.metadata as string) as CorpusMessage['metadata'],
  };
}
