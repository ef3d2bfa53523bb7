#!/usr/bin/env node
import { run } from './cli/run.js';

// exitCode instead of exit(): pending output is flushed first.
run(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`ffdb: error: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
