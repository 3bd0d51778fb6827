import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
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

const record = (
  key: string,
  status: string,
  etag: string,
  extra: Record<string, unknown> = {},
  bucket = 'chk-input',
) => ({
  pk: `FILE#${bucket}/${key}`,
  sk: `2026-12-01T10:00:00.000Z#UPLOAD#e:${etag}`,
  recordType: 'UPLOAD',
  bucket,
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

  it('checks every source bucket: a file is its bucket and key, so the same key in two buckets is two files', async () => {
    // Prepare: a second source bucket; same.txt exists in both (each PROCESSED), partner files are
    // quarantined (moved) and lost (no record), and nothing of the partner's is in the primary bucket
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const r = await provisionLocal({
      clients,
      settings: resolvePipelineSettings(),
      names: prefixedNames('two'),
    });
    const partner = 'two-partner';
    await clients.s3.send(new CreateBucketCommand({ Bucket: partner }));
    const put = async (bucket: string, key: string) => {
      const out = await clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
      return (out.ETag ?? '').replace(/"/g, '');
    };
    const inPrimary = await put(r.inputBucket, 'same.txt');
    const inPartner = await put(partner, 'same.txt');
    const rejected = await put(partner, 'bad.exe');
    await clients.s3.send(
      new CopyObjectCommand({
        Bucket: r.quarantineBucket,
        Key: `bad.exe@e:${rejected}`,
        CopySource: `${partner}/bad.exe`,
      }),
    );
    await clients.s3.send(new DeleteObjectCommand({ Bucket: partner, Key: 'bad.exe' }));
    await put(partner, 'lost.txt');
    const items = [
      record('same.txt', 'PROCESSED', inPrimary, {}, r.inputBucket),
      record('same.txt', 'PROCESSED', inPartner, {}, partner),
      record(
        'bad.exe',
        'QUARANTINED',
        rejected,
        {
          reason: 'BLOCKED_TYPE',
          quarantineBucket: r.quarantineBucket,
          quarantineKey: `bad.exe@e:${rejected}`,
        },
        partner,
      ),
    ];
    for (const item of items)
      await clients.dynamo.send(new PutCommand({ TableName: r.tableName, Item: item }));
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: r.queueUrl }));
    const target = { ...r, metadataTable: r.tableName, sourceBuckets: [r.inputBucket, partner] };

    // Act
    const result = await checkConsistency(clients, target);

    // Assess: four files; only the partner's unrecorded one is a problem, named with its bucket
    expect(result).toMatchObject({
      uploads: 4,
      byStatus: { PROCESSED: 2, QUARANTINED: 1, GONE: 0 },
      lost: 1,
      misplaced: 0,
      duplicated: 0,
      changed: 0,
    });
    expect(result.problems.map((p) => [p.kind, p.bucket, p.key])).toEqual([['lost', partner, 'lost.txt']]);
  });
});
