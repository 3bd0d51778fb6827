import { HeadObjectCommand } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { afterAll, describe, expect, it } from 'vitest';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { SAMPLE_EXPECTATIONS, SAMPLE_KINDS, type SampleKind, sampleFile } from '../../src/local/samples.ts';
import { FileStatus, QuarantineReason } from '../../src/pipeline/constants.ts';
import {
  type LocalPipeline,
  queueCounts,
  startLocalPipeline,
  uploadFiles,
  uploadRecords,
  waitFor,
} from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();

/** Files above this size are quarantined TOO_LARGE in this run (small, so the test stays fast). */
const MAX_FILE_SIZE_BYTES = 64 * 1024;
const FILE_COUNT = 208;

type Kind = SampleKind | 'tooLarge';
const KINDS: readonly Kind[] = [...SAMPLE_KINDS, 'tooLarge'];

/** Key styles a real dump contains; the last one is 1,000 bytes long (S3 allows 1,024). */
const keyFor = (i: number, ext: string): string => {
  const name = `file-${String(i).padStart(4, '0')}.${ext}`;
  switch (i % 6) {
    case 0:
      return `dump/with spaces/${name.replace('-', ' ')}`;
    case 1:
      return `dump/a+b=c/${name.replace('-', '+')}`;
    case 2:
      return `dump/100%/${name.replace('-', '%20')}`;
    case 3:
      return `dump/ünïcødé/日本語/📦-${name}`;
    case 4: {
      const tail = `/${name}`;
      return `dump/long/${'x'.repeat(1000 - 'dump/long/'.length - tail.length)}${tail}`;
    }
    default:
      return `dump/plain/${name}`;
  }
};

const expected = (kind: Kind) =>
  kind === 'tooLarge'
    ? { status: FileStatus.QUARANTINED, reason: QuarantineReason.TOO_LARGE }
    : SAMPLE_EXPECTATIONS[kind];

describe('a dump of mixed files through the local pipeline (moto + runner + real handler)', () => {
  let pipeline: LocalPipeline | undefined;
  afterAll(async () => {
    await pipeline?.runner.stop();
  });

  it(`leaves each of ${FILE_COUNT} files in exactly one terminal state, and nothing in the queues`, async () => {
    // Prepare: the dump, every kind (good and bad) under every key style
    const files = Array.from({ length: FILE_COUNT }, (_, i) => {
      const kind = KINDS[i % KINDS.length] as Kind;
      const sample =
        kind === 'tooLarge'
          ? sampleFile('csv', { seed: i, sizeBytes: MAX_FILE_SIZE_BYTES + 1 })
          : sampleFile(kind, { seed: i });
      return { kind, key: keyFor(i, sample.ext), sample };
    });
    expect(new Set(files.map((f) => f.key)).size).toBe(FILE_COUNT);
    expect(Math.max(...files.map((f) => Buffer.byteLength(f.key)))).toBe(1000);
    const settings = resolvePipelineSettings({ functionTimeoutSeconds: 10 });
    pipeline = await startLocalPipeline({
      endpoint: moto().endpoint,
      settings,
      tunables: { maxFileSizeBytes: MAX_FILE_SIZE_BYTES, timeSafetyMarginMs: 1000 },
    });
    const { clients, resources, runner } = pipeline;

    // Act: upload while the runner drains (4 parallel PUTs: moto's best concurrency)
    const started = performance.now();
    await uploadFiles(clients, resources.inputBucket, files);
    const uploadedMs = performance.now() - started;
    await waitFor(
      'every file recorded and the queue empty',
      async () => {
        const counts = await queueCounts(clients, resources.queueUrl);
        return (
          counts.visible + counts.inFlight === 0 &&
          (await uploadRecords(clients, resources.tableName)).length >= FILE_COUNT
        );
      },
      { timeoutMs: 180_000, intervalMs: 500 },
    );
    const drainedMs = performance.now() - started;
    console.info(
      `dump of ${FILE_COUNT}: uploaded in ${(uploadedMs / 1000).toFixed(1)} s, all processed after ${(drainedMs / 1000).toFixed(1)} s ` +
        `(${(FILE_COUNT / (drainedMs / 1000)).toFixed(0)} files/s end to end); runner ${JSON.stringify(runner.counters())}`,
    );

    // Assess: one record per file, in the state its kind calls for
    const records = await uploadRecords(clients, resources.tableName);
    const byKey = new Map<string, typeof records>();
    for (const r of records) byKey.set(r.key, [...(byKey.get(r.key) ?? []), r]);
    expect(records).toHaveLength(FILE_COUNT);
    for (const f of files) {
      const found = byKey.get(f.key) ?? [];
      expect(found, f.key).toHaveLength(1);
      const [record] = found;
      const want = expected(f.kind);
      expect({ key: record?.key, status: record?.status, reason: record?.reason }).toEqual({
        key: f.key,
        status: want.status,
        reason: want.reason,
      });
    }

    // quarantined files moved (in the quarantine bucket, gone from input); processed ones stay
    const exists = async (bucket: string, key: string) =>
      clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
        () => true,
        () => false,
      );
    const check = pLimit(4);
    await Promise.all(
      files.map((f) =>
        check(async () => {
          const record = byKey.get(f.key)?.[0];
          if (record?.status === FileStatus.QUARANTINED) {
            expect(record.quarantineBucket).toBe(resources.quarantineBucket);
            expect(await exists(resources.quarantineBucket, record.quarantineKey ?? ''), f.key).toBe(true);
            expect(await exists(resources.inputBucket, f.key), f.key).toBe(false);
          } else {
            expect(await exists(resources.inputBucket, f.key), f.key).toBe(true);
          }
        }),
      ),
    );

    // nothing left anywhere; every message (the files + the s3:TestEvent) deleted, none failed
    expect(await queueCounts(clients, resources.queueUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await queueCounts(clients, resources.dlqUrl)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    const counters = runner.counters();
    expect(counters).toMatchObject({ batchFailures: 0, itemFailures: 0, deleteFailures: 0 });
    // S3 notifications are at-least-once: a retried PUT may add an event, never remove one.
    expect(counters.messagesDeleted).toBe(counters.messagesReceived);
    expect(counters.messagesDeleted).toBeGreaterThanOrEqual(FILE_COUNT + 1);
  });
});
