import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileStatus, OBJECT_METADATA, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { IngestMetric } from '../../../src/pipeline/ports.ts';
import { quarantineKeyOf } from '../../../src/pipeline/quarantine.ts';
import {
  lambdaContext,
  realS3Record,
  s3EventBody,
  s3TestEventBody,
  sqsEvent,
  sqsRecord,
} from '../../helpers/events.ts';
import { sdkError } from '../../helpers/fakeAws.ts';
import { SAMPLE_EXPECTATIONS, SAMPLE_KINDS, sampleFile } from '../../helpers/files.ts';
import { DLQ_URL, INPUT_BUCKET, ingestHarness, QUARANTINE_BUCKET } from '../../helpers/ingestHarness.ts';

const ctx = lambdaContext();

describe('ingest handler: accepted files', () => {
  it('records a PNG as PROCESSED with the contract attributes, after one ranged GET', async () => {
    // Prepare
    const h = ingestHarness();
    const record = h.upload('photos/cat.png', 'png', { messageId: 'm1' });
    // Act
    const response = await h.handler(sqsEvent(record), ctx);
    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    const item = h.itemFor('photos/cat.png');
    expect(item).toMatchObject({
      bucket: INPUT_BUCKET,
      key: 'photos/cat.png',
      status: FileStatus.PROCESSED,
      size: sampleFile('png').bytes.length,
      declaredContentType: 'image/png',
      mime: 'image/png',
      ext: 'png',
      eventTime: '2026-11-25T10:00:00.123Z',
      receiveCount: 1,
      attempt: 0,
      messageId: 'm1',
    });
    expect(item?.reason).toBeUndefined();
    expect(item?.etag).toMatch(/^[0-9a-f]{32}$/);
    expect(Date.parse(String(item?.processedAt))).toBeGreaterThan(Date.parse('2026-11-25T10:00:05Z'));
    expect(item?.queueLatencyMs).toBeGreaterThanOrEqual(4000);
    expect(typeof item?.durationMs).toBe('number');
    expect(typeof item?.sniffMs).toBe('number');
    expect(h.aws.s3.total()).toBe(1);
    expect(h.aws.s3.count('GetObjectCommand')).toBe(1);
    expect(h.aws.dynamo.count('BatchWriteCommand')).toBe(1);
    expect(h.aws.sns.published).toHaveLength(0);
  });

  it.each([
    ['a space and a plus', 'in/a b+c%.png'],
    ['unicode', 'rapports/été naïve/日本語 😀.png'],
    ['a percent sign', '100%/done.png'],
  ])('finds objects whose keys hold %s (moto-shaped events)', async (_what, key) => {
    const h = ingestHarness();
    const response = await h.handler(sqsEvent(h.upload(key, 'png', { shape: 'moto' })), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor(key)).toMatchObject({
      key,
      status: FileStatus.PROCESSED,
      eventTime: '2026-11-25T10:00:00.123Z',
    });
  });

  it('reads at most sniffBytes of a 1 GiB object', async () => {
    const h = ingestHarness();
    const big = sampleFile('pdf');
    await h.handler(sqsEvent(h.upload('huge.pdf', big.bytes, { size: 1024 ** 3 })), ctx);
    expect(h.itemFor('huge.pdf')).toMatchObject({
      status: FileStatus.PROCESSED,
      size: 1024 ** 3,
      mime: 'application/pdf',
    });
    expect(h.aws.s3.bytesServed).toBeLessThanOrEqual(h.config.sniffBytes);
  });

  it('records the retry attempt carried in object metadata, and applies the same policy', async () => {
    const h = ingestHarness();
    const event = sqsEvent(
      h.upload('again.png', 'png', { metadata: { [OBJECT_METADATA.attempt]: '2' } }),
      h.upload('again.jpg', 'mismatch', { metadata: { [OBJECT_METADATA.attempt]: '1' } }),
    );
    await h.handler(event, ctx);
    expect(h.itemFor('again.png')).toMatchObject({ status: FileStatus.PROCESSED, attempt: 2 });
    expect(h.itemFor('again.jpg')).toMatchObject({ reason: QuarantineReason.TYPE_MISMATCH, attempt: 1 });
  });
});

describe('ingest handler: policy and quarantine', () => {
  it.each(SAMPLE_KINDS)('gives the %s sample its expected outcome', async (kind) => {
    const h = ingestHarness();
    const file = sampleFile(kind);
    const key = `drop/${kind} sample.${file.ext}`;
    const response = await h.handler(sqsEvent(h.upload(key, kind)), ctx);
    expect(response.batchItemFailures).toEqual([]);
    const expected = SAMPLE_EXPECTATIONS[kind];
    expect(h.itemFor(key)).toMatchObject({
      status: expected.status,
      ...(expected.reason ? { reason: expected.reason } : {}),
    });
    const inInput = h.aws.s3.get(INPUT_BUCKET, key);
    const inQuarantine = h.aws.s3.get(QUARANTINE_BUCKET, String(h.itemFor(key)?.quarantineKey ?? ''));
    if (expected.status === FileStatus.QUARANTINED) {
      expect(inInput).toBeUndefined();
      expect(inQuarantine).toBeDefined();
    } else {
      expect(inInput).toBeDefined();
      expect(inQuarantine).toBeUndefined();
    }
  });

  it('moves a rejected file with its content type, its metadata, ours and the reason tag', async () => {
    // Prepare
    const h = ingestHarness();
    const key = 'ünïcode dir/photo+1.jpg';
    const record = h.upload(key, 'mismatch', {
      metadata: { 'uploaded-by': 'alice' },
      contentType: 'image/jpeg',
    });
    // Act
    await h.handler(sqsEvent(record), ctx);
    // Assess
    const moved = h.aws.s3.get(QUARANTINE_BUCKET, String(h.itemFor(key)?.quarantineKey ?? ''));
    expect(moved?.contentType).toBe('image/jpeg');
    expect(moved?.tags).toEqual({ [OBJECT_METADATA.reason]: 'TYPE_MISMATCH' });
    expect(moved?.metadata).toMatchObject({
      'uploaded-by': 'alice',
      [OBJECT_METADATA.reason]: 'TYPE_MISMATCH',
      [OBJECT_METADATA.sourceBucket]: INPUT_BUCKET,
      [OBJECT_METADATA.error]: 'extension .jpg claims jpg, content is pdf',
    });
    expect(decodeURIComponent(moved?.metadata[OBJECT_METADATA.sourceKey] ?? '')).toBe(key);
    expect(Object.values(moved?.metadata ?? {}).every((v) => /^[\x20-\x7e]*$/.test(v))).toBe(true);
    expect(Date.parse(moved?.metadata[OBJECT_METADATA.quarantinedAt] ?? '')).not.toBeNaN();
    expect(h.itemFor(key)).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.TYPE_MISMATCH,
      mime: 'application/pdf',
      quarantineBucket: QUARANTINE_BUCKET,
      quarantineKey: quarantineKeyOf(key, String(h.itemFor(key)?.uploadId ?? '')),
      error: 'extension .jpg claims jpg, content is pdf',
    });
    // The copy was pinned to the upload's ETag, and the delete ran after it.
    expect(h.aws.s3.count('CopyObjectCommand')).toBe(1);
    expect(h.aws.s3.count('DeleteObjectCommand')).toBe(1);
  });

  it('quarantines a 0-byte object as EMPTY_FILE without reading it', async () => {
    const h = ingestHarness();
    await h.handler(sqsEvent(h.upload('empty.csv', 'empty')), ctx);
    expect(h.aws.s3.count('GetObjectCommand')).toBe(0);
    expect(h.aws.s3.count('HeadObjectCommand')).toBe(1);
    expect(h.itemFor('empty.csv')).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: 'EMPTY_FILE',
      size: 0,
    });
    expect(
      h.aws.s3.get(QUARANTINE_BUCKET, String(h.itemFor('empty.csv')?.quarantineKey ?? '')),
    ).toBeDefined();
  });

  it('treats a 416 on the ranged GET as an empty file (event without size)', async () => {
    const h = ingestHarness();
    await h.handler(sqsEvent(h.upload('nosize.txt', 'empty', { eventSize: null })), ctx);
    expect(h.aws.s3.count('GetObjectCommand')).toBe(1);
    expect(h.itemFor('nosize.txt')).toMatchObject({ status: FileStatus.QUARANTINED, reason: 'EMPTY_FILE' });
  });

  it('copies objects over 5 GiB in parts (TOO_LARGE) when the in-place threshold is above them', async () => {
    const h = ingestHarness({ tunables: { quarantineInPlaceBytes: 8 * 1024 ** 3 } });
    const size = 6 * 1024 ** 3;
    await h.handler(sqsEvent(h.upload('backup.zip', sampleFile('zip').bytes, { size })), ctx);
    expect(h.itemFor('backup.zip')).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: 'TOO_LARGE',
      size,
    });
    expect(h.aws.s3.count('CopyObjectCommand')).toBe(0);
    expect(h.aws.s3.count('UploadPartCopyCommand')).toBe(12);
    const moved = h.aws.s3.get(QUARANTINE_BUCKET, String(h.itemFor('backup.zip')?.quarantineKey ?? ''));
    expect(moved).toMatchObject({ size, tags: { [OBJECT_METADATA.reason]: 'TOO_LARGE' } });
    expect(moved?.metadata[OBJECT_METADATA.reason]).toBe('TOO_LARGE');
    expect(h.aws.s3.get(INPUT_BUCKET, 'backup.zip')).toBeUndefined();
    expect(h.aws.s3.openUploads()).toBe(0);
  });

  it('aborts a failed multipart copy and leaves the file in input for the retry', async () => {
    const h = ingestHarness();
    let parts = 0;
    h.aws.s3.fault = (name) =>
      name === 'UploadPartCopyCommand' && ++parts === 3 ? sdkError('InternalError', 500) : undefined;
    const response = await h.handler(
      sqsEvent(h.upload('backup.zip', sampleFile('zip').bytes, { size: 6 * 1024 ** 3, messageId: 'big' })),
      ctx,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'big' }]);
    expect(h.aws.s3.openUploads()).toBe(0);
    expect(h.aws.s3.get(INPUT_BUCKET, 'backup.zip')).toBeDefined();
  });
});

describe('ingest handler: at-least-once delivery', () => {
  it('records GONE for an object deleted before processing, without failing', async () => {
    const h = ingestHarness();
    const record = h.upload('deleted.png', 'png');
    h.aws.s3.buckets.get(INPUT_BUCKET)?.delete('deleted.png');
    const response = await h.handler(sqsEvent(record), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor('deleted.png')).toMatchObject({
      status: FileStatus.GONE,
      size: sampleFile('png').bytes.length,
    });
    expect(h.aws.sns.published).toHaveLength(0);
  });

  it('records GONE for an upload overwritten before processing, and leaves the newer object alone', async () => {
    const h = ingestHarness();
    const first = h.upload('report.pdf', 'mismatch'); // would be a TYPE_MISMATCH… if it were still there
    h.aws.s3.put(INPUT_BUCKET, 'report.pdf', sampleFile('exe').bytes);
    await h.handler(sqsEvent(first), ctx);
    expect(h.itemFor('report.pdf')).toMatchObject({ status: FileStatus.GONE });
    expect(h.aws.s3.get(INPUT_BUCKET, 'report.pdf')).toBeDefined();
    expect(h.aws.s3.get(QUARANTINE_BUCKET, 'report.pdf')).toBeUndefined();
  });

  it('keeps a quarantined record QUARANTINED when the same event is delivered again', async () => {
    // Prepare: the first delivery moves the file.
    const h = ingestHarness();
    const record = h.upload('evil.exe', 'exe');
    await h.handler(sqsEvent(record), ctx);
    const before = h.itemFor('evil.exe');
    // Act: SQS delivers the same message again (the object is no longer in input).
    const response = await h.handler(
      sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: '2' } }),
      ctx,
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(h.items()).toHaveLength(1);
    const after = h.itemFor('evil.exe');
    expect(after).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.BLOCKED_TYPE,
      mime: before?.mime,
      processedAt: before?.processedAt,
      quarantineKey: before?.quarantineKey,
    });
  });

  it('writes one item for the same event delivered twice in one batch, and fails neither message', async () => {
    const h = ingestHarness();
    const record = h.upload('twice.png', 'png', { messageId: 'first' });
    const response = await h.handler(sqsEvent(record, { ...record, messageId: 'second' }), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.items()).toHaveLength(1);
    expect(h.aws.dynamo.count('BatchWriteCommand')).toBe(1);
  });

  it('keeps a re-upload of the same key as a second item of the file history', async () => {
    const h = ingestHarness();
    await h.handler(sqsEvent(h.upload('daily.csv', 'csv')), ctx);
    await h.handler(
      sqsEvent(
        h.upload('daily.csv', sampleFile('csv', { seed: 9 }).bytes, {
          eventTime: '2026-11-26T10:00:00.000Z',
        }),
      ),
      ctx,
    );
    const history = h.items().filter((i) => i.key === 'daily.csv');
    expect(history).toHaveLength(2);
    expect(new Set(history.map((i) => i.pk)).size).toBe(1);
  });
});

describe('ingest handler: failures and retries', () => {
  it('reports a transient failure of one file as that message only', async () => {
    // Prepare
    const h = ingestHarness();
    const ok = h.upload('ok.png', 'png', { messageId: 'ok' });
    const slow = h.upload('slow.png', 'png', { messageId: 'slow' });
    h.aws.s3.fault = (name, input) =>
      name === 'GetObjectCommand' && input.Key === 'slow.png' ? sdkError('SlowDown', 503) : undefined;
    // Act
    const response = await h.handler(sqsEvent(ok, slow), ctx);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'slow' }]);
    expect(h.itemFor('ok.png')).toBeDefined();
    expect(h.itemFor('slow.png')).toBeUndefined();
    expect(h.aws.s3.get(INPUT_BUCKET, 'slow.png')).toBeDefined();
    const alert = h.aws.sns.published[0];
    expect(alert?.MessageAttributes).toMatchObject({
      status: { DataType: 'String.Array', StringValue: '["FAILED","PROCESSED"]' },
    });
  });

  it('quarantines as PROCESSING_FAILED on the last allowed receive instead of failing again', async () => {
    const h = ingestHarness({ maxReceives: 5 });
    const record = h.upload('stuck.png', 'png', { receiveCount: 5, messageId: 'stuck' });
    h.aws.s3.fault = (name) =>
      name === 'GetObjectCommand'
        ? sdkError('InternalError', 500, 'We encountered an internal error')
        : undefined;
    const response = await h.handler(sqsEvent(record), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor('stuck.png')).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      error: 'InternalError: We encountered an internal error',
      receiveCount: 5,
    });
    expect(
      h.aws.s3.get(QUARANTINE_BUCKET, String(h.itemFor('stuck.png')?.quarantineKey ?? ''))?.metadata[
        OBJECT_METADATA.reason
      ],
    ).toBe('PROCESSING_FAILED');
    expect(h.aws.s3.get(INPUT_BUCKET, 'stuck.png')).toBeUndefined();
  });

  it('quarantines at once on a permanent error (no pointless retries)', async () => {
    const h = ingestHarness();
    h.aws.s3.fault = (name) =>
      name === 'GetObjectCommand' ? sdkError('AccessDenied', 403, 'Access Denied') : undefined;
    const response = await h.handler(sqsEvent(h.upload('locked.pdf', 'pdf', { receiveCount: 1 })), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor('locked.pdf')).toMatchObject({
      reason: 'PROCESSING_FAILED',
      error: 'AccessDenied: Access Denied',
    });
  });

  it('fails the message when even the last-receive quarantine fails, so SQS moves it to the DLQ', async () => {
    const h = ingestHarness();
    h.aws.s3.fault = (name) =>
      name === 'GetObjectCommand' || name === 'CopyObjectCommand'
        ? sdkError('InternalError', 500)
        : undefined;
    const response = await h.handler(
      sqsEvent(h.upload('doomed.png', 'png', { receiveCount: 5, messageId: 'doomed' })),
      ctx,
    );
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'doomed' }]);
    expect(h.items()).toHaveLength(0);
    expect(h.aws.s3.get(INPUT_BUCKET, 'doomed.png')).toBeDefined();
  });

  it('retries a failed delete on redelivery without losing the file', async () => {
    const h = ingestHarness();
    const record = h.upload('twice.exe', 'exe', { messageId: 'x' });
    h.aws.s3.fault = (name) =>
      name === 'DeleteObjectCommand' ? sdkError('ServiceUnavailable', 503) : undefined;
    expect((await h.handler(sqsEvent(record), ctx)).batchItemFailures).toEqual([{ itemIdentifier: 'x' }]);
    h.aws.s3.fault = undefined;
    expect((await h.handler(sqsEvent(record), ctx)).batchItemFailures).toEqual([]);
    expect(h.itemFor('twice.exe')).toMatchObject({ reason: 'BLOCKED_TYPE' });
    expect(h.aws.s3.get(INPUT_BUCKET, 'twice.exe')).toBeUndefined();
  });

  it('fails a message when any of its files fails, and still records the others', async () => {
    const h = ingestHarness();
    h.aws.s3.put(INPUT_BUCKET, 'a.png', sampleFile('png').bytes);
    h.aws.s3.put(INPUT_BUCKET, 'b.png', sampleFile('png').bytes);
    h.aws.s3.fault = (name, input) =>
      name === 'GetObjectCommand' && input.Key === 'b.png' ? sdkError('SlowDown', 503) : undefined;
    const body = s3EventBody(
      realS3Record({ encodedKey: 'a.png', size: 79 }),
      realS3Record({ encodedKey: 'b.png', size: 79 }),
    );
    const response = await h.handler(sqsEvent(sqsRecord(body, { messageId: 'pair' })), ctx);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'pair' }]);
    expect(h.itemFor('a.png')).toMatchObject({ status: FileStatus.PROCESSED });
  });

  it('retries unprocessed items and fails exactly the messages whose records stay unwritten', async () => {
    // Prepare: DynamoDB never takes the record of b.png.
    const h = ingestHarness();
    h.aws.dynamo.unprocessed = (items) => items.filter((i) => i.key === 'b.png');
    const event = sqsEvent(
      h.upload('a.png', 'png', { messageId: 'a' }),
      h.upload('b.png', 'png', { messageId: 'b' }),
      h.upload('c.png', 'png', { messageId: 'c' }),
    );
    // Act
    const response = await h.handler(event, ctx);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'b' }]);
    expect(
      h
        .items()
        .map((i) => i.key)
        .sort(),
    ).toEqual(['a.png', 'c.png']);
    expect(h.aws.dynamo.count('BatchWriteCommand')).toBe(8);
    expect(h.sleeps).toHaveLength(7);
    expect(h.sleeps.every((ms) => ms <= 1000)).toBe(true);
  });

  it('stops starting files when the time budget runs low and reports the unstarted ones failed', async () => {
    // Prepare: one file at a time; after the second GET, only 1 s of the invocation remains.
    const h = ingestHarness({ tunables: { fileConcurrency: 1, timeSafetyMarginMs: 5000 } });
    const records = [1, 2, 3, 4].map((n) => h.upload(`f${n}.png`, 'png', { messageId: `m${n}` }));
    let gets = 0;
    h.aws.s3.fault = (name) => {
      if (name === 'GetObjectCommand') gets += 1;
      return undefined;
    };
    const context = lambdaContext(() => (gets >= 2 ? 1000 : 60_000));
    // Act
    const response = await h.handler(sqsEvent(...records), context);
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'm3' }, { itemIdentifier: 'm4' }]);
    expect(gets).toBe(2);
    expect(
      h
        .items()
        .map((i) => i.key)
        .sort(),
    ).toEqual(['f1.png', 'f2.png']);
  });
  it('still processes files when the function timeout is shorter than the configured safety margin', async () => {
    // Prepare: a 2 s invocation (a short local timeout) with the default 5 s margin.
    const h = ingestHarness({ tunables: { timeSafetyMarginMs: 5000 } });
    const event = sqsEvent(h.upload('short.png', 'png', { messageId: 'short' }));
    // Act
    const response = await h.handler(
      event,
      lambdaContext(() => 2000),
    );
    // Assess: the margin is capped at a quarter of the invocation, so the file is processed, not skipped.
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor('short.png')).toMatchObject({ status: FileStatus.PROCESSED });
  });
  it('gives up on a file still running near the timeout and returns in time, failing only its message', async () => {
    // Prepare: the read of hang.png never answers; 300 ms remain, the margin is 200 ms (give up at 100).
    const h = ingestHarness({ tunables: { timeSafetyMarginMs: 200 } });
    const { createS3ObjectStore } = await import('../../../src/adapters/s3ObjectStore.ts');
    const real = createS3ObjectStore(h.aws.clients.s3);
    const hanging = ingestHarness({
      tunables: { timeSafetyMarginMs: 200 },
      deps: {
        clients: h.aws.clients,
        objectStore: {
          ...real,
          readPrefix: (ref) => (ref.key === 'hang.png' ? new Promise(() => undefined) : real.readPrefix(ref)),
        },
      },
    });
    const event = sqsEvent(
      h.upload('ok.png', 'png', { messageId: 'ok' }),
      h.upload('hang.png', 'png', { messageId: 'hang' }),
    );
    // Act
    const response = await hanging.handler(
      event,
      lambdaContext(() => 300),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'hang' }]);
    expect(h.itemFor('ok.png')).toMatchObject({ status: FileStatus.PROCESSED });
    expect(h.itemFor('hang.png')).toBeUndefined();
  });
});

describe('ingest handler: messages that are not files', () => {
  it('sends a poison message to the DLQ with the error attached, and acknowledges it', async () => {
    const h = ingestHarness();
    const response = await h.handler(sqsEvent(sqsRecord('this is not JSON', { messageId: 'poison' })), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.aws.sqs.sent).toHaveLength(1);
    const sent = h.aws.sqs.sent[0] as {
      QueueUrl: string;
      MessageBody: string;
      MessageAttributes: Record<string, { StringValue: string }>;
    };
    expect(sent.QueueUrl).toBe(DLQ_URL);
    expect(sent.MessageBody).toBe('this is not JSON');
    expect(sent.MessageAttributes['silent-scalper-error']?.StringValue).toContain('body is not JSON');
    expect(sent.MessageAttributes['silent-scalper-error-name']?.StringValue).toBe('NotAnS3EventError');
    expect(sent.MessageAttributes['silent-scalper-source-message-id']?.StringValue).toBe('poison');
    expect(Date.parse(sent.MessageAttributes['silent-scalper-failed-at']?.StringValue ?? '')).not.toBeNaN();
    expect(h.aws.sns.published[0]?.MessageAttributes).toMatchObject({
      status: { StringValue: '["POISON"]' },
    });
  });

  it('reports the poison message failed when the DLQ send fails', async () => {
    const h = ingestHarness();
    h.aws.sqs.fault = () => sdkError('InternalError', 500);
    const response = await h.handler(sqsEvent(sqsRecord('{"Records":"nope"}', { messageId: 'poison' })), ctx);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: 'poison' }]);
  });

  it('acknowledges the s3:TestEvent and other event types without writing anything', async () => {
    const h = ingestHarness();
    const removed = s3EventBody(realS3Record({ encodedKey: 'x.png', eventName: 'ObjectRemoved:Delete' }));
    const response = await h.handler(sqsEvent(sqsRecord(s3TestEventBody()), sqsRecord(removed)), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.items()).toHaveLength(0);
    expect(h.aws.s3.total()).toBe(0);
    expect(h.aws.dynamo.count('BatchWriteCommand')).toBe(0);
    expect(h.aws.sqs.sent).toHaveLength(0);
  });
});

describe('ingest handler: alerts, logs and metrics', () => {
  it('publishes one alert per batch with filterable attributes and the keys', async () => {
    const h = ingestHarness();
    await h.handler(
      sqsEvent(h.upload('a.exe', 'exe'), h.upload('b.jpg', 'mismatch'), h.upload('c.png', 'png')),
      ctx,
    );
    expect(h.aws.sns.published).toHaveLength(1);
    const alert = h.aws.sns.published[0] as {
      Subject: string;
      Message: string;
      MessageAttributes: Record<string, unknown>;
    };
    expect(alert.Subject).toBe('Silent Scalper: 2 quarantined, 1 processed');
    expect(alert.MessageAttributes).toEqual({
      status: { DataType: 'String.Array', StringValue: '["QUARANTINED","PROCESSED"]' },
      reason: { DataType: 'String.Array', StringValue: '["BLOCKED_TYPE","TYPE_MISMATCH"]' },
    });
    expect(JSON.parse(alert.Message).files.map((f: { key: string }) => f.key)).toEqual(['a.exe', 'b.jpg']);
  });

  it('respects NOTIFY_MODE none and all', async () => {
    const none = ingestHarness({ tunables: { notifyMode: 'none' } });
    await none.handler(sqsEvent(none.upload('a.exe', 'exe')), ctx);
    expect(none.aws.sns.published).toHaveLength(0);
    const all = ingestHarness({ tunables: { notifyMode: 'all' } });
    await all.handler(sqsEvent(all.upload('a.png', 'png')), ctx);
    expect(all.aws.sns.published).toHaveLength(1);
  });

  it('never fails files when SNS fails: it logs and counts AlertPublishFailures', async () => {
    const h = ingestHarness();
    h.aws.sns.fault = () => sdkError('InternalError', 500);
    const response = await h.handler(sqsEvent(h.upload('a.exe', 'exe')), ctx);
    expect(response.batchItemFailures).toEqual([]);
    expect(h.itemFor('a.exe')).toBeDefined();
    expect(h.metrics.sum(IngestMetric.AlertPublishFailures)).toBe(1);
    expect(h.logger.lines.some((l) => l.level === 'error' && l.message === 'alert publish failed')).toBe(
      true,
    );
  });

  it('puts the message id and key on every log line about a file', async () => {
    const h = ingestHarness();
    h.aws.s3.fault = (name, input) =>
      name === 'GetObjectCommand' && input.Key === 'slow.png' ? sdkError('SlowDown', 503) : undefined;
    await h.handler(
      sqsEvent(h.upload('a.exe', 'exe'), h.upload('ok.png', 'png'), h.upload('slow.png', 'png')),
      ctx,
    );
    const fileLines = h.logger.lines.filter((l) => l.message !== 'batch done');
    expect(fileLines.length).toBeGreaterThanOrEqual(3);
    for (const line of fileLines) {
      expect(line.extra.messageId, line.message).toEqual(expect.any(String));
      expect(line.extra.key, line.message).toEqual(expect.any(String));
    }
  });

  it('emits the metrics of the batch once per invocation', async () => {
    const h = ingestHarness();
    h.aws.s3.fault = (name, input) =>
      name === 'GetObjectCommand' && input.Key === 'slow.png' ? sdkError('SlowDown', 503) : undefined;
    const gone = h.upload('gone.png', 'png');
    h.aws.s3.buckets.get(INPUT_BUCKET)?.delete('gone.png');
    await h.handler(
      sqsEvent(
        h.upload('a.png', 'png'),
        h.upload('b.exe', 'exe'),
        h.upload('c.jpg', 'mismatch'),
        h.upload('d.txt', 'empty'),
        gone,
        h.upload('slow.png', 'png'),
      ),
      ctx,
    );
    expect(h.metrics.flushes).toBe(1);
    expect(h.metrics.sum(IngestMetric.FilesProcessed)).toBe(1);
    expect(h.metrics.sum(IngestMetric.FilesGone)).toBe(1);
    expect(h.metrics.sum(IngestMetric.FilesFailed)).toBe(1);
    expect(h.metrics.sum(IngestMetric.BatchItemFailures)).toBe(1);
    expect(h.metrics.sum(IngestMetric.FilesQuarantined)).toBe(3);
    expect(
      h.metrics.points
        .filter((p) => p.name === IngestMetric.FilesQuarantined)
        .map((p) => p.dimensions?.reason)
        .sort(),
    ).toEqual(['BLOCKED_TYPE', 'EMPTY_FILE', 'TYPE_MISMATCH']);
    expect(h.metrics.sum(IngestMetric.BytesSniffed)).toBeGreaterThan(0);
    expect(h.metrics.points.filter((p) => p.name === IngestMetric.ProcessingDuration)).toHaveLength(5);
    expect(h.metrics.points.filter((p) => p.name === IngestMetric.QueueLatency)).toHaveLength(5);
  });
});

describe('ingest handler: configuration', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails the invocation with a message naming METADATA_TABLE when it is missing', async () => {
    vi.stubEnv('METADATA_TABLE', '');
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', '');
    const { handler } = await import('../../../src/handlers/ingest.ts');
    await expect(handler(sqsEvent(), ctx)).rejects.toThrow(/METADATA_TABLE/);
  });

  it('fails the Lambda cold start (module initialisation) when configuration is missing', async () => {
    vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', 'silent-scalper-ingest');
    vi.stubEnv('METADATA_TABLE', '');
    await expect(import('../../../src/handlers/ingest.ts')).rejects.toThrow(/METADATA_TABLE: is required/);
  });
});
