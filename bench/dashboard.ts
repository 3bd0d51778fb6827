/**
 * `npm run bench:dashboard` — how fast the dashboard answers over a big table, on moto.
 *
 * 1. Live updates: on a table of 1,000 records, the time from a record's write to the server-sent event
 *    that carries it (what a browser sees), several samples.
 * 2. Pages: bulk-load 100,000 records with BatchWriteItem, start the dashboard, wait for its view to load,
 *    then time `GET /api/files` (50 rows: first page, next pages by cursor, status/reason/type filters,
 *    key-prefix search) over HTTP. Goal: p95 < 200 ms.
 * 3. The floor, in the same run: the same page read straight from the table with `listFiles` (8 sharded
 *    GSI queries) and a single GSI Query of 50 items, to show what moto itself costs at this size.
 *
 * Options: --records N (default 100000), --samples N (default 30).
 */
import { BatchWriteCommand, type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { createAwsClients } from '../src/adapters/awsClients.ts';
import { resolvePipelineSettings, TABLE_SCHEMA } from '../src/config/settings.ts';
import { type RunningDashboard, startDashboardServer } from '../src/dashboard/index.ts';
import type { FilePageResponse, Snapshot } from '../src/dashboard/types.ts';
import { startMoto } from '../src/local/moto/motoServer.ts';
import { provisionLocal } from '../src/local/provision.ts';
import { asWrittenBatches } from '../src/pipeline/batchManifest.ts';
import { FileStatus, QuarantineReason } from '../src/pipeline/constants.ts';
import {
  filePartitionKey,
  listIndexAttributes,
  manifestPartitionKey,
  uploadSortKey,
} from '../src/pipeline/recordKeys.ts';
import type { FileRecord } from '../src/pipeline/types.ts';
import { listFiles } from '../src/tracking/listFiles.ts';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive whole number`);
  return value;
};
const RECORDS = arg('records', 100_000);
const SAMPLES = arg('samples', 30);
const SMALL_TABLE = 1000;
const PAGE_GOAL_MS = 200;

const TYPES = [
  { mime: 'image/png', ext: 'png' },
  { mime: 'application/pdf', ext: 'pdf' },
  { mime: 'text/csv', ext: 'csv' },
  { mime: 'image/jpeg', ext: 'jpg' },
  { mime: 'application/json', ext: 'json' },
  { mime: undefined, ext: 'bin' },
] as const;
const REASONS = Object.values(QuarantineReason);

/** Record number `i` of the synthetic dump, processed `agoMs` before now; keyed with the real key functions. */
const syntheticRecord = (i: number, processedAtMs: number): FileRecord => {
  const type = TYPES[i % TYPES.length] as (typeof TYPES)[number];
  const roll = i % 20;
  const status = roll < 16 ? FileStatus.PROCESSED : roll < 19 ? FileStatus.QUARANTINED : FileStatus.GONE;
  const bucket = 'silent-scalper-input';
  const key = `bench/2026/11/${String(i % 30).padStart(2, '0')}/file-${String(i).padStart(7, '0')}.${type.ext}`;
  const processedAt = new Date(processedAtMs).toISOString();
  const eventTime = new Date(processedAtMs - 800).toISOString();
  const uploadId = `etag-${i}`;
  const pk = filePartitionKey(bucket, key);
  const sk = uploadSortKey(eventTime, uploadId);
  return {
    pk,
    sk,
    ...listIndexAttributes({ bucket, key, status, processedAtIso: processedAt, pk, sk }),
    recordType: 'UPLOAD',
    bucket,
    key,
    status,
    ...(status === FileStatus.QUARANTINED ? { reason: REASONS[Math.floor(i / 20) % REASONS.length] } : {}),
    size: 1000 + ((i * 7919) % 5_000_000),
    etag: uploadId,
    declaredContentType: 'application/octet-stream',
    ...(type.mime ? { mime: type.mime, ext: type.ext } : {}),
    eventTime,
    processedAt,
    durationMs: 5 + ((i * 37) % 400),
    queueLatencyMs: 20 + ((i * 13) % 2000),
    receiveCount: 1,
    uploadId,
    attempt: 0,
    messageId: `m-${i}`,
  };
};

/** Write records with BatchWriteItem, 25 per call, 4 calls at once (moto's best concurrency). */
const bulkLoad = async (
  dynamo: DynamoDBDocumentClient,
  table: string,
  records: FileRecord[],
): Promise<void> => {
  const limit = pLimit(4);
  const calls: Promise<unknown>[] = [];
  // As the handler writes them: batches of 10 files with their manifest items.
  const items = asWrittenBatches(records, 10);
  for (let i = 0; i < items.length; i += 25) {
    const chunk = items.slice(i, i + 25);
    calls.push(
      limit(() =>
        dynamo.send(
          new BatchWriteCommand({
            RequestItems: { [table]: chunk.map((Item) => ({ PutRequest: { Item } })) },
          }),
        ),
      ),
    );
  }
  await Promise.all(calls);
};

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
  return { n: sorted.length, p50: at(50), p95: at(95), max: sorted.at(-1) ?? 0 };
};
const ms = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} ms`;
const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = performance.now();
  const result = await fn();
  return [result, performance.now() - start];
};

/** Wait for the first server-sent snapshot that satisfies `accept`; resolves with the arrival time. */
const nextSnapshot = (url: string, accept: (s: Snapshot) => boolean, timeoutMs: number) => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const done = (async () => {
    const response = await fetch(url, { signal: controller.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (data && accept(JSON.parse(data.slice(6)) as Snapshot)) return performance.now();
      }
    }
    throw new Error('event stream ended');
  })();
  return done.finally(() => {
    clearTimeout(timer);
    controller.abort();
  });
};

const getJson = async <T>(url: string): Promise<T> => {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
};

const main = async (): Promise<void> => {
  const moto = await startMoto();
  let dashboard: RunningDashboard | undefined;
  const rows: string[][] = [];
  let pass = true;
  try {
    const clients = createAwsClients({ endpoint: moto.endpoint }, false);
    const resources = await provisionLocal({ clients, settings: resolvePipelineSettings() });
    const now = Date.now();
    // Spread over the last 23 h: everything is inside the dashboard's default 24 h window.
    const spacingMs = Math.floor((23 * 3_600_000) / RECORDS);
    const all = Array.from({ length: RECORDS }, (_, i) =>
      syntheticRecord(i, now - 60_000 - (RECORDS - i) * spacingMs),
    );
    const start = { clients, resources, targetLabel: moto.endpoint, port: 0, log: () => undefined };

    // 1. Live updates on a small table
    await bulkLoad(clients.dynamo, resources.tableName, all.slice(-SMALL_TABLE));
    dashboard = await startDashboardServer({ ...start });
    await dashboard.monitor.whenLoaded();
    const live: number[] = [];
    for (let i = 0; i < Math.min(10, SAMPLES); i++) {
      const before = dashboard.monitor.snapshot.counters.total;
      const arrived = nextSnapshot(
        `${dashboard.origin}/api/events`,
        (s) => s.counters.total > before,
        30_000,
      );
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 800));
      const written = performance.now();
      await bulkLoad(clients.dynamo, resources.tableName, [syntheticRecord(RECORDS + i, Date.now())]);
      live.push((await arrived) - written);
    }
    await dashboard.stop();
    dashboard = undefined;
    const liveStats = stats(live);
    rows.push([
      `write → server-sent snapshot, ${SMALL_TABLE.toLocaleString()} records (refresh every 0.5 s or 2 × the last refresh)`,
      `p50 ${ms(liveStats.p50)}, p95 ${ms(liveStats.p95)}, max ${ms(liveStats.max)} (n=${liveStats.n})`,
      '< 2,000 ms',
    ]);
    if (liveStats.p95 >= 2000) pass = false;

    // 2. The big table
    const [, loadMs] = await timed(() =>
      bulkLoad(clients.dynamo, resources.tableName, all.slice(0, RECORDS - SMALL_TABLE)),
    );
    const total = RECORDS + Math.min(10, SAMPLES);
    rows.push([
      `bulk load of ${(RECORDS - SMALL_TABLE).toLocaleString()} records (BatchWriteItem ×25, 4 at once)`,
      `${(loadMs / 1000).toFixed(1)} s, ${Math.round(((RECORDS - SMALL_TABLE) / loadMs) * 1000).toLocaleString()} items/s`,
      '—',
    ]);

    // 3. The floor: moto answering the table queries directly
    const [, oneQueryMs] = await timed(() =>
      clients.dynamo.send(
        new QueryCommand({
          TableName: resources.tableName,
          KeyConditionExpression: '#p = :p',
          ExpressionAttributeNames: { '#p': TABLE_SCHEMA.partitionKey },
          ExpressionAttributeValues: { ':p': manifestPartitionKey(0) },
          ScanIndexForward: false,
          Limit: 5,
        }),
      ),
    );
    rows.push([
      `one manifest Query, Limit 5 (≈ 50 files), straight to moto (${total.toLocaleString()} records)`,
      ms(oneQueryMs),
      '—',
    ]);
    const [, listMs] = await timed(() => listFiles(clients.dynamo, resources.tableName, { limit: 50 }));
    rows.push(['`listFiles` page of 50 (8 shard queries), straight to moto', ms(listMs), '—']);

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    dashboard = await startDashboardServer({ ...start });
    const [, viewLoadMs] = await timed(() => dashboard?.monitor.whenLoaded(1_800_000) ?? Promise.resolve());
    global.gc?.();
    const heapPerRecord = (process.memoryUsage().heapUsed - heapBefore) / Math.max(1, dashboard.view.size);
    rows.push([
      `dashboard view load (${dashboard.view.size.toLocaleString()} records from moto, once at start)`,
      `${(viewLoadMs / 1000).toFixed(1)} s`,
      '—',
    ]);
    rows.push([
      'memory of the view per record (heap, approximate)',
      `${Math.round(heapPerRecord)} bytes`,
      '—',
    ]);

    // 4. Pages over HTTP
    const base = `${dashboard.origin}/api/files`;
    const first = await getJson<FilePageResponse>(`${base}?limit=50`);
    let deep: string | undefined = first.nextCursor;
    for (let i = 0; i < 40 && deep; i++)
      deep = (await getJson<FilePageResponse>(`${base}?limit=50&cursor=${encodeURIComponent(deep)}`))
        .nextCursor;
    const queries: [string, string][] = [
      ['first page, 50 rows', '?limit=50'],
      ['next page by cursor', `?limit=50&cursor=${encodeURIComponent(first.nextCursor ?? '')}`],
      ['page 42 by cursor (rows 2,051–2,100)', `?limit=50&cursor=${encodeURIComponent(deep ?? '')}`],
      ['status=QUARANTINED', '?limit=50&status=QUARANTINED'],
      ['reason=PROCESSING_FAILED (3 % of records)', '?limit=50&reason=PROCESSING_FAILED'],
      ['type=application/pdf', '?limit=50&type=application%2Fpdf'],
      ['key prefix bench/2026/11/07/', '?limit=50&prefix=bench%2F2026%2F11%2F07%2F'],
    ];
    for (const [label, query] of queries) {
      const times: number[] = [];
      let source = '';
      let count = 0;
      for (let i = 0; i < SAMPLES; i++) {
        const [page, took] = await timed(() => getJson<FilePageResponse>(`${base}${query}`));
        times.push(took);
        source = page.source;
        count = page.items.length;
      }
      const s = stats(times);
      if (s.p95 >= PAGE_GOAL_MS) pass = false;
      rows.push([
        `GET /api/files ${label} (${count} rows from the ${source})`,
        `p50 ${ms(s.p50)}, p95 ${ms(s.p95)}, max ${ms(s.max)} (n=${s.n})`,
        `p95 < ${PAGE_GOAL_MS} ms`,
      ]);
    }
    const snapshotTimes: number[] = [];
    for (let i = 0; i < SAMPLES; i++)
      snapshotTimes.push((await timed(() => getJson(`${dashboard?.origin}/api/snapshot`)))[1]);
    const snap = stats(snapshotTimes);
    rows.push([
      'GET /api/snapshot (counters, charts, quarantine list)',
      `p50 ${ms(snap.p50)}, p95 ${ms(snap.p95)}`,
      '—',
    ]);
    const [, aggregateMs] = await timed(async () => dashboard?.view.aggregates());
    rows.push([
      `rebuilding the aggregates over ${dashboard.view.size.toLocaleString()} records`,
      ms(aggregateMs),
      '—',
    ]);
    const [, refreshMs] = await timed(() => dashboard?.view.refresh() ?? Promise.resolve(false));
    rows.push(['one refresh (read what is new: 8 GSI queries) at this size on moto', ms(refreshMs), '—']);
    console.log(`\nDashboard benchmark on moto (${moto.endpoint}), ${new Date().toISOString()}\n`);
    console.log('| figure | result | goal |\n| --- | --- | --- |');
    for (const row of rows) console.log(`| ${row.join(' | ')} |`);
    console.log(`\n${pass ? 'PASS' : 'FAIL'}: pages p95 < ${PAGE_GOAL_MS} ms and live updates p95 < 2 s`);
    if (!pass) process.exitCode = 1;
  } finally {
    await dashboard?.stop();
    await moto.stop();
  }
};

await main();
