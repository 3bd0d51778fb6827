import type { AwsClients } from '../adapters/awsClients.ts';
import { createS3ObjectStore } from '../adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../adapters/snsAlertPublisher.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, validateRetryPolicy } from '../config/retryConfig.ts';
import { createDynamoOpsStore } from '../ops/dynamoOpsStore.ts';
import { retryQuarantine } from '../ops/retryQuarantine.ts';
import { type RetryTimer, startRetryTimer } from '../ops/retryTimer.ts';
import type { RetrySummary } from '../ops/retryTypes.ts';

/** Options of {@link startLocalRetryTimer}. */
export interface LocalRetryOptions {
  /** Clients pointed at the emulator. */
  readonly clients: AwsClients;
  /** The provisioned local resources (`LocalResources` has these fields). */
  readonly resources: {
    readonly inputBucket: string;
    readonly quarantineBucket: string;
    readonly tableName: string;
    readonly topicArn?: string;
  };
  /** @default DEFAULT_RETRY_POLICY */
  readonly policy?: Partial<RetryPolicy>;
  /** Pause between passes. @default 15000 */
  readonly intervalMs?: number;
  /** Told about each pass that did something (retried, exhausted or failed files). */
  readonly onPass?: (summary: RetrySummary) => void;
  readonly onError?: (error: unknown) => void;
}

/**
 * Local mode's stand-in for the scheduled retry function: the same automatic pass on the same adapters,
 * every `intervalMs`, against the emulator. `up` starts it after provisioning and stops it on exit.
 */
export const startLocalRetryTimer = (options: LocalRetryOptions): RetryTimer => {
  const policy = validateRetryPolicy({ ...DEFAULT_RETRY_POLICY, ...options.policy });
  const { clients, resources } = options;
  const store = createDynamoOpsStore(clients.dynamo, resources.tableName);
  const deps = {
    objects: createS3ObjectStore(clients.s3),
    ledger: store,
    history: store,
    ...(resources.topicArn ? { alerts: createSnsAlertPublisher(clients.sns, resources.topicArn) } : {}),
  };
  return startRetryTimer({
    intervalMs: options.intervalMs ?? 15_000,
    pass: () =>
      retryQuarantine(
        { ...policy, inputBucket: resources.inputBucket, quarantineBucket: resources.quarantineBucket },
        deps,
      ),
    onPass: (summary) => {
      if (summary.retried + summary.exhausted + summary.failed > 0) options.onPass?.(summary);
    },
    ...(options.onError ? { onError: options.onError } : {}),
  });
};
