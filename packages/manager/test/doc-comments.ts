/**
 * The `// value` comments on console.log lines of the docs' ts blocks, checked against what those lines
 * print (as packages/core-types/test/doc-samples.test.ts does for its docs): `…` and `<…>` are wildcards.
 *
 * A comment states values when it starts with one: a quoted string, a number, `true`/`false`/`null`/
 * `undefined`, an array or object literal, or a bare word holding `…` (`chat_session_2030…`). Several
 * values separated by `, ` are the call's arguments in order (`// 'streaming', the text so far` checks the
 * first argument only). After the values comes prose, after `;`, `:` or `,`. A comment that does not start
 * with a value (`// oldest first`) is prose and is not checked.
 */
import { inspect } from 'node:util';

const KEYWORD = /^(?:true|false|null|undefined)(?![\w$])/;
const NUMBER = /^-?\d[\d_]*(?:\.\d+)?(?![\w$])/;
const BARE_WITH_ELLIPSIS = /^[\w$./-]*…[\w$./…-]*/;

/** Length of the value literal at the start of `text`, or 0 when `text` does not start with one. */
function valueLength(text: string): number {
  const first = text[0];
  if (first === "'" || first === '"') {
    for (let i = 1; i < text.length; i++) {
      if (text[i] === '\\') i++;
      else if (text[i] === first) return i + 1;
    }
    return 0;
  }
  if (first === '[' || first === '{') {
    let depth = 0;
    let quote: string | undefined;
    for (let i = 0; i < text.length; i++) {
      const c = text[i] as string;
      if (quote) {
        if (c === '\\') i++;
        else if (c === quote) quote = undefined;
      } else if (c === "'" || c === '"') quote = c;
      else if (c === '[' || c === '{') depth++;
      else if (c === ']' || c === '}') {
        depth--;
        if (depth === 0) return i + 1;
      }
    }
    return 0;
  }
  const m = KEYWORD.exec(text) ?? NUMBER.exec(text) ?? BARE_WITH_ELLIPSIS.exec(text);
  return m ? m[0].length : 0;
}

/**
 * The values a console.log comment states (an empty list for prose). A value must be followed by the end
 * of the comment or by `;`, `:` or `,`: `// 4 messages` is prose, not the value 4.
 */
export function statedValues(comment: string): string[] {
  const values: string[] = [];
  let rest = comment.trim();
  for (;;) {
    const n = valueLength(rest);
    if (n === 0) break;
    const after = rest.slice(n);
    if (after !== '' && !/^[;:,]/.test(after)) break;
    values.push(rest.slice(0, n));
    if (!after.startsWith(', ')) break;
    rest = after.slice(2);
  }
  return values;
}

/** The comment of a code line (`// …` outside string literals), or undefined. */
export function lineComment(line: string): string | undefined {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"' || c === '`') quote = c;
    else if (c === '/' && line[i + 1] === '/') return line.slice(i + 2).trim();
  }
  return undefined;
}

const normalise = (s: string) =>
  s
    .replace(/\s+/g, ' ')
    .replace(/([[{]) /g, '$1')
    .replace(/ ([\]}])/g, '$1')
    .trim();

/** A stated value as a pattern: `…` and `<…>` match anything, whitespace inside brackets is ignored. */
function pattern(value: string): RegExp {
  const parts = normalise(value)
    .split(/<[^>]*>|…/)
    .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.*')}$`, 's');
}

/** How an argument may be written in a comment: as a JS literal (`'a'`, `[2, 3]`) or, for a string, bare. */
function renderings(arg: unknown): string[] {
  const literal = normalise(
    inspect(arg, { depth: Number.POSITIVE_INFINITY, breakLength: Number.POSITIVE_INFINITY }),
  );
  return typeof arg === 'string' ? [literal, arg] : [literal];
}

/** Null when the printed arguments match the stated values, else what differs. */
export function mismatch(values: readonly string[], args: readonly unknown[]): string | null {
  if (values.length > args.length)
    return `the comment states ${values.length} values, the call printed ${args.length}`;
  for (const [i, value] of values.entries()) {
    const re = pattern(value);
    const printed = renderings(args[i]);
    if (!printed.some((p) => re.test(p)))
      return `argument ${i + 1} printed ${printed[0]}, the comment says ${value}`;
  }
  return null;
}

export interface CheckedLine {
  /** 0-based line of the block. */
  line: number;
  text: string;
  values: string[];
}

/** The console.log lines of a block whose comment states values. */
export function checkedLines(code: string): CheckedLine[] {
  const out: CheckedLine[] = [];
  for (const [line, text] of code.split('\n').entries()) {
    if (!text.includes('console.log(')) continue;
    const comment = lineComment(text);
    const values = comment === undefined ? [] : statedValues(comment);
    if (values.length) out.push({ line, text, values });
  }
  return out;
}

/**
 * The block with each checked line's `console.log(` calling `recorder(line, …args)` instead (which
 * records the arguments and logs them as before). Lines keep their numbers.
 */
export function instrument(code: string, checked: readonly CheckedLine[], recorder: string): string {
  const lines = code.split('\n');
  for (const { line } of checked)
    lines[line] = (lines[line] as string).replace('console.log(', `${recorder}(${line}, `);
  return lines.join('\n');
}
