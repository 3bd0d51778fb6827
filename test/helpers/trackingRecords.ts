import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FileStatus, type HistoryStep, type QuarantineReason } from '../../src/pipeline/constants.ts';
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
    ...listIndexAttributes({
      bucket,
      key: overrides.key,
      status,
      processedAtIso: overrides.processedAt,
      pk,
      sk,
    }),
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

/** Write records in batches of 25 (BatchWriteItem's limit). */
export const putRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  records: ReadonlyArray<FileRecord | HistoryStepRecord>,
): Promise<void> => {
  for (let i = 0; i < records.length; i += 25) {
    await dynamo.send(
      new BatchWriteCommand({
        RequestItems: {
          [tableName]: records.slice(i, i + 25).map((item) => ({ PutRequest: { Item: { ...item } } })),
        },
      }),
    );
  }
};
