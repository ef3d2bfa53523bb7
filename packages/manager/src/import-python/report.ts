/** What an import did: counts per kind, and what it skipped with the reason (never file contents). */

export interface SkippedItem {
  /** Path relative to the imported directory, with `:<line>` for a JSONL line. */
  path: string;
  reason: string;
}

export interface PythonImportCounts {
  users: number;
  sessions: number;
  messages: number;
  documents: number;
  contexts: number;
  contextSnapshots: number;
  personas: number;
  panels: number;
  panelMessages: number;
  panelInsights: number;
}

export interface PythonImportReport {
  source: string;
  timeZone: string;
  /** Every user the import wrote to or found (for rebuilding derived data). */
  userIds: string[];
  imported: PythonImportCounts;
  /** Items that already existed in the store and were left as they were. */
  existing: PythonImportCounts;
  skippedCount: number;
  /** The first skipped items (at most `maxReportedSkips`), each with its reason. */
  skipped: SkippedItem[];
  searchIndexRebuilt: boolean;
  durationMs: number;
  /** Set when the signal aborted the import (it stopped between items; what was imported is complete). */
  aborted?: boolean;
}

export const MAX_REPORTED_SKIPS = 50;

export function emptyCounts(): PythonImportCounts {
  return {
    users: 0,
    sessions: 0,
    messages: 0,
    documents: 0,
    contexts: 0,
    contextSnapshots: 0,
    personas: 0,
    panels: 0,
    panelMessages: 0,
    panelInsights: 0,
  };
}

export class ReportBuilder {
  readonly imported = emptyCounts();
  readonly existing = emptyCounts();
  readonly skipped: SkippedItem[] = [];
  skippedCount = 0;

  skip(path: string, reason: string): void {
    this.skippedCount++;
    if (this.skipped.length < MAX_REPORTED_SKIPS) this.skipped.push({ path, reason });
  }
}
