import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type RunningDashboard, startDashboardServer } from '../../src/dashboard/index.ts';
import type { FilePageResponse, Snapshot } from '../../src/dashboard/types.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../src/pipeline/constants.ts';
import { useMoto } from '../helpers/moto.ts';
import { makeFileRecord, makeStepRecord, putRecords } from '../helpers/trackingRecords.ts';

const moto = useMoto();
const HOUR_MS = 3_600_000;

/** Read server-sent events from a streaming response until `accept` returns true (bounded by `timeoutMs`). */
const readEvents = async (
  url: string,
  accept: (snapshot: Snapshot) => boolean,
  timeoutMs: number,
): Promise<Snapshot> => {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch(url, { signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block
          .split('\n')
          .filter((l) => l.startsWith('data: '))
          .map((l) => l.slice(6))
          .join('\n');
        if (block.includes('event: snapshot') && data) {
          const snapshot = JSON.parse(data) as Snapshot;
          if (accept(snapshot)) return snapshot;
        }
        end = buffer.indexOf('\n\n');
      }
    }
    throw new Error('event stream ended');
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
};

describe('dashboard server on moto', () => {
  let clients: AwsClients;
  let resources: LocalResources;
  let dashboard: RunningDashboard;
  const now = Date.now();

  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    resources = await provisionLocal({ clients, settings: resolvePipelineSettings() });
    // 100 records in the last hour (the view's window) and 30 older ones (only in the table).
    const recent = Array.from({ length: 100 }, (_, i) =>
      makeFileRecord({
        key: `recent/file-${String(i).padStart(3, '0')}.png`,
        processedAt: new Date(now - (100 - i) * 1000).toISOString(),
        mime: 'image/png',
        ...(i % 10 === 0 ? { status: FileStatus.QUARANTINED, reason: QuarantineReason.TYPE_MISMATCH } : {}),
      }),
    );
    const old = Array.from({ length: 30 }, (_, i) =>
      makeFileRecord({
        key: `old/file-${String(i).padStart(3, '0')}.csv`,
        processedAt: new Date(now - 2 * HOUR_MS - (30 - i) * 1000).toISOString(),
        ...(i % 3 === 0 ? { status: FileStatus.QUARANTINED, reason: QuarantineReason.EMPTY_FILE } : {}),
      }),
    );
    await putRecords(clients.dynamo, resources.tableName, [...recent, ...old]);
    dashboard = await startDashboardServer({
      clients,
      resources,
      targetLabel: moto().endpoint,
      port: 0,
      refreshMs: 500,
      windowHours: 1,
    });
    await dashboard.monitor.whenLoaded(30_000);
  });

  afterAll(async () => {
    await dashboard?.stop();
  });

  it('serves the page with a CSRF token, a strict CSP and the chart library from node_modules', async () => {
    // Act
    const page = await fetch(`${dashboard.origin}/`);
    const html = await page.text();
    const chart = await fetch(`${dashboard.origin}/vendor/uPlot.iife.min.js`);
    // Assess
    expect(page.status).toBe(200);
    expect(html).toMatch(/<meta name="csrf-token" content="[A-Za-z0-9_-]{43}"/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('uPlot');
    expect((await fetch(`${dashboard.origin}/../package.json`)).status).toBe(404);
    expect((await fetch(`${dashboard.origin}/api/files`, { method: 'DELETE' })).status).toBe(405);
  });

  it('pages all 130 files newest first, from memory and then from the table, without gaps or duplicates', async () => {
    // Act
    const keys: string[] = [];
    const sources = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const query = new URLSearchParams({ limit: '50', ...(cursor ? { cursor } : {}) });
      const body = (await (await fetch(`${dashboard.origin}/api/files?${query}`)).json()) as FilePageResponse;
      keys.push(...body.items.map((r) => r.key));
      sources.add(body.source);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    // Assess
    expect(keys).toHaveLength(130);
    expect(new Set(keys).size).toBe(130);
    expect(keys[0]).toBe('recent/file-099.png');
    expect(keys[99]).toBe('recent/file-000.png');
    expect(keys[100]).toBe('old/file-029.csv');
    expect(keys.at(-1)).toBe('old/file-000.csv');
    expect(sources).toContain('view');
    expect([...sources].some((s) => s === 'mixed' || s === 'table')).toBe(true);
  });

  it('filters by status and reason across the view and the table', async () => {
    const query = new URLSearchParams({ status: 'QUARANTINED', limit: '50' });
    const body = (await (await fetch(`${dashboard.origin}/api/files?${query}`)).json()) as FilePageResponse;
    expect(body.items.map((r) => r.reason)).toEqual([
      ...Array.from({ length: 10 }, () => 'TYPE_MISMATCH'),
      ...Array.from({ length: 10 }, () => 'EMPTY_FILE'),
    ]);
    const bad = await fetch(`${dashboard.origin}/api/files?status=LOST`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/status must be one of/);
  });

  it('counts the window in the snapshot and pushes a new one when a record lands', async () => {
    // Prepare
    const before = (await (await fetch(`${dashboard.origin}/api/snapshot`)).json()) as Snapshot;
    expect(before.counters.byStatus).toMatchObject({ PROCESSED: 90, QUARANTINED: 10 });
    expect(before.counters.byReason).toMatchObject({ TYPE_MISMATCH: 10 });
    expect(before.types).toEqual([{ type: 'image/png', count: 100 }]);
    expect(before.quarantine.total).toBe(10);
    expect(before.queue).toMatchObject({ deadLetter: 0 });
    // Act: a record lands while a browser listens
    const started = Date.now();
    const pushed = readEvents(
      `${dashboard.origin}/api/events`,
      (s) => s.counters.byStatus.GONE === 1,
      15_000,
    );
    await putRecords(clients.dynamo, resources.tableName, [
      makeFileRecord({
        key: 'recent/gone.txt',
        processedAt: new Date().toISOString(),
        status: FileStatus.GONE,
      }),
    ]);
    const after = await pushed;
    // Assess
    expect(after.dataVersion).toBeGreaterThan(before.dataVersion);
    expect(after.counters.total).toBe(101);
    console.log(`snapshot with the new record pushed ${Date.now() - started} ms after the write`);
  });

  it('shows a file timeline with its history steps, and 404 for an unknown file', async () => {
    const key = 'recent/file-000.png';
    await putRecords(clients.dynamo, resources.tableName, [
      makeStepRecord({ key, step: HistoryStep.RETRY_EXHAUSTED, at: new Date().toISOString(), attempt: 3 }),
    ]);
    const query = new URLSearchParams({ bucket: resources.inputBucket, key });
    const timeline = (await (await fetch(`${dashboard.origin}/api/file?${query}`)).json()) as {
      entries: { kind: string }[];
    };
    expect(timeline.entries.map((e) => e.kind)).toEqual([
      'received',
      'started',
      'sniffed',
      'quarantined',
      'retry-exhausted',
    ]);
    const unknown = new URLSearchParams({ bucket: resources.inputBucket, key: 'nope' });
    expect((await fetch(`${dashboard.origin}/api/file?${unknown}`)).status).toBe(404);
  });

  it('refuses actions without the CSRF token or from another origin, and runs them with both', async () => {
    // Prepare
    const html = await (await fetch(`${dashboard.origin}/`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
    const body = JSON.stringify({ bucket: resources.inputBucket, key: 'recent/file-010.png' });
    const post = (headers: Record<string, string>) =>
      fetch(`${dashboard.origin}/api/actions/retry`, { method: 'POST', headers, body });
    // Act / Assess: no token, wrong token, foreign origin
    const json = { 'Content-Type': 'application/json', Origin: dashboard.origin };
    const noToken = await post(json);
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: string }).error).toMatch(/CSRF/);
    expect((await post({ ...json, 'X-CSRF-Token': 'guess' })).status).toBe(403);
    expect((await post({ ...json, Origin: 'http://evil.example', 'X-CSRF-Token': csrf })).status).toBe(403);
    expect((await fetch(`${dashboard.origin}/api/actions/retry`)).status).toBe(405);
    // With both, the request reaches the retry code, which explains why a policy rejection needs force.
    const refused = await post({ ...json, 'X-CSRF-Token': csrf });
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as { message: string }).message).toMatch(/needs-force/);
  });

  it('replays the DLQ through the operations code', async () => {
    // Prepare: an S3 event for a file that is not there any more, parked in the DLQ
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          eventTime: new Date().toISOString(),
          s3: {
            bucket: { name: resources.inputBucket },
            object: { key: 'replayed.txt', size: 3, eTag: 'abc' },
          },
        },
      ],
    };
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.dlqUrl, MessageBody: JSON.stringify(event) }),
    );
    const html = await (await fetch(`${dashboard.origin}/`)).text();
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
    // Act
    const response = await fetch(`${dashboard.origin}/api/actions/replay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: dashboard.origin, 'X-CSRF-Token': csrf },
      body: '{}',
    });
    // Assess
    expect(response.status).toBe(200);
    expect(((await response.json()) as { message: string }).message).toMatch(/^1 message\(s\) moved/);
    const depth = async (url: string) =>
      Number(
        (
          await clients.sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }),
          )
        ).Attributes?.ApproximateNumberOfMessages,
      );
    expect(await depth(resources.dlqUrl)).toBe(0);
    // The ingest queue holds the provisioning s3:TestEvent and the replayed message.
    expect(await depth(resources.queueUrl)).toBe(2);
  });
});
