#!/usr/bin/env node
import { run } from './cli/run.js';

// A reader that stops early (`ffdb --help | head -1`) closes the pipe; like other Unix tools we then stop
// quietly instead of dying on an unhandled EPIPE. Anything already acknowledged is durable by then.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
}

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
