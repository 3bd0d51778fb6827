import { type AwsClients, createAwsClients } from '../adapters/awsClients.ts';
import { createDynamoMetadataStore } from '../adapters/dynamoMetadataStore.ts';
import { createPowertoolsLogger } from '../adapters/powertools.ts';
import type { HandlerConfig, handlerEnvironment } from '../config/handlerConfig.ts';
import type { PipelineRole } from '../config/permissions.ts';
import { type PipelineSettings, RESOURCE_NAMES, resolvePipelineSettings } from '../config/settings.ts';
import { buildIngestHandler } from '../handlers/ingest.ts';
import type { LoggerPort, MetadataStore, MetricsPort } from '../pipeline/ports.ts';
import type { FileRecord } from '../pipeline/types.ts';
import { createFaultInjector, type FaultInjector, type FaultPlan } from './faults/faultInjector.ts';
import { createFaultyClients } from './faults/faultyClients.ts';
import { createLocalPrincipals, enforceIam, type LocalPrincipals } from './iamPrincipals.ts';
import { localHandlerConfig } from './localHandlerConfig.ts';
import { DEFAULT_MOTO_PORT, type MotoServer, startMoto } from './moto/motoServer.ts';
import { type LocalResources, provisionLocal } from './provision.ts';
import { type Runner, startRunner } from './runner.ts';
import { createRunnerLogger, type RunnerLogger } from './runnerLogger.ts';

/** Handler tunables `up` may set (the rest keep the handler's defaults). */
export type LocalTunables = NonNullable<Parameters<typeof handlerEnvironment>[0]['tunables']>;

/** Options of {@link startLocalRuntime}. */
export interface LocalRuntimeOptions {
  /** Port of moto on 127.0.0.1; 0 picks a free one. @default 4566 */
  readonly port?: number;
  /** @default us-east-1 */
  readonly region?: string;
  /** @default resolvePipelineSettings() — the same defaults the CDK stack deploys */
  readonly settings?: PipelineSettings;
  /** Start the runner (the local Lambda). @default true */
  readonly runner?: boolean;
  /** Log JSON lines (runner and handler) instead of text for a human. @default false */
  readonly jsonLogs?: boolean;
  readonly tunables?: LocalTunables;
  /** @default a human or JSON logger on stdout/stderr, per `jsonLogs` */
  readonly logger?: RunnerLogger;
  /** How to tell the user to choose another port when the port is taken. @default '--port <n>' */
  readonly portHint?: string;
  /**
   * Inject AWS faults into the pipeline's own requests (handler and runner deletes; never `clients`).
   * @default no injection
   */
  readonly faults?: FaultPlan | FaultInjector;
  /**
   * Run under IAM enforcement: after provisioning, one IAM user per role of the stack holding exactly
   * that role's statements (src/config/permissions.ts), then moto authorizes every request. The runner
   * and the ingest handler sign as the ingest role. @default false
   */
  readonly enforceIam?: boolean;
  /** Browser origins the local endpoint answers (see startMoto). @default none: browsers are refused */
  readonly allowedOrigins?: readonly string[];
}

/** The running local pipeline. */
export interface LocalRuntime {
  readonly moto: MotoServer;
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly settings: PipelineSettings;
  readonly handlerConfig: HandlerConfig;
  /** Absent with `runner: false`. */
  readonly runner?: Runner;
  /** The fault injector (switch it off with `setEnabled(false)`), when `faults` was given. */
  readonly faults?: FaultInjector;
  /** The IAM users, when IAM is enforced (`clients` then sign as `admin`). */
  readonly principals?: LocalPrincipals;
  /** Clients signing as a role: its IAM user when enforced, else the same as `clients`. */
  clientsFor(role: PipelineRole): AwsClients;
  /** Stop the runner gracefully (in-flight batches finish), then moto. Idempotent. */
  stop(): Promise<void>;
}

/** Metrics are for CloudWatch; locally they would only print EMF blobs. */
const noMetrics: MetricsPort = { add() {}, flush() {} };

/** The handler's warnings and errors as one readable line each (its info lines repeat the runner's). */
const handlerLogFor = (logger: RunnerLogger): LoggerPort => {
  const line = (message: string, extra: Record<string, unknown>[]) => {
    const fields = Object.assign({}, ...extra) as Record<string, unknown>;
    const key = typeof fields.key === 'string' ? `: ${fields.key}` : '';
    const error = typeof fields.error === 'string' ? ` — ${fields.error}` : '';
    return `${message}${key}${error}`;
  };
  return {
    debug() {},
    info() {},
    warn: (message, ...extra) => logger.warn(line(message, extra)),
    error: (message, ...extra) => logger.error(line(message, extra)),
  };
};

/** `PROCESSED  image/png  photos/a.png` for every upload record the handler writes. */
const reportingStore = (store: MetadataStore, logger: RunnerLogger): MetadataStore => ({
  ...store,
  batchPut: async (items) => {
    const result = await store.batchPut(items);
    const unprocessed = new Set(result.unprocessed);
    for (const item of items) {
      if (item.recordType !== 'UPLOAD' || unprocessed.has(item)) continue;
      const r = item as FileRecord;
      const what = r.reason ? `${r.status} ${r.reason}` : r.status;
      logger.info(`  ${what.padEnd(28)} ${(r.mime ?? r.contentClass ?? '?').padEnd(24)} ${r.key}`, {
        event: 'file',
        key: r.key,
        status: r.status,
        ...(r.reason ? { reason: r.reason } : {}),
        ...(r.mime ? { mime: r.mime } : {}),
        size: r.size,
        durationMs: r.durationMs,
        receiveCount: r.receiveCount,
      });
    }
    return result;
  },
});

/**
 * Start the whole pipeline locally: moto (through the patched launcher), the resources the CDK stack
 * deploys (provisioned from the shared settings), and the runner invoking the real ingest handler, built
 * exactly as Lambda would build it from its environment.
 */
export const startLocalRuntime = async (options: LocalRuntimeOptions = {}): Promise<LocalRuntime> => {
  const settings = options.settings ?? resolvePipelineSettings();
  const logger = options.logger ?? createRunnerLogger({ json: options.jsonLogs ?? false });
  const moto = await startMoto({
    port: options.port ?? DEFAULT_MOTO_PORT,
    ...(options.portHint ? { portHint: options.portHint } : {}),
    ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}),
  });
  try {
    logger.info(`moto is up on ${moto.endpoint}`, { event: 'moto', endpoint: moto.endpoint, pid: moto.pid });
    const region = options.region ?? 'us-east-1';
    const provisioning = createAwsClients({ endpoint: moto.endpoint, region }, false);
    const resources = await provisionLocal({
      clients: provisioning,
      settings,
      names: { ...RESOURCE_NAMES },
      onChange: (change) => logger.info(change, { event: 'provision', change }),
    });
    const principals = options.enforceIam
      ? await createLocalPrincipals({ endpoint: moto.endpoint, region, resources })
      : undefined;
    if (principals) {
      await enforceIam(moto.endpoint);
      logger.info('IAM enforced: each role signs as its own IAM user', { event: 'iamEnforced' });
    }
    const built = new Map<string, AwsClients>();
    const signedAs = (who: keyof LocalPrincipals): AwsClients => {
      if (!principals) return provisioning;
      let made = built.get(who);
      if (!made) {
        made = createAwsClients({
          endpoint: moto.endpoint,
          region,
          credentials: principals[who].credentials,
        });
        built.set(who, made);
      }
      return made;
    };
    const clients = signedAs('admin');
    const ingestClients = signedAs('ingest');
    const handlerConfig = localHandlerConfig(resources, settings, options.tunables);
    const faults =
      options.faults === undefined
        ? undefined
        : 'draw' in options.faults
          ? options.faults
          : createFaultInjector(options.faults);
    // The pipeline (runner + handler) signs as the ingest role; when faults are on it gets its own faulty
    // clients, so uploads and checks through `clients` stay clean.
    const pipelineClients = faults
      ? createFaultyClients(
          {
            endpoint: moto.endpoint,
            region,
            ...(principals ? { credentials: principals.ingest.credentials } : {}),
          },
          faults,
        )
      : ingestClients;
    const runner =
      options.runner === false
        ? undefined
        : startRunner({
            sqs: pipelineClients.sqs,
            queueUrl: resources.queueUrl,
            queueArn: resources.queueArn,
            region: clients.region,
            settings,
            logger,
            ...(faults
              ? { crashAfterMs: () => faults.drawCrash(settings.functionTimeoutSeconds * 1000) }
              : {}),
            handler: buildIngestHandler(handlerConfig, {
              clients: pipelineClients,
              logger: options.jsonLogs ? createPowertoolsLogger() : handlerLogFor(logger),
              metrics: noMetrics,
              metadataStore: reportingStore(
                createDynamoMetadataStore(pipelineClients.dynamo, handlerConfig.metadataTable),
                logger,
              ),
            }),
          });
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => {
      stopping ??= (async () => {
        try {
          await runner?.stop();
        } finally {
          for (const each of new Set([provisioning, ...built.values(), pipelineClients])) {
            each.s3.destroy();
            each.sqs.destroy();
            each.sns.destroy();
            each.dynamo.destroy();
          }
          await moto.stop();
          logger.info('moto stopped', { event: 'motoStopped' });
        }
      })();
      return stopping;
    };
    return {
      moto,
      clients,
      resources,
      settings,
      handlerConfig,
      ...(runner ? { runner } : {}),
      ...(faults ? { faults } : {}),
      ...(principals ? { principals } : {}),
      clientsFor: signedAs,
      stop,
    };
  } catch (error) {
    await moto.stop();
    throw error;
  }
};
