/** Pure pieces: progress bar, tables, highlights, corpus reader, sample, naive-time conversion, responders. */
import { describe, expect, it } from 'vitest';
import { naiveToUtcIso } from '../../manager/src/import-python/naive-time.js';
import { ProgressBar } from '../src/cli/progress.js';
import { highlight, makeStyle } from '../src/cli/style.js';
import { renderPairs, renderTable } from '../src/cli/table.js';
import { LocalResponder, keywords, llmFromEnv } from '../src/chat/responders.js';
import { readSentences } from '../src/demo/corpus.js';
import { MESSAGES_PER_SESSION, buildSample } from '../src/demo/sample.js';

const fakeStream = (tty: boolean) => {
  const chunks: string[] = [];
  return {
    chunks,
    stream: {
      isTTY: tty,
      columns: 120,
      write: (s: string) => chunks.push(s),
    } as unknown as NodeJS.WriteStream,
  };
};

describe('ProgressBar', () => {
  it('shows count, percentage, rate and ETA on a TTY', async () => {
    const { chunks, stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'Seeding', total: 200, unit: 'msgs', enabled: true, stream });
    await new Promise((r) => setTimeout(r, 50));
    bar.update(50);
    const line = bar.line();
    expect(line).toMatch(/^Seeding \[#{5}\.{15}\] 50\/200 {2}25% [\d.]+ msgs\/s ETA \d\d:\d\d$/);
    expect(chunks.join('')).toContain('50/200');
    bar.finish();
    expect(chunks.at(-1)).toBe('\r\u001b[2K');
  });

  it('draws nothing when not a TTY or disabled (--json)', () => {
    for (const [tty, enabled] of [
      [false, true],
      [true, false],
    ] as const) {
      const { chunks, stream } = fakeStream(tty);
      const bar = new ProgressBar({ label: 'x', total: 2, enabled, stream });
      bar.start();
      bar.update(1);
      bar.update(2);
      bar.finish();
      expect(chunks).toEqual([]);
    }
  });

  it('cuts long lines to the terminal width, and treats an unknown width (0) as 80', () => {
    const { stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'Importing', total: 10, enabled: true, stream });
    expect(bar.line('x'.repeat(200), 60)).toHaveLength(59);
    (stream as { columns: number }).columns = 0;
    expect(bar.line('x'.repeat(200))).toHaveLength(79);
    expect(bar.line()).toMatch(/ETA/);
  });

  it('shows elapsed time without a total', () => {
    const { stream } = fakeStream(true);
    const bar = new ProgressBar({ label: 'Compacting', enabled: true, stream });
    expect(bar.line()).toMatch(/^Compacting 0 items 0\.0 items\/s 00:00$/);
  });
});

describe('tables and highlights', () => {
  it('aligns columns, right-aligns numbers, cuts long cells', () => {
    const t = renderTable(
      [
        { a: 'x', n: 5, t: 'short' },
        { a: 'longer', n: 12345, t: 'a very long title indeed' },
      ],
      [
        { header: 'NAME', value: (r) => r.a },
        { header: 'N', value: (r) => r.n, align: 'right' },
        { header: 'TITLE', value: (r) => r.t, max: 10 },
      ],
    );
    expect(t.split('\n')).toEqual([
      'NAME        N  TITLE',
      '------  -----  ----------',
      'x           5  short',
      'longer  12345  a very lo…',
    ]);
    expect(
      renderPairs([
        ['a', 1],
        ['long key', 'v'],
      ]),
    ).toBe('a         1\nlong key  v');
  });

  it('marks highlight ranges, with or without colour', () => {
    expect(
      highlight(
        'the moon and the sun',
        [
          [4, 8],
          [17, 20],
        ],
        makeStyle(false).mark,
      ),
    ).toBe('the **moon** and the **sun**');
    expect(highlight('moon', [[0, 4]], makeStyle(true).mark)).toBe('\u001b[1;30;43mmoon\u001b[0m');
  });
});

describe('demo sample', () => {
  it('reads real sentences from the Brown corpus', () => {
    const s = readSentences('ca01');
    expect(s[0]).toBe(
      `The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced "no evidence" that any irregularities took place.`,
    );
    expect(() => readSentences('../etc/passwd')).toThrow();
  });

  it('is deterministic: 3 users x 3 sessions x 40 messages, 2 documents, 2 personas', () => {
    const a = buildSample();
    expect(JSON.stringify(buildSample())).toBe(JSON.stringify(a));
    expect(a.users.map((u) => u.userId)).toEqual(['ada', 'grace', 'alan']);
    for (const u of a.users)
      for (const s of u.sessions) expect(s.messages).toHaveLength(MESSAGES_PER_SESSION);
    expect(a.documents.map((d) => d.filename)).toEqual(['election-report.txt', 'moon-notes.md']);
    expect(a.personas).toHaveLength(2);
  });
});

describe('naive timestamps of the original', () => {
  it('converts wall-clock time in a zone to UTC (DST aware)', () => {
    expect(naiveToUtcIso('2025-08-01T09:12:43.704373', 'Europe/Berlin')).toBe('2025-08-01T07:12:43.704Z');
    expect(naiveToUtcIso('2025-01-15T09:00:00', 'Europe/Berlin')).toBe('2025-01-15T08:00:00.000Z');
    expect(naiveToUtcIso('2025-07-22T17:54:02', 'America/New_York')).toBe('2025-07-22T21:54:02.000Z');
    expect(naiveToUtcIso('2025-03-30T03:30:00', 'Europe/Berlin')).toBe('2025-03-30T01:30:00.000Z');
    expect(naiveToUtcIso('2025-08-01T09:00:00', 'UTC')).toBe('2025-08-01T09:00:00.000Z');
  });

  it('uses the local zone without one, keeps explicit offsets, rejects garbage', () => {
    expect(naiveToUtcIso('2025-08-01T09:12:43.5')).toBe(new Date(2025, 7, 1, 9, 12, 43, 500).toISOString());
    expect(naiveToUtcIso('2025-08-01T09:12:43+02:00', 'America/New_York')).toBe('2025-08-01T07:12:43.000Z');
    expect(naiveToUtcIso('2025-08-01T09:12:43Z')).toBe('2025-08-01T09:12:43.000Z');
    expect(naiveToUtcIso('yesterday')).toBeNull();
    expect(naiveToUtcIso('2025-13-01T00:00:00')).toBeNull();
    expect(naiveToUtcIso(42)).toBeNull();
  });
});

describe('responders', () => {
  it('local responder answers with the best earlier hit, never the message itself', async () => {
    const hit = (id: string, content: string) => ({
      id,
      type: 'message' as const,
      content,
      sessionId: 's1',
      userId: 'u',
      timestamp: '',
      relevanceScore: 1,
      highlights: [],
      snippet: content,
      metadata: {},
    });
    const r = new LocalResponder(async () => [
      hit('m2', 'what about jupiter'),
      hit('m1', 'Jupiter is large'),
    ]);
    let text = '';
    for await (const p of r.reply({
      userId: 'u',
      sessionId: 's1',
      userText: 'what about jupiter',
      userMessageId: 'm2',
      history: [],
      signal: new AbortController().signal,
    })) {
      text += p;
    }
    expect(text).toBe('From your session s1: "Jupiter is large"');
    expect(keywords('What is the Moon made of?')).toEqual(['moon', 'made']);
  });

  it('reads the endpoint from flags or CHATDB_LLM_* only', () => {
    expect(llmFromEnv({})).toBeNull();
    expect(llmFromEnv({ CHATDB_LLM_BASE_URL: 'http://x/v1', CHATDB_LLM_MODEL: 'm' })).toEqual({
      baseUrl: 'http://x/v1',
      model: 'm',
    });
    expect(llmFromEnv({}, { llmUrl: 'http://y', model: 'z' })).toEqual({ baseUrl: 'http://y', model: 'z' });
  });
});
