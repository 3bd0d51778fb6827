import type { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import type { QueueStats } from '../tracking/types.ts';

/** One row of the file table as the API sends it: what an operator reads, none of the table's key internals. */
export interface FileRow {
  /** `listSk` of the record: unique, newest-first order, and the pagination cursor. */
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly status: FileStatus;
  readonly reason?: QuarantineReason;
  readonly size: number;
  /** Sniffed MIME type; absent when unknown. */
  readonly mime?: string;
  readonly ext?: string;
  readonly contentClass?: 'text' | 'binary';
  readonly declaredContentType?: string;
  readonly eventTime: string;
  readonly processedAt: string;
  readonly durationMs: number;
  readonly queueLatencyMs: number;
  readonly receiveCount: number;
  readonly attempt: number;
  readonly error?: string;
}

/** Filters of the file table. */
export interface FileQuery {
  readonly status?: FileStatus;
  readonly reason?: QuarantineReason;
  /** A sniffed MIME type, or `unknown` for records without one. */
  readonly type?: string;
  /** Key prefix (case-sensitive, like S3 keys). */
  readonly prefix?: string;
  /** `nextCursor` of the previous page. */
  readonly cursor?: string;
  /** Rows per page. */
  readonly limit: number;
}

/** One page of the file table. */
export interface FilePageResponse {
  readonly items: readonly FileRow[];
  readonly nextCursor?: string;
  /** `view`: the dashboard's in-memory view of recent records; `table`: DynamoDB queries (older pages). */
  readonly source: 'view' | 'table' | 'mixed';
}

/** p50/p95/p99 and a histogram of a duration, in milliseconds. */
export interface DurationSummary {
  readonly count: number;
  readonly p50?: number;
  readonly p95?: number;
  readonly p99?: number;
  readonly max?: number;
  /** Upper bounds (ms, exclusive) of the histogram buckets; the last bucket is open-ended. */
  readonly bucketBoundsMs: readonly number[];
  readonly bucketCounts: readonly number[];
}

/** A file whose latest upload is quarantined. */
export interface QuarantinedFile {
  readonly bucket: string;
  readonly key: string;
  readonly reason?: QuarantineReason;
  readonly processedAt: string;
  readonly attempt: number;
  readonly error?: string;
  readonly size: number;
}

/** Everything the live part of the page shows, pushed over server-sent events when it changes. */
export interface Snapshot {
  /** Increases whenever anything in the snapshot changed. */
  readonly version: number;
  /** Increases whenever the set of records changed (the page refetches the file table then). */
  readonly dataVersion: number;
  readonly generatedAt: string;
  readonly target: { readonly label: string; readonly tableName: string };
  readonly view: {
    readonly loaded: boolean;
    readonly records: number;
    /** Start of the window the counters cover (ISO), when the window is bounded. */
    readonly since?: string;
    readonly windowHours: number;
    /** True when `maxRecords` cut the view short of the window: the counters cover fewer records. */
    readonly truncated: boolean;
  };
  readonly counters: {
    readonly total: number;
    readonly byStatus: Readonly<Record<string, number>>;
    readonly byReason: Readonly<Record<string, number>>;
    readonly bytes: number;
  };
  readonly queue?: QueueStats;
  readonly types: readonly { readonly type: string; readonly count: number }[];
  readonly durations: DurationSummary;
  readonly queueLatency: DurationSummary;
  /** Throughput: files per second per status, in buckets of `bucketSeconds`, oldest first. */
  readonly throughput: {
    readonly bucketSeconds: number;
    readonly t: readonly number[];
    readonly processed: readonly number[];
    readonly quarantined: readonly number[];
    readonly gone: readonly number[];
  };
  /** Queue depth samples, oldest first (unix seconds). */
  readonly depth: {
    readonly t: readonly number[];
    readonly visible: readonly number[];
    readonly inFlight: readonly number[];
    readonly deadLetter: readonly number[];
  };
  readonly quarantine: { readonly total: number; readonly files: readonly QuarantinedFile[] };
  /** The last error reading the table or the queues, when the last refresh failed. */
  readonly error?: string;
}
