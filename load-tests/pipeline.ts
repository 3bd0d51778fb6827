import type { AwsClients } from '../src/adapters/awsClients.ts';
import { silentLogger } from '../src/adapters/powertools.ts';
import { type PipelineSettings, RESOURCE_NAMES, type ResourceNames } from '../src/config/settings.ts';
import { buildIngestHandler, type IngestDeps } from '../src/handlers/ingest.ts';
import type { FaultInjector } from '../src/local/faults/faultInjector.ts';
import { createFaultyClients } from '../src/local/faults/faultyClients.ts';
import { localHandlerConfig } from '../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../src/local/provision.ts';
import { type BatchResult, type Runner, startRunner } from '../src/local/runner.ts';
import { silentRunnerLogger } from '../src/local/runnerLogger.ts';
import type { MetricsPort } from '../src/pipeline/ports.ts';

/** The local pipeline run inside this process: provisioned resources and the runner driving the real handler. */
export interface InProcessPipeline {
  readonly resources: LocalResources;
  readonly runner: Runner;
  /** Stop the runner (in-flight batches finish first). */
  stop(): Promise<void>;
}

/** EMF metric lines would flood a load run's output and cost CPU the measurement should not pay. */
const noMetrics: MetricsPort = { add() {}, flush() {} };

/**
 * Provision the local resources and start the runner with the real ingest handler, configured the way
 * `silent-scalper up` configures it (`handlerEnvironment` → `loadHandlerConfig`). The caller passes the
 * clients, so a benchmark can count their requests.
 */
export const startInProcessPipeline = async (options: {
  readonly clients: AwsClients;
  readonly settings: PipelineSettings;
  /** @default RESOURCE_NAMES */
  readonly names?: ResourceNames;
  /** Called before the runner starts (e.g. to upload a dump so it is drained from a full queue). */
  readonly beforeStart?: (resources: LocalResources) => Promise<void>;
  readonly onBatch?: (result: BatchResult) => void;
  /** Inject faults into the handler's and the runner's requests (never into `clients`). */
  readonly faults?: FaultInjector;
}): Promise<InProcessPipeline> => {
  const { clients, settings } = options;
  const resources = await provisionLocal({ clients, settings, names: options.names ?? RESOURCE_NAMES });
  await options.beforeStart?.(resources);
  const faults = options.faults;
  const runner = startSilentRunner({
    clients:
      faults && clients.endpoint
        ? createFaultyClients({ endpoint: clients.endpoint, region: clients.region }, faults)
        : clients,
    resources,
    settings,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    ...(faults ? { crashAfterMs: () => faults.drawCrash(settings.functionTimeoutSeconds * 1000) } : {}),
  });
  return { resources, runner, stop: () => runner.stop() };
};

/** What the handler logs and measures through: silent for measurements, the real ones for `npm run cost`. */
export interface HandlerObservability {
  readonly logger: IngestDeps['logger'];
  readonly metrics: MetricsPort;
}

/** The runner's arguments: the pipeline's clients, its provisioned resources and the settings it runs at. */
export interface HandlerRunnerArgs {
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly settings: PipelineSettings;
  readonly onBatch?: (result: BatchResult) => void;
  readonly crashAfterMs?: () => number | undefined;
}

/**
 * The runner (its own log lines silenced) invoking the real ingest handler on already-provisioned
 * resources, with the handler's logger and metrics given by the caller. Shared by the load test, the
 * benchmark and `npm run cost`.
 */
export const startHandlerRunner = (args: HandlerRunnerArgs & HandlerObservability): Runner => {
  const { clients, resources, settings } = args;
  const handler = buildIngestHandler(localHandlerConfig(resources, settings), {
    clients,
    logger: args.logger,
    metrics: args.metrics,
  });
  return startRunner({
    sqs: clients.sqs,
    queueUrl: resources.queueUrl,
    queueArn: resources.queueArn,
    region: clients.region,
    settings,
    handler,
    logger: silentRunnerLogger,
    ...(args.onBatch ? { onBatch: args.onBatch } : {}),
    ...(args.crashAfterMs ? { crashAfterMs: args.crashAfterMs } : {}),
  });
};

/**
 * {@link startHandlerRunner} silent (no logs, no EMF lines), so a measurement pays only for the pipeline's
 * work. Used by the load test and the benchmark.
 */
export const startSilentRunner = (args: HandlerRunnerArgs): Runner =>
  startHandlerRunner({ ...args, logger: silentLogger, metrics: noMetrics });
