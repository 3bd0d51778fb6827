import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Env } from '../config/envReader.ts';
import { loadAwsTarget } from '../config/handlerConfig.ts';

/** The AWS clients every part of Silent Scalper uses, built once and shared. */
export interface AwsClients {
  readonly s3: S3Client;
  readonly dynamo: DynamoDBDocumentClient;
  readonly sqs: SQSClient;
  readonly sns: SNSClient;
  readonly region: string;
  /** The emulator endpoint, when one is used. */
  readonly endpoint?: string;
}

/** Options of {@link createAwsClients}. */
export interface AwsClientOptions {
  /**
   * Endpoint of a local emulator (moto). When absent, the SDK still honours `AWS_ENDPOINT_URL` and the
   * per-service `AWS_ENDPOINT_URL_S3` etc. natively; pass the value read from the environment here so S3
   * gets path-style addressing, which moto needs (virtual-hosted buckets would resolve to unknown hosts).
   */
  readonly endpoint?: string;
  /** @default AWS_REGION of the SDK's chain, else us-east-1 */
  readonly region?: string;
  /** Retries of the SDK's standard retry strategy. @default 3 */
  readonly maxAttempts?: number;
  /** Access keys to sign with (a local IAM user under enforcement). @default the SDK's chain */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Static credentials for a local emulator, used only with an endpoint and when none are configured. */
const EMULATOR_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' };

/**
 * Build the S3, DynamoDB (document client), SQS and SNS clients. With an endpoint (moto), S3 uses path-style
 * addressing and, when the caller has no credentials configured, fixed dummy ones (moto accepts any).
 */
export const createAwsClients = (options: AwsClientOptions = {}, hasCredentials = true): AwsClients => {
  const region = options.region ?? 'us-east-1';
  const endpoint = options.endpoint;
  const common = {
    region,
    maxAttempts: options.maxAttempts ?? 3,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !hasCredentials ? { credentials: EMULATOR_CREDENTIALS } : {}),
    ...(options.credentials ? { credentials: { ...options.credentials } } : {}),
  };
  const s3 = new S3Client({ ...common, forcePathStyle: Boolean(endpoint) });
  const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient(common), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return {
    s3,
    dynamo,
    sqs: new SQSClient(common),
    sns: new SNSClient(common),
    region,
    ...(endpoint ? { endpoint } : {}),
  };
};

/**
 * The clients of a Lambda entry point (both handlers build theirs here): `AWS_ENDPOINT_URL`, the region and
 * whether credentials are configured, read from the environment by `src/config`.
 */
export const createAwsClientsFromEnvironment = (env?: Env): AwsClients => {
  const target = loadAwsTarget(env);
  return createAwsClients(
    { ...(target.endpoint ? { endpoint: target.endpoint } : {}), region: target.region },
    target.hasCredentials,
  );
};
