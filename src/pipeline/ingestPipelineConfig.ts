import type { NotifyMode } from './constants.ts';
import type { Policy } from './policyDocument.ts';

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
  /**
   * Rejected files larger than this are quarantined in place (tagged in the input bucket, which then
   * denies reading them) instead of copied: a copy of a huge object cannot finish within one invocation.
   * @default 1 GiB
   */
  readonly quarantineInPlaceBytes: number;
  /** Sniffed extensions quarantined as BLOCKED_TYPE (the default rule's `block` unless the policy sets one). */
  readonly blockedTypes: readonly string[];
  /**
   * The compiled policy: the policy file's rules, then its default rule, whose unset fields come from
   * MAX_FILE_SIZE_BYTES and BLOCKED_TYPES (so settings from before policy files keep working).
   */
  readonly policy: Policy;
  /** @default failures */
  readonly notifyMode: NotifyMode;
  /** Keys listed in one alert at most. @default 20 */
  readonly alertMaxKeys: number;
  /** Stop starting files when less time than this remains. @default 5000 */
  readonly timeSafetyMarginMs: number;
}
