/** Terminal styling: ANSI only on a TTY, never with NO_COLOR, FORCE_COLOR=1 forces it on. */
const forced = process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0';

export function colorEnabled(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  return forced || stream.isTTY === true;
}

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  mark(s: string): string;
  red(s: string): string;
  green(s: string): string;
  cyan(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    // Without colour, highlights stay visible as **term**.
    return { bold: id, dim: id, mark: (s) => `**${s}**`, red: id, green: id, cyan: id };
  }
  return {
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    mark: (s) => `\u001b[1;30;43m${s}\u001b[0m`,
    red: wrap(31, 39),
    green: wrap(32, 39),
    cyan: wrap(36, 39),
  };
}

const ANSI = /\u001b\[[0-9;]*m/g;
export const visibleLength = (s: string) => s.replace(ANSI, '').length;

/** Applies `mark` to the [start, end) character ranges of `text`. */
export function highlight(
  text: string,
  ranges: readonly (readonly [number, number])[],
  mark: (s: string) => string,
) {
  const sorted = [...ranges].filter(([a, b]) => b > a).sort((x, y) => x[0] - y[0]);
  let out = '';
  let pos = 0;
  for (const [a, b] of sorted) {
    if (a < pos) continue;
    out += text.slice(pos, a) + mark(text.slice(a, b));
    pos = b;
  }
  return out + text.slice(pos);
}
