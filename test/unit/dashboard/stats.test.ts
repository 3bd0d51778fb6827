import { describe, expect, it } from 'vitest';
import {
  DURATION_BUCKET_BOUNDS_MS,
  percentile,
  rateSeries,
  summarizeDurations,
} from '../../../src/dashboard/stats.ts';

describe('percentile (nearest rank)', () => {
  it('picks the smallest value with at least p % of the values at or below it', () => {
    // Prepare
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    // Act / Assess
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('summarizeDurations', () => {
  it('gives p50/p95/p99/max and a histogram that counts every value once', () => {
    // Prepare: 90 fast files, 9 slower, one very slow
    const values = [...Array.from({ length: 90 }, () => 3), ...Array.from({ length: 9 }, () => 150), 40_000];
    // Act
    const summary = summarizeDurations(values);
    // Assess
    expect(summary).toMatchObject({ count: 100, p50: 3, p95: 150, p99: 150, max: 40_000 });
    expect(summary.bucketCounts).toHaveLength(DURATION_BUCKET_BOUNDS_MS.length + 1);
    expect(summary.bucketCounts.reduce((a, b) => a + b, 0)).toBe(100);
    expect(summary.bucketCounts[2]).toBe(90); // [2, 5) ms
    expect(summary.bucketCounts.at(-1)).toBe(1); // ≥ 30 s
  });

  it('ignores values that are not durations and reports nothing for none', () => {
    const summary = summarizeDurations([Number.NaN, -1, Number.POSITIVE_INFINITY]);
    expect(summary.count).toBe(0);
    expect(summary.p50).toBeUndefined();
  });
});

describe('rateSeries', () => {
  it('buckets events into per-second rates ending at the current bucket, with every series present', () => {
    // Prepare: 10 s buckets; end at t=100 s (bucket [100, 110) is the last)
    const events = [
      { atMs: 100_500, name: 'PROCESSED' },
      { atMs: 101_000, name: 'PROCESSED' },
      { atMs: 95_000, name: 'QUARANTINED' },
      { atMs: 10_000, name: 'PROCESSED' }, // too old
      { atMs: 200_000, name: 'PROCESSED' }, // in the future
    ];
    // Act
    const series = rateSeries(events, {
      endMs: 105_000,
      bucketSeconds: 10,
      buckets: 3,
      names: ['PROCESSED', 'QUARANTINED', 'GONE'],
    });
    // Assess
    expect(series.t).toEqual([80, 90, 100]);
    expect(series.series.PROCESSED).toEqual([0, 0, 0.2]);
    expect(series.series.QUARANTINED).toEqual([0, 0.1, 0]);
    expect(series.series.GONE).toEqual([0, 0, 0]);
  });
});
