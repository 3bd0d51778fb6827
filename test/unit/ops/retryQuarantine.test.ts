import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY } from '../../../src/config/retryConfig.ts';
import { retryFile } from '../../../src/ops/retryFile.ts';
import { retryManual } from '../../../src/ops/retryManual.ts';
import { decideAutomatic, retryDueAtMs } from '../../../src/ops/retryPolicy.ts';
import { retryQuarantine } from '../../../src/ops/retryQuarantine.ts';
import { FileStatus, OBJECT_METADATA, QuarantineReason } from '../../../src/pipeline/constants.ts';
import { UPLOAD_ID_METADATA } from '../../../src/pipeline/quarantine.ts';
import type { FileRecord } from '../../../src/pipeline/types.ts';
import { FakeAlerts, FakeObjectStore, FakeTable } from '../../helpers/opsFakes.ts';
import { makeFileRecord } from '../../helpers/trackingRecords.ts';

const INPUT = 'in-bucket';
const QUARANTINE = 'q-bucket';
const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const policy = { ...DEFAULT_RETRY_POLICY, inputBucket: INPUT, quarantineBucket: QUARANTINE };

/** A file quarantined at T0 (+ offset) with its object in the quarantine bucket, as the handler leaves it. */
const quarantined = (
  env: { table: FakeTable; store: FakeObjectStore },
  key: string,
  args: { attempt?: number; reason?: QuarantineReason; atMs?: number; bucket?: string } = {},
): FileRecord => {
  const atMs = args.atMs ?? T0;
  const bucket = args.bucket ?? INPUT;
  const reason = args.reason ?? QuarantineReason.PROCESSING_FAILED;
  const record = makeFileRecord({
    bucket,
    key,
    status: FileStatus.QUARANTINED,
    reason,
    processedAt: iso(atMs),
    eventTime: iso(atMs - 1000),
    uploadId: `e:${key}-${args.attempt ?? 0}`,
    attempt: args.attempt ?? 0,
    quarantineBucket: QUARANTINE,
    quarantineKey: key,
    error: 'TimeoutError: read timed out',
  });
  env.table.items.push(record);
  env.store.put(QUARANTINE, key, {
    body: 'id,amount\n1,2\n',
    contentType: 'text/csv',
    metadata: {
      owner: 'team-a',
      ...(args.attempt ? { [OBJECT_METADATA.attempt]: String(args.attempt) } : {}),
      [OBJECT_METADATA.reason]: reason,
      [OBJECT_METADATA.sourceBucket]: bucket,
      [OBJECT_METADATA.sourceKey]: encodeURIComponent(key),
      [OBJECT_METADATA.quarantinedAt]: iso(atMs),
      [OBJECT_METADATA.error]: 'TimeoutError',
      [UPLOAD_ID_METADATA]: record.uploadId,
    },
    tags: { [OBJECT_METADATA.reason]: reason },
  });
  return record;
};

const setup = () => {
  const table = new FakeTable();
  const store = new FakeObjectStore();
  const alerts = new FakeAlerts();
  let clock = T0;
  const deps = { objects: store, ledger: table, history: table, alerts, now: () => clock };
  return { table, store, alerts, deps, at: (ms: number) => (clock = ms) };
};

describe('retry backoff', () => {
  it('is due baseDelay × 2^attempt after the quarantine', () => {
    expect([0, 1, 2].map((a) => (retryDueAtMs(T0, a, 60) - T0) / 1000)).toEqual([60, 120, 240]);
  });

  it('retries PROCESSING_FAILED when due, waits before, and exhausts at maxRetries', () => {
    const record = makeFileRecord({
      key: 'a.csv',
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      processedAt: iso(T0),
      attempt: 1,
    });
    const p = { maxRetries: 3, baseDelaySeconds: 60 };
    expect(decideAutomatic(record, [], p, T0 + 119_000)).toMatchObject({ action: 'skip', why: 'waiting' });
    expect(decideAutomatic(record, [], p, T0 + 120_000)).toEqual({ action: 'retry' });
    expect(decideAutomatic({ ...record, attempt: 3 }, [], p, T0)).toEqual({ action: 'exhaust' });
    expect(
      decideAutomatic({ ...record, reason: QuarantineReason.TYPE_MISMATCH }, [], p, T0 + 10 ** 9),
    ).toMatchObject({ action: 'skip', why: 'policy' });
    expect(decideAutomatic({ ...record, status: FileStatus.PROCESSED }, [], p, T0)).toMatchObject({
      why: 'not-quarantined',
    });
  });
});

describe('retryQuarantine (automatic pass)', () => {
  it('copies a due file back with attempt + 1, its content type and metadata, then removes it from quarantine', async () => {
    // Prepare
    const env = setup();
    quarantined(env, 'reports/q1.csv');
    env.at(T0 + 60_000);
    // Act
    const summary = await retryQuarantine(policy, env.deps);
    // Assess
    expect(summary).toMatchObject({ retried: 1, exhausted: 0, failed: 0 });
    const back = env.store.get(INPUT, 'reports/q1.csv');
    expect(back?.contentType).toBe('text/csv');
    expect(back?.metadata).toEqual({ owner: 'team-a', [OBJECT_METADATA.attempt]: '1' });
    expect(back?.tags).toEqual({ [OBJECT_METADATA.attempt]: '1' });
    expect(env.store.get(QUARANTINE, 'reports/q1.csv')).toBeUndefined();
    const [step] = env.table.steps('reports/q1.csv');
    expect(step).toMatchObject({
      step: 'RETRIED',
      attempt: 1,
      at: iso(T0 + 60_000),
      reason: 'PROCESSING_FAILED',
    });
    // Copy strictly before delete.
    const copyAt = env.store.calls.findIndex((c) => c.startsWith('copy'));
    const deleteAt = env.store.calls.findIndex((c) => c.startsWith('delete'));
    expect(copyAt).toBeGreaterThanOrEqual(0);
    expect(deleteAt).toBeGreaterThan(copyAt);
  });

  it('leaves a file alone before its backoff has passed, and says when it is due', async () => {
    const env = setup();
    quarantined(env, 'b.csv', { attempt: 1 });
    env.at(T0 + 100_000);
    const summary = await retryQuarantine(policy, env.deps);
    expect(summary.outcomes).toEqual([
      expect.objectContaining({ action: 'skipped', why: 'waiting', dueAt: iso(T0 + 120_000) }),
    ]);
    expect(env.store.get(INPUT, 'b.csv')).toBeUndefined();
  });

  it('never retries policy rejections automatically', async () => {
    const env = setup();
    quarantined(env, 'evil.exe', { reason: QuarantineReason.BLOCKED_TYPE });
    env.at(T0 + 10 * 86_400_000);
    const summary = await retryQuarantine({ ...policy, lookbackHours: 24 * 14 }, env.deps);
    expect(summary.retried).toBe(0);
    expect(env.store.get(QUARANTINE, 'evil.exe')).toBeDefined();
  });

  it('does not retry a file whose newer upload was processed', async () => {
    const env = setup();
    quarantined(env, 'c.csv');
    env.table.items.push(
      makeFileRecord({
        bucket: INPUT,
        key: 'c.csv',
        status: FileStatus.PROCESSED,
        processedAt: iso(T0 + 5000),
        eventTime: iso(T0 + 4000),
        attempt: 1,
      }),
    );
    env.at(T0 + 3_600_000);
    const summary = await retryQuarantine(policy, env.deps);
    expect(summary.outcomes).toEqual([
      expect.objectContaining({ action: 'skipped', why: 'not-quarantined' }),
    ]);
  });

  it('marks a file RETRY_EXHAUSTED once, with one alert, however many passes run', async () => {
    const env = setup();
    quarantined(env, 'd.csv', { attempt: 3 });
    env.at(T0 + 1000);
    const first = await retryQuarantine(policy, env.deps);
    const second = await retryQuarantine(policy, env.deps);
    expect(first.exhausted).toBe(1);
    expect(second.outcomes).toEqual([
      expect.objectContaining({ action: 'skipped', why: 'already-exhausted' }),
    ]);
    expect(env.table.steps('d.csv').map((s) => s.step)).toEqual(['RETRY_EXHAUSTED']);
    expect(env.alerts.published).toHaveLength(1);
    expect(env.alerts.published[0]?.message).toContain('s3://in-bucket/d.csv');
    expect(env.alerts.published[0]?.attributes.status).toEqual(['RETRY_EXHAUSTED']);
    // The file stays in quarantine for good.
    expect(env.store.get(QUARANTINE, 'd.csv')).toBeDefined();
  });

  it('keeps the quarantined object when the copy fails, and writes no RETRIED step', async () => {
    const env = setup();
    quarantined(env, 'e.csv');
    env.store.failCopy = new Error('AccessDenied');
    env.at(T0 + 61_000);
    const summary = await retryQuarantine(policy, env.deps);
    expect(summary.outcomes).toEqual([expect.objectContaining({ action: 'failed', detail: 'AccessDenied' })]);
    expect(env.store.get(QUARANTINE, 'e.csv')).toBeDefined();
    expect(env.table.steps('e.csv')).toEqual([]);
  });

  it('does not overwrite a newer upload waiting at the input key', async () => {
    const env = setup();
    quarantined(env, 'f.csv');
    env.store.put(INPUT, 'f.csv', { body: 'newer', metadata: {} });
    env.at(T0 + 61_000);
    const summary = await retryQuarantine(policy, env.deps);
    expect(summary.outcomes).toEqual([expect.objectContaining({ action: 'skipped', why: 'input-occupied' })]);
    expect(env.store.get(INPUT, 'f.csv')?.body).toBe('newer');
    expect(env.store.get(QUARANTINE, 'f.csv')).toBeDefined();
  });

  it('dry run decides and changes nothing', async () => {
    const env = setup();
    quarantined(env, 'g.csv');
    quarantined(env, 'h.csv', { attempt: 3 });
    env.at(T0 + 61_000);
    const summary = await retryQuarantine({ ...policy, dryRun: true }, env.deps);
    expect(summary).toMatchObject({ dryRun: true, retried: 1, exhausted: 1 });
    expect(env.store.calls.filter((c) => !c.startsWith('head'))).toEqual([]);
    expect(env.table.steps('g.csv')).toEqual([]);
    expect(env.alerts.published).toEqual([]);
  });
});

describe('retryManual', () => {
  it('needs --force for a policy rejection', async () => {
    const env = setup();
    quarantined(env, 'i.pdf', { reason: QuarantineReason.TYPE_MISMATCH });
    const refused = await retryManual(
      { keys: ['i.pdf'] },
      { inputBucket: INPUT, quarantineBucket: QUARANTINE },
      env.deps,
    );
    expect(refused.outcomes).toEqual([expect.objectContaining({ action: 'skipped', why: 'needs-force' })]);
    expect(env.store.get(INPUT, 'i.pdf')).toBeUndefined();
    const forced = await retryManual(
      { keys: ['i.pdf'] },
      { inputBucket: INPUT, quarantineBucket: QUARANTINE, force: true },
      env.deps,
    );
    expect(forced.retried).toBe(1);
    expect(env.store.get(INPUT, 'i.pdf')?.metadata[OBJECT_METADATA.attempt]).toBe('1');
    expect(env.table.steps('i.pdf')[0]?.detail).toMatch(/^manual retry 1/);
  });

  it('retries by reason, ignoring backoff, and reports unknown keys', async () => {
    const env = setup();
    quarantined(env, 'j.csv');
    quarantined(env, 'k.png', { reason: QuarantineReason.EMPTY_FILE });
    const byReason = await retryManual(
      { reason: QuarantineReason.PROCESSING_FAILED },
      { inputBucket: INPUT, quarantineBucket: QUARANTINE },
      env.deps,
    );
    expect(byReason.outcomes.map((o) => [o.key, o.action])).toEqual([['j.csv', 'retried']]);
    const unknown = await retryManual(
      { keys: ['nope.txt'] },
      { inputBucket: INPUT, quarantineBucket: QUARANTINE },
      env.deps,
    );
    expect(unknown.outcomes).toEqual([expect.objectContaining({ action: 'skipped', why: 'not-found' })]);
  });

  it('--all --dry-run lists every quarantined file and touches none', async () => {
    const env = setup();
    quarantined(env, 'l.csv');
    quarantined(env, 'm.exe', { reason: QuarantineReason.BLOCKED_TYPE });
    const summary = await retryManual(
      { all: true },
      { inputBucket: INPUT, quarantineBucket: QUARANTINE, dryRun: true, force: true },
      env.deps,
    );
    expect(summary.outcomes.map((o) => o.action).sort()).toEqual(['would-retry', 'would-retry']);
    expect(env.store.get(INPUT, 'l.csv')).toBeUndefined();
  });
});

describe('several sources', () => {
  const PARTNER = 'partner-bucket';
  const ROGUE = 'rogue-bucket';
  const sources = { ...policy, sourceBuckets: [INPUT, PARTNER] };

  it('the automatic pass copies each file back into its own source bucket and refuses a bucket that is no source', async () => {
    // Prepare
    const env = setup();
    quarantined(env, 'p/one.csv', { bucket: PARTNER });
    quarantined(env, 'r/planted.csv', { bucket: ROGUE });
    env.at(T0 + 61_000);
    // Act
    const summary = await retryQuarantine(sources, env.deps);
    // Assess
    expect(summary).toMatchObject({ examined: 2, retried: 1, skipped: 1, failed: 0 });
    expect(env.store.get(PARTNER, 'p/one.csv')?.metadata[OBJECT_METADATA.attempt]).toBe('1');
    expect(env.store.get(INPUT, 'p/one.csv')).toBeUndefined();
    const refused = summary.outcomes.find((o) => o.bucket === ROGUE);
    expect(refused).toMatchObject({ action: 'skipped', why: 'not-a-source', reason: 'PROCESSING_FAILED' });
    expect(refused?.detail).toContain(
      `bucket ${ROGUE} is not a source of this pipeline (sources: ${INPUT}, ${PARTNER})`,
    );
    // Nothing copied anywhere, nothing deleted, no step: the quarantined object stays.
    expect(env.store.get(ROGUE, 'r/planted.csv')).toBeUndefined();
    expect(env.store.get(INPUT, 'r/planted.csv')).toBeUndefined();
    expect(env.store.get(QUARANTINE, 'r/planted.csv')).toBeDefined();
    expect(env.table.steps('r/planted.csv')).toEqual([]);
  });

  it('without sourceBuckets only the primary is a source (the configuration from before several sources)', async () => {
    const env = setup();
    quarantined(env, 'p/two.csv', { bucket: PARTNER });
    env.at(T0 + 61_000);
    const summary = await retryQuarantine(policy, env.deps);
    expect(summary.outcomes).toEqual([expect.objectContaining({ action: 'skipped', why: 'not-a-source' })]);
    expect(env.store.get(PARTNER, 'p/two.csv')).toBeUndefined();
  });

  it('retryManual takes keys of another source with `bucket`, and refuses keys of a bucket that is no source unread', async () => {
    const env = setup();
    quarantined(env, 'p/three.csv', { bucket: PARTNER });
    quarantined(env, 'r/four.csv', { bucket: ROGUE });
    const byKey = await retryManual({ keys: ['p/three.csv'], bucket: PARTNER }, sources, env.deps);
    const calls = env.store.calls.length;
    const rogue = await retryManual({ keys: ['r/four.csv'], bucket: ROGUE }, sources, env.deps);
    expect(byKey.outcomes).toEqual([expect.objectContaining({ bucket: PARTNER, action: 'retried' })]);
    expect(env.store.get(PARTNER, 'p/three.csv')).toBeDefined();
    expect(rogue.outcomes).toEqual([expect.objectContaining({ bucket: ROGUE, why: 'not-a-source' })]);
    expect(env.store.calls.length).toBe(calls);
  });

  it('retryFile itself refuses a record whose bucket is not in the sources, whatever the caller filtered', async () => {
    const env = setup();
    const record = quarantined(env, 'r/five.csv', { bucket: ROGUE });
    const result = await retryFile(
      record,
      { quarantineBucket: QUARANTINE, sources: new Set([INPUT, PARTNER]) },
      { objects: env.store, history: env.table, now: () => T0 },
    );
    expect(result).toMatchObject({ status: 'skipped', why: 'not-a-source' });
    expect(env.store.calls).toEqual([]);
  });
});
