import type { ScheduledEvent } from 'aws-lambda';
import { type AwsClients, createAwsClientsFromEnvironment } from '../adapters/awsClients.ts';
import { createPowertoolsLogger } from '../adapters/powertools.ts';
import { createS3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../adapters/snsAlertPublisher.ts';
import { isLambdaRuntime } from '../config/handlerConfig.ts';
import { loadRetryConfig, type RetryConfig } from '../config/retryConfig.ts';
import { createDynamoOpsStore } from '../ops/dynamoOpsStore.ts';
import { retryQuarantine } from '../ops/retryQuarantine.ts';
import type { RetryDeps, RetrySummary } from '../ops/retryTypes.ts';
import type { LoggerPort } from '../pipeline/ports.ts';

/** What the scheduled retry function returns (and logs): the pass's counts, no per-file list. */
export type RetryHandlerResult = Omit<RetrySummary, 'outcomes'>;

/** The scheduled retry function's signature. */
export type RetryHandler = (event: ScheduledEvent) => Promise<RetryHandlerResult>;

/** Build the retry function on a config and optional injected parts (tests pass clients for moto). */
export const buildRetryHandler = (
  config: RetryConfig,
  parts: { clients?: AwsClients; deps?: Partial<RetryDeps>; logger?: LoggerPort } = {},
): RetryHandler => {
  const clients = parts.clients ?? createAwsClientsFromEnvironment();
  const store = createDynamoOpsStore(clients.dynamo, config.metadataTable);
  const deps: RetryDeps = {
    objects: createS3ObjectStore(clients.s3),
    ledger: store,
    history: store,
    alerts: createSnsAlertPublisher(clients.sns, config.alertsTopicArn),
    ...parts.deps,
  };
  const logger = parts.logger ?? createPowertoolsLogger();
  return async () => {
    const { outcomes, ...counts } = await retryQuarantine(config, deps);
    for (const o of outcomes)
      if (o.action === 'retried' || o.action === 'exhausted' || o.action === 'failed')
        logger[o.action === 'failed' ? 'error' : 'info'](`file ${o.action}`, { ...o });
      // Not a failure of the pass (it would alarm every pass until the record ages out of the lookback),
      // but never silent: a record naming a bucket that is no source needs a person.
      else if (o.why === 'not-a-source') logger.warn('file refused: its bucket is not a source', { ...o });
    logger.info('retry pass done', { ...counts });
    // A pass that could not reach a file is a failed invocation (an alarm on Errors sees it); the next
    // scheduled pass picks up where this one left off.
    if (counts.failed > 0) throw new Error(`${counts.failed} file(s) could not be retried; see the log`);
    return counts;
  };
};

// Configuration is validated at cold start in Lambda, so a missing variable fails the init naming it.
let built: RetryHandler | undefined = isLambdaRuntime() ? buildRetryHandler(loadRetryConfig()) : undefined;

/** The Lambda entry point run by the EventBridge schedule: one automatic retry pass. */
export const handler: RetryHandler = async (event) => {
  built ??= buildRetryHandler(loadRetryConfig());
  return built(event);
};
