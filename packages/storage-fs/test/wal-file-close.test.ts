import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WalFile } from '../src/wal-file.js';
import { tempDir } from './helpers/temp-store.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

it('closing a WAL file twice never closes a descriptor someone opened in between', () => {
  const t = tempDir();
  cleanups.push(t.cleanup);
  const wal = WalFile.create(t.dir, 1, 4096);
  const number = wal.fd;
  wal.close();
  // The kernel hands the lowest free number to the next open: usually the one just closed.
  const other = fs.openSync(path.join(t.dir, 'other'), 'w');
  try {
    wal.close();
    expect(fs.fstatSync(other).isFile()).toBe(true);
    if (other === number) expect(fs.fstatSync(other).size).toBe(0); // the number was reused: still ours
  } finally {
    fs.closeSync(other);
  }
});
