/**
 * Small interfaces the operations (DLQ replay, quarantine retry) depend on. The AWS implementations live
 * beside them (`sqsReplayQueues.ts`, `awsRetryPorts.ts`); unit tests pass fakes, integration tests wrap
 * the real ones to inject faults (a crash between send and delete, a failing copy).
 */

import { SilentScalperError } from '../pipeline/errors.ts';
import type { FileRecord, HistoryStepRecord } from '../pipeline/types.ts';

/** One message received from the DLQ. */
export interface QueueMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  readonly body: string;
  /** System attributes (`ApproximateReceiveCount`, `SentTimestamp`, …). */
  readonly attributes: Readonly<Record<string, string>>;
  /** String message attributes (the DLQ error attributes of a poison message). */
  readonly messageAttributes: Readonly<Record<string, string>>;
}

/** Result of one SQS batch call (send, delete, change visibility): which entry ids succeeded, which failed and why. */
export interface SqsBatchResult {
  readonly successful: readonly string[];
  readonly failed: readonly { readonly id: string; readonly message: string }[];
}

/** A server-side message move task (SQS `StartMessageMoveTask`). */
export interface MoveTask {
  readonly taskHandle?: string;
  /** RUNNING | COMPLETED | CANCELLING | CANCELLED | FAILED */
  readonly status: string;
  readonly approximateMoved: number;
  readonly approximateToMove?: number;
  readonly failureReason?: string;
}

/** The DLQ and the ingest queue, as the replay sees them. */
export interface ReplayQueues {
  /** Receive up to `maxMessages` (≤10) from the DLQ, hidden for `visibilityTimeoutSeconds`. */
  receive(
    maxMessages: number,
    visibilityTimeoutSeconds: number,
    waitTimeSeconds: number,
  ): Promise<QueueMessage[]>;
  /** Send to the ingest queue (≤10 entries, unique ids). */
  send(
    entries: readonly { id: string; body: string; messageAttributes: Readonly<Record<string, string>> }[],
  ): Promise<SqsBatchResult>;
  /** Delete from the DLQ (≤10 entries, unique ids). */
  delete(entries: readonly { id: string; receiptHandle: string }[]): Promise<SqsBatchResult>;
  /** Change the visibility timeout of DLQ messages (≤10 entries); 0 makes them visible at once. */
  changeVisibility(
    entries: readonly { id: string; receiptHandle: string }[],
    visibilityTimeoutSeconds: number,
  ): Promise<SqsBatchResult>;
  /** Approximate number of visible messages in the DLQ (for the progress bar). */
  approximateDepth(): Promise<number>;
  /** Start a server-side move DLQ → ingest queue. Throws {@link MoveTaskUnsupportedError} where missing. */
  startMoveTask(maxPerSecond?: number): Promise<string>;
  /** The most recent move task of the DLQ, if any. */
  latestMoveTask(): Promise<MoveTask | undefined>;
  /** Cancel a running move task; resolves to the approximate number moved so far. */
  cancelMoveTask(taskHandle: string): Promise<number>;
}

/** Thrown when the endpoint does not implement the message move task API (moto answers HTML). */
export class MoveTaskUnsupportedError extends SilentScalperError {}

/** Writes operation steps (`RETRIED`, `RETRY_EXHAUSTED`, `REPLAYED`) into a file's history. */
export interface HistoryWriter {
  /**
   * Put one step item. With `onlyIfAbsent`, the write is conditional on the item not existing and
   * resolves to false when it already did (so a step, and its alert, happen once).
   */
  putStep(step: HistoryStepRecord, options?: { onlyIfAbsent?: boolean }): Promise<boolean>;
}

/** The metadata table as the quarantine retry reads it. */
export interface QuarantineLedger {
  /**
   * Upload records whose status is QUARANTINED, newest first, at most `maxRecords`; with `since`, only
   * those processed at or after it (ISO-8601).
   */
  listQuarantined(options: { since?: string; maxRecords: number }): Promise<FileRecord[]>;
  /** One file's uploads and steps, oldest first. */
  fileHistory(bucket: string, key: string): Promise<{ uploads: FileRecord[]; steps: HistoryStepRecord[] }>;
}
