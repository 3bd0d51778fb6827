import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import { ListTopicsCommand } from '@aws-sdk/client-sns';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import type { Command } from 'commander';
import { type AwsClients, createAwsClients } from '../adapters/awsClients.ts';
import { loadAwsTarget } from '../config/handlerConfig.ts';
import { RESOURCE_NAMES, type ResourceNames } from '../config/settings.ts';
import { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../config/stackOutputs.ts';
import { CliError, connectionErrorCode, type ErrorContext } from './errors.ts';

/** Where a command acts, as given on the command line (or the environment, through option parsing). */
export interface TargetOptions {
  /** A local emulator (moto): resources have the local names. */
  readonly endpoint?: string;
  readonly region: string;
  /** CloudFormation stack whose outputs name the resources in AWS. */
  readonly stack: string;
  /** True when `--stack` was given: with `--endpoint`, the emulator's stack outputs are read too. */
  readonly stackExplicit?: boolean;
  /** Whether credentials are configured (with an emulator and none, fixed dummy ones are used). */
  readonly hasCredentials: boolean;
}

/** A resolved target: names, URLs and clients, checked to exist. */
export interface Target {
  readonly mode: 'local' | 'aws';
  readonly region: string;
  readonly endpoint?: string;
  /** The stack the names came from (AWS, or an emulator with an explicit `--stack`). */
  readonly stack?: string;
  readonly names: ResourceNames;
  /**
   * Every source bucket, the primary (`names.inputBucket`) first: where `retry` may put files back. From
   * the `SourceBucketNames` stack output; locally (and for a stack from before that output) the input
   * bucket alone.
   */
  readonly sourceBuckets: readonly string[];
  readonly ingestQueueUrl: string;
  readonly deadLetterQueueUrl: string;
  /** Absent only locally when the topic has not been created. */
  readonly alertsTopicArn?: string;
  readonly clients: AwsClients;
}

/** Context for error messages about this target. */
export const errorContextOf = (options: Partial<TargetOptions>): ErrorContext => ({
  ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  ...(options.region ? { region: options.region } : {}),
  ...(options.stack ? { stack: options.stack } : {}),
});

/**
 * The target options of a command: the global `--endpoint` (default `AWS_ENDPOINT_URL`), `--region`
 * (default `AWS_REGION`, `AWS_DEFAULT_REGION`, us-east-1) and `--stack` (default `SilentScalper`).
 */
export const targetOptionsOf = (command: Command): TargetOptions => {
  const opts = command.optsWithGlobals<{ endpoint?: string; region?: string; stack?: string }>();
  const fromEnv = loadAwsTarget();
  let root: Command = command;
  while (root.parent) root = root.parent;
  const endpoint = opts.endpoint?.trim() || fromEnv.endpoint;
  return {
    ...(endpoint ? { endpoint: endpoint.replace(/\/+$/, '') } : {}),
    region: opts.region?.trim() || fromEnv.region,
    stack: opts.stack?.trim() || DEFAULT_STACK_NAME,
    stackExplicit: root.getOptionValueSource('stack') === 'cli',
    hasCredentials: fromEnv.hasCredentials,
  };
};

const lastSegment = (value: string, separator: string): string => value.split(separator).at(-1) ?? value;

/** Read the deployed stack's outputs (DescribeStacks) into resource names and URLs. */
export const readStackOutputs = async (
  cloudFormation: CloudFormationClient,
  stack: string,
): Promise<
  Pick<Target, 'names' | 'sourceBuckets' | 'ingestQueueUrl' | 'deadLetterQueueUrl' | 'alertsTopicArn'>
> => {
  const out = await cloudFormation.send(new DescribeStacksCommand({ StackName: stack }));
  const outputs = new Map(
    (out.Stacks?.[0]?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? ''] as const),
  );
  const needed = [
    STACK_OUTPUTS.inputBucketName,
    STACK_OUTPUTS.quarantineBucketName,
    STACK_OUTPUTS.ingestQueueUrl,
    STACK_OUTPUTS.deadLetterQueueUrl,
    STACK_OUTPUTS.metadataTableName,
    STACK_OUTPUTS.alertsTopicArn,
  ];
  const missing = needed.filter((k) => !outputs.get(k));
  if (missing.length > 0)
    throw new CliError(
      `stack "${stack}" has no output ${missing.join(', ')}: it was deployed by another version; redeploy with \`npx cdk deploy\`.`,
    );
  const get = (k: string) => outputs.get(k) as string;
  const ingestQueueUrl = get(STACK_OUTPUTS.ingestQueueUrl);
  const deadLetterQueueUrl = get(STACK_OUTPUTS.deadLetterQueueUrl);
  const alertsTopicArn = get(STACK_OUTPUTS.alertsTopicArn);
  const inputBucket = get(STACK_OUTPUTS.inputBucketName);
  const listed = (outputs.get(STACK_OUTPUTS.sourceBucketNames) ?? '')
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return {
    sourceBuckets: [...new Set([inputBucket, ...listed])],
    names: {
      inputBucket,
      quarantineBucket: get(STACK_OUTPUTS.quarantineBucketName),
      ingestQueue: lastSegment(ingestQueueUrl, '/'),
      deadLetterQueue: lastSegment(deadLetterQueueUrl, '/'),
      metadataTable: get(STACK_OUTPUTS.metadataTableName),
      alertsTopic: lastSegment(alertsTopicArn, ':'),
    },
    ingestQueueUrl,
    deadLetterQueueUrl,
    alertsTopicArn,
  };
};

/** Pages of ListTopics read at most while looking for the alerts topic. */
const MAX_TOPIC_PAGES = 50;

const findTopicArn = async (clients: AwsClients, name: string): Promise<string | undefined> => {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_TOPIC_PAGES; page++) {
    const out = await clients.sns.send(new ListTopicsCommand({ NextToken: nextToken }));
    const arn = out.Topics?.find((t) => t.TopicArn?.endsWith(`:${name}`))?.TopicArn;
    if (arn) return arn;
    nextToken = out.NextToken;
    if (!nextToken) return undefined;
  }
  return undefined;
};

/** Local mode: the contract names, checked to exist (queues by GetQueueUrl, topic by name). */
const resolveLocal = async (clients: AwsClients, endpoint: string) => {
  const names: ResourceNames = { ...RESOURCE_NAMES };
  const checks = await Promise.allSettled([
    clients.sqs.send(new GetQueueUrlCommand({ QueueName: names.ingestQueue })),
    clients.sqs.send(new GetQueueUrlCommand({ QueueName: names.deadLetterQueue })),
    clients.dynamo.send(new DescribeTableCommand({ TableName: names.metadataTable })),
    clients.s3.send(new HeadBucketCommand({ Bucket: names.inputBucket })),
    clients.s3.send(new HeadBucketCommand({ Bucket: names.quarantineBucket })),
    findTopicArn(clients, names.alertsTopic),
  ]);
  const [ingest, dlq, , , , topic] = checks;
  // One unreachable endpoint fails every check: report that, not six missing resources.
  for (const check of checks)
    if (check.status === 'rejected' && connectionErrorCode(check.reason)) throw check.reason;
  const labels = [
    `queue ${names.ingestQueue}`,
    `queue ${names.deadLetterQueue}`,
    `table ${names.metadataTable}`,
    `bucket ${names.inputBucket}`,
    `bucket ${names.quarantineBucket}`,
  ];
  const missing = labels.filter((_, i) => checks[i]?.status === 'rejected');
  if (missing.length > 0) {
    const first = checks.find((c) => c.status === 'rejected') as PromiseRejectedResult;
    const why = first.reason instanceof Error ? ` (${first.reason.name})` : '';
    throw new CliError(
      `${endpoint} is reachable but not provisioned: missing ${missing.join(', ')}${why}. Run \`silent-scalper up\` to provision the local resources.`,
    );
  }
  const ingestQueueUrl = ingest.status === 'fulfilled' ? ingest.value.QueueUrl : undefined;
  const deadLetterQueueUrl = dlq.status === 'fulfilled' ? dlq.value.QueueUrl : undefined;
  if (!ingestQueueUrl || !deadLetterQueueUrl)
    throw new CliError(`${endpoint} answered GetQueueUrl without a URL: is it an AWS emulator?`);
  const alertsTopicArn = topic.status === 'fulfilled' ? topic.value : undefined;
  return {
    names,
    // Local mode provisions one input bucket: it is the only source.
    sourceBuckets: [names.inputBucket],
    ingestQueueUrl,
    deadLetterQueueUrl,
    ...(alertsTopicArn ? { alertsTopicArn } : {}),
  };
};

/**
 * Resolve where commands act. With an endpoint: the local emulator and the contract names (checked to
 * exist), or, with an explicit `--stack`, that stack's outputs on the emulator. Without: real AWS, names and
 * URLs from the deployed stack's outputs. Failures are thrown as SDK errors or {@link CliError}s; pass them
 * to `explainError` for the fix.
 */
export const resolveTarget = async (options: TargetOptions): Promise<Target> => {
  const { endpoint, region } = options;
  const clients = createAwsClients({ ...(endpoint ? { endpoint } : {}), region }, options.hasCredentials);
  if (endpoint && !options.stackExplicit) {
    return { mode: 'local', region, endpoint, clients, ...(await resolveLocal(clients, endpoint)) };
  }
  const cloudFormation = new CloudFormationClient({
    region,
    ...(endpoint ? { endpoint } : {}),
    ...(endpoint && !options.hasCredentials
      ? { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
      : {}),
  });
  try {
    const resolved = await readStackOutputs(cloudFormation, options.stack);
    return {
      mode: endpoint ? 'local' : 'aws',
      region,
      ...(endpoint ? { endpoint } : {}),
      stack: options.stack,
      clients,
      ...resolved,
    };
  } finally {
    cloudFormation.destroy();
  }
};

/** Release the target's HTTP sockets so the process can exit promptly. */
export const closeTarget = (target: Target): void => {
  target.clients.s3.destroy();
  target.clients.dynamo.destroy();
  target.clients.sqs.destroy();
  target.clients.sns.destroy();
};
