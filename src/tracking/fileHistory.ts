import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { filePartitionKey } from '../pipeline/recordKeys.ts';
import type { FileRecord, HistoryStepRecord } from '../pipeline/types.ts';
import type { FileHistory } from './types.ts';

/** Pages of one partition read at most: a file's history is small, this only bounds the loop. */
const MAX_PAGES = 100;

/** One file's history (uploads and steps), oldest first, from a single-partition Query. */
export const fileHistory = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  key: string,
): Promise<FileHistory> => {
  const entries: Array<FileRecord | HistoryStepRecord> = [];
  let startKey: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const out = await dynamo.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
        ExpressionAttributeValues: { ':pk': filePartitionKey(bucket, key) },
        ScanIndexForward: true,
        ExclusiveStartKey: startKey,
      }),
    );
    entries.push(...((out.Items ?? []) as Array<FileRecord | HistoryStepRecord>));
    startKey = out.LastEvaluatedKey;
    if (!startKey) break;
  }
  return {
    bucket,
    key,
    uploads: entries.filter((e): e is FileRecord => e.recordType === 'UPLOAD'),
    steps: entries.filter((e): e is HistoryStepRecord => e.recordType === 'STEP'),
    entries,
  };
};
