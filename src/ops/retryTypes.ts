import type { QuarantineReason } from '../pipeline/constants.ts';
import type { AlertPublisher, ObjectStore } from '../pipeline/ports.ts';
import type { HistoryWriter, QuarantineLedger } from './ports.ts';

/** Why a file was left alone. */
export type RetrySkipReason =
  | 'not-found'
  | 'not-quarantined'
  | 'policy'
  | 'needs-force'
  | 'already-retried'
  | 'already-exhausted'
  | 'waiting'
  | 'missing'
  | 'input-occupied'
  /** The record names a bucket that is not one of the pipeline's sources: refused, nothing copied. */
  | 'not-a-source';

/** What happened to one file in a retry pass. */
export interface RetryOutcome {
  readonly bucket: string;
  readonly key: string;
  readonly action: 'retried' | 'would-retry' | 'exhausted' | 'would-exhaust' | 'skipped' | 'failed';
  readonly reason?: QuarantineReason;
  /** The attempt the retried copy carries (1 for the first retry). */
  readonly attempt?: number;
  readonly why?: RetrySkipReason;
  /** ISO time the next automatic retry is due (`waiting`). */
  readonly dueAt?: string;
  readonly detail?: string;
}

/** The result of a retry pass, automatic or manual. */
export interface RetrySummary {
  readonly dryRun: boolean;
  /** Files looked at. */
  readonly examined: number;
  readonly retried: number;
  readonly exhausted: number;
  readonly skipped: number;
  readonly failed: number;
  readonly outcomes: readonly RetryOutcome[];
  /** Set when the RETRY_EXHAUSTED alert could not be published. */
  readonly alertError?: string;
}

/** Collaborators of the retry passes. */
export interface RetryDeps {
  readonly objects: ObjectStore;
  readonly ledger: QuarantineLedger;
  readonly history: HistoryWriter;
  /** Where RETRY_EXHAUSTED alerts go; none, none sent. */
  readonly alerts?: AlertPublisher;
  readonly now?: () => number;
  /** Files handled at once. @default 4 */
  readonly concurrency?: number;
}

/** Count outcomes into a summary. */
export const summarise = (
  outcomes: readonly RetryOutcome[],
  dryRun: boolean,
  alertError?: string,
): RetrySummary => {
  const count = (...actions: RetryOutcome['action'][]) =>
    outcomes.filter((o) => actions.includes(o.action)).length;
  return {
    dryRun,
    examined: outcomes.length,
    retried: count('retried', 'would-retry'),
    exhausted: count('exhausted', 'would-exhaust'),
    skipped: count('skipped'),
    failed: count('failed'),
    outcomes,
    ...(alertError ? { alertError } : {}),
  };
};
