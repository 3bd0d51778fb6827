import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { type PipelineSettings, validatePipelineSettings } from '../config/settings.ts';
import { interpretBatchResponse } from './batchResponse.ts';
import { createLambdaContext } from './lambdaContext.ts';
import { createRunnerLogger, type RunnerLogger } from './runnerLogger.ts';
import { toSqsEvent } from './sqsEvent.ts';

/** A Lambda handler for SQS events. Its result is read as a partial batch response. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<unknown>;

/** How one invocation ended. */
export const InvocationOutcome = {
  /** Every message was deleted. */
  SUCCEEDED: 'SUCCEEDED',
  /** Some messages were reported in batchItemFailures and left for redelivery. */
  PARTIAL: 'PARTIAL',
  /** The handler threw or rejected: the whole batch is left for redelivery. */
  ERROR: 'ERROR',
  /** The handler did not finish within the function timeout: the whole batch is left. */
  TIMEOUT: 'TIMEOUT',
  /** The invocation's process died mid-batch (an injected crash): the whole batch is left. */
  CRASHED: 'CRASHED',
  /** The response broke the partial-batch contract: the whole batch is left. */
  MALFORMED: 'MALFORMED',
} as const;
export type InvocationOutcome = (typeof InvocationOutcome)[keyof typeof InvocationOutcome];

/** What happened to one batch (passed to `onBatch`). */
export interface BatchResult {
  /** 1, 2, 3… in invocation order. */
  readonly batch: number;
  readonly messageIds: readonly string[];
  readonly outcome: InvocationOutcome;
  /** Messages deleted from the queue after the invocation. */
  readonly deleted: number;
  /** Messages left to come back after the visibility timeout. */
  readonly retried: number;
  readonly durationMs: number;
  /** The error, timeout or contract violation, for the failed outcomes. */
  readonly error?: string;
}

/** Running totals, for tests, benchmarks and `up`. */
export interface RunnerCounters {
  /** Invocations started. */
  batches: number;
  messagesReceived: number;
  messagesDeleted: number;
  /** Messages reported in batchItemFailures. */
  itemFailures: number;
  /** Invocations whose whole batch was left (errors + timeouts + malformed). */
  batchFailures: number;
  errors: number;
  timeouts: number;
  /** Invocations that crashed (injected): nothing deleted, the whole batch comes back. */
  crashes: number;
  malformed: number;
  /** Delete entries that failed (those messages will be processed again: at-least-once). */
  deleteFailures: number;
  receiveErrors: number;
  /**
   * ReceiveMessage calls the SDK had to send again (network error, 5xx). The messages a lost first
   * attempt took stay invisible until the visibility timeout, then come back: slower, never lost.
   */
  receiveRetries: number;
  /** Invocations running now. */
  inFlight: number;
}

/** Options of {@link startRunner}. */
export interface RunnerOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  /** Put in every record's `eventSourceARN`. */
  readonly queueArn: string;
  /** Put in every record's `awsRegion` and the context's function ARN. */
  readonly region: string;
  /** batchSize, maxBatchingWindowSeconds, maxConcurrency, functionTimeoutSeconds, visibility (for logs). */
  readonly settings: PipelineSettings;
  readonly handler: SqsBatchHandler;
  /** @default a human-readable logger on stdout */
  readonly logger?: RunnerLogger;
  /** @default 'silent-scalper-ingest' */
  readonly functionName?: string;
  /** Long-poll wait of each ReceiveMessage, 1–20 s; Lambda's pollers use 20. @default 20 */
  readonly pollWaitSeconds?: number;
  /** Aborting it stops the runner gracefully, like {@link Runner.stop}. */
  readonly signal?: AbortSignal;
  /** Called after every batch. */
  readonly onBatch?: (result: BatchResult) => void;
  /**
   * Crash injection: called once per invocation; a number makes the invocation's process "die" that many
   * ms after it started (nothing is deleted, the runner stops waiting for it). @default never
   */
  readonly crashAfterMs?: () => number | undefined;
}

/** A started runner. */
export interface Runner {
  /** A snapshot of the running totals. */
  counters(): RunnerCounters;
  /** Stop polling, let in-flight invocations finish (bounded by the function timeout), then resolve. */
  stop(): Promise<void>;
  /** Resolves once the runner has stopped. */
  readonly done: Promise<void>;
}

/** DeleteMessageBatch takes at most 10 entries. */
const DELETE_BATCH_MAX = 10;
/** ReceiveMessage returns at most 10 messages. */
const RECEIVE_MAX = 10;

/**
 * Play Lambda's SQS event source mapping against a queue
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html):
 * `maxConcurrency` pollers long-poll the queue; each builds a batch of up to `batchSize` messages (waiting
 * up to `maxBatchingWindowSeconds` to fill it), invokes the handler with an `SQSEvent` and a `Context`
 * whose remaining time counts down the function timeout, then deletes the messages that succeeded.
 * A thrown error, a timeout or a malformed response deletes nothing: the messages come back after the
 * visibility timeout and SQS moves them to the DLQ after `maxReceiveCount` receives, as in AWS.
 * Unlike Lambda, a timed-out or crashed handler cannot be frozen: its promise is abandoned but keeps
 * running. Its late work is like work whose response was lost (the pipeline recognises it on the
 * redelivery), and the pipeline itself starts no copy or delete after its own deadline.
 */
export const startRunner = (options: RunnerOptions): Runner => {
  const { sqs, queueUrl, settings, handler } = options;
  const logger = options.logger ?? createRunnerLogger();
  const functionName = options.functionName ?? 'silent-scalper-ingest';
  // The same guards as `cdk synth`: a visibility timeout under 6 × the timeout would redeliver live batches.
  validatePipelineSettings(settings);
  const pollWaitSeconds = options.pollWaitSeconds ?? 20;
  if (!Number.isInteger(pollWaitSeconds) || pollWaitSeconds < 1 || pollWaitSeconds > 20)
    throw new RangeError(`pollWaitSeconds must be an integer from 1 to 20 (got ${pollWaitSeconds})`);
  const timeoutMs = settings.functionTimeoutSeconds * 1000;
  const source = { queueArn: options.queueArn, region: options.region };

  const counters: RunnerCounters = {
    batches: 0,
    messagesReceived: 0,
    messagesDeleted: 0,
    itemFailures: 0,
    batchFailures: 0,
    errors: 0,
    timeouts: 0,
    crashes: 0,
    malformed: 0,
    deleteFailures: 0,
    receiveErrors: 0,
    receiveRetries: 0,
    inFlight: 0,
  };
  let stopping = false;
  const pollAbort = new AbortController();
  const wakeSleepers = new Set<() => void>();

  /** Sleep, but wake up at once when the runner stops. */
  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopping) return resolve();
      const wake = () => {
        clearTimeout(timer);
        wakeSleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      wakeSleepers.add(wake);
    });

  let consecutiveReceiveErrors = 0;
  const receive = async (max: number, waitSeconds: number): Promise<Message[]> => {
    if (stopping) return [];
    try {
      const { Messages = [], $metadata } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
          MessageSystemAttributeNames: ['All'],
          MessageAttributeNames: ['All'],
        }),
        { abortSignal: pollAbort.signal },
      );
      consecutiveReceiveErrors = 0;
      counters.receiveRetries += Math.max(0, ($metadata.attempts ?? 1) - 1);
      return Messages;
    } catch (error) {
      if (stopping) return [];
      counters.receiveErrors++;
      consecutiveReceiveErrors++;
      const backoffMs = Math.min(10_000, 500 * 2 ** Math.min(consecutiveReceiveErrors, 5));
      logger.error(
        `cannot receive from the queue (${(error as Error).message}); retrying in ${backoffMs} ms`,
        {
          event: 'receiveError',
          error: (error as Error).message,
          backoffMs,
        },
      );
      await pause(backoffMs);
      return [];
    }
  };

  /** One long poll, then more receives within the batching window until the batch is full. */
  const collectBatch = async (): Promise<Message[]> => {
    const batch = await receive(Math.min(RECEIVE_MAX, settings.batchSize), pollWaitSeconds);
    if (batch.length === 0 || batch.length >= settings.batchSize) return batch;
    const deadline = Date.now() + settings.maxBatchingWindowSeconds * 1000;
    while (batch.length < settings.batchSize && !stopping) {
      const leftMs = deadline - Date.now();
      if (leftMs <= 0) break;
      const waitSeconds = Math.min(20, Math.floor(leftMs / 1000));
      const more = await receive(Math.min(RECEIVE_MAX, settings.batchSize - batch.length), waitSeconds);
      batch.push(...more);
      if (more.length === 0 && waitSeconds === 0) await pause(Math.min(leftMs, 50));
    }
    return batch;
  };

  const deleteMessages = async (messages: readonly Message[], batch: number): Promise<number> => {
    let deleted = 0;
    for (let start = 0; start < messages.length; start += DELETE_BATCH_MAX) {
      const chunk = messages.slice(start, start + DELETE_BATCH_MAX);
      try {
        const { Successful = [], Failed = [] } = await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: queueUrl,
            // Entry ids must be unique within one call.
            Entries: chunk.map((m, i) => ({ Id: `m${start + i}`, ReceiptHandle: m.ReceiptHandle })),
          }),
        );
        deleted += Successful.length;
        counters.deleteFailures += Failed.length;
        for (const failure of Failed)
          logger.warn(
            `batch ${batch}: could not delete a message (${failure.Code}); it will be processed again`,
            {
              event: 'deleteFailed',
              batch,
              code: failure.Code,
            },
          );
      } catch (error) {
        counters.deleteFailures += chunk.length;
        logger.warn(
          `batch ${batch}: could not delete ${chunk.length} messages (${(error as Error).message}); they will be processed again`,
          { event: 'deleteFailed', batch, error: (error as Error).message },
        );
      }
    }
    return deleted;
  };

  type Settled =
    | { kind: 'returned'; value: unknown }
    | { kind: 'threw'; error: unknown }
    | { kind: 'timeout' }
    | { kind: 'crashed'; afterMs: number };

  const invoke = async (messages: readonly Message[]): Promise<void> => {
    const batch = ++counters.batches;
    counters.inFlight++;
    counters.messagesReceived += messages.length;
    const messageIds = messages.map((m) => m.MessageId ?? '');
    const started = Date.now();
    const context = createLambdaContext({
      functionName,
      timeoutMs,
      memorySizeMb: settings.memorySizeMb,
      region: options.region,
    });
    const event = toSqsEvent(messages, source);
    let timer: NodeJS.Timeout | undefined;
    let crashTimer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<Settled>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'timeout' }), timeoutMs);
    });
    // A crash is a process that dies: Lambda gets no response, deletes nothing, and SQS hands the whole
    // batch out again after the visibility timeout — also the messages whose work was already done.
    const crashAt = options.crashAfterMs?.();
    const crashed = new Promise<Settled>((resolve) => {
      if (crashAt !== undefined && crashAt < timeoutMs)
        crashTimer = setTimeout(() => resolve({ kind: 'crashed', afterMs: crashAt }), Math.max(0, crashAt));
    });
    const ran: Promise<Settled> = Promise.resolve()
      .then(() => handler(event, context))
      .then(
        (value): Settled => ({ kind: 'returned', value }),
        (error: unknown): Settled => ({ kind: 'threw', error }),
      );
    const settled = await Promise.race([ran, timedOut, crashed]);
    clearTimeout(timer);
    clearTimeout(crashTimer);

    let outcome: InvocationOutcome;
    let toDelete: readonly Message[] = [];
    let error: string | undefined;
    if (settled.kind === 'crashed') {
      outcome = InvocationOutcome.CRASHED;
      error = `crashed after ${settled.afterMs} ms (injected)`;
      counters.crashes++;
    } else if (settled.kind === 'timeout') {
      outcome = InvocationOutcome.TIMEOUT;
      error = `timed out after ${settings.functionTimeoutSeconds} s`;
      counters.timeouts++;
    } else if (settled.kind === 'threw') {
      outcome = InvocationOutcome.ERROR;
      const e = settled.error as Error | undefined;
      error = `handler threw ${e?.name ?? 'Error'}: ${e?.message ?? String(settled.error)}`;
      counters.errors++;
    } else {
      const verdict = interpretBatchResponse(settled.value, messageIds);
      if (verdict.kind === 'malformed') {
        outcome = InvocationOutcome.MALFORMED;
        error = `malformed batch response: ${verdict.reason}`;
        counters.malformed++;
      } else {
        toDelete = messages.filter((m) => !verdict.failedIds.has(m.MessageId ?? ''));
        outcome = verdict.failedIds.size > 0 ? InvocationOutcome.PARTIAL : InvocationOutcome.SUCCEEDED;
        counters.itemFailures += verdict.failedIds.size;
      }
    }
    if (error) counters.batchFailures++;
    const deleted = toDelete.length > 0 ? await deleteMessages(toDelete, batch) : 0;
    counters.messagesDeleted += deleted;
    counters.inFlight--;

    const result: BatchResult = {
      batch,
      messageIds,
      outcome,
      deleted,
      retried: messages.length - toDelete.length,
      durationMs: Date.now() - started,
      ...(error ? { error } : {}),
    };
    const fields = { event: 'batch', ...result, messageIds: undefined, messages: messages.length };
    const head = `batch ${batch}: ${messages.length} message${messages.length === 1 ? '' : 's'}`;
    const later = `back after the ${settings.visibilityTimeoutSeconds} s visibility timeout`;
    if (outcome === InvocationOutcome.SUCCEEDED)
      logger.info(`${head} → ${deleted} done (${result.durationMs} ms)`, fields);
    else if (outcome === InvocationOutcome.PARTIAL)
      logger.warn(`${head} → ${deleted} done, ${result.retried} reported failed, ${later}`, fields);
    else logger.warn(`${head} → ${error}; all ${messages.length} ${later}`, fields);
    try {
      options.onBatch?.(result);
    } catch (error) {
      logger.error(`onBatch failed: ${(error as Error).message}`, { event: 'onBatchError' });
    }
  };

  const poller = async (): Promise<void> => {
    while (!stopping) {
      try {
        const messages = await collectBatch();
        if (messages.length > 0) await invoke(messages);
      } catch (error) {
        // Only a bug in the runner gets here: log it and keep polling, as Lambda's pollers would.
        logger.error(`runner error: ${(error as Error).message}`, { event: 'runnerError' });
        await pause(1000);
      }
    }
  };

  logger.info(
    `polling ${queueUrl}: up to ${settings.maxConcurrency} batches of ≤${settings.batchSize} at once (window ${settings.maxBatchingWindowSeconds} s), function timeout ${settings.functionTimeoutSeconds} s`,
    { event: 'start', queueUrl, ...settings },
  );
  const done = Promise.all(Array.from({ length: settings.maxConcurrency }, poller)).then(() => {
    logger.info('runner stopped', { event: 'stop', ...counters });
  });

  const stop = (): Promise<void> => {
    if (!stopping) {
      stopping = true;
      // Abandon idle long polls; invocations already running finish (each bounded by the timeout).
      pollAbort.abort();
      for (const wake of [...wakeSleepers]) wake();
    }
    return done;
  };
  if (options.signal) {
    if (options.signal.aborted) void stop();
    else options.signal.addEventListener('abort', () => void stop(), { once: true });
  }

  return { counters: () => ({ ...counters }), stop, done };
};
