import { NotifyMode } from '../pipeline/constants.ts';
import { ConfigError } from '../pipeline/errors.ts';
import { compilePolicy, type Policy, type PolicyDocument } from '../pipeline/policyDocument.ts';
import { InvalidPolicyError, parsePolicyText, policyEnvValue } from './policyFile.ts';

/** Environment variable names of the ingest handler (the contract in DESIGN.md plus tunables). */
export const HANDLER_ENV = {
  metadataTable: 'METADATA_TABLE',
  quarantineBucket: 'QUARANTINE_BUCKET',
  alertsTopicArn: 'ALERTS_TOPIC_ARN',
  dlqUrl: 'DLQ_URL',
  maxReceives: 'MAX_RECEIVES',
  sniffBytes: 'SNIFF_BYTES',
  fileConcurrency: 'FILE_CONCURRENCY',
  maxFileSizeBytes: 'MAX_FILE_SIZE_BYTES',
  quarantineInPlaceBytes: 'QUARANTINE_IN_PLACE_BYTES',
  blockedTypes: 'BLOCKED_TYPES',
  policy: 'POLICY',
  notifyMode: 'NOTIFY_MODE',
  alertMaxKeys: 'ALERT_MAX_KEYS',
  timeSafetyMarginMs: 'TIME_SAFETY_MARGIN_MS',
  logLevel: 'LOG_LEVEL',
} as const;

/**
 * Default blocked types: executables, installers and scripts that run when opened, by the extension the
 * sniffer reports (`file-type`'s, `msi` from the CFB root CLSID, script kinds from their text) or by the
 * key's own extension. Interpreted-language sources (py, rb, pl, js) are not in it: code exports are
 * ordinary data in many dumps; a rule's `block` adds them where they are not.
 */
export const DEFAULT_BLOCKED_TYPES: readonly string[] = [
  'exe',
  'elf',
  'macho',
  'msi',
  'msp',
  'dmg',
  'deb',
  'rpm',
  'apk',
  'dex',
  'class',
  'jar',
  'swf',
  'cab',
  'com',
  'scr',
  'lnk',
  'bat',
  'cmd',
  'ps1',
  'psm1',
  'vbs',
  'vbe',
  'wsf',
  'hta',
  'sh',
];

/** Validated handler configuration. Read once per cold start. */
export interface HandlerConfig {
  readonly metadataTable: string;
  readonly quarantineBucket: string;
  readonly alertsTopicArn: string;
  readonly dlqUrl: string;
  /** Must equal the queue's maxReceiveCount. */
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
  /** The policy file's document from `POLICY`, when set (docs/policy.md). */
  readonly policyDocument?: PolicyDocument;
  /**
   * The compiled policy: the document's rules, then its default rule, whose unset fields come from
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

/** Defaults of the tunables. */
export const DEFAULT_TUNABLES = {
  sniffBytes: 4100,
  fileConcurrency: 16,
  maxFileSizeBytes: 5 * 1024 ** 3,
  quarantineInPlaceBytes: 1024 ** 3,
  notifyMode: NotifyMode.FAILURES,
  alertMaxKeys: 20,
  timeSafetyMarginMs: 5000,
} as const;

type Env = Readonly<Record<string, string | undefined>>;

const required = (env: Env, name: string): string => {
  const value = env[name]?.trim();
  if (!value) throw new ConfigError(name, 'is required but not set');
  return value;
};

/** An integer in [min, max]; `fallback` undefined makes the variable required. */
const integer = (env: Env, name: string, fallback: number | undefined, min: number, max: number): number => {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') {
    if (fallback === undefined) throw new ConfigError(name, 'is required but not set');
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${raw}")`);
  return value;
};

/**
 * Parse and validate the handler's environment. Throws {@link ConfigError} naming the variable.
 * This and the CLI's option parsing are the only places that read environment variables.
 */
export const loadHandlerConfig = (env: Env = process.env): HandlerConfig => {
  const notifyRaw = env[HANDLER_ENV.notifyMode]?.trim() || DEFAULT_TUNABLES.notifyMode;
  const modes = Object.values(NotifyMode) as string[];
  if (!modes.includes(notifyRaw))
    throw new ConfigError(HANDLER_ENV.notifyMode, `must be one of ${modes.join(', ')} (got "${notifyRaw}")`);
  const blockedRaw = env[HANDLER_ENV.blockedTypes];
  const blockedTypes =
    blockedRaw === undefined
      ? DEFAULT_BLOCKED_TYPES
      : blockedRaw
          .split(',')
          .map((t) => t.trim().toLowerCase())
          .filter(Boolean);
  const maxFileSizeBytes = integer(
    env,
    HANDLER_ENV.maxFileSizeBytes,
    DEFAULT_TUNABLES.maxFileSizeBytes,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const policyRaw = env[HANDLER_ENV.policy]?.trim();
  let policyDocument: PolicyDocument | undefined;
  try {
    policyDocument = policyRaw ? parsePolicyText(policyRaw, HANDLER_ENV.policy) : undefined;
  } catch (error) {
    if (error instanceof InvalidPolicyError)
      throw new ConfigError(
        HANDLER_ENV.policy,
        error.problems.map((p) => `${p.field} (column ${p.column}): ${p.message}`).join('; '),
      );
    throw error;
  }
  return {
    metadataTable: required(env, HANDLER_ENV.metadataTable),
    quarantineBucket: required(env, HANDLER_ENV.quarantineBucket),
    alertsTopicArn: required(env, HANDLER_ENV.alertsTopicArn),
    dlqUrl: required(env, HANDLER_ENV.dlqUrl),
    maxReceives: integer(env, HANDLER_ENV.maxReceives, undefined, 1, 1000),
    sniffBytes: integer(env, HANDLER_ENV.sniffBytes, DEFAULT_TUNABLES.sniffBytes, 16, 1024 * 1024),
    fileConcurrency: integer(env, HANDLER_ENV.fileConcurrency, DEFAULT_TUNABLES.fileConcurrency, 1, 256),
    maxFileSizeBytes,
    quarantineInPlaceBytes: integer(
      env,
      HANDLER_ENV.quarantineInPlaceBytes,
      DEFAULT_TUNABLES.quarantineInPlaceBytes,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    blockedTypes,
    ...(policyDocument ? { policyDocument } : {}),
    policy: compilePolicy(policyDocument, { maxFileSizeBytes, blockedTypes }),
    notifyMode: notifyRaw as NotifyMode,
    alertMaxKeys: integer(env, HANDLER_ENV.alertMaxKeys, DEFAULT_TUNABLES.alertMaxKeys, 0, 1000),
    timeSafetyMarginMs: integer(
      env,
      HANDLER_ENV.timeSafetyMarginMs,
      DEFAULT_TUNABLES.timeSafetyMarginMs,
      0,
      900_000,
    ),
  };
};

/**
 * The environment the ingest function gets, built from the same values in CDK and in the local runner.
 * Tunables are only set when given, so the handler's defaults stay the single source of truth.
 */
export const handlerEnvironment = (args: {
  metadataTable: string;
  quarantineBucket: string;
  alertsTopicArn: string;
  dlqUrl: string;
  maxReceives: number;
  tunables?: Partial<
    Omit<
      HandlerConfig,
      'metadataTable' | 'quarantineBucket' | 'alertsTopicArn' | 'dlqUrl' | 'maxReceives' | 'policy'
    >
  >;
}): Record<string, string> => {
  const env: Record<string, string> = {
    [HANDLER_ENV.metadataTable]: args.metadataTable,
    [HANDLER_ENV.quarantineBucket]: args.quarantineBucket,
    [HANDLER_ENV.alertsTopicArn]: args.alertsTopicArn,
    [HANDLER_ENV.dlqUrl]: args.dlqUrl,
    [HANDLER_ENV.maxReceives]: String(args.maxReceives),
  };
  const t = args.tunables ?? {};
  if (t.sniffBytes !== undefined) env[HANDLER_ENV.sniffBytes] = String(t.sniffBytes);
  if (t.fileConcurrency !== undefined) env[HANDLER_ENV.fileConcurrency] = String(t.fileConcurrency);
  if (t.maxFileSizeBytes !== undefined) env[HANDLER_ENV.maxFileSizeBytes] = String(t.maxFileSizeBytes);
  if (t.quarantineInPlaceBytes !== undefined)
    env[HANDLER_ENV.quarantineInPlaceBytes] = String(t.quarantineInPlaceBytes);
  if (t.blockedTypes !== undefined) env[HANDLER_ENV.blockedTypes] = t.blockedTypes.join(',');
  // The policy travels as compact JSON in one variable: no extra API call or bundled file at cold start,
  // and the same value in CDK and locally. policyEnvValue refuses one too big for Lambda's 4 KB.
  if (t.policyDocument !== undefined) env[HANDLER_ENV.policy] = policyEnvValue(t.policyDocument);
  if (t.notifyMode !== undefined) env[HANDLER_ENV.notifyMode] = t.notifyMode;
  if (t.alertMaxKeys !== undefined) env[HANDLER_ENV.alertMaxKeys] = String(t.alertMaxKeys);
  if (t.timeSafetyMarginMs !== undefined) env[HANDLER_ENV.timeSafetyMarginMs] = String(t.timeSafetyMarginMs);
  return env;
};

/**
 * Where the AWS clients point, from the environment: `AWS_ENDPOINT_URL` (the SDK's own variable) and
 * the region. Used by the Lambda entry points; the CLI takes the same values from its flags.
 */
export const loadAwsTarget = (
  env: Env = process.env,
): { endpoint?: string; region: string; hasCredentials: boolean } => {
  const endpoint = env.AWS_ENDPOINT_URL?.trim() || undefined;
  return {
    ...(endpoint ? { endpoint } : {}),
    region: env.AWS_REGION?.trim() || env.AWS_DEFAULT_REGION?.trim() || 'us-east-1',
    hasCredentials: Boolean(
      env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    ),
  };
};

/**
 * True inside AWS Lambda (the runtime sets `AWS_LAMBDA_FUNCTION_NAME`); the ingest handler then validates
 * its configuration at module initialisation, so a bad configuration fails the cold start.
 */
export const isLambdaRuntime = (env: Env = process.env): boolean =>
  Boolean(env.AWS_LAMBDA_FUNCTION_NAME?.trim());
