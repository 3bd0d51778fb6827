import type { NotifyMode } from './constants.ts';

/**
 * The settings the batch pipeline uses. The pipeline declares them here and `src/config` satisfies them
 * (`HandlerConfig` extends this), so the pipeline never imports the configuration layer.
 */
export interface IngestPipelineConfig {
  /** Where rejected files are moved. */
  readonly quarantineBucket: string;
  /** Must equal the queue's maxReceiveCount: on this receive a still-failing file is quarantined. */
  readonly maxReceives: number;
  /** Bytes read by the single ranged GET. @default 4100 */
  readonly sniffBytes: number;
  /** Files processed concurrently per invocation. @default 16 */
  readonly fileConcurrency: number;
  /** Larger files are quarantined TOO_LARGE. @default 5 GiB */
  readonly maxFileSizeBytes: number;
  /** Sniffed extensions quarantined as BLOCKED_TYPE. */
  readonly blockedTypes: readonly string[];
  /** @default failures */
  readonly notifyMode: NotifyMode;
  /** Keys listed in one alert at most. @default 20 */
  readonly alertMaxKeys: number;
  /** Stop starting files when less time than this remains. @default 5000 */
  readonly timeSafetyMarginMs: number;
}
