import { SilentScalperError } from '../pipeline/errors.ts';
/** An error the CLI explains itself: the message says what is wrong and how to fix it. */
export class CliError extends SilentScalperError {
  constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Where a command was pointed, to name it in error messages. */
export interface ErrorContext {
  readonly endpoint?: string;
  readonly region?: string;
  readonly stack?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT']);

/** The network error code of an SDK failure, looking through `cause` and AggregateError (IPv4 + IPv6 tries). */
export const connectionErrorCode = (error: unknown, depth = 0): string | undefined => {
  if (!error || typeof error !== 'object' || depth > 4) return undefined;
  const e = error as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return e.code;
  if (Array.isArray(e.errors))
    for (const inner of e.errors) {
      const code = connectionErrorCode(inner, depth + 1);
      if (code) return code;
    }
  return connectionErrorCode(e.cause, depth + 1);
};

const nameOf = (error: unknown): string =>
  error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : '';

const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const LOCAL_HINT = 'start the local pipeline with `silent-scalper up`, or pass --endpoint <url>';

/**
 * Turn any failure into one message for a human: a {@link CliError} as it is; the usual AWS failures
 * (no credentials, endpoint not reachable, stack not deployed, resource missing, access denied) with the
 * fix; anything else with its name and message.
 */
export const explainError = (error: unknown, context: ErrorContext = {}): string => {
  if (error instanceof CliError) return error.message;
  const name = nameOf(error);
  const message = messageOf(error);
  const code = connectionErrorCode(error);
  if (code) {
    return context.endpoint
      ? `cannot reach ${context.endpoint} (${code}): is \`silent-scalper up\` running? Start it, or pass --endpoint with the address it printed.`
      : `cannot reach AWS in ${context.region ?? 'the region'} (${code}): check the network and --region, or ${LOCAL_HINT}.`;
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message))
    return `no AWS credentials found: configure them (aws configure, AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or ${LOCAL_HINT}.`;
  if (
    ['ExpiredToken', 'ExpiredTokenException', 'InvalidClientTokenId', 'UnrecognizedClientException'].includes(
      name,
    )
  )
    return `AWS rejected the credentials (${name}: ${message}): refresh them (e.g. aws sso login) and try again.`;
  if (name === 'ValidationError' && /does not exist/i.test(message))
    return context.endpoint
      ? `stack "${context.stack ?? '?'}" does not exist on ${context.endpoint}: create it there, or leave out --stack to use the local resource names.`
      : `stack "${context.stack ?? '?'}" does not exist in ${context.region ?? 'this region'}: deploy it with \`npx cdk deploy\`, pass --stack <name> and --region, or ${LOCAL_HINT}.`;
  if (['AccessDenied', 'AccessDeniedException', 'AuthorizationError'].includes(name))
    return `access denied (${message}): the credentials in use lack a permission this command needs.`;
  if (
    [
      'QueueDoesNotExist',
      'AWS.SimpleQueueService.NonExistentQueue',
      'ResourceNotFoundException',
      'NoSuchBucket',
    ].includes(name)
  )
    return context.endpoint
      ? `${message || name} at ${context.endpoint}: run \`silent-scalper up\` to provision the local resources.`
      : `${message || name}: the stack's resources are missing; redeploy with \`npx cdk deploy\`.`;
  return name && name !== 'Error' ? `${name}: ${message}` : message;
};
