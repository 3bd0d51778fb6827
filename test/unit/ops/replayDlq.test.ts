import { describe, expect, it } from 'vitest';
import { cancelDlqReplay } from '../../../src/ops/cancelDlqReplay.ts';
import { createRateLimiter } from '../../../src/ops/rateLimiter.ts';
import { replayDlq } from '../../../src/ops/replayDlq.ts';
import { ReplayOptionsError } from '../../../src/ops/replayOptions.ts';
import { DLQ_ATTRIBUTES } from '../../../src/pipeline/constants.ts';
import type { HistoryStepRecord } from '../../../src/pipeline/types.ts';
import { FakeReplayQueues, s3EventBody } from '../../helpers/opsFakes.ts';

const BUCKET = 'silent-scalper-input';
const fast = { waitTimeSeconds: 0, emptyReceivesToStop: 1 } as const;

/** A DLQ with two failed S3 events and one poison message carrying the handler's error attributes. */
const dlqWithPoison = () => {
  const queues = new FakeReplayQueues();
  const a = queues.add(s3EventBody(BUCKET, ['invoices/a b.pdf']));
  const b = queues.add(s3EventBody(BUCKET, ['photos/cat.png']));
  const poison = queues.add('{"hello":"not an S3 event"}', {
    [DLQ_ATTRIBUTES.error]: 'body has no S3 event Records',
    [DLQ_ATTRIBUTES.errorName]: 'NotAnS3EventError',
  });
  return { queues, a, b, poison };
};

describe('replayDlq (manual mover)', () => {
  it('moves failed S3 events back to the ingest queue and leaves poison in the DLQ, visible', async () => {
    // Prepare
    const { queues, poison } = dlqWithPoison();
    // Act
    const summary = await replayDlq({ ...fast }, { queues });
    // Assess
    expect(summary).toMatchObject({ mode: 'manual', moved: 2, skipped: 1, skippedPoison: 1, failed: 0 });
    expect(queues.ingest.map((m) => JSON.parse(m.body).Records[0].s3.object.key)).toEqual([
      'invoices%2Fa+b.pdf',
      'photos%2Fcat.png',
    ]);
    expect(queues.visibleIds()).toEqual([poison]);
    const skipped = summary.messages.find((m) => m.action === 'skipped-poison');
    expect(skipped?.error).toBe('body has no S3 event Records');
  });

  it('moves poison too with includePoison (falling back from the missing move-task API)', async () => {
    const { queues } = dlqWithPoison();
    const summary = await replayDlq({ ...fast, includePoison: true }, { queues });
    expect(summary.mode).toBe('manual');
    expect(summary.fallbackReason).toMatch(/move tasks/);
    expect(summary.moved).toBe(3);
    expect(queues.dlq).toHaveLength(0);
    // The handler's error attributes ride along, so the message still explains itself.
    expect(queues.ingest[2]?.messageAttributes[DLQ_ATTRIBUTES.errorName]).toBe('NotAnS3EventError');
  });

  it('moves only keys under --prefix, and at most --max messages', async () => {
    const { queues, b, poison } = dlqWithPoison();
    queues.add(s3EventBody(BUCKET, ['invoices/c.pdf']));
    queues.add(s3EventBody(BUCKET, ['invoices/d.pdf']));
    const summary = await replayDlq({ ...fast, prefix: 'invoices/', max: 2 }, { queues });
    expect(summary.moved).toBe(2);
    expect(summary.skippedPrefix).toBe(1);
    expect(queues.ingest.map((m) => JSON.parse(m.body).Records[0].s3.object.key)).toEqual([
      'invoices%2Fa+b.pdf',
      'invoices%2Fc.pdf',
    ]);
    // Not chosen: the other-prefix file, the poison message and the one over the limit stay, visible.
    expect(queues.visibleIds()).toEqual([b, poison, 'm-5']);
  });

  it('dry run moves nothing, reports keys and poison errors, and makes every message visible again', async () => {
    const { queues, a, b, poison } = dlqWithPoison();
    const summary = await replayDlq({ ...fast, dryRun: true }, { queues });
    expect(summary).toMatchObject({ dryRun: true, selected: 2, moved: 0, skippedPoison: 1 });
    expect(summary.messages.filter((m) => m.action === 'would-move').map((m) => m.files)).toEqual([
      [`${BUCKET}/invoices/a b.pdf`],
      [`${BUCKET}/photos/cat.png`],
    ]);
    expect(queues.ingest).toHaveLength(0);
    expect(queues.visibleIds()).toEqual([a, b, poison]);
    expect(queues.calls).toContain('visibility:3:0');
  });

  it('sends a message received twice in one receive only once, with distinct entry ids', async () => {
    const queues = new FakeReplayQueues();
    queues.add(s3EventBody(BUCKET, ['x.csv']));
    queues.add(s3EventBody(BUCKET, ['y.csv']));
    queues.duplicateNextReceive = true;
    const summary = await replayDlq({ ...fast }, { queues });
    expect(summary.moved).toBe(2);
    expect(queues.ingest).toHaveLength(2);
    expect(queues.dlq).toHaveLength(0);
  });

  it('deletes only what was sent: a failed send leaves that message in the DLQ', async () => {
    const queues = new FakeReplayQueues();
    queues.add(s3EventBody(BUCKET, ['ok.csv']));
    const failing = queues.add(s3EventBody(BUCKET, ['fails.csv']));
    queues.failNextSend = [1];
    const summary = await replayDlq({ ...fast, emptyReceivesToStop: 1 }, { queues });
    expect(summary).toMatchObject({ moved: 1, failed: 1 });
    expect(summary.messages.find((m) => m.action === 'failed')?.error).toBe('injected send failure');
    expect(queues.dlq.map((m) => m.messageId)).toEqual([failing]);
    expect(queues.visibleIds()).toEqual([failing]);
  });

  it('a crash between send and delete loses nothing: the message is in both queues', async () => {
    const { queues, poison } = dlqWithPoison();
    queues.delete = async () => {
      throw new Error('injected crash');
    };
    await expect(replayDlq({ ...fast }, { queues })).rejects.toThrow('injected crash');
    expect(queues.ingest).toHaveLength(2);
    expect(queues.dlq).toHaveLength(3);
    // Skipped messages were released on the way out; the sent ones reappear after their visibility timeout.
    expect(queues.visibleIds()).toEqual([poison]);
  });

  it('writes a REPLAYED step per moved file, timed before the send', async () => {
    const { queues } = dlqWithPoison();
    const steps: HistoryStepRecord[] = [];
    const summary = await replayDlq(
      { ...fast },
      {
        queues,
        history: {
          async putStep(step) {
            steps.push(step);
            return true;
          },
        },
        now: () => Date.parse('2026-11-25T12:00:00.000Z'),
      },
    );
    expect(summary.historyErrors).toBe(0);
    expect(steps.map((s) => [s.step, s.key, s.at])).toEqual([
      ['REPLAYED', 'invoices/a b.pdf', '2026-11-25T12:00:00.000Z'],
      ['REPLAYED', 'photos/cat.png', '2026-11-25T12:00:00.000Z'],
    ]);
    expect(steps[0]?.pk).toBe(`FILE#${BUCKET}/invoices/a b.pdf`);
  });

  it('reports progress after each batch', async () => {
    const { queues } = dlqWithPoison();
    const seen: number[] = [];
    await replayDlq({ ...fast }, { queues, onProgress: (p) => seen.push(p.moved) });
    expect(seen.at(-1)).toBe(2);
    expect(seen.length).toBeGreaterThanOrEqual(2);
  });

  it('stops when aborted and releases what it held', async () => {
    const { queues } = dlqWithPoison();
    const controller = new AbortController();
    controller.abort();
    const summary = await replayDlq({ ...fast }, { queues, signal: controller.signal });
    expect(summary).toMatchObject({ moved: 0, stoppedEarly: true });
    expect(queues.visibleIds()).toHaveLength(3);
  });
});

describe('replayDlq (native move task)', () => {
  it('follows the SQS move task until it completes', async () => {
    const { queues } = dlqWithPoison();
    queues.moveTasks = [
      { taskHandle: 'task-1', status: 'RUNNING', approximateMoved: 1, approximateToMove: 3 },
      { taskHandle: 'task-1', status: 'COMPLETED', approximateMoved: 3, approximateToMove: 3 },
    ];
    const progress: number[] = [];
    const summary = await replayDlq(
      { includePoison: true, maxPerSecond: 50, pollIntervalMs: 1 },
      { queues, onProgress: (p) => progress.push(p.moved) },
    );
    expect(summary).toMatchObject({ mode: 'native', moved: 3, failed: 0, stoppedEarly: false });
    expect(progress).toEqual([1, 3]);
  });

  it('refuses native mode when options need filtering', async () => {
    const queues = new FakeReplayQueues();
    await expect(
      replayDlq({ mode: 'native', prefix: 'a/', includePoison: true }, { queues }),
    ).rejects.toThrow(ReplayOptionsError);
    await expect(replayDlq({ mode: 'native' }, { queues })).rejects.toThrow(/include-poison/);
  });

  it('rejects a rate outside the SQS range', async () => {
    const queues = new FakeReplayQueues();
    await expect(replayDlq({ maxPerSecond: 501 }, { queues })).rejects.toThrow(/1 to 500/);
  });

  it('cancels a running task, and says so when none runs', async () => {
    const queues = new FakeReplayQueues();
    queues.moveTasks = [{ taskHandle: 'task-9', status: 'RUNNING', approximateMoved: 2 }];
    expect(await cancelDlqReplay(queues)).toMatchObject({ cancelled: true, approximateMoved: 7 });
    queues.moveTasks = [{ taskHandle: 'task-9', status: 'COMPLETED', approximateMoved: 2 }];
    expect(await cancelDlqReplay(queues)).toMatchObject({ cancelled: false });
  });
});

describe('createRateLimiter', () => {
  it('paces units to the rate', async () => {
    let clock = 0;
    const waits: number[] = [];
    const limiter = createRateLimiter(10, {
      now: () => clock,
      sleep: async (ms) => {
        waits.push(ms);
        clock += ms;
      },
    });
    await limiter.take(10);
    await limiter.take(10);
    await limiter.take(5);
    expect(waits).toEqual([1000, 1000]);
    expect(clock).toBe(2000);
  });
});
