import type { DurationSummary } from './types.ts';

/** Histogram bucket upper bounds in ms: roughly logarithmic, so 1 ms and 10 s both read well. */
export const DURATION_BUCKET_BOUNDS_MS: readonly number[] = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000,
];

/**
 * The value at percentile `p` (0–100) of ascending `sorted` values, nearest-rank method: the smallest
 * value with at least p % of the values at or below it. `undefined` for no values.
 */
export const percentile = (sorted: ArrayLike<number>, p: number): number | undefined => {
  if (sorted.length === 0) return undefined;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
};

/** p50/p95/p99, max and a histogram of durations in milliseconds (non-finite values are ignored). */
export const summarizeDurations = (values: Iterable<number>): DurationSummary => {
  const finite: number[] = [];
  for (const v of values) if (Number.isFinite(v) && v >= 0) finite.push(v);
  const sorted = Float64Array.from(finite).sort();
  const bucketCounts = new Array<number>(DURATION_BUCKET_BOUNDS_MS.length + 1).fill(0);
  for (const v of sorted) {
    let i = 0;
    while (i < DURATION_BUCKET_BOUNDS_MS.length && v >= (DURATION_BUCKET_BOUNDS_MS[i] as number)) i++;
    bucketCounts[i] = (bucketCounts[i] ?? 0) + 1;
  }
  const base = { count: sorted.length, bucketBoundsMs: DURATION_BUCKET_BOUNDS_MS, bucketCounts };
  if (sorted.length === 0) return base;
  return {
    ...base,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1],
  };
};

/** Counts of events per fixed-width time bucket ending at `endMs`, as a rate per second. */
export interface RateSeries {
  /** Bucket start times, unix seconds, oldest first. */
  readonly t: number[];
  /** One array of rates (events per second) per series name. */
  readonly series: Record<string, number[]>;
}

/**
 * Bucket `events` (time in ms + series name) into `buckets` buckets of `bucketSeconds` ending at `endMs`
 * (the last bucket is the one holding `endMs`), as events per second. Events outside the range are
 * ignored; every name in `names` gets a series, even an all-zero one, so charts keep their legend.
 */
export const rateSeries = (
  events: Iterable<{ readonly atMs: number; readonly name: string }>,
  options: { endMs: number; bucketSeconds: number; buckets: number; names: readonly string[] },
): RateSeries => {
  const widthMs = options.bucketSeconds * 1000;
  const lastStart = Math.floor(options.endMs / widthMs) * widthMs;
  const firstStart = lastStart - (options.buckets - 1) * widthMs;
  const t = Array.from({ length: options.buckets }, (_, i) => (firstStart + i * widthMs) / 1000);
  const series: Record<string, number[]> = {};
  for (const name of options.names) series[name] = new Array<number>(options.buckets).fill(0);
  for (const event of events) {
    const index = Math.floor((event.atMs - firstStart) / widthMs);
    const target = series[event.name];
    if (target && index >= 0 && index < options.buckets) target[index] = (target[index] ?? 0) + 1;
  }
  for (const name of options.names) {
    const target = series[name] as number[];
    for (let i = 0; i < target.length; i++) target[i] = (target[i] as number) / options.bucketSeconds;
  }
  return { t, series };
};
