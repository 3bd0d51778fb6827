import { CreateBucketCommand, PutBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import type { HandlerExecutionContext, InitializeHandler, MiddlewareStack } from '@smithy/types';
import { expect } from 'vitest';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import type { HandlerConfig, handlerEnvironment } from '../../src/config/handlerConfig.ts';
import type { PermissionStatement, PipelineRole } from '../../src/config/permissions.ts';
import type { PipelineSettings } from '../../src/config/settings.ts';
import { buildIngestHandler, type IngestDeps } from '../../src/handlers/ingest.ts';
import { createLocalPrincipals, enforceIam, type LocalPrincipals } from '../../src/local/iamPrincipals.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { type Runner, type SqsBatchHandler, startRunner } from '../../src/local/runner.ts';
import { silentRunnerLogger } from '../../src/local/runnerLogger.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import { noMetrics, uploadRecords, waitFor } from './localPipeline.ts';

/** Who signs: a role of the stack, or one of the two principals outside it. */
export type Signer = keyof LocalPrincipals;

/** An AccessDenied answer seen by any signed client: which signer, which call, and AWS's message. */
export interface Denial {
  readonly signer: Signer;
  readonly command: string;
  /** "User: … is not authorized to perform: <action> on resource: <arn> …" */
  readonly message: string;
}

/** A pipeline provisioned on moto, then run under IAM enforcement with one IAM user per role. */
export interface EnforcedPipeline {
  readonly resources: LocalResources;
  readonly config: HandlerConfig;
  readonly principals: LocalPrincipals;
  readonly runner: Runner;
  /** Clients signing as a principal. */
  as(signer: Signer): AwsClients;
  /**
   * Every denial the pipeline's own principals (ingest, retry, operator) met. A permission the code
   * needs and the policy lacks shows up here with its action and resource, whatever the code did with
   * the error afterwards (retried it, recorded it, quarantined the file).
   */
  readonly denials: Denial[];
  stop(): Promise<void>;
}

/** Options of {@link startEnforcedPipeline}. */
export interface EnforcedPipelineOptions {
  readonly endpoint: string;
  readonly settings: PipelineSettings;
  readonly tunables?: Parameters<typeof handlerEnvironment>[0]['tunables'];
  /** Replace ports of the real handler (fault injection); gets the ingest and admin clients. */
  readonly deps?: (ingest: AwsClients, admin: AwsClients) => Partial<IngestDeps>;
  /** Wrap the real handler (to watch the events it gets). */
  readonly wrap?: (real: SqsBatchHandler) => SqsBatchHandler;
  /**
   * More source buckets besides the input bucket (the construct's `sources`): created, given their own
   * notification to the ingest queue before enforcement, and covered by the roles' statements as the
   * stack covers them. @default none
   */
  readonly extraSourceBuckets?: readonly string[];
  /** Change a role's statements before they are given (the statement-removal check). */
  readonly adjust?: (role: PipelineRole, statements: PermissionStatement[]) => PermissionStatement[];
}

const isDenial = (error: unknown): boolean => {
  const name = (error as { name?: string })?.name ?? '';
  return name === 'AccessDenied' || name === 'AccessDeniedException';
};

/** Record every AccessDenied a client gets, before the caller's error handling sees it. */
const watchDenials = (clients: AwsClients, signer: Signer, denials: Denial[]): AwsClients => {
  const stacks = [clients.s3, clients.sqs, clients.sns, clients.dynamo].map(
    (client) => client.middlewareStack as unknown as MiddlewareStack<object, object>,
  );
  for (const stack of stacks) {
    stack.add(
      (next: InitializeHandler<object, object>, context: HandlerExecutionContext) => async (args) => {
        try {
          return await next(args);
        } catch (error) {
          if (isDenial(error))
            denials.push({
              signer,
              command: String(context.commandName),
              message: (error as Error).message,
            });
          throw error;
        }
      },
      { step: 'initialize', name: `watchDenials-${signer}` },
    );
  }
  return clients;
};

/**
 * Provision (before enforcement, as `up --enforce-iam` does), create the IAM users with the stack's
 * statements resolved to the local ARNs, switch enforcement on, and start the runner with the real
 * ingest handler signing as the ingest user. The test signs its own uploads as `uploader` and its
 * inspection as `admin`.
 */
export const startEnforcedPipeline = async (options: EnforcedPipelineOptions): Promise<EnforcedPipeline> => {
  const region = 'us-east-1';
  const bootstrap = createAwsClients({ endpoint: options.endpoint, region }, false);
  const resources = await provisionLocal({ clients: bootstrap, settings: options.settings });
  const extra = options.extraSourceBuckets ?? [];
  for (const bucket of extra) {
    await bootstrap.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await bootstrap.s3.send(
      new PutBucketNotificationConfigurationCommand({
        Bucket: bucket,
        NotificationConfiguration: {
          QueueConfigurations: [{ QueueArn: resources.queueArn, Events: ['s3:ObjectCreated:*'] }],
        },
      }),
    );
  }
  const principals = await createLocalPrincipals({
    endpoint: options.endpoint,
    region,
    resources,
    ...(extra.length > 0 ? { sourceBuckets: [resources.inputBucket, ...extra] } : {}),
    ...(options.adjust ? { adjust: options.adjust } : {}),
  });
  await enforceIam(options.endpoint);
  const denials: Denial[] = [];
  const made = new Map<Signer, AwsClients>();
  const as = (signer: Signer): AwsClients => {
    let clients = made.get(signer);
    if (!clients) {
      clients = createAwsClients({
        endpoint: options.endpoint,
        region,
        credentials: principals[signer].credentials,
      });
      if (signer !== 'admin' && signer !== 'uploader') watchDenials(clients, signer, denials);
      made.set(signer, clients);
    }
    return clients;
  };
  const config = localHandlerConfig(resources, options.settings, options.tunables);
  const ingest = as('ingest');
  const real = buildIngestHandler(config, {
    clients: ingest,
    logger: silentLogger,
    metrics: noMetrics,
    ...options.deps?.(ingest, as('admin')),
  });
  const runner = startRunner({
    sqs: ingest.sqs,
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    region,
    settings: options.settings,
    handler: options.wrap ? options.wrap(real) : real,
    logger: silentRunnerLogger,
  });
  return {
    resources,
    config,
    principals,
    runner,
    as,
    denials,
    stop: async () => {
      await runner.stop();
      for (const clients of [bootstrap, ...made.values()]) {
        clients.s3.destroy();
        clients.sqs.destroy();
        clients.sns.destroy();
        clients.dynamo.destroy();
      }
    },
  };
};

/** The denials as one line each, for an assertion message that names action and resource. */
export const describeDenials = (denials: readonly Denial[]): string =>
  denials.map((d) => `${d.signer} ${d.command}: ${d.message}`).join('\n');

/** No principal of the pipeline was refused anything: otherwise the message names action and resource. */
export const expectNoDenials = (p: EnforcedPipeline): void =>
  expect(p.denials, describeDenials(p.denials)).toEqual([]);

/** The newest upload record of `key` (read as the admin, who may read the table). */
export const latestRecord = async (p: EnforcedPipeline, key: string): Promise<FileRecord | undefined> =>
  (await uploadRecords(p.as('admin'), p.resources.tableName))
    .filter((r) => r.key === key)
    .sort((a, b) => String(a.processedAt).localeCompare(String(b.processedAt)))
    .at(-1);

/**
 * Wait for the newest record of `key` to be `wanted`; fail at once, naming action and resource, rather
 * than time out when a permission is missing.
 */
export const waitForRecord = async (
  p: EnforcedPipeline,
  key: string,
  wanted: (r: FileRecord) => boolean,
  timeoutMs = 90_000,
): Promise<FileRecord> => {
  let found: FileRecord | undefined;
  await waitFor(
    `a matching record of ${key}`,
    async () => {
      expectNoDenials(p);
      found = await latestRecord(p, key);
      return found !== undefined && wanted(found);
    },
    { timeoutMs, intervalMs: 300 },
  );
  return found as FileRecord;
};
