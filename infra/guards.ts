import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HANDLER_ENV } from '../src/config/handlerConfig.ts';
import {
  InvalidSettingsError,
  type PipelineSettings,
  validatePipelineSettings,
} from '../src/config/settings.ts';
import type { AlarmThresholds } from './constructs/PipelineAlarms.ts';

/** Lambda's hard limits (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;
const LAMBDA_MEMORY_MB = { min: 128, max: 10_240 } as const;

/** The deployment options the CDK stack adds to the shared pipeline settings. */
export interface StackOptions {
  readonly quarantineExpiryDays: number;
  readonly accessLogExpiryDays: number;
  readonly logRetention: RetentionDays;
  readonly alarmThresholds: AlarmThresholds;
  readonly alertEmail?: string;
  readonly notificationFilter?: { readonly prefix?: string; readonly suffix?: string };
}

const isPositiveInteger = (n: number): boolean => Number.isInteger(n) && n > 0;

/**
 * The guards of the CDK stack: the shared pipeline guards ({@link validatePipelineSettings}, including
 * "the handler's MAX_RECEIVES equals the queue's maxReceiveCount", read from the environment the function
 * will really get) plus the limits only a deployment has. Throws one {@link InvalidSettingsError} listing
 * every problem, so `cdk synth` stops with all of them at once.
 */
export const validateStackConfiguration = (
  settings: PipelineSettings,
  options: StackOptions,
  functionEnvironment: Readonly<Record<string, string>>,
): void => {
  const problems: string[] = [];
  const handlerMaxReceives = Number(functionEnvironment[HANDLER_ENV.maxReceives]);
  try {
    validatePipelineSettings(settings, handlerMaxReceives);
  } catch (error) {
    if (!(error instanceof InvalidSettingsError)) throw error;
    problems.push(...error.problems);
  }
  if (
    !isPositiveInteger(settings.functionTimeoutSeconds) ||
    settings.functionTimeoutSeconds > LAMBDA_MAX_TIMEOUT_SECONDS
  )
    problems.push(
      `functionTimeoutSeconds must be a whole number from 1 to ${LAMBDA_MAX_TIMEOUT_SECONDS} (Lambda's limit; got ${settings.functionTimeoutSeconds})`,
    );
  if (
    !Number.isInteger(settings.memorySizeMb) ||
    settings.memorySizeMb < LAMBDA_MEMORY_MB.min ||
    settings.memorySizeMb > LAMBDA_MEMORY_MB.max
  )
    problems.push(
      `memorySizeMb must be a whole number from ${LAMBDA_MEMORY_MB.min} to ${LAMBDA_MEMORY_MB.max} (got ${settings.memorySizeMb})`,
    );
  if (!isPositiveInteger(options.quarantineExpiryDays))
    problems.push(
      `quarantineExpiryDays must be a whole number of days ≥ 1 (got ${options.quarantineExpiryDays})`,
    );
  if (!isPositiveInteger(options.accessLogExpiryDays))
    problems.push(
      `accessLogExpiryDays must be a whole number of days ≥ 1 (got ${options.accessLogExpiryDays})`,
    );
  if (!(Object.values(RetentionDays) as unknown[]).includes(options.logRetention))
    problems.push(
      `logRetentionDays must be one of CloudWatch Logs' retention values such as 7, 14, 30, 90, 365 (got ${options.logRetention})`,
    );
  const a = options.alarmThresholds;
  if (!(a.oldestMessageAgeSeconds > 0 && a.oldestMessageAgeSeconds < settings.queueRetentionSeconds))
    problems.push(
      `oldestMessageAgeAlarmSeconds (${a.oldestMessageAgeSeconds}) must be above 0 and below queueRetentionSeconds (${settings.queueRetentionSeconds}), or messages expire before the alarm can fire`,
    );
  if (!(a.quarantineRatePercent > 0 && a.quarantineRatePercent <= 100))
    problems.push(
      `quarantineRateAlarmPercent must be above 0 and at most 100 (got ${a.quarantineRatePercent})`,
    );
  if (!isPositiveInteger(a.quarantineRateMinFiles))
    problems.push(`quarantineRateMinFiles must be a whole number ≥ 1 (got ${a.quarantineRateMinFiles})`);
  if (options.alertEmail !== undefined && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(options.alertEmail))
    problems.push(`alertEmail must be an e-mail address (got "${options.alertEmail}")`);
  for (const [name, value] of Object.entries(options.notificationFilter ?? {})) {
    // S3 key filters are literal prefixes/suffixes
    // (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).
    if (value !== undefined && (value === '' || value.includes('*')))
      problems.push(
        `notification ${name} filter must be a non-empty literal string; S3 has no wildcards (got "${value}")`,
      );
  }
  if (problems.length > 0)
    throw new InvalidSettingsError(
      `Invalid Silent Scalper settings:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
};
