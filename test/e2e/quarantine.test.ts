import {
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { sampleFile } from '../../src/local/samples.ts';
import { createDynamoOpsStore } from '../../src/ops/dynamoOpsStore.ts';
import { retryManual } from '../../src/ops/retryManual.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../src/pipeline/constants.ts';
import type { ObjectStore } from '../../src/pipeline/ports.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../../src/pipeline/quarantine.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import {
  type LocalPipeline,
  type LocalPipelineOptions,
  prefixedNames,
  startLocalPipeline,
  uploadRecords,
  waitFor,
} from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { quarantineEvidenceProblems } from '../helpers/quarantineEvidence.ts';

const moto = useMoto();
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });
const started: LocalPipeline[] = [];

afterAll(async () => {
  await Promise.all(started.map((p) => p.runner.stop()));
});

/**
 * The invariant, checked at the end of every test here (not in afterEach: the tests run concurrently):
 * each upload's bytes are in exactly one place, the place its latest record names.
 */
const expectEvidenceIntact = async (p: LocalPipeline) => {
  const problems = await quarantineEvidenceProblems(p.clients, {
    inputBucket: p.resources.inputBucket,
    quarantineBucket: p.resources.quarantineBucket,
    tableName: p.resources.tableName,
  });
  expect(problems).toEqual([]);
};

const pipelineFor = async (prefix: string, options: Partial<LocalPipelineOptions> = {}) => {
  const pipeline = await startLocalPipeline({
    endpoint: moto().endpoint,
    settings,
    names: prefixedNames(prefix),
    tunables: { timeSafetyMarginMs: 200 },
    ...options,
  });
  started.push(pipeline);
  return pipeline;
};

const put = (clients: AwsClients, bucket: string, key: string, bytes: Uint8Array) =>
  clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes }));

const bytesOf = async (clients: AwsClients, bucket: string, key: string, versionId?: string) => {
  const out = await clients.s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
  );
  return Buffer.from((await out.Body?.transformToByteArray()) ?? []);
};

const exists = (clients: AwsClients, bucket: string, key: string) =>
  clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );

const recordsOf = async (p: LocalPipeline, key: string): Promise<FileRecord[]> =>
  (await uploadRecords(p.clients, p.resources.tableName))
    .filter((r) => r.key === key)
    .sort((a, b) => a.attempt - b.attempt || a.eventTime.localeCompare(b.eventTime));

const untilRecords = (p: LocalPipeline, key: string, check: (records: FileRecord[]) => boolean) =>
  waitFor(`records of ${key}`, async () => check(await recordsOf(p, key)), { timeoutMs: 60_000 });

const retryDeps = (p: LocalPipeline, objects: ObjectStore) => {
  const store = createDynamoOpsStore(p.clients.dynamo, p.resources.tableName);
  return { objects, ledger: store, history: store };
};

const forceRetry = (p: LocalPipeline, key: string, objects: ObjectStore) =>
  retryManual(
    { keys: [key] },
    { inputBucket: p.resources.inputBucket, quarantineBucket: p.resources.quarantineBucket, force: true },
    retryDeps(p, objects),
  );

describe('the quarantine never loses evidence (local runtime, real handler and runner)', () => {
  it.concurrent('keeps both uploads of one key, each at the exact object its record names', async () => {
    // Prepare
    const p = await pipelineFor('two-uploads');
    const { clients, resources } = p;
    const first = sampleFile('exe', { seed: 1 }).bytes;
    const second = sampleFile('exe', { seed: 2 }).bytes;

    // Act: the same key twice, different bytes, the second after the first was quarantined
    await put(clients, resources.inputBucket, 'dump/evidence.exe', first);
    await untilRecords(p, 'dump/evidence.exe', (r) => r.length === 1);
    await put(clients, resources.inputBucket, 'dump/evidence.exe', second);
    await untilRecords(p, 'dump/evidence.exe', (r) => r.length === 2);

    // Assess: two records, two distinct objects, each holding its own upload's bytes
    const records = await recordsOf(p, 'dump/evidence.exe');
    expect(records.map((r) => [r.status, r.reason])).toEqual([
      [FileStatus.QUARANTINED, QuarantineReason.BLOCKED_TYPE],
      [FileStatus.QUARANTINED, QuarantineReason.BLOCKED_TYPE],
    ]);
    const places = new Set(records.map((r) => `${r.quarantineKey}?${r.quarantineVersionId}`));
    expect(places.size).toBe(2);
    const held = await Promise.all(
      records.map((r) =>
        bytesOf(clients, resources.quarantineBucket, r.quarantineKey ?? '', r.quarantineVersionId),
      ),
    );
    expect(held.map((b) => b.equals(Buffer.from(first)) || b.equals(Buffer.from(second)))).toEqual([
      true,
      true,
    ]);
    expect(held[0]?.equals(held[1] ?? Buffer.alloc(0))).toBe(false);
    for (const r of records) expect(r.quarantineVersionId).toBeTruthy();
    await expectEvidenceIntact(p);
  });

  it.concurrent('two uploads of identical bytes to one key: two records, two quarantine keys, both held', async () => {
    // Prepare: identical bytes have one ETag; only the event's sequencer (which the moto launcher adds,
    // as S3 sends it) tells the two uploads apart
    const p = await pipelineFor('same-bytes');
    const { clients, resources } = p;
    const bytes = sampleFile('exe', { seed: 6 }).bytes;

    // Act
    await put(clients, resources.inputBucket, 'twice.exe', bytes);
    await untilRecords(p, 'twice.exe', (r) => r.length === 1);
    await put(clients, resources.inputBucket, 'twice.exe', bytes);
    await untilRecords(p, 'twice.exe', (r) => r.length === 2);

    // Assess: each upload at its own key (`<key>@s:<sequencer>`), each holding the bytes
    const records = await recordsOf(p, 'twice.exe');
    expect(records.map((r) => r.etag)).toEqual([records[0]?.etag, records[0]?.etag]);
    expect(new Set(records.map((r) => r.uploadId)).size).toBe(2);
    const keys = records.map((r) => r.quarantineKey ?? '');
    for (const k of keys) expect(k).toMatch(/^twice\.exe@s:[0-9A-F]{18}$/);
    expect(new Set(keys).size).toBe(2);
    const { Versions = [] } = await clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: resources.quarantineBucket, Prefix: 'twice.exe@' }),
    );
    expect(Versions.map((v) => v.Key).sort()).toEqual([...keys].sort());
    for (const r of records)
      expect(
        (
          await bytesOf(clients, resources.quarantineBucket, r.quarantineKey ?? '', r.quarantineVersionId)
        ).equals(Buffer.from(bytes)),
      ).toBe(true);
    await expectEvidenceIntact(p);
  });

  it.concurrent('a file quarantined, retried back and quarantined again gets its own record and quarantine key', async () => {
    // Prepare
    const p = await pipelineFor('requarantine');
    const { clients, resources } = p;
    const bytes = sampleFile('exe', { seed: 7 }).bytes;
    await put(clients, resources.inputBucket, 'again.exe', bytes);
    await untilRecords(p, 'again.exe', (r) => r[0]?.status === FileStatus.QUARANTINED);
    const [first] = await recordsOf(p, 'again.exe');

    // Act
    const summary = await forceRetry(p, 'again.exe', createS3ObjectStore(clients.s3));
    await untilRecords(p, 'again.exe', (r) => r.some((u) => u.attempt === 1));

    // Assess: the copy back is a new upload (new sequencer) of the same bytes, so a second record and a
    // second quarantine key; the first key is empty again (the retry moved its object back)
    expect(summary).toMatchObject({ retried: 1, failed: 0 });
    const records = await recordsOf(p, 'again.exe');
    expect(records.map((r) => [r.attempt, r.status, r.reason])).toEqual([
      [0, FileStatus.QUARANTINED, QuarantineReason.BLOCKED_TYPE],
      [1, FileStatus.QUARANTINED, QuarantineReason.BLOCKED_TYPE],
    ]);
    const [, second] = records as [FileRecord, FileRecord];
    expect(second.uploadId).toMatch(/^s:/);
    expect(second.uploadId).not.toBe(first?.uploadId);
    expect(second.quarantineKey).not.toBe(first?.quarantineKey);
    expect(await exists(clients, resources.quarantineBucket, first?.quarantineKey ?? '')).toBe(false);
    const held = await bytesOf(
      clients,
      resources.quarantineBucket,
      second.quarantineKey ?? '',
      second.quarantineVersionId,
    );
    expect(held.equals(Buffer.from(bytes))).toBe(true);
    await expectEvidenceIntact(p);
  });

  it.concurrent('a retry whose delete is delayed past the re-quarantine leaves the file in exactly one place', async () => {
    // Prepare: a blocked file is quarantined; the retry's delete of the quarantined copy is held back
    // until the pipeline has re-quarantined the retried file (the slow-delete race of issue #11)
    const p = await pipelineFor('slow-delete');
    const { clients, resources } = p;
    const bytes = sampleFile('exe', { seed: 3 }).bytes;
    await put(clients, resources.inputBucket, 'slow.exe', bytes);
    await untilRecords(p, 'slow.exe', (r) => r[0]?.status === FileStatus.QUARANTINED);
    const real = createS3ObjectStore(clients.s3);
    let delayedDeletes = 0;
    const objects: ObjectStore = {
      ...real,
      deleteObject: async (ref) => {
        if (ref.bucket === resources.quarantineBucket) {
          delayedDeletes++;
          await untilRecords(p, 'slow.exe', (r) => r.some((u) => u.attempt === 1));
        }
        return real.deleteObject(ref);
      },
    };

    // Act
    const summary = await forceRetry(p, 'slow.exe', objects);

    // Assess: the retried upload is quarantined again and its bytes are where its record says
    expect(summary).toMatchObject({ retried: 1, failed: 0 });
    expect(delayedDeletes).toBe(1);
    const records = await recordsOf(p, 'slow.exe');
    expect(records.map((r) => [r.attempt, r.status])).toEqual([
      [0, FileStatus.QUARANTINED],
      [1, FileStatus.QUARANTINED],
    ]);
    const latest = records[1] as FileRecord;
    const held = await bytesOf(
      clients,
      resources.quarantineBucket,
      latest.quarantineKey ?? '',
      latest.quarantineVersionId,
    );
    expect(held.equals(Buffer.from(bytes))).toBe(true);
    expect(await exists(clients, resources.inputBucket, 'slow.exe')).toBe(false);
    const { steps } = await retryDeps(p, real).ledger.fileHistory(resources.inputBucket, 'slow.exe');
    expect(steps.map((s) => s.step)).toEqual([HistoryStep.RETRIED]);
    const { Versions = [] } = await clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: resources.quarantineBucket }),
    );
    expect(Versions.map((v) => v.VersionId)).toEqual([latest.quarantineVersionId]);
    await expectEvidenceIntact(p);
  });

  it.concurrent('a retry racing a new upload of the key never overwrites it', async () => {
    // Prepare: a blocked file is quarantined; a new upload lands on its input key just before the
    // retry's copy (after anything the retry could have checked)
    const p = await pipelineFor('race');
    const { clients, resources } = p;
    const blocked = sampleFile('exe', { seed: 4 }).bytes;
    const newer = sampleFile('png', { seed: 4 }).bytes;
    await put(clients, resources.inputBucket, 'race.png', blocked);
    await untilRecords(p, 'race.png', (r) => r[0]?.status === FileStatus.QUARANTINED);
    const real = createS3ObjectStore(clients.s3);
    const objects: ObjectStore = {
      ...real,
      copyObject: async (args) => {
        if (args.target.bucket === resources.inputBucket)
          await put(clients, resources.inputBucket, 'race.png', newer);
        return real.copyObject(args);
      },
    };

    // Act
    const summary = await forceRetry(p, 'race.png', objects);

    // Assess: skipped, the new upload intact and processed, the quarantined one still quarantined
    expect(summary.outcomes).toMatchObject([{ action: 'skipped', why: 'input-occupied' }]);
    expect((await bytesOf(clients, resources.inputBucket, 'race.png')).equals(Buffer.from(newer))).toBe(true);
    await untilRecords(p, 'race.png', (r) => r.some((u) => u.status === FileStatus.PROCESSED));
    const records = await recordsOf(p, 'race.png');
    expect(records.map((r) => r.status).sort()).toEqual([FileStatus.PROCESSED, FileStatus.QUARANTINED]);
    const quarantined = records.find((r) => r.status === FileStatus.QUARANTINED) as FileRecord;
    const held = await bytesOf(
      clients,
      resources.quarantineBucket,
      quarantined.quarantineKey ?? '',
      quarantined.quarantineVersionId,
    );
    expect(held.equals(Buffer.from(blocked))).toBe(true);
    await expectEvidenceIntact(p);
  });

  it.concurrent('quarantines a file above the in-place threshold within one invocation, without a copy', async () => {
    // Prepare: limits lowered for the test (a 200 GiB upload is the real case); copies are counted
    let copies = 0;
    const p = await pipelineFor('in-place', {
      tunables: { timeSafetyMarginMs: 200, maxFileSizeBytes: 4096, quarantineInPlaceBytes: 4096 },
      deps: (clients) => {
        const real = createS3ObjectStore(clients.s3);
        return {
          objectStore: {
            ...real,
            copyObject: async (args) => {
              copies++;
              return real.copyObject(args);
            },
          },
        };
      },
    });
    const { clients, resources } = p;
    const huge = sampleFile('png', { sizeBytes: 10_000 }).bytes;

    // Act
    await put(clients, resources.inputBucket, 'huge.png', huge);
    await untilRecords(p, 'huge.png', (r) => r.length === 1);

    // Assess: recorded where it is, tagged, nothing copied, done on the first receive
    const [record] = await recordsOf(p, 'huge.png');
    expect(record).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.TOO_LARGE,
      quarantinedInPlace: true,
      quarantineBucket: resources.inputBucket,
      quarantineKey: 'huge.png',
      receiveCount: 1,
    });
    expect(copies).toBe(0);
    expect(p.runner.counters().itemFailures).toBe(0);
    const tags = await clients.s3.send(
      new GetObjectTaggingCommand({ Bucket: resources.inputBucket, Key: 'huge.png' }),
    );
    expect(tags.TagSet).toContainEqual({ Key: IN_PLACE_TAG, Value: IN_PLACE_TAG_VALUE });
    const { Versions = [] } = await clients.s3.send(
      new ListObjectVersionsCommand({ Bucket: resources.quarantineBucket }),
    );
    expect(Versions).toEqual([]);
    await expectEvidenceIntact(p);
  });

  it.concurrent('retry releases an in-place quarantine: untagged, history says so, bytes untouched', async () => {
    // Prepare
    const p = await pipelineFor('release', {
      tunables: { timeSafetyMarginMs: 200, maxFileSizeBytes: 4096, quarantineInPlaceBytes: 4096 },
    });
    const { clients, resources } = p;
    const huge = sampleFile('png', { sizeBytes: 10_000, seed: 5 }).bytes;
    await put(clients, resources.inputBucket, 'release.png', huge);
    await untilRecords(p, 'release.png', (r) => r.length === 1);

    // Act
    const summary = await forceRetry(p, 'release.png', createS3ObjectStore(clients.s3));

    // Assess
    expect(summary).toMatchObject({ retried: 1, failed: 0 });
    const tags = await clients.s3.send(
      new GetObjectTaggingCommand({ Bucket: resources.inputBucket, Key: 'release.png' }),
    );
    expect(tags.TagSet?.map((t) => t.Key)).not.toContain(IN_PLACE_TAG);
    expect((await bytesOf(clients, resources.inputBucket, 'release.png')).equals(Buffer.from(huge))).toBe(
      true,
    );
    const store = createDynamoOpsStore(clients.dynamo, resources.tableName);
    const { steps } = await store.fileHistory(resources.inputBucket, 'release.png');
    expect(steps.map((s) => s.step)).toEqual([HistoryStep.RETRIED]);
    expect(steps[0]?.detail).toContain('released');
    await expectEvidenceIntact(p);
  });
});
