import { HistoryStep } from '../pipeline/constants.ts';
import { filePartitionKey, stepSortKey } from '../pipeline/recordKeys.ts';
import { type ClassifiedMessage, classifyDlqMessage } from './classifyDlqMessage.ts';
import {
  type HistoryWriter,
  type MoveTask,
  MoveTaskUnsupportedError,
  type QueueMessage,
  type ReplayQueues,
} from './ports.ts';
import { createRateLimiter } from './rateLimiter.ts';

/** How messages move: the server-side SQS move task, or receive → send → delete by this process. */
export const ReplayMode = { AUTO: 'auto', NATIVE: 'native', MANUAL: 'manual' } as const;
export type ReplayMode = (typeof ReplayMode)[keyof typeof ReplayMode];

/** Options of {@link replayDlq}. */
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

/** Collaborators of {@link replayDlq}. */
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

/** Thrown for options that cannot work together; the message says which. */
export class ReplayOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReplayOptionsError';
  }
}

/** SQS batch calls take at most 10 entries. */
const SQS_BATCH = 10;
const FINAL_TASK_STATES = new Set(['COMPLETED', 'CANCELLED', 'FAILED']);

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

const validate = (options: ReplayOptions): void => {
  const { max, maxPerSecond, visibilityTimeoutSeconds } = options;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw new ReplayOptionsError(`max must be a whole number ≥ 1 (got ${max})`);
  // The SQS limit for move tasks; the manual mover keeps the same range so both modes accept the same flags.
  if (
    maxPerSecond !== undefined &&
    !(Number.isInteger(maxPerSecond) && maxPerSecond >= 1 && maxPerSecond <= 500)
  )
    throw new ReplayOptionsError(`max-per-second must be a whole number from 1 to 500 (got ${maxPerSecond})`);
  if (
    visibilityTimeoutSeconds !== undefined &&
    !(
      Number.isInteger(visibilityTimeoutSeconds) &&
      visibilityTimeoutSeconds >= 1 &&
      visibilityTimeoutSeconds <= 43_200
    )
  )
    throw new ReplayOptionsError(
      `visibility timeout must be 1–43200 seconds (got ${visibilityTimeoutSeconds}), the SQS range`,
    );
  if (options.mode === ReplayMode.NATIVE) {
    const filters = [
      options.dryRun ? '--dry-run' : '',
      options.prefix ? '--prefix' : '',
      max !== undefined ? '--max' : '',
      options.includePoison ? '' : 'skipping poison (add --include-poison)',
    ].filter(Boolean);
    if (filters.length > 0)
      throw new ReplayOptionsError(
        `the native SQS move task moves every message and cannot honour: ${filters.join(', ')}; use the manual mode`,
      );
  }
};

/** True when the request can be served by the server-side move task (it cannot filter or peek). */
const nativeCanServe = (options: ReplayOptions): boolean =>
  !options.dryRun && !options.prefix && options.max === undefined && options.includePoison === true;

/**
 * Move messages from the DLQ back to the ingest queue.
 *
 * Native mode starts an SQS message move task and follows it until it ends. The manual mover receives,
 * sends to the ingest queue, then deletes from the DLQ only what was sent: a crash between the two
 * duplicates a message (harmless, the pipeline is idempotent) but never loses one. Poison messages and
 * messages outside `prefix` are held hidden for the run and released at the end, so they stay in the DLQ.
 */
export const replayDlq = async (options: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> => {
  validate(options);
  const mode = options.mode ?? ReplayMode.AUTO;
  if (mode === ReplayMode.NATIVE || (mode === ReplayMode.AUTO && nativeCanServe(options))) {
    try {
      return await replayNative(options, deps);
    } catch (error) {
      if (!(error instanceof MoveTaskUnsupportedError) || mode === ReplayMode.NATIVE) throw error;
      return replayManual(options, deps, `${error.message}; used the manual mover`);
    }
  }
  return replayManual(options, deps);
};

const emptySummary = {
  dryRun: false,
  selected: 0,
  skipped: 0,
  skippedPoison: 0,
  skippedPrefix: 0,
  failed: 0,
  notDeleted: 0,
  historyErrors: 0,
  messages: [],
  messagesTruncated: false,
} as const;

const replayNative = async (options: ReplayOptions, deps: ReplayDeps): Promise<ReplaySummary> => {
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const deadline = now() + (options.timeoutMs ?? 900_000);
  const total = await deps.queues.approximateDepth().catch(() => undefined);
  const taskHandle = await deps.queues.startMoveTask(options.maxPerSecond);
  let task: MoveTask = { taskHandle, status: 'RUNNING', approximateMoved: 0 };
  // Bounded by the deadline; the task reports approximate counts that only settle when it ends.
  while (now() < deadline) {
    task = (await deps.queues.latestMoveTask()) ?? task;
    deps.onProgress?.({
      mode: 'native',
      ...(task.approximateToMove !== undefined ? { total: task.approximateToMove } : total ? { total } : {}),
      received: task.approximateMoved,
      moved: task.approximateMoved,
      skipped: 0,
      failed: 0,
    });
    if (FINAL_TASK_STATES.has(task.status)) break;
    await sleep(options.pollIntervalMs ?? 2000);
  }
  const failed =
    task.status === 'FAILED' && task.approximateToMove !== undefined
      ? Math.max(0, task.approximateToMove - task.approximateMoved)
      : 0;
  return {
    ...emptySummary,
    mode: 'native',
    selected: task.approximateToMove ?? task.approximateMoved,
    moved: task.approximateMoved,
    failed,
    stoppedEarly: !FINAL_TASK_STATES.has(task.status),
    task,
  };
};

interface Held {
  receiptHandle: string;
}

const replayManual = async (
  options: ReplayOptions,
  deps: ReplayDeps,
  fallbackReason?: string,
): Promise<ReplaySummary> => {
  const { queues } = deps;
  const now = deps.now ?? Date.now;
  const dryRun = options.dryRun ?? false;
  const visibility = options.visibilityTimeoutSeconds ?? 300;
  const waitTime = options.waitTimeSeconds ?? 1;
  const emptyToStop = Math.max(1, options.emptyReceivesToStop ?? 2);
  const deadline = now() + (options.timeoutMs ?? 900_000);
  const reportLimit = options.maxReportedMessages ?? 1000;
  const limiter = createRateLimiter(options.maxPerSecond, {
    now,
    ...(deps.sleep ? { sleep: deps.sleep } : {}),
  });
  const total = await queues.approximateDepth().catch(() => undefined);

  /** Messages to make visible again at the end (skipped, dry-run, failed sends), by message id. */
  const held = new Map<string, Held>();
  /** Messages already sent to the ingest queue: if one comes back (its delete failed), only delete it. */
  const sent = new Set<string>();
  const undeleted = new Set<string>();
  const messages: ReplayedMessage[] = [];
  const counts = {
    received: 0,
    selected: 0,
    moved: 0,
    skippedPoison: 0,
    skippedPrefix: 0,
    failed: 0,
    history: 0,
  };
  let handled = 0;
  let stoppedEarly = false;

  const report = (entry: ReplayedMessage): void => {
    handled += 1;
    if (messages.length < reportLimit) messages.push(entry);
  };
  const progress = (): void =>
    deps.onProgress?.({
      mode: 'manual',
      ...(total !== undefined ? { total } : {}),
      received: counts.received,
      moved: counts.moved,
      skipped: counts.skippedPoison + counts.skippedPrefix,
      failed: counts.failed,
    });

  const deleteSent = async (batch: readonly QueueMessage[]): Promise<void> => {
    if (batch.length === 0) return;
    const out = await queues.delete(batch.map((m, i) => ({ id: `d${i}`, receiptHandle: m.receiptHandle })));
    const ok = new Set(out.successful);
    batch.forEach((m, i) => {
      if (ok.has(`d${i}`)) undeleted.delete(m.messageId);
      else undeleted.add(m.messageId);
    });
  };

  const writeHistory = async (message: QueueMessage, files: ClassifiedMessage['files'], at: string) => {
    if (!deps.history) return;
    for (const file of files) {
      try {
        await deps.history.putStep({
          pk: filePartitionKey(file.bucket, file.key),
          sk: stepSortKey(at, HistoryStep.REPLAYED, message.messageId),
          recordType: 'STEP',
          step: HistoryStep.REPLAYED,
          bucket: file.bucket,
          key: file.key,
          at,
          detail: `DLQ message ${message.messageId} sent back to the ingest queue`,
        });
      } catch {
        counts.history += 1;
      }
    }
  };

  const move = async (batch: readonly { message: QueueMessage; classified: ClassifiedMessage }[]) => {
    if (batch.length === 0) return;
    await limiter.take(batch.length);
    // Taken before the send so the step sorts before the upload the replay causes.
    const at = new Date(now()).toISOString();
    // Entry ids are positions: unique in the call, valid SQS ids whatever the message id looks like.
    const out = await queues.send(
      batch.map(({ message }, i) => ({
        id: `s${i}`,
        body: message.body,
        messageAttributes: message.messageAttributes,
      })),
    );
    const ok = new Set(out.successful);
    const failures = new Map(out.failed.map((f) => [f.id, f.message]));
    const toDelete: { message: QueueMessage; classified: ClassifiedMessage }[] = [];
    for (const [i, { message, classified }] of batch.entries()) {
      const files = classified.files.map((f) => `${f.bucket}/${f.key}`);
      if (ok.has(`s${i}`)) {
        sent.add(message.messageId);
        counts.moved += 1;
        toDelete.push({ message, classified });
        report({ messageId: message.messageId, action: 'moved', kind: classified.kind, files });
      } else {
        counts.failed += 1;
        held.set(message.messageId, { receiptHandle: message.receiptHandle });
        report({
          messageId: message.messageId,
          action: 'failed',
          kind: classified.kind,
          files,
          error: failures.get(`s${i}`) ?? 'not acknowledged by SendMessageBatch',
        });
      }
    }
    // Send before delete: only what reached the ingest queue leaves the DLQ.
    await deleteSent(toDelete.map((m) => m.message));
    for (const { message, classified } of toDelete) await writeHistory(message, classified.files, at);
  };

  const release = async (): Promise<void> => {
    for (const batch of chunks([...held.values()], SQS_BATCH)) {
      try {
        await queues.changeVisibility(
          batch.map((h, i) => ({ id: `v${i}`, receiptHandle: h.receiptHandle })),
          0,
        );
      } catch {
        // Best effort: a message we fail to release reappears when its visibility timeout ends.
      }
    }
    held.clear();
  };

  try {
    let empties = 0;
    // Bounded: by the deadline, by `max`, and by consecutive receives that bring nothing new.
    while (true) {
      if (deps.signal?.aborted || now() >= deadline) {
        stoppedEarly = true;
        break;
      }
      if (options.max !== undefined && counts.selected >= options.max) break;
      const received = await queues.receive(SQS_BATCH, visibility, waitTime);
      // The same message can come twice in one receive; the last receipt handle is the valid one.
      const unique = new Map<string, QueueMessage>();
      for (const m of received) unique.set(m.messageId, m);
      let fresh = 0;
      const toMove: { message: QueueMessage; classified: ClassifiedMessage }[] = [];
      const sentAgain: QueueMessage[] = [];
      const overMax: QueueMessage[] = [];
      for (const message of unique.values()) {
        if (sent.has(message.messageId)) {
          sentAgain.push(message);
          continue;
        }
        const heldBefore = held.get(message.messageId);
        if (heldBefore) {
          // Its hold expired during a long run: hold it again under the new receipt handle.
          heldBefore.receiptHandle = message.receiptHandle;
          continue;
        }
        if (options.max !== undefined && counts.selected >= options.max) {
          overMax.push(message);
          continue;
        }
        fresh += 1;
        counts.received += 1;
        const classified = classifyDlqMessage(message);
        const files = classified.files.map((f) => `${f.bucket}/${f.key}`);
        const error = classified.error ? { error: classified.error } : {};
        if (classified.kind === 'poison' && !options.includePoison) {
          counts.skippedPoison += 1;
          held.set(message.messageId, { receiptHandle: message.receiptHandle });
          report({
            messageId: message.messageId,
            action: 'skipped-poison',
            kind: classified.kind,
            files,
            ...error,
          });
        } else if (options.prefix && !classified.files.some((f) => f.key.startsWith(options.prefix ?? ''))) {
          counts.skippedPrefix += 1;
          held.set(message.messageId, { receiptHandle: message.receiptHandle });
          report({
            messageId: message.messageId,
            action: 'skipped-prefix',
            kind: classified.kind,
            files,
            ...error,
          });
        } else {
          counts.selected += 1;
          if (dryRun) {
            held.set(message.messageId, { receiptHandle: message.receiptHandle });
            report({
              messageId: message.messageId,
              action: 'would-move',
              kind: classified.kind,
              files,
              ...error,
            });
          } else {
            toMove.push({ message, classified });
          }
        }
      }
      for (const m of overMax) held.set(m.messageId, { receiptHandle: m.receiptHandle });
      await move(toMove);
      await deleteSent(sentAgain);
      progress();
      empties = fresh === 0 ? empties + 1 : 0;
      if (empties >= emptyToStop) break;
    }
  } finally {
    await release();
  }

  return {
    mode: 'manual',
    dryRun,
    ...(fallbackReason ? { fallbackReason } : {}),
    selected: counts.selected,
    moved: counts.moved,
    skipped: counts.skippedPoison + counts.skippedPrefix,
    skippedPoison: counts.skippedPoison,
    skippedPrefix: counts.skippedPrefix,
    failed: counts.failed,
    notDeleted: undeleted.size,
    historyErrors: counts.history,
    stoppedEarly,
    messages,
    messagesTruncated: handled > messages.length,
  };
};

/** Result of {@link cancelDlqReplay}. */
export interface CancelResult {
  /** False when no move task was running. */
  readonly cancelled: boolean;
  readonly task?: MoveTask;
  /** Approximate number of messages moved before the cancel. */
  readonly approximateMoved?: number;
}

/** Cancel the DLQ's running SQS move task, if there is one. */
export const cancelDlqReplay = async (queues: ReplayQueues): Promise<CancelResult> => {
  const task = await queues.latestMoveTask();
  if (task?.status !== 'RUNNING' || !task.taskHandle) return { cancelled: false, ...(task ? { task } : {}) };
  const approximateMoved = await queues.cancelMoveTask(task.taskHandle);
  return { cancelled: true, task, approximateMoved };
};
