import { InvalidArgumentError } from 'commander';
import { FileStatus } from '../pipeline/constants.ts';

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$/i;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/**
 * A point in time from a relative duration before `now` (`90s`, `15m`, `24h`, `7d`, `2w`) or an absolute
 * date (`2026-11-24`, `2026-11-24T08:00:00Z`).
 */
export const parseSince = (value: string, now: Date = new Date()): Date => {
  const trimmed = value.trim();
  const match = DURATION.exec(trimmed);
  if (match) {
    const unit = (match[2] ?? 's').toLowerCase() as keyof typeof UNIT_MS;
    return new Date(now.getTime() - Number(match[1]) * UNIT_MS[unit]);
  }
  const date = new Date(trimmed);
  if (trimmed === '' || Number.isNaN(date.getTime()))
    throw new InvalidArgumentError(
      `"${value}" is neither a duration (e.g. 30m, 24h, 7d) nor a date (e.g. 2026-11-24T08:00:00Z).`,
    );
  return date;
};

/** A commander argument parser for an integer in [min, max]. */
export const integerIn =
  (min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`must be a whole number from ${min} to ${max} (got "${value}").`);
    return n;
  };

/** A commander argument parser for a file status, case-insensitive. */
export const parseStatus = (value: string): FileStatus => {
  const upper = value.trim().toUpperCase();
  const statuses = Object.values(FileStatus) as string[];
  if (!statuses.includes(upper))
    throw new InvalidArgumentError(`must be one of ${statuses.join(', ')} (got "${value}").`);
  return upper as FileStatus;
};
