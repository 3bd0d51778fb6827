import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The AWS clients the consistency checker and the DLQ sorter read and move with. Declared here, in
 * src/ops, so ops need not import src/adapters (docs/architecture.md); the `AwsClients` that
 * `createAwsClients` builds has these members, so callers pass it as it is.
 */
export interface OpsClients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
}
