/** Wrong tokens from one address before answers slow down. */
export const FREE_FAILURES = 5;
/** Wrong tokens from one address before it is locked out. */
export const LOCKOUT_FAILURES = 20;
/** How long a lockout lasts; failures older than this are forgotten too. */
export const LOCKOUT_MS = 15 * 60_000;
/** Longest wait between two attempts while slowed down. */
const MAX_DELAY_MS = 60_000;
/** Addresses tracked at most (oldest dropped), so a flood of addresses cannot grow memory without end. */
const MAX_TRACKED = 10_000;

interface Failures {
  count: number;
  lastAt: number;
}

/** What the throttle says about an address: go ahead, or wait this long (slowed or locked out). */
export type ThrottleVerdict =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly retryAfterMs: number; readonly lockedOut: boolean };

/**
 * Slows down and then locks out an address that presents wrong access tokens: the first
 * {@link FREE_FAILURES} are free (typos), then each further attempt must wait twice as long as the last
 * (1 s, 2 s, 4 s … at most 60 s), and after {@link LOCKOUT_FAILURES} the address is refused for
 * {@link LOCKOUT_MS} — even with the right token, so a guess made while locked tells nothing. Attempts
 * refused while waiting do not count. The right token clears the address's failures.
 *
 * Per remote address: behind a reverse proxy every client shares the proxy's address (then one client's
 * guesses lock the others out — the safe side).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly now: () => number = Date.now) {}

  /** May `address` present a token now? */
  check(address: string): ThrottleVerdict {
    const entry = this.current(address);
    if (!entry || entry.count < FREE_FAILURES) return { allowed: true };
    const t = this.now();
    if (entry.count >= LOCKOUT_FAILURES)
      return { allowed: false, retryAfterMs: entry.lastAt + LOCKOUT_MS - t, lockedOut: true };
    const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** (entry.count - FREE_FAILURES));
    const wait = entry.lastAt + delay - t;
    return wait > 0 ? { allowed: false, retryAfterMs: wait, lockedOut: false } : { allowed: true };
  }

  /** `address` presented a wrong token. */
  fail(address: string): void {
    const entry = this.current(address) ?? { count: 0, lastAt: 0 };
    entry.count++;
    entry.lastAt = this.now();
    this.failures.delete(address);
    this.failures.set(address, entry);
    if (this.failures.size > MAX_TRACKED) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
  }

  /** `address` presented the right token. */
  succeed(address: string): void {
    this.failures.delete(address);
  }

  private current(address: string): Failures | undefined {
    const entry = this.failures.get(address);
    if (entry && this.now() - entry.lastAt > LOCKOUT_MS) {
      this.failures.delete(address);
      return undefined;
    }
    return entry;
  }
}
