import {
  CopyObjectCommand,
  CreateBucketCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseS3EventBody } from '../../src/pipeline/s3Event.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
let s3: S3Client;
let sqs: SQSClient;

interface EventObject {
  readonly key: string;
  readonly eTag?: string;
  readonly sequencer?: string;
  readonly versionId?: string;
}
interface EventRecord {
  readonly eventName: string;
  readonly s3: { readonly object: EventObject };
}

/** A bucket whose `events` go to its own queue; answers the queue URL. */
const notifyingBucket = async (
  bucket: string,
  versioned: boolean,
  events: string[] = ['s3:ObjectCreated:*'],
): Promise<string> => {
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  if (versioned)
    await s3.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  const { QueueUrl = '' } = await sqs.send(new CreateQueueCommand({ QueueName: `${bucket}-events` }));
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        QueueConfigurations: [{ QueueArn: Attributes.QueueArn, Events: events as never }],
      },
    }),
  );
  return QueueUrl;
};

/** Every event record the queue holds (the s3:TestEvent left out), in the order moto queued them. */
const drainRecords = async (queueUrl: string): Promise<EventRecord[]> => {
  const records: EventRecord[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
    );
    if (Messages.length === 0) return records;
    for (const m of Messages) {
      const body = JSON.parse(m.Body ?? '{}') as { Records?: EventRecord[] };
      records.push(...(body.Records ?? []));
    }
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
};

/** S3's rule for one key: compare as strings after left-padding the shorter one with zeros. */
const sequencerOrder = (a: string, b: string): number => {
  const width = Math.max(a.length, b.length);
  return a.padStart(width, '0').localeCompare(b.padStart(width, '0'));
};

beforeAll(() => {
  const common = {
    endpoint: moto().endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  s3 = new S3Client({ ...common, forcePathStyle: true });
  sqs = new SQSClient(common);
});

describe('S3 events from moto through the launcher carry sequencer and versionId, as S3 sends them', () => {
  it('two PUTs of the same bytes to one key: increasing sequencers, so two upload ids (no versionId unversioned)', async () => {
    // Prepare
    const queueUrl = await notifyingBucket('plain', false);

    // Act
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'dump/a.txt', Body: 'same bytes' }));
    await s3.send(new PutObjectCommand({ Bucket: 'plain', Key: 'dump/a.txt', Body: 'same bytes' }));
    const records = await drainRecords(queueUrl);

    // Assess
    expect(records.map((r) => r.eventName)).toEqual(['ObjectCreated:Put', 'ObjectCreated:Put']);
    const [first, second] = records.map((r) => r.s3.object);
    expect(first?.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(second?.sequencer).toMatch(/^[0-9A-F]{18}$/);
    expect(sequencerOrder(second?.sequencer ?? '', first?.sequencer ?? '')).toBeGreaterThan(0);
    expect(first?.eTag).toBe(second?.eTag);
    expect(first?.versionId).toBeUndefined();
    expect(second?.versionId).toBeUndefined();
    // What the handler makes of it: one upload id per PUT, though the bytes (and ETags) are the same.
    const ids = records.map((r) => {
      const parsed = parseS3EventBody(
        JSON.stringify({ Records: [{ ...r, eventTime: '2026-12-01T00:00:00Z' }] }),
      );
      return parsed.kind === 'records' ? parsed.records[0]?.uploadId : undefined;
    });
    expect(ids[0]).toMatch(/^s:/);
    expect(ids[1]).toMatch(/^s:/);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('a versioned bucket: each PUT and a copy name their own version; the sequencer still increases', async () => {
    // Prepare
    const queueUrl = await notifyingBucket('versioned', true);

    // Act
    const one = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'v1' }));
    const two = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: 'v2' }));
    const copy = await s3.send(
      new CopyObjectCommand({
        Bucket: 'versioned',
        Key: 'k',
        CopySource: `versioned/k?versionId=${one.VersionId}`,
      }),
    );
    const records = await drainRecords(queueUrl);

    // Assess
    expect(records.map((r) => r.eventName)).toEqual([
      'ObjectCreated:Put',
      'ObjectCreated:Put',
      'ObjectCreated:Copy',
    ]);
    const objects = records.map((r) => r.s3.object);
    expect(objects.map((o) => o.versionId)).toEqual([one.VersionId, two.VersionId, copy.VersionId]);
    expect(new Set(objects.map((o) => o.versionId)).size).toBe(3);
    const sequencers = objects.map((o) => o.sequencer ?? '');
    expect(sequencerOrder(sequencers[1] ?? '', sequencers[0] ?? '')).toBeGreaterThan(0);
    expect(sequencerOrder(sequencers[2] ?? '', sequencers[1] ?? '')).toBeGreaterThan(0);
  });

  it('an event S3 sends no sequencer for (object tagging) gets none; moto’s other fields stay', async () => {
    // Prepare
    const queueUrl = await notifyingBucket('tagged', false, ['s3:ObjectCreated:*', 's3:ObjectTagging:*']);
    await s3.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'k', Body: 'x' }));

    // Act
    await s3.send(
      new PutObjectTaggingCommand({
        Bucket: 'tagged',
        Key: 'k',
        Tagging: { TagSet: [{ Key: 't', Value: '1' }] },
      }),
    );
    const records = await drainRecords(queueUrl);

    // Assess
    // (moto also sends ObjectTagging:Put for the PutObject itself, which S3 does not: not this module's business.)
    const created = records.filter((r) => r.eventName.startsWith('ObjectCreated:'));
    const tagging = records.filter((r) => r.eventName === 'ObjectTagging:Put');
    expect(created).toHaveLength(1);
    expect(tagging.length).toBeGreaterThanOrEqual(1);
    expect(created[0]?.s3.object).toEqual({
      key: 'k',
      size: 1,
      eTag: expect.stringMatching(/^[0-9a-f]{32}$/),
      sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
    });
    for (const r of tagging) expect(r.s3.object.sequencer).toBeUndefined();
  });
});
