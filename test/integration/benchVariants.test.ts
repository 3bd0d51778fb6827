import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { runFloor } from '../../bench/floor.ts';
import { runNaive } from '../../bench/naive/naivePoller.ts';
import { countRequests, serviceTotal } from '../../bench/requestCounter.ts';
import { FileKind, fileBody } from '../../load-tests/fileMix.ts';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const FILES = 12;
const SIZES = [4096, 300_000];

/** Resources under their own names (one moto for the file, never reset), with FILES uploads queued. */
const prepare = async (
  prefix: string,
): Promise<{ clients: AwsClients; resources: LocalResources; bytes: number }> => {
  const clients = createAwsClients({ endpoint: moto().endpoint }, false);
  const resources = await provisionLocal({
    clients,
    settings: resolvePipelineSettings(),
    names: {
      inputBucket: `${prefix}-input`,
      quarantineBucket: `${prefix}-quarantine`,
      ingestQueue: `${prefix}-ingest`,
      deadLetterQueue: `${prefix}-ingest-dlq`,
      metadataTable: `${prefix}-files`,
      alertsTopic: `${prefix}-alerts`,
    },
  });
  await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queueUrl }));
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const body = fileBody(FileKind.PNG, SIZES[i % SIZES.length] ?? 4096);
    bytes += body.length;
    await clients.s3.send(
      new PutObjectCommand({ Bucket: resources.inputBucket, Key: `bench/file ${i}.png`, Body: body }),
    );
  }
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: resources.queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  expect(Number(Attributes?.ApproximateNumberOfMessages)).toBe(FILES);
  return { clients, resources, bytes };
};

const items = async (clients: AwsClients, tableName: string) =>
  (await clients.dynamo.send(new ScanCommand({ TableName: tableName }))).Items ?? [];

describe('benchmark variants on moto', () => {
  it('floor: one ranged GET per file, batched writes and deletes, one item per file', async () => {
    // Prepare
    const { clients, resources } = await prepare('floor');
    const counts = countRequests(clients);
    // Act
    const outcome = await runFloor({
      clients,
      target: { queueUrl: resources.queueUrl, tableName: resources.tableName },
      files: FILES,
      workers: 2,
      sniffBytes: 4100,
      timeoutMs: 60_000,
    });
    // Assess
    const requests = structuredClone(counts);
    expect(outcome.files).toBe(FILES);
    expect(outcome.elapsedMs).toBeGreaterThan(0);
    const written = await items(clients, resources.tableName);
    expect(written.map((i) => i.key).sort()).toEqual(
      Array.from({ length: FILES }, (_, i) => `bench/file ${i}.png`).sort(),
    );
    expect(requests.requests.s3).toEqual({ GetObject: FILES });
    // 4 KB files are read whole; the 300 KB ones only up to sniffBytes
    expect(requests.s3BytesRead).toBe((FILES / 2) * 4096 + (FILES / 2) * 4100);
    expect(requests.requests.dynamodb?.BatchWriteItem).toBeLessThan(FILES);
    expect(serviceTotal(requests, 'sns')).toBe(0);
  });

  it('naive: whole-object GET, one PutItem and one SNS publish per file, one receive and delete per event', async () => {
    // Prepare
    const { clients, resources, bytes } = await prepare('naive');
    const counts = countRequests(clients);
    // Act
    const outcome = await runNaive({
      clients,
      queueUrl: resources.queueUrl,
      target: { tableName: resources.tableName, topicArn: resources.topicArn },
      files: FILES,
      concurrency: 3,
      timeoutMs: 60_000,
    });
    // Assess
    const requests = structuredClone(counts);
    expect(outcome.files).toBe(FILES);
    const written = await items(clients, resources.tableName);
    expect(written).toHaveLength(FILES);
    expect(written.every((i) => i.status === 'PROCESSED' && i.mime === 'image/png')).toBe(true);
    expect(requests.requests.s3).toEqual({ GetObject: FILES });
    expect(requests.s3BytesRead).toBe(bytes);
    expect(requests.requests.dynamodb).toEqual({ PutItem: FILES });
    expect(requests.requests.sns).toEqual({ Publish: FILES });
    expect(requests.requests.sqs?.DeleteMessage).toBe(FILES);
  });
});
