import type { RetryOutcome } from './retryTypes.ts';

/** Where retries may copy files back to: the primary input bucket and, optionally, every source bucket. */
export interface RetrySourceOptions {
  /** The primary input bucket (the first source). */
  readonly inputBucket: string;
  /**
   * Every bucket of the pipeline's sources (the primary included); a file goes back into the bucket its
   * record names only when that bucket is one of these. @default [inputBucket]
   */
  readonly sourceBuckets?: readonly string[];
}

/**
 * The buckets a retry may write into. Decision: the set comes from configuration (the construct's
 * `sources`, `SOURCE_BUCKETS`, the `SourceBucketNames` stack output), never from a record: records are
 * written from S3 event data, which anyone who can send to the ingest queue controls, so a record naming
 * some other bucket must not steer a copy there.
 */
export const retrySources = (options: RetrySourceOptions): ReadonlySet<string> =>
  new Set([options.inputBucket, ...(options.sourceBuckets ?? [])]);

/** The outcome of a file whose record names a bucket that is not a source: refused, nothing copied. */
export const notASource = (
  file: { readonly bucket: string; readonly key: string; readonly reason?: RetryOutcome['reason'] },
  sources: ReadonlySet<string>,
): RetryOutcome => ({
  bucket: file.bucket,
  key: file.key,
  ...(file.reason ? { reason: file.reason } : {}),
  action: 'skipped',
  why: 'not-a-source',
  detail: `bucket ${file.bucket} is not a source of this pipeline (sources: ${[...sources].join(', ')}); not copied anywhere — restore it by hand if it belongs somewhere`,
});
