import { HistoryStep } from '../pipeline/constants.ts';
import { filePartitionKey, stepSortKey } from '../pipeline/recordKeys.ts';
import type { ClassifiedMessage } from './classifyDlqMessage.ts';
import type { QueueMessage } from './ports.ts';
import { createRateLimiter, type RateLimiter } from './rateLimiter.ts';
import type { ReplayDeps, ReplayedMessage, ReplayOptions, ReplaySummary } from './replayTypes.ts';

/** SQS batch calls take at most 10 entries. */
export const SQS_BATCH = 10;

/** A DLQ message and what it holds. */
export interface Candidate {
  readonly message: QueueMessage;
  readonly classified: ClassifiedMessage;
}

/** Running counts of one manual replay. */
interface ManualCounts {
  received: number;
  selected: number;
  moved: number;
  skippedPoison: number;
  skippedPrefix: number;
  failed: number;
  historyErrors: number;
  /** Messages listed or not (the list stops at `maxReportedMessages`). */
  handled: number;
}

/** The state of one manual replay, shared by its steps (`replayManual.ts` runs them). */
export interface ManualRun {
  readonly options: ReplayOptions;
  readonly deps: ReplayDeps;
  readonly now: () => number;
  readonly limiter: RateLimiter;
  /** Approximate DLQ depth at the start, for the progress bar. */
  readonly total: number | undefined;
  /** Messages to make visible again at the end (skipped, dry-run, failed sends), by message id. */
  readonly held: Map<string, { receiptHandle: string }>;
  /** Messages already sent to the ingest queue: if one comes back (its delete failed), only delete it. */
  readonly sent: Set<string>;
  /** Sent but not (yet) deleted from the DLQ. */
  readonly undeleted: Set<string>;
  readonly messages: ReplayedMessage[];
  readonly counts: ManualCounts;
}

/** Resolve the options' defaults and read the DLQ depth once (best effort). */
export const startManualRun = async (options: ReplayOptions, deps: ReplayDeps): Promise<ManualRun> => {
  const now = deps.now ?? Date.now;
  return {
    options,
    deps,
    now,
    limiter: createRateLimiter(options.maxPerSecond, { now, ...(deps.sleep ? { sleep: deps.sleep } : {}) }),
    total: await deps.queues.approximateDepth().catch(() => undefined),
    held: new Map(),
    sent: new Set(),
    undeleted: new Set(),
    messages: [],
    counts: {
      received: 0,
      selected: 0,
      moved: 0,
      skippedPoison: 0,
      skippedPrefix: 0,
      failed: 0,
      historyErrors: 0,
      handled: 0,
    },
  };
};

/** The one place a listed message is built: a new column of the summary is added here. */
export const replayedMessage = (
  { message, classified }: Candidate,
  action: ReplayedMessage['action'],
  error?: string,
): ReplayedMessage => ({
  messageId: message.messageId,
  action,
  kind: classified.kind,
  files: classified.files.map((f) => `${f.bucket}/${f.key}`),
  ...(error !== undefined ? { error } : {}),
});

/** List a message in the summary (up to `maxReportedMessages`; the count goes on). */
export const report = (run: ManualRun, entry: ReplayedMessage): void => {
  run.counts.handled += 1;
  if (run.messages.length < (run.options.maxReportedMessages ?? 1000)) run.messages.push(entry);
};

/** Keep a message hidden for the rest of the run; {@link releaseHeld} makes it visible at the end. */
export const hold = (run: ManualRun, message: QueueMessage): void => {
  run.held.set(message.messageId, { receiptHandle: message.receiptHandle });
};

/** Tell the progress bar where the run stands. */
export const reportProgress = (run: ManualRun): void => {
  const { counts } = run;
  run.deps.onProgress?.({
    mode: 'manual',
    ...(run.total !== undefined ? { total: run.total } : {}),
    received: counts.received,
    moved: counts.moved,
    skipped: counts.skippedPoison + counts.skippedPrefix,
    failed: counts.failed,
  });
};

/** Delete sent messages from the DLQ, remembering those whose delete failed. */
export const deleteFromDlq = async (run: ManualRun, batch: readonly QueueMessage[]): Promise<void> => {
  if (batch.length === 0) return;
  const out = await run.deps.queues.delete(
    batch.map((m, i) => ({ id: `d${i}`, receiptHandle: m.receiptHandle })),
  );
  const ok = new Set(out.successful);
  batch.forEach((m, i) => {
    if (ok.has(`d${i}`)) run.undeleted.delete(m.messageId);
    else run.undeleted.add(m.messageId);
  });
};

/** Add a `REPLAYED` step to the history of each file of a moved message (when a writer is given). */
const writeReplayedSteps = async (run: ManualRun, { message, classified }: Candidate, at: string) => {
  const { history } = run.deps;
  if (!history) return;
  for (const file of classified.files) {
    try {
      await history.putStep({
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
      run.counts.historyErrors += 1;
    }
  }
};

/**
 * Send a batch to the ingest queue, then delete from the DLQ only what the send acknowledged: a crash
 * between the two duplicates a message (harmless, the pipeline is idempotent) but never loses one.
 */
export const moveToIngestQueue = async (run: ManualRun, batch: readonly Candidate[]): Promise<void> => {
  if (batch.length === 0) return;
  await run.limiter.take(batch.length);
  // Taken before the send so the step sorts before the upload the replay causes.
  const at = new Date(run.now()).toISOString();
  // Entry ids are positions: unique in the call, valid SQS ids whatever the message id looks like.
  const out = await run.deps.queues.send(
    batch.map(({ message }, i) => ({
      id: `s${i}`,
      body: message.body,
      messageAttributes: message.messageAttributes,
    })),
  );
  const ok = new Set(out.successful);
  const failures = new Map(out.failed.map((f) => [f.id, f.message]));
  const sent: Candidate[] = [];
  for (const [i, candidate] of batch.entries()) {
    const { message } = candidate;
    if (ok.has(`s${i}`)) {
      run.sent.add(message.messageId);
      run.counts.moved += 1;
      sent.push(candidate);
      report(run, replayedMessage(candidate, 'moved'));
    } else {
      run.counts.failed += 1;
      hold(run, message);
      const error = failures.get(`s${i}`) ?? 'not acknowledged by SendMessageBatch';
      report(run, replayedMessage(candidate, 'failed', error));
    }
  }
  await deleteFromDlq(
    run,
    sent.map((c) => c.message),
  );
  for (const candidate of sent) await writeReplayedSteps(run, candidate, at);
};

/** Make every held message visible again at once, so it stays in the DLQ for a later run. */
export const releaseHeld = async (run: ManualRun): Promise<void> => {
  const held = [...run.held.values()];
  for (let i = 0; i < held.length; i += SQS_BATCH) {
    const batch = held.slice(i, i + SQS_BATCH);
    try {
      await run.deps.queues.changeVisibility(
        batch.map((h, j) => ({ id: `v${j}`, receiptHandle: h.receiptHandle })),
        0,
      );
    } catch {
      // Best effort: a message we fail to release reappears when its visibility timeout ends.
    }
  }
  run.held.clear();
};

/** The final summary of a manual run. */
export const summariseManualRun = (
  run: ManualRun,
  stoppedEarly: boolean,
  fallbackReason: string | undefined,
): ReplaySummary => {
  const { counts } = run;
  return {
    mode: 'manual',
    dryRun: run.options.dryRun ?? false,
    ...(fallbackReason ? { fallbackReason } : {}),
    selected: counts.selected,
    moved: counts.moved,
    skipped: counts.skippedPoison + counts.skippedPrefix,
    skippedPoison: counts.skippedPoison,
    skippedPrefix: counts.skippedPrefix,
    failed: counts.failed,
    notDeleted: run.undeleted.size,
    historyErrors: counts.historyErrors,
    stoppedEarly,
    messages: run.messages,
    messagesTruncated: counts.handled > run.messages.length,
  };
};
