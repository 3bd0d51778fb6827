import { describe, expect, it } from 'vitest';
import { binCounts, distribution, peakRate, percentile } from '../../../load-tests/stats.ts';

describe('load statistics', () => {
  it('takes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted values', () => {
    const d = distribution([30, 10, 20, 40]);
    expect(d).toMatchObject({ count: 4, min: 10, p50: 20, max: 40, mean: 25 });
    expect(distribution([]).count).toBe(0);
  });

  it('counts events per second from a start time, ignoring earlier ones', () => {
    const start = 1_000_000;
    const counts = binCounts([start - 5, start, start + 999, start + 1000, start + 3500], start, 1000);
    expect(counts).toEqual([2, 1, 0, 1]);
  });

  it('finds the best sustained rate over a window', () => {
    // 10 bins of 1 s: a burst of 30/s for 3 s in the middle
    const counts = [5, 5, 30, 30, 30, 5, 5, 5, 5, 5];
    expect(peakRate(counts, 1000, 3)).toBe(30);
    expect(peakRate(counts, 1000, 5)).toBe((5 + 30 + 30 + 30 + 5) / 5);
    expect(peakRate([4], 1000, 5)).toBe(4);
    expect(peakRate([], 1000, 5)).toBe(0);
  });
});
