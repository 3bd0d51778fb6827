import { Duration, type RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { retryStatements } from '../../src/config/permissions.ts';
import {
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  retryEnvironment,
  validateRetryPolicy,
} from '../../src/config/retryConfig.ts';
import { PipelineFunction } from './PipelineFunction.ts';
import type { SecureBucket } from './SecureBucket.ts';

/** Entry of the scheduled retry handler, relative to the repository root. */
export const RETRY_HANDLER_ENTRY = 'src/handlers/retryQuarantine.ts';

/** Props of {@link QuarantineRetry}. */
export interface QuarantineRetryProps {
  /** The primary input bucket (a SecureBucket, or any bucket wrapped as `{ bucket }`). */
  readonly inputBucket: { readonly bucket: IBucket };
  /**
   * Every source bucket (the primary included): a retried file goes back to the bucket it came from,
   * when that bucket is one of these; the function's role may write into these only.
   * @default [inputBucket.bucket]
   */
  readonly sourceBuckets?: readonly IBucket[];
  /**
   * The input bucket may keep versions (one the pipeline did not create): releasing an in-place
   * quarantine then tags a version (`s3:…VersionTagging`). @default false
   */
  readonly inputBucketVersioned?: boolean;
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
 * files back to the source bucket each came from, with exponential backoff, records RETRIED / RETRY_EXHAUSTED steps and
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
    const sources = props.sourceBuckets ?? [input];

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
        // SOURCE_BUCKETS only with several sources: a one-source pipeline's environment stays as it was.
        ...(sources.length > 1 ? { sourceBuckets: sources.map((b) => b.bucketName) } : {}),
        policy,
      }),
      ...(props.logRetention ? { logRetention: props.logRetention } : {}),
      ...(props.logRemovalPolicy ? { logRemovalPolicy: props.logRemovalPolicy } : {}),
      statements: retryStatements(
        {
          inputBucketArn: input.bucketArn,
          quarantineBucketArn: quarantine.bucketArn,
          tableArn: props.table.tableArn,
          topicArn: props.topic.topicArn,
        },
        {
          inputBucketVersioned: props.inputBucketVersioned ?? false,
          sourceBucketArns: sources.map((b) => b.bucketArn),
        },
      ).map((json) => PolicyStatement.fromJson(json)),
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
