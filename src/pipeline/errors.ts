/**
 * The error taxonomy that drives behaviour:
 * - {@link TransientError}: retry through SQS (report the message in `batchItemFailures`); on the last
 *   allowed receive, quarantine with `PROCESSING_FAILED`.
 * - {@link PermanentError}: retrying cannot help; act now (quarantine, record GONE, or DLQ).
 */
export class SilentScalperError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A failure that may succeed on a later receive (throttling, 5xx, timeouts, network). */
export class TransientError extends SilentScalperError {}

/** A failure that no retry can fix. */
export class PermanentError extends SilentScalperError {}

/** The object of the event no longer exists (deleted or overwritten before processing): recorded GONE. */
export class ObjectGoneError extends PermanentError {
  constructor(
    public readonly bucket: string,
    public readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`s3://${bucket}/${key} no longer exists`, options);
  }
}

/**
 * A conditional copy found its target key taken (S3 `412 PreconditionFailed` on `If-None-Match: *`): a
 * newer upload holds the key, and it is never overwritten.
 */
export class TargetExistsError extends PermanentError {
  constructor(
    public readonly bucket: string,
    public readonly key: string,
    options?: ErrorOptions,
  ) {
    super(`s3://${bucket}/${key} exists already`, options);
  }
}
