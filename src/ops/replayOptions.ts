import { SilentScalperError } from '../pipeline/errors.ts';
import { ReplayMode, type ReplayOptions } from './replayTypes.ts';

/** Thrown for options that cannot work together; the message says which. */
export class ReplayOptionsError extends SilentScalperError {}

/** SQS's range for a move task's rate; the manual mover keeps it so both modes accept the same flags. */
const isMoveTaskRate = (perSecond: number): boolean =>
  Number.isInteger(perSecond) && perSecond >= 1 && perSecond <= 500;

/** SQS's range for a visibility timeout (ChangeMessageVisibility, ReceiveMessage). */
const isVisibilityTimeout = (seconds: number): boolean =>
  Number.isInteger(seconds) && seconds >= 1 && seconds <= 43_200;

/** The filters a native move task cannot honour (it moves every message and cannot peek). */
const filtersOf = (options: ReplayOptions): string[] =>
  [
    options.dryRun ? '--dry-run' : '',
    options.prefix ? '--prefix' : '',
    options.max !== undefined ? '--max' : '',
    options.includePoison ? '' : 'skipping poison (add --include-poison)',
  ].filter(Boolean);

/** Refuse options that cannot work (each message names the flag); throws {@link ReplayOptionsError}. */
export const validateReplayOptions = (options: ReplayOptions): void => {
  const { max, maxPerSecond, visibilityTimeoutSeconds } = options;
  if (max !== undefined && !(Number.isInteger(max) && max >= 1))
    throw new ReplayOptionsError(`max must be a whole number ≥ 1 (got ${max})`);
  if (maxPerSecond !== undefined && !isMoveTaskRate(maxPerSecond))
    throw new ReplayOptionsError(`max-per-second must be a whole number from 1 to 500 (got ${maxPerSecond})`);
  if (visibilityTimeoutSeconds !== undefined && !isVisibilityTimeout(visibilityTimeoutSeconds))
    throw new ReplayOptionsError(
      `visibility timeout must be 1–43200 seconds (got ${visibilityTimeoutSeconds}), the SQS range`,
    );
  const filters = options.mode === ReplayMode.NATIVE ? filtersOf(options) : [];
  if (filters.length > 0)
    throw new ReplayOptionsError(
      `the native SQS move task moves every message and cannot honour: ${filters.join(', ')}; use the manual mode`,
    );
};

/** True when the request can be served by the server-side move task (it cannot filter or peek). */
export const nativeCanServe = (options: ReplayOptions): boolean => filtersOf(options).length === 0;
