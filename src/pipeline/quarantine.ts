import { createHash } from 'node:crypto';
import { OBJECT_METADATA, type QuarantineReason } from './constants.ts';
import { ObjectGoneError } from './errors.ts';
import type { ObjectHead, ObjectPrefix, ObjectStore } from './ports.ts';

/** User-metadata key holding the upload id of the quarantined upload (recognises our own copy on redelivery). */
export const UPLOAD_ID_METADATA = 'silent-scalper-upload-id';
/** Object tag saying why an object is in quarantine (lifecycle rules and IAM conditions can use it). */
export const REASON_TAG = OBJECT_METADATA.reason;
/**
 * Object tag on an upload quarantined IN PLACE in the input bucket. The input bucket's policy denies
 * reading objects carrying it (`s3:ExistingObjectTag/silent-scalper-quarantined`) to everyone but the
 * pipeline's roles, and a lifecycle rule filtered on it expires them like the quarantine bucket does.
 */
export const IN_PLACE_TAG = 'silent-scalper-quarantined';
/** The value of {@link IN_PLACE_TAG}. */
export const IN_PLACE_TAG_VALUE = 'in-place';

/** Longest `silent-scalper-error` value written: S3 allows 2 KB of user metadata in all. */
const MAX_ERROR_METADATA_CHARS = 300;
/** Longest percent-encoded source key written; longer keys are recognisable by the quarantine key itself. */
const MAX_SOURCE_KEY_METADATA_CHARS = 700;
/** S3 object keys are at most 1,024 bytes of UTF-8 (https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html). */
const MAX_KEY_BYTES = 1024;
/** Where quarantine keys of input keys too long to carry a suffix go (the record and metadata name the source). */
const LONG_KEYS_PREFIX = 'long-keys/';

/**
 * The upload id as a key segment: characters outside a conservative safe set percent-encoded, `%` among
 * them, so the mapping is one-to-one and the segment never holds `@` or `/`.
 */
const uploadIdSegment = (uploadId: string): string =>
  uploadId.replace(/[^A-Za-z0-9._:=-]/g, (c) => encodeURIComponent(c));

/**
 * Where a quarantined upload lands: `<input key>@<upload id>`, one key per upload, so a second upload of
 * the same key never overwrites the first one's evidence, and a listing by the input key shows every
 * quarantined upload of it. Decision: the upload id is a suffix (after the last `@`, which the encoded
 * id never contains), not a prefix, so operators still find files under their own key. An input key too
 * long for the suffix (S3 keys ≤ 1,024 bytes) goes under `long-keys/<sha256 of the key>@<upload id>`.
 */
export const quarantineKeyOf = (key: string, uploadId: string): string => {
  const suffix = `@${uploadIdSegment(uploadId)}`;
  const candidate = `${key}${suffix}`;
  if (Buffer.byteLength(candidate, 'utf8') <= MAX_KEY_BYTES) return candidate;
  const digest = createHash('sha256').update(key, 'utf8').digest('hex');
  return `${LONG_KEYS_PREFIX}${digest}${suffix}`.slice(0, MAX_KEY_BYTES);
};

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

/**
 * Where a quarantined upload's bytes are, exactly. Record attributes (contract additions, README):
 * `quarantineBucket`, `quarantineKey`, `quarantineVersionId` (the version in the versioned quarantine
 * bucket that holds THIS upload; absent where the bucket is unversioned), and `quarantinedInPlace`
 * (true: the bytes never moved; bucket and key are the input object's, tagged {@link IN_PLACE_TAG}).
 */
export interface QuarantineLocation {
  readonly quarantineBucket: string;
  readonly quarantineKey: string;
  readonly quarantineVersionId?: string;
  readonly quarantinedInPlace?: true;
}

/** The upload a quarantine step works on. */
interface UploadToQuarantine {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
  /** Quoted ETag of the upload (pins it where the input bucket is unversioned). */
  readonly eTag?: string;
  readonly uploadId: string;
  readonly head: ObjectHead;
  readonly quarantineBucket: string;
  readonly reason: QuarantineReason;
  readonly error?: string;
  readonly nowIso: string;
}

/**
 * Delete exactly the upload a move copied, never a newer one on the same key: its version when the input
 * bucket is versioned, else the key only while it still has the upload's (quoted) ETag.
 */
export const deleteMovedUpload = (
  store: ObjectStore,
  upload: {
    readonly bucket: string;
    readonly key: string;
    readonly versionId?: string;
    readonly eTag?: string;
  },
): Promise<void> =>
  store.deleteObject({
    bucket: upload.bucket,
    key: upload.key,
    ...(upload.versionId ? { versionId: upload.versionId } : upload.eTag ? { ifMatch: upload.eTag } : {}),
  });

/**
 * Move one upload to quarantine: copy it (pinned to the upload by version and ETag) to its own key
 * ({@link quarantineKeyOf}) with its content type, its metadata and ours, and the reason tag; then delete
 * it from the input bucket. The delete only runs after the copy succeeded, so a failure in between
 * leaves the file in input to be retried, never lost; and it deletes exactly the copied upload: its
 * version when the input bucket is versioned, else the key only while it still has the upload's ETag.
 */
export const quarantineObject = async (
  store: ObjectStore,
  args: UploadToQuarantine,
): Promise<QuarantineLocation> => {
  const quarantineKey = quarantineKeyOf(args.key, args.uploadId);
  const ifMatch = args.eTag ?? args.head.etag;
  const copied = await store.copyObject({
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
  await deleteMovedUpload(store, {
    bucket: args.bucket,
    key: args.key,
    ...(args.versionId ? { versionId: args.versionId } : {}),
    ...(ifMatch ? { eTag: ifMatch } : {}),
  });
  return {
    quarantineBucket: args.quarantineBucket,
    quarantineKey,
    ...(copied.versionId && copied.versionId !== 'null' ? { quarantineVersionId: copied.versionId } : {}),
  };
};

/**
 * Quarantine one upload where it is: add {@link IN_PLACE_TAG} and the reason tag to its existing tags
 * (two requests, whatever the object's size, where a copy of 5 TiB takes 10,000 part copies). The input
 * bucket's policy then denies reading it to everyone but the pipeline roles.
 *
 * PutObjectTagging has no ETag condition: in an unversioned bucket a newer upload could land on the key
 * between our read and the tagging, so the tagged object is checked afterwards (HEAD with If-Match) and,
 * if it is not this upload, its own tags are put back and the upload counts as gone (the newer upload has
 * its own event). A versioned bucket pins the version and needs no check.
 */
export const quarantineInPlace = async (
  store: ObjectStore,
  args: UploadToQuarantine,
): Promise<QuarantineLocation> => {
  const ref = {
    bucket: args.bucket,
    key: args.key,
    ...(args.versionId ? { versionId: args.versionId } : {}),
  };
  const original = await store.getObjectTags(ref);
  await store.putObjectTags({
    ...ref,
    tags: { ...original, [IN_PLACE_TAG]: IN_PLACE_TAG_VALUE, [REASON_TAG]: args.reason },
  });
  const ifMatch = args.eTag ?? args.head.etag;
  if (!args.versionId && ifMatch) {
    try {
      await store.headObject({ ...ref, ifMatch });
    } catch (error) {
      if (error instanceof ObjectGoneError)
        await store.putObjectTags({ ...ref, tags: original }).catch(() => {});
      throw error;
    }
  }
  return {
    quarantineBucket: args.bucket,
    quarantineKey: args.key,
    ...(args.versionId ? { quarantineVersionId: args.versionId } : {}),
    quarantinedInPlace: true,
  };
};

/**
 * Quarantine one rejected upload: in place when it is larger than `inPlaceAboveBytes` (a copy could
 * not finish within one invocation), else moved to the quarantine bucket.
 */
export const quarantineUpload = (
  store: ObjectStore,
  args: UploadToQuarantine & { readonly inPlaceAboveBytes?: number },
): Promise<QuarantineLocation> =>
  args.inPlaceAboveBytes !== undefined && args.head.size > args.inPlaceAboveBytes
    ? quarantineInPlace(store, args)
    : quarantineObject(store, args);

/**
 * Redelivery recognition: the quarantine copy of THIS upload, if an earlier delivery made it (the input
 * object is gone because it was moved). Reads its own key only ({@link quarantineKeyOf}), and the copy
 * must carry this upload id and source bucket; the location names the version read.
 */
export const findOwnQuarantineCopy = async (
  store: ObjectStore,
  args: {
    readonly bucket: string;
    readonly key: string;
    readonly uploadId: string;
    readonly quarantineBucket: string;
    readonly maxBytes: number;
  },
): Promise<{ readonly copy: ObjectPrefix; readonly location: QuarantineLocation } | undefined> => {
  const quarantineKey = quarantineKeyOf(args.key, args.uploadId);
  let copy: ObjectPrefix;
  try {
    copy = await store.readPrefix({
      bucket: args.quarantineBucket,
      key: quarantineKey,
      maxBytes: args.maxBytes,
    });
  } catch (error) {
    if (error instanceof ObjectGoneError) return undefined;
    throw error;
  }
  const ours =
    copy.metadata[UPLOAD_ID_METADATA] === args.uploadId &&
    copy.metadata[OBJECT_METADATA.sourceBucket] === args.bucket;
  if (!ours) return undefined;
  return {
    copy,
    location: {
      quarantineBucket: args.quarantineBucket,
      quarantineKey,
      ...(copy.versionId && copy.versionId !== 'null' ? { quarantineVersionId: copy.versionId } : {}),
    },
  };
};

/**
 * The exact place a record names, as one line for people: `s3://bucket/key?versionId=…`, with
 * ` (in place)` for an upload quarantined in the input bucket. Undefined when the record names none.
 * Keys are upload text: callers print this through the CLI's / dashboard's printable-text function.
 */
export const quarantineLocationText = (record: {
  readonly quarantineBucket?: string;
  readonly quarantineKey?: string;
  readonly quarantineVersionId?: string;
  readonly quarantinedInPlace?: boolean;
}): string | undefined => {
  if (!record.quarantineBucket || record.quarantineKey === undefined) return undefined;
  const version = record.quarantineVersionId
    ? `?versionId=${encodeURIComponent(record.quarantineVersionId)}`
    : '';
  return `s3://${record.quarantineBucket}/${record.quarantineKey}${version}${record.quarantinedInPlace ? ' (in place)' : ''}`;
};

/** The location fields a record passes on to its alert entry (the exact object and version). */
export const quarantineAlertFields = (record: {
  readonly quarantineBucket?: string;
  readonly quarantineKey?: string;
  readonly quarantineVersionId?: string;
  readonly quarantinedInPlace?: boolean;
}): {
  quarantineBucket?: string;
  quarantineKey?: string;
  quarantineVersionId?: string;
  quarantinedInPlace?: true;
} => ({
  ...(record.quarantineBucket ? { quarantineBucket: record.quarantineBucket } : {}),
  ...(record.quarantineKey ? { quarantineKey: record.quarantineKey } : {}),
  ...(record.quarantineVersionId ? { quarantineVersionId: record.quarantineVersionId } : {}),
  ...(record.quarantinedInPlace ? { quarantinedInPlace: true as const } : {}),
});
