import { describe, expect, it } from 'vitest';
import { FileStatus, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { TransientError } from '../../../src/pipeline/errors.ts';
import { compilePolicy } from '../../../src/pipeline/policyDocument.ts';
import type { IngestMessage } from '../../../src/pipeline/ports.ts';
import { type IngestPipelineConfig, parseBatch, processBatch } from '../../../src/pipeline/processBatch.ts';
import { type FileProcessingConfig, processFile } from '../../../src/pipeline/processFile.ts';
import { quarantineKeyOf } from '../../../src/pipeline/quarantine.ts';
import type { S3ObjectEvent } from '../../../src/pipeline/s3Event.ts';
import { fakePorts } from '../../helpers/fakePorts.ts';

const INPUT = 'in-bucket';
const QUARANTINE = 'q-bucket';
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52,
]);
const EXE = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0, 0xff, 0xff, 0, 0]);

const config: IngestPipelineConfig & FileProcessingConfig = {
  quarantineBucket: QUARANTINE,
  maxReceives: 5,
  sniffBytes: 4100,
  fileConcurrency: 4,
  maxFileSizeBytes: 1024 * 1024,
  quarantineInPlaceBytes: 1024 ** 3,
  blockedTypes: ['exe'],
  notifyMode: 'failures',
  alertMaxKeys: 20,
  timeSafetyMarginMs: 1000,
  policy: compilePolicy(undefined, { maxFileSizeBytes: 1024 * 1024, blockedTypes: ['exe'] }),
};

const EVENT_TIME = '2026-12-01T10:00:00.000Z';

/** An upload in the fake input bucket and the event S3 would send for it. */
const upload = (ports: ReturnType<typeof fakePorts>, key: string, bytes: Uint8Array): S3ObjectEvent => {
  const eTag = ports.put(INPUT, key, bytes);
  return {
    eventName: 'ObjectCreated:Put',
    bucket: INPUT,
    key,
    size: bytes.length,
    eTag,
    eventTime: EVENT_TIME,
    uploadId: `e:${eTag}`,
  };
};

const message = (receiveCount: number, messageId = 'm1') => ({ messageId, receiveCount, sentTimestampMs: 0 });

const s3Body = (event: S3ObjectEvent): string =>
  JSON.stringify({
    Records: [
      {
        eventName: event.eventName,
        eventTime: event.eventTime,
        s3: {
          bucket: { name: event.bucket },
          object: { key: encodeURIComponent(event.key), size: event.size, eTag: event.eTag },
        },
      },
    ],
  });

/** True for the first readPrefix call of the run: the read that sends a last-receive file to the fallback. */
const isFirstRead = (ports: ReturnType<typeof fakePorts>, call: string): boolean =>
  call === 'readPrefix' && ports.calls.filter((c) => c === 'readPrefix').length === 1;

const budgetOf = (ms: number) => {
  const end = Date.now() + ms;
  return { remainingMs: () => end - Date.now() };
};

describe('processFile on fake ports', () => {
  it('acknowledges a redelivered upload that already has its final record, moving and rewriting nothing', async () => {
    // Prepare: the first delivery recorded the PNG PROCESSED (its delete failed, so it comes back)
    const ports = fakePorts();
    const event = upload(ports, 'photo.png', PNG);
    const first = await processFile(event, message(1), config, ports.deps);
    if (first.kind !== 'record') throw new Error('first delivery did not produce a record');
    await ports.deps.metadataStore.batchPut([first.record]);
    // A transient error on the last receive would send it to the PROCESSING_FAILED fallback
    ports.fault = (call) => (call === 'readPrefix' ? new TransientError('503 SlowDown') : undefined);

    // Act
    const again = await processFile(event, message(5, 'm2'), config, ports.deps);

    // Assess
    expect(again.kind).toBe('finished');
    expect(ports.has(INPUT, 'photo.png')).toBe(true);
    expect(ports.has(QUARANTINE, quarantineKeyOf('photo.png', event.uploadId))).toBe(false);
    expect(ports.items()).toHaveLength(1);
    expect(ports.items()[0]).toMatchObject({ status: FileStatus.PROCESSED, messageId: 'm1' });
  });

  it('on the last receive, looks up the record before the fallback and never moves a finished file', async () => {
    // Prepare: the record lookup itself fails once on the redelivery, then the read fails
    const ports = fakePorts();
    const event = upload(ports, 'ok.png', PNG);
    const first = await processFile(event, message(1), config, ports.deps);
    if (first.kind !== 'record') throw new Error('no record');
    await ports.deps.metadataStore.batchPut([first.record]);
    let lookups = 0;
    ports.fault = (call) => {
      if (call === 'fileHistory' && ++lookups === 1) return new TransientError('throttled');
      return undefined;
    };

    // Act
    const outcome = await processFile(event, message(5, 'm2'), config, ports.deps);

    // Assess: the fallback's own lookup found the record
    expect(outcome.kind).toBe('finished');
    expect(ports.has(QUARANTINE, quarantineKeyOf('ok.png', event.uploadId))).toBe(false);
    expect(ports.calls.filter((c) => c === 'copyObject')).toEqual([]);
  });

  it('quarantines a file without a record as PROCESSING_FAILED on its last receive', async () => {
    // Prepare
    const ports = fakePorts();
    const event = upload(ports, 'stuck.png', PNG);
    ports.fault = (call) => (call === 'readPrefix' ? new TransientError('503') : undefined);

    // Act
    const outcome = await processFile(event, message(5), config, ports.deps);

    // Assess
    expect(outcome.kind).toBe('record');
    if (outcome.kind !== 'record') return;
    expect(outcome.record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
    });
    expect(ports.has(QUARANTINE, quarantineKeyOf('stuck.png', event.uploadId))).toBe(true);
    expect(ports.has(INPUT, 'stuck.png')).toBe(false);
  });

  it('recognises a copy whose response was lost: the next attempt ends with the file in quarantine only', async () => {
    // Prepare: the copy is done but its answer is lost, so the delete never runs
    const ports = fakePorts();
    const event = upload(ports, 'tool.exe', EXE);
    ports.fault = (call) => (call === 'copyObject' ? 'afterWork' : undefined);
    const first = await processFile(event, message(1), config, ports.deps);
    expect(first.kind).toBe('failed');
    expect([
      ports.has(INPUT, 'tool.exe'),
      ports.has(QUARANTINE, quarantineKeyOf('tool.exe', event.uploadId)),
    ]).toEqual([true, true]);

    // Act: the redelivery, without faults
    ports.fault = undefined;
    const second = await processFile(event, message(2, 'm2'), config, ports.deps);

    // Assess
    expect(second.kind).toBe('record');
    if (second.kind !== 'record') return;
    expect(second.record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.BLOCKED_TYPE,
    });
    expect([
      ports.has(INPUT, 'tool.exe'),
      ports.has(QUARANTINE, quarantineKeyOf('tool.exe', event.uploadId)),
    ]).toEqual([false, true]);
  });

  it('rebuilds the record from its own quarantine copy when the move was done but the record was not written', async () => {
    // Prepare: a first delivery moved the file; its record write was lost
    const ports = fakePorts();
    const event = upload(ports, 'tool.exe', EXE);
    const first = await processFile(event, message(1), config, ports.deps);
    expect(first.kind).toBe('record');

    // Act
    const again = await processFile(event, message(2, 'm2'), config, ports.deps);

    // Assess
    expect(again.kind).toBe('record');
    if (again.kind !== 'record') return;
    expect(again.record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.BLOCKED_TYPE,
    });
  });

  it.each([
    ['redelivered', message(2, 'm2')],
    [
      'replayed from the DLQ',
      { messageId: 'm3', receiveCount: 1, sentTimestampMs: Date.parse(EVENT_TIME) + 600_000 },
    ],
  ])(
    'completes a quarantine an earlier delivery began when the message is %s, never leaving a stray copy',
    async (_, again) => {
      // Prepare: the last-receive fallback copied the PNG to quarantine, then its delete of the input failed
      const ports = fakePorts();
      const event = upload(ports, 'slow.png', PNG);
      ports.fault = (call) =>
        isFirstRead(ports, call)
          ? new TransientError('503')
          : call === 'deleteObject'
            ? new TransientError('500 InternalError')
            : undefined;
      const first = await processFile(event, message(5), config, ports.deps);
      expect(first.kind).toBe('failed');
      const quarantineKey = quarantineKeyOf('slow.png', event.uploadId);
      expect([ports.has(INPUT, 'slow.png'), ports.has(QUARANTINE, quarantineKey)]).toEqual([true, true]);

      // Act: the message comes back without faults; the file itself would now be accepted
      ports.fault = undefined;
      const outcome = await processFile(event, again, config, ports.deps);

      // Assess: the earlier decision stands, and the bytes are in exactly one place, the one recorded
      expect(outcome.kind).toBe('record');
      if (outcome.kind !== 'record') return;
      expect(outcome.record).toMatchObject({
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.PROCESSING_FAILED,
        quarantineBucket: QUARANTINE,
        quarantineKey,
      });
      expect([ports.has(INPUT, 'slow.png'), ports.has(QUARANTINE, quarantineKey)]).toEqual([false, true]);
    },
  );

  it('records a large file that an earlier delivery quarantined in place as QUARANTINED, not PROCESSED', async () => {
    // Prepare: files above 8 bytes are quarantined in place; the fallback tagged the PNG, then its record
    // write was lost and the message went to the DLQ
    const inPlace = { ...config, quarantineInPlaceBytes: 8 };
    const ports = fakePorts();
    const event = upload(ports, 'huge.png', PNG);
    ports.fault = (call) => (isFirstRead(ports, call) ? new TransientError('503') : undefined);
    const first = await processFile(event, message(5), inPlace, ports.deps);
    expect(first.kind === 'record' && first.record.quarantinedInPlace).toBe(true);

    // Act: replayed from the DLQ, no faults; the file itself would be accepted
    ports.fault = undefined;
    const replay = { messageId: 'm2', receiveCount: 1, sentTimestampMs: Date.parse(EVENT_TIME) + 600_000 };
    const outcome = await processFile(event, replay, inPlace, ports.deps);

    // Assess
    expect(outcome.kind).toBe('record');
    if (outcome.kind !== 'record') return;
    expect(outcome.record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      quarantineBucket: INPUT,
      quarantineKey: 'huge.png',
      quarantinedInPlace: true,
    });
  });

  it('on a first delivery of an accepted file, reads only the file: no record lookup, no quarantine read', async () => {
    // Prepare: sent a second after the upload, as S3 does
    const ports = fakePorts();
    const event = upload(ports, 'fresh.png', PNG);
    const first = { messageId: 'm1', receiveCount: 1, sentTimestampMs: Date.parse(EVENT_TIME) + 1000 };

    // Act
    const outcome = await processFile(event, first, config, ports.deps);

    // Assess
    expect(outcome.kind === 'record' && outcome.record.status).toBe(FileStatus.PROCESSED);
    expect(ports.calls).toEqual(['readPrefix']);
  });
});

describe('processBatch steps on fake ports', () => {
  it('parse: separates poison and starts files on their last receive first', () => {
    // Prepare
    const ports = fakePorts();
    const a = upload(ports, 'a.png', PNG);
    const b = upload(ports, 'b.png', PNG);
    const messages: IngestMessage[] = [
      { messageId: 'a', body: s3Body(a), receiveCount: 1, sentTimestampMs: 0 },
      { messageId: 'x', body: 'not json', receiveCount: 1, sentTimestampMs: 0 },
      { messageId: 'b', body: s3Body(b), receiveCount: 5, sentTimestampMs: 0 },
    ];

    // Act
    const parsed = parseBatch(messages, ports.deps.logger);

    // Assess
    expect(parsed.tasks.map((t) => t.message.messageId)).toEqual(['b', 'a']);
    expect(parsed.poison.map((p) => p.message.messageId)).toEqual(['x']);
  });

  it('acknowledges a finished redelivery without writing, and answers in time when the table never does', async () => {
    // Prepare: one upload already finished; BatchWriteItem hangs for the next one
    const ports = fakePorts();
    const done = upload(ports, 'done.png', PNG);
    const first = await processFile(done, message(1, 'd1'), config, ports.deps);
    if (first.kind !== 'record') throw new Error('no record');
    await ports.deps.metadataStore.batchPut([first.record]);
    const fresh = upload(ports, 'fresh.png', PNG);
    const hanging = ports.deps.metadataStore;
    const deps = {
      ...ports.deps,
      metadataStore: { ...hanging, batchPut: () => new Promise<never>(() => {}) },
    };
    const messages: IngestMessage[] = [
      { messageId: 'd2', body: s3Body(done), receiveCount: 2, sentTimestampMs: 0 },
      { messageId: 'f1', body: s3Body(fresh), receiveCount: 1, sentTimestampMs: 0 },
    ];

    // Act
    const started = Date.now();
    const outcome = await processBatch(messages, budgetOf(2000), config, deps);

    // Assess: the finished one is acknowledged, the unwritten one retried, all within the 2 s budget
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome.filesAlreadyFinished).toBe(1);
    expect(outcome.response.batchItemFailures).toEqual([{ itemIdentifier: 'f1' }]);
    expect(outcome.written).toEqual([]);
  });
});
