import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';

/** Options of the S3 record factories. */
export interface S3RecordOptions {
  bucket?: string;
  /** The key as S3 puts it in the event (already encoded). Use {@link encodeS3EventKey} for raw keys. */
  encodedKey: string;
  size?: number;
  eTag?: string;
  versionId?: string;
  sequencer?: string;
  eventName?: string;
  eventTime?: string;
}

/**
 * Encode a key the way S3 and moto do in event notifications: form encoding (`quote_plus`), so a space
 * is `+`, `+` is `%2B` and `/` is `%2F`. (Real S3 keeps `/`; both decode the same.)
 */
export const encodeS3EventKey = (key: string, keepSlash = false): string => {
  const encoded = encodeURIComponent(key)
    .replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
};

/** A record as real S3 sends it: eventTime with `Z`, a sequencer, `/` kept in the key. */
export const realS3Record = (options: S3RecordOptions): Record<string, unknown> => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: options.eventTime ?? '2026-11-25T10:00:00.123Z',
  eventName: options.eventName ?? 'ObjectCreated:Put',
  userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
  requestParameters: { sourceIPAddress: '203.0.113.10' },
  responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8' },
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'silent-scalper-object-created',
    bucket: {
      name: options.bucket ?? 'silent-scalper-input',
      ownerIdentity: { principalId: 'A3NL1KOZZKExample' },
      arn: `arn:aws:s3:::${options.bucket ?? 'silent-scalper-input'}`,
    },
    object: {
      key: options.encodedKey,
      ...(options.size !== undefined ? { size: options.size } : {}),
      ...(options.eTag ? { eTag: options.eTag } : {}),
      ...(options.versionId ? { versionId: options.versionId } : {}),
      sequencer: options.sequencer ?? '0055AED6DCD90281E5',
    },
  },
});

/** A record as moto 5.2.1 sends it: eventTime with microseconds and no zone, no sequencer. */
export const motoS3Record = (options: S3RecordOptions): Record<string, unknown> => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: options.eventTime ?? '2026-11-25T10:00:00.123456',
  eventName: options.eventName ?? 'ObjectCreated:Put',
  s3: {
    s3SchemaVersion: '1.0',
    configurationId: 'silent-scalper-object-created',
    bucket: { name: options.bucket ?? 'silent-scalper-input', arn: 'arn:aws:s3:::silent-scalper-input' },
    object: {
      key: options.encodedKey,
      size: options.size ?? 0,
      ...(options.eTag ? { eTag: options.eTag } : {}),
    },
  },
});

/** The body of an S3 notification holding these records. */
export const s3EventBody = (...records: Record<string, unknown>[]): string =>
  JSON.stringify({ Records: records });

/** The body S3 sends once when a notification is configured. */
export const s3TestEventBody = (bucket = 'silent-scalper-input'): string =>
  JSON.stringify({
    Service: 'Amazon S3',
    Event: 's3:TestEvent',
    Time: '2026-11-25T10:00:00.000Z',
    Bucket: bucket,
    RequestId: 'A1B2C3',
    HostId: 'x',
  });

let nextId = 0;

/** An SQS record as Lambda delivers it. */
export const sqsRecord = (
  body: string,
  options: { messageId?: string; receiveCount?: number; sentTimestampMs?: number } = {},
): SQSRecord => {
  nextId += 1;
  return {
    messageId: options.messageId ?? `msg-${nextId}`,
    receiptHandle: `rh-${nextId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(options.sentTimestampMs ?? 1_795_000_000_000),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String((options.sentTimestampMs ?? 1_795_000_000_000) + 5),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:silent-scalper-ingest',
    awsRegion: 'us-east-1',
  };
};

/** An SQS event of these records. */
export const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

/** A Lambda context whose remaining time is `remainingMs()` (a function so tests can run it down). */
export const lambdaContext = (remainingMs: () => number = () => 60_000): Context => ({
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'silent-scalper-ingest',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:silent-scalper-ingest',
  memoryLimitInMB: '512',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/silent-scalper-ingest',
  logStreamName: 'stream',
  getRemainingTimeInMillis: remainingMs,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
});
