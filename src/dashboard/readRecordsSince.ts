import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ListedFile } from '../pipeline/batchManifest.ts';
import { manifestList, queryShards } from '../tracking/queryShards.ts';

/** The attributes the dashboard keeps of a record (a projection keeps pages small). */
export const VIEW_ATTRIBUTES = [
  'pk',
  'sk',
  'listSk',
  'bucket',
  'key',
  'status',
  'reason',
  'size',
  'mime',
  'ext',
  'contentClass',
  'declaredContentType',
  'eventTime',
  'processedAt',
  'durationMs',
  'queueLatencyMs',
  'receiveCount',
  'attempt',
  'error',
] as const;

/** A record as read with {@link VIEW_ATTRIBUTES}. */
export type ViewRecord = Pick<ListedFile, (typeof VIEW_ATTRIBUTES)[number]>;

/** Options of {@link readRecordsSince}. */
export interface ReadRecordsSinceOptions {
  /** Records with `listSk` at or above this (an ISO time, or '' for all). */
  readonly since: string;
  /** Stop reading a shard after this many records (newest first). @default unlimited */
  readonly perShardCap?: number;
  /** Shards read at once. @default 4 */
  readonly concurrency?: number;
  /** Query pages per shard at most (1 MB each), so a huge table cannot loop for ever. @default 1000 */
  readonly maxPagesPerShard?: number;
}

/** What {@link readRecordsSince} read. */
export interface RecordsSince {
  readonly items: ViewRecord[];
  /**
   * Set when a shard hit its cap or page budget: records are complete only at or above this `listSk`
   * (below it some shard has unread records).
   */
  readonly completeFrom?: string;
}

/**
 * Every record newer than `since`, from the batch manifests (through the one shard reader,
 * `tracking/queryShards.ts`). Unlike `listFiles` (one merged page), this reads whole 1 MB query pages, so
 * loading the dashboard's view costs about one read unit per 40 files. Used for the initial load and for
 * the tail that keeps the view current.
 */
export const readRecordsSince = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  options: ReadRecordsSinceOptions,
): Promise<RecordsSince> => {
  const read = await queryShards(dynamo, tableName, manifestList(), {
    since: options.since,
    maxPagesPerShard: options.maxPagesPerShard ?? 1000,
    concurrency: options.concurrency ?? 4,
    ...(options.perShardCap !== undefined ? { perShardCap: options.perShardCap } : {}),
  });
  return read.completeFrom === undefined
    ? { items: read.rows }
    : { items: read.rows, completeFrom: read.completeFrom };
};
