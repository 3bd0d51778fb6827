import type { AwsClients } from '../adapters/awsClients.ts';
import { createS3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { createDynamoOpsStore } from '../ops/dynamoOpsStore.ts';
import { replayDlq } from '../ops/replayDlq.ts';
import { retryManual } from '../ops/retryManual.ts';
import { retrySources } from '../ops/retrySources.ts';
import { sqsReplayQueues } from '../ops/sqsReplayQueues.ts';
import type { DashboardResources } from './resources.ts';

/** The outcome of an action, as the page shows it. */
export interface ActionResult {
  /** True when the action did what was asked. */
  readonly ok: boolean;
  /** One line for the operator. */
  readonly message: string;
  /** The operation's own summary. */
  readonly details?: unknown;
}

/** Retry one quarantined file. */
export interface RetryRequest {
  readonly bucket: string;
  readonly key: string;
  /** Needed for policy reasons (EMPTY_FILE, TOO_LARGE, BLOCKED_TYPE, TYPE_MISMATCH, NOT_ALLOWED, ARCHIVE_*). */
  readonly force: boolean;
}

/** Replay the dead-letter queue. */
export interface ReplayRequest {
  /** Messages moved at most. */
  readonly max?: number;
  /** Also move poison messages (they would come back). */
  readonly includePoison: boolean;
}

/** What the dashboard's buttons do: the operations commands' own code, never a second version. */
export interface DashboardActions {
  retry(request: RetryRequest): Promise<ActionResult>;
  replay(request: ReplayRequest): Promise<ActionResult>;
}

/**
 * The actions on the operations code (src/ops): Retry is `retryManual` for one key (the code of
 * `silent-scalper retry <key>`), Replay is `replayDlq` (the code of `silent-scalper replay-dlq`), both on
 * the caller's AWS clients.
 */
export const buildDashboardActions = (
  clients: AwsClients,
  resources: DashboardResources,
): DashboardActions => {
  const store = createDynamoOpsStore(clients.dynamo, resources.tableName);
  return {
    retry: async (request) => {
      // The same refusal retryManual gives, said up front in the page's words.
      const sources = retrySources(resources);
      if (!sources.has(request.bucket))
        return {
          ok: false,
          message: `only files of the pipeline's source buckets (${[...sources].join(', ')}) can be retried`,
        };
      const summary = await retryManual(
        { keys: [request.key], bucket: request.bucket },
        {
          inputBucket: resources.inputBucket,
          ...(resources.sourceBuckets ? { sourceBuckets: resources.sourceBuckets } : {}),
          quarantineBucket: resources.quarantineBucket,
          force: request.force,
        },
        { objects: createS3ObjectStore(clients.s3), ledger: store, history: store },
      );
      const outcome = summary.outcomes[0];
      if (!outcome) return { ok: false, message: 'nothing to retry', details: summary };
      if (outcome.action === 'retried')
        return {
          ok: true,
          message: `Retrying: copied back to ${request.bucket === resources.inputBucket ? 'the input bucket' : `source bucket ${request.bucket}`} (attempt ${outcome.attempt ?? '?'})${outcome.detail ? `; ${outcome.detail}` : ''}`,
          details: summary,
        };
      return {
        ok: false,
        message: `Not retried (${outcome.why ?? outcome.action}): ${outcome.detail ?? ''}`.trim(),
        details: summary,
      };
    },
    replay: replayAction(clients, resources, store),
  };
};

/** Replay through `replayDlq` (src/ops), the code of `silent-scalper replay-dlq`. */
const replayAction =
  (clients: AwsClients, resources: DashboardResources, history: ReturnType<typeof createDynamoOpsStore>) =>
  async (request: ReplayRequest): Promise<ActionResult> => {
    const summary = await replayDlq(
      {
        includePoison: request.includePoison,
        ...(request.max !== undefined ? { max: request.max } : {}),
        // The button waits for the answer: a short run that stops when the DLQ is empty.
        waitTimeSeconds: 1,
        emptyReceivesToStop: 2,
        timeoutMs: 60_000,
        maxReportedMessages: 50,
      },
      {
        queues: sqsReplayQueues(clients.sqs, {
          dlqUrl: resources.dlqUrl,
          ingestQueueUrl: resources.queueUrl,
        }),
        history,
      },
    );
    const parts = [`${summary.moved} message(s) moved back to the ingest queue`];
    if (summary.skippedPoison > 0) parts.push(`${summary.skippedPoison} poison message(s) left in the DLQ`);
    if (summary.failed > 0) parts.push(`${summary.failed} failed (still in the DLQ)`);
    return { ok: summary.failed === 0, message: parts.join(', '), details: summary };
  };
