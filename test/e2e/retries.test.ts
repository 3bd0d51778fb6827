import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import type { LocalResources } from '../../src/local/provision.ts';
import type { SqsBatchHandler } from '../../src/local/runner.ts';
import { sampleFile } from '../../src/local/samples.ts';
import { DLQ_ATTRIBUTES, FileStatus, QuarantineReason } from '../../src/pipeline/constants.ts';
import {
  type LocalPipeline,
  type LocalPipelineOptions,
  prefixedNames,
  queueCounts,
  startLocalPipeline,
  uploadRecords,
  waitFor,
} from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

// A 1 s function timeout makes the visibility timeout 6 s, so a retry comes back within seconds.
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 1 });
const tunables = { timeSafetyMarginMs: 200 };
const started: LocalPipeline[] = [];

afterAll(async () => {
  await Promise.all(started.map((p) => p.runner.stop()));
});

/** A pipeline of its own (own buckets, queues, table) on the shared moto server. */
const pipelineFor = async (
  prefix: string,
  options: Partial<LocalPipelineOptions> = {},
): Promise<LocalPipeline> => {
  const pipeline = await startLocalPipeline({
    endpoint: moto().endpoint,
    settings,
    names: prefixedNames(prefix),
    tunables,
    ...options,
  });
  started.push(pipeline);
  return pipeline;
};

const upload = (clients: AwsClients, bucket: string, key: string, kind: 'txt' | 'png' = 'png') =>
  clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: sampleFile(kind).bytes }));

const uploadThree = async (clients: AwsClients, r: LocalResources) => {
  for (const key of ['one.png', 'two.png', 'three.png']) await upload(clients, r.inputBucket, key);
};

const exists = (clients: AwsClients, bucket: string, key: string) =>
  clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );

/** Wait until `count` files have records and the queue is empty. */
const drained = (p: LocalPipeline, count: number) =>
  waitFor(
    `${count} records and an empty queue`,
    async () => {
      const c = await queueCounts(p.clients, p.resources.queueUrl);
      return (
        c.visible + c.inFlight === 0 &&
        (await uploadRecords(p.clients, p.resources.tableName)).length >= count
      );
    },
    { timeoutMs: 90_000, intervalMs: 300 },
  );

/** Records every invocation's messages and their receive counts, and misbehaves on the first one. */
const firstInvocation = (
  misbehave: (real: SqsBatchHandler, ...args: Parameters<SqsBatchHandler>) => Promise<unknown>,
) => {
  const invocations: { messageId: string; receiveCount: number }[][] = [];
  const remainingAtStart: number[] = [];
  const wrap =
    (real: SqsBatchHandler): SqsBatchHandler =>
    async (event: SQSEvent, context) => {
      remainingAtStart.push(context.getRemainingTimeInMillis());
      invocations.push(
        event.Records.map((r) => ({
          messageId: r.messageId,
          receiveCount: Number(r.attributes.ApproximateReceiveCount),
        })),
      );
      return invocations.length === 1 ? misbehave(real, event, context) : real(event, context);
    };
  return { wrap, invocations, remainingAtStart };
};

/** Every message of the first (failed) invocation came back once more, with ApproximateReceiveCount 2. */
const expectFirstBatchRedelivered = (invocations: { messageId: string; receiveCount: number }[][]) => {
  const [first = [], ...later] = invocations;
  expect(first.length).toBeGreaterThan(0);
  const redelivered = new Map(later.flat().map((m) => [m.messageId, m.receiveCount]));
  for (const m of first) {
    expect(m.receiveCount).toBe(1);
    expect(redelivered.get(m.messageId), m.messageId).toBe(2);
  }
};

describe('retry semantics of the local runner with the real handler', () => {
  it.concurrent('quarantines a file that fails on every receive as PROCESSING_FAILED after MAX_RECEIVES receives', async () => {
    // Prepare: reading poison.txt always fails (a transient-looking error)
    let poisonReads = 0;
    const p = await pipelineFor('always-fails', {
      deps: (clients) => {
        const real = createS3ObjectStore(clients.s3);
        return {
          objectStore: {
            ...real,
            readPrefix: async (ref) => {
              if (ref.key !== 'poison.txt') return real.readPrefix(ref);
              poisonReads++;
              throw new Error('injected fault: storage unavailable');
            },
          },
        };
      },
    });
    const { clients, resources } = p;

    // Act
    await upload(clients, resources.inputBucket, 'poison.txt', 'txt');
    await upload(clients, resources.inputBucket, 'fine.png');
    await drained(p, 2);

    // Assess
    const records = await uploadRecords(clients, resources.tableName);
    const poison = records.find((r) => r.key === 'poison.txt');
    expect(poison).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      receiveCount: settings.maxReceiveCount,
    });
    expect(poison?.error).toContain('injected fault');
    expect(poisonReads).toBe(settings.maxReceiveCount);
    expect(await exists(clients, resources.quarantineBucket, poison?.quarantineKey ?? '')).toBe(true);
    expect(await exists(clients, resources.inputBucket, 'poison.txt')).toBe(false);
    expect(records.find((r) => r.key === 'fine.png')?.status).toBe(FileStatus.PROCESSED);
    expect(await queueCounts(clients, resources.dlqUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(p.runner.counters().itemFailures).toBe(settings.maxReceiveCount - 1);
  });

  it.concurrent('retries the whole batch when the handler throws', async () => {
    // Prepare
    const probe = firstInvocation(async () => {
      throw new Error('boom');
    });
    const p = await pipelineFor('throws', { wrap: probe.wrap, beforeStart: uploadThree });

    // Act
    await drained(p, 3);

    // Assess
    expectFirstBatchRedelivered(probe.invocations);
    const records = await uploadRecords(p.clients, p.resources.tableName);
    expect(records.map((r) => r.status)).toEqual([
      FileStatus.PROCESSED,
      FileStatus.PROCESSED,
      FileStatus.PROCESSED,
    ]);
    expect(p.runner.counters()).toMatchObject({ errors: 1, batchFailures: 1 });
    expect(p.batches[0]).toMatchObject({ outcome: 'ERROR', deleted: 0 });
  });

  it.concurrent('retries the whole batch when the handler runs past the function timeout', async () => {
    // Prepare: the first invocation takes 2.5 s with a 1 s timeout
    const probe = firstInvocation(async () => {
      await new Promise((r) => setTimeout(r, 2500));
      return { batchItemFailures: [] };
    });
    const p = await pipelineFor('times-out', { wrap: probe.wrap, beforeStart: uploadThree });

    // Act
    await drained(p, 3);

    // Assess
    expectFirstBatchRedelivered(probe.invocations);
    for (const remaining of probe.remainingAtStart) {
      expect(remaining).toBeGreaterThan(0);
      expect(remaining).toBeLessThanOrEqual(1000);
    }
    expect(p.runner.counters()).toMatchObject({ timeouts: 1, batchFailures: 1 });
    expect(p.batches[0]).toMatchObject({ outcome: 'TIMEOUT', deleted: 0 });
  });

  it.concurrent('retries the whole batch when the response names an empty itemIdentifier', async () => {
    // Prepare: the handler does its work, then answers with a malformed response
    const probe = firstInvocation(async (real, event, context) => {
      await real(event, context);
      return { batchItemFailures: [{ itemIdentifier: '' }] };
    });
    const p = await pipelineFor('malformed', { wrap: probe.wrap, beforeStart: uploadThree });

    // Act
    await drained(p, 3);
    await waitFor('the redelivered batch', async () => p.runner.counters().messagesDeleted >= 4, {
      timeoutMs: 30_000,
    });

    // Assess: everything came back and was processed again (the same records rewritten)
    expectFirstBatchRedelivered(probe.invocations);
    const records = await uploadRecords(p.clients, p.resources.tableName);
    expect(records).toHaveLength(3);
    expect(p.runner.counters()).toMatchObject({ malformed: 1, batchFailures: 1 });
    expect(p.batches[0]).toMatchObject({ outcome: 'MALFORMED', deleted: 0 });
  });

  it.concurrent('acknowledges the s3:TestEvent without a record, and sends a non-S3 message to the DLQ', async () => {
    // Prepare: provisioning put the s3:TestEvent on the queue; add a message that is no S3 event at all
    const p = await pipelineFor('test-event', {
      beforeStart: async (clients, r) => {
        await clients.sqs.send(
          new SendMessageCommand({ QueueUrl: r.queueUrl, MessageBody: 'not an S3 event' }),
        );
      },
    });

    // Act
    await waitFor('the queue to drain', async () => {
      const c = await queueCounts(p.clients, p.resources.queueUrl);
      return c.visible + c.inFlight === 0 && p.runner.counters().messagesDeleted >= 2;
    });

    // Assess
    expect(await uploadRecords(p.clients, p.resources.tableName)).toEqual([]);
    expect(p.runner.counters()).toMatchObject({ messagesDeleted: 2, batchFailures: 0, itemFailures: 0 });
    const { Messages = [] } = await p.clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: p.resources.dlqUrl,
        MaxNumberOfMessages: 10,
        MessageAttributeNames: ['All'],
        WaitTimeSeconds: 1,
      }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['not an S3 event']);
    expect(Messages[0]?.MessageAttributes?.[DLQ_ATTRIBUTES.error]?.StringValue).toBeTruthy();
  });
});
