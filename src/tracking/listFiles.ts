import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { statusShards, timeShards } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';
import type { FilePage, ListFilesOptions } from './types.ts';

/** Largest page a caller may ask for. */
export const MAX_LIST_LIMIT = 1000;

interface ShardScan {
  readonly items: FileRecord[];
  /** True when the shard has nothing older than what was read. */
  readonly exhausted: boolean;
  /** `listSk` of the last item DynamoDB evaluated in this shard (older ones are unread). */
  readonly frontier?: string;
}

/**
 * Newest records first, across all shards of a list index. Each shard is queried newest-first
 * (`ScanIndexForward=false`) and the results are merged by `listSk`, which starts with `processedAt` and
 * ends with the item's unique keys, so the order is total and `listSk < cursor` continues a listing without
 * duplicates or gaps.
 */
export const listFiles = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  options: ListFilesOptions,
): Promise<FilePage> => {
  const { limit, cursor, keyPrefix, status } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT)
    throw new RangeError(`limit must be an integer from 1 to ${MAX_LIST_LIMIT} (got ${limit})`);
  const since = options.since === undefined ? undefined : new Date(options.since).toISOString();
  const maxPages = options.maxPagesPerShard ?? 20;
  const index = status ? TABLE_SCHEMA.indexes.byStatus : TABLE_SCHEMA.indexes.byTime;
  const partitions = status ? statusShards(status) : timeShards();

  // DynamoDB rejects attribute names that no expression uses, so '#s' is only added with a sort condition.
  const names: Record<string, string> = { '#p': index.partitionKey };
  const values: Record<string, unknown> = {};
  let sortCondition = '';
  // A key condition allows one comparison on the sort key: with both bounds, BETWEEN is inclusive, so the
  // item equal to the cursor (already returned) is dropped below.
  if (cursor !== undefined && since !== undefined) {
    sortCondition = ' AND #s BETWEEN :since AND :cursor';
    values[':since'] = since;
    values[':cursor'] = cursor;
  } else if (cursor !== undefined) {
    sortCondition = ' AND #s < :cursor';
    values[':cursor'] = cursor;
  } else if (since !== undefined) {
    sortCondition = ' AND #s >= :since';
    values[':since'] = since;
  }
  if (sortCondition) names['#s'] = index.sortKey;
  let filter: string | undefined;
  if (keyPrefix) {
    filter = 'begins_with(#key, :prefix)';
    names['#key'] = 'key';
    values[':prefix'] = keyPrefix;
  }
  // With a filter, DynamoDB applies Limit before filtering: read wider pages so a page yields matches.
  const pageSize = Math.min(MAX_LIST_LIMIT, filter ? Math.max(4 * limit, 100) : limit + 1);

  const scanShard = async (partition: string): Promise<ShardScan> => {
    const items: FileRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < maxPages; page++) {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.name,
          KeyConditionExpression: `#p = :p${sortCondition}`,
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ...values, ':p': partition },
          ScanIndexForward: false,
          Limit: pageSize,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of (out.Items ?? []) as FileRecord[]) {
        if (cursor === undefined || item.listSk < cursor) items.push(item);
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey) return { items, exhausted: true };
      if (items.length >= limit) break;
    }
    return { items, exhausted: false, frontier: String(startKey?.[index.sortKey] ?? '') };
  };

  const scans = await Promise.all(partitions.map(scanShard));
  // Everything at or above the highest frontier of an unfinished shard has been read in every shard;
  // below it a shard may still hold unread items, so the page stops there.
  const boundary = scans
    .filter((s) => !s.exhausted && s.frontier !== undefined)
    .reduce<string | undefined>(
      (max, s) => (max === undefined || (s.frontier as string) > max ? s.frontier : max),
      undefined,
    );
  const merged = scans
    .flatMap((s) => s.items)
    .filter((item) => boundary === undefined || item.listSk >= boundary)
    .sort((a, b) => (a.listSk < b.listSk ? 1 : a.listSk > b.listSk ? -1 : 0));
  const items = merged.slice(0, limit);
  const more = merged.length > limit || boundary !== undefined;
  if (!more) return { items };
  return { items, nextCursor: items.at(-1)?.listSk ?? boundary };
};
