import { describe, expect, it } from 'vitest';
import { LiveView } from '../../../src/dashboard/liveView.ts';
import { FileStatus, QuarantineReason } from '../../../src/pipeline/constants.ts';
import type { FileRecord } from '../../../src/pipeline/types.ts';
import { fakeManifestTable, listedFiles, makeFileRecord } from '../../helpers/trackingRecords.ts';

const NOW = Date.parse('2026-11-25T12:00:00.000Z');
const at = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

/** The table's manifests, answered newest first in pages of `pageSize` (one batch per record). */
const fakeTable = (records: FileRecord[], pageSize = 3) => fakeManifestTable(records, pageSize);

const record = (i: number, secondsAgo: number, extra: Partial<FileRecord> = {}) =>
  makeFileRecord({ key: `dump/file-${i}.png`, processedAt: at(secondsAgo), mime: 'image/png', ...extra });

describe('LiveView', () => {
  it('loads the window newest first across shards and pages it with a cursor, without gaps or duplicates', async () => {
    // Prepare: 40 records, one every 10 s
    const records = Array.from({ length: 40 }, (_, i) => record(i, 400 - i * 10));
    const { dynamo } = fakeTable(records);
    const view = new LiveView({ dynamo, tableName: 't', windowHours: 1, now: () => NOW });
    // Act
    await view.load();
    const first = view.page({ limit: 15 });
    const second = view.page({ limit: 15, cursor: first?.nextCursor });
    const third = view.page({ limit: 15, cursor: second?.nextCursor });
    // Assess
    const keys = [...(first?.items ?? []), ...(second?.items ?? []), ...(third?.items ?? [])].map(
      (r) => r.key,
    );
    expect(keys).toEqual(records.map((r) => r.key).reverse());
    expect(view.size).toBe(40);
    // The window is bounded: after the last row, older records may be in the table, so the page says where.
    expect(third?.resumeCursor).toBe(new Date(NOW - 3_600_000).toISOString());
  });

  it('filters by status, reason, type and key prefix', async () => {
    const records = [
      record(1, 50, {
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.TYPE_MISMATCH,
        mime: 'application/pdf',
      }),
      record(2, 40, {
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.PROCESSING_FAILED,
        mime: undefined,
      }),
      record(3, 30),
      makeFileRecord({ key: 'other/x.png', processedAt: at(20), mime: 'image/png' }),
    ];
    const view = new LiveView({
      dynamo: fakeTable(records).dynamo,
      tableName: 't',
      windowHours: 0,
      now: () => NOW,
    });
    await view.load();
    const keys = (query: Parameters<LiveView['page']>[0]) => view.page(query)?.items.map((r) => r.key);
    expect(keys({ limit: 50, status: FileStatus.QUARANTINED })).toEqual([
      'dump/file-2.png',
      'dump/file-1.png',
    ]);
    expect(keys({ limit: 50, reason: QuarantineReason.PROCESSING_FAILED })).toEqual(['dump/file-2.png']);
    expect(keys({ limit: 50, type: 'unknown' })).toEqual(['dump/file-2.png']);
    expect(keys({ limit: 50, type: 'image/png', prefix: 'dump/' })).toEqual(['dump/file-3.png']);
    // Unbounded window and nothing cut: the view is the whole table, so no page points at the table.
    expect(view.page({ limit: 50 })?.resumeCursor).toBeUndefined();
  });

  it('picks up new records and rewrites on refresh, and counts each upload once', async () => {
    // Prepare
    const records = [record(1, 60), record(2, 50)];
    const table = fakeTable(records);
    let now = NOW;
    const view = new LiveView({ dynamo: table.dynamo, tableName: 't', now: () => now });
    await view.load();
    const before = view.dataVersion;
    // Act: a new file, and a redelivered event that rewrote file 2 (same item, later processedAt)
    now += 5000;
    records.push(record(3, -4));
    const rewritten = record(2, -5, {
      eventTime: records[1]?.eventTime,
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
    });
    expect(rewritten.sk).toBe(records[1]?.sk);
    records.splice(1, 1, rewritten);
    const changed = await view.refresh();
    // Assess
    expect(changed).toBe(true);
    expect(view.dataVersion).toBeGreaterThan(before);
    expect(view.page({ limit: 10 })?.items.map((r) => [r.key, r.status])).toEqual([
      ['dump/file-2.png', 'QUARANTINED'],
      ['dump/file-3.png', 'PROCESSED'],
      ['dump/file-1.png', 'PROCESSED'],
    ]);
    expect(view.aggregates().byStatus).toMatchObject({ PROCESSED: 2, QUARANTINED: 1 });
    // Nothing new: a refresh changes nothing.
    expect(await view.refresh()).toBe(false);
  });

  it('lists a file as quarantined only while its latest upload is quarantined', () => {
    const view = new LiveView({
      dynamo: fakeTable([]).dynamo,
      tableName: 't',
      windowHours: 0,
      now: () => NOW,
    });
    const quarantined = makeFileRecord({
      key: 'dump/flaky.csv',
      processedAt: at(100),
      eventTime: at(101),
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
    });
    view.apply(
      listedFiles([
        quarantined,
        record(9, 90, { status: FileStatus.QUARANTINED, reason: QuarantineReason.EMPTY_FILE }),
      ]),
    );
    expect(view.aggregates().quarantine.files.map((f) => f.key)).toEqual([
      'dump/file-9.png',
      'dump/flaky.csv',
    ]);
    // The retried copy is a new upload of the same key, processed fine.
    view.apply(
      listedFiles([
        makeFileRecord({ key: 'dump/flaky.csv', processedAt: at(10), eventTime: at(11), attempt: 1 }),
      ]),
    );
    const { quarantine, byStatus } = view.aggregates();
    expect(quarantine.files.map((f) => f.key)).toEqual(['dump/file-9.png']);
    expect(byStatus).toMatchObject({ PROCESSED: 1, QUARANTINED: 2 });
  });

  it('keeps at most maxRecords, then sends older pages to the table', async () => {
    const records = Array.from({ length: 30 }, (_, i) => record(i, 300 - i * 10));
    const view = new LiveView({
      dynamo: fakeTable(records).dynamo,
      tableName: 't',
      windowHours: 0,
      maxRecords: 10,
      now: () => NOW,
    });
    await view.load();
    expect(view.size).toBeLessThanOrEqual(10);
    expect(view.isTruncated).toBe(true);
    const first = view.page({ limit: 50 });
    // The newest rows come from memory, in order; the rest is below the view.
    expect(first?.items[0]?.key).toBe('dump/file-29.png');
    expect(first?.resumeCursor).toBe(first?.items.at(-1)?.id);
  });

  it('drops records that leave the window', async () => {
    const records = [record(1, 3500), record(2, 10)];
    let now = NOW;
    const view = new LiveView({
      dynamo: fakeTable(records).dynamo,
      tableName: 't',
      windowHours: 1,
      now: () => now,
    });
    await view.load();
    expect(view.size).toBe(2);
    now += 200_000;
    await view.refresh();
    expect(view.page({ limit: 10 })?.items.map((r) => r.key)).toEqual(['dump/file-2.png']);
  });
});
