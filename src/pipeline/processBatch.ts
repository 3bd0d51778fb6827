import pLimit from 'p-limit';
import type { HandlerConfig } from '../config/handlerConfig.ts';
import { ALERT_FAILED_STATUS, type AlertFile, buildAlert } from './alerts.ts';
import { writeRecordsWithManifest } from './batchManifest.ts';
import { type BatchItemFailuresResponse, checkBatchResponse } from './checkBatchResponse.ts';
import { describeError } from './classifyError.ts';
import { DLQ_ATTRIBUTES, FileStatus } from './constants.ts';
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

/** The settings the batch pipeline uses (HandlerConfig satisfies it). */
export type IngestPipelineConfig = Pick<
  HandlerConfig,
  | 'quarantineBucket'
  | 'maxReceives'
  | 'sniffBytes'
  | 'fileConcurrency'
  | 'maxFileSizeBytes'
  | 'quarantineInPlaceBytes'
  | 'blockedTypes'
  | 'policy'
  | 'notifyMode'
  | 'alertMaxKeys'
  | 'timeSafetyMarginMs'
>;

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
export interface BatchOutcome {
  readonly response: BatchItemFailuresResponse;
  /** Records written to the table. */
  readonly written: readonly FileRecord[];
  readonly filesFailed: number;
  /** Files not started, or given up, because the time budget ran out. */
  readonly filesUnstarted: number;
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

/**
 * Process one SQS batch of S3 event notifications: parse each body (poison → DLQ), process every file
 * with bounded concurrency while the time budget allows, write all records with BatchWriteItem, send one
 * alert, emit metrics, and return the checked partial-failure response. Never throws for a partial failure.
 */
export const processBatch = async (
  messages: readonly IngestMessage[],
  budget: TimeBudget,
  config: IngestPipelineConfig,
  deps: IngestPipelineDeps,
): Promise<BatchOutcome> => {
  const { logger, metrics } = deps;
  // The configured margin is capped at a quarter of the time this invocation starts with, so a short
  // function timeout (local runs, tests) still leaves most of its time for work instead of none.
  const marginMs = Math.min(config.timeSafetyMarginMs, Math.floor(budget.remainingMs() / 4));
  const failed = new Set<string>();
  const tasks: FileTask[] = [];
  const deadLetterSends: Promise<{ messageId: string; ok: boolean }>[] = [];
  let poisonMessages = 0;

  for (const message of messages) {
    const log = { messageId: message.messageId };
    let body: ReturnType<typeof parseS3EventBody>;
    try {
      body = parseS3EventBody(message.body);
    } catch (error) {
      poisonMessages += 1;
      deadLetterSends.push(sendToDeadLetterQueue(message, error, deps));
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

  const limit = pLimit(config.fileConcurrency);
  // A file still running when only half the safety margin is left is given up (reported failed, so SQS
  // redelivers it): returning a partial response in time beats Lambda killing the invocation, which
  // would retry the whole batch. Its late side effects are safe: a redelivery recognises its own
  // quarantine copy.
  const abandonAtMs = Math.floor(marginMs / 2);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<TaskOutcome>((resolve) => {
    timer = setTimeout(() => resolve({ kind: 'abandoned' }), Math.max(0, budget.remainingMs() - abandonAtMs));
  });
  const [outcomes, deadLetterResults] = await Promise.all([
    Promise.all(
      tasks.map((task) =>
        Promise.race([
          deadline,
          limit(async (): Promise<TaskOutcome> => {
            // Lambda stops the function at its timeout: a file not started in time is reported failed
            // so SQS redelivers it, instead of being cut off half-way.
            if (budget.remainingMs() < marginMs) return { kind: 'unstarted' };
            try {
              return await processFile(task.event, task.message, config, deps);
            } catch (error) {
              return { kind: 'failed', error: describeError(error), bytesRead: 0 };
            }
          }),
        ]),
      ),
    ),
    Promise.all(deadLetterSends),
  ]).finally(() => clearTimeout(timer));
  for (const sent of deadLetterResults) if (!sent.ok) failed.add(sent.messageId);

  const records: FileRecord[] = [];
  const alertFiles: AlertFile[] = [];
  let filesFailed = 0;
  let filesUnstarted = 0;
  let bytesRead = 0;
  outcomes.forEach((outcome, i) => {
    const task = tasks[i] as FileTask;
    if (outcome.kind === 'record') {
      records.push(outcome.record);
      bytesRead += outcome.bytesRead;
      return;
    }
    failed.add(task.message.messageId);
    filesFailed += 1;
    let error: string;
    if (outcome.kind === 'unstarted' || outcome.kind === 'abandoned') {
      error =
        outcome.kind === 'unstarted'
          ? 'not started: invocation time budget exhausted'
          : 'given up: still running when the invocation time budget ran out';
      filesUnstarted += 1;
      logger.warn(error, {
        messageId: task.message.messageId,
        key: task.event.key,
        remainingMs: budget.remainingMs(),
      });
    } else {
      error = outcome.error;
      bytesRead += outcome.bytesRead;
    }
    alertFiles.push({ bucket: task.event.bucket, key: task.event.key, status: ALERT_FAILED_STATUS, error });
  });

  // Write every record of the batch together; a record left unwritten fails exactly the messages it came from.
  const writeFloorMs = Math.min(1000, marginMs);
  const write = await writeRecordsWithManifest(records, deps, {
    canWait: (ms) => budget.remainingMs() - ms > writeFloorMs,
  });
  const unwritten = new Set(write.unwritten.map(itemIdentity));
  // Two deliveries of one event in a batch share one item: each message's fate follows that item.
  const messagesOfItem = new Map<string, Set<string>>();
  const lastRecordOfItem = new Map<string, FileRecord>();
  for (const record of records) {
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
      alertFiles.push({
        bucket: record.bucket,
        key: record.key,
        status: record.status,
        ...(record.reason ? { reason: record.reason } : {}),
        ...(record.error ? { error: record.error } : {}),
        ...quarantineAlertFields(record),
      });
      continue;
    }
    for (const messageId of messagesOfItem.get(id) ?? []) failed.add(messageId);
    filesFailed += 1;
    alertFiles.push({
      bucket: record.bucket,
      key: record.key,
      status: ALERT_FAILED_STATUS,
      error: `metadata write failed: ${write.lastError ?? 'unknown'}`,
    });
    logger.error('record not written, message will be retried', {
      messageId: record.messageId,
      key: record.key,
      error: write.lastError,
    });
  }

  let alertPublished = false;
  const alert = buildAlert({ files: alertFiles, poisonMessages }, config.notifyMode, config.alertMaxKeys);
  if (alert) {
    try {
      await deps.alerts.publish(alert);
      alertPublished = true;
    } catch (error) {
      // Alerts are a side channel: a failed publish is logged and counted, and never fails the files.
      metrics.add(IngestMetric.AlertPublishFailures, MetricUnit.Count, 1);
      logger.error('alert publish failed', { error: describeError(error), subject: alert.subject });
    }
  }

  const { response, dropped } = checkBatchResponse(
    messages.map((m) => m.messageId),
    failed,
  );
  if (dropped.length > 0)
    logger.error('dropped batch item failures that name no message of this batch', { dropped });

  emitMetrics(deps.metrics, written, {
    filesFailed,
    bytesRead,
    poisonMessages,
    failures: response.batchItemFailures.length,
  });
  logger.info('batch done', {
    messages: messages.length,
    files: tasks.length,
    written: written.length,
    filesFailed,
    filesUnstarted,
    poisonMessages,
    batchItemFailures: response.batchItemFailures.length,
    tableRequests: write.requests,
  });
  return {
    response,
    written,
    filesFailed,
    filesUnstarted,
    poisonMessages,
    bytesRead,
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
