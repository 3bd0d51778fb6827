import { createHash } from 'node:crypto';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { createDynamoMetadataStore } from '../../src/adapters/dynamoMetadataStore.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import type { HandlerConfig } from '../../src/config/handlerConfig.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildIngestHandler, type IngestDeps } from '../../src/handlers/ingest.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { toSqsEvent } from '../../src/local/sqsEvent.ts';
import {
  DLQ_ATTRIBUTES,
  FileStatus,
  OBJECT_METADATA,
  QuarantineReason,
} from '../../src/pipeline/constants.ts';
import { ObjectGoneError, TransientError } from '../../src/pipeline/errors.ts';
import type { MetadataStore, ObjectStore } from '../../src/pipeline/ports.ts';
import { quarantineKeyOf } from '../../src/pipeline/quarantine.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import { lambdaContext } from '../helpers/events.ts';
import { SAMPLE_EXPECTATIONS, SAMPLE_KINDS, type SampleKind, sampleFile } from '../helpers/files.ts';
import { memoryMetrics } from '../helpers/ingestHarness.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const settings = resolvePipelineSettings();

let clients: AwsClients;
let resources: LocalResources;
let config: HandlerConfig;
let store: MetadataStore;
let alertInboxUrl: string;

beforeAll(async () => {
  clients = createAwsClients({ endpoint: moto().endpoint }, false);
  resources = await provisionLocal({ clients, settings });
  config = localHandlerConfig(resources, settings);
  store = createDynamoMetadataStore(clients.dynamo, resources.tableName);
  // A subscriber that only wants batches holding blocked files: proves the String.Array attribute filters.
  const inbox = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'alert-inbox-blocked' }));
  alertInboxUrl = inbox.QueueUrl ?? '';
  const inboxArn = (
    await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: alertInboxUrl, AttributeNames: ['QueueArn'] }),
    )
  ).Attributes?.QueueArn;
  await clients.sns.send(
    new SubscribeCommand({
      TopicArn: resources.topicArn,
      Protocol: 'sqs',
      Endpoint: inboxArn,
      Attributes: { FilterPolicy: JSON.stringify({ reason: ['BLOCKED_TYPE'] }), RawMessageDelivery: 'true' },
    }),
  );
});

const handlerWith = (deps: Partial<IngestDeps> = {}) =>
  buildIngestHandler(config, { clients, logger: silentLogger, metrics: memoryMetrics(), ...deps });

const put = async (key: string, bytes: Uint8Array, contentType: string, metadata?: Record<string, string>) =>
  clients.s3.send(
    new PutObjectCommand({
      Bucket: resources.inputBucket,
      Key: key,
      Body: bytes,
      ContentType: contentType,
      ...(metadata ? { Metadata: metadata } : {}),
    }),
  );

const isTestEvent = (m: Message) => (m.Body ?? '').includes('"s3:TestEvent"');

/** Receive from a queue until `count` messages arrived (the s3:TestEvent deleted and skipped) or 15 s passed. */
const receive = async (queueUrl: string, count: number): Promise<Message[]> => {
  const messages: Message[] = [];
  const deadline = Date.now() + 15_000;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: Math.min(10, count - messages.length),
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      if (isTestEvent(m))
        await clients.sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }),
        );
      else messages.push(m);
    }
  }
  expect(messages, `messages received from ${queueUrl}`).toHaveLength(count);
  return messages;
};

/**
 * Play the Lambda poller once: run the handler on received messages, delete the acknowledged ones, and
 * make the failed ones visible again at once (instead of waiting out the visibility timeout).
 */
const invoke = async (
  handler: ReturnType<typeof handlerWith>,
  messages: Message[],
): Promise<SQSBatchResponse> => {
  const event = toSqsEvent(messages, { queueArn: resources.queueArn, region: clients.region });
  const response = await handler(event, lambdaContext());
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const m of messages) {
    const command = failed.has(m.MessageId ?? '')
      ? new ChangeMessageVisibilityCommand({
          QueueUrl: resources.queueUrl,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 0,
        })
      : new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: m.ReceiptHandle });
    await clients.sqs.send(command as DeleteMessageCommand);
  }
  return response;
};

const uploads = (key: string) => store.fileHistory(resources.inputBucket, key) as Promise<FileRecord[]>;

const exists = async (bucket: string, key: string) =>
  clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    (error: { $metadata?: { httpStatusCode?: number } }) => {
      if (error.$metadata?.httpStatusCode === 404) return false;
      throw error;
    },
  );

describe('ingest handler on moto', () => {
  it('records, quarantines and moves every kind of file taken from the real notifications', async () => {
    // Prepare: one file of each kind, under keys with spaces, +, % and unicode.
    const keyOf = (kind: SampleKind) => `dump 1/été+${kind} 100%.${sampleFile(kind).ext}`;
    for (const kind of SAMPLE_KINDS) {
      const file = sampleFile(kind, { seed: 1 });
      await put(keyOf(kind), file.bytes, file.contentType, { 'uploaded-by': 'integration' });
    }
    const messages = await receive(resources.queueUrl, SAMPLE_KINDS.length);
    const metrics = memoryMetrics();
    // Act
    const response = await invoke(handlerWith({ metrics }), messages);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    for (const kind of SAMPLE_KINDS) {
      const key = keyOf(kind);
      const expected = SAMPLE_EXPECTATIONS[kind];
      const [record, ...others] = await uploads(key);
      expect(others, key).toEqual([]);
      expect(record, key).toMatchObject({
        bucket: resources.inputBucket,
        key,
        status: expected.status,
        size: sampleFile(kind, { seed: 1 }).bytes.length,
        declaredContentType: sampleFile(kind).contentType,
        receiveCount: 1,
        ...(expected.reason ? { reason: expected.reason } : {}),
        ...(expected.mime ? { mime: expected.mime } : {}),
      });
      expect(record?.eventTime, key).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(record?.queueLatencyMs, key).toBeGreaterThanOrEqual(0);
      if (expected.status === FileStatus.QUARANTINED) {
        expect(await exists(resources.inputBucket, key), `${key} gone from input`).toBe(false);
        const quarantineKey = record?.quarantineKey ?? '';
        const head = await clients.s3.send(
          new HeadObjectCommand({
            Bucket: resources.quarantineBucket,
            Key: quarantineKey,
            VersionId: record?.quarantineVersionId,
          }),
        );
        expect(head.Metadata, key).toMatchObject({
          'uploaded-by': 'integration',
          [OBJECT_METADATA.reason]: expected.reason,
          [OBJECT_METADATA.sourceBucket]: resources.inputBucket,
        });
        expect(decodeURIComponent(head.Metadata?.[OBJECT_METADATA.sourceKey] ?? '')).toBe(key);
        expect(head.ContentType).toBe(sampleFile(kind).contentType);
        const tags = await clients.s3.send(
          new GetObjectTaggingCommand({ Bucket: resources.quarantineBucket, Key: quarantineKey }),
        );
        expect(tags.TagSet).toEqual([{ Key: OBJECT_METADATA.reason, Value: expected.reason }]);
        expect(record).toMatchObject({
          quarantineBucket: resources.quarantineBucket,
          quarantineKey: quarantineKeyOf(key, record?.uploadId ?? ''),
        });
      } else {
        expect(await exists(resources.inputBucket, key), key).toBe(true);
        expect(await exists(resources.quarantineBucket, key), key).toBe(false);
      }
    }
    expect(metrics.sum('FilesProcessed')).toBe(8);
    expect(metrics.sum('FilesQuarantined')).toBe(4);
    // The alert reached the subscriber whose filter asks for BLOCKED_TYPE.
    const [alert] = await receive(alertInboxUrl, 1);
    const body = JSON.parse(alert?.Body ?? '{}');
    expect(body.counts).toEqual({ PROCESSED: 8, QUARANTINED: 4 });
    expect(body.files).toHaveLength(4);
  });

  it('sends a poison message to the DLQ with the error attached and acknowledges it', async () => {
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: '{"hello":"world"}' }),
    );
    const messages = await receive(resources.queueUrl, 1);
    const response = await invoke(handlerWith(), messages);
    expect(response.batchItemFailures).toEqual([]);
    const [dead] = await receive(resources.dlqUrl, 1);
    expect(dead?.Body).toBe('{"hello":"world"}');
    expect(dead?.MessageAttributes?.[DLQ_ATTRIBUTES.error]?.StringValue).toContain('no S3 event Records');
    expect(dead?.MessageAttributes?.[DLQ_ATTRIBUTES.sourceMessageId]?.StringValue).toBe(
      messages[0]?.MessageId,
    );
    await clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: resources.dlqUrl, ReceiptHandle: dead?.ReceiptHandle }),
    );
  });

  it('records GONE for deleted and overwritten uploads, and processes the newer upload', async () => {
    // Prepare: one file deleted before processing; one PDF-named-.jpg overwritten by a real JPEG.
    await put('gone/deleted.png', sampleFile('png').bytes, 'image/png');
    await clients.s3.send(
      new DeleteObjectCommand({ Bucket: resources.inputBucket, Key: 'gone/deleted.png' }),
    );
    await put('gone/photo.jpg', sampleFile('mismatch').bytes, 'image/jpeg');
    await put('gone/photo.jpg', sampleFile('jpeg').bytes, 'image/jpeg');
    const messages = await receive(resources.queueUrl, 3);
    // Act
    const response = await invoke(handlerWith(), messages);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect((await uploads('gone/deleted.png')).map((r) => r.status)).toEqual([FileStatus.GONE]);
    const photo = await uploads('gone/photo.jpg');
    expect(photo.map((r) => r.status).sort()).toEqual([FileStatus.GONE, FileStatus.PROCESSED]);
    expect(await exists(resources.inputBucket, 'gone/photo.jpg')).toBe(true);
    expect(await exists(resources.quarantineBucket, 'gone/photo.jpg')).toBe(false);
  });

  it('keeps one QUARANTINED record when the same notification is delivered twice', async () => {
    await put('dup/tool.exe', sampleFile('exe').bytes, 'application/octet-stream');
    const [first] = await receive(resources.queueUrl, 1);
    await invoke(handlerWith(), [first as Message]);
    // SQS delivers the notification again (at-least-once): the object has already moved.
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.queueUrl, MessageBody: first?.Body ?? '' }),
    );
    const again = await receive(resources.queueUrl, 1);
    const response = await invoke(handlerWith(), again);
    expect(response.batchItemFailures).toEqual([]);
    const history = await uploads('dup/tool.exe');
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.BLOCKED_TYPE,
      mime: 'application/x-msdownload',
    });
  });

  it('quarantines a file that fails every time as PROCESSING_FAILED on its last receive', async () => {
    // Prepare: an object store that cannot read this one key.
    const real = createS3ObjectStore(clients.s3);
    const flaky: ObjectStore = {
      ...real,
      readPrefix: async (ref) => {
        if (ref.key === 'stuck/data.csv') throw new TransientError('SlowDown: simulated');
        return real.readPrefix(ref);
      },
    };
    const handler = handlerWith({ objectStore: flaky });
    await put('stuck/data.csv', sampleFile('csv').bytes, 'text/csv');
    // Act: the poller's rounds, each a real receive that raises ApproximateReceiveCount.
    const counts: string[] = [];
    for (let round = 1; round <= settings.maxReceiveCount; round += 1) {
      const messages = await receive(resources.queueUrl, 1);
      counts.push(messages[0]?.Attributes?.ApproximateReceiveCount ?? '?');
      const response = await invoke(handler, messages);
      expect(response.batchItemFailures.length, `round ${round}`).toBe(
        round < settings.maxReceiveCount ? 1 : 0,
      );
    }
    // Assess
    expect(counts).toEqual(['1', '2', '3', '4', '5']);
    const [record] = await uploads('stuck/data.csv');
    expect(record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      receiveCount: 5,
      error: 'SlowDown: simulated',
    });
    expect(await exists(resources.quarantineBucket, record?.quarantineKey ?? '')).toBe(true);
    expect(await exists(resources.inputBucket, 'stuck/data.csv')).toBe(false);
  });

  it('moves a large file with a multipart copy, byte for byte, with metadata and tags', async () => {
    // Prepare: a 12 MiB file over a 10 MiB limit, copied in 5 MiB parts (the real threshold is 5 GiB).
    const bytes = sampleFile('zip', { sizeBytes: 12 * 1024 * 1024 }).bytes;
    await put('large/archive.zip', bytes, 'application/zip', { team: 'data' });
    const messages = await receive(resources.queueUrl, 1);
    const objectStore = createS3ObjectStore(clients.s3, {
      multipartThresholdBytes: 5 * 1024 ** 2,
      partSizeBytes: 5 * 1024 ** 2,
    });
    const handler = buildIngestHandler(
      localHandlerConfig(resources, settings, {
        maxFileSizeBytes: 10 * 1024 * 1024,
        quarantineInPlaceBytes: 64 * 1024 * 1024,
      }),
      { clients, objectStore, logger: silentLogger, metrics: memoryMetrics() },
    );
    // Act
    const response = await invoke(handler, messages);
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const [large] = await uploads('large/archive.zip');
    expect(large).toMatchObject({ reason: QuarantineReason.TOO_LARGE, size: bytes.length });
    const largeKey = large?.quarantineKey ?? '';
    const moved = await clients.s3.send(
      new GetObjectCommand({ Bucket: resources.quarantineBucket, Key: largeKey }),
    );
    const copied = await moved.Body?.transformToByteArray();
    expect(
      createHash('sha256')
        .update(copied ?? new Uint8Array())
        .digest('hex'),
    ).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(moved.Metadata).toMatchObject({ team: 'data', [OBJECT_METADATA.reason]: 'TOO_LARGE' });
    expect(moved.ContentType).toBe('application/zip');
    const tags = await clients.s3.send(
      new GetObjectTaggingCommand({ Bucket: resources.quarantineBucket, Key: largeKey }),
    );
    expect(tags.TagSet).toEqual([{ Key: OBJECT_METADATA.reason, Value: 'TOO_LARGE' }]);
    expect(await exists(resources.inputBucket, 'large/archive.zip')).toBe(false);
  });

  it('writes a full batch of records with one BatchWriteItem per 25', async () => {
    const keys = Array.from({ length: 10 }, (_, i) => `batch/file-${i}.txt`);
    for (const [i, key] of keys.entries()) await put(key, sampleFile('txt', { seed: i }).bytes, 'text/plain');
    const messages = await receive(resources.queueUrl, 10);
    let batchWrites = 0;
    const real = createDynamoMetadataStore(clients.dynamo, resources.tableName);
    const counting: MetadataStore = {
      ...real,
      batchPut: (items) => {
        batchWrites += 1;
        return real.batchPut(items);
      },
    };
    const response = await invoke(handlerWith({ metadataStore: counting }), messages);
    expect(response.batchItemFailures).toEqual([]);
    expect(batchWrites).toBe(1);
    for (const key of keys) expect((await uploads(key))[0]?.status, key).toBe(FileStatus.PROCESSED);
  });
});

describe('S3 and DynamoDB adapters on moto 5.2.1', () => {
  it('honours If-Match on GET, HEAD and DELETE, and answers a range on an empty object with 416', async () => {
    // Prepare
    const objectStore = createS3ObjectStore(clients.s3);
    const bucket = resources.quarantineBucket; // no notifications on this bucket
    const written = await clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: 'adapter/file.txt',
        Body: 'hello',
        ContentType: 'text/plain',
      }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: 'adapter/empty.txt', Body: new Uint8Array(0) }),
    );
    const stale = '"0123456789abcdef0123456789abcdef"';
    // Act + Assess: a stale ETag reads as gone (412), the current one reads.
    await expect(
      objectStore.readPrefix({ bucket, key: 'adapter/file.txt', maxBytes: 3, ifMatch: stale }),
    ).rejects.toBeInstanceOf(ObjectGoneError);
    await expect(
      objectStore.headObject({ bucket, key: 'adapter/file.txt', ifMatch: stale }),
    ).rejects.toBeInstanceOf(ObjectGoneError);
    const prefix = await objectStore.readPrefix({
      bucket,
      key: 'adapter/file.txt',
      maxBytes: 3,
      ...(written.ETag ? { ifMatch: written.ETag } : {}),
    });
    expect(new TextDecoder().decode(prefix.bytes)).toBe('hel');
    expect(prefix.size).toBe(5);
    // The 416 of a range on a 0-byte object becomes an empty prefix.
    const empty = await objectStore.readPrefix({ bucket, key: 'adapter/empty.txt', maxBytes: 100 });
    expect(empty.size).toBe(0);
    expect(empty.bytes).toHaveLength(0);
    // A delete with a stale ETag leaves the object (moto checks If-Match on DELETE, as S3 does).
    await objectStore.deleteObject({ bucket, key: 'adapter/file.txt', ifMatch: stale });
    expect(await exists(bucket, 'adapter/file.txt')).toBe(true);
    await objectStore.deleteObject({
      bucket,
      key: 'adapter/file.txt',
      ...(written.ETag ? { ifMatch: written.ETag } : {}),
    });
    expect(await exists(bucket, 'adapter/file.txt')).toBe(false);
    // moto 5.2.1 ignores x-amz-copy-source-if-match (it only checks if-none-match), so the copy
    // precondition is covered by the unit tests' fake S3 only.
  });

  it('adds history steps beside the uploads of a file', async () => {
    const key = 'batch/file-0.txt';
    await store.putHistoryStep({
      pk: `FILE#${resources.inputBucket}/${key}`,
      sk: '2999-01-01T00:00:00.000Z#STEP#RETRIED#1',
      recordType: 'STEP',
      step: 'RETRIED',
      bucket: resources.inputBucket,
      key,
      at: '2999-01-01T00:00:00.000Z',
      attempt: 1,
    });
    const history = await store.fileHistory(resources.inputBucket, key);
    expect(history.map((i) => i.recordType)).toEqual(['UPLOAD', 'STEP']);
  });
});
