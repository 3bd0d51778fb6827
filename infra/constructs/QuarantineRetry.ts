import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryEnvironment,
  validateRetryPolicy,
} from '../../src/config/retryConfig.ts';
import { TABLE_SCHEMA } from '../../src/config/settings.ts';
import { PipelineFunction } from './PipelineFunction.ts';
import type { SecureBucket } from './SecureBucket.ts';

/** Entry of the scheduled retry handler, relative to the repository root. */
export const RETRY_HANDLER_ENTRY = 'src/handlers/retryQuarantine.ts';

/** Props of {@link QuarantineRetry}. */
export interface QuarantineRetryProps {
  readonly inputBucket: SecureBucket;
  readonly quarantineBucket: SecureBucket;
  readonly table: ITable;
  readonly topic: ITopic;
  /** Retries, backoff, lookback. @default DEFAULT_RETRY_POLICY (3 retries, 60 s base) */
  readonly policy?: Partial<RetryPolicy>;
  /** How often a retry pass runs. @default 5 minutes */
  readonly every?: Duration;
  /** Function timeout; a pass is bounded by `maxFilesPerPass`. @default 2 minutes */
  readonly timeout?: Duration;
  /** @default one month */
  readonly logRetention?: RetentionDays;
  /** @default RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
}

/**
 * Automatic quarantine retry: a function run on an EventBridge schedule that copies PROCESSING_FAILED
 * files back to the input bucket with exponential backoff, records RETRIED / RETRY_EXHAUSTED steps and
 * alerts when retries are used up. Its role holds exactly what a pass does, as one inline policy, and
 * an alarm on its errors goes to the alerts topic.
 */
export class QuarantineRetry extends Construct {
  /** The retry function (with its own role and log group). */
  public readonly function: PipelineFunction;
  /** The schedule. */
  public readonly schedule: Rule;
  /** Fires when a pass fails (a file could not be retried, or the pass crashed). */
  public readonly errorsAlarm: Alarm;

  constructor(scope: Construct, id: string, props: QuarantineRetryProps) {
    super(scope, id);
    const policy = validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...props.policy });
    const input = props.inputBucket.bucket;
    const quarantine = props.quarantineBucket.bucket;
    const byStatusIndexArn = `${props.table.tableArn}/index/${TABLE_SCHEMA.indexes.byStatus.name}`;

    this.function = new PipelineFunction(this, 'Retry', {
      entry: RETRY_HANDLER_ENTRY,
      description: 'Silent Scalper quarantine retry: copies PROCESSING_FAILED files back with backoff',
      timeout: props.timeout ?? Duration.minutes(2),
      memorySizeMb: 256,
      environment: retryEnvironment({
        metadataTable: props.table.tableName,
        quarantineBucket: quarantine.bucketName,
        alertsTopicArn: props.topic.topicArn,
        inputBucket: input.bucketName,
        policy,
      }),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      statements: [
        new PolicyStatement({
          sid: 'ReadQuarantinedObjects',
          // HeadObject and the copy's source read are both s3:GetObject, or s3:GetObjectVersion when
          // pinned to the version the record names.
          actions: ['s3:GetObject', 's3:GetObjectVersion'],
          resources: [quarantine.arnForObjects('*')],
        }),
        new PolicyStatement({
          sid: 'RemoveRetriedFromQuarantine',
          // DeleteObjectVersion: a retry deletes exactly the version it copied.
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [quarantine.arnForObjects('*')],
        }),
        new PolicyStatement({
          sid: 'CopyBackToInput',
          // HeadObject first (never overwrite a newer upload), then CopyObject with the attempt tag;
          // AbortMultipartUpload cleans up a failed copy of a file over 5 GiB.
          actions: ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
          resources: [input.arnForObjects('*')],
        }),
        new PolicyStatement({
          sid: 'ReleaseInPlaceQuarantine',
          // Retry of a file quarantined in place replaces its tags (read first), per version where the
          // input bucket is versioned.
          actions: [
            's3:GetObjectTagging',
            's3:GetObjectVersionTagging',
            's3:PutObjectTagging',
            's3:PutObjectVersionTagging',
          ],
          resources: [input.arnForObjects('*')],
        }),
        new PolicyStatement({
          sid: 'ListSoMissingObjectsRead404',
          // Without s3:ListBucket a HEAD of a missing key answers 403, not 404
          // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions").
          actions: ['s3:ListBucket'],
          resources: [input.bucketArn, quarantine.bucketArn],
        }),
        new PolicyStatement({
          sid: 'FindQuarantinedFiles',
          // The byStatus index lists quarantines; the table itself holds each file's history.
          actions: ['dynamodb:Query'],
          resources: [props.table.tableArn, byStatusIndexArn],
        }),
        new PolicyStatement({
          sid: 'RecordRetrySteps',
          actions: ['dynamodb:PutItem'],
          resources: [props.table.tableArn],
        }),
        new PolicyStatement({
          sid: 'AlertRetryExhausted',
          actions: ['sns:Publish'],
          resources: [props.topic.topicArn],
        }),
      ],
    });
    props.quarantineBucket.allowObjectAccess(this.function.role);
    // A failed pass is not retried at once: the next scheduled pass picks the files up again.
    this.function.function.configureAsyncInvoke({ retryAttempts: 0 });

    this.schedule = new Rule(this, 'Schedule', {
      description: 'Runs the Silent Scalper quarantine retry pass',
      schedule: Schedule.rate(props.every ?? Duration.minutes(5)),
      targets: [new LambdaFunction(this.function.function, { retryAttempts: 2 })],
    });

    this.errorsAlarm = new Alarm(this, 'Errors', {
      alarmName: `${Stack.of(this).stackName}-quarantine-retry-errors`,
      alarmDescription:
        'A quarantine retry pass failed: see the retry function log for the files and errors.',
      metric: this.function.function.metricErrors({ period: Duration.minutes(15) }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.errorsAlarm.addAlarmAction(new SnsAction(props.topic));
  }
}
