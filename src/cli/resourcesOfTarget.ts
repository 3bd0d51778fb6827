import type { DashboardResources } from '../dashboard/index.ts';
import type { Target } from './target.ts';

/** The dashboard's resources of a resolved CLI target (local names or a deployed stack's outputs). */
export const resourcesOfTarget = (target: Target): DashboardResources => ({
  tableName: target.names.metadataTable,
  queueUrl: target.ingestQueueUrl,
  dlqUrl: target.deadLetterQueueUrl,
  inputBucket: target.names.inputBucket,
  sourceBuckets: target.sourceBuckets,
  quarantineBucket: target.names.quarantineBucket,
  ...(target.alertsTopicArn ? { topicArn: target.alertsTopicArn } : {}),
});
