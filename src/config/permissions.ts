import { TABLE_SCHEMA } from './settings.ts';

/**
 * The one source of every Silent Scalper permission. The CDK stack turns these statements into the
 * inline policies of the function roles and the quarantine admin role (`PolicyStatement.fromJson`, with
 * CloudFormation tokens as ARNs); the local runtime gives them, with the local ARNs, to one IAM user per
 * role on moto and runs the pipeline under enforcement (src/local/iamPrincipals.ts). A statement removed
 * here disappears from both, so the enforced tests judge exactly what AWS will be given.
 * docs/deploy.md "Permissions" lists each action with the code path that needs it and the test that
 * proves it. Plain JSON, no aws-cdk-lib: the local runtime must not load the CDK.
 */

/** One IAM policy statement, in the JSON form IAM and CloudFormation take. */
export interface PermissionStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
}

/** ARNs of the pipeline's resources (CloudFormation tokens in the stack, local ARNs on moto). */
export interface PipelineArns {
  readonly inputBucketArn: string;
  readonly quarantineBucketArn: string;
  readonly tableArn: string;
  readonly topicArn: string;
  readonly queueArn: string;
  readonly deadLetterQueueArn: string;
  /** The CloudFormation stack whose outputs the CLI reads (a placeholder locally). */
  readonly stackId: string;
}

/** Options that change what the ingest function needs. */
export interface IngestPermissionOptions {
  /**
   * The input bucket keeps versions: events then carry a version id, and the handler's reads and the
   * copy's source read name it, which S3 authorizes as `s3:GetObjectVersion`. The stack's own input
   * bucket is unversioned. @default false
   */
  readonly inputBucketVersioned?: boolean;
}

/** The roles that hold pipeline permissions. */
export const PIPELINE_ROLES = ['ingest', 'retry', 'operator'] as const;
/** One of {@link PIPELINE_ROLES}. */
export type PipelineRole = (typeof PIPELINE_ROLES)[number];

const objects = (bucketArn: string): string => `${bucketArn}/*`;

const statement = (Sid: string, Action: string[], Resource: string[]): PermissionStatement => ({
  Sid,
  Effect: 'Allow',
  Action,
  Resource,
});

/** ARNs of the metadata table's global secondary indexes (a Query on an index is authorized on them). */
export const tableIndexArns = (tableArn: string): string[] =>
  Object.values(TABLE_SCHEMA.indexes).map((index) => `${tableArn}/index/${index.name}`);

/** The ingest function's statements (besides writing its own logs). */
export const ingestStatements = (
  arns: PipelineArns,
  options: IngestPermissionOptions = {},
): PermissionStatement[] => [
  statement(
    'ReadInputObjects',
    // GetObject: the ranged read of the first bytes, the HEAD of an empty file, and the source read of
    // the copy to quarantine (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
    ['s3:GetObject', ...(options.inputBucketVersioned ? ['s3:GetObjectVersion'] : [])],
    [objects(arns.inputBucketArn)],
  ),
  statement(
    // Without s3:ListBucket, GET/HEAD of a deleted key answers 403 instead of 404, and a file that is
    // already gone would look like a permission failure
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
    'ListInputSoMissingObjectsRead404',
    ['s3:ListBucket'],
    [arns.inputBucketArn],
  ),
  // DeleteObject only: the move deletes the input key with If-Match, never a version.
  statement('DeleteMovedInputObjects', ['s3:DeleteObject'], [objects(arns.inputBucketArn)]),
  statement(
    'WriteQuarantine',
    // PutObjectTagging: the copy sets the quarantine tags (x-amz-tagging with TaggingDirective REPLACE).
    // AbortMultipartUpload: objects over 5 GiB are copied in parts, and a failed copy must clean up.
    ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement(
    // When the input object is gone, the handler HEADs the quarantine copy to recognise its own earlier
    // move (a duplicate event after the move); without these S3 answers 403 and the file fails forever.
    'ReadQuarantineCopies',
    ['s3:GetObject'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement('ListQuarantineSoMissingCopiesRead404', ['s3:ListBucket'], [arns.quarantineBucketArn]),
  statement('WriteFileMetadata', ['dynamodb:BatchWriteItem'], [arns.tableArn]),
  statement('PublishAlerts', ['sns:Publish'], [arns.topicArn]),
  statement('SendPoisonMessagesToDlq', ['sqs:SendMessage'], [arns.deadLetterQueueArn]),
  statement(
    // What the SQS event source mapping needs, exactly
    // (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html#events-sqs-permissions).
    'ConsumeIngestQueue',
    ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ChangeMessageVisibility'],
    [arns.queueArn],
  ),
];

/** The scheduled quarantine retry function's statements (besides writing its own logs). */
export const retryStatements = (
  arns: Pick<PipelineArns, 'inputBucketArn' | 'quarantineBucketArn' | 'tableArn' | 'topicArn'>,
): PermissionStatement[] => [
  // HeadObject and the copy's source read are both s3:GetObject.
  statement('ReadQuarantinedObjects', ['s3:GetObject'], [objects(arns.quarantineBucketArn)]),
  statement('RemoveRetriedFromQuarantine', ['s3:DeleteObject'], [objects(arns.quarantineBucketArn)]),
  statement(
    // HeadObject first (never overwrite a newer upload), then CopyObject with the attempt tag;
    // AbortMultipartUpload cleans up a failed copy of a file over 5 GiB.
    'CopyBackToInput',
    ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
    [objects(arns.inputBucketArn)],
  ),
  statement(
    // Without s3:ListBucket a HEAD of a missing key answers 403, not 404
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions").
    'ListSoMissingObjectsRead404',
    ['s3:ListBucket'],
    [arns.inputBucketArn, arns.quarantineBucketArn],
  ),
  statement(
    // The byStatus index lists quarantines; the table itself holds each file's history.
    'FindQuarantinedFiles',
    ['dynamodb:Query'],
    [arns.tableArn, `${arns.tableArn}/index/${TABLE_SCHEMA.indexes.byStatus.name}`],
  ),
  statement('RecordRetrySteps', ['dynamodb:PutItem'], [arns.tableArn]),
  statement('AlertRetryExhausted', ['sns:Publish'], [arns.topicArn]),
];

/**
 * The operator (quarantine admin role) statements: what the CLI's operator commands (`status`, `files`,
 * `show`, `retry`, `replay-dlq`) and the dashboard's actions do.
 */
export const operatorStatements = (arns: PipelineArns): PermissionStatement[] => [
  // The CLI finds the buckets, queues and table from this stack's outputs.
  statement('ReadStackOutputs', ['cloudformation:DescribeStacks'], [arns.stackId]),
  statement(
    'ListBucketsSoMissingObjectsRead404',
    ['s3:ListBucket'],
    [arns.quarantineBucketArn, arns.inputBucketArn],
  ),
  // Inspect (HEAD/GET, the copy's source read) and remove after a retry.
  statement(
    'ManageQuarantinedObjects',
    ['s3:GetObject', 's3:DeleteObject'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement(
    // HEAD first (a newer upload of the key is never overwritten), then the tagged copy; a copy over
    // 5 GiB goes in parts, and a failed one must be aborted.
    'RetryToInput',
    ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
    [objects(arns.inputBucketArn)],
  ),
  statement('ReadFileHistory', ['dynamodb:Query'], [arns.tableArn, ...tableIndexArns(arns.tableArn)]),
  statement('RecordRetrySteps', ['dynamodb:PutItem'], [arns.tableArn]),
  statement('AlertRetryExhausted', ['sns:Publish'], [arns.topicArn]),
  // `status` and the dashboard show queue depths.
  statement('WatchQueues', ['sqs:GetQueueAttributes'], [arns.queueArn, arns.deadLetterQueueArn]),
  statement(
    // replay-dlq: a move task where SQS has one, else receive → send → delete (and release on failure)
    // (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_StartMessageMoveTask.html).
    'ReplayDeadLetters',
    [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:StartMessageMoveTask',
      'sqs:ListMessageMoveTasks',
      'sqs:CancelMessageMoveTask',
    ],
    [arns.deadLetterQueueArn],
  ),
  statement('ReplayToIngestQueue', ['sqs:SendMessage'], [arns.queueArn]),
];

/** Every role's statements. */
export const pipelineStatements = (
  arns: PipelineArns,
  options: IngestPermissionOptions = {},
): Record<PipelineRole, PermissionStatement[]> => ({
  ingest: ingestStatements(arns, options),
  retry: retryStatements(arns),
  operator: operatorStatements(arns),
});
