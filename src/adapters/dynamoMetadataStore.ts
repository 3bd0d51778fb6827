import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { TABLE_SCHEMA } from '../config/settings.ts';
import type { MetadataStore, TableItem } from '../pipeline/ports.ts';
import { filePartitionKey } from '../pipeline/recordKeys.ts';
import { BATCH_WRITE_MAX_ITEMS, itemIdentity } from '../pipeline/writeRecords.ts';

/** Pages read by {@link MetadataStore.fileHistory} at most (1 MB each), so a query loop is bounded. */
const MAX_HISTORY_PAGES = 50;

/** The DynamoDB implementation of the metadata store port, on the document client. */
export const createDynamoMetadataStore = (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
): MetadataStore => ({
  async batchPut(items) {
    if (items.length === 0) return { unprocessed: [] };
    if (items.length > BATCH_WRITE_MAX_ITEMS)
      throw new RangeError(`batchPut takes at most ${BATCH_WRITE_MAX_ITEMS} items (got ${items.length})`);
    const result = await dynamo.send(
      new BatchWriteCommand({
        RequestItems: { [tableName]: items.map((item) => ({ PutRequest: { Item: { ...item } } })) },
      }),
    );
    const left = result.UnprocessedItems?.[tableName] ?? [];
    if (left.length === 0) return { unprocessed: [] };
    const ids = new Set(
      left.map((request) => itemIdentity(request.PutRequest?.Item as { pk: string; sk: string })),
    );
    return { unprocessed: items.filter((item) => ids.has(itemIdentity(item))) };
  },

  async putHistoryStep(step) {
    await dynamo.send(new PutCommand({ TableName: tableName, Item: { ...step } }));
  },

  async fileHistory(bucket, key) {
    const items: TableItem[] = [];
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < MAX_HISTORY_PAGES; page += 1) {
      const result = await dynamo.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ':pk': filePartitionKey(bucket, key) },
          // Strongly consistent: a redelivery looks here for the upload's final record before acting again,
          // and an eventually consistent read could miss a record written moments ago.
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...((result.Items ?? []) as TableItem[]));
      startKey = result.LastEvaluatedKey;
      if (!startKey) break;
    }
    return items;
  },
});
