import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../src/random.js';
import { fmt, median, percentile, ratio, summarize } from '../src/stats.js';
import { renderTable } from '../src/table.js';

describe('stats helpers', () => {
  it('percentiles by nearest rank', () => {
    const v = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(v, 50)).toBe(50);
    expect(percentile(v, 99)).toBe(99);
    expect(percentile(v, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
    expect(summarize(v)).toMatchObject({ count: 100, p50: 50, p95: 95, p99: 99, max: 100 });
  });

  it('median of odd and even lists', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });

  it('formats ratios and numbers', () => {
    expect(ratio(3, 2)).toBe('1.50x');
    expect(ratio(1, 0)).toBe('n/a');
    expect(fmt(12345.6)).toBe('12,346');
    expect(fmt(0.12345)).toBe('0.123');
  });

  it('mulberry32 is deterministic in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it('renders markdown tables', () => {
    const t = renderTable({ title: 'T', columns: ['a', 'bb'], rows: [[1, 'x']], notes: ['n'] });
    expect(t).toBe('### T\n\n| a   | bb  |\n|-----|-----|\n| 1   | x   |\n\n- n');
  });
});
