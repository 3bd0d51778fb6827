import { Duration, Lazy, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type { IAlarm } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  CompositePrincipal,
  type IRole,
  PolicyDocument,
  PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket, EventType, type IBucket, type NotificationKeyFilter } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { type HandlerConfig, handlerEnvironment } from '../src/config/handlerConfig.ts';
import {
  type IngestPermissionOptions,
  ingestStatements,
  operatorStatements,
  type PipelineArns,
} from '../src/config/permissions.ts';
import type { RetryPolicy } from '../src/config/retryConfig.ts';
import { mergePipelineSettings, type PipelineSettings, RESOURCE_NAMES } from '../src/config/settings.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../src/pipeline/quarantine.ts';
import { AccountPinnedQueueDestination } from './constructs/AccountPinnedQueueDestination.ts';
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
import { objectWildcardFinding } from './nagFindings.ts';
import { annotateSource, type PipelineSource, validateSources } from './pipelineSources.ts';
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

/** Props of {@link SilentScalperPipeline}. Every prop is optional; the defaults are the documented ones. */
export interface SilentScalperPipelineProps {
  /**
   * An existing bucket uploads land in (`Bucket.fromBucketName(this, 'Dumps', 'my-dumps')`). Its existing
   * event notifications are kept: the pipeline's is merged in. Use {@link sources} for several buckets or
   * prefixes instead.
   * @default a new input bucket with the pipeline's baseline (public access blocked, TLS-only, encrypted,
   * access logs, retained)
   */
  readonly inputBucket?: IBucket;
  /** Only objects of the input bucket whose key matches raise a notification. @default every object */
  readonly notificationFilter?: { readonly prefix?: string; readonly suffix?: string };
  /**
   * Several buckets and/or prefixes feeding the one pipeline, each with its own notification. Not together
   * with {@link inputBucket} or {@link notificationFilter}. The first source's bucket is the "input bucket"
   * of the stack outputs and `silent-scalper verify`; the automatic quarantine retry and
   * `silent-scalper retry` put each file back into the source bucket it came from.
   * @default one source: {@link inputBucket} (or a new bucket) with {@link notificationFilter}
   */
  readonly sources?: readonly PipelineSource[];
  /** Queue, batch and retry settings. @default DEFAULT_PIPELINE_SETTINGS (src/config/settings.ts) */
  readonly settings?: Partial<PipelineSettings>;
  /** Handler tunables. @default the handler's own defaults */
  readonly handlerTunables?: HandlerTunables;
  /** More environment variables for the ingest function (e.g. `LOG_LEVEL`). Checked by the guards. @default none */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
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
   * @default a new role (see `quarantineAdminTrustedPrincipalArns`)
   */
  readonly quarantineAdminRoleArn?: string;
  /**
   * Principals (role or user ARNs) that may assume the new quarantine admin role.
   * @default principals of this account, and only with MFA
   */
  readonly quarantineAdminTrustedPrincipalArns?: readonly string[];
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
 * Silent Scalper as one construct, for your own CDK app (the way AWS Solutions Constructs are used):
 * input bucket(s) → S3 notification → ingest queue (+ DLQ) → ingest function → metadata table, quarantine
 * bucket and alerts topic, with alarms, a dashboard and the scheduled quarantine retry. Every resource it
 * creates is a public readonly property. Construction fails with a message naming the setting when a
 * setting would break the pipeline, and synthesis re-checks the wiring on the final resources.
 *
 * One pipeline per stack: alarm and dashboard names are derived from the stack name.
 */
export class SilentScalperPipeline extends Construct {
  /** The resolved queue/batch/retry settings the resources were built from. */
  public readonly settings: PipelineSettings;
  /** The resolved deployment options. */
  public readonly options: StackOptions;
  /** Every place uploads come from, in the order given; the first one is the primary. */
  public readonly sources: readonly PipelineSource[];
  /** The primary input bucket (the first source's): the stack outputs and `verify` use it. */
  public readonly inputBucket: IBucket;
  /** The input bucket the pipeline created, when none was given. */
  public readonly createdInputBucket?: SecureBucket;
  /** Destination of the server access logs of the buckets the pipeline creates. */
  public readonly accessLogBucket: SecureBucket;
  /** Where rejected files are moved (object access restricted to the pipeline roles). */
  public readonly quarantineBucket: SecureBucket;
  /** The ingest queue and its DLQ. */
  public readonly queues: IngestQueues;
  /** The queue S3 notifies and the ingest function consumes. */
  public readonly queue: Queue;
  /** Where messages go after `maxReceiveCount` receives, and where poison messages go. */
  public readonly deadLetterQueue: Queue;
  /** One item per upload, plus history steps. */
  public readonly metadataTable: MetadataTable;
  /** The metadata table itself. */
  public readonly table: Table;
  /** Alarm notifications and the handler's per-batch alerts. */
  public readonly alertsTopic: Topic;
  /** The ingest function, its role and log group. */
  public readonly ingest: PipelineFunction;
  /** The ingest Lambda function itself. */
  public readonly ingestFunction: NodejsFunction;
  /** The scheduled quarantine retry (function, schedule, errors alarm). */
  public readonly retry: QuarantineRetry;
  /** The scheduled quarantine-retry Lambda function itself. */
  public readonly retryFunction: NodejsFunction;
  /** The pipeline alarms. */
  public readonly alarms: PipelineAlarms;
  /** Every alarm the pipeline creates (the pipeline alarms and the retry errors alarm). */
  public readonly allAlarms: readonly IAlarm[];
  /** The CloudWatch dashboard. */
  public readonly dashboard: PipelineDashboard;
  /** ARN of the role that may read and write quarantined objects besides the functions. */
  public readonly quarantineAdminRoleArn: string;
  /** Role of CDK's notifications helper: it may set (and, for imported buckets, read) the sources' notifications only. */
  public readonly notificationsRole: IRole;

  constructor(scope: Construct, id: string, props: SilentScalperPipelineProps = {}) {
    super(scope, id);
    // The pipeline's buckets log to an access-log bucket with ACLs disabled (bucket-owner-enforced), which
    // needs S3 log delivery granted by bucket policy instead of the LogDeliveryWrite ACL
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html). Set on
    // this subtree, so the construct works in an app whose cdk.json predates that feature flag.
    this.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const stack = Stack.of(this);
    const others = stack.node
      .findAll()
      .filter((c) => c !== this && c instanceof SilentScalperPipeline && Stack.of(c) === stack);
    if (others.length > 0)
      throw new Error(
        `${this.node.path}: one SilentScalperPipeline per stack (alarm and dashboard names derive from the stack name); ${others[0]?.node.path} is already in ${stack.stackName}`,
      );
    if (props.sources !== undefined && (props.inputBucket || props.notificationFilter))
      throw new Error(
        `${this.node.path}: give either sources, or inputBucket/notificationFilter — not both (sources carry their own filters)`,
      );
    if (props.sources !== undefined) validateSources(props.sources);

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
    const givenSources: readonly PipelineSource[] | undefined =
      props.sources ??
      (props.inputBucket ? [{ bucket: props.inputBucket, ...this.options.notificationFilter }] : undefined);
    if (givenSources) {
      // Re-imported with the pipeline's own notifications role: CDK's helper function then runs with a role
      // that can touch these buckets' notifications only (not CDK's default `s3:PutBucketNotification` on
      // `*` with a managed policy), and an imported bucket is "unmanaged" — CDK's helper merges the
      // pipeline's notification with the ones the bucket already has instead of replacing them.
      this.notificationsRole = this.createNotificationsRole(
        [...new Set(givenSources.map((s) => s.bucket.bucketArn))],
        true,
      );
      const handles = new Map<string, IBucket>();
      this.sources = givenSources.map((source) => {
        let handle = handles.get(source.bucket.bucketName);
        if (!handle) {
          annotateSource(this, source.bucket);
          handle = Bucket.fromBucketAttributes(this, `Source${handles.size}`, {
            bucketArn: source.bucket.bucketArn,
            bucketName: source.bucket.bucketName,
            region: source.bucket.env.region,
            account: source.bucket.env.account,
            ...(source.bucket.encryptionKey ? { encryptionKey: source.bucket.encryptionKey } : {}),
            notificationsHandlerRole: this.notificationsRole,
          });
          handles.set(source.bucket.bucketName, handle);
        }
        return { ...source, bucket: handle };
      });
    } else {
      this.notificationsRole = this.createNotificationsRole(
        // Lazy: the bucket is created with this role, so its ARN is only known afterwards.
        [Lazy.string({ produce: () => this.createdInputBucket?.bucket.bucketArn })],
        false,
      );
      this.createdInputBucket = new SecureBucket(this, 'Input', {
        removalPolicy,
        accessLogs: { bucket: this.accessLogBucket.bucket, prefix: 'input/' },
        notificationsHandlerRole: this.notificationsRole,
        // Files quarantined in place (too large to copy) expire like the quarantine bucket's.
        expireTagged: {
          key: IN_PLACE_TAG,
          value: IN_PLACE_TAG_VALUE,
          days: this.options.quarantineExpiryDays,
        },
      });
      // Nobody but the pipeline roles reads (or un-tags) an upload quarantined in place. Only on the bucket
      // the pipeline creates: an imported bucket's policy is its owner's (docs/deploy.md, "Permissions").
      addInPlaceQuarantineGuard(this.createdInputBucket.bucket, () => [
        this.ingest.role.roleArn,
        this.retry.function.role.roleArn,
        this.quarantineAdminRoleArn,
      ]);
      this.sources = [{ bucket: this.createdInputBucket.bucket, ...this.options.notificationFilter }];
    }
    const primary = this.sources[0];
    if (!primary) throw new Error(`${this.node.path}: no input bucket`);
    this.inputBucket = primary.bucket;
    const inputBuckets = [...new Set(this.sources.map((s) => s.bucket))];

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
    this.queue = this.queues.queue;
    this.deadLetterQueue = this.queues.deadLetterQueue;
    this.metadataTable = new MetadataTable(this, 'Metadata', {
      removalPolicy,
      deletionProtection: retainData,
    });
    this.table = this.metadataTable.table;
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
    this.allowAlarmsToPublish();

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
      statements: ingestStatements(this.pipelineArns(), this.permissionOptions(inputBuckets)).map((json) =>
        PolicyStatement.fromJson(json),
      ),
    });
    this.ingestFunction = this.ingest.function;
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
      ...inputBuckets.map((bucket) => ({
        id: objectWildcardFinding(this, bucket),
        reason:
          'The function reads and removes whatever keys uploaders create, in this one input bucket only.',
      })),
      {
        id: objectWildcardFinding(this, this.quarantineBucket.bucket),
        reason: 'Quarantined copies keep their arbitrary upload keys; writes are limited to this one bucket.',
      },
    );
    this.quarantineAdminRoleArn =
      props.quarantineAdminRoleArn ??
      this.createQuarantineAdminRole(
        props.quarantineAdminTrustedPrincipalArns,
        this.permissionOptions(inputBuckets),
        inputBuckets,
      ).roleArn;
    this.quarantineBucket.allowObjectAccess(this.quarantineAdminRoleArn);

    this.retry = new QuarantineRetry(this, 'QuarantineRetry', {
      inputBucket: { bucket: this.inputBucket },
      sourceBuckets: inputBuckets,
      inputBucketVersioned: this.createdInputBucket === undefined,
      quarantineBucket: this.quarantineBucket,
      table: this.metadataTable.table,
      topic: this.alertsTopic,
      ...(props.retryPolicy ? { policy: props.retryPolicy } : {}),
      logRetention: this.options.logRetention,
      logRemovalPolicy: removalPolicy,
    });
    this.retryFunction = this.retry.function.function;
    Validations.of(this.retry.function.role).acknowledge(
      ...inputBuckets.map((bucket) => ({
        id: objectWildcardFinding(this, bucket),
        reason:
          'A retried file goes back under its original, arbitrary key, into the source bucket it came from only.',
      })),
      {
        id: objectWildcardFinding(this, this.quarantineBucket.bucket),
        reason:
          'Quarantined copies keep their arbitrary upload keys; reads and deletes stay in this one bucket.',
      },
    );

    // S3 → SQS notifications, one per source, written at deploy time by CDK's helper function (see the
    // notifications role). The destination also lets each bucket of this account send to the queue
    // (aws:SourceArn and aws:SourceAccount).
    for (const source of this.sources) {
      const filter: NotificationKeyFilter = {
        ...(source.prefix ? { prefix: source.prefix } : {}),
        ...(source.suffix ? { suffix: source.suffix } : {}),
      };
      const filters = Object.keys(filter).length > 0 ? [filter] : [];
      source.bucket.addEventNotification(
        EventType.OBJECT_CREATED,
        new AccountPinnedQueueDestination(this.queues.queue, stack),
        ...filters,
      );
    }

    this.alarms = new PipelineAlarms(this, 'Alarms', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
      topic: this.alertsTopic,
      thresholds: this.options.alarmThresholds,
    });
    this.allAlarms = [...Object.values(this.alarms.alarms), this.retry.errorsAlarm];
    this.dashboard = new PipelineDashboard(this, 'Dashboard', {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
      alarms: this.allAlarms,
    });

    addPipelineWiringCheck(stack, {
      queue: this.queues.queue,
      deadLetterQueue: this.queues.deadLetterQueue,
      ingestFunction: this.ingest.function,
    });
  }

  /** ARNs of the pipeline's resources, as CloudFormation tokens, for the shared permission builders. */
  private pipelineArns(): PipelineArns {
    return {
      inputBucketArn: this.inputBucket.bucketArn,
      quarantineBucketArn: this.quarantineBucket.bucket.bucketArn,
      tableArn: this.metadataTable.table.tableArn,
      topicArn: this.alertsTopic.topicArn,
      queueArn: this.queues.queue.queueArn,
      deadLetterQueueArn: this.queues.deadLetterQueue.queueArn,
      stackId: Stack.of(this).stackId,
    };
  }

  /**
   * What the input buckets change in the permissions: every source bucket for the ingest function, the
   * KMS keys of SSE-KMS ones, and the `…Version` actions for buckets the pipeline did not create (they may
   * be versioned; the pipeline's own input bucket is not).
   */
  private permissionOptions(inputBuckets: readonly IBucket[]): IngestPermissionOptions {
    return {
      inputBucketVersioned: this.createdInputBucket === undefined,
      sourceBucketArns: inputBuckets.map((b) => b.bucketArn),
      inputKeyArns: inputBuckets.flatMap((b) => (b.encryptionKey ? [b.encryptionKey.keyArn] : [])),
    };
  }

  /**
   * The alerts topic's policy replaces SNS's default one, and `enforceSSL` writes only a deny, so nothing
   * would let CloudWatch publish and every alarm action would fail ("not authorized to perform
   * SNS:Publish ... because no resource-based policy allows"). Allowed for this account's alarms named
   * after this stack only (confused-deputy guard:
   * https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-use-cases.html#source-account-versus-source-owner).
   */
  private allowAlarmsToPublish(): void {
    const stack = Stack.of(this);
    this.alertsTopic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisStacksAlarms',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alertsTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:${stack.stackName}-*`,
          },
        },
      }),
    );
  }

  /**
   * CDK writes S3 notification settings through a helper Lambda function; by default its role has a
   * managed policy and `s3:PutBucketNotification` on `*`. This role can only set the notifications of the
   * input buckets, and it is immutable, so CDK cannot add those broader grants. For imported buckets it may
   * also read their notification configuration: CDK's helper merges with what is there
   * (`s3:GetBucketNotification`). The helper gets no log permission: it reports a failure to
   * CloudFormation with the error, which shows in the stack events.
   */
  private createNotificationsRole(bucketArns: string[], imported: boolean): IRole {
    const statements = [
      new PolicyStatement({
        sid: 'SetInputBucketNotifications',
        actions: ['s3:PutBucketNotification'],
        resources: bucketArns,
      }),
    ];
    if (imported)
      statements.push(
        new PolicyStatement({
          sid: 'ReadInputBucketNotificationsToMerge',
          actions: ['s3:GetBucketNotification'],
          resources: bucketArns,
        }),
      );
    const role = new Role(this, 'InputNotificationsRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Lets the CDK notifications helper set the input bucket event notifications, nothing else',
      inlinePolicies: { InputNotifications: new PolicyDocument({ statements }) },
    });
    return role.withoutPolicyUpdates();
  }

  /**
   * A role for people (or tools) that inspect, restore or purge quarantined files, replay the DLQ and
   * watch the pipeline: exactly what the CLI's operator commands and the dashboard's actions do. Only the
   * trusted principals may assume it; without any, principals of this account may, but only with MFA
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html).
   */
  private createQuarantineAdminRole(
    trustedPrincipalArns: readonly string[] | undefined,
    options: IngestPermissionOptions,
    inputBuckets: readonly IBucket[],
  ): Role {
    const quarantine = this.quarantineBucket.bucket;
    const assumedBy =
      trustedPrincipalArns && trustedPrincipalArns.length > 0
        ? new CompositePrincipal(...trustedPrincipalArns.map((arn) => new ArnPrincipal(arn)))
        : new AccountRootPrincipal().withConditions({ Bool: { 'aws:MultiFactorAuthPresent': 'true' } });
    const role = new Role(this, 'QuarantineAdminRole', {
      assumedBy,
      description:
        'Operates the quarantine (the bucket denies everyone else): inspect, retry to input, purge, replay the DLQ; what the silent-scalper CLI needs',
      inlinePolicies: {
        Quarantine: new PolicyDocument({
          statements: operatorStatements(this.pipelineArns(), options).map((json) =>
            PolicyStatement.fromJson(json),
          ),
        }),
      },
    });
    Validations.of(role).acknowledge(
      {
        id: objectWildcardFinding(this, quarantine),
        reason: 'Quarantined object keys mirror arbitrary upload keys; access is limited to this one bucket.',
      },
      ...inputBuckets.map((bucket) => ({
        id: objectWildcardFinding(this, bucket),
        reason:
          'A retried file goes back under its original, arbitrary key, into the source bucket it came from only.',
      })),
    );
    return role;
  }
}
