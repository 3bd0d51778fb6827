import { CfnOutput, Duration, Lazy, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import {
  AccountRootPrincipal,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type CfnBucket, EventType, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { SqsDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { type HandlerConfig, handlerEnvironment } from '../src/config/handlerConfig.ts';
import type { RetryPolicy } from '../src/config/retryConfig.ts';
import {
  mergePipelineSettings,
  type PipelineSettings,
  RESOURCE_NAMES,
  TABLE_SCHEMA,
} from '../src/config/settings.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../src/pipeline/quarantine.ts';
import { IngestQueues } from './constructs/IngestQueues.ts';
import { addInPlaceQuarantineGuard } from './constructs/inPlaceQuarantineGuard.ts';
import { MetadataTable } from './constructs/MetadataTable.ts';
import {
  type AlarmThresholds,
  DEFAULT_ALARM_THRESHOLDS,
  PipelineAlarms,
} from './constructs/PipelineAlarms.ts';
import { PipelineDashboard } from './constructs/PipelineDashboard.ts';
import { PipelineFunction } from './constructs/PipelineFunction.ts';
import { QuarantineRetry } from './constructs/QuarantineRetry.ts';
import { SecureBucket } from './constructs/SecureBucket.ts';
import { type StackOptions, validateStackConfiguration } from './guards.ts';
import { STACK_OUTPUTS } from './outputs.ts';
import { addPipelineWiringCheck } from './wiringCheck.ts';

/** Handler tunables (sniff size, concurrency, blocked types…) the stack may set; unset ones keep the handler's defaults. */
export type HandlerTunables = Partial<
  Omit<HandlerConfig, 'metadataTable' | 'quarantineBucket' | 'alertsTopicArn' | 'dlqUrl' | 'maxReceives'>
>;

/** The resource names the ingest function's environment points at. */
type IngestResourceNames = Pick<
  Parameters<typeof handlerEnvironment>[0],
  'metadataTable' | 'quarantineBucket' | 'alertsTopicArn' | 'dlqUrl'
>;

/** Entry of the ingest Lambda handler, relative to the repository root. */
export const INGEST_HANDLER_ENTRY = 'src/handlers/ingest.ts';

/** Defaults of the deployment options that are not pipeline settings. */
export const DEFAULT_STACK_OPTIONS = {
  quarantineExpiryDays: 30,
  accessLogExpiryDays: 90,
  logRetention: RetentionDays.ONE_MONTH,
} as const;

/** Props of {@link SilentScalperStack}. Every prop is optional; the defaults are the documented ones. */
export interface SilentScalperStackProps extends StackProps {
  /** Queue, batch and retry settings. @default DEFAULT_PIPELINE_SETTINGS (src/config/settings.ts) */
  readonly settings?: Partial<PipelineSettings>;
  /** Handler tunables. @default the handler's own defaults */
  readonly handlerTunables?: HandlerTunables;
  /** More environment variables for the ingest function (e.g. `LOG_LEVEL`). Checked by the guards. */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /** Only objects whose key matches raise a notification. @default every object */
  readonly notificationFilter?: { readonly prefix?: string; readonly suffix?: string };
  /** Quarantined objects are deleted this many days after they were quarantined. @default 30 */
  readonly quarantineExpiryDays?: number;
  /** Server access logs are deleted after this many days. @default 90 */
  readonly accessLogExpiryDays?: number;
  /** Retention of the function log groups. @default one month */
  readonly logRetention?: RetentionDays;
  /** Subscribe this address to the alerts topic (it must confirm the subscription). @default none */
  readonly alertEmail?: string;
  /**
   * Role allowed to read and write the quarantine bucket besides the pipeline functions.
   * @default a new role any principal of the account with `sts:AssumeRole` permission may assume
   */
  readonly quarantineAdminRoleArn?: string;
  /**
   * Keep buckets, table and log groups (and the table's deletion protection) when the stack is deleted.
   * Set false only for throwaway test deployments. @default true
   */
  readonly retainData?: boolean;
  /** Alarm thresholds. @default DEFAULT_ALARM_THRESHOLDS */
  readonly alarmThresholds?: Partial<AlarmThresholds>;
  /** Automatic quarantine retry policy. @default DEFAULT_RETRY_POLICY (src/config/retryConfig.ts) */
  readonly retryPolicy?: Partial<RetryPolicy>;
}

/**
 * Silent Scalper on AWS: input bucket → S3 notification → ingest queue (+ DLQ) → ingest function →
 * metadata table, quarantine bucket and alerts topic, with alarms and a dashboard. Synthesis fails with
 * a message naming the setting when a setting would break the pipeline.
 */
export class SilentScalperStack extends Stack {
  /** The resolved queue/batch/retry settings the template was built from. */
  public readonly settings: PipelineSettings;
  /** The resolved deployment options. */
  public readonly options: StackOptions;
  /** Destination of the server access logs of the other buckets. */
  public readonly accessLogBucket: SecureBucket;
  /** Where uploads land. */
  public readonly inputBucket: SecureBucket;
  /** Where rejected files are moved (object access restricted to the pipeline roles). */
  public readonly quarantineBucket: SecureBucket;
  /** The ingest queue and its DLQ. */
  public readonly queues: IngestQueues;
  /** One item per upload, plus history steps. */
  public readonly metadataTable: MetadataTable;
  /** Alarm notifications and the handler's per-batch alerts. */
  public readonly alertsTopic: Topic;
  /** The ingest function, its role and log group. */
  public readonly ingest: PipelineFunction;
  /** The scheduled quarantine retry (function, schedule, errors alarm). */
  public readonly retry: QuarantineRetry;
  /** The pipeline alarms. */
  public readonly alarms: PipelineAlarms;
  /** The CloudWatch dashboard. */
  public readonly dashboard: PipelineDashboard;
  /** ARN of the role that may read and write quarantined objects besides the functions. */
  public readonly quarantineAdminRoleArn: string;

  constructor(scope: Construct, id: string, props: SilentScalperStackProps = {}) {
    super(scope, id, props);
    // Merged unvalidated: validateStackConfiguration below reports every problem of every setting at once.
    this.settings = mergePipelineSettings(props.settings);
    this.options = {
      quarantineExpiryDays: props.quarantineExpiryDays ?? DEFAULT_STACK_OPTIONS.quarantineExpiryDays,
      accessLogExpiryDays: props.accessLogExpiryDays ?? DEFAULT_STACK_OPTIONS.accessLogExpiryDays,
      logRetention: props.logRetention ?? DEFAULT_STACK_OPTIONS.logRetention,
      alarmThresholds: { ...DEFAULT_ALARM_THRESHOLDS, ...props.alarmThresholds },
      ...(props.alertEmail === undefined ? {} : { alertEmail: props.alertEmail }),
      ...(props.notificationFilter === undefined ? {} : { notificationFilter: props.notificationFilter }),
    };
    const settings = this.settings;
    const ingestEnvironment = (names: IngestResourceNames) => ({
      ...handlerEnvironment({
        ...names,
        maxReceives: settings.maxReceiveCount,
        ...(props.handlerTunables ? { tunables: props.handlerTunables } : {}),
      }),
      ...props.extraEnvironment,
    });
    // Guards first, before any resource exists, on the environment the same builder makes (the resource
    // names do not matter to them, so the local names stand in for the deploy-time tokens).
    validateStackConfiguration(
      settings,
      this.options,
      ingestEnvironment({
        metadataTable: RESOURCE_NAMES.metadataTable,
        quarantineBucket: RESOURCE_NAMES.quarantineBucket,
        alertsTopicArn: RESOURCE_NAMES.alertsTopic,
        dlqUrl: RESOURCE_NAMES.deadLetterQueue,
      }),
    );
    const retainData = props.retainData ?? true;
    const removalPolicy = retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    // Storage and messaging.
    this.accessLogBucket = new SecureBucket(this, 'AccessLogs', {
      removalPolicy,
      expireAfterDays: this.options.accessLogExpiryDays,
    });
    Validations.of(this.accessLogBucket.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This is the server-access-log destination; logging it into itself would log its own log writes.',
    });
    this.inputBucket = new SecureBucket(this, 'Input', {
      removalPolicy,
      accessLogs: { bucket: this.accessLogBucket.bucket, prefix: 'input/' },
      notificationsHandlerRole: this.createNotificationsHandlerRole(),
      // Files quarantined in place (too large to copy) expire like the quarantine bucket's.
      expireTagged: { key: IN_PLACE_TAG, value: IN_PLACE_TAG_VALUE, days: this.options.quarantineExpiryDays },
    });
    // Nobody but the pipeline roles reads (or un-tags) an upload quarantined in place.
    addInPlaceQuarantineGuard(this.inputBucket.bucket, () => [
      this.ingest.role.roleArn,
      this.retry.function.role.roleArn,
      this.quarantineAdminRoleArn,
    ]);
    this.quarantineBucket = new SecureBucket(this, 'Quarantine', {
      removalPolicy,
      accessLogs: { bucket: this.accessLogBucket.bucket, prefix: 'quarantine/' },
      expireAfterDays: this.options.quarantineExpiryDays,
      abortIncompleteUploadsAfterDays: 1,
      restrictObjectAccess: true,
      // Each quarantine copy is its own version, and records name it (docs/operations.md, "Addressing").
      versioned: true,
    });
    this.queues = new IngestQueues(this, 'IngestQueues', { settings });
    this.metadataTable = new MetadataTable(this, 'Metadata', {
      removalPolicy,
      deletionProtection: retainData,
    });
    this.alertsTopic = new Topic(this, 'AlertsTopic', {
      displayName: 'Silent Scalper alerts',
      enforceSSL: true,
    });
    Validations.of(this.alertsTopic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alerts carry object keys and counts, never file contents; CloudWatch alarms cannot publish to a topic encrypted with the aws/sns key.',
    });
    if (this.options.alertEmail)
      this.alertsTopic.addSubscription(new EmailSubscription(this.options.alertEmail));

    // The ingest function: environment from the same builder the local runner uses.
    const environment = ingestEnvironment({
      metadataTable: this.metadataTable.table.tableName,
      quarantineBucket: this.quarantineBucket.bucket.bucketName,
      alertsTopicArn: this.alertsTopic.topicArn,
      dlqUrl: this.queues.deadLetterQueue.queueUrl,
    });

    this.ingest = new PipelineFunction(this, 'Ingest', {
      entry: INGEST_HANDLER_ENTRY,
      description: 'Silent Scalper ingest: sniff, validate, track and quarantine uploaded files',
      timeout: Duration.seconds(settings.functionTimeoutSeconds),
      memorySizeMb: settings.memorySizeMb,
      environment,
      logRetention: this.options.logRetention,
      logRemovalPolicy: removalPolicy,
      statements: this.ingestStatements(),
    });
    this.ingest.function.addEventSource(
      new SqsEventSource(this.queues.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow: Duration.seconds(settings.maxBatchingWindowSeconds),
        reportBatchItemFailures: settings.reportBatchItemFailures,
        maxConcurrency: settings.maxConcurrency,
      }),
    );
    this.quarantineBucket.allowObjectAccess(this.ingest.role);
    Validations.of(this.ingest.role).acknowledge(
      {
        id: this.objectWildcardFinding(this.inputBucket),
        reason:
          'The function reads and removes whatever keys uploaders create, in this one input bucket only.',
      },
      {
        id: this.objectWildcardFinding(this.quarantineBucket),
        reason: 'Quarantined copies keep their arbitrary upload keys; writes are limited to this one bucket.',
      },
    );
    this.quarantineAdminRoleArn = props.quarantineAdminRoleArn ?? this.createQuarantineAdminRole().roleArn;
    this.quarantineBucket.allowObjectAccess(this.quarantineAdminRoleArn);

    this.retry = new QuarantineRetry(this, 'QuarantineRetry', {
      inputBucket: this.inputBucket,
      quarantineBucket: this.quarantineBucket,
      table: this.metadataTable.table,
      topic: this.alertsTopic,
      ...(props.retryPolicy ? { policy: props.retryPolicy } : {}),
      logRetention: this.options.logRetention,
      logRemovalPolicy: removalPolicy,
    });
    Validations.of(this.retry.function.role).acknowledge(
      {
        id: this.objectWildcardFinding(this.inputBucket),
        reason: 'A retried file goes back under its original, arbitrary key, in this one input bucket only.',
      },
      {
        id: this.objectWildcardFinding(this.quarantineBucket),
        reason:
          'Quarantined copies keep their arbitrary upload keys; reads and deletes stay in this one bucket.',
      },
    );

    // S3 → SQS notifications, written at deploy time by CDK's helper function (see the role below).
    const filters: NotificationKeyFilter[] = this.options.notificationFilter
      ? [this.options.notificationFilter]
      : [];
    this.inputBucket.bucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new SqsDestination(this.queues.queue),
      ...filters,
    );

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
      topic: this.alertsTopic,
      thresholds: this.options.alarmThresholds,
    });
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
      alarms: [...Object.values(this.alarms.alarms), this.retry.errorsAlarm],
    });

    addPipelineWiringCheck(this, {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
    });
    this.addOutputs();
  }

  /** The ingest function's whole permission set (https://docs.aws.amazon.com/service-authorization/latest/reference/). */
  private ingestStatements(): PolicyStatement[] {
    const input = this.inputBucket.bucket;
    const quarantine = this.quarantineBucket.bucket;
    return [
      new PolicyStatement({
        sid: 'ReadInputObjects',
        // GetObjectVersion: reads and copies are pinned to the upload's version. GetObjectTagging: a copy
        // that keeps the source's tags (TaggingDirective COPY) must read them.
        actions: ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging'],
        resources: [input.arnForObjects('*')],
      }),
      new PolicyStatement({
        sid: 'ListInputSoMissingObjectsRead404',
        // Without s3:ListBucket, GET/HEAD of a deleted key answers 403 instead of 404, and a file that is
        // already gone would look like a permission failure
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
        actions: ['s3:ListBucket'],
        resources: [input.bucketArn],
      }),
      new PolicyStatement({
        sid: 'DeleteMovedInputObjects',
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [input.arnForObjects('*')],
      }),
      new PolicyStatement({
        sid: 'TagInPlaceQuarantine',
        // A rejected file above the in-place threshold is tagged where it is, keeping its own tags
        // (read first); the Version forms when the input bucket is versioned (the tag is pinned).
        actions: ['s3:PutObjectTagging', 's3:PutObjectVersionTagging', 's3:GetObjectVersionTagging'],
        resources: [input.arnForObjects('*')],
      }),
      new PolicyStatement({
        sid: 'RecogniseOwnQuarantineCopy',
        // A redelivered event of a moved file reads that upload's quarantine copy; without ListBucket a
        // missing copy would answer 403 instead of 404
        // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
        actions: ['s3:GetObject', 's3:ListBucket'],
        resources: [quarantine.arnForObjects('*'), quarantine.bucketArn],
      }),
      new PolicyStatement({
        sid: 'WriteQuarantine',
        // AbortMultipartUpload: objects over 5 GiB are copied in parts, and a failed copy must clean up.
        actions: ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
        resources: [quarantine.arnForObjects('*')],
      }),
      new PolicyStatement({
        sid: 'WriteFileMetadata',
        actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
        resources: [this.metadataTable.table.tableArn],
      }),
      new PolicyStatement({
        sid: 'PublishAlerts',
        actions: ['sns:Publish'],
        resources: [this.alertsTopic.topicArn],
      }),
      new PolicyStatement({
        sid: 'SendPoisonMessagesToDlq',
        actions: ['sqs:SendMessage'],
        resources: [this.queues.deadLetterQueue.queueArn],
      }),
      new PolicyStatement({
        sid: 'ConsumeIngestQueue',
        // What the SQS event source mapping needs, exactly
        // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions).
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:GetQueueAttributes',
          'sqs:ChangeMessageVisibility',
        ],
        resources: [this.queues.queue.queueArn],
      }),
    ];
  }

  /**
   * CDK writes S3 notification settings through a helper Lambda function; by default its role has a
   * managed policy and `s3:PutBucketNotification` on `*`. This role can only set the notifications of the
   * input bucket, and it is immutable, so CDK cannot add those broader grants. The helper gets no log
   * permission: it reports a failure to CloudFormation with the error, which shows in the stack events.
   */
  private createNotificationsHandlerRole() {
    const role = new Role(this, 'InputNotificationsRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the CDK notifications helper set the input bucket event notifications, nothing else',
      inlinePolicies: {
        InputNotifications: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'SetInputBucketNotifications',
              actions: ['s3:PutBucketNotification'],
              // Lazy: the bucket is created with this role, so its ARN is only known afterwards.
              resources: [Lazy.string({ produce: () => this.inputBucket.bucket.bucketArn })],
            }),
          ],
        }),
      },
    });
    return role.withoutPolicyUpdates();
  }

  /** A role for people (or tools) that inspect, restore or purge quarantined files. */
  private createQuarantineAdminRole(): Role {
    const quarantine = this.quarantineBucket.bucket;
    const input = this.inputBucket.bucket;
    const table = this.metadataTable.table;
    const indexArns = Object.values(TABLE_SCHEMA.indexes).map(
      (index) => `${table.tableArn}/index/${index.name}`,
    );
    const role = new Role(this, 'QuarantineAdminRole', {
      assumedBy: new AccountRootPrincipal(),
      description:
        'Operates the quarantine (the bucket denies everyone else): inspect, retry to input, purge; what `silent-scalper retry` needs',
      inlinePolicies: {
        Quarantine: new PolicyDocument({
          statements: [
            new PolicyStatement({
              sid: 'ReadStackOutputs',
              // The CLI finds the buckets and table from this stack's outputs.
              actions: ['cloudformation:DescribeStacks'],
              resources: [this.stackId],
            }),
            new PolicyStatement({
              sid: 'ListBucketsSoMissingObjectsRead404',
              actions: ['s3:ListBucket'],
              resources: [quarantine.bucketArn, input.bucketArn],
            }),
            new PolicyStatement({
              sid: 'ManageQuarantinedObjects',
              // The Version forms: records name the exact version of a quarantined copy, and a retry
              // deletes exactly that version.
              actions: [
                's3:GetObject',
                's3:GetObjectVersion',
                's3:GetObjectTagging',
                's3:PutObject',
                's3:PutObjectTagging',
                's3:DeleteObject',
                's3:DeleteObjectVersion',
              ],
              resources: [quarantine.arnForObjects('*')],
            }),
            new PolicyStatement({
              sid: 'RetryToInput',
              // HEAD first (a newer upload of the key is never overwritten), then the copy; a copy over
              // 5 GiB goes in parts, and a failed one must be aborted.
              actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
              resources: [input.arnForObjects('*')],
            }),
            new PolicyStatement({
              sid: 'ReleaseInPlaceQuarantine',
              // Retry of a file quarantined in place replaces its tags (read first), per version where
              // the input bucket is versioned.
              actions: ['s3:GetObjectTagging', 's3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'],
              resources: [input.arnForObjects('*')],
            }),
            new PolicyStatement({
              sid: 'ReadFileHistory',
              actions: ['dynamodb:Query', 'dynamodb:GetItem'],
              resources: [table.tableArn, ...indexArns],
            }),
            new PolicyStatement({
              sid: 'RecordRetrySteps',
              actions: ['dynamodb:PutItem'],
              resources: [table.tableArn],
            }),
          ],
        }),
      },
    });
    Validations.of(role).acknowledge(
      {
        id: this.objectWildcardFinding(this.quarantineBucket),
        reason: 'Quarantined object keys mirror arbitrary upload keys; access is limited to this one bucket.',
      },
      {
        id: this.objectWildcardFinding(this.inputBucket),
        reason: 'A retried file goes back under its original, arbitrary key, in this one input bucket only.',
      },
    );
    return role;
  }

  /** cdk-nag's finding id for `<bucket ARN>/*` in an IAM policy (object keys are not known in advance). */
  private objectWildcardFinding(bucket: SecureBucket): string {
    const logicalId = this.getLogicalId(bucket.bucket.node.defaultChild as CfnBucket);
    return `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/*]`;
  }

  private addOutputs(): void {
    const outputs: Record<(typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS], string> = {
      [STACK_OUTPUTS.inputBucketName]: this.inputBucket.bucket.bucketName,
      [STACK_OUTPUTS.quarantineBucketName]: this.quarantineBucket.bucket.bucketName,
      [STACK_OUTPUTS.ingestQueueUrl]: this.queues.queue.queueUrl,
      [STACK_OUTPUTS.ingestQueueArn]: this.queues.queue.queueArn,
      [STACK_OUTPUTS.deadLetterQueueUrl]: this.queues.deadLetterQueue.queueUrl,
      [STACK_OUTPUTS.deadLetterQueueArn]: this.queues.deadLetterQueue.queueArn,
      [STACK_OUTPUTS.metadataTableName]: this.metadataTable.table.tableName,
      [STACK_OUTPUTS.alertsTopicArn]: this.alertsTopic.topicArn,
      [STACK_OUTPUTS.ingestFunctionName]: this.ingest.function.functionName,
      [STACK_OUTPUTS.dashboardName]: this.dashboard.dashboard.dashboardName,
      [STACK_OUTPUTS.quarantineAdminRoleArn]: this.quarantineAdminRoleArn,
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
