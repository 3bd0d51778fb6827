import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALARM_NAMES } from '../../infra/constructs/PipelineAlarms.ts';
import { PipelineFunction } from '../../infra/constructs/PipelineFunction.ts';
import { RESTRICTED_OBJECT_ACTIONS } from '../../infra/constructs/SecureBucket.ts';
import { pipelineSettingsFromTemplate } from '../../infra/templateSettings.ts';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { handlerEnvironment } from '../../src/config/handlerConfig.ts';
import { DEFAULT_PIPELINE_SETTINGS, TABLE_SCHEMA } from '../../src/config/settings.ts';
import { STACK_OUTPUTS } from '../../src/config/stackOutputs.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { sampleFile } from '../../src/local/samples.ts';
import { toSqsEvent } from '../../src/local/sqsEvent.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../../src/pipeline/quarantine.ts';
import { useMoto } from '../helpers/moto.ts';
import { functionBundleDir, type Synthesized, synthesize } from './synth.ts';

// One synthesis (with the real esbuild bundle of the ingest handler) shared by every test of this file,
// and one moto for running that bundle.
const moto = useMoto();
let s: Synthesized;
let clients: AwsClients;
let resources: LocalResources;
beforeAll(() => {
  s = synthesize();
});
afterAll(() => s?.cleanup());

const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resolve = (value: unknown): unknown => s.stack.resolve(value);
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const objectsOf = (construct: IConstruct) => ({ 'Fn::Join': ['', [arnOf(construct), '/*']] });

describe('buckets', () => {
  it('block public access, enforce bucket ownership, encrypt, and are retained on stack deletion', () => {
    const buckets = s.template.findResources('AWS::S3::Bucket');
    expect(Object.keys(buckets)).toHaveLength(3);
    for (const bucket of Object.values(buckets)) {
      expect(bucket).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            BlockPublicPolicy: true,
            IgnorePublicAcls: true,
            RestrictPublicBuckets: true,
          },
          OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
          BucketEncryption: {
            ServerSideEncryptionConfiguration: [
              { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
            ],
          },
        },
      });
    }
  });

  it('refuse plain HTTP and TLS below 1.2 in every bucket policy', () => {
    for (const bucket of [s.stack.inputBucket, s.stack.quarantineBucket, s.stack.accessLogBucket]) {
      s.template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: id(bucket.bucket) },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    }
  });

  it('log input and quarantine access to the log bucket, which expires logs after 90 days', () => {
    const logBucket = id(s.stack.accessLogBucket.bucket);
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logBucket }, LogFilePrefix: 'input/' },
    });
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: { DestinationBucketName: { Ref: logBucket }, LogFilePrefix: 'quarantine/' },
    });
    s.template.hasResource('AWS::S3::Bucket', {
      Properties: Match.objectLike({
        LifecycleConfiguration: {
          Rules: Match.arrayWith([{ Id: 'expire-objects', Status: 'Enabled', ExpirationInDays: 90 }]),
        },
      }),
    });
  });

  it('expire quarantined files after 30 days and abort stale multipart uploads everywhere', () => {
    const quarantine = s.json.Resources[id(s.stack.quarantineBucket.bucket)];
    expect(quarantine?.Properties?.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'abort-incomplete-multipart-uploads',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
        {
          Id: 'expire-objects',
          Status: 'Enabled',
          ExpirationInDays: 30,
          NoncurrentVersionExpiration: { NoncurrentDays: 30 },
        },
        { Id: 'remove-expired-delete-markers', Status: 'Enabled', ExpiredObjectDeleteMarker: true },
      ],
    });
    expect(quarantine?.Properties?.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    const input = s.json.Resources[id(s.stack.inputBucket.bucket)];
    expect(input?.Properties?.LifecycleConfiguration).toEqual({
      Rules: [
        {
          Id: 'abort-incomplete-multipart-uploads',
          Status: 'Enabled',
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
        },
        {
          Id: 'expire-tagged-objects',
          Status: 'Enabled',
          ExpirationInDays: 30,
          TagFilters: [{ Key: IN_PLACE_TAG, Value: IN_PLACE_TAG_VALUE }],
        },
      ],
    });
  });

  it("let only the pipeline functions' roles and the admin role read, write or list quarantined objects", () => {
    const policies = Object.values(
      s.template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: id(s.stack.quarantineBucket.bucket) } },
      }),
    );
    const statements = (policies[0]?.Properties?.PolicyDocument?.Statement ?? []) as Record<
      string,
      unknown
    >[];
    const deny = statements.find((st) => st.Sid === 'OnlyPipelineRolesTouchObjects');
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: [...RESTRICTED_OBJECT_ACTIONS].sort(),
      Resource: [arnOf(s.stack.quarantineBucket.bucket), objectsOf(s.stack.quarantineBucket.bucket)],
    });
    // The ingest function, every other pipeline function (the scheduled retry), and the admin role.
    const functionRoles = s.stack.node
      .findAll()
      .filter((c): c is PipelineFunction => c instanceof PipelineFunction)
      .map((f) => arnOf(f.role));
    expect(functionRoles).toContainEqual(arnOf(s.stack.ingest.role));
    const allowed = (deny as { Condition: { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } } }).Condition
      .ArnNotEquals['aws:PrincipalArn'];
    expect(allowed).toHaveLength(functionRoles.length + 1);
    expect(allowed).toEqual(
      expect.arrayContaining([...functionRoles, resolve(s.stack.quarantineAdminRoleArn)]),
    );
  });

  it('give the admin role exactly what inspecting, retrying and purging quarantined files needs', () => {
    const adminRole = Object.values(
      s.template.findResources('AWS::IAM::Role', {
        Properties: {
          AssumeRolePolicyDocument: {
            Statement: [Match.objectLike({ Principal: Match.objectLike({ AWS: Match.anyValue() }) })],
          },
        },
      }),
    );
    expect(adminRole).toHaveLength(1);
    const properties = adminRole[0]?.Properties as {
      ManagedPolicyArns?: unknown;
      Policies: { PolicyDocument: { Statement: Record<string, unknown>[] } }[];
    };
    expect(properties.ManagedPolicyArns).toBeUndefined();
    const statements = Object.fromEntries(
      properties.Policies.flatMap((p) => p.PolicyDocument.Statement).map((st) => [
        st.Sid,
        { Action: [st.Action].flat().sort(), Resource: st.Resource },
      ]),
    );
    const input = s.stack.inputBucket.bucket;
    const quarantine = s.stack.quarantineBucket.bucket;
    const table = arnOf(s.stack.metadataTable.table);
    const index = (name: string) => ({ 'Fn::Join': ['', [table, `/index/${name}`]] });
    expect(statements).toEqual({
      ReadStackOutputs: { Action: ['cloudformation:DescribeStacks'], Resource: { Ref: 'AWS::StackId' } },
      ListBucketsSoMissingObjectsRead404: {
        Action: ['s3:ListBucket'],
        Resource: [arnOf(input), arnOf(quarantine)],
      },
      ManageQuarantinedObjects: {
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:GetObject', 's3:GetObjectVersion'],
        Resource: objectsOf(quarantine),
      },
      RetryToInput: {
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
        Resource: objectsOf(input),
      },
      ReleaseInPlaceQuarantine: { Action: ['s3:GetObjectTagging'], Resource: objectsOf(input) },
      ReadFileHistory: {
        Action: ['dynamodb:Query'],
        Resource: [table, ...Object.values(TABLE_SCHEMA.indexes).map((i) => index(i.name))],
      },
      AlertRetryExhausted: { Action: ['sns:Publish'], Resource: { Ref: id(s.stack.alertsTopic) } },
      WatchQueues: {
        Action: ['sqs:GetQueueAttributes'],
        // CloudFormation order as CDK writes it (sorted); IAM does not care.
        Resource: [arnOf(s.stack.queues.deadLetterQueue), arnOf(s.stack.queues.queue)],
      },
      ReplayDeadLetters: {
        Action: [
          'sqs:CancelMessageMoveTask',
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:ListMessageMoveTasks',
          'sqs:ReceiveMessage',
          'sqs:StartMessageMoveTask',
        ],
        Resource: arnOf(s.stack.queues.deadLetterQueue),
      },
      ReplayToIngestQueue: { Action: ['sqs:SendMessage'], Resource: arnOf(s.stack.queues.queue) },
      RecordRetrySteps: { Action: ['dynamodb:PutItem'], Resource: table },
    });
  });

  it('send ObjectCreated events of the input bucket, and only of it, to the ingest queue', () => {
    const notifications = s.template.findResources('Custom::S3BucketNotifications');
    expect(Object.values(notifications)).toHaveLength(1);
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: id(s.stack.inputBucket.bucket) },
      NotificationConfiguration: {
        QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], QueueArn: arnOf(s.stack.queues.queue) }],
      },
    });
    const quarantine = s.json.Resources[id(s.stack.quarantineBucket.bucket)];
    expect(quarantine?.Properties).not.toHaveProperty('NotificationConfiguration');
  });

  it('let S3 send to the ingest queue only from the input bucket', () => {
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: id(s.stack.queues.queue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 's3.amazonaws.com' },
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: { ArnLike: { 'aws:SourceArn': arnOf(s.stack.inputBucket.bucket) } },
          }),
        ]),
      },
    });
  });
});

describe('queues', () => {
  it('use SSE-SQS (an S3-fed queue cannot use the aws/sqs key), accept ≥ 64 KB messages', () => {
    for (const queue of [s.stack.queues.queue, s.stack.queues.deadLetterQueue]) {
      const props = s.json.Resources[id(queue)]?.Properties;
      expect(props).toMatchObject({ SqsManagedSseEnabled: true });
      expect(props).not.toHaveProperty('KmsMasterKeyId');
      expect(props?.MaximumMessageSize).toBeGreaterThanOrEqual(64 * 1024);
    }
  });

  it('refuse plain HTTP', () => {
    for (const queue of [s.stack.queues.queue, s.stack.queues.deadLetterQueue]) {
      s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: id(queue) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    }
  });

  it('hide a message for 6 × the function timeout and redrive after 5 receives to a DLQ that keeps it 14 days', () => {
    const queue = s.json.Resources[id(s.stack.queues.queue)]?.Properties;
    const dlq = s.json.Resources[id(s.stack.queues.deadLetterQueue)]?.Properties;
    const fn = s.json.Resources[id(s.stack.ingest.function)]?.Properties;
    expect(queue?.VisibilityTimeout).toBe(6 * Number(fn?.Timeout));
    expect(queue).toMatchObject({
      MessageRetentionPeriod: 4 * 24 * 3600,
      RedrivePolicy: { deadLetterTargetArn: arnOf(s.stack.queues.deadLetterQueue), maxReceiveCount: 5 },
    });
    expect(dlq?.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  });
});

describe('ingest function', () => {
  it('runs Node.js 22 or newer on arm64 with the configured memory and timeout', () => {
    const fn = s.json.Resources[id(s.stack.ingest.function)]?.Properties;
    expect(fn?.Runtime).toMatch(/^nodejs(2[2-9]|[3-9]\d)\.x$/);
    expect(fn).toMatchObject({
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      Timeout: 60,
    });
  });

  it('gets exactly the environment the shared builder makes, plus source-map support', () => {
    const expected = resolve(
      handlerEnvironment({
        metadataTable: s.stack.metadataTable.table.tableName,
        quarantineBucket: s.stack.quarantineBucket.bucket.bucketName,
        alertsTopicArn: s.stack.alertsTopic.topicArn,
        dlqUrl: s.stack.queues.deadLetterQueue.queueUrl,
        maxReceives: DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
      }),
    ) as Record<string, unknown>;
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectEquals({ ...expected, NODE_OPTIONS: '--enable-source-maps' }),
      },
    });
    expect(expected.MAX_RECEIVES).toBe('5');
  });

  it('logs to its own log group, kept one month', () => {
    const logGroup = id(s.stack.ingest.logGroup);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      LoggingConfig: { LogGroup: { Ref: logGroup } },
    });
    s.template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it('ships a minified ESM bundle with a source map and a require() shim for CommonJS dependencies', () => {
    const bundleDir = functionBundleDir(s, s.stack.ingest.function);
    const code = readFileSync(join(bundleDir, 'index.mjs'), 'utf8');
    expect(existsSync(join(bundleDir, 'index.mjs.map'))).toBe(true);
    expect(
      code.startsWith("import { createRequire as __silentScalperCreateRequire } from 'node:module';"),
    ).toBe(true);
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    // Minified: a few very long lines (esbuild keeps legal comments on their own lines).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
  });

  it('has an inline least-privilege policy and nothing else: no managed policy, no extra policy resource', () => {
    const role = s.json.Resources[id(s.stack.ingest.role)]?.Properties as {
      ManagedPolicyArns?: unknown;
      Policies: { PolicyName: string; PolicyDocument: { Statement: Record<string, unknown>[] } }[];
    };
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements = Object.fromEntries(
      role.Policies.flatMap((p) => p.PolicyDocument.Statement).map((st) => [
        st.Sid,
        { Effect: st.Effect, Action: [st.Action].flat().sort(), Resource: st.Resource },
      ]),
    );
    const input = s.stack.inputBucket.bucket;
    const quarantine = s.stack.quarantineBucket.bucket;
    expect(statements).toEqual({
      WriteOwnLogs: {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(s.stack.ingest.logGroup),
      },
      ReadInputObjects: { Effect: 'Allow', Action: ['s3:GetObject'], Resource: objectsOf(input) },
      ListInputSoMissingObjectsRead404: {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: arnOf(input),
      },
      DeleteMovedInputObjects: {
        Effect: 'Allow',
        Action: ['s3:DeleteObject'],
        Resource: objectsOf(input),
      },
      TagInPlaceQuarantine: {
        Effect: 'Allow',
        Action: ['s3:GetObjectTagging', 's3:PutObjectTagging'],
        Resource: objectsOf(input),
      },
      WriteQuarantine: {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:PutObject', 's3:PutObjectTagging'],
        Resource: objectsOf(quarantine),
      },
      ReadQuarantineCopies: { Effect: 'Allow', Action: ['s3:GetObject'], Resource: objectsOf(quarantine) },
      ListQuarantineSoMissingCopiesRead404: {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: arnOf(quarantine),
      },
      WriteFileMetadata: {
        Effect: 'Allow',
        Action: ['dynamodb:BatchWriteItem'],
        Resource: arnOf(s.stack.metadataTable.table),
      },
      ReadFileHistoryBeforeActingAgain: {
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: arnOf(s.stack.metadataTable.table),
      },
      PublishAlerts: { Effect: 'Allow', Action: ['sns:Publish'], Resource: { Ref: id(s.stack.alertsTopic) } },
      SendPoisonMessagesToDlq: {
        Effect: 'Allow',
        Action: ['sqs:SendMessage'],
        Resource: arnOf(s.stack.queues.deadLetterQueue),
      },
      ConsumeIngestQueue: {
        Effect: 'Allow',
        Action: [
          'sqs:ChangeMessageVisibility',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ReceiveMessage',
        ],
        Resource: arnOf(s.stack.queues.queue),
      },
    });
    expect(s.template.findResources('AWS::IAM::Policy')).toEqual({});
    expect(s.template.findResources('AWS::IAM::ManagedPolicy')).toEqual({});
    for (const roleResource of Object.values(s.template.findResources('AWS::IAM::Role')))
      expect(roleResource.Properties).not.toHaveProperty('ManagedPolicyArns');
  });

  it('consumes the ingest queue with the shared batch settings and partial batch responses', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: arnOf(s.stack.queues.queue),
      FunctionName: { Ref: id(s.stack.ingest.function) },
      BatchSize: DEFAULT_PIPELINE_SETTINGS.batchSize,
      MaximumBatchingWindowInSeconds: DEFAULT_PIPELINE_SETTINGS.maxBatchingWindowSeconds,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEFAULT_PIPELINE_SETTINGS.maxConcurrency },
    });
  });

  it('is built from DEFAULT_PIPELINE_SETTINGS: reading the template back gives them again', () => {
    expect(pipelineSettingsFromTemplate(s.json)).toEqual({
      ...DEFAULT_PIPELINE_SETTINGS,
      handlerMaxReceives: DEFAULT_PIPELINE_SETTINGS.maxReceiveCount,
    });
    expect(s.stack.settings).toEqual(DEFAULT_PIPELINE_SETTINGS);
  });
});

describe('metadata table', () => {
  it('is on-demand, point-in-time recoverable, deletion-protected and retained', () => {
    s.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
    });
  });

  it('has the shared key schema and the sparse byStatus index', () => {
    const { indexes } = TABLE_SCHEMA;
    s.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_SCHEMA.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_SCHEMA.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: Object.values(indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    });
  });
});

describe('alerts topic', () => {
  it('refuses publishes over plain HTTP and has no subscription unless an address is given', () => {
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: id(s.stack.alertsTopic) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    expect(s.template.findResources('AWS::SNS::Subscription')).toEqual({});
  });
});

describe('alarms', () => {
  const alarmNamed = (short: string) => ({ AlarmName: `SilentScalper-${short}` });
  const topic = { Ref: 'placeholder' };
  beforeAll(() => {
    topic.Ref = id(s.stack.alertsTopic);
  });

  it('notify the alerts topic when they fire and when they recover', () => {
    const pipelineAlarms = Object.values(s.stack.alarms.alarms);
    expect(pipelineAlarms).toHaveLength(Object.keys(ALARM_NAMES).length);
    for (const alarm of pipelineAlarms) {
      expect(s.json.Resources[id(alarm)]?.Properties).toMatchObject({
        AlarmActions: [topic],
        OKActions: [topic],
      });
    }
  });

  it('fire on one message in the DLQ', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed(ALARM_NAMES.dlqNotEmpty),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [id(s.stack.queues.deadLetterQueue), 'QueueName'] } },
      ],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('fire when the oldest ingest message stays older than 15 minutes for 5 minutes', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...alarmNamed(ALARM_NAMES.oldestMessageTooOld),
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [id(s.stack.queues.queue), 'QueueName'] } }],
      Threshold: 900,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 5,
      DatapointsToAlarm: 5,
      Period: 60,
    });
  });

  it('fire on any function error or throttle', () => {
    for (const [short, metricName] of [
      [ALARM_NAMES.functionErrors, 'Errors'],
      [ALARM_NAMES.functionThrottles, 'Throttles'],
    ] as const) {
      s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...alarmNamed(short),
        Namespace: 'AWS/Lambda',
        MetricName: metricName,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(s.stack.ingest.function) } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
    }
  });

  it('fire when over 10% of at least 20 finished files in 5 minutes were quarantined, from the EMF metrics', () => {
    const alarm = Object.values(
      s.template.findResources('AWS::CloudWatch::Alarm', {
        Properties: alarmNamed(ALARM_NAMES.quarantineRateHigh),
      }),
    )[0]?.Properties as {
      Threshold: number;
      Metrics: { Id: string; Expression?: string; MetricStat?: unknown }[];
    };
    expect(alarm.Threshold).toBe(10);
    const expression = alarm.Metrics.find((m) => m.Expression)?.Expression ?? '';
    expect(expression).toMatch(/^IF\(.* >= 20, 100 \* .* \/ .*, 0\)$/);
    const stats = alarm.Metrics.filter((m) => m.MetricStat).map((m) => m.MetricStat);
    // The reason-less total: an alarm's math may use at most 10 metrics, fewer than the reasons.
    expect(stats).toContainEqual({
      Metric: {
        Namespace: 'SilentScalper',
        MetricName: 'FilesQuarantinedTotal',
        Dimensions: [{ Name: 'service', Value: 'silent-scalper' }],
      },
      Period: 300,
      Stat: 'Sum',
    });
    expect(stats).toContainEqual({
      Metric: {
        Namespace: 'SilentScalper',
        MetricName: 'FilesProcessed',
        Dimensions: [{ Name: 'service', Value: 'silent-scalper' }],
      },
      Period: 300,
      Stat: 'Sum',
    });
    // Every metric id the expression uses exists, and nothing else is fetched.
    const ids = alarm.Metrics.filter((m) => m.MetricStat).map((m) => m.Id);
    for (const metricId of ids) expect(expression).toContain(metricId);
    expect(ids).toHaveLength(3);
  });
});

describe('dashboard', () => {
  it('shows backlog, throughput by status, quarantines by reason, latency percentiles and DLQ depth', () => {
    const dashboard = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'))[0];
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const title of [
      'Ingest queue depth',
      'Oldest ingest message age (s)',
      'Dead-letter queue depth',
      'Files per minute by status',
      'Quarantines per minute by reason',
      'Processing duration per file (ms)',
      'Queue latency: upload to processing (ms)',
      'Batch item failures, poison messages, alert failures',
    ])
      expect(body).toContain(title);
    for (const metric of [
      'FilesProcessed',
      'FilesQuarantined',
      'FilesGone',
      'FilesFailed',
      'BatchItemFailures',
    ])
      expect(body).toContain(metric);
    for (const reason of ['EMPTY_FILE', 'TOO_LARGE', 'BLOCKED_TYPE', 'TYPE_MISMATCH', 'PROCESSING_FAILED'])
      expect(body).toContain(reason);
    for (const stat of ['p50', 'p95', 'p99']) expect(body).toContain(`\\"stat\\":\\"${stat}\\"`);
  });
});

describe('outputs', () => {
  it('export every name, URL and ARN the CLI reads, under the keys of STACK_OUTPUTS', () => {
    const outputs = s.template.findOutputs('*');
    expect(Object.keys(outputs).sort()).toEqual(Object.values(STACK_OUTPUTS).sort());
    expect(outputs[STACK_OUTPUTS.ingestQueueUrl]?.Value).toEqual({ Ref: id(s.stack.queues.queue) });
    expect(outputs[STACK_OUTPUTS.deadLetterQueueArn]?.Value).toEqual(arnOf(s.stack.queues.deadLetterQueue));
    expect(outputs[STACK_OUTPUTS.metadataTableName]?.Value).toEqual({ Ref: id(s.stack.metadataTable.table) });
  });
});

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged finding, and CDK no error or warning', () => {
    const violations = s.validationReport.pluginReports.flatMap((r) => r.violations ?? []);
    expect(violations).toEqual([]);
    const annotations = Annotations.fromStack(s.stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('acknowledges only the reviewed findings, each with a reason', () => {
    const acknowledged = s.stack.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) =>
          // CDK stores an acknowledgment without a plugin namespace under `Annotation::<id>`; cdk-nag 3
          // matches the id after that prefix.
          Object.entries(m.data as Record<string, string>).map(([key, reason]) => ({
            path: c.node.path,
            id: key.replace(/^Annotation::/, ''),
            reason,
          })),
        ),
    );
    const input = id(s.stack.inputBucket.bucket);
    const quarantine = id(s.stack.quarantineBucket.bucket);
    // The scheduled retry function's acknowledgments are reviewed in retry.test.ts.
    const outsideRetry = acknowledged.filter(
      (a) => !a.path.startsWith('SilentScalper/Default/QuarantineRetry/'),
    );
    expect(outsideRetry.map((a) => `${a.path} ${a.id}`).sort()).toEqual(
      [
        `SilentScalper/Default/AccessLogs/Bucket AwsSolutions-S1`,
        `SilentScalper/Default/AlertsTopic AwsSolutions-SNS2`,
        `SilentScalper/Default/Ingest/Role AwsSolutions-IAM5[Resource::<${input}.Arn>/*]`,
        `SilentScalper/Default/Ingest/Role AwsSolutions-IAM5[Resource::<${quarantine}.Arn>/*]`,
        `SilentScalper/Default/QuarantineAdminRole AwsSolutions-IAM5[Resource::<${input}.Arn>/*]`,
        `SilentScalper/Default/QuarantineAdminRole AwsSolutions-IAM5[Resource::<${quarantine}.Arn>/*]`,
      ].sort(),
    );
    for (const a of acknowledged) expect(a.reason.length).toBeGreaterThan(40);
  });
});

/** The function's environment from the template, `Ref`s replaced by the local resources they stand for. */
const functionEnvironment = (): Record<string, string> => {
  const local: Record<string, string> = {
    [id(s.stack.metadataTable.table)]: resources.tableName,
    [id(s.stack.quarantineBucket.bucket)]: resources.quarantineBucket,
    [id(s.stack.alertsTopic)]: resources.topicArn,
    [id(s.stack.queues.deadLetterQueue)]: resources.dlqUrl,
  };
  const fn = s.json.Resources[id(s.stack.ingest.function)]?.Properties as
    | { Environment: { Variables: Record<string, unknown> } }
    | undefined;
  const variables = fn?.Environment.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const ref = (value as { Ref?: string }).Ref;
      const resolved = ref ? local[ref] : undefined;
      if (!resolved) throw new Error(`cannot map ${name}=${JSON.stringify(value)} to a local resource`);
      return [name, resolved];
    }),
  );
};

/** Run the bundled handler once in a child process; resolves with its batch response. */
const invokeBundle = async (event: unknown): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => {
  const runner = join(s.assemblyDir, 'invoke-bundle.mjs');
  writeFileSync(
    runner,
    [
      `const { handler } = await import(${JSON.stringify(join(functionBundleDir(s, s.stack.ingest.function), 'index.mjs'))});`,
      'let input = "";',
      'for await (const chunk of process.stdin) input += chunk;',
      'const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: "bundle-test", functionName: "ingest" };',
      'const response = await handler(JSON.parse(input), context);',
      'process.stdout.write("\\nRESPONSE " + JSON.stringify(response) + "\\n");',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [runner], {
    env: {
      PATH: process.env.PATH ?? '',
      ...functionEnvironment(),
      AWS_LAMBDA_FUNCTION_NAME: 'ingest',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: moto().endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(JSON.stringify(event));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bundle did not finish within 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESPONSE '));
  if (code !== 0 || !line) throw new Error(`bundle exited with ${code}\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice('RESPONSE '.length));
};

/** Receive from the ingest queue until `count` S3 object events arrived (bounded), keeping test events too. */
const receiveEvents = async (count: number): Promise<Message[]> => {
  const messages: Message[] = [];
  const deadline = Date.now() + 30_000;
  while (messages.filter((m) => m.Body?.includes('ObjectCreated')).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${messages.length} messages arrived within 30 s`);
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    messages.push(...Messages);
  }
  return messages;
};

describe('the deployed ingest bundle', () => {
  // The artifact CDK would upload to Lambda — the esbuild ESM bundle from the cloud assembly, not the
  // TypeScript sources — run in a fresh Node process with the environment the template gives the function
  // (resource references pointed at a local moto), the way Lambda runs it: module loaded once with
  // AWS_LAMBDA_FUNCTION_NAME set, then `handler(event, context)`.
  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint, region: 'us-east-1' }, false);
    resources = await provisionLocal({ clients, settings: DEFAULT_PIPELINE_SETTINGS });
  });

  it('loads as ESM on Node, reads its configuration at cold start, and processes a real S3 batch', async () => {
    // Prepare: one good and one blocked upload; S3 notifies the queue as it would in AWS.
    const png = sampleFile('png');
    const exe = sampleFile('exe');
    await clients.s3.send(
      new PutObjectCommand({ Bucket: resources.inputBucket, Key: 'dump/photo one.png', Body: png.bytes }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: resources.inputBucket, Key: 'dump/tool.exe', Body: exe.bytes }),
    );
    const messages = await receiveEvents(2);

    // Act
    const response = await invokeBundle(
      toSqsEvent(messages, { queueArn: resources.queueArn, region: 'us-east-1' }),
    );

    // Assess: nothing to retry, both files recorded, the executable moved to quarantine.
    expect(response).toEqual({ batchItemFailures: [] });
    const { Items = [] } = await clients.dynamo.send(new ScanCommand({ TableName: resources.tableName }));
    const byKey = Object.fromEntries(Items.filter((i) => i.status).map((i) => [i.key, i]));
    expect(byKey['dump/photo one.png']).toMatchObject({ status: 'PROCESSED', mime: 'image/png' });
    expect(byKey['dump/tool.exe']).toMatchObject({ status: 'QUARANTINED', reason: 'BLOCKED_TYPE' });
    const input = await clients.s3.send(new ListObjectsV2Command({ Bucket: resources.inputBucket }));
    expect((input.Contents ?? []).map((o) => o.Key)).toEqual(['dump/photo one.png']);
    const quarantine = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: resources.quarantineBucket }),
    );
    expect(quarantine.KeyCount).toBe(1);
  });
});
