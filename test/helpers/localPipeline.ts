import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import type { HandlerConfig, handlerEnvironment } from '../../src/config/handlerConfig.ts';
import { type PipelineSettings, RESOURCE_NAMES, type ResourceNames } from '../../src/config/settings.ts';
import { buildIngestHandler, type IngestDeps } from '../../src/handlers/ingest.ts';
import {
  createFaultInjector,
  type FaultInjector,
  type FaultPlan,
} from '../../src/local/faults/faultInjector.ts';
import { createFaultyClients } from '../../src/local/faults/faultyClients.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { type BatchResult, type Runner, type SqsBatchHandler, startRunner } from '../../src/local/runner.ts';
import { createRunnerLogger, silentRunnerLogger } from '../../src/local/runnerLogger.ts';
import type { MetricsPort } from '../../src/pipeline/ports.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';

/** Resource names with a prefix, so several pipelines can share one moto server without meeting. */
export const prefixedNames = (prefix: string): ResourceNames => ({
  inputBucket: `${prefix}-input`,
  quarantineBucket: `${prefix}-quarantine`,
  ingestQueue: `${prefix}-ingest`,
  deadLetterQueue: `${prefix}-ingest-dlq`,
  metadataTable: `${prefix}-files`,
  alertsTopic: `${prefix}-alerts`,
});

/** A metrics port that keeps nothing (EMF lines would flood the test output). */
export const noMetrics: MetricsPort = { add() {}, flush() {} };

/** A provisioned local pipeline with the real ingest handler behind the runner. */
export interface LocalPipeline {
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly config: HandlerConfig;
  readonly runner: Runner;
  /** Every batch the runner finished, in order. */
  readonly batches: BatchResult[];
  /** The fault injector of the pipeline's own requests, when `faults` was given. */
  readonly faults?: FaultInjector;
}

/** Options of {@link startLocalPipeline}. */
export interface LocalPipelineOptions {
  readonly endpoint: string;
  readonly settings: PipelineSettings;
  /** @default RESOURCE_NAMES */
  readonly names?: ResourceNames;
  readonly tunables?: Parameters<typeof handlerEnvironment>[0]['tunables'];
  /** Replace ports of the real handler (fault injection); a function gets the pipeline's clients. */
  readonly deps?: Partial<IngestDeps> | ((clients: AwsClients) => Partial<IngestDeps>);
  /** Wrap the real handler (misbehaving handlers). */
  readonly wrap?: (real: SqsBatchHandler) => SqsBatchHandler;
  /** Inject AWS faults into the handler's and the runner's requests (never into `clients`). */
  readonly faults?: FaultPlan;
  /** Run something between provisioning and starting the runner (e.g. upload a dump first). */
  readonly beforeStart?: (clients: AwsClients, resources: LocalResources) => Promise<void>;
}

/** Provision, build the real handler from `handlerEnvironment` as `up` does, and start the runner. */
export const startLocalPipeline = async (options: LocalPipelineOptions): Promise<LocalPipeline> => {
  const clients = createAwsClients({ endpoint: options.endpoint }, false);
  const resources = await provisionLocal({
    clients,
    settings: options.settings,
    names: options.names ?? RESOURCE_NAMES,
  });
  const config = localHandlerConfig(resources, options.settings, options.tunables);
  const faults = options.faults ? createFaultInjector(options.faults) : undefined;
  const pipelineClients = faults
    ? createFaultyClients({ endpoint: options.endpoint, region: clients.region }, faults)
    : clients;
  const real = buildIngestHandler(config, {
    clients: pipelineClients,
    ...(process.env.E2E_VERBOSE ? {} : { logger: silentLogger }),
    metrics: noMetrics,
    ...(typeof options.deps === 'function' ? options.deps(pipelineClients) : options.deps),
  });
  await options.beforeStart?.(clients, resources);
  const batches: BatchResult[] = [];
  const runner = startRunner({
    sqs: pipelineClients.sqs,
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    region: clients.region,
    settings: options.settings,
    handler: options.wrap ? options.wrap(real) : real,
    // E2E_VERBOSE=1 shows the runner's log while debugging a test.
    logger: process.env.E2E_VERBOSE ? createRunnerLogger() : silentRunnerLogger,
    onBatch: (b) => batches.push(b),
    ...(faults
      ? { crashAfterMs: () => faults.drawCrash(options.settings.functionTimeoutSeconds * 1000) }
      : {}),
  });
  return { clients, resources, config, runner, batches, ...(faults ? { faults } : {}) };
};

/**
 * Upload `files` to `bucket` through `clients`, 4 PUTs at a time (moto's best concurrency), the way a
 * dump arrives while the runner drains.
 */
export const uploadFiles = async (
  clients: AwsClients,
  bucket: string,
  files: readonly {
    readonly key: string;
    readonly sample: { readonly bytes: Uint8Array; readonly contentType: string };
  }[],
): Promise<void> => {
  const limit = pLimit(4);
  await Promise.all(
    files.map((f) =>
      limit(() =>
        clients.s3.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: f.key,
            Body: f.sample.bytes,
            ContentType: f.sample.contentType,
          }),
        ),
      ),
    ),
  );
};

/** Poll `check` until it returns true; fail with `what` after `timeoutMs`. */
export const waitFor = async (
  what: string,
  check: () => Promise<boolean>,
  { timeoutMs = 120_000, intervalMs = 250 } = {},
): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
};

/** Approximate message counts of a queue (exact on moto). */
export const queueCounts = async (
  clients: AwsClients,
  queueUrl: string,
): Promise<{ visible: number; inFlight: number; delayed: number }> => {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return {
    visible: Number(Attributes.ApproximateNumberOfMessages),
    inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    delayed: Number(Attributes.ApproximateNumberOfMessagesDelayed),
  };
};

/** Every upload record of the table (history steps left out). */
export const uploadRecords = async (clients: AwsClients, tableName: string): Promise<FileRecord[]> => {
  const items: FileRecord[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await clients.dynamo.send(
      new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of out.Items ?? []) if (item.recordType === 'UPLOAD') items.push(item as FileRecord);
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return items;
};
