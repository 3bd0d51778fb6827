/** Terminal status of one upload in the metadata table (contract: docs/architecture.md). */
export const FileStatus = {
  PROCESSED: 'PROCESSED',
  QUARANTINED: 'QUARANTINED',
  GONE: 'GONE',
} as const;
export type FileStatus = (typeof FileStatus)[keyof typeof FileStatus];

/** Why a file was quarantined (contract: docs/architecture.md). */
export const QuarantineReason = {
  EMPTY_FILE: 'EMPTY_FILE',
  TOO_LARGE: 'TOO_LARGE',
  BLOCKED_TYPE: 'BLOCKED_TYPE',
  TYPE_MISMATCH: 'TYPE_MISMATCH',
  PROCESSING_FAILED: 'PROCESSING_FAILED',
} as const;
export type QuarantineReason = (typeof QuarantineReason)[keyof typeof QuarantineReason];

/** Reasons that are policy decisions: never retried automatically, only with `retry --force`. */
export const POLICY_REASONS: readonly QuarantineReason[] = [
  QuarantineReason.EMPTY_FILE,
  QuarantineReason.TOO_LARGE,
  QuarantineReason.BLOCKED_TYPE,
  QuarantineReason.TYPE_MISMATCH,
];

/** Operation steps recorded in a file's history besides its uploads. */
export const HistoryStep = {
  RETRIED: 'RETRIED',
  RETRY_EXHAUSTED: 'RETRY_EXHAUSTED',
  REPLAYED: 'REPLAYED',
} as const;
export type HistoryStep = (typeof HistoryStep)[keyof typeof HistoryStep];

/** When the handler publishes to SNS. */
export const NotifyMode = { FAILURES: 'failures', ALL: 'all', NONE: 'none' } as const;
export type NotifyMode = (typeof NotifyMode)[keyof typeof NotifyMode];

/**
 * User-metadata keys (without the `x-amz-meta-` prefix) that Silent Scalper writes on objects.
 * `attempt` rides on an object copied back from quarantine so a retried file cannot loop.
 */
export const OBJECT_METADATA = {
  attempt: 'silent-scalper-attempt',
  reason: 'silent-scalper-reason',
  sourceBucket: 'silent-scalper-source-bucket',
  sourceKey: 'silent-scalper-source-key',
  quarantinedAt: 'silent-scalper-quarantined-at',
  error: 'silent-scalper-error',
  uploadedAt: 'uploaded-at',
} as const;

/** SQS message attribute names put on poison messages sent to the DLQ. */
export const DLQ_ATTRIBUTES = {
  error: 'silent-scalper-error',
  errorName: 'silent-scalper-error-name',
  sourceMessageId: 'silent-scalper-source-message-id',
  failedAt: 'silent-scalper-failed-at',
} as const;

/** EMF namespace of every metric the pipeline emits. */
export const METRICS_NAMESPACE = 'SilentScalper';
/** Service name on every log line and metric. */
export const SERVICE_NAME = 'silent-scalper';
