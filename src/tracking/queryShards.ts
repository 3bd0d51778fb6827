import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { decodeManifest, type ListedFile } from '../pipeline/batchManifest.ts';
import type { FileStatus } from '../pipeline/constants.ts';
import { manifestPartitions, statusShards } from '../pipeline/recordKeys.ts';

/**
 * A sharded, newest-first list of files in the metadata table: which partitions to query (on the table or
 * an index) and how one item becomes rows. Every row's `listSk` sorts below the sort key of the item it
 * came from only if they are equal up to that key's length, so "everything at or above the last sort key
 * read" is complete for a shard.
 */
export interface ShardedList {
  readonly partitions: readonly string[];
  readonly indexName?: string;
  readonly partitionKey: string;
  readonly sortKey: string;
  readonly rowsOf: (item: Record<string, unknown>) => ListedFile[];
}

/** Every file, newest first: the batch manifests (one item per written batch) on the table itself. */
export const manifestList = (): ShardedList => ({
  partitions: manifestPartitions(),
  partitionKey: TABLE_SCHEMA.partitionKey,
  sortKey: TABLE_SCHEMA.sortKey,
  rowsOf: decodeManifest,
});

/** Files of one rare status (QUARANTINED, GONE), newest first: the sparse byStatus index, whole records. */
export const statusList = (status: FileStatus): ShardedList => ({
  partitions: statusShards(status),
  indexName: TABLE_SCHEMA.indexes.byStatus.name,
  partitionKey: TABLE_SCHEMA.indexes.byStatus.partitionKey,
  sortKey: TABLE_SCHEMA.indexes.byStatus.sortKey,
  rowsOf: (item) => (typeof item.listSk === 'string' ? [item as unknown as ListedFile] : []),
});

/** Options of {@link queryShards}. */
export interface QueryShardsOptions {
  /** Rows with `listSk` at or above this (an ISO time or a `listSk`); '' or absent: no lower bound. */
  readonly since?: string;
  /** Rows with `listSk` strictly below this (a cursor, or an ISO time as an exclusive end). */
  readonly before?: string;
  /** Stop once more than this many rows are known complete. @default every row in range */
  readonly want?: number;
  /** Keep only rows that pass (status, key prefix); the others are read and paid for all the same. */
  readonly keep?: (row: ListedFile) => boolean;
  /** Items per Query call (DynamoDB's `Limit`). @default 1 MB pages */
  readonly itemsPerQuery?: number;
  /** Query calls per shard at most, so a huge table or a rare filter cannot loop long. */
  readonly maxPagesPerShard: number;
  /** Stop reading a shard once it yielded this many rows. @default unlimited */
  readonly perShardCap?: number;
  /** Shards queried at once. @default all */
  readonly concurrency?: number;
}

/** What {@link queryShards} read. */
export interface ShardRows {
  /** Rows, newest first, de-duplicated by item key, all at or above `completeFrom` when it is set. */
  readonly rows: ListedFile[];
  /** Set when some shard was not read to its end: below this `listSk` rows may be missing. */
  readonly completeFrom?: string;
  /** Query calls made. */
  readonly queries: number;
}

interface ShardState {
  readonly partition: string;
  readonly rows: ListedFile[];
  startKey?: Record<string, unknown>;
  pages: number;
  done: boolean;
  stopped: boolean;
  frontier?: string;
}

/** An ISO time is 24 characters; a longer bound (a `listSk`) is loosened to its time for the key condition. */
const ISO_LENGTH = 24;

const byListSkDescending = (a: ListedFile, b: ListedFile): number =>
  a.listSk < b.listSk ? 1 : a.listSk > b.listSk ? -1 : 0;

/**
 * The one reader of the sharded lists (the CLI's `files` and `status`, the dashboard's view and pages, the
 * quarantine retry). Shards are queried newest first (`ScanIndexForward=false`) in rounds, all at once;
 * after each round the rows at or above the highest sort key reached by any unfinished shard are complete
 * in every shard, and reading stops as soon as more than `want` of them are known. So one page costs about
 * one page of items plus one Query per shard, whatever the table's size.
 */
export const queryShards = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  list: ShardedList,
  options: QueryShardsOptions,
): Promise<ShardRows> => {
  const since = options.since || undefined;
  const { before, keep } = options;
  const want = options.want ?? Number.POSITIVE_INFINITY;
  const cap = options.perShardCap ?? Number.POSITIVE_INFINITY;
  // DynamoDB rejects attribute names that no expression uses, so '#s' is only added with a sort condition.
  const names: Record<string, string> = { '#p': list.partitionKey };
  const values: Record<string, unknown> = {};
  let sortCondition = '';
  const lower = since && since.length > ISO_LENGTH ? since.slice(0, ISO_LENGTH) : since;
  // One comparison on the sort key per key condition: BETWEEN is inclusive, rows equal to `before` are
  // dropped below.
  if (lower !== undefined && before !== undefined) {
    sortCondition = ' AND #s BETWEEN :since AND :before';
    values[':since'] = lower;
    values[':before'] = before;
  } else if (before !== undefined) {
    sortCondition = ' AND #s < :before';
    values[':before'] = before;
  } else if (lower !== undefined) {
    sortCondition = ' AND #s >= :since';
    values[':since'] = lower;
  }
  if (sortCondition) names['#s'] = list.sortKey;
  const inRange = (row: ListedFile): boolean =>
    (before === undefined || row.listSk < before) &&
    (since === undefined || row.listSk >= since) &&
    (keep === undefined || keep(row));

  const shards: ShardState[] = list.partitions.map((partition) => ({
    partition,
    rows: [],
    pages: 0,
    done: false,
    stopped: false,
  }));
  const limit = pLimit(options.concurrency ?? shards.length);
  let queries = 0;

  const readPage = async (shard: ShardState): Promise<void> => {
    queries += 1;
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        ...(list.indexName ? { IndexName: list.indexName } : {}),
        KeyConditionExpression: `#p = :p${sortCondition}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':p': shard.partition },
        ScanIndexForward: false,
        ...(options.itemsPerQuery ? { Limit: options.itemsPerQuery } : {}),
        ...(shard.startKey ? { ExclusiveStartKey: shard.startKey } : {}),
      }),
    );
    shard.pages += 1;
    for (const item of out.Items ?? []) {
      for (const row of list.rowsOf(item)) if (inRange(row)) shard.rows.push(row);
      shard.frontier = String(item[list.sortKey] ?? shard.frontier ?? '');
    }
    shard.startKey = out.LastEvaluatedKey;
    if (!shard.startKey) shard.done = true;
    else if (shard.pages >= options.maxPagesPerShard || shard.rows.length >= cap) shard.stopped = true;
  };

  const boundaryOf = (): string | undefined =>
    shards
      .filter((s) => !s.done)
      .reduce<string | undefined>(
        (max, s) => (max === undefined || (s.frontier ?? '') > max ? (s.frontier ?? '') : max),
        undefined,
      );

  for (;;) {
    const active = shards.filter((s) => !s.done && !s.stopped);
    if (active.length === 0) break;
    await Promise.all(active.map((shard) => limit(() => readPage(shard))));
    if (Number.isFinite(want)) {
      const boundary = boundaryOf();
      const complete = shards.reduce(
        (n, s) => n + s.rows.filter((r) => boundary === undefined || r.listSk >= boundary).length,
        0,
      );
      if (complete > want) break;
    }
  }

  const completeFrom = boundaryOf();
  // A batch retried after its manifest was written lists its files twice: keep the newest listing.
  const newestByItem = new Map<string, ListedFile>();
  for (const row of shards.flatMap((s) => s.rows)) {
    if (completeFrom !== undefined && row.listSk < completeFrom) continue;
    const id = `${row.pk}\u0000${row.sk}`;
    const seen = newestByItem.get(id);
    if (!seen || seen.listSk < row.listSk) newestByItem.set(id, row);
  }
  const rows = [...newestByItem.values()].sort(byListSkDescending);
  return { rows, queries, ...(completeFrom !== undefined ? { completeFrom } : {}) };
};
