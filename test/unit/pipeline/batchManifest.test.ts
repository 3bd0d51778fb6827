import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/powertools.ts';
import {
  buildBatchManifest,
  decodeManifest,
  writeRecordsWithManifest,
} from '../../../src/pipeline/batchManifest.ts';
import { FileStatus, QuarantineReason } from '../../../src/pipeline/constants.ts';
import type { MetadataStore, TableItem } from '../../../src/pipeline/ports.ts';
import type { BatchManifestItem, FileRecord } from '../../../src/pipeline/types.ts';
import { makeFileRecord } from '../../helpers/trackingRecords.ts';

const AT = Date.parse('2026-12-01T10:00:00.000Z');
const iso = (msBefore: number) => new Date(AT - msBefore).toISOString();
const asItem = (m: BatchManifestItem) => m as unknown as Record<string, unknown>;

const batch = (): FileRecord[] => [
  makeFileRecord({ key: 'dump/a.png', processedAt: iso(300), mime: 'image/png', ext: 'png' }),
  makeFileRecord({
    key: 'dump/"quoted" ü 日本.txt',
    processedAt: iso(100),
    contentClass: 'text',
    declaredContentType: 'text/plain',
  }),
  makeFileRecord({
    key: 'dump/evil.exe',
    processedAt: iso(200),
    status: FileStatus.QUARANTINED,
    reason: QuarantineReason.BLOCKED_TYPE,
    error: 'extension .exe',
    declaredContentType: 'image/png',
  }),
];

describe('batch manifest', () => {
  it('lists every file of the batch with what a listing shows, hostile keys intact', () => {
    // Act
    const { manifests } = buildBatchManifest(batch(), AT);
    const listed = manifests.flatMap((m) => decodeManifest(asItem(m)));
    // Assess: oldest first inside the manifest; the contract attributes survive the compact form
    expect(manifests).toHaveLength(1);
    expect(listed.map((r) => r.key)).toEqual(['dump/a.png', 'dump/evil.exe', 'dump/"quoted" ü 日本.txt']);
    const [png, exe, txt] = listed;
    const original = batch();
    expect(png).toMatchObject({ status: 'PROCESSED', mime: 'image/png', ext: 'png', size: 1234 });
    expect(png?.processedAt).toBe(iso(300));
    expect(png?.pk).toBe(original[0]?.pk);
    expect(png?.sk).toBe(original[0]?.sk);
    expect(exe).toMatchObject({
      status: 'QUARANTINED',
      reason: 'BLOCKED_TYPE',
      error: 'extension .exe',
      declaredContentType: 'image/png',
    });
    expect(txt).toMatchObject({ contentClass: 'text', durationMs: 12, queueLatencyMs: 40, receiveCount: 1 });
    // The declared type of a processed file is left to `show` (it is not worth its bytes in every batch).
    expect(txt?.declaredContentType).toBeUndefined();
  });

  it('costs about 100 bytes per file', () => {
    // Prepare: ten typical files
    const records = Array.from({ length: 10 }, (_, i) =>
      makeFileRecord({
        key: `dumps/2026/12/01/file-${i}.json`,
        processedAt: iso(i),
        mime: 'application/json',
        ext: 'json',
      }),
    );
    // Act
    const { manifests } = buildBatchManifest(records, AT);
    // Assess
    const bytes = manifests[0]?.files.reduce((sum, f) => sum + Buffer.byteLength(f), 0) ?? 0;
    expect(bytes / records.length).toBeLessThan(125);
  });

  it('gives rare files the same list position as their manifest entry, and PROCESSED files no index key', () => {
    // Act
    const { records, manifests } = buildBatchManifest(batch(), AT);
    const listed = manifests.flatMap((m) => decodeManifest(asItem(m)));
    // Assess
    const exe = records.find((r) => r.status === FileStatus.QUARANTINED);
    expect(exe?.statusShard).toMatch(/^QUARANTINED#[0-7]$/);
    expect(exe?.listSk).toBe(listed.find((r) => r.key === 'dump/evil.exe')?.listSk);
    for (const r of records.filter((x) => x.status === FileStatus.PROCESSED)) {
      expect(r.statusShard).toBeUndefined();
      expect(r.listSk).toBeUndefined();
    }
  });

  it('orders a later batch above an earlier one, whatever the files inside', () => {
    // Prepare: two batches a second apart
    const early = buildBatchManifest(batch(), AT - 1000).manifests.flatMap((m) => decodeManifest(asItem(m)));
    const late = buildBatchManifest(
      [makeFileRecord({ key: 'z.png', processedAt: iso(5000) })],
      AT,
    ).manifests.flatMap((m) => decodeManifest(asItem(m)));
    // Assess: every listSk of the later batch sorts above every listSk of the earlier one
    const lowestLate = late.map((r) => r.listSk).sort()[0] as string;
    expect(early.every((r) => r.listSk < lowestLate)).toBe(true);
  });

  it('splits a huge batch into parts that fit DynamoDB item size', () => {
    // Prepare: 1,000 files with 1,000-byte keys (a 10,000-message batch window is allowed on AWS)
    const records = Array.from({ length: 1000 }, (_, i) =>
      makeFileRecord({ key: `${String(i).padStart(4, '0')}${'k'.repeat(996)}`, processedAt: iso(i) }),
    );
    // Act
    const { manifests } = buildBatchManifest(records, AT);
    // Assess
    expect(manifests.length).toBeGreaterThan(2);
    // DynamoDB's item limit is 400 KB, attribute names and values together.
    for (const m of manifests) expect(JSON.stringify(m).length).toBeLessThan(400_000);
    expect(manifests.flatMap((m) => decodeManifest(asItem(m)))).toHaveLength(1000);
  });

  it('reports every file of a lost manifest unwritten, so their messages are retried', async () => {
    // Prepare: the store leaves the manifest unprocessed every time
    const store: MetadataStore = {
      async batchPut(items: readonly TableItem[]) {
        return { unprocessed: items.filter((i) => i.recordType === 'BATCH') };
      },
      async putHistoryStep() {},
      async fileHistory() {
        return [];
      },
    };
    // Act
    const result = await writeRecordsWithManifest(
      batch(),
      {
        metadataStore: store,
        logger: silentLogger,
        random: () => 0,
        sleep: async () => {},
        clock: { now: () => AT },
      },
      { canWait: () => true, maxAttempts: 2 },
    );
    // Assess
    expect(result.unwritten.map((r) => r.key).sort()).toEqual(
      batch()
        .map((r) => r.key)
        .sort(),
    );
  });
});
