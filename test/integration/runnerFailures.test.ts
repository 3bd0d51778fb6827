import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type BatchResult, InvocationOutcome, startRunner } from '../../src/local/runner.ts';
import { silentRunnerLogger } from '../../src/local/runnerLogger.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

/** A 1 s function timeout: the queue's visibility timeout is 6 s (6 × the timeout, as the stack sets it). */
const settings = resolvePipelineSettings({
  functionTimeoutSeconds: 1,
  batchSize: 3,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 2,
});

/** A queue with three messages, and a runner whose handler misbehaves on its first invocation only. */
const scenario = async (name: string, firstInvocation: 'crash' | 'timeout') => {
  const clients = createAwsClients({ endpoint: moto().endpoint }, false);
  const { QueueUrl = '' } = await clients.sqs.send(
    new CreateQueueCommand({
      QueueName: name,
      Attributes: { VisibilityTimeout: String(settings.visibilityTimeoutSeconds) },
    }),
  );
  await clients.sqs.send(
    new SendMessageBatchCommand({
      QueueUrl,
      Entries: [0, 1, 2].map((i) => ({ Id: `m${i}`, MessageBody: `{"n":${i}}` })),
    }),
  );
  const invocations: { at: number; receiveCounts: string[]; ids: string[] }[] = [];
  const batches: BatchResult[] = [];
  let crashDraws = 0;
  const runner = startRunner({
    sqs: clients.sqs,
    queueUrl: QueueUrl,
    queueArn: `arn:aws:sqs:us-east-1:123456789012:${name}`,
    region: 'us-east-1',
    settings,
    logger: silentRunnerLogger,
    pollWaitSeconds: 1,
    onBatch: (b) => batches.push(b),
    // The first invocation's process dies 200 ms in, before it answers.
    crashAfterMs: () => (firstInvocation === 'crash' && ++crashDraws === 1 ? 200 : undefined),
    handler: async (event: SQSEvent) => {
      invocations.push({
        at: Date.now(),
        receiveCounts: event.Records.map((r) => r.attributes.ApproximateReceiveCount),
        ids: event.Records.map((r) => r.messageId).sort(),
      });
      const wait = invocations.length === 1 ? (firstInvocation === 'crash' ? 600 : 2000) : 0;
      await new Promise((r) => setTimeout(r, wait));
      return { batchItemFailures: [] };
    },
  });
  return { clients, QueueUrl, runner, invocations, batches };
};

const waitUntil = async (check: () => boolean, timeoutMs: number) => {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
};

describe('runner failures return the whole batch after the visibility timeout, as Lambda does', () => {
  for (const kind of ['crash', 'timeout'] as const) {
    it(`${kind}: nothing deleted, all three messages back after the visibility timeout, then done`, async () => {
      // Prepare
      const s = await scenario(`runner-${kind}`, kind);

      // Act: wait for the second invocation to finish
      await waitUntil(() => s.batches.length >= 2, 20_000);
      await s.runner.stop();

      // Assess
      const [first, second] = s.invocations;
      expect(s.batches[0]).toMatchObject({
        outcome: kind === 'crash' ? InvocationOutcome.CRASHED : InvocationOutcome.TIMEOUT,
        deleted: 0,
        retried: 3,
      });
      expect(second?.ids).toEqual(first?.ids);
      expect(second?.receiveCounts).toEqual(['2', '2', '2']);
      expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(
        settings.visibilityTimeoutSeconds * 1000 - 500,
      );
      expect(s.batches[1]).toMatchObject({ outcome: InvocationOutcome.SUCCEEDED, deleted: 3 });
      const { Attributes = {} } = await s.clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: s.QueueUrl, AttributeNames: ['All'] }),
      );
      expect(
        Number(Attributes.ApproximateNumberOfMessages) +
          Number(Attributes.ApproximateNumberOfMessagesNotVisible),
      ).toBe(0);
      expect(s.runner.counters()[kind === 'crash' ? 'crashes' : 'timeouts']).toBe(1);
    });
  }
});
