import { classifyDlqMessage } from './classifyDlqMessage.ts';
import type { QueueMessage } from './ports.ts';
import {
  type Candidate,
  deleteFromDlq,
  hold,
  type ManualRun,
  moveToIngestQueue,
  releaseHeld,
  replayedMessage,
  report,
  reportProgress,
  SQS_BATCH,
  startManualRun,
  summariseManualRun,
} from './replayManualRun.ts';
import type { ReplayDeps, ReplayOptions, ReplaySummary } from './replayTypes.ts';

/** What to do with the messages of one receive. */
interface Triage {
  /** Messages this run had not seen before. */
  fresh: number;
  toMove: Candidate[];
  /** Sent earlier but their delete failed: delete them, do not send them twice. */
  sentAgain: QueueMessage[];
  /** Received after `max` was reached: held, so they stay in the DLQ. */
  overMax: QueueMessage[];
}

const reachedMax = (run: ManualRun): boolean =>
  run.options.max !== undefined && run.counts.selected >= run.options.max;

/** Decide for one new message: skip it (poison, outside the prefix), list it (dry run) or move it. */
const select = (run: ManualRun, candidate: Candidate, toMove: Candidate[]): void => {
  const { options, counts } = run;
  const { message, classified } = candidate;
  const error = classified.error || undefined;
  if (classified.kind === 'poison' && !options.includePoison) {
    counts.skippedPoison += 1;
    hold(run, message);
    report(run, replayedMessage(candidate, 'skipped-poison', error));
  } else if (options.prefix && !classified.files.some((f) => f.key.startsWith(options.prefix ?? ''))) {
    counts.skippedPrefix += 1;
    hold(run, message);
    report(run, replayedMessage(candidate, 'skipped-prefix', error));
  } else if (options.dryRun) {
    counts.selected += 1;
    hold(run, message);
    report(run, replayedMessage(candidate, 'would-move', error));
  } else {
    counts.selected += 1;
    toMove.push(candidate);
  }
};

/** Sort one receive into messages to move, to delete again, to hold, and new ones to select from. */
const triage = (run: ManualRun, received: readonly QueueMessage[]): Triage => {
  // The same message can come twice in one receive; the last receipt handle is the valid one.
  const unique = new Map<string, QueueMessage>();
  for (const m of received) unique.set(m.messageId, m);
  const result: Triage = { fresh: 0, toMove: [], sentAgain: [], overMax: [] };
  for (const message of unique.values()) {
    const heldBefore = run.held.get(message.messageId);
    if (run.sent.has(message.messageId)) result.sentAgain.push(message);
    // Its hold expired during a long run: hold it again under the new receipt handle.
    else if (heldBefore) heldBefore.receiptHandle = message.receiptHandle;
    else if (reachedMax(run)) result.overMax.push(message);
    else {
      result.fresh += 1;
      run.counts.received += 1;
      select(run, { message, classified: classifyDlqMessage(message) }, result.toMove);
    }
  }
  return result;
};

/**
 * Manual mode: receive from the DLQ, send to the ingest queue, delete what was sent. Poison messages and
 * messages outside `prefix` (and, in a dry run, every message) are held hidden for the run and released
 * at the end, so one run sees each message once and leaves them in the DLQ.
 */
export const replayManual = async (
  options: ReplayOptions,
  deps: ReplayDeps,
  fallbackReason?: string,
): Promise<ReplaySummary> => {
  const deadline = (deps.now ?? Date.now)() + (options.timeoutMs ?? 900_000);
  const visibility = options.visibilityTimeoutSeconds ?? 300;
  const waitTime = options.waitTimeSeconds ?? 1;
  const emptyToStop = Math.max(1, options.emptyReceivesToStop ?? 2);
  const run = await startManualRun(options, deps);
  let stoppedEarly = false;
  try {
    let empties = 0;
    // Bounded: by the deadline, by `max`, and by consecutive receives that bring nothing new.
    while (true) {
      if (deps.signal?.aborted || run.now() >= deadline) {
        stoppedEarly = true;
        break;
      }
      if (reachedMax(run)) break;
      const batch = triage(run, await deps.queues.receive(SQS_BATCH, visibility, waitTime));
      for (const m of batch.overMax) hold(run, m);
      await moveToIngestQueue(run, batch.toMove);
      await deleteFromDlq(run, batch.sentAgain);
      reportProgress(run);
      empties = batch.fresh === 0 ? empties + 1 : 0;
      if (empties >= emptyToStop) break;
    }
  } finally {
    await releaseHeld(run);
  }
  return summariseManualRun(run, stoppedEarly, fallbackReason);
};
