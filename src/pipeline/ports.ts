import type { BatchManifestItem, FileRecord, HistoryStepRecord } from './types.ts';

/** Where one object lives; `versionId` pins one version of a versioned bucket. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

/** What the object store knows about an object besides its bytes. */
export interface ObjectHead {
  /** Total size in bytes. */
  readonly size: number;
  readonly contentType?: string;
  /** User metadata, keys without the `x-amz-meta-` prefix, lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly etag?: string;
  readonly versionId?: string;
}

/** The first bytes of an object plus its head, from one ranged GET. */
export interface ObjectPrefix extends ObjectHead {
  /** At most the requested number of bytes; empty for a 0-byte object. */
  readonly bytes: Uint8Array;
}

/** Bytes from inside an object, and the object's total size. */
export interface ObjectSlice {
  readonly bytes: Uint8Array;
  /** Total size of the object in bytes. */
  readonly size: number;
}

/**
 * Object storage (S3). Implementations throw {@link ObjectGoneError} when the object (or the version
 * the caller pinned with `ifMatch`) no longer exists, and {@link TransientError} / {@link PermanentError}
 * for everything else (see `classifyError`).
 */
export interface ObjectStore {
  /**
   * Read at most `maxBytes` from the start of the object in ONE request, never the whole object.
   * `ifMatch` (an ETag) makes the read fail as gone when the key now holds another upload.
   */
  readPrefix(
    ref: ObjectRef & { readonly maxBytes: number; readonly ifMatch?: string },
  ): Promise<ObjectPrefix>;
  /**
   * Read the LAST `maxBytes` of the object (`Range: bytes=-N`) in ONE request: the whole object when it
   * is shorter. Returns the bytes and the object's total size.
   */
  readSuffix(ref: ObjectRef & { readonly maxBytes: number; readonly ifMatch?: string }): Promise<ObjectSlice>;
  /** Read bytes `start` to `end` (inclusive) of the object in ONE request. */
  readRange(
    ref: ObjectRef & { readonly start: number; readonly end: number; readonly ifMatch?: string },
  ): Promise<ObjectSlice>;
  /** The object's head without its bytes. */
  headObject(ref: ObjectRef & { readonly ifMatch?: string }): Promise<ObjectHead>;
  /**
   * Server-side copy, keeping nothing implicitly: the caller passes the content type, metadata and tags
   * the target gets. Objects over 5 GiB are copied in parts (one request per part).
   */
  copyObject(args: {
    readonly source: ObjectRef & { readonly ifMatch?: string };
    /**
     * `ifNoneMatch: '*'` copies only if the target key is free, atomically (S3 conditional writes);
     * otherwise the copy throws {@link TargetExistsError}.
     */
    readonly target: { readonly bucket: string; readonly key: string; readonly ifNoneMatch?: '*' };
    /** Source size in bytes: decides single-request copy vs multipart copy. */
    readonly size: number;
    readonly contentType?: string;
    readonly metadata: Readonly<Record<string, string>>;
    readonly tags?: Readonly<Record<string, string>>;
  }): Promise<{ readonly etag?: string; readonly versionId?: string }>;
  /**
   * Delete the object (a delete marker in a versioned bucket, so nothing is lost). Idempotent: a missing
   * object, or one that no longer matches `ifMatch` (a newer upload, with its own event), is left alone.
   */
  deleteObject(ref: {
    readonly bucket: string;
    readonly key: string;
    readonly ifMatch?: string;
    /** Delete exactly this version (permanently), never whatever the key holds now. */
    readonly versionId?: string;
  }): Promise<void>;
  /** The object's tags (of one version when pinned). */
  getObjectTags(ref: ObjectRef): Promise<Record<string, string>>;
  /** Replace the object's tag set (of one version when pinned). */
  putObjectTags(ref: ObjectRef & { readonly tags: Readonly<Record<string, string>> }): Promise<void>;
}

/** An item of the metadata table: an upload record, a history step or a batch manifest. */
export type TableItem = FileRecord | HistoryStepRecord | BatchManifestItem;

/** The metadata table (DynamoDB). */
export interface MetadataStore {
  /**
   * ONE BatchWriteItem call of at most 25 put requests with distinct keys. Returns the items the
   * service did not write (`UnprocessedItems`); the caller retries them.
   */
  batchPut(items: readonly TableItem[]): Promise<{ readonly unprocessed: readonly TableItem[] }>;
  /** Write one history step (RETRIED, RETRY_EXHAUSTED, …) into a file's history. */
  putHistoryStep(step: HistoryStepRecord): Promise<void>;
  /** Every item of one file's history (uploads and steps), oldest first. */
  fileHistory(bucket: string, key: string): Promise<TableItem[]>;
}

/** One alert message (SNS). `attributes` values are strings or string arrays (for filter policies). */
export interface AlertMessage {
  readonly subject: string;
  readonly message: string;
  readonly attributes: Readonly<Record<string, string | readonly string[]>>;
}

/** The alerts topic (SNS). */
export interface AlertPublisher {
  publish(alert: AlertMessage): Promise<void>;
}

/** The dead-letter queue (SQS), for messages that can never succeed. */
export interface DeadLetterSender {
  send(message: {
    readonly body: string;
    readonly attributes: Readonly<Record<string, string>>;
  }): Promise<void>;
}

/**
 * Structured logger. Powertools `Logger` satisfies it; each call may carry extra keys (messageId, key).
 */
export interface LoggerPort {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** Units the pipeline emits metrics in (a subset of CloudWatch's). */
export const MetricUnit = {
  Count: 'Count',
  Milliseconds: 'Milliseconds',
  Bytes: 'Bytes',
} as const;
/** A CloudWatch metric unit used by the pipeline. */
export type MetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** Names of every metric the ingest handler emits (namespace METRICS_NAMESPACE). */
export const IngestMetric = {
  FilesProcessed: 'FilesProcessed',
  FilesQuarantined: 'FilesQuarantined',
  /**
   * Files quarantined for any reason (no reason dimension): alarms sum at most 10 metrics, fewer than
   * there are reasons, so they read this one series.
   */
  FilesQuarantinedTotal: 'FilesQuarantinedTotal',
  FilesGone: 'FilesGone',
  FilesFailed: 'FilesFailed',
  BytesSniffed: 'BytesSniffed',
  ProcessingDuration: 'ProcessingDuration',
  QueueLatency: 'QueueLatency',
  BatchItemFailures: 'BatchItemFailures',
  AlertPublishFailures: 'AlertPublishFailures',
  PoisonMessages: 'PoisonMessages',
} as const;
/** A metric name of the ingest handler. */
export type IngestMetric = (typeof IngestMetric)[keyof typeof IngestMetric];

/** EMF metrics. `dimensions` adds dimensions to that one data point (e.g. `{ reason }`). */
export interface MetricsPort {
  add(
    name: IngestMetric,
    unit: MetricUnit,
    value: number,
    dimensions?: Readonly<Record<string, string>>,
  ): void;
  /** Write the stored metrics (once per invocation). */
  flush(): void;
}

/** Time source, injectable so tests control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

/** Wait (for backoff); injectable so tests do not wait. */
export type Sleep = (ms: number) => Promise<void>;

/** Random numbers in [0, 1) for backoff jitter; injectable so tests are deterministic. */
export type Random = () => number;

/** One SQS message as the pipeline sees it (no `aws-lambda` types at the core). */
export interface IngestMessage {
  readonly messageId: string;
  readonly body: string;
  /** `ApproximateReceiveCount`: 1 on the first delivery. */
  readonly receiveCount: number;
  /** `SentTimestamp` in epoch milliseconds. */
  readonly sentTimestampMs: number;
}

/** How much time the invocation has left (Lambda's `context.getRemainingTimeInMillis`). */
export interface TimeBudget {
  remainingMs(): number;
}
