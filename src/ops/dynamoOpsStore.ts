import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import { FileStatus } from '../pipeline/constants.ts';
import type { FileRecord } from '../pipeline/types.ts';
import { fileHistory } from '../tracking/fileHistory.ts';
import { listFiles, MAX_LIST_LIMIT } from '../tracking/listFiles.ts';
import type { HistoryWriter, QuarantineLedger } from './ports.ts';

/** Pages of the status index read per listing at most, on top of `maxRecords`. */
const MAX_LIST_PAGES = 100;

/**
 * The metadata table for operations: quarantined uploads and histories through the tracking queries,
 * and step writes, optionally conditional (`attribute_not_exists`) so a step and its alert happen once
 * even when two passes race.
 */
export const createDynamoOpsStore = (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
): QuarantineLedger & HistoryWriter => ({
  async listQuarantined({ since, maxRecords }) {
    const records = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES && records.length < maxRecords; page++) {
      const out = await listFiles(dynamo, tableName, {
        status: FileStatus.QUARANTINED,
        limit: Math.min(MAX_LIST_LIMIT, maxRecords - records.length),
        ...(cursor ? { cursor } : {}),
        ...(since ? { since } : {}),
      });
      // QUARANTINED is listed from the byStatus index, which projects whole records.
      records.push(...(out.items as FileRecord[]));
      cursor = out.nextCursor;
      if (!cursor) break;
    }
    return records;
  },
  async fileHistory(bucket, key) {
    const history = await fileHistory(dynamo, tableName, bucket, key);
    return { uploads: history.uploads, steps: history.steps };
  },
  async putStep(step, options = {}) {
    try {
      await dynamo.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...step },
          ...(options.onlyIfAbsent
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
              }
            : {}),
        }),
      );
      return true;
    } catch (error) {
      const conditionFailed =
        error instanceof ConditionalCheckFailedException ||
        (error as { name?: string })?.name === 'ConditionalCheckFailedException';
      if (options.onlyIfAbsent && conditionFailed) return false;
      throw error;
    }
  },
});
