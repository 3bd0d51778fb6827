/**
 * Names shared by the CDK app and the CLI. Plain TypeScript with no aws-cdk-lib import, so the CLI can
 * read a deployed stack's outputs without loading the CDK. It lives in `src/config` (not `infra/`) so the
 * CLI and the CDK app both import it from the shared layer and the CLI never reaches into the CDK app.
 */

/** Default CloudFormation stack name of the deployment (`cdk deploy`, CLI `--stack`). */
export const DEFAULT_STACK_NAME = 'SilentScalper';

/** Keys of the stack outputs the CLI reads (CloudFormation `DescribeStacks` → `Outputs[].OutputKey`). */
export const STACK_OUTPUTS = {
  inputBucketName: 'InputBucketName',
  /**
   * Every source bucket, comma-separated, the primary first: where `silent-scalper retry` may put files
   * back. Optional for the CLI: a stack deployed before it existed has one source, its input bucket.
   */
  sourceBucketNames: 'SourceBucketNames',
  quarantineBucketName: 'QuarantineBucketName',
  ingestQueueUrl: 'IngestQueueUrl',
  ingestQueueArn: 'IngestQueueArn',
  deadLetterQueueUrl: 'DeadLetterQueueUrl',
  deadLetterQueueArn: 'DeadLetterQueueArn',
  metadataTableName: 'MetadataTableName',
  alertsTopicArn: 'AlertsTopicArn',
  ingestFunctionName: 'IngestFunctionName',
  dashboardName: 'DashboardName',
  quarantineAdminRoleArn: 'QuarantineAdminRoleArn',
} as const;

/** One stack output key. */
export type StackOutputKey = (typeof STACK_OUTPUTS)[keyof typeof STACK_OUTPUTS];
