import { randomBytes } from 'node:crypto';

/** Shortest access token accepted: 20 characters (a hex token from `openssl rand -hex 16` has 32). */
export const MIN_TOKEN_LENGTH = 20;
/**
 * Least estimated entropy of an access token, in bits. The estimate (below) is a heuristic against the
 * obviously guessable — `aaaaaaaaaaaaaaaaaaaa`, `passwordpassword`, `12345678901234567890` — not proof of
 * randomness; the generated default has 256 random bits.
 */
export const MIN_TOKEN_ENTROPY_BITS = 64;

/** A random access token: 32 bytes (256 bits) from the OS, base64url (43 characters, URL-safe). */
export const generateToken = (): string => randomBytes(32).toString('base64url');

/**
 * Estimated entropy of `token` in bits: the smaller of (a) its Shannon entropy — bits per character from
 * the character frequencies, times the length, which punishes repeated characters — and (b) the length
 * times log2 of the alphabet its character classes span (lower, upper, digits, other), which punishes a
 * small alphabet. A token that is a shorter block repeated counts as that block.
 */
export const estimateTokenEntropyBits = (token: string): number => {
  const chars = [...token];
  if (chars.length === 0) return 0;
  for (let period = 1; period <= chars.length / 2; period++) {
    if (chars.length % period !== 0) continue;
    const block = chars.slice(0, period).join('');
    if (block.repeat(chars.length / period) === token) return estimateTokenEntropyBits(block);
  }
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perChar = 0;
  for (const n of counts.values()) perChar -= (n / chars.length) * Math.log2(n / chars.length);
  const pool =
    (/[a-z]/.test(token) ? 26 : 0) +
    (/[A-Z]/.test(token) ? 26 : 0) +
    (/[0-9]/.test(token) ? 10 : 0) +
    (/[^a-zA-Z0-9]/.test(token) ? 33 : 0);
  return Math.min(perChar * chars.length, chars.length * Math.log2(Math.max(pool, 1)));
};

/** Why `token` is too weak to guard the dashboard, or undefined when it is strong enough. */
export const weakTokenReason = (token: string): string | undefined => {
  if ([...token].length < MIN_TOKEN_LENGTH)
    return `the access token must be at least ${MIN_TOKEN_LENGTH} characters`;
  if (estimateTokenEntropyBits(token) < MIN_TOKEN_ENTROPY_BITS)
    return `the access token is too predictable (repeated or few distinct characters): use a random one, e.g. \`openssl rand -hex 32\`, or leave it out and one is generated`;
  return undefined;
};
