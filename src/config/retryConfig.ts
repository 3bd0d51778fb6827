import { ConfigError } from './configError.ts';
import { type Env, envReader } from './envReader.ts';
import { HANDLER_ENV } from './handlerConfig.ts';
import { toEnvironment } from './toEnvironment.ts';

/** Environment variables of the scheduled quarantine-retry function. */
export const RETRY_ENV = {
  metadataTable: HANDLER_ENV.metadataTable,
  quarantineBucket: HANDLER_ENV.quarantineBucket,
  alertsTopicArn: HANDLER_ENV.alertsTopicArn,
  inputBucket: 'INPUT_BUCKET',
  sourceBuckets: 'SOURCE_BUCKETS',
  maxRetries: 'RETRY_MAX_RETRIES',
  baseDelaySeconds: 'RETRY_BASE_DELAY_SECONDS',
  lookbackHours: 'RETRY_LOOKBACK_HOURS',
  maxFilesPerPass: 'RETRY_MAX_FILES_PER_PASS',
} as const;

/** The retry policy: how often and how late a PROCESSING_FAILED file is copied back for another try. */
export interface RetryPolicy {
  /** Automatic retries per file; a file quarantined with `attempt ≥ maxRetries` is exhausted. @default 3 */
  readonly maxRetries: number;
  /** Backoff base: retry `attempt` n is due `baseDelaySeconds × 2^n` after the quarantine. @default 60 */
  readonly baseDelaySeconds: number;
  /** Only quarantines processed this recently are looked at by the automatic pass. @default 24 */
  readonly lookbackHours: number;
  /** Files examined per pass at most (the rest wait for the next pass). @default 500 */
  readonly maxFilesPerPass: number;
}

/** Defaults of {@link RetryPolicy}: retries at +1, +2 and +4 minutes, then RETRY_EXHAUSTED. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxRetries: 3,
  baseDelaySeconds: 60,
  lookbackHours: 24,
  maxFilesPerPass: 500,
};

/** Validated configuration of the retry function. */
export interface RetryConfig extends RetryPolicy {
  readonly metadataTable: string;
  readonly quarantineBucket: string;
  readonly alertsTopicArn: string;
  /** The primary input bucket (the first source). */
  readonly inputBucket: string;
  /**
   * Every source bucket, the primary first: a file is copied back into the bucket its record names only
   * when it is one of these (the function may write nowhere else). From `SOURCE_BUCKETS`; without it,
   * just `INPUT_BUCKET` (an environment from before several sources keeps its meaning).
   */
  readonly sourceBuckets: readonly string[];
}

/** An S3 bucket name's shape (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * `SOURCE_BUCKETS`: comma-separated bucket names, each a valid name, that must include `INPUT_BUCKET`
 * (a list without the primary is a wiring mistake, not something to repair silently). Returned with the
 * primary first and without duplicates.
 */
const parseSourceBuckets = (raw: string | undefined, inputBucket: string): string[] => {
  if (raw === undefined) return [inputBucket];
  const names = raw.split(',').map((name) => name.trim());
  const bad = names.find((name) => !BUCKET_NAME.test(name));
  if (bad !== undefined)
    throw new ConfigError(
      RETRY_ENV.sourceBuckets,
      `must be comma-separated S3 bucket names (got ${bad === '' ? 'an empty entry' : `"${bad}"`})`,
    );
  if (!names.includes(inputBucket))
    throw new ConfigError(
      RETRY_ENV.sourceBuckets,
      `must include ${RETRY_ENV.inputBucket} ("${inputBucket}"), the primary source`,
    );
  return [...new Set([inputBucket, ...names])];
};

/** Check a retry policy; throws {@link ConfigError} naming the field. */
export const validateRetryPolicy = (policy: RetryPolicy): RetryPolicy => {
  const check = (name: keyof RetryPolicy, min: number, max: number) => {
    const value = policy[name];
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigError(name, `must be an integer from ${min} to ${max} (got ${value})`);
  };
  check('maxRetries', 0, 20);
  check('baseDelaySeconds', 0, 86_400);
  check('lookbackHours', 1, 24 * 14);
  check('maxFilesPerPass', 1, 10_000);
  return policy;
};

/** Parse and validate the retry function's environment. Throws {@link ConfigError} naming the variable. */
export const loadRetryConfig = (env: Env = process.env): RetryConfig => {
  const read = envReader(env);
  const inputBucket = read.required(RETRY_ENV.inputBucket);
  return {
    metadataTable: read.required(RETRY_ENV.metadataTable),
    quarantineBucket: read.required(RETRY_ENV.quarantineBucket),
    alertsTopicArn: read.required(RETRY_ENV.alertsTopicArn),
    inputBucket,
    sourceBuckets: parseSourceBuckets(read.optional(RETRY_ENV.sourceBuckets), inputBucket),
    maxRetries: read.integer(RETRY_ENV.maxRetries, DEFAULT_RETRY_POLICY.maxRetries, 0, 20),
    baseDelaySeconds: read.integer(
      RETRY_ENV.baseDelaySeconds,
      DEFAULT_RETRY_POLICY.baseDelaySeconds,
      0,
      86_400,
    ),
    lookbackHours: read.integer(RETRY_ENV.lookbackHours, DEFAULT_RETRY_POLICY.lookbackHours, 1, 24 * 14),
    maxFilesPerPass: read.integer(RETRY_ENV.maxFilesPerPass, DEFAULT_RETRY_POLICY.maxFilesPerPass, 1, 10_000),
  };
};

/** The environment the retry function gets (CDK), from the same names the loader reads. */
export const retryEnvironment = (args: {
  metadataTable: string;
  quarantineBucket: string;
  alertsTopicArn: string;
  inputBucket: string;
  /** Every source bucket (the primary included); left out when there is only the primary. */
  sourceBuckets?: readonly string[];
  policy?: Partial<RetryPolicy>;
}): Record<string, string> => {
  const { policy, ...required } = args;
  return toEnvironment(RETRY_ENV, { ...required, ...policy });
};
