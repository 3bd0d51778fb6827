import type { RetrySummary } from './retryTypes.ts';

/** Options of {@link startRetryTimer}. */
export interface RetryTimerOptions {
  /** Pause between the end of one pass and the start of the next. */
  readonly intervalMs: number;
  /** One retry pass (usually `() => retryQuarantine(options, deps)`). */
  readonly pass: () => Promise<RetrySummary>;
  readonly onPass?: (summary: RetrySummary) => void;
  readonly onError?: (error: unknown) => void;
  /** Run the first pass at once instead of after one interval. @default false */
  readonly immediate?: boolean;
}

/** A running retry timer. */
export interface RetryTimer {
  /** Passes completed (successfully or not). */
  passes(): number;
  /** Stop scheduling; resolves once a pass in progress has finished. */
  stop(): Promise<void>;
}

/**
 * The local stand-in for the EventBridge schedule: run the retry pass every `intervalMs`. Passes never
 * overlap (the next is scheduled when the previous ends), and a failing pass is reported, not fatal.
 */
export const startRetryTimer = (options: RetryTimerOptions): RetryTimer => {
  if (!(Number.isFinite(options.intervalMs) && options.intervalMs >= 10))
    throw new RangeError(`intervalMs must be at least 10 (got ${options.intervalMs})`);
  let stopped = false;
  let completed = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  const runPass = async (): Promise<void> => {
    try {
      const summary = await options.pass();
      options.onPass?.(summary);
    } catch (error) {
      try {
        options.onError?.(error);
      } catch {
        // A failing error reporter must not stop the timer.
      }
    }
  };
  const tick = (): void => {
    timer = undefined;
    if (stopped) return;
    running = runPass().finally(() => {
      completed += 1;
      running = undefined;
      schedule();
    });
  };
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(tick, options.intervalMs);
    // The timer alone must not keep a process (a CLI, a test) alive.
    timer.unref();
  };

  if (options.immediate) tick();
  else schedule();

  return {
    passes: () => completed,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
};
