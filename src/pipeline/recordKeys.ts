import { createHash } from 'node:crypto';
import type { FileStatus } from './constants.ts';
import { TABLE_SCHEMA } from './tableSchema.ts';

/** Partition key of one file (bucket + decoded key): all its uploads and steps live under it. */
export const filePartitionKey = (bucket: string, key: string): string => `FILE#${bucket}/${key}`;

/**
 * Sort key of one upload. `uploadId` identifies the object version the event is about (versionId, else
 * sequencer, else ETag), so a duplicate or redelivered notification maps to the same item, while a
 * re-upload of the same key (new event time, new version) is a new item in the file's history.
 */
export const uploadSortKey = (eventTimeIso: string, uploadId: string): string =>
  `${eventTimeIso}#UPLOAD#${uploadId}`;

/** Sort key of an operation step (`RETRIED`, `RETRY_EXHAUSTED`, …) in the file's history. */
export const stepSortKey = (atIso: string, step: string, discriminator: string): string =>
  `${atIso}#STEP#${step}#${discriminator}`;

/** Shard of a file in the list indexes: a stable hash of bucket/key, 0 ≤ shard < TABLE_SCHEMA.shards. */
export const shardOf = (bucket: string, key: string): number =>
  createHash('sha1').update(`${bucket}/${key}`).digest().readUInt32BE(0) % TABLE_SCHEMA.shards;

/** DynamoDB's limit on a sort key value, in UTF-8 bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys). */
export const MAX_SORT_KEY_BYTES = 1024;

/**
 * Sort key of both list indexes: `<processedAt>#<pk>#<sk>`, unique and newest-first. S3 keys reach 1,024
 * bytes, which would push it past DynamoDB's sort key limit (and fail the whole BatchWriteItem), so a key
 * that long becomes `<processedAt>#HASH#<sha256 of pk#sk>`: still unique, still ordered by time first.
 */
export const listSortKey = (processedAtIso: string, pk: string, sk: string): string => {
  const readable = `${processedAtIso}#${pk}#${sk}`;
  if (Buffer.byteLength(readable, 'utf8') <= MAX_SORT_KEY_BYTES) return readable;
  return `${processedAtIso}#HASH#${createHash('sha256').update(`${pk}#${sk}`).digest('hex')}`;
};

/** Index attributes of an upload item: both list indexes, newest first by `processedAt`. */
export const listIndexAttributes = (args: {
  bucket: string;
  key: string;
  status: FileStatus;
  processedAtIso: string;
  pk: string;
  sk: string;
}): { statusShard: string; timeShard: string; listSk: string } => {
  const shard = shardOf(args.bucket, args.key);
  return {
    statusShard: `${args.status}#${shard}`,
    timeShard: `ALL#${shard}`,
    listSk: listSortKey(args.processedAtIso, args.pk, args.sk),
  };
};

/** All shard partition values of the byStatus index for one status (query them and merge). */
export const statusShards = (status: FileStatus): string[] =>
  Array.from({ length: TABLE_SCHEMA.shards }, (_, i) => `${status}#${i}`);

/** All shard partition values of the byTime index. */
export const timeShards = (): string[] => Array.from({ length: TABLE_SCHEMA.shards }, (_, i) => `ALL#${i}`);
