import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../src/adapters/powertools.ts';
import type { MetadataStore, TableItem } from '../../../src/pipeline/ports.ts';
import type { HistoryStepRecord } from '../../../src/pipeline/types.ts';
import { dedupeItems, writeItems } from '../../../src/pipeline/writeRecords.ts';
import { sdkError } from '../../helpers/fakeAws.ts';

/** The key of a test item (every item here is a step). */
const keyOf = (i: TableItem): string => ('key' in i ? i.key : '');

const item = (n: number, detail = 'x'): HistoryStepRecord => ({
  pk: `FILE#b/k${n}`,
  sk: `2026-11-25T10:00:00.000Z#STEP#RETRIED#${n}`,
  recordType: 'STEP',
  step: 'RETRIED',
  bucket: 'b',
  key: `k${n}`,
  at: '2026-11-25T10:00:00.000Z',
  detail,
});

/** A metadata store that records calls and answers with `respond`. */
const recordingStore = (
  respond: (items: readonly TableItem[], call: number) => readonly TableItem[] | Error,
) => {
  const calls: TableItem[][] = [];
  const store: MetadataStore = {
    async batchPut(items) {
      calls.push([...items]);
      const answer = respond(items, calls.length);
      if (answer instanceof Error) throw answer;
      return { unprocessed: answer };
    },
    async putHistoryStep() {},
    async fileHistory() {
      return [];
    },
  };
  return { store, calls };
};

const deps = (store: MetadataStore, sleeps: number[] = []) => ({
  metadataStore: store,
  logger: silentLogger,
  random: () => 0.5,
  sleep: async (ms: number) => {
    sleeps.push(ms);
  },
});

describe('dedupeItems', () => {
  it('keeps one item per key, the last one', () => {
    const result = dedupeItems([item(1, 'old'), item(2), item(1, 'new')]);
    expect(result.map((i) => [keyOf(i), (i as HistoryStepRecord).detail])).toEqual([
      ['k2', 'x'],
      ['k1', 'new'],
    ]);
  });
});

describe('writeItems', () => {
  it('writes 60 items in calls of at most 25', async () => {
    const { store, calls } = recordingStore(() => []);
    const result = await writeItems(
      Array.from({ length: 60 }, (_, i) => item(i)),
      deps(store),
      { canWait: () => true },
    );
    expect(calls.map((c) => c.length)).toEqual([25, 25, 10]);
    expect(result).toEqual({ unwritten: [], requests: 3 });
  });

  it('removes duplicates before writing, so the call does not fail', async () => {
    const { store, calls } = recordingStore(() => []);
    await writeItems([item(1), item(1), item(2)], deps(store), { canWait: () => true });
    expect(calls).toHaveLength(1);
    expect(calls[0]).toHaveLength(2);
  });

  it('retries unprocessed items with exponential backoff and full jitter', async () => {
    // Prepare: the "service" leaves item 2 unprocessed twice, then takes it.
    const sleeps: number[] = [];
    const { store, calls } = recordingStore((items, call) =>
      call <= 2 ? items.filter((i) => keyOf(i) === 'k2') : [],
    );
    // Act
    const result = await writeItems([item(1), item(2), item(3)], deps(store, sleeps), {
      canWait: () => true,
      baseDelayMs: 100,
    });
    // Assess
    expect(calls.map((c) => c.map((i) => keyOf(i)))).toEqual([['k1', 'k2', 'k3'], ['k2'], ['k2']]);
    expect(sleeps).toEqual([50, 100]); // random 0.5 × cap (100, 200)
    expect(result.unwritten).toEqual([]);
  });

  it('caps the backoff', async () => {
    const sleeps: number[] = [];
    const { store } = recordingStore((items) => items);
    await writeItems([item(1)], deps(store, sleeps), {
      canWait: () => true,
      baseDelayMs: 100,
      maxDelayMs: 300,
      maxAttempts: 5,
    });
    expect(sleeps).toEqual([50, 100, 150, 150]);
  });

  it('returns what is still unprocessed after the last attempt', async () => {
    const { store, calls } = recordingStore((items) => items.filter((i) => keyOf(i) === 'k2'));
    const result = await writeItems([item(1), item(2)], deps(store), { canWait: () => true, maxAttempts: 3 });
    expect(calls).toHaveLength(3);
    expect(result.unwritten.map((i) => keyOf(i))).toEqual(['k2']);
    expect(result.lastError).toContain('unprocessed');
  });

  it('stops retrying when the time budget says so', async () => {
    const { store, calls } = recordingStore((items) => items);
    const result = await writeItems([item(1)], deps(store), { canWait: () => false });
    expect(calls).toHaveLength(1);
    expect(result.unwritten).toHaveLength(1);
  });

  it('retries a call that failed transiently', async () => {
    const { store, calls } = recordingStore((_items, call) =>
      call === 1 ? sdkError('InternalServerError', 500) : [],
    );
    const result = await writeItems([item(1)], deps(store), { canWait: () => true });
    expect(calls).toHaveLength(2);
    expect(result.unwritten).toEqual([]);
  });

  it('does not retry a call the service rejected (permanent)', async () => {
    const { store, calls } = recordingStore(() =>
      sdkError('ValidationException', 400, 'Item size has exceeded'),
    );
    const result = await writeItems([item(1)], deps(store), { canWait: () => true });
    expect(calls).toHaveLength(1);
    expect(result.unwritten).toHaveLength(1);
    expect(result.lastError).toContain('ValidationException');
  });
});
