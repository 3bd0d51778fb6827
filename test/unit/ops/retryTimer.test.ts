import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startRetryTimer } from '../../../src/ops/retryTimer.ts';
import { summarise } from '../../../src/ops/retryTypes.ts';

const empty = summarise([], false);

describe('startRetryTimer', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a pass every interval, never two at once, and keeps going after a failed pass', async () => {
    // Prepare: a pass that takes 250 ms, and fails the second time
    let running = 0;
    let maxRunning = 0;
    let calls = 0;
    const errors: unknown[] = [];
    const timer = startRetryTimer({
      intervalMs: 100,
      pass: async () => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((done) => setTimeout(done, 250));
        running -= 1;
        if (calls === 2) throw new Error('moto went away');
        return empty;
      },
      onError: (error) => errors.push(error),
    });
    // Act: 100 wait + 250 pass, three times = 1,050 ms
    await vi.advanceTimersByTimeAsync(1_060);
    // Assess
    expect(timer.passes()).toBe(3);
    expect(maxRunning).toBe(1);
    expect(errors).toHaveLength(1);
    await timer.stop();
  });

  it('stop() waits for the pass in progress and schedules no more', async () => {
    let finished = 0;
    const timer = startRetryTimer({
      intervalMs: 100,
      immediate: true,
      pass: async () => {
        await new Promise((done) => setTimeout(done, 50));
        finished += 1;
        return empty;
      },
    });
    const stopped = timer.stop();
    await vi.advanceTimersByTimeAsync(60);
    await stopped;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(finished).toBe(1);
    expect(timer.passes()).toBe(1);
  });

  it('refuses an interval that would spin', () => {
    expect(() => startRetryTimer({ intervalMs: 0, pass: async () => empty })).toThrow(RangeError);
  });
});
