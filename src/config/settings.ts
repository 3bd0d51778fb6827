/**
 * The one shared definition of Silent Scalper's resource names and queue/batch/retry settings.
 *
 * The CDK stack (`infra/`), the local provisioner and the local runner all derive what they create
 * from {@link resolvePipelineSettings}, so local mode and AWS cannot drift apart. The guards in
 * {@link validatePipelineSettings} are the same ones that fail `cdk synth`.
 */

/** Local resource names (the contract in DESIGN.md). CDK may prefix/suffix them in AWS. */
export const RESOURCE_NAMES = {
  inputBucket: 'silent-scalper-input',
  quarantineBucket: 'silent-scalper-quarantine',
  ingestQueue: 'silent-scalper-ingest',
  deadLetterQueue: 'silent-scalper-ingest-dlq',
  metadataTable: 'silent-scalper-files',
  alertsTopic: 'silent-scalper-alerts',
} as const;

/** Resource names, as a type: local defaults or the physical names read from stack outputs. */
export type ResourceNames = { -readonly [K in keyof typeof RESOURCE_NAMES]: string };

/**
 * Key schema of the metadata table (README "The metadata table" lists every access pattern and its cost).
 * One item per upload (object version), one item per operation step, and one manifest item per
 * written batch:
 *
 * - `pk` = `FILE#<bucket>/<key>`; `sk` = `<eventTime ISO>#UPLOAD#<uploadId>` or `<time>#STEP#<step>#…`,
 *   so `Query(pk)` returns one file's whole history in time order.
 * - Batch manifests: `pk` = `BATCHES#<shard>`, `sk` = `<recordedAt ISO>#<batchId>#<part>`; one item
 *   lists the keys and outcomes of every file a batch wrote (≈ 100 bytes per file). "Newest first over
 *   all statuses", PROCESSED listings, counts over a window and the dashboard read these instead of one
 *   index entry per file: about 0.1–0.2 write units per file instead of 2. The manifests of 1,000
 *   files/s (100 batches/s) spread over {@link TABLE_SCHEMA.shards} partitions by a hash of the batch.
 * - GSI `byStatus` (sparse): only QUARANTINED and GONE uploads carry `statusShard` = `<status>#<shard>`
 *   (hash of the key), with `listSk` = the file's manifest position, so PROCESSED files (the bulk) pay
 *   no index write. It projects every attribute: the quarantine retry reads whole records from it.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  shards: 8,
  manifestPartitionPrefix: 'BATCHES#',
  /** Statuses listed by the sparse byStatus index; the others are listed from batch manifests. */
  indexedStatuses: ['QUARANTINED', 'GONE'],
  indexes: {
    byStatus: { name: 'byStatus', partitionKey: 'statusShard', sortKey: 'listSk', projection: 'ALL' },
  },
} as const;

/** Queue, batch and retry settings shared by the CDK event source mapping and the local runner. */
export interface PipelineSettings {
  /** Lambda timeout of the ingest function (the local runner's invocation timeout). @default 60 */
  readonly functionTimeoutSeconds: number;
  /** Ingest queue visibility timeout. @default 6 × functionTimeoutSeconds */
  readonly visibilityTimeoutSeconds: number;
  /** Receives before SQS moves a message to the DLQ; also the handler's MAX_RECEIVES. @default 5 */
  readonly maxReceiveCount: number;
  /** Messages per handler invocation. @default 10 */
  readonly batchSize: number;
  /** How long the poller may wait to fill a batch. @default 1 */
  readonly maxBatchingWindowSeconds: number;
  /** Concurrent batches at most (the spike throttle). AWS allows 2–1000. @default 5 */
  readonly maxConcurrency: number;
  /** Ingest queue retention. @default 4 days */
  readonly queueRetentionSeconds: number;
  /** DLQ retention; must be longer than the queue's. @default 14 days */
  readonly dlqRetentionSeconds: number;
  /** Report partial batch failures. Must stay true: without it one bad file retries the whole batch. */
  readonly reportBatchItemFailures: boolean;
  /** Function memory in MB (AWS only). @default 512 */
  readonly memorySizeMb: number;
}

/** The defaults, chosen for a spike of thousands of small files drained without throttling DynamoDB. */
export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  functionTimeoutSeconds: 60,
  visibilityTimeoutSeconds: 360,
  maxReceiveCount: 5,
  batchSize: 10,
  maxBatchingWindowSeconds: 1,
  maxConcurrency: 5,
  queueRetentionSeconds: 4 * 24 * 3600,
  dlqRetentionSeconds: 14 * 24 * 3600,
  reportBatchItemFailures: true,
  memorySizeMb: 512,
};

/** Thrown when settings would break the pipeline; the message names the setting and the fix. */
export class InvalidSettingsError extends Error {
  constructor(
    message: string,
    public readonly problems: readonly string[],
  ) {
    super(message);
    this.name = 'InvalidSettingsError';
  }
}

/**
 * Merge overrides onto the defaults without validating (callers that add their own checks, like the CDK
 * stack, validate everything at once). When the function timeout is overridden but the visibility
 * timeout is not, the visibility timeout follows it (6 ×) so the result stays valid.
 */
export const mergePipelineSettings = (overrides: Partial<PipelineSettings> = {}): PipelineSettings => {
  const functionTimeoutSeconds =
    overrides.functionTimeoutSeconds ?? DEFAULT_PIPELINE_SETTINGS.functionTimeoutSeconds;
  return {
    ...DEFAULT_PIPELINE_SETTINGS,
    visibilityTimeoutSeconds: Math.ceil(6 * functionTimeoutSeconds),
    ...overrides,
    functionTimeoutSeconds,
  };
};

/** {@link mergePipelineSettings}, then {@link validatePipelineSettings}: throws on settings that break the pipeline. */
export const resolvePipelineSettings = (overrides: Partial<PipelineSettings> = {}): PipelineSettings => {
  const settings = mergePipelineSettings(overrides);
  validatePipelineSettings(settings);
  return settings;
};

/**
 * The guards. Each one is an AWS rule that, broken, silently loses or duplicates work:
 * - visibility ≥ 6 × function timeout: https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
 * - maxReceiveCount ≥ 5, so throttled batches are not sent to the DLQ: same page, "Configuring a dead-letter queue".
 * - DLQ retention > queue retention: a moved message keeps its original enqueue timestamp
 *   (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html).
 * - reportBatchItemFailures on: the handler returns partial failures and relies on them.
 */
export const validatePipelineSettings = (settings: PipelineSettings, handlerMaxReceives?: number): void => {
  const problems: string[] = [];
  const s = settings;
  if (!(s.functionTimeoutSeconds > 0))
    problems.push(`functionTimeoutSeconds must be > 0 (got ${s.functionTimeoutSeconds})`);
  if (!Number.isInteger(s.visibilityTimeoutSeconds) || s.visibilityTimeoutSeconds > 43_200)
    problems.push(
      `visibilityTimeoutSeconds must be a whole number of seconds ≤ 43200 (got ${s.visibilityTimeoutSeconds})`,
    );
  if (s.visibilityTimeoutSeconds < 6 * s.functionTimeoutSeconds)
    problems.push(
      `visibilityTimeoutSeconds (${s.visibilityTimeoutSeconds}) must be at least 6 × functionTimeoutSeconds (${6 * s.functionTimeoutSeconds}); set it to ${Math.ceil(6 * s.functionTimeoutSeconds)} or more`,
    );
  if (!Number.isInteger(s.maxReceiveCount) || s.maxReceiveCount < 5)
    problems.push(`maxReceiveCount must be an integer ≥ 5 (got ${s.maxReceiveCount})`);
  if (!Number.isInteger(s.batchSize) || s.batchSize < 1 || s.batchSize > 10_000)
    problems.push(`batchSize must be an integer from 1 to 10000 (got ${s.batchSize})`);
  if (s.batchSize > 10 && s.maxBatchingWindowSeconds < 1)
    problems.push('batchSize above 10 needs maxBatchingWindowSeconds ≥ 1 (an AWS rule for SQS mappings)');
  if (!(s.maxBatchingWindowSeconds >= 0 && s.maxBatchingWindowSeconds <= 300))
    problems.push(`maxBatchingWindowSeconds must be 0–300 (got ${s.maxBatchingWindowSeconds})`);
  if (!Number.isInteger(s.maxConcurrency) || s.maxConcurrency < 2 || s.maxConcurrency > 1000)
    problems.push(`maxConcurrency must be an integer from 2 to 1000 (got ${s.maxConcurrency})`);
  if (s.dlqRetentionSeconds <= s.queueRetentionSeconds)
    problems.push(
      `dlqRetentionSeconds (${s.dlqRetentionSeconds}) must be longer than queueRetentionSeconds (${s.queueRetentionSeconds})`,
    );
  if (s.dlqRetentionSeconds > 14 * 24 * 3600)
    problems.push('dlqRetentionSeconds must be ≤ 14 days (1209600)');
  if (!s.reportBatchItemFailures)
    problems.push('reportBatchItemFailures must be true: the ingest handler reports partial batch failures');
  if (handlerMaxReceives !== undefined && handlerMaxReceives !== s.maxReceiveCount)
    problems.push(
      `handler MAX_RECEIVES (${handlerMaxReceives}) must equal the queue's maxReceiveCount (${s.maxReceiveCount})`,
    );
  if (problems.length > 0) {
    throw new InvalidSettingsError(
      `Invalid Silent Scalper settings:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  }
};
