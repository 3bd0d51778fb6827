import type { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../../src/dashboard/liveView.ts';
import { Monitor } from '../../../src/dashboard/monitor.ts';
import type { FileRecord } from '../../../src/pipeline/types.ts';
import { fakeManifestTable, makeFileRecord } from '../../helpers/trackingRecords.ts';

/** A table of `records` answering every manifest query in one page, counting the queries. */
const fakeDynamo = (records: FileRecord[]) => {
  const table = fakeManifestTable(records);
  return {
    dynamo: table.dynamo,
    get counter() {
      return { queries: table.calls.length };
    },
  };
};

/** An SQS client whose queue depth the test sets. */
const fakeSqs = (depth: { visible: number }) =>
  ({
    send: async () => ({
      Attributes: {
        ApproximateNumberOfMessages: String(depth.visible),
        ApproximateNumberOfMessagesNotVisible: '0',
        ApproximateNumberOfMessagesDelayed: '0',
      },
    }),
  }) as unknown as SQSClient;

const setup = () => {
  const records = [makeFileRecord({ key: 'a.png', processedAt: new Date().toISOString() })];
  const table = fakeDynamo(records);
  const depth = { visible: 3 };
  const view = new LiveView({ dynamo: table.dynamo, tableName: 't' });
  const monitor = new Monitor({
    view,
    sqs: fakeSqs(depth),
    queueUrl: 'q',
    dlqUrl: 'd',
    targetLabel: 'test',
    tableName: 't',
    idleAfterMs: 60_000,
  });
  return { records, table, depth, view, monitor };
};

describe('Monitor', () => {
  it('builds a snapshot of the view and the queues, and tells subscribers only about changes', async () => {
    // Prepare
    const { monitor, records, depth } = setup();
    await monitor.whenLoaded(5000);
    const seen: number[] = [];
    monitor.subscribe((s) => seen.push(s.counters.total));
    // Act
    const first = await monitor.refreshNow();
    const unchanged = await monitor.refreshNow();
    records.push(makeFileRecord({ key: 'b.png', processedAt: new Date().toISOString() }));
    depth.visible = 0;
    const second = await monitor.refreshNow();
    // Assess
    expect(first.counters.total).toBe(1);
    expect(first.queue).toMatchObject({ visible: 3, deadLetter: 3 });
    expect(unchanged.version).toBe(first.version);
    expect(second.counters.total).toBe(2);
    expect(second.version).toBeGreaterThan(first.version);
    expect(second.depth.visible.at(-1)).toBe(0);
    expect(seen.at(-1)).toBe(2);
  });

  it('reads no records while nobody looks, and catches up as soon as someone does', async () => {
    // Prepare: loaded, then idle (no page open, no API call)
    const { monitor, records, table } = setup();
    await monitor.whenLoaded(5000);
    const afterLoad = table.counter.queries;
    records.push(makeFileRecord({ key: 'c.png', processedAt: new Date().toISOString() }));
    // Act: an idle refresh only reads the queues
    await monitor.refreshNow();
    const idleQueries = table.counter.queries - afterLoad;
    // …then a page opens
    const snapshots: number[] = [];
    monitor.subscribe((s) => snapshots.push(s.counters.total));
    await monitor.refreshNow();
    // Assess
    expect(monitor.idle()).toBe(false);
    expect(idleQueries).toBe(0);
    expect(snapshots.at(-1)).toBe(2);
  });
});
