/** Summary of a set of measurements (same unit as the input). */
export interface Distribution {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank percentile of an ascending array (`p` in 0–100); NaN for an empty array. */
export const percentile = (sortedAscending: readonly number[], p: number): number => {
  if (sortedAscending.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sortedAscending.length);
  const index = Math.min(sortedAscending.length - 1, Math.max(0, rank - 1));
  return sortedAscending[index] ?? Number.NaN;
};

/** count, min, p50, p95, p99, max and mean of the values (NaN fields when there are none). */
export const distribution = (values: readonly number[]): Distribution => {
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    min: sorted[0] ?? Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length === 0 ? Number.NaN : sum / sorted.length,
  };
};

/**
 * Events per bin: `counts[i]` is how many timestamps fall in `[startMs + i·binMs, startMs + (i+1)·binMs)`.
 * Timestamps before `startMs` are ignored; the last bin is the one holding the latest timestamp.
 */
export const binCounts = (timestampsMs: readonly number[], startMs: number, binMs: number): number[] => {
  const counts: number[] = [];
  for (const t of timestampsMs) {
    if (t < startMs) continue;
    const bin = Math.floor((t - startMs) / binMs);
    while (counts.length <= bin) counts.push(0);
    counts[bin] = (counts[bin] ?? 0) + 1;
  }
  return counts;
};

/** Highest average rate (events/s) over any `windowBins` consecutive bins of `counts` (bins of `binMs`). */
export const peakRate = (counts: readonly number[], binMs: number, windowBins: number): number => {
  if (counts.length === 0) return 0;
  const width = Math.min(windowBins, counts.length);
  let sum = counts.slice(0, width).reduce((a, b) => a + b, 0);
  let best = sum;
  for (let i = width; i < counts.length; i++) {
    sum += (counts[i] ?? 0) - (counts[i - width] ?? 0);
    best = Math.max(best, sum);
  }
  return best / ((width * binMs) / 1000);
};
