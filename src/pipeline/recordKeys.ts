import { createHash } from 'node:crypto';
import { TABLE_SCHEMA } from '../config/settings.ts';
import type { FileStatus } from './constants.ts';

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

/** A stable shard 0 ≤ shard < TABLE_SCHEMA.shards of any text (a file's bucket/key, a batch id). */
export const shardOfText = (text: string): number =>
  createHash('sha1').update(text).digest().readUInt32BE(0) % TABLE_SCHEMA.shards;

/** Shard of a file in the byStatus index: a stable hash of bucket/key. */
export const shardOf = (bucket: string, key: string): number => shardOfText(`${bucket}/${key}`);

/** DynamoDB's limit on a sort key value, in UTF-8 bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-partition-sort-keys). */
export const MAX_SORT_KEY_BYTES = 1024;

/** Does the byStatus index list this status? (Only the rare ones: the index stays sparse.) */
export const isIndexedStatus = (status: string): boolean =>
  (TABLE_SCHEMA.indexedStatuses as readonly string[]).includes(status);

/**
 * Index attributes an upload item carries when it is built: `statusShard` for the rare statuses that the
 * sparse byStatus index lists, nothing for PROCESSED (the bulk, listed from batch manifests). The index's
 * sort key `listSk` is the file's position in its batch manifest, added when the batch is written
 * (`batchManifest.ts`), so both listings share one order and one cursor format.
 */
export const listIndexAttributes = (args: {
  bucket: string;
  key: string;
  status: FileStatus;
  /** Not used by the key any more (the manifest position orders files); kept so callers need not change. */
  processedAtIso?: string;
  pk?: string;
  sk?: string;
}): { statusShard?: string } =>
  isIndexedStatus(args.status) ? { statusShard: `${args.status}#${shardOf(args.bucket, args.key)}` } : {};

/** All shard partition values of the byStatus index for one status (query them and merge). */
export const statusShards = (status: FileStatus): string[] =>
  Array.from({ length: TABLE_SCHEMA.shards }, (_, i) => `${status}#${i}`);

/** Partition key of the batch manifests of one shard. */
export const manifestPartitionKey = (shard: number): string =>
  `${TABLE_SCHEMA.manifestPartitionPrefix}${shard}`;

/** All manifest partitions (query them and merge). */
export const manifestPartitions = (): string[] =>
  Array.from({ length: TABLE_SCHEMA.shards }, (_, i) => manifestPartitionKey(i));

/**
 * Sort key of one manifest item: `<recordedAt ISO>#<batchId>#<part>`. Every part has the same length
 * (ISO time, 16 hex digits, 3 digits), so a manifest's entries (`<sk>#<index>`) sort right after it and
 * before any later manifest: one total, newest-first order over all files.
 */
export const manifestSortKey = (recordedAtIso: string, batchId: string, part: number): string =>
  `${recordedAtIso}#${batchId}#${String(part).padStart(3, '0')}`;

/** `listSk` of the file at `index` of a manifest: its position in the newest-first order, and a cursor. */
export const entryListSortKey = (manifestSk: string, index: number): string =>
  `${manifestSk}#${String(index).padStart(5, '0')}`;

/** The manifest sort key a `listSk` belongs to (drop the `#<index>` suffix). */
export const manifestOfListSortKey = (listSk: string): string => listSk.slice(0, listSk.lastIndexOf('#'));
