import { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import { SilentScalperError } from '../pipeline/errors.ts';
import type { FileQuery } from './types.ts';

/** Rows per page when the request does not say. */
export const DEFAULT_PAGE_SIZE = 50;
/** Rows per page at most. */
export const MAX_PAGE_SIZE = 200;
/** S3 keys are at most 1,024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

/** A request parameter that cannot be used; the message names it. */
export class BadRequestError extends SilentScalperError {}

const oneOf = <T extends string>(
  name: string,
  value: string | null,
  allowed: readonly T[],
): T | undefined => {
  if (value === null || value === '') return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new BadRequestError(`${name} must be one of ${allowed.join(', ')}`);
  return value as T;
};

const bounded = (name: string, value: string | null, maxBytes: number): string | undefined => {
  if (value === null || value === '') return undefined;
  if (Buffer.byteLength(value, 'utf8') > maxBytes)
    throw new BadRequestError(`${name} is longer than ${maxBytes} bytes`);
  return value;
};

/** Parse and check the file table's query parameters (`status`, `reason`, `type`, `prefix`, `cursor`, `limit`). */
export const parseFileQuery = (params: URLSearchParams): FileQuery => {
  const status = oneOf('status', params.get('status'), Object.values(FileStatus));
  const reason = oneOf('reason', params.get('reason'), Object.values(QuarantineReason));
  const type = bounded('type', params.get('type'), 255);
  const prefix = bounded('prefix', params.get('prefix'), MAX_KEY_BYTES);
  // A cursor is a listSk: a time, the partition key (bucket + key) and the sort key.
  const cursor = bounded('cursor', params.get('cursor'), 4 * MAX_KEY_BYTES);
  const rawLimit = params.get('limit');
  const limit = rawLimit === null || rawLimit === '' ? DEFAULT_PAGE_SIZE : Number(rawLimit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE)
    throw new BadRequestError(`limit must be a whole number from 1 to ${MAX_PAGE_SIZE}`);
  return {
    limit,
    ...(status ? { status } : {}),
    ...(reason ? { reason } : {}),
    ...(type ? { type } : {}),
    ...(prefix ? { prefix } : {}),
    ...(cursor ? { cursor } : {}),
  };
};

/** Parse `bucket` and `key` of one file (both required). */
export const parseFileRef = (params: URLSearchParams): { bucket: string; key: string } => {
  const bucket = params.get('bucket') ?? '';
  const key = params.get('key') ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new BadRequestError('bucket is not a bucket name');
  if (key === '' || Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES)
    throw new BadRequestError(`key must be 1 to ${MAX_KEY_BYTES} bytes`);
  return { bucket, key };
};
