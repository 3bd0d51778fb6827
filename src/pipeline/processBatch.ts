import pLimit from 'p-limit';
import { ALERT_FAILED_STATUS, type AlertFile, buildAlert } from './alerts.ts';
import { writeRecordsWithManifest } from './batchManifest.ts';
import { type BatchItemFailuresResponse, checkBatchResponse } from './checkBatchResponse.ts';
import { describeError } from './classifyError.ts';
import { DLQ_ATTRIBUTES, FileStatus } from './constants.ts';
import { TransientError } from './errors.ts';
import type { IngestPipelineConfig } from './ingestPipelineConfig.ts';
import type {
  AlertPublisher,
  Clock,
  DeadLetterSender,
  IngestMessage,
  LoggerPort,
  MetadataStore,
  MetricsPort,
  ObjectStore,
  Random,
  Sleep,
  TimeBudget,
} from './ports.ts';
import { IngestMetric, MetricUnit } from './ports.ts';
import { type FileOutcome, processFile } from './processFile.ts';
import { quarantineAlertFields } from './quarantine.ts';
import { parseS3EventBody, type S3ObjectEvent } from './s3Event.ts';
import type { FileRecord } from './types.ts';
import { itemIdentity } from './writeRecords.ts';

/** The settings the batch pipeline uses (declared in ingestPipelineConfig.ts; HandlerConfig satisfies it). */
export type { IngestPipelineConfig } from './ingestPipelineConfig.ts';

/** Everything the batch pipeline talks to: ports, observability, time. */
export interface IngestPipelineDeps {
  readonly objectStore: ObjectStore;
  readonly metadataStore: MetadataStore;
  readonly alerts: AlertPublisher;
  readonly deadLetters: DeadLetterSender;
  readonly logger: LoggerPort;
  readonly metrics: MetricsPort;
  readonly clock: Clock;
  readonly sleep: Sleep;
  readonly random: Random;
}

/** What one batch did (the response plus figures for logs, tests and benchmarks). */
export interface IngestBatchOutcome {
  readonly response: BatchItemFailuresResponse;
  /** Records written to the table. */
  readonly written: readonly FileRecord[];
  readonly filesFailed: number;
  /** Files not started, or given up, because the time budget ran out. */
  readonly filesUnstarted: number;
  /** Redelivered files whose upload already had its final record: acknowledged, nothing rewritten. */
  readonly filesAlreadyFinished: number;
  readonly poisonMessages: number;
  readonly bytesRead: number;
  readonly tableRequests: number;
  readonly alertPublished: boolean;
}

interface FileTask {
  readonly event: S3ObjectEvent;
  readonly message: IngestMessage;
}

type TaskOutcome = FileOutcome | { readonly kind: 'unstarted' } | { readonly kind: 'abandoned' };

/** The messages of a batch, sorted: files to process, and poison messages for the DLQ. */
interface ParsedBatch {
  readonly tasks: FileTask[];
  readonly poison: { readonly message: IngestMessage; readonly error: unknown }[];
}

/** What the outcomes of the batch's files add up to, before the write. */
interface Tally {
  readonly records: FileRecord[];
  readonly alertFiles: AlertFile[];
  readonly failed: Set<string>;
  filesFailed: number;
  filesUnstarted: number;
  filesAlreadyFinished: number;
  bytesRead: number;
}

/** Step 1 — parse: each body is an S3 event (its files become tasks), a test event, or poison. */
export const parseBatch = (messages: readonly IngestMessage[], logger: LoggerPort): ParsedBatch => {
  const tasks: FileTask[] = [];
  const poison: { message: IngestMessage; error: unknown }[] = [];
  for (const message of messages) {
    const log = { messageId: message.messageId };
    let body: ReturnType<typeof parseS3EventBody>;
    try {
      body = parseS3EventBody(message.body);
    } catch (error) {
      poison.push({ message, error });
      continue;
    }
    if (body.kind === 'test') {
      logger.info('s3:TestEvent acknowledged', log);
      continue;
    }
    if (body.ignored > 0)
      logger.info('non-ObjectCreated records acknowledged', { ...log, ignored: body.ignored });
    for (const event of body.records) tasks.push({ event, message });
  }
  // Files on their last allowed receive start first: they need the time for the PROCESSING_FAILED
  // fallback, and a file left unstarted on its last receive goes to the DLQ. The sort is stable.
  tasks.sort((a, b) => b.message.receiveCount - a.message.receiveCount);
  return { tasks, poison };
};

/**
 * An object store that refuses to start a copy or a delete once the invocation has given the file up:
 * Lambda would have stopped the function, and a late move would race the redelivery.
 */
const storeWhileAlive = (store: ObjectStore, alive: () => boolean): ObjectStore => {
  const refuse = () => new TransientError('invocation time budget ran out: not starting a side effect');
  return {
    ...store,
    readPrefix: (ref) => store.readPrefix(ref),
    headObject: (ref) => store.headObject(ref),
    copyObject: (args) => (alive() ? store.copyObject(args) : Promise.reject(refuse())),
    deleteObject: (ref) => (alive() ? store.deleteObject(ref) : Promise.reject(refuse())),
  };
};

/**
 * Step 2 — run within the deadline: every file with bounded concurrency. A file not started before the
 * safety margin is `unstarted`; one still running when only half the margin is left is `abandoned`
 * (returning a partial response in time beats Lambda killing the invocation, which would retry the whole
 * batch). An abandoned file cannot start a copy or delete afterwards.
 */
export const runWithinDeadline = async (
  tasks: readonly FileTask[],
  budget: TimeBudget,
  marginMs: number,
  config: IngestPipelineConfig,
  deps: IngestPipelineDeps,
): Promise<TaskOutcome[]> => {
  const limit = pLimit(config.fileConcurrency);
  const abandonAtMs = Math.floor(marginMs / 2);
  let over = false;
  const fileDeps = { ...deps, objectStore: storeWhileAlive(deps.objectStore, () => !over) };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<TaskOutcome>((resolve) => {
    timer = setTimeout(
      () => {
        over = true;
        resolve({ kind: 'abandoned' });
      },
      Math.max(0, budget.remainingMs() - abandonAtMs),
    );
  });
  const runOne = async (task: FileTask): Promise<TaskOutcome> => {
    // Lambda stops the function at its timeout: a file not started in time is reported failed so SQS
    // redelivers it, instead of being cut off half-way.
    if (over || budget.remainingMs() < marginMs) return { kind: 'unstarted' };
    try {
      return await processFile(task.event, task.message, config, fileDeps);
    } catch (error) {
      return { kind: 'failed', error: describeError(error), bytesRead: 0 };
    }
  };
  try {
    return await Promise.all(tasks.map((task) => Promise.race([deadline, limit(() => runOne(task))])));
  } finally {
    clearTimeout(timer);
    over = true;
  }
};

/** Thrown when a call outlives the time the invocation can give it. */
class OutOfTimeError extends TransientError {}

/**
 * Wait for `work` at most `ms`: past that, the invocation must answer before Lambda's timeout (which
 * would return the whole batch), so the call is treated as failed; if it lands later, the redelivery
 * finds its result (a written record is recognised as final).
 */
const withinMs = <T>(work: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new OutOfTimeError(`${what}: no answer within ${ms} ms`)),
      Math.max(0, ms),
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
};

/** Step 3 — tally: records to write, files to retry (their messages fail), lines for the alert. */
export const tallyOutcomes = (
  tasks: readonly FileTask[],
  outcomes: readonly TaskOutcome[],
  budget: TimeBudget,
  logger: LoggerPort,
): Tally => {
  const tally: Tally = {
    records: [],
    alertFiles: [],
    failed: new Set<string>(),
    filesFailed: 0,
    filesUnstarted: 0,
    filesAlreadyFinished: 0,
    bytesRead: 0,
  };
  outcomes.forEach((outcome, i) => {
    const task = tasks[i] as FileTask;
    if (outcome.kind === 'record' || outcome.kind === 'finished') {
      tally.bytesRead += outcome.bytesRead;
      if (outcome.kind === 'record') tally.records.push(outcome.record);
      else tally.filesAlreadyFinished += 1;
      return;
    }
    tally.failed.add(task.message.messageId);
    tally.filesFailed += 1;
    let error: string;
    if (outcome.kind === 'unstarted' || outcome.kind === 'abandoned') {
      error =
        outcome.kind === 'unstarted'
          ? 'not started: invocation time budget exhausted'
          : 'given up: still running when the invocation time budget ran out';
      tally.filesUnstarted += 1;
      logger.warn(error, {
        messageId: task.message.messageId,
        key: task.event.key,
        receiveCount: task.message.receiveCount,
        remainingMs: budget.remainingMs(),
      });
    } else {
      error = outcome.error;
      tally.bytesRead += outcome.bytesRead;
    }
    tally.alertFiles.push({
      bucket: task.event.bucket,
      key: task.event.key,
      status: ALERT_FAILED_STATUS,
      error,
    });
  });
  return tally;
};

/**
 * Step 4 — write every record of the batch together; a record left unwritten fails exactly the messages
 * it came from (two deliveries of one event in a batch share one item: each message follows that item).
 */
export const writeBatchRecords = async (
  tally: Tally,
  budget: TimeBudget,
  marginMs: number,
  deps: IngestPipelineDeps,
): Promise<{ written: FileRecord[]; requests: number }> => {
  const writeFloorMs = Math.min(1000, marginMs);
  // Each BatchWriteItem call may use the time left but a quarter of the margin (kept for the alert and
  // the response).
  const store: MetadataStore = {
    ...deps.metadataStore,
    batchPut: (items) =>
      withinMs(deps.metadataStore.batchPut(items), budget.remainingMs() - marginMs / 4, 'BatchWriteItem'),
  };
  const write = await writeRecordsWithManifest(
    tally.records,
    { ...deps, metadataStore: store },
    {
      canWait: (ms) => budget.remainingMs() - ms > writeFloorMs,
    },
  );
  const unwritten = new Set(write.unwritten.map(itemIdentity));
  const messagesOfItem = new Map<string, Set<string>>();
  const lastRecordOfItem = new Map<string, FileRecord>();
  for (const record of tally.records) {
    const id = itemIdentity(record);
    const ids = messagesOfItem.get(id) ?? new Set<string>();
    ids.add(record.messageId);
    messagesOfItem.set(id, ids);
    lastRecordOfItem.delete(id);
    lastRecordOfItem.set(id, record);
  }
  const written: FileRecord[] = [];
  for (const [id, record] of lastRecordOfItem) {
    if (!unwritten.has(id)) {
      written.push(record);
      tally.alertFiles.push({
        bucket: record.bucket,
        key: record.key,
        status: record.status,
        ...(record.reason ? { reason: record.reason } : {}),
        ...(record.error ? { error: record.error } : {}),
        ...quarantineAlertFields(record),
      });
      continue;
    }
    for (const messageId of messagesOfItem.get(id) ?? []) tally.failed.add(messageId);
    tally.filesFailed += 1;
    tally.alertFiles.push({
      bucket: record.bucket,
      key: record.key,
      status: ALERT_FAILED_STATUS,
      error: `metadata write failed: ${write.lastError ?? 'unknown'}`,
    });
    deps.logger.error('record not written, message will be retried', {
      messageId: record.messageId,
      key: record.key,
      error: write.lastError,
    });
  }
  return { written, requests: write.requests };
};

/** Step 5 — alert: one SNS message per batch. A side channel: a failed publish never fails the files. */
export const publishBatchAlert = async (
  files: readonly AlertFile[],
  poisonMessages: number,
  config: IngestPipelineConfig,
  deps: IngestPipelineDeps,
  budget: TimeBudget,
  marginMs: number,
): Promise<boolean> => {
  const alert = buildAlert({ files, poisonMessages }, config.notifyMode, config.alertMaxKeys);
  if (!alert) return false;
  try {
    await withinMs(deps.alerts.publish(alert), budget.remainingMs() - marginMs / 4, 'SNS Publish');
    return true;
  } catch (error) {
    deps.metrics.add(IngestMetric.AlertPublishFailures, MetricUnit.Count, 1);
    deps.logger.error('alert publish failed', { error: describeError(error), subject: alert.subject });
    return false;
  }
};

/** Step 6 — respond: the checked partial-failure response. */
export const respond = (
  messages: readonly IngestMessage[],
  failed: ReadonlySet<string>,
  logger: LoggerPort,
): BatchItemFailuresResponse => {
  const { response, dropped } = checkBatchResponse(
    messages.map((m) => m.messageId),
    failed,
  );
  if (dropped.length > 0)
    logger.error('dropped batch item failures that name no message of this batch', { dropped });
  return response;
};

/**
 * Process one SQS batch of S3 event notifications: parse each body (poison → DLQ), run every file with
 * bounded concurrency within the time budget, tally, write all records with BatchWriteItem, send one
 * alert, emit metrics, and return the checked partial-failure response. Never throws for a partial failure.
 */
export const processBatch = async (
  messages: readonly IngestMessage[],
  budget: TimeBudget,
  config: IngestPipelineConfig,
  deps: IngestPipelineDeps,
): Promise<IngestBatchOutcome> => {
  const { logger } = deps;
  // The configured margin is capped at a quarter of the time this invocation starts with, so a short
  // function timeout (local runs, tests) still leaves most of its time for work instead of none.
  const marginMs = Math.min(config.timeSafetyMarginMs, Math.floor(budget.remainingMs() / 4));
  const { tasks, poison } = parseBatch(messages, logger);
  const dlqDeps: IngestPipelineDeps = {
    ...deps,
    deadLetters: {
      send: (m) => withinMs(deps.deadLetters.send(m), budget.remainingMs() - marginMs / 2, 'DLQ SendMessage'),
    },
  };
  const [outcomes, deadLetterResults] = await Promise.all([
    runWithinDeadline(tasks, budget, marginMs, config, deps),
    Promise.all(poison.map((p) => sendToDeadLetterQueue(p.message, p.error, dlqDeps))),
  ]);
  const tally = tallyOutcomes(tasks, outcomes, budget, logger);
  for (const sent of deadLetterResults) if (!sent.ok) tally.failed.add(sent.messageId);
  const write = await writeBatchRecords(tally, budget, marginMs, deps);
  const alertPublished = await publishBatchAlert(
    tally.alertFiles,
    poison.length,
    config,
    deps,
    budget,
    marginMs,
  );
  const response = respond(messages, tally.failed, logger);
  emitMetrics(deps.metrics, write.written, {
    filesFailed: tally.filesFailed,
    bytesRead: tally.bytesRead,
    poisonMessages: poison.length,
    failures: response.batchItemFailures.length,
  });
  logger.info('batch done', {
    messages: messages.length,
    files: tasks.length,
    written: write.written.length,
    filesFailed: tally.filesFailed,
    filesUnstarted: tally.filesUnstarted,
    filesAlreadyFinished: tally.filesAlreadyFinished,
    poisonMessages: poison.length,
    batchItemFailures: response.batchItemFailures.length,
    tableRequests: write.requests,
  });
  return {
    response,
    written: write.written,
    filesFailed: tally.filesFailed,
    filesUnstarted: tally.filesUnstarted,
    filesAlreadyFinished: tally.filesAlreadyFinished,
    poisonMessages: poison.length,
    bytesRead: tally.bytesRead,
    tableRequests: write.requests,
    alertPublished,
  };
};

/**
 * A body that is not an S3 event can never succeed: send it to the DLQ now, with the error attached, rather
 * than through `maxReceiveCount` pointless retries. `ok: false` when the send fails: the message is then
 * reported failed, so SQS keeps it.
 */
const sendToDeadLetterQueue = async (
  message: IngestMessage,
  error: unknown,
  deps: IngestPipelineDeps,
): Promise<{ messageId: string; ok: boolean }> => {
  const description = describeError(error);
  try {
    await deps.deadLetters.send({
      body: message.body,
      attributes: {
        [DLQ_ATTRIBUTES.error]: description,
        [DLQ_ATTRIBUTES.errorName]: error instanceof Error ? error.name : 'Error',
        [DLQ_ATTRIBUTES.sourceMessageId]: message.messageId,
        [DLQ_ATTRIBUTES.failedAt]: new Date(deps.clock.now()).toISOString(),
      },
    });
    deps.metrics.add(IngestMetric.PoisonMessages, MetricUnit.Count, 1);
    deps.logger.warn('poison message sent to the DLQ', { messageId: message.messageId, error: description });
    return { messageId: message.messageId, ok: true };
  } catch (sendError) {
    deps.logger.error('poison message could not be sent to the DLQ; reporting it failed', {
      messageId: message.messageId,
      error: description,
      sendError: describeError(sendError),
    });
    return { messageId: message.messageId, ok: false };
  }
};

const emitMetrics = (
  metrics: MetricsPort,
  written: readonly FileRecord[],
  figures: { filesFailed: number; bytesRead: number; poisonMessages: number; failures: number },
): void => {
  const byStatus = (status: FileStatus) => written.filter((r) => r.status === status).length;
  metrics.add(IngestMetric.FilesProcessed, MetricUnit.Count, byStatus(FileStatus.PROCESSED));
  metrics.add(IngestMetric.FilesGone, MetricUnit.Count, byStatus(FileStatus.GONE));
  metrics.add(IngestMetric.FilesQuarantinedTotal, MetricUnit.Count, byStatus(FileStatus.QUARANTINED));
  metrics.add(IngestMetric.FilesFailed, MetricUnit.Count, figures.filesFailed);
  metrics.add(IngestMetric.BytesSniffed, MetricUnit.Bytes, figures.bytesRead);
  metrics.add(IngestMetric.BatchItemFailures, MetricUnit.Count, figures.failures);
  const reasons = new Map<string, number>();
  for (const record of written)
    if (record.status === FileStatus.QUARANTINED && record.reason)
      reasons.set(record.reason, (reasons.get(record.reason) ?? 0) + 1);
  for (const [reason, count] of reasons)
    metrics.add(IngestMetric.FilesQuarantined, MetricUnit.Count, count, { reason });
  for (const record of written) {
    metrics.add(IngestMetric.ProcessingDuration, MetricUnit.Milliseconds, record.durationMs);
    metrics.add(IngestMetric.QueueLatency, MetricUnit.Milliseconds, record.queueLatencyMs);
  }
  metrics.flush();
};
