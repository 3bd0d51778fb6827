import { createHash } from 'node:crypto';
import { PermanentError } from './errors.ts';

/** One `ObjectCreated:*` record of an S3 event notification, decoded and normalised. */
export interface S3ObjectEvent {
  /** e.g. `ObjectCreated:Put`. */
  readonly eventName: string;
  readonly bucket: string;
  /** Decoded object key (`+` → space, then percent-decoding). */
  readonly key: string;
  /** Size from the event; `undefined` when the event does not say. */
  readonly size: number | undefined;
  /** ETag without quotes, as S3 puts it in events. */
  readonly eTag?: string;
  readonly versionId?: string;
  readonly sequencer?: string;
  /** ISO-8601 UTC with `Z`. */
  readonly eventTime: string;
  /** Identifies the upload (object version) the event is about: versionId ?? sequencer ?? eTag ?? hash. */
  readonly uploadId: string;
}

/** What one SQS message body holds. */
export type S3EventBody =
  | { readonly kind: 'test' }
  | {
      readonly kind: 'records';
      /** The `ObjectCreated:*` records to process. */
      readonly records: readonly S3ObjectEvent[];
      /** Records of other event types (e.g. `ObjectRemoved:*`), acknowledged without action. */
      readonly ignored: number;
    };

/** The body is not an S3 event notification; no retry can change that. */
export class NotAnS3EventError extends PermanentError {}

/**
 * Decode an object key as S3 writes it into event notifications: form-encoded, so `+` is a space and
 * everything else is percent-encoded (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html).
 * A literal `+` arrives as `%2B`, so the order (plus first, then percent) matters.
 */
export const decodeS3Key = (encoded: string): string => {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch (error) {
    throw new NotAnS3EventError(`object key is not valid percent-encoding: ${JSON.stringify(encoded)}`, {
      cause: error,
    });
  }
};

// A time with an offset or Z at the end.
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * Normalise an event time to ISO-8601 UTC with `Z` and millisecond precision. Real S3 writes
 * `2026-11-25T10:00:00.123Z`; moto 5.2.1 writes microseconds and no zone (`2026-11-25T10:00:00.123456`),
 * which is treated as UTC.
 */
export const normaliseEventTime = (raw: string): string => {
  const trimmed = raw.trim();
  // Date parses at most milliseconds reliably: drop digits beyond the third fractional one.
  const withMs = trimmed.replace(/(\.\d{3})\d+/, '$1');
  const zoned = HAS_ZONE.test(withMs) ? withMs : `${withMs}Z`;
  const ms = Date.parse(zoned);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(trimmed) || Number.isNaN(ms))
    throw new NotAnS3EventError(`eventTime is not an ISO-8601 time: ${JSON.stringify(raw)}`);
  return new Date(ms).toISOString();
};

/**
 * The upload id: the object version when the bucket is versioned (`"null"` is what S3 reports for
 * unversioned objects, so it does not count), else the sequencer (unique per key per event), else the
 * ETag; a hash of key and size when the event carries none of them.
 */
export const uploadIdOf = (args: {
  key: string;
  size: number | undefined;
  versionId?: string;
  sequencer?: string;
  eTag?: string;
}): string => {
  if (args.versionId && args.versionId !== 'null') return `v:${args.versionId}`;
  if (args.sequencer) return `s:${args.sequencer}`;
  if (args.eTag) return `e:${args.eTag}`;
  return `h:${createHash('sha256')
    .update(`${args.key}\u0000${args.size ?? ''}`)
    .digest('hex')
    .slice(0, 32)}`;
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const optionalString = (value: unknown, what: string): string | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new NotAnS3EventError(`${what} must be a string`);
  return value;
};

const parseRecord = (record: unknown, index: number): S3ObjectEvent | undefined => {
  const where = `Records[${index}]`;
  if (!isObject(record)) throw new NotAnS3EventError(`${where} is not an object`);
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || eventName === '')
    throw new NotAnS3EventError(`${where}.eventName is missing`);
  const s3 = record.s3;
  if (!isObject(s3) || !isObject(s3.bucket) || !isObject(s3.object))
    throw new NotAnS3EventError(`${where}.s3.bucket / .s3.object is missing`);
  if (!eventName.startsWith('ObjectCreated:')) return undefined;
  const bucket = s3.bucket.name;
  const rawKey = s3.object.key;
  if (typeof bucket !== 'string' || bucket === '')
    throw new NotAnS3EventError(`${where}.s3.bucket.name is missing`);
  if (typeof rawKey !== 'string' || rawKey === '')
    throw new NotAnS3EventError(`${where}.s3.object.key is missing`);
  const rawSize = s3.object.size;
  if (rawSize !== undefined && (typeof rawSize !== 'number' || !Number.isInteger(rawSize) || rawSize < 0))
    throw new NotAnS3EventError(`${where}.s3.object.size must be a non-negative integer`);
  if (typeof record.eventTime !== 'string') throw new NotAnS3EventError(`${where}.eventTime is missing`);
  const key = decodeS3Key(rawKey);
  const eTag = optionalString(s3.object.eTag, `${where}.s3.object.eTag`)?.replace(/"/g, '');
  const versionId = optionalString(s3.object.versionId, `${where}.s3.object.versionId`);
  const sequencer = optionalString(s3.object.sequencer, `${where}.s3.object.sequencer`);
  const size = rawSize as number | undefined;
  const ids = { key, size, versionId, sequencer, eTag };
  return {
    eventName,
    bucket,
    key,
    size,
    ...(eTag ? { eTag } : {}),
    ...(versionId && versionId !== 'null' ? { versionId } : {}),
    ...(sequencer ? { sequencer } : {}),
    eventTime: normaliseEventTime(record.eventTime),
    uploadId: uploadIdOf(ids),
  };
};

/**
 * Parse one SQS message body as an S3 event notification. `s3:TestEvent` (sent when a notification is
 * configured) is `{ kind: 'test' }`; records other than `ObjectCreated:*` are counted as ignored.
 * Anything else — not JSON, no `Records`, a malformed record — throws {@link NotAnS3EventError}.
 */
export const parseS3EventBody = (body: string): S3EventBody => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new NotAnS3EventError('body is not JSON', { cause: error });
  }
  if (!isObject(parsed)) throw new NotAnS3EventError('body is not a JSON object');
  if (parsed.Event === 's3:TestEvent') return { kind: 'test' };
  const records = parsed.Records;
  if (!Array.isArray(records) || records.length === 0)
    throw new NotAnS3EventError('body has no S3 event Records');
  const created: S3ObjectEvent[] = [];
  let ignored = 0;
  records.forEach((record, index) => {
    const parsedRecord = parseRecord(record, index);
    if (parsedRecord) created.push(parsedRecord);
    else ignored += 1;
  });
  return { kind: 'records', records: created, ignored };
};
