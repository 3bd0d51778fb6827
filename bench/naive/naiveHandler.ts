import { GetObjectCommand } from '@aws-sdk/client-s3';
import { PublishCommand } from '@aws-sdk/client-sns';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { fileTypeFromBuffer } from 'file-type';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { DEFAULT_BLOCKED_TYPES } from '../../src/config/handlerConfig.ts';
import { decodeS3Key } from '../../src/pipeline/s3Event.ts';

/** What the naive handler writes to. */
export interface NaiveTarget {
  readonly tableName: string;
  readonly topicArn: string;
}

/** The part of an S3 event notification the naive handler reads. */
export interface NaiveS3Event {
  readonly Records?: readonly {
    readonly eventTime?: string;
    readonly s3?: {
      readonly bucket?: { readonly name?: string };
      readonly object?: { readonly key?: string };
    };
  }[];
}

/**
 * The obvious way, in the shape of the original prototype: invoked once per S3 event, it downloads each
 * whole object, sniffs its type from the full body, writes one PutItem and publishes one SNS message per
 * file. No ranged read, no batching, no concurrency inside the invocation. Used only as a benchmark
 * baseline; never deployed.
 */
export const naiveHandler = async (
  event: NaiveS3Event,
  clients: AwsClients,
  target: NaiveTarget,
): Promise<void> => {
  for (const record of event.Records ?? []) {
    const bucket = record.s3?.bucket?.name ?? '';
    const key = decodeS3Key(record.s3?.object?.key ?? '');
    const started = Date.now();
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    const body = (await object.Body?.transformToByteArray()) ?? new Uint8Array(0);
    const type = await fileTypeFromBuffer(body);
    const blocked = type !== undefined && DEFAULT_BLOCKED_TYPES.includes(type.ext);
    const status = body.length === 0 || blocked ? 'QUARANTINED' : 'PROCESSED';
    await clients.dynamo.send(
      new PutCommand({
        TableName: target.tableName,
        Item: {
          pk: `FILE#${bucket}/${key}`,
          sk: `${record.eventTime ?? ''}#UPLOAD#${object.ETag ?? ''}`,
          bucket,
          key,
          status,
          size: body.length,
          mime: type?.mime,
          ext: type?.ext,
          eventTime: record.eventTime,
          processedAt: new Date().toISOString(),
          durationMs: Date.now() - started,
        },
      }),
    );
    await clients.sns.send(
      new PublishCommand({
        TopicArn: target.topicArn,
        Subject: `file ${status.toLowerCase()}`,
        Message: JSON.stringify({ bucket, key, status, mime: type?.mime }),
      }),
    );
  }
};
