import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { type AwsClients, createAwsClientsFromEnvironment } from '../adapters/awsClients.ts';
import { createDynamoMetadataStore } from '../adapters/dynamoMetadataStore.ts';
import { createPowertoolsLogger, createPowertoolsMetrics } from '../adapters/powertools.ts';
import { createS3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../adapters/snsAlertPublisher.ts';
import { createSqsDeadLetterSender } from '../adapters/sqsDeadLetterSender.ts';
import { type HandlerConfig, isLambdaRuntime, loadHandlerConfig } from '../config/handlerConfig.ts';
import type { IngestMessage, LoggerPort, Sleep } from '../pipeline/ports.ts';
import { type IngestPipelineDeps, processBatch } from '../pipeline/processBatch.ts';

/**
 * What the ingest handler talks to; every part can be injected. Ports win over `clients`; missing ports
 * are built on `clients` (default: clients from `AWS_ENDPOINT_URL` / the region of the environment).
 */
export interface IngestDeps extends IngestPipelineDeps {
  readonly clients: AwsClients;
}

/** The Lambda handler signature of the ingest function. */
export type IngestHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** SQS record → the pipeline's message (receive count and sent time come as strings). */
const toIngestMessage = (record: SQSRecord, nowMs: number): IngestMessage => {
  const receiveCount = Number.parseInt(record.attributes?.ApproximateReceiveCount ?? '1', 10);
  const sent = Number.parseInt(record.attributes?.SentTimestamp ?? '', 10);
  return {
    messageId: record.messageId,
    body: record.body ?? '',
    receiveCount: Number.isInteger(receiveCount) && receiveCount > 0 ? receiveCount : 1,
    sentTimestampMs: Number.isInteger(sent) ? sent : nowMs,
  };
};

/** Resolve the dependencies: injected parts as given, the rest built once. */
export const resolveIngestDeps = (
  config: HandlerConfig,
  deps: Partial<IngestDeps> = {},
): Omit<IngestDeps, 'clients'> & { clients?: AwsClients } => {
  const needsClients = !(deps.objectStore && deps.metadataStore && deps.alerts && deps.deadLetters);
  const clients = deps.clients ?? (needsClients ? createAwsClientsFromEnvironment() : undefined);
  const need = <T>(port: T | undefined, build: (c: AwsClients) => T): T => {
    if (port) return port;
    if (!clients) throw new Error('no AWS clients to build a port on');
    return build(clients);
  };
  return {
    ...(clients ? { clients } : {}),
    objectStore: need(deps.objectStore, (c) => createS3ObjectStore(c.s3)),
    metadataStore: need(deps.metadataStore, (c) => createDynamoMetadataStore(c.dynamo, config.metadataTable)),
    alerts: need(deps.alerts, (c) => createSnsAlertPublisher(c.sns, config.alertsTopicArn)),
    deadLetters: need(deps.deadLetters, (c) => createSqsDeadLetterSender(c.sqs, config.dlqUrl)),
    logger: deps.logger ?? createPowertoolsLogger(),
    metrics: deps.metrics ?? createPowertoolsMetrics(),
    clock: deps.clock ?? { now: () => Date.now() },
    sleep: deps.sleep ?? defaultSleep,
    random: deps.random ?? Math.random,
  };
};

/**
 * The ingest handler with injectable dependencies (the local runner and tests build it with a config from
 * `loadHandlerConfig(handlerEnvironment({...}))` and clients from `createAwsClients({ endpoint })`).
 */
export const buildIngestHandler = (config: HandlerConfig, deps: Partial<IngestDeps> = {}): IngestHandler => {
  const resolved = resolveIngestDeps(config, deps);
  // Powertools' logger adds the request id and function name to every line when given the context.
  const logger = resolved.logger as LoggerPort & { addContext?: (context: Context) => void };
  return async (event, context) => {
    logger.addContext?.(context);
    const messages = (event.Records ?? []).map((record) => toIngestMessage(record, resolved.clock.now()));
    const budget = { remainingMs: () => context.getRemainingTimeInMillis() };
    const outcome = await processBatch(messages, budget, config, resolved);
    return outcome.response;
  };
};

// Lambda: configuration is read and validated at cold start (module initialisation), so a missing
// METADATA_TABLE fails the init with a message naming it. Elsewhere (tests, the local runner, bundling),
// importing this module has no side effects and `handler` builds itself on first use.
let built: IngestHandler | undefined = isLambdaRuntime()
  ? buildIngestHandler(loadHandlerConfig())
  : undefined;

/** The Lambda entry point of the ingest queue's event source mapping. */
export const handler: IngestHandler = async (event, context) => {
  built ??= buildIngestHandler(loadHandlerConfig());
  return built(event, context);
};
