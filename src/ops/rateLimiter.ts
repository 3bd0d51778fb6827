/** Paces work to at most `perSecond` units per second on average, measured from the first call. */
export interface RateLimiter {
  /** Resolve once `units` more may start without exceeding the rate. */
  take(units: number): Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A pacing limiter: the n-th unit may start at `start + n / perSecond`. With no rate it never waits.
 * `now` and `sleep` are injectable so unit tests run without real time.
 */
export const createRateLimiter = (
  perSecond: number | undefined,
  clock: { now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
): RateLimiter => {
  const now = clock.now ?? Date.now;
  const sleep = clock.sleep ?? realSleep;
  let started: number | undefined;
  let granted = 0;
  return {
    async take(units) {
      if (perSecond === undefined || units <= 0) return;
      started ??= now();
      const allowedAt = started + (granted * 1000) / perSecond;
      granted += units;
      const wait = allowedAt - now();
      if (wait > 0) await sleep(wait);
    },
  };
};
