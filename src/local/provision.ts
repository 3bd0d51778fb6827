import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetBucketNotificationConfigurationCommand,
  HeadBucketCommand,
  type NotificationConfiguration,
  PutBucketEncryptionCommand,
  PutBucketNotificationConfigurationCommand,
  PutPublicAccessBlockCommand,
  type QueueConfiguration,
} from '@aws-sdk/client-s3';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueDoesNotExist,
  SetQueueAttributesCommand,
} from '@aws-sdk/client-sqs';
import type { AwsClients } from '../adapters/awsClients.ts';
import {
  type PipelineSettings,
  RESOURCE_NAMES,
  type ResourceNames,
  TABLE_SCHEMA,
  validatePipelineSettings,
} from '../config/settings.ts';
import { SilentScalperError } from '../pipeline/errors.ts';
import { ensureVersioning } from './ensureVersioning.ts';

/** Identifiers of the provisioned local resources; the runner, `up` and the CLI's local mode use them. */
export interface LocalResources {
  readonly names: ResourceNames;
  readonly inputBucket: string;
  readonly quarantineBucket: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly dlqUrl: string;
  readonly dlqArn: string;
  readonly tableName: string;
  readonly topicArn: string;
}

/** Options of {@link provisionLocal}. */
export interface ProvisionLocalOptions {
  /** Clients pointed at the emulator. */
  readonly clients: AwsClients;
  /** @default RESOURCE_NAMES */
  readonly names?: ResourceNames;
  /** Queue, retry and batch settings (the same object the CDK stack is built from). */
  readonly settings: PipelineSettings;
  /** Told about every resource created or changed, e.g. `created queue silent-scalper-ingest`. */
  readonly onChange?: (change: string) => void;
}

/** The stored resources differ from what provisioning would create and cannot be changed in place. */
export class ProvisionError extends SilentScalperError {}

/**
 * Largest message the queues accept: the same 256 KiB as the CDK stack (`QUEUE_MAX_MESSAGE_SIZE_BYTES` in
 * infra/constructs/IngestQueues.ts, compared by test/unit/settingsParity.test.ts). Kept here as a number so
 * the local runtime never loads aws-cdk-lib.
 */
export const LOCAL_QUEUE_MAX_MESSAGE_SIZE_BYTES = 256 * 1024;

/** Id of the input bucket's notification configuration. */
const NOTIFICATION_ID = 'silent-scalper-object-created';

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404;
};

/** Attributes of the dead-letter queue, from the shared settings (as the stack's IngestQueues construct). */
export const deadLetterQueueAttributes = (settings: PipelineSettings): Record<string, string> => ({
  MessageRetentionPeriod: String(settings.dlqRetentionSeconds),
  MaximumMessageSize: String(LOCAL_QUEUE_MAX_MESSAGE_SIZE_BYTES),
  // SSE-SQS, as in the stack: a queue fed by S3 notifications cannot use the aws/sqs KMS key
  // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/ways-to-add-notification-config-to-bucket.html).
  SqsManagedSseEnabled: 'true',
});

/** Attributes of the ingest queue: visibility, retention and the redrive policy to the DLQ. */
export const ingestQueueAttributes = (
  settings: PipelineSettings,
  dlqArn: string,
): Record<string, string> => ({
  ...deadLetterQueueAttributes(settings),
  MessageRetentionPeriod: String(settings.queueRetentionSeconds),
  VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
  RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: settings.maxReceiveCount }),
});

/** Queue policy letting the input bucket (and only it) send its notifications to the queue. */
const s3SendPolicy = (queueArn: string, bucket: string): string => {
  const account = queueArn.split(':')[4] ?? '';
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'AllowInputBucketNotifications',
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Resource: queueArn,
        Condition: {
          ArnLike: { 'aws:SourceArn': `arn:aws:s3:::${bucket}` },
          StringEquals: { 'aws:SourceAccount': account },
        },
      },
    ],
  });
};

/** JSON-aware equality for attribute values (moto may re-serialise policies). */
const sameAttribute = (name: string, current: string | undefined, wanted: string): boolean => {
  if (current === wanted) return true;
  if (current === undefined) return false;
  if (name === 'Policy' || name === 'RedrivePolicy') {
    try {
      const a = JSON.parse(current) as Record<string, unknown>;
      const b = JSON.parse(wanted) as Record<string, unknown>;
      // RedrivePolicy's maxReceiveCount may come back as a string.
      return (
        JSON.stringify(a, (_k, v) => (typeof v === 'number' ? String(v) : v)) ===
        JSON.stringify(b, (_k, v) => (typeof v === 'number' ? String(v) : v))
      );
    } catch {
      return false;
    }
  }
  return false;
};

/**
 * Get or create a queue, then bring its attributes to `attributes` (+ the policy built from its ARN).
 * Only differing attributes are written, but the policy always goes with them: moto's SetQueueAttributes
 * clears a queue's policy when the call does not carry one (AWS keeps it).
 */
const ensureQueue = async (
  clients: AwsClients,
  name: string,
  attributes: Record<string, string>,
  onChange: (change: string) => void,
  policyFor?: (arn: string) => string,
): Promise<{ url: string; arn: string }> => {
  let url: string | undefined;
  try {
    url = (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl;
  } catch (error) {
    if (!(error instanceof QueueDoesNotExist)) throw error;
  }
  const created = !url;
  if (!url) {
    url = (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl;
    if (!url) throw new ProvisionError(`queue ${name}: the emulator returned no URL`);
    onChange(`created queue ${name}`);
  }
  const wantedNames = [...Object.keys(attributes), 'QueueArn', ...(policyFor ? ['Policy'] : [])];
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: wantedNames as never }),
  );
  const current: Record<string, string | undefined> = Attributes ?? {};
  const arn = current.QueueArn;
  if (!arn) throw new ProvisionError(`queue ${name}: the emulator returned no ARN`);
  const wanted: Record<string, string> = { ...attributes, ...(policyFor ? { Policy: policyFor(arn) } : {}) };
  const changed = Object.keys(wanted).filter((key) => !sameAttribute(key, current[key], wanted[key] ?? ''));
  if (changed.length > 0) {
    await clients.sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl: url,
        Attributes: Object.fromEntries(
          Object.entries(wanted).filter(([key]) => changed.includes(key) || key === 'Policy'),
        ),
      }),
    );
    if (!created) onChange(`updated queue ${name}: ${changed.join(', ')}`);
  }
  return { url, arn };
};

const ensureBucket = async (
  clients: AwsClients,
  bucket: string,
  onChange: (change: string) => void,
): Promise<void> => {
  try {
    await clients.s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  // us-east-1 (the emulator's default) takes no LocationConstraint; other regions need it.
  await clients.s3.send(
    new CreateBucketCommand({
      Bucket: bucket,
      ...(clients.region === 'us-east-1'
        ? {}
        : { CreateBucketConfiguration: { LocationConstraint: clients.region as never } }),
    }),
  );
  // The stack's baseline (infra/constructs/SecureBucket.ts): SSE-S3 and all public access blocked.
  await clients.s3.send(
    new PutBucketEncryptionCommand({
      Bucket: bucket,
      ServerSideEncryptionConfiguration: {
        Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
    }),
  );
  await clients.s3.send(
    new PutPublicAccessBlockCommand({
      Bucket: bucket,
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        IgnorePublicAcls: true,
        BlockPublicPolicy: true,
        RestrictPublicBuckets: true,
      },
    }),
  );
  onChange(`created bucket ${bucket}`);
};

/**
 * Point the input bucket's ObjectCreated events at the queue. Only written when it differs, because
 * every PutBucketNotificationConfiguration makes S3 send an `s3:TestEvent` to the queue.
 */
const ensureNotification = async (
  clients: AwsClients,
  bucket: string,
  queueArn: string,
  onChange: (change: string) => void,
): Promise<void> => {
  const ours: QueueConfiguration = {
    Id: NOTIFICATION_ID,
    QueueArn: queueArn,
    Events: ['s3:ObjectCreated:*'],
  };
  const { $metadata: _ignored, ...current } = await clients.s3.send(
    new GetBucketNotificationConfigurationCommand({ Bucket: bucket }),
  );
  const queues = current.QueueConfigurations ?? [];
  const existing = queues.find((q) => q.Id === NOTIFICATION_ID);
  if (
    existing?.QueueArn === queueArn &&
    (existing.Events ?? []).join() === 's3:ObjectCreated:*' &&
    !existing.Filter
  )
    return;
  // PutBucketNotificationConfiguration replaces the bucket's whole configuration
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutBucketNotificationConfiguration.html), so
  // provisioning MERGES: every notification the bucket already has (other queues, topics, functions,
  // EventBridge) is written back unchanged, and only the pipeline's own (by its Id) is added or replaced
  // — what CDK's helper does for an imported bucket on AWS.
  const wanted: NotificationConfiguration = {
    ...current,
    QueueConfigurations: [...queues.filter((q) => q.Id !== NOTIFICATION_ID), ours],
  };
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: wanted }),
  );
  onChange(`bucket ${bucket}: ObjectCreated notifications → ${queueArn}`);
};

/** CreateTable input from the shared {@link TABLE_SCHEMA}: the same keys and indexes as the CDK table. */
export const metadataTableDefinition = (tableName: string): CreateTableCommandInput => {
  const indexes = Object.values(TABLE_SCHEMA.indexes);
  const keyAttributes = [
    TABLE_SCHEMA.partitionKey,
    TABLE_SCHEMA.sortKey,
    ...indexes.flatMap((i) => [i.partitionKey, i.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...new Set(keyAttributes)].map((name) => ({
      AttributeName: name,
      AttributeType: 'S',
    })),
    KeySchema: [
      { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
      { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
  };
};

/** `HASH:pk,RANGE:sk` — a comparable form of a key schema. */
const keyShape = (keys: readonly { AttributeName?: string; KeyType?: string }[] | undefined): string =>
  (keys ?? []).map((k) => `${k.KeyType}:${k.AttributeName}`).join(',');

const tableMismatch = (table: TableDescription, wanted: CreateTableCommandInput): string | undefined => {
  if (keyShape(table.KeySchema) !== keyShape(wanted.KeySchema))
    return `key schema is ${keyShape(table.KeySchema)}, expected ${keyShape(wanted.KeySchema)}`;
  for (const index of wanted.GlobalSecondaryIndexes ?? []) {
    const found = table.GlobalSecondaryIndexes?.find((g) => g.IndexName === index.IndexName);
    if (!found) return `index ${index.IndexName} is missing`;
    if (keyShape(found.KeySchema) !== keyShape(index.KeySchema))
      return `index ${index.IndexName} has keys ${keyShape(found.KeySchema)}, expected ${keyShape(index.KeySchema)}`;
  }
  return undefined;
};

const ensureTable = async (
  clients: AwsClients,
  tableName: string,
  onChange: (change: string) => void,
): Promise<void> => {
  const wanted = metadataTableDefinition(tableName);
  try {
    const { Table } = await clients.dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const problem = Table ? tableMismatch(Table, wanted) : 'no description';
    if (problem)
      throw new ProvisionError(
        `table ${tableName} exists with another schema (${problem}): restart the emulator (its state lives in memory) or delete the table`,
      );
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await clients.dynamo.send(new CreateTableCommand(wanted));
  onChange(`created table ${tableName}`);
};

/**
 * Create (or bring up to date) everything the CDK stack deploys, on a local emulator, from the shared
 * names and settings: input and quarantine buckets, the DLQ, the ingest queue with its redrive policy,
 * the bucket notification and the queue policy allowing it, the metadata table, the alerts topic.
 * Idempotent: a second run with the same settings changes nothing (and sends no new `s3:TestEvent`).
 */
export const provisionLocal = async (options: ProvisionLocalOptions): Promise<LocalResources> => {
  const { clients, settings } = options;
  const names = { ...(options.names ?? RESOURCE_NAMES) };
  const onChange = options.onChange ?? (() => undefined);
  validatePipelineSettings(settings);

  await ensureBucket(clients, names.inputBucket, onChange);
  await ensureBucket(clients, names.quarantineBucket, onChange);
  await ensureVersioning(clients, names.quarantineBucket, onChange);
  const dlq = await ensureQueue(
    clients,
    names.deadLetterQueue,
    deadLetterQueueAttributes(settings),
    onChange,
  );
  const queue = await ensureQueue(
    clients,
    names.ingestQueue,
    ingestQueueAttributes(settings, dlq.arn),
    onChange,
    (arn) => s3SendPolicy(arn, names.inputBucket),
  );
  await ensureNotification(clients, names.inputBucket, queue.arn, onChange);
  await ensureTable(clients, names.metadataTable, onChange);
  const { TopicArn: topicArn } = await clients.sns.send(new CreateTopicCommand({ Name: names.alertsTopic }));
  if (!topicArn) throw new ProvisionError(`topic ${names.alertsTopic}: the emulator returned no ARN`);

  return {
    names,
    inputBucket: names.inputBucket,
    quarantineBucket: names.quarantineBucket,
    queueUrl: queue.url,
    queueArn: queue.arn,
    dlqUrl: dlq.url,
    dlqArn: dlq.arn,
    tableName: names.metadataTable,
    topicArn,
  };
};
