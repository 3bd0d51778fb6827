import { OBJECT_METADATA, type QuarantineReason } from './constants.ts';
import type { ObjectHead, ObjectStore } from './ports.ts';

/** User-metadata key holding the upload id of the quarantined upload (recognises our own copy on redelivery). */
export const UPLOAD_ID_METADATA = 'silent-scalper-upload-id';
/** Object tag saying why an object is in quarantine (lifecycle rules and IAM conditions can use it). */
export const REASON_TAG = OBJECT_METADATA.reason;

/** Longest `silent-scalper-error` value written: S3 allows 2 KB of user metadata in all. */
const MAX_ERROR_METADATA_CHARS = 300;
/** Longest percent-encoded source key written; longer keys are recognisable by the quarantine key itself. */
const MAX_SOURCE_KEY_METADATA_CHARS = 700;

/** Where a quarantined upload lands: the same key in the quarantine bucket, so operators recognise it. */
export const quarantineKeyOf = (key: string): string => key;

/**
 * S3 user metadata travels in HTTP headers, which carry ASCII only: anything else becomes `?`.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingMetadata.html#UserMetadata
 */
const asciiHeaderValue = (value: string, maxChars: number): string => {
  const ascii = value.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > maxChars ? `${ascii.slice(0, maxChars - 1)}~` : ascii;
};

/** The metadata a quarantined object carries: its own user metadata plus why and where from. */
export const quarantineMetadata = (args: {
  original: Readonly<Record<string, string>>;
  reason: QuarantineReason;
  sourceBucket: string;
  sourceKey: string;
  uploadId: string;
  quarantinedAtIso: string;
  error?: string;
}): Record<string, string> => {
  const metadata: Record<string, string> = { ...args.original };
  metadata[OBJECT_METADATA.reason] = args.reason;
  metadata[OBJECT_METADATA.sourceBucket] = args.sourceBucket;
  // Percent-encoded (decodeURIComponent reverses it): keys may hold any Unicode, headers only ASCII.
  const encodedKey = encodeURIComponent(args.sourceKey);
  if (encodedKey.length <= MAX_SOURCE_KEY_METADATA_CHARS) metadata[OBJECT_METADATA.sourceKey] = encodedKey;
  else delete metadata[OBJECT_METADATA.sourceKey];
  metadata[OBJECT_METADATA.quarantinedAt] = args.quarantinedAtIso;
  metadata[UPLOAD_ID_METADATA] = asciiHeaderValue(args.uploadId, 200);
  if (args.error) metadata[OBJECT_METADATA.error] = asciiHeaderValue(args.error, MAX_ERROR_METADATA_CHARS);
  else delete metadata[OBJECT_METADATA.error];
  return metadata;
};

/** Where a quarantined object went. */
export interface QuarantineLocation {
  readonly quarantineBucket: string;
  readonly quarantineKey: string;
}

/**
 * Move one upload to quarantine: copy it (pinned to the upload by version and ETag) with its content type,
 * its metadata and ours, and the reason tag; then delete it from the input bucket. The delete only runs
 * after the copy succeeded, so a failure in between leaves the file in input to be retried, never lost.
 */
export const quarantineObject = async (
  store: ObjectStore,
  args: {
    readonly bucket: string;
    readonly key: string;
    readonly versionId?: string;
    readonly eTag?: string;
    readonly uploadId: string;
    readonly head: ObjectHead;
    readonly quarantineBucket: string;
    readonly reason: QuarantineReason;
    readonly error?: string;
    readonly nowIso: string;
  },
): Promise<QuarantineLocation> => {
  const quarantineKey = quarantineKeyOf(args.key);
  const ifMatch = args.eTag ?? args.head.etag;
  await store.copyObject({
    source: {
      bucket: args.bucket,
      key: args.key,
      ...(args.versionId ? { versionId: args.versionId } : {}),
      ...(ifMatch ? { ifMatch } : {}),
    },
    target: { bucket: args.quarantineBucket, key: quarantineKey },
    size: args.head.size,
    ...(args.head.contentType ? { contentType: args.head.contentType } : {}),
    metadata: quarantineMetadata({
      original: args.head.metadata,
      reason: args.reason,
      sourceBucket: args.bucket,
      sourceKey: args.key,
      uploadId: args.uploadId,
      quarantinedAtIso: args.nowIso,
      ...(args.error ? { error: args.error } : {}),
    }),
    tags: { [REASON_TAG]: args.reason },
  });
  await store.deleteObject({ bucket: args.bucket, key: args.key, ...(ifMatch ? { ifMatch } : {}) });
  return { quarantineBucket: args.quarantineBucket, quarantineKey };
};
