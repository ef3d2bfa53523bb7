/** Aligned plain-text tables for human output. */
import { visibleLength } from './style.js';

export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
  align?: 'left' | 'right';
  /** Longer cells are cut with an ellipsis. */
  max?: number;
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v.replace(/\s+/g, ' ');
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(3);
  return JSON.stringify(v);
}

function cut(s: string, max: number | undefined): string {
  if (max === undefined || s.length <= max) return s;
  return `${s.slice(0, Math.max(0, max - 1))}…`;
}

export function renderTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => cut(cell(c.value(r)), c.max)));
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...cells.map((row) => visibleLength(row[i] ?? ''))),
  );
  const pad = (s: string, i: number) => {
    const w = widths[i] ?? 0;
    const fill = ' '.repeat(Math.max(0, w - visibleLength(s)));
    return columns[i]?.align === 'right' ? fill + s : s + fill;
  };
  const lines = [
    columns
      .map((c, i) => pad(c.header, i))
      .join('  ')
      .trimEnd(),
  ];
  lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells)
    lines.push(
      row
        .map((s, i) => pad(s, i))
        .join('  ')
        .trimEnd(),
    );
  return lines.join('\n');
}

/** Key/value pairs, keys aligned. */
export function renderPairs(pairs: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}
