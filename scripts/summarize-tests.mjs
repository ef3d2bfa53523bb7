// Sums the vitest JSON reports of every package and prints one plain line: `N passed, N failed`.
import fs from 'node:fs';
import path from 'node:path';

const roots = ['packages', 'apps', 'tools'];
let passed = 0;
let failed = 0;
let skipped = 0;
for (const root of roots) {
  if (!fs.existsSync(root)) continue;
  for (const dir of fs.readdirSync(root)) {
    const file = path.join(root, dir, 'test-results.json');
    if (!fs.existsSync(file)) continue;
    const report = JSON.parse(fs.readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numRuntimeErrorTests ?? 0);
    skipped += (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
    if (report.success === false && (report.numFailedTests ?? 0) === 0 && (report.numFailedTestSuites ?? 0) > 0) {
      failed += report.numFailedTestSuites;
    }
  }
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
