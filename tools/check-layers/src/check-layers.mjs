#!/usr/bin/env node
// Fails when a package's source imports across the allowed layer edges (DESIGN.md section 1):
// adapters depend on core-types only; personas on core-types; manager wires adapters; cli and apps use manager.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** package -> the @ffdb packages its src/ may import. */
export const ALLOWED = {
  'core-types': [],
  conformance: ['core-types'],
  compression: ['core-types'],
  'storage-fs': ['core-types'],
  'search-fts': ['core-types'],
  'vector-faiss': ['core-types'],
  personas: ['core-types'],
  manager: ['core-types', 'storage-fs', 'compression', 'search-fts', 'vector-faiss', 'personas'],
  cli: ['core-types', 'manager', 'search-fts', 'vector-faiss', 'personas'],
  'reference-chat': ['core-types', 'manager'],
  bench: ['core-types', 'manager', 'storage-fs', 'compression', 'search-fts', 'vector-faiss', 'personas'],
};

/** Third-party imports that only the composition root may use. */
const ONLY_IN = { tsyringe: ['manager'], 'reflect-metadata': ['manager', 'cli', 'reference-chat'] };

const IMPORT_RE = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function* sourceFiles(dir) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(full);
    else if (/\.(m|c)?[jt]sx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) yield full;
  }
}

export function checkLayers(repoRoot) {
  const violations = [];
  for (const group of ['packages', 'apps', 'tools']) {
    const groupDir = path.join(repoRoot, group);
    if (!fs.existsSync(groupDir)) continue;
    for (const pkg of fs.readdirSync(groupDir)) {
      const allowed = ALLOWED[pkg];
      if (!allowed) continue;
      for (const file of sourceFiles(path.join(groupDir, pkg, 'src'))) {
        const text = fs.readFileSync(file, 'utf8');
        for (const m of text.matchAll(IMPORT_RE)) {
          const spec = m[1] ?? m[2] ?? m[3];
          const rel = path.relative(repoRoot, file);
          if (spec.startsWith('@ffdb/')) {
            const target = spec.slice('@ffdb/'.length).split('/')[0];
            if (target !== pkg && !allowed.includes(target)) violations.push(`${rel}: ${pkg} may not import @ffdb/${target}`);
          } else if (spec.startsWith('.')) {
            const resolved = path.resolve(path.dirname(file), spec);
            const pkgRoot = path.join(groupDir, pkg);
            if (!resolved.startsWith(pkgRoot + path.sep)) violations.push(`${rel}: relative import ${spec} leaves the package`);
          } else {
            const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
            const only = ONLY_IN[name];
            if (only && !only.includes(pkg)) violations.push(`${rel}: ${name} may only be used in ${only.join(', ')}`);
          }
        }
      }
    }
  }
  return violations;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
  const violations = checkLayers(root);
  if (violations.length) {
    console.error(`Layer violations (${violations.length}):\n  ${violations.join('\n  ')}`);
    process.exit(1);
  }
  console.log('check-layers: ok');
}
