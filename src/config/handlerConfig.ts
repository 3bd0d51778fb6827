import { NotifyMode } from '../pipeline/constants.ts';
import type { IngestPipelineConfig } from '../pipeline/ingestPipelineConfig.ts';
import { compilePolicy, type PolicyDocument } from '../pipeline/policyDocument.ts';
import { ConfigError } from './configError.ts';
import { type Env, envReader } from './envReader.ts';
import { InvalidPolicyError, parsePolicyText, policyEnvValue } from './policyFile.ts';
import { toEnvironment } from './toEnvironment.ts';

/** Environment variable names of the ingest handler (the contract in docs/architecture.md plus tunables). */
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

/**
 * Validated handler configuration. Read once per cold start. The pipeline declares the settings it uses
 * ({@link IngestPipelineConfig}); this adds where the handler's own clients point.
 */
export interface HandlerConfig extends IngestPipelineConfig {
  readonly metadataTable: string;
  readonly alertsTopicArn: string;
  readonly dlqUrl: string;
  /** The policy file's document from `POLICY`, when set (docs/policy.md); the pipeline uses `policy`. */
  readonly policyDocument?: PolicyDocument;
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

/**
 * Parse and validate the handler's environment. Throws {@link ConfigError} naming the variable.
 * This and the CLI's option parsing are the only places that read environment variables.
 */
export const loadHandlerConfig = (env: Env = process.env): HandlerConfig => {
  const read = envReader(env);
  const notifyRaw = read.optional(HANDLER_ENV.notifyMode) ?? DEFAULT_TUNABLES.notifyMode;
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
  const maxFileSizeBytes = read.integer(
    HANDLER_ENV.maxFileSizeBytes,
    DEFAULT_TUNABLES.maxFileSizeBytes,
    1,
    Number.MAX_SAFE_INTEGER,
  );
  const policyRaw = read.optional(HANDLER_ENV.policy);
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
    metadataTable: read.required(HANDLER_ENV.metadataTable),
    quarantineBucket: read.required(HANDLER_ENV.quarantineBucket),
    alertsTopicArn: read.required(HANDLER_ENV.alertsTopicArn),
    dlqUrl: read.required(HANDLER_ENV.dlqUrl),
    maxReceives: read.integer(HANDLER_ENV.maxReceives, undefined, 1, 1000),
    sniffBytes: read.integer(HANDLER_ENV.sniffBytes, DEFAULT_TUNABLES.sniffBytes, 16, 1024 * 1024),
    fileConcurrency: read.integer(HANDLER_ENV.fileConcurrency, DEFAULT_TUNABLES.fileConcurrency, 1, 256),
    maxFileSizeBytes,
    quarantineInPlaceBytes: read.integer(
      HANDLER_ENV.quarantineInPlaceBytes,
      DEFAULT_TUNABLES.quarantineInPlaceBytes,
      0,
      Number.MAX_SAFE_INTEGER,
    ),
    blockedTypes,
    ...(policyDocument ? { policyDocument } : {}),
    policy: compilePolicy(policyDocument, { maxFileSizeBytes, blockedTypes }),
    notifyMode: notifyRaw as NotifyMode,
    alertMaxKeys: read.integer(HANDLER_ENV.alertMaxKeys, DEFAULT_TUNABLES.alertMaxKeys, 0, 1000),
    timeSafetyMarginMs: read.integer(
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
  const { tunables, ...required } = args;
  const { policyDocument, ...rest } = tunables ?? {};
  return {
    ...toEnvironment(HANDLER_ENV, { ...required, ...rest }),
    // The policy travels as compact JSON in one variable: no extra API call or bundled file at cold start,
    // and the same value in CDK and locally. policyEnvValue refuses one too big for Lambda's 4 KB.
    ...(policyDocument !== undefined ? { [HANDLER_ENV.policy]: policyEnvValue(policyDocument) } : {}),
  };
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
