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

/** Options that change what the functions and the operator need. */
export interface IngestPermissionOptions {
  /**
   * The input buckets may keep versions (buckets the pipeline did not create: it cannot know). Events
   * then carry a version id and every call on the upload names it, which S3 authorizes as the `…Version`
   * actions: the reads and the copy's source read (`s3:GetObjectVersion`), the move's delete
   * (`s3:DeleteObjectVersion`), the in-place quarantine's tagging and its release
   * (`s3:GetObjectVersionTagging`, `s3:PutObjectVersionTagging`). The pipeline's own input bucket is
   * unversioned. @default false
   */
  readonly inputBucketVersioned?: boolean;
  /**
   * Every bucket uploads land in (the construct's `sources`); the ingest function reads, moves and
   * quarantines in place in each, and the retry function and the operator copy files back into (or
   * release them in) each: a retried file goes back to the bucket it came from (docs/deploy.md,
   * "Permissions"). Whole buckets, not the sources' prefixes: see {@link sourceObjectsOf}.
   * @default [arns.inputBucketArn]
   */
  readonly sourceBucketArns?: readonly string[];
  /** KMS keys of SSE-KMS input buckets: reading their objects needs `kms:Decrypt`. @default none */
  readonly inputKeyArns?: readonly string[];
}

/** The roles that hold pipeline permissions. */
export const PIPELINE_ROLES = ['ingest', 'retry', 'operator'] as const;
/** One of {@link PIPELINE_ROLES}. */
export type PipelineRole = (typeof PIPELINE_ROLES)[number];

const objects = (bucketArn: string): string => `${bucketArn}/*`;

/** The source buckets' ARNs: the construct's `sources`, or the primary input bucket alone. */
const sourceBucketsOf = (
  arns: Pick<PipelineArns, 'inputBucketArn'>,
  options: Pick<IngestPermissionOptions, 'sourceBucketArns'>,
): string[] => [...(options.sourceBucketArns ?? [arns.inputBucketArn])];

/**
 * The objects of every source bucket. Decision: whole buckets, not `<bucket>/<prefix>*<suffix>` for a
 * source with filters, for every role alike: the ingest function already acts on whole source buckets,
 * and a narrower retry grant would only turn a record outside the filters into an AccessDenied at copy
 * time instead of the clear `not-a-source` refusal the code gives (its source check is per bucket).
 */
const sourceObjectsOf = (
  arns: Pick<PipelineArns, 'inputBucketArn'>,
  options: Pick<IngestPermissionOptions, 'sourceBucketArns'>,
): string[] => sourceBucketsOf(arns, options).map(objects);

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
): PermissionStatement[] => {
  const versioned = options.inputBucketVersioned ?? false;
  const sources = sourceBucketsOf(arns, options);
  const sourceObjects = sourceObjectsOf(arns, options);
  const keys = options.inputKeyArns ?? [];
  return [
    statement(
      'ReadInputObjects',
      // GetObject: the ranged read of the first bytes, the HEAD of an empty file, and the source read of
      // the copy to quarantine (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html).
      ['s3:GetObject', ...(versioned ? ['s3:GetObjectVersion'] : [])],
      sourceObjects,
    ),
    statement(
      // Without s3:ListBucket, GET/HEAD of a deleted key answers 403 instead of 404, and a file that is
      // already gone would look like a permission failure
      // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions").
      'ListInputSoMissingObjectsRead404',
      ['s3:ListBucket'],
      sources,
    ),
    // The move deletes exactly the copied upload: the key with If-Match where the bucket is unversioned,
    // its version (s3:DeleteObjectVersion) where it is versioned.
    statement(
      'DeleteMovedInputObjects',
      ['s3:DeleteObject', ...(versioned ? ['s3:DeleteObjectVersion'] : [])],
      sourceObjects,
    ),
    statement(
      // A rejected file above the in-place threshold is tagged where it is, keeping its own tags (read
      // first); the Version forms where the upload's version is pinned (docs/operations.md, "In place").
      'TagInPlaceQuarantine',
      [
        's3:GetObjectTagging',
        's3:PutObjectTagging',
        ...(versioned ? ['s3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'] : []),
      ],
      sourceObjects,
    ),
    ...(keys.length > 0
      ? [
          // An SSE-KMS input bucket: reading its objects needs kms:Decrypt on its key
          // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html).
          statement('DecryptInputObjects', ['kms:Decrypt'], [...keys]),
        ]
      : []),
    statement(
      'WriteQuarantine',
      // PutObjectTagging: the copy sets the quarantine tags (x-amz-tagging with TaggingDirective REPLACE).
      // AbortMultipartUpload: objects over 5 GiB are copied in parts, and a failed copy must clean up.
      ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
      [objects(arns.quarantineBucketArn)],
    ),
    statement(
      // When the input object is gone, the handler reads this upload's quarantine copy (its own key,
      // `<key>@<upload id>`) to recognise its own earlier move (a duplicate event after the move); without
      // these S3 answers 403 and the file fails forever.
      'ReadQuarantineCopies',
      ['s3:GetObject'],
      [objects(arns.quarantineBucketArn)],
    ),
    statement('ListQuarantineSoMissingCopiesRead404', ['s3:ListBucket'], [arns.quarantineBucketArn]),
    statement('WriteFileMetadata', ['dynamodb:BatchWriteItem'], [arns.tableArn]),
    statement(
      // A redelivery (and the last-receive fallback) first reads the file's history for this upload's
      // final record, so a finished upload is acknowledged, never moved or rewritten (docs/reliability.md).
      // The table only, not its indexes: the history is one partition.
      'ReadFileHistoryBeforeActingAgain',
      ['dynamodb:Query'],
      [arns.tableArn],
    ),
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
};

/**
 * Releasing an upload quarantined in place replaces its tags (read first); the key form's
 * s3:PutObjectTagging is already in the copy-back statement, so only the rest is added here.
 */
const releaseInPlace = (sourceObjects: string[], versioned: boolean): PermissionStatement =>
  statement(
    'ReleaseInPlaceQuarantine',
    [
      's3:GetObjectTagging',
      ...(versioned ? ['s3:GetObjectVersionTagging', 's3:PutObjectVersionTagging'] : []),
    ],
    sourceObjects,
  );

/** The scheduled quarantine retry function's statements (besides writing its own logs). */
export const retryStatements = (
  arns: Pick<PipelineArns, 'inputBucketArn' | 'quarantineBucketArn' | 'tableArn' | 'topicArn'>,
  options: Pick<IngestPermissionOptions, 'inputBucketVersioned' | 'sourceBucketArns'> = {},
): PermissionStatement[] => [
  statement(
    // HeadObject and the copy's source read are s3:GetObject, and s3:GetObjectVersion when pinned to the
    // version the record names (the quarantine bucket is versioned: one version per upload).
    'ReadQuarantinedObjects',
    ['s3:GetObject', 's3:GetObjectVersion'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement(
    // A retry deletes exactly the version it copied (s3:DeleteObjectVersion); records from before the
    // bucket was versioned name no version and are deleted by key with If-Match (s3:DeleteObject).
    'RemoveRetriedFromQuarantine',
    ['s3:DeleteObject', 's3:DeleteObjectVersion'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement(
    // HeadObject first (never overwrite a newer upload), then CopyObject with If-None-Match and the
    // attempt tag; AbortMultipartUpload cleans up a failed copy of a file over 5 GiB. Into each source
    // bucket: a retried file goes back to the bucket its record names.
    'CopyBackToInput',
    ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
    sourceObjectsOf(arns, options),
  ),
  releaseInPlace(sourceObjectsOf(arns, options), options.inputBucketVersioned ?? false),
  statement(
    // Without s3:ListBucket a HEAD of a missing key answers 403, not 404
    // (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions").
    'ListSoMissingObjectsRead404',
    ['s3:ListBucket'],
    [...sourceBucketsOf(arns, options), arns.quarantineBucketArn],
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
export const operatorStatements = (
  arns: PipelineArns,
  options: Pick<IngestPermissionOptions, 'inputBucketVersioned' | 'sourceBucketArns'> = {},
): PermissionStatement[] => [
  // The CLI finds the buckets, queues and table from this stack's outputs.
  statement('ReadStackOutputs', ['cloudformation:DescribeStacks'], [arns.stackId]),
  statement(
    'ListBucketsSoMissingObjectsRead404',
    ['s3:ListBucket'],
    [arns.quarantineBucketArn, ...sourceBucketsOf(arns, options)],
  ),
  // Inspect (HEAD/GET, the copy's source read) and remove after a retry, each pinned to the version the
  // record names (the Version forms; key forms for records from before the bucket was versioned).
  statement(
    'ManageQuarantinedObjects',
    ['s3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject', 's3:DeleteObjectVersion'],
    [objects(arns.quarantineBucketArn)],
  ),
  statement(
    // HEAD first, then the tagged copy with If-None-Match (a newer upload of the key is never
    // overwritten); a copy over 5 GiB goes in parts, and a failed one must be aborted. Into each source
    // bucket, like the retry function.
    'RetryToInput',
    ['s3:GetObject', 's3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'],
    sourceObjectsOf(arns, options),
  ),
  releaseInPlace(sourceObjectsOf(arns, options), options.inputBucketVersioned ?? false),
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
  retry: retryStatements(arns, options),
  operator: operatorStatements(arns, options),
});
