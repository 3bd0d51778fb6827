import { CreateQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../src/pipeline/constants.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import { countFiles, fileHistory, listFiles, queueStats } from '../../src/tracking/index.ts';
import { createMetadataTable } from '../helpers/metadataTable.ts';
import { useMoto } from '../helpers/moto.ts';
import { makeFileRecord, makeStepRecord, putRecords } from '../helpers/trackingRecords.ts';

const moto = useMoto();
const TABLE = 'tracking-test-files';
const BASE = Date.parse('2026-11-20T10:00:00.000Z');
const iso = (offsetSeconds: number) => new Date(BASE + offsetSeconds * 1000).toISOString();

const statusOf = (i: number) =>
  i % 5 === 0 ? FileStatus.QUARANTINED : i % 7 === 0 ? FileStatus.GONE : FileStatus.PROCESSED;

// 90 uploads one second apart, written by batches of 10; two pairs share a processedAt (ties are broken by
// the key inside a batch).
const records: FileRecord[] = Array.from({ length: 90 }, (_, i) => {
  const status = statusOf(i);
  return makeFileRecord({
    key: `${i % 3 === 0 ? 'dump/a/' : 'dump/b/'}file ${i}+ü.txt`,
    processedAt: iso(i === 41 ? 40 : i === 61 ? 60 : i),
    status,
    ...(status === FileStatus.QUARANTINED
      ? { reason: i % 10 === 0 ? QuarantineReason.EMPTY_FILE : QuarantineReason.TYPE_MISMATCH }
      : {}),
    ...(i % 2 === 0 ? { mime: 'text/plain', ext: 'txt' } : {}),
  });
});
const newestFirst = (list: FileRecord[]) =>
  [...list]
    .sort((a, b) =>
      a.processedAt === b.processedAt ? (a.pk < b.pk ? 1 : -1) : a.processedAt < b.processedAt ? 1 : -1,
    )
    .map((r) => r.key);

/** Read every page; the bound fails the test instead of looping forever on a cursor bug. */
const readAll = async (clients: AwsClients, options: Omit<Parameters<typeof listFiles>[2], 'cursor'>) => {
  const keys: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 100; page++) {
    const result = await listFiles(clients.dynamo, TABLE, { ...options, ...(cursor ? { cursor } : {}) });
    keys.push(...result.items.map((r) => r.key));
    cursor = result.nextCursor;
    if (!cursor) return keys;
  }
  throw new Error('listFiles did not finish within 100 pages');
};

describe('tracking queries on a real table', () => {
  let clients: AwsClients;
  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    await createMetadataTable(clients.dynamo, TABLE);
    await putRecords(clients.dynamo, TABLE, records);
  });

  it('spreads the status index over several shards, and only for the rare statuses', () => {
    const indexed = records.filter((r) => r.statusShard !== undefined);
    expect(new Set(indexed.map((r) => r.statusShard?.split('#')[1])).size).toBeGreaterThan(4);
    expect(indexed.every((r) => r.status !== FileStatus.PROCESSED)).toBe(true);
  });

  it('lists the newest records first, merged across shards', async () => {
    // Act
    const page = await listFiles(clients.dynamo, TABLE, { limit: 10 });
    // Assess
    expect(page.items.map((r) => r.key)).toEqual(newestFirst(records).slice(0, 10));
    expect(page.nextCursor).toBeDefined();
  });

  it('pages with the cursor without duplicates or gaps', async () => {
    // Act
    const keys = await readAll(clients, { limit: 7 });
    // Assess
    expect(keys).toEqual(newestFirst(records));
  });

  it('filters by status and keeps the order', async () => {
    const keys = await readAll(clients, { status: FileStatus.QUARANTINED, limit: 4 });
    expect(keys).toEqual(newestFirst(records.filter((r) => r.status === FileStatus.QUARANTINED)));
    expect(keys).toHaveLength(18);
  });

  it('filters by key prefix across pages', async () => {
    const keys = await readAll(clients, { keyPrefix: 'dump/a/', limit: 6 });
    expect(keys).toEqual(newestFirst(records.filter((r) => r.key.startsWith('dump/a/'))));
  });

  it('stops at --since and combines it with the cursor', async () => {
    const keys = await readAll(clients, { since: iso(75), limit: 4 });
    expect(keys).toEqual(newestFirst(records.filter((r) => r.processedAt >= iso(75))));
    expect(keys).toHaveLength(15);
  });

  it('returns a page that says there is nothing more', async () => {
    const page = await listFiles(clients.dynamo, TABLE, { limit: 1000 });
    expect(page.items).toHaveLength(90);
    expect(page.nextCursor).toBeUndefined();
  });

  it('rejects a limit out of range', async () => {
    await expect(listFiles(clients.dynamo, TABLE, { limit: 0 })).rejects.toThrow(/limit must be/);
  });

  it('counts per status, reason and mime over a window [since, until)', async () => {
    // Act: seconds 30..59 (30 records)
    const counts = await countFiles(clients.dynamo, TABLE, { since: iso(30), until: iso(60) });
    // Assess
    const inWindow = records.filter((r) => r.processedAt >= iso(30) && r.processedAt < iso(60));
    expect(counts.total).toBe(inWindow.length);
    expect(counts.total).toBe(30);
    for (const status of Object.values(FileStatus))
      expect(counts.byStatus[status]).toBe(inWindow.filter((r) => r.status === status).length);
    expect(counts.byReason[QuarantineReason.EMPTY_FILE]).toBe(
      inWindow.filter((r) => r.reason === QuarantineReason.EMPTY_FILE).length,
    );
    expect(counts.byReason[QuarantineReason.TOO_LARGE]).toBe(0);
    expect(counts.byMime['text/plain']).toBe(inWindow.filter((r) => r.mime).length);
    expect(counts.byMime.unknown).toBe(inWindow.filter((r) => !r.mime).length);
    expect(counts.truncated).toBe(false);
  });

  it('counts nothing in an empty window', async () => {
    const counts = await countFiles(clients.dynamo, TABLE, { since: iso(-3600), until: iso(-1) });
    expect(counts.total).toBe(0);
    expect(counts.byStatus[FileStatus.PROCESSED]).toBe(0);
  });

  it("returns one file's uploads and steps in time order, and nothing of its neighbours", async () => {
    // Prepare: a re-uploaded file with a retry in between; a neighbour whose key extends this one
    const key = 'history/report 1.pdf';
    const first = makeFileRecord({
      key,
      eventTime: '2026-11-21T08:00:00.000Z',
      processedAt: '2026-11-21T08:00:01.000Z',
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.PROCESSING_FAILED,
      uploadId: 'v1',
    });
    const retried = makeStepRecord({ key, step: HistoryStep.RETRIED, at: '2026-11-21T09:00:00.000Z' });
    const second = makeFileRecord({
      key,
      eventTime: '2026-11-21T09:00:00.500Z',
      processedAt: '2026-11-21T09:00:02.000Z',
      uploadId: 'v2',
      attempt: 1,
    });
    const neighbour = makeFileRecord({ key: `${key}.bak`, processedAt: '2026-11-21T08:30:00.000Z' });
    await putRecords(clients.dynamo, TABLE, [second, neighbour, retried, first]);
    // Act
    const history = await fileHistory(clients.dynamo, TABLE, 'silent-scalper-input', key);
    // Assess
    expect(history.uploads.map((u) => u.uploadId)).toEqual(['v1', 'v2']);
    expect(history.steps.map((s) => s.step)).toEqual([HistoryStep.RETRIED]);
    expect(history.entries.map((e) => e.recordType)).toEqual(['UPLOAD', 'STEP', 'UPLOAD']);
  });

  it('reports queue depth, in-flight and DLQ depth', async () => {
    // Prepare
    const queueUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'tracking-q' }))).QueueUrl;
    const dlqUrl = (await clients.sqs.send(new CreateQueueCommand({ QueueName: 'tracking-dlq' }))).QueueUrl;
    if (!queueUrl || !dlqUrl) throw new Error('queues not created');
    for (const body of ['a', 'b', 'c'])
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'd', DelaySeconds: 60 }),
    );
    await clients.sqs.send(new SendMessageCommand({ QueueUrl: dlqUrl, MessageBody: 'poison' }));
    await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 1, VisibilityTimeout: 60 }),
    );
    // Act
    const stats = await queueStats(clients.sqs, queueUrl, dlqUrl);
    // Assess
    expect(stats).toEqual({ visible: 2, inFlight: 1, delayed: 1, deadLetter: 1 });
  });
});
