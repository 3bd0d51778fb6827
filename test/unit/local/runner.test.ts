import {
  DeleteMessageBatchCommand,
  type DeleteMessageBatchRequestEntry,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { resolvePipelineSettings } from '../../../src/config/settings.ts';
import { type BatchResult, type SqsBatchHandler, startRunner } from '../../../src/local/runner.ts';
import { silentRunnerLogger } from '../../../src/local/runnerLogger.ts';

/** An in-memory queue behind a fake SQS client: receives hand out at most `perReceive` messages. */
const fakeQueue = (count: number, perReceive = 10) => {
  const waiting: Message[] = Array.from({ length: count }, (_, i) => ({
    MessageId: `id-${i}`,
    ReceiptHandle: `rh-${i}`,
    Body: `{"n":${i}}`,
    MD5OfBody: 'x',
    Attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1',
      SenderId: 's',
      ApproximateFirstReceiveTimestamp: '1',
    },
  }));
  const deleteCalls: DeleteMessageBatchRequestEntry[][] = [];
  const sqs = {
    send: async (command: unknown, options?: { abortSignal?: AbortSignal }) => {
      if (command instanceof ReceiveMessageCommand) {
        const max = Math.min(perReceive, command.input.MaxNumberOfMessages ?? 1);
        const taken = waiting.splice(0, max);
        if (taken.length === 0) {
          // An empty long poll: wait until aborted or the wait elapses.
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, (command.input.WaitTimeSeconds ?? 0) * 1000);
            options?.abortSignal?.addEventListener('abort', () => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        return { Messages: taken, $metadata: {} };
      }
      if (command instanceof DeleteMessageBatchCommand) {
        const entries = command.input.Entries ?? [];
        deleteCalls.push(entries);
        return { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [], $metadata: {} };
      }
      throw new Error('unexpected command');
    },
  } as unknown as SQSClient;
  return { sqs, deleteCalls, waiting };
};

const run = (
  sqs: SQSClient,
  handler: SqsBatchHandler,
  overrides: Parameters<typeof resolvePipelineSettings>[0],
) => {
  const batches: BatchResult[] = [];
  const runner = startRunner({
    sqs,
    queueUrl: 'http://local/q',
    queueArn: 'arn:aws:sqs:us-east-1:123456789012:q',
    region: 'us-east-1',
    settings: resolvePipelineSettings(overrides),
    handler,
    logger: silentRunnerLogger,
    pollWaitSeconds: 1,
    onBatch: (b) => batches.push(b),
  });
  return { runner, batches };
};

const until = async (check: () => boolean, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
};

describe('startRunner (on a fake queue)', () => {
  it('fills a batch within the batching window from several receives', async () => {
    // Prepare: the queue hands out 3 messages per receive
    const queue = fakeQueue(10, 3);
    const sizes: number[] = [];

    // Act
    const { runner } = run(
      queue.sqs,
      async (event: SQSEvent) => {
        sizes.push(event.Records.length);
      },
      { batchSize: 10, maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
    );
    await until(() => runner.counters().messagesDeleted === 10);
    await runner.stop();

    // Assess: two pollers share the 10, each invocation holding more than one receive's worth (3)
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(10);
    expect(sizes.length).toBeLessThanOrEqual(2);
    for (const size of sizes) expect(size).toBeGreaterThan(3);
  });

  it('never runs more than maxConcurrency batches at once', async () => {
    // Prepare
    const queue = fakeQueue(60);
    let running = 0;
    let peak = 0;

    // Act
    const { runner } = run(
      queue.sqs,
      async () => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 30));
        running--;
      },
      { batchSize: 5, maxBatchingWindowSeconds: 0, maxConcurrency: 3 },
    );
    await until(() => runner.counters().messagesDeleted === 60);
    await runner.stop();

    // Assess
    expect(peak).toBe(3);
    expect(runner.counters()).toMatchObject({ batches: 12, inFlight: 0 });
  });

  it('deletes a 25-message batch in calls of at most 10 entries with unique ids, except reported failures', async () => {
    // Prepare
    const queue = fakeQueue(25);

    // Act: the handler reports id-3 and id-17 as failed (in whichever batch they arrive)
    const { runner, batches } = run(
      queue.sqs,
      async (event: SQSEvent) => ({
        batchItemFailures: event.Records.filter((r) => ['id-3', 'id-17'].includes(r.messageId)).map((r) => ({
          itemIdentifier: r.messageId,
        })),
      }),
      { batchSize: 25, maxBatchingWindowSeconds: 1, maxConcurrency: 2 },
    );
    await until(() => runner.counters().messagesDeleted === 23 && runner.counters().inFlight === 0);
    await runner.stop();

    // Assess
    const deleted = queue.deleteCalls.flat().map((e) => e.ReceiptHandle);
    expect(queue.deleteCalls.every((call) => call.length <= 10)).toBe(true);
    for (const call of queue.deleteCalls) expect(new Set(call.map((e) => e.Id)).size).toBe(call.length);
    expect(deleted).toHaveLength(23);
    expect(deleted).not.toContain('rh-3');
    expect(deleted).not.toContain('rh-17');
    expect(batches.reduce((n, b) => n + b.retried, 0)).toBe(2);
    expect(batches.some((b) => b.outcome === 'PARTIAL')).toBe(true);
    expect(batches.some((b) => b.messageIds.length > 10)).toBe(true);
  });

  it('stops promptly when idle, and lets an in-flight invocation finish first', async () => {
    // Prepare: one batch whose handler takes 200 ms
    const queue = fakeQueue(1);
    let finished = false;
    const { runner } = run(
      queue.sqs,
      async () => {
        await new Promise((r) => setTimeout(r, 200));
        finished = true;
      },
      { maxConcurrency: 2, maxBatchingWindowSeconds: 0 },
    );
    await until(() => runner.counters().inFlight === 1);

    // Act
    const started = Date.now();
    await runner.stop();

    // Assess
    expect(finished).toBe(true);
    expect(runner.counters().messagesDeleted).toBe(1);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
