import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { asWrittenBatches, decodeManifest, type ListedFile } from '../../src/pipeline/batchManifest.ts';
import { FileStatus, type HistoryStep, type QuarantineReason } from '../../src/pipeline/constants.ts';
import type { TableItem } from '../../src/pipeline/ports.ts';
import {
  filePartitionKey,
  listIndexAttributes,
  stepSortKey,
  uploadSortKey,
} from '../../src/pipeline/recordKeys.ts';
import type { FileRecord, HistoryStepRecord } from '../../src/pipeline/types.ts';

/** A FileRecord as the handler writes it, keyed with the real key functions. */
export const makeFileRecord = (
  overrides: Partial<FileRecord> & { bucket?: string; key: string; processedAt: string },
): FileRecord => {
  const bucket = overrides.bucket ?? 'silent-scalper-input';
  const status = overrides.status ?? FileStatus.PROCESSED;
  const eventTime = overrides.eventTime ?? overrides.processedAt;
  const uploadId = overrides.uploadId ?? `etag-${overrides.key.length}-${eventTime}`;
  const pk = filePartitionKey(bucket, overrides.key);
  const sk = uploadSortKey(eventTime, uploadId);
  return {
    recordType: 'UPLOAD',
    size: 1234,
    etag: '"0123456789abcdef"',
    declaredContentType: 'text/plain',
    durationMs: 12,
    queueLatencyMs: 40,
    receiveCount: 1,
    attempt: 0,
    messageId: `msg-${uploadId}`,
    ...overrides,
    bucket,
    status,
    eventTime,
    uploadId,
    pk,
    sk,
    ...listIndexAttributes({ bucket, key: overrides.key, status }),
  };
};

/** An operation step in a file's history. */
export const makeStepRecord = (args: {
  bucket?: string;
  key: string;
  step: HistoryStep;
  at: string;
  reason?: QuarantineReason;
  detail?: string;
  attempt?: number;
}): HistoryStepRecord => {
  const bucket = args.bucket ?? 'silent-scalper-input';
  return {
    pk: filePartitionKey(bucket, args.key),
    sk: stepSortKey(args.at, args.step, `${args.attempt ?? 0}`),
    recordType: 'STEP',
    step: args.step,
    bucket,
    key: args.key,
    at: args.at,
    ...(args.attempt === undefined ? {} : { attempt: args.attempt }),
    ...(args.reason ? { reason: args.reason } : {}),
    ...(args.detail ? { detail: args.detail } : {}),
  };
};

/**
 * Write records as the handler does: upload records in batches of `filesPerBatch` with their batch
 * manifests (and the byStatus sort key on the rare ones), steps as they are; 25 items per BatchWriteItem
 * (its limit). Returns the upload records as written.
 */
export const putRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  records: ReadonlyArray<FileRecord | HistoryStepRecord>,
  filesPerBatch = 10,
): Promise<FileRecord[]> => {
  const uploads = records.filter((r): r is FileRecord => r.recordType === 'UPLOAD');
  const items: TableItem[] = [
    ...asWrittenBatches(uploads, filesPerBatch),
    ...records.filter((r) => r.recordType !== 'UPLOAD'),
  ];
  for (let i = 0; i < items.length; i += 25) {
    await dynamo.send(
      new BatchWriteCommand({
        RequestItems: {
          [tableName]: items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: { ...item } } })),
        },
      }),
    );
  }
  return items.filter((r): r is FileRecord => r.recordType === 'UPLOAD');
};

/** Records as listings see them (decoded from their batch manifests, one batch per record), newest last. */
export const listedFiles = (records: readonly FileRecord[]): ListedFile[] =>
  asWrittenBatches(records, 1).flatMap((item) =>
    item.recordType === 'BATCH' ? decodeManifest(item as unknown as Record<string, unknown>) : [],
  );

/**
 * A fake of the table's manifest partitions for unit tests: answers the shard reader's Query (`#p = :p`,
 * optional `:since` / `:before` on the sort key) newest first, in pages of `pageSize` items with
 * DynamoDB's LastEvaluatedKey paging, one batch per record. Records the inputs it was called with.
 */
export const fakeManifestTable = (records: readonly FileRecord[], pageSize?: number) => {
  const calls: Record<string, unknown>[] = [];
  const dynamo = {
    send: async (command: { input: Record<string, unknown> }) => {
      // Built per call: a test may add records to the array after creating the fake.
      const manifests = asWrittenBatches(records, 1).filter((item) => item.recordType === 'BATCH');
      const input = command.input as {
        ExpressionAttributeValues: Record<string, string>;
        ExclusiveStartKey?: { sk: string };
        Limit?: number;
      };
      calls.push(input);
      const values = input.ExpressionAttributeValues;
      const matching = manifests
        .filter(
          (m) =>
            m.pk === values[':p'] &&
            (values[':since'] === undefined || m.sk >= values[':since']) &&
            (values[':before'] === undefined || m.sk < values[':before']),
        )
        .sort((a, b) => (a.sk < b.sk ? 1 : -1))
        .filter((m) => !input.ExclusiveStartKey || m.sk < input.ExclusiveStartKey.sk);
      const size = Math.min(pageSize ?? Number.POSITIVE_INFINITY, input.Limit ?? Number.POSITIVE_INFINITY);
      const page = matching.slice(0, size);
      return {
        Items: page.map((m) => ({ ...m })),
        ...(matching.length > size ? { LastEvaluatedKey: { pk: values[':p'], sk: page.at(-1)?.sk } } : {}),
      };
    },
  };
  return { dynamo: dynamo as unknown as DynamoDBDocumentClient, calls };
};
