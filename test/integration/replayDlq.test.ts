import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildIngestHandler } from '../../src/handlers/ingest.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { provisionLocal } from '../../src/local/provision.ts';
import { createDynamoOpsStore } from '../../src/ops/dynamoOpsStore.ts';
import type { ReplayQueues } from '../../src/ops/ports.ts';
import { replayDlq } from '../../src/ops/replayDlq.ts';
import { sqsReplayQueues } from '../../src/ops/sqsReplayQueues.ts';
import { DLQ_ATTRIBUTES } from '../../src/pipeline/constants.ts';
import { fileHistory } from '../../src/tracking/fileHistory.ts';
import { noMetrics, prefixedNames, queueCounts } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { failUntilDeadLettered, invokeOnQueue, receiveAll } from '../helpers/opsPipeline.ts';

const moto = useMoto();
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });

/** Decoded keys of the S3 records in these messages (poison bodies have none). */
const keysOf = (messages: readonly { Body?: string }[]): string[] =>
  messages
    .flatMap((m) => {
      try {
        return JSON.parse(m.Body ?? '{}').Records ?? [];
      } catch {
        return [];
      }
    })
    .map((r: { s3: { object: { key: string } } }) => decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')))
    .sort();

/**
 * A provisioned pipeline (own names) whose DLQ holds: the S3 events of `keys` (dead-lettered by a
 * consumer outage), the `s3:TestEvent` S3 sent when the notification was configured, and one poison
 * message the real handler sent there with its error attached.
 */
const dlqScenario = async (prefix: string, keys: readonly string[]) => {
  const clients = createAwsClients({ endpoint: moto().endpoint }, false);
  const r = await provisionLocal({ clients, settings, names: prefixedNames(prefix) });
  for (const key of keys)
    await clients.s3.send(
      new PutObjectCommand({ Bucket: r.inputBucket, Key: key, Body: `id,n\n${key},1\n` }),
    );
  await failUntilDeadLettered(clients, r.queueUrl, settings.maxReceiveCount);
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: r.queueUrl, MessageBody: 'not an S3 event' }));
  const handler = buildIngestHandler(localHandlerConfig(r, settings), {
    clients,
    logger: silentLogger,
    metrics: noMetrics,
  });
  await invokeOnQueue(clients, { url: r.queueUrl, arn: r.queueArn }, handler);
  const queues = sqsReplayQueues(clients.sqs, { dlqUrl: r.dlqUrl, ingestQueueUrl: r.queueUrl });
  return { clients, r, queues, handler };
};

describe('replay-dlq against moto', () => {
  it('moves exactly the chosen messages: S3 events under --prefix, never poison', async () => {
    // Prepare
    const { clients, r, queues } = await dlqScenario('rp1', ['in/a.csv', 'in/b c.csv', 'other/x.csv']);
    expect((await queueCounts(clients, r.dlqUrl)).visible).toBe(5);

    // Act
    const summary = await replayDlq({ prefix: 'in/', waitTimeSeconds: 0 }, { queues });

    // Assess
    expect(summary).toMatchObject({
      mode: 'manual',
      moved: 2,
      skippedPrefix: 1,
      skippedPoison: 2,
      failed: 0,
    });
    expect(keysOf(await receiveAll(clients, r.queueUrl))).toEqual(['in/a.csv', 'in/b c.csv']);
    const left = await receiveAll(clients, r.dlqUrl);
    expect(keysOf(left)).toEqual(['other/x.csv']);
    expect(left).toHaveLength(3);
    const poison = left.find((m) => m.Body === 'not an S3 event');
    expect(poison?.MessageAttributes?.[DLQ_ATTRIBUTES.error]?.StringValue).toBeTruthy();
  });

  it('dry run reports count, keys and poison errors, moves none, and leaves all visible at once', async () => {
    const { clients, r, queues } = await dlqScenario('rp2', ['d/1.csv', 'd/2.csv']);

    const summary = await replayDlq({ dryRun: true, waitTimeSeconds: 0 }, { queues });

    expect(summary).toMatchObject({ dryRun: true, selected: 2, moved: 0, skippedPoison: 2 });
    expect(
      summary.messages
        .filter((m) => m.action === 'would-move')
        .flatMap((m) => m.files)
        .sort(),
    ).toEqual([`${r.inputBucket}/d/1.csv`, `${r.inputBucket}/d/2.csv`]);
    const poison = summary.messages.filter((m) => m.action === 'skipped-poison');
    expect(poison.map((m) => m.error)).toEqual(expect.arrayContaining([expect.stringMatching(/.+/)]));
    expect(await queueCounts(clients, r.queueUrl)).toMatchObject({ visible: 0, inFlight: 0 });
    expect(await queueCounts(clients, r.dlqUrl)).toMatchObject({ visible: 4, inFlight: 0 });
  });

  it('a crash between send and delete loses nothing: the message is in the ingest queue and back in the DLQ', async () => {
    const { clients, r, queues } = await dlqScenario('rp3', ['crash/one.csv']);
    const crashing: ReplayQueues = {
      ...queues,
      delete: async () => {
        throw new Error('injected crash between send and delete');
      },
    };

    await expect(
      replayDlq({ prefix: 'crash/', visibilityTimeoutSeconds: 2, waitTimeSeconds: 0 }, { queues: crashing }),
    ).rejects.toThrow('injected crash');

    expect(keysOf(await receiveAll(clients, r.queueUrl))).toEqual(['crash/one.csv']);
    // After its visibility timeout the message is visible in the DLQ again: a duplicate, not a loss.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(keysOf(await receiveAll(clients, r.dlqUrl))).toEqual(['crash/one.csv']);
  });

  it('replayed files are processed by the pipeline and their history shows the replay', async () => {
    const { clients, r, queues, handler } = await dlqScenario('rp4', ['late/report.csv']);
    const history = createDynamoOpsStore(clients.dynamo, r.tableName);

    const summary = await replayDlq({ waitTimeSeconds: 0 }, { queues, history });
    await invokeOnQueue(clients, { url: r.queueUrl, arn: r.queueArn }, handler);

    expect(summary.moved).toBe(1);
    const h = await fileHistory(clients.dynamo, r.tableName, r.inputBucket, 'late/report.csv');
    // The upload item keeps its original event time (the replay re-sends the same event), so it sorts
    // first; its processedAt, like the step's time, tells the order: dead-lettered, replayed, processed.
    expect(h.uploads.map((u) => u.status)).toEqual(['PROCESSED']);
    expect(h.steps.map((s) => s.step)).toEqual(['REPLAYED']);
    const [upload] = h.uploads;
    const [step] = h.steps;
    expect(step && upload && step.at <= upload.processedAt).toBe(true);
    expect(step?.detail).toMatch(/sent back to the ingest queue/);
  });

  it('falls back to the manual mover where the SQS move-task API is missing (moto)', async () => {
    const { clients, r, queues } = await dlqScenario('rp5', ['all/1.csv']);

    const summary = await replayDlq({ includePoison: true, waitTimeSeconds: 0 }, { queues });

    expect(summary.mode).toBe('manual');
    expect(summary.fallbackReason).toMatch(/move tasks/);
    expect(summary.moved).toBe(3);
    expect(await queueCounts(clients, r.dlqUrl)).toMatchObject({ visible: 0, inFlight: 0 });
  });
});
