import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { isIndexedStatus } from '../pipeline/recordKeys.ts';
import { manifestList, queryShards, statusList } from './queryShards.ts';
import type { FilePage, ListFilesOptions } from './types.ts';

/** Largest page a caller may ask for. */
export const MAX_LIST_LIMIT = 1000;

/**
 * Newest records first. QUARANTINED and GONE come from the sparse byStatus index (whole records); every
 * status together, and PROCESSED (the bulk: a filter drops few rows), come from the batch manifests. Both
 * order by `listSk` (the file's manifest position), so `listSk < cursor` continues a listing without
 * duplicates or gaps, and a cursor from one listing is valid in the other.
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
  const fromIndex = status !== undefined && isIndexedStatus(status);
  // A key prefix may match few rows: read wider pages so that a page yields matches. (PROCESSED from the
  // manifests is not widened: it is the bulk, the filter drops few rows.)
  const filtering = keyPrefix !== undefined;
  // Items per Query and shard: a page spread over the shards, plus one. A manifest holds several files
  // (10 in a full batch; assume 5), an index item one; another round reads more when that was too few.
  const filesPerItem = fromIndex ? 1 : 5;
  const perShard = Math.ceil((limit + 1) / (TABLE_SCHEMA.shards * filesPerItem)) + 1;
  const itemsPerQuery = Math.min(MAX_LIST_LIMIT, filtering ? Math.max(4 * perShard, 25) : perShard);
  const read = await queryShards(dynamo, tableName, fromIndex ? statusList(status) : manifestList(), {
    ...(since !== undefined ? { since } : {}),
    ...(cursor !== undefined ? { before: cursor } : {}),
    want: limit,
    // `since` bounds the batches read (written at or after it) and, exactly, the files' processing time.
    keep: (row) =>
      (since === undefined || row.processedAt >= since) &&
      (status === undefined || row.status === status) &&
      (keyPrefix === undefined || row.key.startsWith(keyPrefix)),
    itemsPerQuery,
    maxPagesPerShard: options.maxPagesPerShard ?? 20,
  });
  const items = read.rows.slice(0, limit);
  const more = read.rows.length > limit || read.completeFrom !== undefined;
  if (!more) return { items };
  return { items, nextCursor: items.at(-1)?.listSk ?? read.completeFrom };
};
