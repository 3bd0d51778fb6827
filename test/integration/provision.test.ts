import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketNotificationConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { RESOURCE_NAMES, resolvePipelineSettings, TABLE_SCHEMA } from '../../src/config/settings.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

const queueAttributes = async (clients: AwsClients, url: string) =>
  (await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] })))
    .Attributes ?? {};

/** Everything provisioning controls, in one comparable object. */
const snapshot = async (clients: AwsClients, r: LocalResources) => {
  const queue = await queueAttributes(clients, r.queueUrl);
  const dlq = await queueAttributes(clients, r.dlqUrl);
  const { Table } = await clients.dynamo.send(new DescribeTableCommand({ TableName: r.tableName }));
  const notification = await clients.s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: r.inputBucket }),
  );
  const topics = await clients.sns.send(new ListTopicsCommand({}));
  const { $metadata: _ignored, ...notificationConfig } = notification;
  return {
    queue: { ...queue, LastModifiedTimestamp: undefined },
    dlq: { ...dlq, LastModifiedTimestamp: undefined },
    table: {
      keys: Table?.KeySchema,
      indexes: Table?.GlobalSecondaryIndexes,
      billing: Table?.BillingModeSummary,
    },
    notificationConfig,
    topics: topics.Topics?.map((t) => t.TopicArn).sort(),
  };
};

describe('provisionLocal', () => {
  it('creates what the stack deploys from the shared settings, and S3 uploads reach the queue', async () => {
    // Prepare
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });
    const changes: string[] = [];

    // Act
    const r = await provisionLocal({ clients, settings, onChange: (c) => changes.push(c) });
    await clients.s3.send(new PutObjectCommand({ Bucket: r.inputBucket, Key: 'a b/c.txt', Body: 'hello' }));

    // Assess: names from the contract
    expect(r).toMatchObject({
      names: RESOURCE_NAMES,
      inputBucket: 'silent-scalper-input',
      quarantineBucket: 'silent-scalper-quarantine',
      tableName: 'silent-scalper-files',
    });
    expect(r.queueArn).toMatch(/:silent-scalper-ingest$/);
    expect(r.dlqArn).toMatch(/:silent-scalper-ingest-dlq$/);
    expect(r.topicArn).toMatch(/:silent-scalper-alerts$/);
    expect(changes.length).toBeGreaterThanOrEqual(6);

    // the queue: visibility 6 × timeout, retention, redrive to the DLQ after maxReceiveCount, S3 may send
    const queue = await queueAttributes(clients, r.queueUrl);
    expect(queue.VisibilityTimeout).toBe('12');
    expect(queue.MessageRetentionPeriod).toBe(String(settings.queueRetentionSeconds));
    expect(JSON.parse(queue.RedrivePolicy ?? '{}')).toMatchObject({
      deadLetterTargetArn: r.dlqArn,
      maxReceiveCount: 5,
    });
    const policy = JSON.parse(queue.Policy ?? '{}');
    expect(policy.Statement[0]).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 's3.amazonaws.com' },
      Action: 'sqs:SendMessage',
      Resource: r.queueArn,
      Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::silent-scalper-input' } },
    });
    const dlq = await queueAttributes(clients, r.dlqUrl);
    expect(dlq.MessageRetentionPeriod).toBe(String(settings.dlqRetentionSeconds));

    // the table: pk/sk and both list indexes with ALL projection, on demand
    const { Table } = await clients.dynamo.send(new DescribeTableCommand({ TableName: r.tableName }));
    expect(Table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries((Table?.GlobalSecondaryIndexes ?? []).map((g) => [g.IndexName, g]));
    for (const index of Object.values(TABLE_SCHEMA.indexes)) {
      expect(indexes[index.name]?.KeySchema).toEqual([
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ]);
      expect(indexes[index.name]?.Projection?.ProjectionType).toBe('ALL');
    }
    const encryption = await clients.s3.send(new GetBucketEncryptionCommand({ Bucket: r.quarantineBucket }));
    expect(
      encryption.ServerSideEncryptionConfiguration?.Rules?.[0]?.ApplyServerSideEncryptionByDefault
        ?.SSEAlgorithm,
    ).toBe('AES256');

    // the notification: first the s3:TestEvent, then the upload's ObjectCreated event
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: r.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
    );
    const bodies = Messages.map((m) => JSON.parse(m.Body ?? '{}'));
    expect(bodies.some((b) => b.Event === 's3:TestEvent')).toBe(true);
    const created = bodies.find((b) => b.Records)?.Records?.[0];
    expect(created?.eventName).toMatch(/^ObjectCreated:/);
    expect(created?.s3?.bucket?.name).toBe('silent-scalper-input');
  });

  it('changes nothing when run again: same identifiers, same attributes, no new s3:TestEvent', async () => {
    // Prepare (the first test provisioned with the same settings, its messages are in flight)
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });
    const first = await provisionLocal({ clients, settings });
    const before = await snapshot(clients, first);
    const changes: string[] = [];

    // Act
    const second = await provisionLocal({ clients, settings, onChange: (c) => changes.push(c) });

    // Assess
    expect(changes).toEqual([]);
    expect(second).toEqual(first);
    expect(await snapshot(clients, second)).toEqual(before);
  });

  it('updates only what changed when the settings change', async () => {
    // Prepare
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const changes: string[] = [];

    // Act: a longer function timeout means a longer visibility timeout
    const r = await provisionLocal({
      clients,
      settings: resolvePipelineSettings({ functionTimeoutSeconds: 3 }),
      onChange: (c) => changes.push(c),
    });

    // Assess
    expect(changes).toEqual(['updated queue silent-scalper-ingest: VisibilityTimeout']);
    expect((await queueAttributes(clients, r.queueUrl)).VisibilityTimeout).toBe('18');
  });

  it("merges its notification into an existing bucket's configuration: the bucket's own notification survives", async () => {
    // Prepare: a bucket that already notifies another team's queue about its reports (names of its own,
    // so the other tests' pipeline on this server is untouched).
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const names = {
      ...RESOURCE_NAMES,
      inputBucket: 'adopted-dumps',
      ingestQueue: 'adopted-ingest',
      deadLetterQueue: 'adopted-ingest-dlq',
    };
    await clients.s3.send(new CreateBucketCommand({ Bucket: names.inputBucket }));
    const other = await clients.sqs.send(new CreateQueueCommand({ QueueName: 'reports-team' }));
    const otherArn = (
      await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: other.QueueUrl, AttributeNames: ['QueueArn'] }),
      )
    ).Attributes?.QueueArn;
    const theirs = {
      Id: 'reports-team',
      QueueArn: otherArn,
      Events: ['s3:ObjectCreated:Put' as const],
      Filter: { Key: { FilterRules: [{ Name: 'prefix' as const, Value: 'reports/' }] } },
    };
    await clients.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: names.inputBucket,
        NotificationConfiguration: { QueueConfigurations: [theirs] },
      }),
    );

    // Act: provision twice (the second run must not drop or duplicate anything either)
    const r = await provisionLocal({ clients, names, settings: resolvePipelineSettings({}) });
    await provisionLocal({ clients, names, settings: resolvePipelineSettings({}) });
    await clients.s3.send(
      new PutObjectCommand({ Bucket: names.inputBucket, Key: 'reports/q3.csv', Body: 'a,b' }),
    );

    // Assess: both notifications are configured, and the upload reached both queues.
    const { QueueConfigurations = [] } = await clients.s3.send(
      new GetBucketNotificationConfigurationCommand({ Bucket: names.inputBucket }),
    );
    expect(QueueConfigurations.map((q) => q.QueueArn).sort()).toEqual([r.queueArn, otherArn].sort());
    expect(QueueConfigurations.find((q) => q.Id === 'reports-team')).toMatchObject({
      QueueArn: otherArn,
      Filter: theirs.Filter,
    });
    for (const url of [r.queueUrl, other.QueueUrl]) {
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 2 }),
      );
      // moto sends the key percent-encoded (reports%2Fq3.csv), as DESIGN.md notes.
      expect(Messages.map((m) => m.Body).join()).toContain('q3.csv');
    }
  });
});
