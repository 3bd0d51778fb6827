import type { FileStatus, HistoryStep, IgnoredAs, QuarantineReason } from './constants.ts';

/**
 * One item of the metadata table for one upload (object version). Attribute names from `bucket` to
 * `receiveCount` are the contract in docs/architecture.md; the rest are this project's additions.
 */
export interface FileRecord {
  // keys (see recordKeys.ts)
  pk: string;
  sk: string;
  /** Only on QUARANTINED and GONE uploads: the partition of the sparse byStatus index. */
  statusShard?: string;
  /** Position in the newest-first order (its batch manifest's `sk` + index); stored only with `statusShard`. */
  listSk?: string;
  recordType: 'UPLOAD';
  // contract
  bucket: string;
  /** Decoded object key. */
  key: string;
  status: FileStatus;
  /** Present when status is QUARANTINED. */
  reason?: QuarantineReason;
  size: number;
  etag?: string;
  declaredContentType?: string;
  /** Sniffed MIME type; absent when unknown. */
  mime?: string;
  /** Sniffed extension; absent when unknown. */
  ext?: string;
  /** ISO-8601 UTC event time of the S3 notification. */
  eventTime: string;
  /** ISO-8601 UTC time the record was produced. */
  processedAt: string;
  durationMs: number;
  queueLatencyMs: number;
  receiveCount: number;
  // additions
  uploadId: string;
  versionId?: string;
  sniffMs?: number;
  /** `text` or `binary` when `file-type` does not know the bytes. */
  contentClass?: 'text' | 'binary';
  /** Where a quarantined object now lives. */
  quarantineBucket?: string;
  quarantineKey?: string;
  /** The version of the quarantine bucket holding this upload (exact even if the key were reused). */
  quarantineVersionId?: string;
  /** True when the upload was quarantined in place: bucket/key above are the tagged input object. */
  quarantinedInPlace?: true;
  /** The last error, for PROCESSING_FAILED and policy details (e.g. "extension .jpg, content pdf"). */
  error?: string;
  /** Name of the policy rule that judged the file (`default` when no rule matched). */
  policyRule?: string;
  /** Set on a PROCESSED record the policy left alone (a folder marker, an empty object): not checked further. */
  ignored?: IgnoredAs;
  /** Number of entries in a zip-family archive whose central directory was read. */
  archiveEntries?: number;
  /** Retry attempt carried in object metadata (0 for an original upload). */
  attempt: number;
  messageId: string;
}

/** One operation step in a file's history (a separate item so a rewritten upload never erases it). */
export interface HistoryStepRecord {
  pk: string;
  sk: string;
  recordType: 'STEP';
  step: HistoryStep;
  bucket: string;
  key: string;
  at: string;
  attempt?: number;
  reason?: QuarantineReason;
  detail?: string;
}

/**
 * One item per written batch (or per part of a big one): the keys and outcomes of the batch's files, so
 * "newest first" and counts over a window read ≈ 100 bytes per file instead of one index entry each.
 * Encoded and decoded only by `batchManifest.ts`.
 */
export interface BatchManifestItem {
  pk: string;
  sk: string;
  recordType: 'BATCH';
  /** ISO-8601 UTC time the batch was written (the manifest's place in the newest-first order). */
  at: string;
  /** Buckets of the batch's files; each entry names one by its index. */
  buckets: string[];
  /** One compact JSON array per file (see `batchManifest.ts`), oldest first. */
  files: string[];
}
