import { GetObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageBatchCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../src/adapters/awsClients.ts';
import { filePartitionKey, uploadSortKey } from '../src/pipeline/recordKeys.ts';
import { decodeS3Key } from '../src/pipeline/s3Event.ts';

/** Where the floor reads and writes. */
export interface FloorTarget {
  readonly queueUrl: string;
  readonly tableName: string;
}

interface ObjectRefFromEvent {
  readonly bucket: string;
  readonly key: string;
  readonly eventTime: string;
  readonly etag: string;
}

/** The S3 objects named by one notification message (none for an `s3:TestEvent`). */
const objectsOf = (message: Message): ObjectRefFromEvent[] => {
  const body = JSON.parse(message.Body ?? '{}') as {
    Records?: {
      eventTime?: string;
      s3?: { bucket?: { name?: string }; object?: { key?: string; eTag?: string } };
    }[];
  };
  return (body.Records ?? []).map((r) => ({
    bucket: r.s3?.bucket?.name ?? '',
    key: decodeS3Key(r.s3?.object?.key ?? ''),
    eventTime: r.eventTime ?? '',
    etag: r.s3?.object?.eTag ?? '',
  }));
};

/**
 * The local physical limit: the fewest requests that can do the job for each file — its share of one
 * ReceiveMessage of 10, ONE ranged GET of the first `sniffBytes`, its share of one BatchWriteItem and of
 * one DeleteMessageBatch — with no sniffing, policy, logging or retries around them. `workers` loops run
 * side by side, as fast as the emulator answers. Resolves once `files` objects have been written.
 */
export const runFloor = async (args: {
  readonly clients: AwsClients;
  readonly target: FloorTarget;
  readonly files: number;
  readonly workers: number;
  readonly sniffBytes: number;
  readonly timeoutMs: number;
}): Promise<{ files: number; elapsedMs: number }> => {
  const { clients, target } = args;
  const deadline = Date.now() + args.timeoutMs;
  const started = performance.now();
  // Timed to the moment the last file is done, not to when the other loops' long polls return.
  let finishedAt: number | undefined;
  let written = 0;
  const worker = async () => {
    while (written < args.files) {
      if (Date.now() > deadline)
        throw new Error(`floor: only ${written} of ${args.files} files within the timeout`);
      const { Messages = [] } = await clients.sqs.send(
        new ReceiveMessageCommand({ QueueUrl: target.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) continue;
      const objects = Messages.flatMap(objectsOf);
      const sizes = await Promise.all(
        objects.map(async (o) => {
          const response = await clients.s3.send(
            new GetObjectCommand({ Bucket: o.bucket, Key: o.key, Range: `bytes=0-${args.sniffBytes - 1}` }),
          );
          const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array(0);
          const total = Number(response.ContentRange?.split('/')[1] ?? bytes.length);
          return total;
        }),
      );
      if (objects.length > 0) {
        await clients.dynamo.send(
          new BatchWriteCommand({
            RequestItems: {
              [target.tableName]: objects.map((o, i) => ({
                PutRequest: {
                  Item: {
                    pk: filePartitionKey(o.bucket, o.key),
                    sk: uploadSortKey(o.eventTime, o.etag),
                    bucket: o.bucket,
                    key: o.key,
                    status: 'PROCESSED',
                    size: sizes[i],
                  },
                },
              })),
            },
          }),
        );
      }
      await clients.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: target.queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle ?? '' })),
        }),
      );
      written += objects.length;
      if (written >= args.files) finishedAt ??= performance.now();
    }
  };
  await Promise.all(Array.from({ length: args.workers }, worker));
  return { files: written, elapsedMs: (finishedAt ?? performance.now()) - started };
};
