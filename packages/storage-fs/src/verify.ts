import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { VerifyIssue, VerifyReport } from '@ffdb/core-types';
import { scanFile } from './active-segment.js';
import type { FsStorageBackend } from './backend.js';
import { osCode } from './io-errors.js';
import { INTERNAL_DIR, LOG_SUFFIX, TMP_PREFIX, parseSegmentName } from './layout.js';
import { readBlock, readFooter } from './sealed-segment.js';
import { wallClockMs } from './real-time.js';
import { listWalGens, WalFile } from './wal-file.js';

const TEMP_GRACE_MS = 60_000;

/**
 * Checks every log (segment continuity, line and block checksums, footers, counts) and looks for
 * orphans (temp files, superseded segments, unknown files, trash). With `repair`, removes orphans
 * and cuts torn tails; damaged records are reported, never silently dropped.
 */
export async function verifyStore(store: FsStorageBackend, repair: boolean): Promise<VerifyReport> {
  const issues: VerifyIssue[] = [];
  let logs = 0;
  let records = 0;
  let blobs = 0;
  const add = (code: string, key: string | undefined, message: string, fix?: () => void) => {
    const issue: VerifyIssue = { code, message };
    if (key !== undefined) issue.key = key;
    if (repair && fix) {
      try {
        fix();
        issue.repaired = true;
      } catch (err) {
        issue.message += ` (repair failed: ${(err as { code?: string }).code ?? 'error'})`;
      }
    } else if (repair) {
      // Say so rather than return the same report: the caller asked for a repair.
      issue.message += code.startsWith('corrupt_')
        ? ' (not repaired: damaged data is never dropped; restore it from a bundle or backup)'
        : ' (not repaired: reported only)';
    }
    issues.push(issue);
  };

  const checkLog = (key: string, dir: string) => {
    logs++;
    const view = store.logView(key);
    for (const name of view.leftovers) {
      add('orphan_segment', key, `superseded segment file ${name}`, () =>
        fs.unlinkSync(path.join(dir, name)),
      );
    }
    for (const name of fs.readdirSync(dir)) {
      if (!parseSegmentName(name)) {
        add('orphan_file', key, `unexpected file ${name} in log directory`, () =>
          fs.rmSync(path.join(dir, name), { recursive: true, force: true }),
        );
      }
    }
    let expected = view.segments[0]?.first ?? 0;
    if (expected !== 0) add('seq_gap', key, `log starts at seq ${expected}, not 0`);
    for (const seg of view.segments) {
      const file = path.join(dir, seg.name);
      if (seg.first !== expected)
        add('seq_gap', key, `segment ${seg.name} starts at ${seg.first}, expected ${expected}`);
      if (seg.kind === 'sealed') {
        const fd = fs.openSync(file, 'r');
        try {
          const footer = readFooter(fd);
          const codecs = store.segments.decoders(footer);
          let n = 0;
          for (const [i, block] of footer.blocks.entries()) {
            if (block.first !== footer.first + n)
              add('corrupt_segment', key, `${seg.name}: block ${i} out of sequence`);
            try {
              readBlock(fd, block, codecs.codec, codecs.compressor);
            } catch (err) {
              add(
                'corrupt_block',
                key,
                `${seg.name}: block ${i} (seq ${block.first}..${block.first + block.count - 1}): ${(err as Error).message}`,
              );
            }
            n += block.count;
          }
          if (
            n !== footer.count ||
            footer.last - footer.first + 1 !== n ||
            footer.first !== seg.first ||
            footer.last !== seg.last
          ) {
            add('corrupt_segment', key, `${seg.name}: footer counts do not match`);
          }
          records += n;
        } catch (err) {
          add('corrupt_segment', key, `${seg.name}: ${(err as Error).message}`);
        } finally {
          fs.closeSync(fd);
        }
      } else {
        const fd = fs.openSync(file, 'r');
        try {
          const scan = scanFile(fd);
          for (const c of scan.corrupt)
            add('corrupt_record', key, `${seg.name}: damaged record at byte ${c.offset}`);
          let s = seg.first;
          for (const l of scan.lines) {
            // A gap right where damaged lines sit is the same damage, already reported.
            if (l.seq !== s && scan.corrupt.length === 0) {
              add('seq_gap', key, `${seg.name}: seq ${l.seq} where ${s} was expected`);
            }
            s = l.seq + 1;
          }
          records += scan.lines.length;
          if (scan.completeEnd < scan.size) {
            add(
              'torn_tail',
              key,
              `${seg.name}: ${scan.size - scan.completeEnd} bytes of a torn record at the end`,
              () => fs.truncateSync(file, scan.completeEnd),
            );
          }
        } finally {
          fs.closeSync(fd);
        }
      }
      expected = seg.last + 1;
    }
  };

  const walk = async (abs: string, rel: string): Promise<void> => {
    let entries: fs.Dirent[];
    try {
      entries = await fsp.readdir(abs, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (rel === '' && e.name === INTERNAL_DIR) continue;
      const full = path.join(abs, e.name);
      const key = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.name.startsWith(TMP_PREFIX)) {
        // A young temp file may belong to a write in progress in another process: leave it alone.
        // (Gone between the listing and this stat: its write finished, renaming it.)
        const st = fs.statSync(full, { throwIfNoEntry: false });
        if (!st || wallClockMs() - st.mtimeMs < TEMP_GRACE_MS) continue;
        add('orphan_temp', key, 'temporary file left by an interrupted write', () =>
          fs.rmSync(full, { force: true, recursive: true }),
        );
      } else if (e.isDirectory() && e.name.endsWith(LOG_SUFFIX)) {
        try {
          checkLog(key.slice(0, -LOG_SUFFIX.length), full);
        } catch (err) {
          // Deleted since the listing (a plain blob delete of a parent does not take the
          // checkpoint lock verify holds): nothing left to check.
          if (osCode(err) !== 'ENOENT') throw err;
        }
      } else if (e.isDirectory()) await walk(full, key);
      else if (e.isFile() && !(rel === '' && e.name === 'ffdb.json')) blobs++;
    }
  };
  await walk(store.layout.root, '');

  // Deleted trees waiting in the trash are not damage: finish removing them.
  for (const n of await fsp.readdir(store.layout.trashDir).catch(() => [] as string[])) {
    await fsp
      .rm(path.join(store.layout.trashDir, n), { recursive: true, force: true })
      .catch(() => undefined);
  }
  // Several generations are normal while another process appends: a rotated one waits for its
  // background checkpoint. Only an ended one (END written: its records are in segments) should be
  // gone; it is left behind when removing it failed.
  for (const gen of endedWalGens(store.layout.walDir)) {
    add('orphan_wal', undefined, `WAL generation ${gen} was checkpointed but not removed`, () =>
      fs.rmSync(path.join(store.layout.walDir, `${String(gen).padStart(16, '0')}.wal`), { force: true }),
    );
  }

  return { ok: issues.every((i) => i.repaired), issues, checked: { logs, records, blobs } };
}

/** Generations that end with END (after ROTATE, or on their own) and are not the newest file. */
function endedWalGens(dir: string): number[] {
  let gens: number[];
  try {
    gens = listWalGens(dir);
  } catch {
    return [];
  }
  const ended: number[] = [];
  for (const gen of gens.slice(0, -1)) {
    let wal: WalFile | undefined;
    try {
      wal = WalFile.open(dir, gen);
      const res = wal.scan(() => undefined);
      if (res.stop === 'end' || (res.stop === 'rotate' && wal.frameAt(wal.offset)?.type === 'end'))
        ended.push(gen);
    } catch {
      // removed meanwhile by the checkpoint that ended it
    } finally {
      wal?.close();
    }
  }
  return ended;
}
