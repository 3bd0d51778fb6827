/**
 * The resources the dashboard reads and acts on. `LocalResources` from `provisionLocal` has this shape, so
 * `up` passes what it provisioned; the CLI maps its resolved target (`src/cli/resourcesOfTarget.ts`), so the
 * dashboard never imports the CLI.
 */
export interface DashboardResources {
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly inputBucket: string;
  /** Every source bucket (the primary included): Retry puts a file back into its own. @default [inputBucket] */
  readonly sourceBuckets?: readonly string[];
  readonly quarantineBucket: string;
  /** For the alert a retry sends when retries are exhausted; absent locally when no topic exists. */
  readonly topicArn?: string;
}
