import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { CHILD_SCRIPT } from './helpers/child.js';
import { openStore, tempDir, trackedStores } from './helpers/temp-store.js';

// kill -9 while 64 writers keep the group commit pipelined (>= 32 queued appends: two fdatasyncs in
// flight): every acknowledged record survives at its acknowledged seq, seqs stay contiguous, and each
// writer's records are 0..k with no gap (a writer has one append in flight, so only its last may be lost).

const { defer } = trackedStores();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LANES = 64;
const LOGS = 8;

interface Rec {
  w: string;
  n: number;
}

function crashRound(
  dir: string,
  tag: string,
  options: object,
  acked: Map<string, Rec>,
  killAfterAcks: number,
) {
  return new Promise<void>((resolve, reject) => {
    const child: ChildProcess = spawn(
      process.execPath,
      [CHILD_SCRIPT, 'append-concurrent-forever', dir, 'p', String(LANES), String(LOGS)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, FFDB_CHILD_OPTIONS: JSON.stringify(options), FFDB_CHILD_TAG: tag },
      },
    );
    let buf = '';
    let acks = 0;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const [word, log, seq, lane, n] = buf.slice(0, nl).split(' ');
        buf = buf.slice(nl + 1);
        nl = buf.indexOf('\n');
        if (word !== 'ack') continue;
        acked.set(`${log}#${seq}`, { w: `${tag}-${lane}`, n: Number(n) });
        if (++acks === killAfterAcks) child.kill('SIGKILL');
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited ${code}: ${stderr}`));
    });
  });
}

describe('kill -9 during pipelined group commits', () => {
  it('keeps every acknowledged record of 64 concurrent writers over 25 crash rounds', async () => {
    const t = tempDir();
    defer(t.cleanup);
    // A small WAL so crashes also land in rotations and checkpoints.
    const options = { walCheckpointBytes: 256 << 10, segmentMaxBytes: 32 << 10, blockBytes: 4096 };
    const acked = new Map<string, Rec>();
    let seed = 777;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let round = 0; round < 25; round++) {
      await crashRound(t.dir, `r${round}`, options, acked, 64 + Math.floor(rand() * 1500));
      await sleep(5);
    }
    expect(acked.size).toBeGreaterThan(25 * 64);

    const store = await openStore(t.dir, options);
    defer(() => store.close());
    const perWriter = new Map<string, number[]>();
    for (let i = 0; i < LOGS; i++) {
      const log = `p/log${i}`;
      const all = await store.readLog<Rec>(log);
      expect(
        all.map((e) => e.seq),
        `${log} seqs`,
      ).toEqual(all.map((_, j) => j));
      for (const e of all) {
        const want = acked.get(`${log}#${e.seq}`);
        if (want) expect(e.data, `${log}#${e.seq}`).toMatchObject(want);
        const ns = perWriter.get(e.data.w) ?? [];
        ns.push(e.data.n);
        perWriter.set(e.data.w, ns);
      }
      for (const [key, want] of acked) {
        if (!key.startsWith(`${log}#`)) continue;
        const seq = Number(key.slice(log.length + 1));
        expect(all[seq]?.data, key).toMatchObject(want);
      }
    }
    for (const [w, ns] of perWriter) {
      ns.sort((a, b) => a - b);
      expect(ns, `${w} has no gap and no duplicate`).toEqual(ns.map((_, i) => i));
    }
    expect((await store.verify()).issues).toEqual([]);
  }, 180_000);
});
