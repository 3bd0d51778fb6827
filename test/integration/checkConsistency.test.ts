import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { PurgeQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { provisionLocal } from '../../src/local/provision.ts';
import { checkConsistency } from '../../src/ops/checkConsistency.ts';
import { sortDeadLetters } from '../../src/ops/sortDeadLetters.ts';
import { prefixedNames } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

const record = (key: string, status: string, etag: string, extra: Record<string, unknown> = {}) => ({
  pk: `FILE#chk-input/${key}`,
  sk: `2026-12-01T10:00:00.000Z#UPLOAD#e:${etag}`,
  recordType: 'UPLOAD',
  bucket: 'chk-input',
  key,
  status,
  etag,
  eventTime: '2026-12-01T10:00:00.000Z',
  uploadId: `e:${etag}`,
  ...extra,
});

const s3Event = (key: string, etag: string) =>
  JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: '2026-12-01T10:00:00.000Z',
        s3: { bucket: { name: 'chk-input' }, object: { key, size: 5, eTag: etag } },
      },
    ],
  });

describe('checkConsistency (against moto)', () => {
  it('finds a lost file, a file in two buckets, and classifies the DLQ; replays only the unfinished', async () => {
    // Prepare: ok.txt is right; both.txt is PROCESSED but also in quarantine; lost.txt has no record
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const r = await provisionLocal({
      clients,
      settings: resolvePipelineSettings(),
      names: prefixedNames('chk'),
    });
    const put = async (key: string) => {
      const out = await clients.s3.send(
        new PutObjectCommand({ Bucket: r.inputBucket, Key: key, Body: 'hello' }),
      );
      return (out.ETag ?? '').replace(/"/g, '');
    };
    const okTag = await put('ok.txt');
    const bothTag = await put('both.txt');
    const lostTag = await put('lost.txt');
    await clients.s3.send(
      new CopyObjectCommand({
        Bucket: r.quarantineBucket,
        Key: 'both.txt',
        CopySource: `${r.inputBucket}/both.txt`,
      }),
    );
    for (const item of [record('ok.txt', 'PROCESSED', okTag), record('both.txt', 'PROCESSED', bothTag)])
      await clients.dynamo.send(new PutCommand({ TableName: r.tableName, Item: item }));
    for (const body of [s3Event('ok.txt', okTag), s3Event('lost.txt', lostTag), 'not an event'])
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: r.dlqUrl, MessageBody: body }));
    // Drain the S3 notifications moto queued for the uploads: this test is about the checker only.
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: r.queueUrl }));
    const target = { ...r, metadataTable: r.tableName };

    // Act
    const result = await checkConsistency(clients, target, {
      expected: [{ key: 'ok.txt' }, { key: 'both.txt' }, { key: 'lost.txt' }],
    });
    const sorted = await sortDeadLetters(
      clients,
      { metadataTable: r.tableName, queueUrl: r.queueUrl, dlqUrl: r.dlqUrl },
      { replay: ['notFinished'], drop: ['finished'] },
    );

    // Assess
    expect(result).toMatchObject({
      ok: false,
      uploads: 3,
      lost: 1,
      misplaced: 1,
      duplicated: 0,
      changed: 0,
      dlq: { poison: 1, notFinished: 1, finished: 1 },
    });
    expect(result.problems.map((p) => [p.kind, p.key]).sort()).toEqual([
      ['lost', 'lost.txt'],
      ['misplaced', 'both.txt'],
    ]);
    expect(sorted).toMatchObject({ replayed: 1, dropped: 1, kept: 1 });
  });
});
