import type { ListedFile } from '../pipeline/batchManifest.ts';
import type { FileStatus } from '../pipeline/constants.ts';
import type { FileRecord, HistoryStepRecord } from '../pipeline/types.ts';

/** Options of {@link listFiles}. */
export interface ListFilesOptions {
  /** Only records in this terminal status (QUARANTINED/GONE: the byStatus index; PROCESSED or all: the manifests). */
  readonly status?: FileStatus;
  /** Records per page, 1–1000. */
  readonly limit: number;
  /** `nextCursor` of the previous page: the next page holds records strictly older than it. */
  readonly cursor?: string;
  /** Only keys starting with this (a filter: DynamoDB reads the non-matching items too). */
  readonly keyPrefix?: string;
  /** Only records processed at or after this time (ISO-8601 UTC). */
  readonly since?: string;
  /** Query pages read per shard at most for one page of results, so a rare prefix cannot loop long. @default 20 */
  readonly maxPagesPerShard?: number;
}

/** One page of records, newest first. */
export interface FilePage {
  /** Whole records from the byStatus index; from manifests, the listed attributes (`show` reads the rest). */
  readonly items: ListedFile[];
  /** Pass as `cursor` to get the next page; absent when there is nothing older. */
  readonly nextCursor?: string;
}

/** One file's full history: its uploads and operation steps, oldest first. */
export interface FileHistory {
  readonly bucket: string;
  readonly key: string;
  readonly uploads: FileRecord[];
  readonly steps: HistoryStepRecord[];
  /** Uploads and steps merged in time order (the table's sort-key order). */
  readonly entries: Array<FileRecord | HistoryStepRecord>;
}

/** Options of {@link countFiles}: the window is `[since, until)` of the time each batch was written. */
export interface CountFilesOptions {
  /** Start of the window, inclusive (ISO-8601 UTC or Date). */
  readonly since: string | Date;
  /** End of the window, exclusive. @default now */
  readonly until?: string | Date;
  /** Query pages read per shard at most; beyond it the counts are marked `truncated`. @default 500 */
  readonly maxPagesPerShard?: number;
}

/** Counts of records processed in a window, per status, per quarantine reason and per sniffed MIME type. */
export interface FileCounts {
  readonly since: string;
  readonly until: string;
  readonly total: number;
  readonly byStatus: Record<string, number>;
  readonly byReason: Record<string, number>;
  /** `unknown` counts records whose type could not be sniffed. */
  readonly byMime: Record<string, number>;
  /** True when the page budget ran out before the window was fully read: the counts are a lower bound. */
  readonly truncated: boolean;
}

/** Depths of the ingest queue and its dead-letter queue (SQS approximate counts). */
export interface QueueStats {
  /** Messages waiting to be received. */
  readonly visible: number;
  /** Messages received and not yet deleted (being processed, or waiting for their visibility timeout). */
  readonly inFlight: number;
  /** Messages sent with a delay that has not passed yet. */
  readonly delayed: number;
  /** Messages in the dead-letter queue. */
  readonly deadLetter: number;
  /**
   * Age of the oldest message in seconds, when known. SQS's API does not expose it (only the CloudWatch
   * metric `ApproximateAgeOfOldestMessage` does), so this is filled only by callers that read that metric.
   */
  readonly oldestMessageAgeSeconds?: number;
}
