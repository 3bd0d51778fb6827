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
  /** The sniffed type is outside the matching rule's `allow` list. */
  NOT_ALLOWED: 'NOT_ALLOWED',
  /** An archive entry's name has a blocked type (`setup.exe` inside a zip). */
  ARCHIVE_BLOCKED_ENTRY: 'ARCHIVE_BLOCKED_ENTRY',
  /** An archive entry is encrypted (general-purpose flag bit 0): its content cannot be judged. */
  ARCHIVE_ENCRYPTED: 'ARCHIVE_ENCRYPTED',
  /** An entry (or the archive) expands absurdly: a zip bomb. */
  ARCHIVE_BOMB: 'ARCHIVE_BOMB',
  /** More entries than the rule's `archives.maxEntries`. */
  ARCHIVE_TOO_MANY_ENTRIES: 'ARCHIVE_TOO_MANY_ENTRIES',
  /** An entry name climbs out of the extraction folder (`../`) or is absolute. */
  ARCHIVE_PATH_TRAVERSAL: 'ARCHIVE_PATH_TRAVERSAL',
  /** The central directory cannot be found or read within the bounded reads. */
  ARCHIVE_UNREADABLE: 'ARCHIVE_UNREADABLE',
  PROCESSING_FAILED: 'PROCESSING_FAILED',
} as const;
export type QuarantineReason = (typeof QuarantineReason)[keyof typeof QuarantineReason];

/** Reasons that are policy decisions: never retried automatically, only with `retry --force`. */
export const POLICY_REASONS: readonly QuarantineReason[] = [
  QuarantineReason.EMPTY_FILE,
  QuarantineReason.TOO_LARGE,
  QuarantineReason.BLOCKED_TYPE,
  QuarantineReason.TYPE_MISMATCH,
  QuarantineReason.NOT_ALLOWED,
  QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
  QuarantineReason.ARCHIVE_ENCRYPTED,
  QuarantineReason.ARCHIVE_BOMB,
  QuarantineReason.ARCHIVE_TOO_MANY_ENTRIES,
  QuarantineReason.ARCHIVE_PATH_TRAVERSAL,
  QuarantineReason.ARCHIVE_UNREADABLE,
];

/** Why a PROCESSED file was left alone by the policy (`ignored` attribute): no quarantine, no alert. */
export const IgnoredAs = {
  FOLDER_MARKER: 'FOLDER_MARKER',
  EMPTY_OBJECT: 'EMPTY_OBJECT',
} as const;
export type IgnoredAs = (typeof IgnoredAs)[keyof typeof IgnoredAs];

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
