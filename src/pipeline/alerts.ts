import { FileStatus, NotifyMode, QuarantineReason } from './constants.ts';
import type { AlertMessage } from './ports.ts';

/** Alert-only status of a file that failed this time and will be retried through SQS. */
export const ALERT_FAILED_STATUS = 'FAILED';
/** Alert-only status of a message that was not an S3 event and went to the DLQ. */
export const ALERT_POISON_STATUS = 'POISON';

/**
 * Reasons from most to least severe. The alert's `reason` attribute lists every reason of the batch
 * (a String.Array, so an SNS filter policy such as `{"reason": ["BLOCKED_TYPE"]}` matches any batch that
 * holds one: https://docs.aws.amazon.com/sns/latest/dg/sns-message-attributes.html), in this order, so
 * its first element is the most severe.
 */
export const REASON_SEVERITY: readonly QuarantineReason[] = [
  QuarantineReason.BLOCKED_TYPE,
  QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
  QuarantineReason.ARCHIVE_PATH_TRAVERSAL,
  QuarantineReason.ARCHIVE_BOMB,
  QuarantineReason.ARCHIVE_ENCRYPTED,
  QuarantineReason.TYPE_MISMATCH,
  QuarantineReason.NOT_ALLOWED,
  QuarantineReason.ARCHIVE_TOO_MANY_ENTRIES,
  QuarantineReason.ARCHIVE_UNREADABLE,
  QuarantineReason.PROCESSING_FAILED,
  QuarantineReason.TOO_LARGE,
  QuarantineReason.EMPTY_FILE,
];

/** One file as the alert lists it. */
export interface AlertFile {
  readonly bucket: string;
  readonly key: string;
  /** A FileStatus, or {@link ALERT_FAILED_STATUS}. */
  readonly status: string;
  readonly reason?: QuarantineReason;
  readonly error?: string;
  readonly quarantineBucket?: string;
  readonly quarantineKey?: string;
  /** The exact version holding the upload (versioned quarantine bucket). */
  readonly quarantineVersionId?: string;
  /** The upload was quarantined in place, in its input bucket. */
  readonly quarantinedInPlace?: true;
}

/** What one batch did, for the alert. */
export interface BatchSummary {
  readonly files: readonly AlertFile[];
  readonly poisonMessages: number;
}

const STATUS_ORDER = [
  ALERT_POISON_STATUS,
  ALERT_FAILED_STATUS,
  FileStatus.QUARANTINED,
  FileStatus.GONE,
  FileStatus.PROCESSED,
] as const;
const isProblem = (file: AlertFile) =>
  file.status === FileStatus.QUARANTINED || file.status === ALERT_FAILED_STATUS;

/**
 * Build the one SNS message of a batch, or `undefined` when the mode says nothing to send:
 * `none` never; `failures` (default) when files were quarantined or failed or messages were poison;
 * `all` whenever the batch handled anything. Attributes `status` and `reason` are String.Arrays.
 * Up to `maxKeys` files are listed, problems first.
 */
export const buildAlert = (
  summary: BatchSummary,
  mode: NotifyMode,
  maxKeys: number,
): AlertMessage | undefined => {
  if (mode === NotifyMode.NONE) return undefined;
  const problems = summary.files.filter(isProblem);
  const hasProblems = problems.length > 0 || summary.poisonMessages > 0;
  if (mode === NotifyMode.FAILURES && !hasProblems) return undefined;
  if (summary.files.length === 0 && summary.poisonMessages === 0) return undefined;

  const counts: Record<string, number> = {};
  for (const file of summary.files) counts[file.status] = (counts[file.status] ?? 0) + 1;
  if (summary.poisonMessages > 0) counts[ALERT_POISON_STATUS] = summary.poisonMessages;
  const reasonCounts: Record<string, number> = {};
  for (const file of summary.files)
    if (file.reason) reasonCounts[file.reason] = (reasonCounts[file.reason] ?? 0) + 1;

  const listed =
    mode === NotifyMode.ALL ? [...problems, ...summary.files.filter((f) => !isProblem(f))] : problems;
  const keys = listed.slice(0, maxKeys).map((f) => ({
    bucket: f.bucket,
    key: f.key,
    status: f.status,
    ...(f.reason ? { reason: f.reason } : {}),
    ...(f.error ? { error: f.error } : {}),
    ...(f.quarantineBucket ? { quarantineBucket: f.quarantineBucket } : {}),
    ...(f.quarantineKey ? { quarantineKey: f.quarantineKey } : {}),
    ...(f.quarantineVersionId ? { quarantineVersionId: f.quarantineVersionId } : {}),
    ...(f.quarantinedInPlace ? { quarantinedInPlace: true } : {}),
  }));
  const statuses = STATUS_ORDER.filter((s) => (counts[s] ?? 0) > 0);
  const reasons = REASON_SEVERITY.filter((r) => (reasonCounts[r] ?? 0) > 0);

  const parts = [
    counts[FileStatus.QUARANTINED] ? `${counts[FileStatus.QUARANTINED]} quarantined` : '',
    counts[ALERT_FAILED_STATUS] ? `${counts[ALERT_FAILED_STATUS]} failed` : '',
    counts[ALERT_POISON_STATUS] ? `${counts[ALERT_POISON_STATUS]} poison` : '',
    counts[FileStatus.PROCESSED] ? `${counts[FileStatus.PROCESSED]} processed` : '',
    counts[FileStatus.GONE] ? `${counts[FileStatus.GONE]} gone` : '',
  ].filter(Boolean);
  // SNS subjects: ASCII, at most 100 characters.
  const subject = `Silent Scalper: ${parts.join(', ')}`.slice(0, 100);
  const message = JSON.stringify({
    counts,
    reasons: reasonCounts,
    files: keys,
    filesNotListed: listed.length - keys.length,
  });
  return {
    subject,
    message,
    attributes: {
      status: statuses,
      ...(reasons.length > 0 ? { reason: reasons } : {}),
    },
  };
};
