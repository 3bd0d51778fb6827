import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { InvalidPolicyError, readPolicyFile } from '../src/config/policyFile.ts';
import { InvalidSettingsError, type PipelineSettings } from '../src/config/settings.ts';
import type { AlarmThresholds } from './constructs/PipelineAlarms.ts';
import type { SilentScalperStackProps } from './SilentScalperStack.ts';

/**
 * Deployment parameters, given as CDK context (`cdk deploy -c alertEmail=ops@example.com`) or in
 * `cdk.json`. Each maps onto one {@link SilentScalperStackProps} field; docs/deploy.md lists them.
 */
export const CONTEXT_KEYS = {
  stackName: 'stackName',
  alertEmail: 'alertEmail',
  inputBucketName: 'inputBucketName',
  inputPrefix: 'inputPrefix',
  inputSuffix: 'inputSuffix',
  quarantineExpiryDays: 'quarantineExpiryDays',
  accessLogExpiryDays: 'accessLogExpiryDays',
  logRetentionDays: 'logRetentionDays',
  quarantineAdminRoleArn: 'quarantineAdminRoleArn',
  quarantineAdminTrustedPrincipals: 'quarantineAdminTrustedPrincipals',
  retainData: 'retainData',
  functionTimeoutSeconds: 'functionTimeoutSeconds',
  visibilityTimeoutSeconds: 'visibilityTimeoutSeconds',
  memorySizeMb: 'memorySizeMb',
  batchSize: 'batchSize',
  maxBatchingWindowSeconds: 'maxBatchingWindowSeconds',
  maxConcurrency: 'maxConcurrency',
  maxReceiveCount: 'maxReceiveCount',
  queueRetentionSeconds: 'queueRetentionSeconds',
  dlqRetentionSeconds: 'dlqRetentionSeconds',
  oldestMessageAgeAlarmSeconds: 'oldestMessageAgeAlarmSeconds',
  quarantineRateAlarmPercent: 'quarantineRateAlarmPercent',
  quarantineRateMinFiles: 'quarantineRateMinFiles',
  policyFile: 'policyFile',
} as const;

const SETTING_KEYS = [
  'functionTimeoutSeconds',
  'visibilityTimeoutSeconds',
  'memorySizeMb',
  'batchSize',
  'maxBatchingWindowSeconds',
  'maxConcurrency',
  'maxReceiveCount',
  'queueRetentionSeconds',
  'dlqRetentionSeconds',
] as const satisfies readonly (keyof PipelineSettings)[];

/** Reads one context value; `undefined` when it is not set. */
export type ContextReader = (key: string) => unknown;

/**
 * Stack name and props from context. Numbers may come as strings (`-c batchSize=20`); a value that is
 * not a number or a boolean where one is expected fails with a message naming the context key.
 */
export const propsFromContext = (
  read: ContextReader,
): { stackName?: string; props: SilentScalperStackProps } => {
  const problems: string[] = [];
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value).trim();
  };
  const number = (key: string): number | undefined => {
    const raw = text(key);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) problems.push(`context ${key} must be a number (got "${raw}")`);
    return value;
  };
  const boolean = (key: string): boolean | undefined => {
    const raw = text(key);
    if (raw === undefined) return undefined;
    if (raw !== 'true' && raw !== 'false')
      problems.push(`context ${key} must be true or false (got "${raw}")`);
    return raw === 'true';
  };

  const settings: Partial<Record<(typeof SETTING_KEYS)[number], number>> = {};
  for (const key of SETTING_KEYS) {
    const value = number(CONTEXT_KEYS[key]);
    if (value !== undefined) settings[key] = value;
  }
  const alarmThresholds: Partial<Record<keyof AlarmThresholds, number>> = {};
  const oldest = number(CONTEXT_KEYS.oldestMessageAgeAlarmSeconds);
  if (oldest !== undefined) alarmThresholds.oldestMessageAgeSeconds = oldest;
  const rate = number(CONTEXT_KEYS.quarantineRateAlarmPercent);
  if (rate !== undefined) alarmThresholds.quarantineRatePercent = rate;
  const minFiles = number(CONTEXT_KEYS.quarantineRateMinFiles);
  if (minFiles !== undefined) alarmThresholds.quarantineRateMinFiles = minFiles;

  const prefix = text(CONTEXT_KEYS.inputPrefix);
  const suffix = text(CONTEXT_KEYS.inputSuffix);
  const optional = <K extends keyof SilentScalperStackProps>(
    key: K,
    value: SilentScalperStackProps[K] | undefined,
  ) => (value === undefined ? {} : { [key]: value });

  // The policy file is validated at synth: a mistake fails `cdk synth` with its line and field.
  const policyFile = text(CONTEXT_KEYS.policyFile);
  let policyDocument: ReturnType<typeof readPolicyFile> | undefined;
  if (policyFile !== undefined)
    try {
      policyDocument = readPolicyFile(policyFile);
    } catch (error) {
      problems.push(
        error instanceof InvalidPolicyError
          ? `context ${CONTEXT_KEYS.policyFile}: ${error.message}`
          : `context ${CONTEXT_KEYS.policyFile}: cannot read ${policyFile} (${(error as Error).message})`,
      );
    }

  const props: SilentScalperStackProps = {
    ...(Object.keys(settings).length > 0 ? { settings } : {}),
    ...(policyDocument ? { handlerTunables: { policyDocument } } : {}),
    ...(Object.keys(alarmThresholds).length > 0 ? { alarmThresholds } : {}),
    ...(prefix !== undefined || suffix !== undefined
      ? { notificationFilter: { ...(prefix ? { prefix } : {}), ...(suffix ? { suffix } : {}) } }
      : {}),
    ...optional('inputBucketName', text(CONTEXT_KEYS.inputBucketName)),
    ...optional('alertEmail', text(CONTEXT_KEYS.alertEmail)),
    ...optional('quarantineExpiryDays', number(CONTEXT_KEYS.quarantineExpiryDays)),
    ...optional('accessLogExpiryDays', number(CONTEXT_KEYS.accessLogExpiryDays)),
    ...optional('logRetention', number(CONTEXT_KEYS.logRetentionDays) as RetentionDays | undefined),
    ...optional('quarantineAdminRoleArn', text(CONTEXT_KEYS.quarantineAdminRoleArn)),
    // Comma-separated role or user ARNs that may assume the quarantine admin role.
    ...optional(
      'quarantineAdminTrustedPrincipalArns',
      text(CONTEXT_KEYS.quarantineAdminTrustedPrincipals)
        ?.split(',')
        .map((arn) => arn.trim())
        .filter((arn) => arn.length > 0),
    ),
    ...optional('retainData', boolean(CONTEXT_KEYS.retainData)),
  };
  if (problems.length > 0)
    throw new InvalidSettingsError(
      `Invalid Silent Scalper context:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
  const stackName = text(CONTEXT_KEYS.stackName);
  return { ...(stackName ? { stackName } : {}), props };
};
