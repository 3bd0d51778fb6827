import type { ClassifiedMessage } from './classifyDlqMessage.ts';
import type { HistoryWriter, MoveTask, ReplayQueues } from './ports.ts';

/** How messages move: the server-side SQS move task, or receive → send → delete by this process. */
export const ReplayMode = { AUTO: 'auto', NATIVE: 'native', MANUAL: 'manual' } as const;
export type ReplayMode = (typeof ReplayMode)[keyof typeof ReplayMode];

/** Options of `replayDlq`. */
export interface ReplayOptions {
  /** Report what would move and leave every message in the DLQ, visible again at once. @default false */
  readonly dryRun?: boolean;
  /** Move only messages with at least one S3 record whose decoded key starts with this. */
  readonly prefix?: string;
  /** Move at most this many messages. */
  readonly max?: number;
  /** Rate limit in messages per second (SQS move tasks allow 1–500). @default unlimited */
  readonly maxPerSecond?: number;
  /** Also move poison messages (no S3 records); by default they stay in the DLQ. @default false */
  readonly includePoison?: boolean;
  /**
   * `auto` uses the SQS move task when nothing needs filtering (no dry run, prefix or max, and poison
   * included) and falls back to the manual mover where the API is missing. @default auto
   */
  readonly mode?: ReplayMode;
  /**
   * How long received messages stay hidden. Skipped and dry-run messages are held for the whole run (so
   * one run sees each message once) and made visible again at the end. @default 300
   */
  readonly visibilityTimeoutSeconds?: number;
  /** Long-poll wait of each receive. @default 1 */
  readonly waitTimeSeconds?: number;
  /** Consecutive receives without a new message that end the run. @default 2 */
  readonly emptyReceivesToStop?: number;
  /** Stop after this long (a native task keeps running server-side). @default 900000 (15 min) */
  readonly timeoutMs?: number;
  /** Native mode: how often to read the task's progress. @default 2000 */
  readonly pollIntervalMs?: number;
  /** Messages listed in the summary at most. @default 1000 */
  readonly maxReportedMessages?: number;
}

/** Progress of a running replay (for the progress bar). */
export interface ReplayProgress {
  readonly mode: 'native' | 'manual';
  /** Approximate number of messages the DLQ held at the start, when known. */
  readonly total?: number;
  readonly received: number;
  readonly moved: number;
  readonly skipped: number;
  readonly failed: number;
}

/** What happened to one message (listed in the summary, most useful with `dryRun`). */
export interface ReplayedMessage {
  readonly messageId: string;
  readonly action: 'moved' | 'would-move' | 'skipped-poison' | 'skipped-prefix' | 'failed';
  readonly kind: ClassifiedMessage['kind'];
  /** Decoded `bucket/key` of each S3 record. */
  readonly files: readonly string[];
  readonly error?: string;
}

/** The final summary of a replay. */
export interface ReplaySummary {
  readonly mode: 'native' | 'manual';
  readonly dryRun: boolean;
  /** Why `auto` did not use the native move task, when it tried. */
  readonly fallbackReason?: string;
  /** Messages chosen for moving (in a dry run: would move). */
  readonly selected: number;
  /** Messages now in the ingest queue. */
  readonly moved: number;
  /** Messages left in the DLQ on purpose (poison, or not matching the prefix). */
  readonly skipped: number;
  readonly skippedPoison: number;
  readonly skippedPrefix: number;
  /** Messages whose send failed: they stay in the DLQ. */
  readonly failed: number;
  /** Sent but not deleted from the DLQ (a harmless duplicate: the pipeline is idempotent). */
  readonly notDeleted: number;
  /** REPLAYED history steps that could not be written. */
  readonly historyErrors: number;
  /** True when the run stopped at `timeoutMs` (or was aborted) before the DLQ was drained. */
  readonly stoppedEarly: boolean;
  /** Native mode: the task's final state. */
  readonly task?: MoveTask;
  readonly messages: readonly ReplayedMessage[];
  /** True when more messages were handled than `maxReportedMessages`. */
  readonly messagesTruncated: boolean;
}

/** Collaborators of `replayDlq`. */
export interface ReplayDeps {
  readonly queues: ReplayQueues;
  /** When given, each moved S3 record gets a `REPLAYED` step in its file's history. */
  readonly history?: HistoryWriter;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Stops a manual replay between batches (Ctrl-C); held messages are released. */
  readonly signal?: AbortSignal;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Result of `cancelDlqReplay`. */
export interface CancelResult {
  /** False when no move task was running. */
  readonly cancelled: boolean;
  readonly task?: MoveTask;
  /** Approximate number of messages moved before the cancel. */
  readonly approximateMoved?: number;
}
