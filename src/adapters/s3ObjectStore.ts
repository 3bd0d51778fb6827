import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectTaggingCommand,
  type S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { ObjectGoneError, TargetExistsError } from '../pipeline/errors.ts';
import type { ObjectHead, ObjectPrefix, ObjectRef, ObjectSlice, ObjectStore } from '../pipeline/ports.ts';

/** CopyObject copies at most 5 GiB in one request; larger objects need UploadPartCopy. */
export const COPY_OBJECT_MAX_BYTES = 5 * 1024 ** 3;
/** S3 allows at most 10,000 parts per multipart upload. */
const MAX_PARTS = 10_000;

/** Options of {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** Objects larger than this are copied in parts. @default 5 GiB (the CopyObject limit) */
  readonly multipartThresholdBytes?: number;
  /** Part size of a multipart copy (raised when 10,000 parts would not cover the object). @default 512 MiB */
  readonly partSizeBytes?: number;
  /** Part copies in flight at once. @default 4 */
  readonly partConcurrency?: number;
  /** Attempts of a conditional copy that S3 answers 409 ConditionalRequestConflict. @default 3 */
  readonly conflictAttempts?: number;
}

interface S3LikeError {
  name?: string;
  Code?: string;
  Condition?: string;
  $metadata?: { httpStatusCode?: number };
}

const statusOf = (error: unknown): number | undefined => (error as S3LikeError)?.$metadata?.httpStatusCode;
const nameOf = (error: unknown): string => (error as S3LikeError)?.name ?? (error as S3LikeError)?.Code ?? '';

/**
 * Is this error "the upload the caller asked for is not there any more"? A missing key or version, or a
 * failed ETag precondition (412: the key now holds a newer upload, which has its own event).
 * NoSuchBucket is not: that is a configuration error.
 */
const isGone = (error: unknown): boolean => {
  const name = nameOf(error);
  if (name === 'NoSuchBucket') return false;
  return (
    name === 'NoSuchKey' ||
    name === 'NotFound' ||
    name === 'NoSuchVersion' ||
    name === 'PreconditionFailed' ||
    statusOf(error) === 404 ||
    statusOf(error) === 412
  );
};

/**
 * Did an `If-None-Match: *` write fail because the target key exists? S3 answers 412 and names the
 * failed header in the error's `Condition`; a copy also pinned by `x-amz-copy-source-if-match` can fail
 * 412 for that one instead, which is the source being gone.
 */
const isTargetTaken = (error: unknown): boolean =>
  (nameOf(error) === 'PreconditionFailed' || statusOf(error) === 412) &&
  (error as S3LikeError)?.Condition?.toLowerCase() === 'if-none-match';

/**
 * S3 answers 409 ConditionalRequestConflict when a concurrent write raced a conditional one; the
 * documented answer is to retry (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html).
 */
const isConditionalConflict = (error: unknown): boolean =>
  nameOf(error) === 'ConditionalRequestConflict' || statusOf(error) === 409;

const isInvalidRange = (error: unknown): boolean =>
  nameOf(error) === 'InvalidRange' || statusOf(error) === 416;

/** `bytes 0-4099/123456` → 123456. */
export const totalSizeFromContentRange = (contentRange: string | undefined): number | undefined => {
  const match = contentRange?.match(/\/(\d+)\s*$/);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

/** The CopySource parameter: bucket and key, URL-encoded segment by segment, plus the version. */
export const copySourceOf = (ref: ObjectRef): string =>
  `${ref.bucket}/${ref.key.split('/').map(encodeURIComponent).join('/')}${
    ref.versionId ? `?versionId=${encodeURIComponent(ref.versionId)}` : ''
  }`;

const tagging = (tags: Readonly<Record<string, string>> | undefined): string | undefined =>
  tags && Object.keys(tags).length > 0 ? new URLSearchParams(Object.entries(tags)).toString() : undefined;

/**
 * Read at most `maxBytes` from a body stream and stop: even if a server ignored the Range header, the
 * rest of the object is never downloaded.
 */
const readAtMost = async (body: unknown, maxBytes: number): Promise<Uint8Array> => {
  if (!body) return new Uint8Array(0);
  const stream = body as AsyncIterable<Uint8Array> & { destroy?: () => void };
  if (typeof stream[Symbol.asyncIterator] !== 'function') {
    const bytes = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
    return bytes.subarray(0, maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const room = maxBytes - length;
    if (chunk.length > room) {
      // More than asked for: the server ignored the range. Keep the prefix and drop the connection
      // (leaving the loop destroys the stream). A body that fits is read to its end, so the
      // keep-alive connection goes back to the pool.
      chunks.push(chunk.subarray(0, room));
      length += room;
      stream.destroy?.();
      break;
    }
    chunks.push(chunk);
    length += chunk.length;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes;
};

/** The S3 implementation of the object store port. */
export const createS3ObjectStore = (s3: S3Client, options: S3ObjectStoreOptions = {}): ObjectStore => {
  const multipartThresholdBytes = options.multipartThresholdBytes ?? COPY_OBJECT_MAX_BYTES;
  const basePartSizeBytes = options.partSizeBytes ?? 512 * 1024 ** 2;
  const partConcurrency = Math.max(1, options.partConcurrency ?? 4);
  const conflictAttempts = Math.max(1, options.conflictAttempts ?? 3);

  const gone = (ref: { bucket: string; key: string }, error: unknown) =>
    new ObjectGoneError(ref.bucket, ref.key, { cause: error });

  const headObject: ObjectStore['headObject'] = async (ref) => {
    try {
      const head = await s3.send(
        new HeadObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
          ...(ref.ifMatch ? { IfMatch: ref.ifMatch } : {}),
        }),
      );
      return {
        size: head.ContentLength ?? 0,
        ...(head.ContentType ? { contentType: head.ContentType } : {}),
        metadata: head.Metadata ?? {},
        ...(head.ETag ? { etag: head.ETag } : {}),
        ...(head.VersionId ? { versionId: head.VersionId } : {}),
      } satisfies ObjectHead;
    } catch (error) {
      if (isGone(error)) throw gone(ref, error);
      throw error;
    }
  };

  const readPrefix: ObjectStore['readPrefix'] = async (ref) => {
    try {
      const response = await s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Range: `bytes=0-${ref.maxBytes - 1}`,
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
          ...(ref.ifMatch ? { IfMatch: ref.ifMatch } : {}),
        }),
      );
      const bytes = await readAtMost(response.Body, ref.maxBytes);
      const size = totalSizeFromContentRange(response.ContentRange) ?? response.ContentLength ?? bytes.length;
      return {
        bytes,
        size,
        ...(response.ContentType ? { contentType: response.ContentType } : {}),
        metadata: response.Metadata ?? {},
        ...(response.ETag ? { etag: response.ETag } : {}),
        ...(response.VersionId ? { versionId: response.VersionId } : {}),
      } satisfies ObjectPrefix;
    } catch (error) {
      // A range on a 0-byte object fails with 416: the object is empty, its head says the rest.
      if (isInvalidRange(error)) return { ...(await headObject(ref)), bytes: new Uint8Array(0) };
      if (isGone(error)) throw gone(ref, error);
      throw error;
    }
  };

  /**
   * One ranged GET for a slice; `expectedStart` says where the slice must begin once the size is known.
   * A server that ignored the range sends the object from its start: those would be the wrong bytes, so
   * they are refused rather than parsed. A 416 means an empty object.
   */
  const readSlice = async (
    ref: ObjectRef & { readonly ifMatch?: string },
    range: string,
    maxBytes: number,
    expectedStart: (size: number) => number,
  ): Promise<ObjectSlice> => {
    let response: GetObjectCommandOutput;
    try {
      response = await s3.send(
        new GetObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          Range: range,
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
          ...(ref.ifMatch ? { IfMatch: ref.ifMatch } : {}),
        }),
      );
    } catch (error) {
      if (isInvalidRange(error)) return { bytes: new Uint8Array(0), size: (await headObject(ref)).size };
      if (isGone(error)) throw gone(ref, error);
      throw error;
    }
    const bytes = await readAtMost(response.Body, maxBytes);
    const size = totalSizeFromContentRange(response.ContentRange) ?? response.ContentLength ?? bytes.length;
    const start = Number(response.ContentRange?.match(/^bytes (\d+)-/)?.[1] ?? 0);
    if (start !== expectedStart(size))
      throw new Error(`ranged GET ${range} returned bytes from offset ${start}, not ${expectedStart(size)}`);
    return { bytes, size };
  };

  // A suffix range returns the last N bytes, or the whole object when it is shorter (RFC 9110 14.1.1,
  // which S3's GetObject Range follows: https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
  const readSuffix: ObjectStore['readSuffix'] = (ref) =>
    readSlice(ref, `bytes=-${ref.maxBytes}`, ref.maxBytes, (size) => Math.max(0, size - ref.maxBytes));

  const readRange: ObjectStore['readRange'] = (ref) =>
    readSlice(ref, `bytes=${ref.start}-${ref.end}`, ref.end - ref.start + 1, () => ref.start);

  const copyInParts = async (args: Parameters<ObjectStore['copyObject']>[0]) => {
    const partSize = Math.max(basePartSizeBytes, Math.ceil(args.size / MAX_PARTS));
    const created = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: args.target.bucket,
        Key: args.target.key,
        ...(args.contentType ? { ContentType: args.contentType } : {}),
        Metadata: { ...args.metadata },
        ...(tagging(args.tags) ? { Tagging: tagging(args.tags) } : {}),
      }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error('CreateMultipartUpload returned no UploadId');
    try {
      const count = Math.ceil(args.size / partSize);
      const parts: { PartNumber: number; ETag: string }[] = [];
      for (let first = 0; first < count; first += partConcurrency) {
        const batch = Array.from({ length: Math.min(partConcurrency, count - first) }, (_, i) => first + i);
        const done = await Promise.all(
          batch.map(async (index) => {
            const start = index * partSize;
            const end = Math.min(args.size, start + partSize) - 1;
            const part = await s3.send(
              new UploadPartCopyCommand({
                Bucket: args.target.bucket,
                Key: args.target.key,
                UploadId: uploadId,
                PartNumber: index + 1,
                CopySource: copySourceOf(args.source),
                CopySourceRange: `bytes=${start}-${end}`,
                ...(args.source.ifMatch ? { CopySourceIfMatch: args.source.ifMatch } : {}),
              }),
            );
            const etag = part.CopyPartResult?.ETag;
            if (!etag) throw new Error(`UploadPartCopy of part ${index + 1} returned no ETag`);
            return { PartNumber: index + 1, ETag: etag };
          }),
        );
        parts.push(...done);
      }
      const completed = await s3.send(
        new CompleteMultipartUploadCommand({
          Bucket: args.target.bucket,
          Key: args.target.key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
          ...(args.target.ifNoneMatch ? { IfNoneMatch: args.target.ifNoneMatch } : {}),
        }),
      );
      return {
        ...(completed.ETag ? { etag: completed.ETag } : {}),
        ...(completed.VersionId ? { versionId: completed.VersionId } : {}),
      };
    } catch (error) {
      // An abandoned multipart upload keeps costing storage: abort it (best effort).
      await s3
        .send(
          new AbortMultipartUploadCommand({
            Bucket: args.target.bucket,
            Key: args.target.key,
            UploadId: uploadId,
          }),
        )
        .catch(() => undefined);
      throw error;
    }
  };

  const copyOnce: ObjectStore['copyObject'] = async (args) => {
    try {
      if (args.size > multipartThresholdBytes) return await copyInParts(args);
      const tags = tagging(args.tags);
      const copied = await s3.send(
        new CopyObjectCommand({
          Bucket: args.target.bucket,
          Key: args.target.key,
          CopySource: copySourceOf(args.source),
          ...(args.source.ifMatch ? { CopySourceIfMatch: args.source.ifMatch } : {}),
          ...(args.target.ifNoneMatch ? { IfNoneMatch: args.target.ifNoneMatch } : {}),
          // REPLACE: the target gets exactly the content type and metadata the caller passes.
          MetadataDirective: 'REPLACE',
          ...(args.contentType ? { ContentType: args.contentType } : {}),
          Metadata: { ...args.metadata },
          ...(tags ? { TaggingDirective: 'REPLACE', Tagging: tags } : {}),
        }),
      );
      return {
        ...(copied.CopyObjectResult?.ETag ? { etag: copied.CopyObjectResult.ETag } : {}),
        ...(copied.VersionId ? { versionId: copied.VersionId } : {}),
      };
    } catch (error) {
      if (isTargetTaken(error))
        throw new TargetExistsError(args.target.bucket, args.target.key, { cause: error });
      if (isGone(error)) throw gone(args.source, error);
      throw error;
    }
  };

  const copyObject: ObjectStore['copyObject'] = async (args) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await copyOnce(args);
      } catch (error) {
        // Only a conditional copy can meet a conflict; a retry then sees the winner and answers 412.
        if (!args.target.ifNoneMatch || !isConditionalConflict(error) || attempt >= conflictAttempts)
          throw error;
      }
    }
  };

  const deleteObject: ObjectStore['deleteObject'] = async (ref) => {
    try {
      await s3.send(
        new DeleteObjectCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          // A version id names one version exactly; If-Match is for unversioned keys (moto compares it
          // with the key's current version even when a version id is given, so never send both).
          ...(ref.versionId ? { VersionId: ref.versionId } : ref.ifMatch ? { IfMatch: ref.ifMatch } : {}),
        }),
      );
    } catch (error) {
      // Already gone, or the key now holds a newer upload (412): that one has its own event; leave it.
      if (isGone(error)) return;
      throw error;
    }
  };

  const getObjectTags: ObjectStore['getObjectTags'] = async (ref) => {
    try {
      const out = await s3.send(
        new GetObjectTaggingCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
        }),
      );
      const tags: Record<string, string> = {};
      for (const tag of out.TagSet ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
      return tags;
    } catch (error) {
      if (isGone(error)) throw gone(ref, error);
      throw error;
    }
  };

  const putObjectTags: ObjectStore['putObjectTags'] = async (ref) => {
    try {
      await s3.send(
        new PutObjectTaggingCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          ...(ref.versionId ? { VersionId: ref.versionId } : {}),
          Tagging: { TagSet: Object.entries(ref.tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      );
    } catch (error) {
      if (isGone(error)) throw gone(ref, error);
      throw error;
    }
  };

  return {
    readPrefix,
    readSuffix,
    readRange,
    headObject,
    copyObject,
    deleteObject,
    getObjectTags,
    putObjectTags,
  };
};
