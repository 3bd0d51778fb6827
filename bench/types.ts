import type { RequestCounts } from './requestCounter.ts';

/** The variants, in the order the table lists them. */
export const BenchVariant = { FLOOR: 'floor', SILENT_SCALPER: 'silent-scalper', NAIVE: 'naive' } as const;
/** A benchmark variant. */
export type BenchVariant = (typeof BenchVariant)[keyof typeof BenchVariant];

/** What a variant process reports. */
export interface VariantResult {
  readonly variant: BenchVariant;
  readonly files: number;
  readonly elapsedMs: number;
  readonly counts: RequestCounts;
  /** CPU time (user + system) the variant's process spent while it ran, in ms. */
  readonly cpuMs: number;
  /** Peak resident set size of the variant's process while it ran (sampled every 10 ms), in bytes. */
  readonly peakRssBytes: number;
  /** getrusage's ru_maxrss: includes the parent's resident size at fork time on Linux, so not reported. */
  readonly ruMaxRssBytes: number;
  /**
   * The fixed waits of a batching variant, measured apart from its steady state: `startupMs` from the start
   * to the first invocation, `tailMs` from the last full batch's end to the last delete (a partial batch
   * waits out the batching window). `steadyFiles` files were done in full batches within `steadyMs`.
   * Absent for variants that do not batch (they start at once and have no window).
   */
  readonly fixedWaits?: {
    readonly startupMs: number;
    readonly tailMs: number;
    readonly steadyFiles: number;
    readonly steadyMs: number;
  };
}

/** Prefix of the result line a variant process prints on stdout. */
export const RESULT_PREFIX = 'BENCH_RESULT ';
