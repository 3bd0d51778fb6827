import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import { timeShards } from '../pipeline/recordKeys.ts';
import type { CountFilesOptions, FileCounts } from './types.ts';

const toIso = (value: string | Date): string => {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new RangeError(`not a date: ${String(value)}`);
  return date.toISOString();
};

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = (counts[key] ?? 0) + 1;
};

/**
 * Count records processed in `[since, until)` per status, reason and MIME type. Reads every shard of the
 * byTime index with a key condition on `listSk` (which starts with `processedAt`) and projects only the
 * three counted attributes, so each page carries many records.
 */
export const countFiles = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  options: CountFilesOptions,
): Promise<FileCounts> => {
  const since = toIso(options.since);
  const until = toIso(options.until ?? new Date());
  const maxPages = options.maxPagesPerShard ?? 500;
  const index = TABLE_SCHEMA.indexes.byTime;
  const byStatus: Record<string, number> = Object.fromEntries(Object.values(FileStatus).map((s) => [s, 0]));
  const byReason: Record<string, number> = Object.fromEntries(
    Object.values(QuarantineReason).map((r) => [r, 0]),
  );
  const byMime: Record<string, number> = {};
  let total = 0;
  let truncated = false;

  const countShard = async (partition: string): Promise<void> => {
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < maxPages; page++) {
      const out = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: index.name,
          // listSk is `<processedAt>#…`, so every record processed before `until` sorts below the bare
          // `until` string and every record at or after `since` sorts at or above `since`.
          KeyConditionExpression: '#p = :p AND #s BETWEEN :since AND :until',
          ProjectionExpression: '#status, #reason, #mime',
          ExpressionAttributeNames: {
            '#p': index.partitionKey,
            '#s': index.sortKey,
            '#status': 'status',
            '#reason': 'reason',
            '#mime': 'mime',
          },
          ExpressionAttributeValues: { ':p': partition, ':since': since, ':until': until },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of out.Items ?? []) {
        total++;
        bump(byStatus, String(item.status));
        if (item.reason) bump(byReason, String(item.reason));
        bump(byMime, item.mime ? String(item.mime) : 'unknown');
      }
      startKey = out.LastEvaluatedKey;
      if (!startKey) return;
    }
    truncated = true;
  };

  if (since < until) await Promise.all(timeShards().map(countShard));
  return { since, until, total, byStatus, byReason, byMime, truncated };
};
