/**
 * The package's one entry point for CDK users (`import { SilentScalperPipeline } from 'silent-scalper'`,
 * package.json `exports`): the construct, its props and the building blocks it is made of.
 */

export type { RetryPolicy } from '../src/config/retryConfig.ts';
export { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../src/config/settings.ts';
export { DEFAULT_STACK_NAME, STACK_OUTPUTS } from '../src/config/stackOutputs.ts';
export { IngestQueues } from './constructs/IngestQueues.ts';
export { MetadataTable } from './constructs/MetadataTable.ts';
export {
  ALARM_NAMES,
  type AlarmThresholds,
  DEFAULT_ALARM_THRESHOLDS,
  PipelineAlarms,
} from './constructs/PipelineAlarms.ts';
export { PipelineDashboard } from './constructs/PipelineDashboard.ts';
export { PipelineFunction } from './constructs/PipelineFunction.ts';
export { QuarantineRetry } from './constructs/QuarantineRetry.ts';
export { SecureBucket } from './constructs/SecureBucket.ts';
export {
  BUCKET_BASELINE_WARNING,
  IMPORTED_BUCKET_WARNING,
  type PipelineSource,
} from './pipelineSources.ts';
export {
  DEFAULT_STACK_OPTIONS,
  type HandlerTunables,
  SilentScalperPipeline,
  type SilentScalperPipelineProps,
} from './SilentScalperPipeline.ts';
export { SilentScalperStack, type SilentScalperStackProps } from './SilentScalperStack.ts';
