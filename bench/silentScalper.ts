import { startSilentRunner } from '../load-tests/pipeline.ts';
import type { AwsClients } from '../src/adapters/awsClients.ts';
import type { PipelineSettings } from '../src/config/settings.ts';
import type { LocalResources } from '../src/local/provision.ts';
import type { VariantResult } from './types.ts';

/**
 * Silent Scalper as it runs locally: the runner (Lambda's SQS poller, default settings) invoking the real
 * ingest handler built from `handlerEnvironment` as `silent-scalper up` builds it. Resolves once the
 * runner has deleted `files` messages (one per file: the handler wrote their records first), with the time
 * from the runner's start to that last delete.
 */
export const runSilentScalper = async (args: {
  readonly clients: AwsClients;
  readonly resources: LocalResources;
  readonly settings: PipelineSettings;
  readonly files: number;
  readonly timeoutMs: number;
}): Promise<{ files: number; elapsedMs: number; fixedWaits: NonNullable<VariantResult['fixedWaits']> }> => {
  const { clients, resources, settings } = args;
  let resolveDone: () => void = () => {};
  const allDeleted = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const started = performance.now();
  // When each invocation started and ended: the first start ends the start-up wait; full batches make the
  // steady state; a last partial batch (it waited out the batching window) is a fixed wait, reported apart.
  let firstStart = Number.POSITIVE_INFINITY;
  const full: { end: number; files: number }[] = [];
  const runner = startSilentRunner({
    clients,
    resources,
    settings,
    onBatch: (result) => {
      const end = performance.now();
      firstStart = Math.min(firstStart, end - result.durationMs);
      if (result.messageIds.length >= settings.batchSize) full.push({ end, files: result.deleted });
      if (runner.counters().messagesDeleted >= args.files) resolveDone();
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `silent-scalper: only ${runner.counters().messagesDeleted} of ${args.files} files within the timeout`,
          ),
        ),
      args.timeoutMs,
    );
  });
  try {
    await Promise.race([allDeleted, timeout]);
    // Timed up to the last delete; stopping the pollers afterwards is not part of the work.
    const finished = performance.now();
    const lastFull = full.reduce((max, b) => Math.max(max, b.end), firstStart);
    return {
      files: runner.counters().messagesDeleted,
      elapsedMs: finished - started,
      fixedWaits: {
        startupMs: firstStart - started,
        tailMs: finished - lastFull,
        steadyFiles: full.reduce((sum, b) => sum + b.files, 0),
        steadyMs: lastFull - firstStart,
      },
    };
  } finally {
    clearTimeout(timer);
    await runner.stop();
  }
};
