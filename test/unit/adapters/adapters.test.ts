import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoMetadataStore } from '../../../src/adapters/dynamoMetadataStore.ts';
import {
  copySourceOf,
  createS3ObjectStore,
  totalSizeFromContentRange,
} from '../../../src/adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../../../src/adapters/snsAlertPublisher.ts';
import { createSqsDeadLetterSender } from '../../../src/adapters/sqsDeadLetterSender.ts';
import { ObjectGoneError } from '../../../src/pipeline/errors.ts';
import type { HistoryStepRecord } from '../../../src/pipeline/types.ts';
import { createFakeAws, sdkError } from '../../helpers/fakeAws.ts';

describe('S3 object store', () => {
  it('reads the total size from Content-Range', () => {
    expect(totalSizeFromContentRange('bytes 0-4099/1073741824')).toBe(1024 ** 3);
    expect(totalSizeFromContentRange(undefined)).toBeUndefined();
  });

  it('URL-encodes the copy source per segment and pins the version', () => {
    expect(copySourceOf({ bucket: 'in', key: 'a b/c+d%é.txt' })).toBe('in/a%20b/c%2Bd%25%C3%A9.txt');
    expect(copySourceOf({ bucket: 'in', key: 'k', versionId: 'v+1' })).toBe('in/k?versionId=v%2B1');
  });

  it('never reads more than asked, even from a server that ignores the Range header', async () => {
    // Prepare: a "server" that streams the whole 10 MiB object whatever the request says.
    let streamed = 0;
    let destroyed = false;
    const s3 = {
      async send() {
        return {
          Body: {
            async *[Symbol.asyncIterator]() {
              for (let i = 0; i < 160; i += 1) {
                streamed += 65_536;
                yield new Uint8Array(65_536).fill(0x41);
              }
            },
            destroy() {
              destroyed = true;
            },
          },
          ContentLength: 10 * 1024 * 1024,
          Metadata: {},
        };
      },
    } as unknown as S3Client;
    // Act
    const prefix = await createS3ObjectStore(s3).readPrefix({ bucket: 'b', key: 'k', maxBytes: 4100 });
    // Assess
    expect(prefix.bytes).toHaveLength(4100);
    expect(prefix.size).toBe(10 * 1024 * 1024);
    expect(streamed).toBe(65_536);
    expect(destroyed).toBe(true);
  });

  it('turns a missing key and a failed ETag precondition into ObjectGoneError, but not a missing bucket', async () => {
    const aws = createFakeAws();
    const store = createS3ObjectStore(aws.clients.s3);
    const etag = aws.s3.put('b', 'k', new Uint8Array([1, 2, 3]));
    await expect(store.readPrefix({ bucket: 'b', key: 'nope', maxBytes: 10 })).rejects.toBeInstanceOf(
      ObjectGoneError,
    );
    await expect(
      store.readPrefix({ bucket: 'b', key: 'k', maxBytes: 10, ifMatch: '"other"' }),
    ).rejects.toBeInstanceOf(ObjectGoneError);
    await expect(store.headObject({ bucket: 'b', key: 'k', ifMatch: '"other"' })).rejects.toBeInstanceOf(
      ObjectGoneError,
    );
    expect((await store.readPrefix({ bucket: 'b', key: 'k', maxBytes: 10, ifMatch: `"${etag}"` })).size).toBe(
      3,
    );
    aws.s3.fault = () => sdkError('NoSuchBucket', 404);
    await expect(store.readPrefix({ bucket: 'x', key: 'k', maxBytes: 10 })).rejects.not.toBeInstanceOf(
      ObjectGoneError,
    );
  });

  it('leaves an object alone when its delete precondition fails (a newer upload)', async () => {
    const aws = createFakeAws();
    const store = createS3ObjectStore(aws.clients.s3);
    aws.s3.put('b', 'k', new Uint8Array([1]));
    await store.deleteObject({ bucket: 'b', key: 'k', ifMatch: '"stale"' });
    expect(aws.s3.get('b', 'k')).toBeDefined();
    await store.deleteObject({ bucket: 'b', key: 'missing', ifMatch: '"stale"' });
  });

  it('splits a multipart copy into at most 10,000 parts', async () => {
    const aws = createFakeAws();
    const store = createS3ObjectStore(aws.clients.s3, { multipartThresholdBytes: 10, partSizeBytes: 1 });
    aws.s3.put('b', 'k', new Uint8Array(8), { size: 25_000 });
    await store.copyObject({
      source: { bucket: 'b', key: 'k' },
      target: { bucket: 'q', key: 'k' },
      size: 25_000,
      metadata: {},
    });
    expect(aws.s3.count('UploadPartCopyCommand')).toBe(8334); // ceil(25,000 / ceil(25,000 / 10,000))
    expect(aws.s3.get('q', 'k')?.size).toBe(25_000);
  });
});

const step = (n: number): HistoryStepRecord => ({
  pk: 'FILE#b/k',
  sk: `2026-11-25T10:00:0${n}.000Z#STEP#RETRIED#${n}`,
  recordType: 'STEP',
  step: 'RETRIED',
  bucket: 'b',
  key: 'k',
  at: `2026-11-25T10:00:0${n}.000Z`,
});

describe('DynamoDB metadata store', () => {
  it('returns the items BatchWriteItem left unprocessed, as the caller passed them', async () => {
    const aws = createFakeAws();
    aws.dynamo.unprocessed = (items) => items.filter((i) => i.sk.includes('#2'));
    const store = createDynamoMetadataStore(aws.clients.dynamo as DynamoDBDocumentClient, 'files');
    const items = [step(1), step(2), step(3)];
    const { unprocessed } = await store.batchPut(items);
    expect(unprocessed).toEqual([items[1]]);
    expect(aws.dynamo.items('files')).toHaveLength(2);
  });

  it('refuses more than 25 items in one call', async () => {
    const store = createDynamoMetadataStore(createFakeAws().clients.dynamo, 'files');
    await expect(
      store.batchPut(Array.from({ length: 26 }, (_, i) => ({ ...step(1), sk: `s${i}` }))),
    ).rejects.toThrow(RangeError);
  });

  it('adds history steps and reads a file history in order', async () => {
    const aws = createFakeAws();
    const store = createDynamoMetadataStore(aws.clients.dynamo, 'files');
    await store.putHistoryStep(step(2));
    await store.putHistoryStep(step(1));
    expect((await store.fileHistory('b', 'k')).map((i) => i.sk)).toEqual([step(1).sk, step(2).sk]);
  });
});

describe('SNS alerts and SQS dead letters', () => {
  it('publishes strings as String and arrays as String.Array', async () => {
    const aws = createFakeAws();
    await createSnsAlertPublisher(aws.clients.sns, 'arn:topic').publish({
      subject: 's',
      message: 'm',
      attributes: { one: 'x', many: ['A', 'B'] },
    });
    expect(aws.sns.published[0]).toEqual({
      TopicArn: 'arn:topic',
      Subject: 's',
      Message: 'm',
      MessageAttributes: {
        one: { DataType: 'String', StringValue: 'x' },
        many: { DataType: 'String.Array', StringValue: '["A","B"]' },
      },
    });
  });

  it('sends the body unchanged and drops empty attributes (SQS rejects them)', async () => {
    const aws = createFakeAws();
    await createSqsDeadLetterSender(aws.clients.sqs, 'http://dlq').send({
      body: 'raw',
      attributes: { a: '1', b: '' },
    });
    expect(aws.sqs.sent[0]).toEqual({
      QueueUrl: 'http://dlq',
      MessageBody: 'raw',
      MessageAttributes: { a: { DataType: 'String', StringValue: '1' } },
    });
  });
});
