// Module hooks of ts-source-loader.mjs: `.js` specifiers of TypeScript sources resolve to their `.ts`
// twin; `.ts` files are transpiled (typescript.transpileModule, no type check). Output is cached on disk by
// content hash, and typescript is loaded only on a cache miss: a worker thread started from sources
// (tests open many managers, each with its search worker) then starts in milliseconds, not seconds.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CACHE = path.join(os.tmpdir(), 'ffdb-ts-source-cache-v1');
let ts = null;

export async function resolve(specifier, context, next) {
  if (
    specifier.endsWith('.js') &&
    context.parentURL?.endsWith('.ts') &&
    (specifier.startsWith('.') || specifier.startsWith('file:'))
  ) {
    const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
    if (existsSync(fileURLToPath(candidate))) return { url: candidate.href, shortCircuit: true };
  }
  return next(specifier, context);
}

async function transpile(file, source) {
  const key = createHash('sha256').update(file).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.mjs`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    // Not cached yet.
  }
  ts ??= (await import('typescript')).default;
  const out = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ESNext,
      target: ts.ScriptTarget.ES2022,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      useDefineForClassFields: false,
      sourceMap: false,
    },
  }).outputText;
  try {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${cached}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, out);
    renameSync(tmp, cached);
  } catch {
    // A read-only temp dir only costs speed.
  }
  return out;
}

export async function load(url, context, next) {
  if (url.endsWith('.ts')) {
    const file = fileURLToPath(url);
    const source = await transpile(file, readFileSync(file, 'utf8'));
    return { format: 'module', source, shortCircuit: true };
  }
  return next(url, context);
}
