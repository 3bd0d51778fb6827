import { PermanentError, SilentScalperError, TransientError } from './errors.ts';

/** Error names (AWS error codes) that mean "slow down" or "try again". */
const TRANSIENT_NAMES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'SlowDown',
  'ProvisionedThroughputExceededException',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TransactionInProgressException',
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'TimeoutError',
  'AbortError',
]);

/** Node network error codes: the connection, not the request, failed. */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : `non-error thrown: ${String(error)}`;

/**
 * Sort any error into the taxonomy that drives behaviour. Already classified errors pass through.
 * Transient: the SDK marked it retryable (`$retryable`), HTTP 5xx, 408 or 429, throttling names, network
 * error codes. Permanent: other HTTP 4xx answers (the request itself is wrong; resending it cannot help).
 * Anything else — a bug, an error without HTTP metadata — is treated as transient: it is retried through
 * SQS, and the last allowed receive quarantines the file as PROCESSING_FAILED, so an unknown error
 * costs retries but never loses a file.
 */
export const classifyError = (error: unknown): TransientError | PermanentError => {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  const sdk = (typeof error === 'object' && error !== null ? error : {}) as SdkLikeError;
  const name = typeof sdk.name === 'string' ? sdk.name : '';
  const code = typeof sdk.code === 'string' ? sdk.code : '';
  const status = typeof sdk.$metadata?.httpStatusCode === 'number' ? sdk.$metadata.httpStatusCode : undefined;
  const options = { cause: error };
  if (
    sdk.$retryable ||
    TRANSIENT_NAMES.has(name) ||
    NETWORK_CODES.has(code) ||
    (status !== undefined && (status >= 500 || status === 408 || status === 429))
  )
    return new TransientError(messageOf(error), options);
  if (status !== undefined && status >= 400 && status < 500)
    return new PermanentError(messageOf(error), options);
  return new TransientError(messageOf(error), options);
};

/** A short, single-line description of an error, for records, metadata and alerts. */
export const describeError = (error: unknown, maxLength = 500): string => {
  let text: string;
  const made = error instanceof Error ? (error.constructor as unknown) : undefined;
  if (error instanceof Error && (made === TransientError || made === PermanentError)) {
    // Made by classifyError: the message already names the original error.
    text = error.message;
  } else if (error instanceof Error) {
    const cause =
      error instanceof SilentScalperError && error.cause instanceof Error ? ` (${error.cause.message})` : '';
    text = `${error.name}: ${error.message}${cause}`;
  } else text = String(error);
  text = text.replace(/\s+/g, ' ');
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
};
