import type { Target } from '../cli/target.ts';

/**
 * The resources the dashboard reads and acts on. `LocalResources` from `provisionLocal` has this shape, so
 * `up` passes what it provisioned; the CLI maps a resolved target with {@link resourcesOfTarget}.
 */
export interface DashboardResources {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly inputBucket: string;
  readonly quarantineBucket: string;
  /** For the alert a retry sends when retries are exhausted; absent locally when no topic exists. */
  readonly topicArn?: string;
}

/** The dashboard's resources of a resolved CLI target (local names or a deployed stack's outputs). */
export const resourcesOfTarget = (target: Target): DashboardResources => ({
  tableName: target.names.metadataTable,
  queueUrl: target.ingestQueueUrl,
  dlqUrl: target.deadLetterQueueUrl,
  inputBucket: target.names.inputBucket,
  quarantineBucket: target.names.quarantineBucket,
  ...(target.alertsTopicArn ? { topicArn: target.alertsTopicArn } : {}),
});
