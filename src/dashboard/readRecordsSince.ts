import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { timeShards } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';

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
export type ViewRecord = Pick<FileRecord, (typeof VIEW_ATTRIBUTES)[number]>;

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
 * Every record of the byTime index newer than `since`, newest first per shard. Unlike `listFiles` (one
 * merged page of ≤1,000 rows, which reads `limit + 1` rows in each of the 8 shards and drops the surplus),
 * this reads whole 1 MB query pages with a projection, so loading the dashboard's view costs about one
 * read per record. Used for the initial load and for the tail that keeps the view current.
 */
export const readRecordsSince = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  options: ReadRecordsSinceOptions,
): Promise<RecordsSince> => {
  const index = TABLE_SCHEMA.indexes.byTime;
  const cap = options.perShardCap ?? Number.POSITIVE_INFINITY;
  const maxPages = options.maxPagesPerShard ?? 1000;
  const names: Record<string, string> = { '#p': index.partitionKey };
  VIEW_ATTRIBUTES.forEach((attribute, i) => {
    names[`#a${i}`] = attribute;
  });
  const projection = VIEW_ATTRIBUTES.map((_, i) => `#a${i}`).join(', ');
  const withSince = options.since !== '';
  if (withSince) names['#s'] = index.sortKey;
  const limit = pLimit(options.concurrency ?? 4);

  const readShard = async (partition: string): Promise<{ items: ViewRecord[]; floor?: string }> => {
    const items: ViewRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < maxPages; page++) {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.name,
          KeyConditionExpression: withSince ? '#p = :p AND #s >= :since' : '#p = :p',
          ProjectionExpression: projection,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: withSince
            ? { ':p': partition, ':since': options.since }
            : { ':p': partition },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (out.Items ?? []) as ViewRecord[]) {
        if (items.length >= cap) break;
        items.push(item);
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey) return { items };
      if (items.length >= cap) break;
    }
    return { items, floor: items.at(-1)?.listSk ?? '' };
  };

  const shards = await Promise.all(timeShards().map((p) => limit(() => readShard(p))));
  const floors = shards.flatMap((s) => (s.floor === undefined ? [] : [s.floor]));
  const completeFrom = floors.sort().at(-1);
  const items = shards.flatMap((s) => s.items);
  return completeFrom === undefined
    ? { items }
    : { items: items.filter((item) => item.listSk >= completeFrom), completeFrom };
};
