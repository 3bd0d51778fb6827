import { CfnOutput, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { STACK_OUTPUTS } from '../src/config/stackOutputs.ts';
import { SilentScalperPipeline, type SilentScalperPipelineProps } from './SilentScalperPipeline.ts';

export {
  DEFAULT_STACK_OPTIONS,
  type HandlerTunables,
  INGEST_HANDLER_ENTRY,
} from './SilentScalperPipeline.ts';

/** Props of {@link SilentScalperStack}: the pipeline's props, plus the input bucket by name. */
export interface SilentScalperStackProps extends StackProps, SilentScalperPipelineProps {
  /**
   * Name of an existing bucket to use as the input bucket (`cdk deploy -c inputBucketName=my-dumps`),
   * imported with `Bucket.fromBucketName`; `inputPrefix`/`inputSuffix` filter it. Not with `inputBucket`
   * or `sources`.
   * @default a new input bucket
   */
  readonly inputBucketName?: string;
}

/**
 * The project's own deployment: one {@link SilentScalperPipeline} plus the stack outputs the CLI reads.
 * The pipeline's id is `Default`, which CDK leaves out of logical ids, so every resource keeps the logical
 * id it had before the pipeline became a construct and an existing stack updates in place (its retained
 * buckets and deletion-protected table are not replaced).
 */
export class SilentScalperStack extends Stack {
  /** The pipeline and every resource it created. */
  public readonly pipeline: SilentScalperPipeline;

  constructor(scope: Construct, id: string, props: SilentScalperStackProps = {}) {
    super(scope, id, props);
    const { inputBucketName, ...pipelineProps } = props;
    if (inputBucketName !== undefined && (props.inputBucket || props.sources))
      throw new Error('give inputBucketName, inputBucket or sources, not several of them');
    const inputBucket: IBucket | undefined =
      inputBucketName === undefined
        ? props.inputBucket
        : Bucket.fromBucketName(this, 'InputBucket', inputBucketName);
    this.pipeline = new SilentScalperPipeline(this, 'Default', {
      ...pipelineProps,
      ...(inputBucket ? { inputBucket } : {}),
    });
    this.addOutputs();
  }

  /** The resolved queue/batch/retry settings the template was built from. */
  public get settings() {
    return this.pipeline.settings;
  }
  /** The resolved deployment options. */
  public get options() {
    return this.pipeline.options;
  }
  /** Destination of the server access logs of the other buckets. */
  public get accessLogBucket() {
    return this.pipeline.accessLogBucket;
  }
  /** Where uploads land (the primary input bucket), as `{ bucket }` like the buckets the stack creates. */
  public get inputBucket(): { readonly bucket: IBucket } {
    return this.pipeline.createdInputBucket ?? { bucket: this.pipeline.inputBucket };
  }
  /** Where rejected files are moved. */
  public get quarantineBucket() {
    return this.pipeline.quarantineBucket;
  }
  /** The ingest queue and its DLQ. */
  public get queues() {
    return this.pipeline.queues;
  }
  /** One item per upload, plus history steps. */
  public get metadataTable() {
    return this.pipeline.metadataTable;
  }
  /** Alarm notifications and the handler's per-batch alerts. */
  public get alertsTopic() {
    return this.pipeline.alertsTopic;
  }
  /** The ingest function, its role and log group. */
  public get ingest() {
    return this.pipeline.ingest;
  }
  /** The scheduled quarantine retry. */
  public get retry() {
    return this.pipeline.retry;
  }
  /** The pipeline alarms. */
  public get alarms() {
    return this.pipeline.alarms;
  }
  /** The CloudWatch dashboard. */
  public get dashboard() {
    return this.pipeline.dashboard;
  }
  /** ARN of the role that may read and write quarantined objects besides the functions. */
  public get quarantineAdminRoleArn() {
    return this.pipeline.quarantineAdminRoleArn;
  }

  private addOutputs(): void {
    const p = this.pipeline;
    const outputs: Record<(typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS], string> = {
      [STACK_OUTPUTS.inputBucketName]: p.inputBucket.bucketName,
      [STACK_OUTPUTS.sourceBucketNames]: Fn.join(',', [
        ...new Set(p.sources.map((source) => source.bucket.bucketName)),
      ]),
      [STACK_OUTPUTS.quarantineBucketName]: p.quarantineBucket.bucket.bucketName,
      [STACK_OUTPUTS.ingestQueueUrl]: p.queue.queueUrl,
      [STACK_OUTPUTS.ingestQueueArn]: p.queue.queueArn,
      [STACK_OUTPUTS.deadLetterQueueUrl]: p.deadLetterQueue.queueUrl,
      [STACK_OUTPUTS.deadLetterQueueArn]: p.deadLetterQueue.queueArn,
      [STACK_OUTPUTS.metadataTableName]: p.table.tableName,
      [STACK_OUTPUTS.alertsTopicArn]: p.alertsTopic.topicArn,
      [STACK_OUTPUTS.ingestFunctionName]: p.ingestFunction.functionName,
      [STACK_OUTPUTS.dashboardName]: p.dashboard.dashboard.dashboardName,
      [STACK_OUTPUTS.quarantineAdminRoleArn]: p.quarantineAdminRoleArn,
    };
    for (const [key, value] of Object.entries(outputs)) new CfnOutput(this, key, { value });
  }
}
