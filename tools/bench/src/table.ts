/** Markdown tables: readable in a terminal and pasteable into docs/performance.md as they are. */

export type Cell = string | number;

export interface Table {
  title: string;
  columns: string[];
  rows: Cell[][];
  /** Lines printed under the table (method, caveats). */
  notes?: string[];
}

function cellText(c: Cell): string {
  return typeof c === 'number' ? String(c) : c;
}

export function renderTable(table: Table): string {
  const cols = table.columns;
  const rows = table.rows.map((r) => cols.map((_, i) => cellText(r[i] ?? '')));
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] ?? '').length), 3));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 3)).join(' | ')} |`;
  const out = [`### ${table.title}`, '', line(cols), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`];
  for (const r of rows) out.push(line(r));
  if (table.notes?.length) out.push('', ...table.notes.map((n) => `- ${n}`));
  return out.join('\n');
}

export function printTable(table: Table): void {
  process.stdout.write(`\n${renderTable(table)}\n`);
}
