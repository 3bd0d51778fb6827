import pLimit from 'p-limit';
import { FileStatus, HistoryStep, type QuarantineReason } from '../pipeline/constants.ts';
import type { FileRecord } from '../pipeline/types.ts';
import { retryOrPreview } from './retryFile.ts';
import { hasStepFor, isPolicyReason, latestUpload } from './retryPolicy.ts';
import { notASource, type RetrySourceOptions, retrySources } from './retrySources.ts';
import { type RetryDeps, type RetryOutcome, type RetrySummary, summarise } from './retryTypes.ts';

/**
 * Which files to retry by hand: keys of one bucket (the primary input bucket unless `bucket` names
 * another source), every quarantine with a reason, or all (of every source bucket).
 */
export type ManualRetrySelection =
  | { readonly keys: readonly string[]; readonly bucket?: string }
  | { readonly reason: QuarantineReason }
  | { readonly all: true };

/** Options of {@link retryManual}. */
export interface ManualRetryOptions extends RetrySourceOptions {
  readonly quarantineBucket: string;
  /** Also retry policy rejections (EMPTY_FILE, TOO_LARGE, BLOCKED_TYPE, TYPE_MISMATCH, NOT_ALLOWED, ARCHIVE_*). @default false */
  readonly force?: boolean;
  /** Report what would be retried, change nothing. @default false */
  readonly dryRun?: boolean;
  /** Files looked at at most with `reason` / `all`. @default 10000 */
  readonly maxFiles?: number;
}

type FileRef = { bucket: string; key: string };

/** The files a selection names: the given keys, or every quarantined file (of one reason). */
const selectFiles = async (
  selection: ManualRetrySelection,
  options: ManualRetryOptions,
  deps: RetryDeps,
): Promise<FileRef[]> => {
  if ('keys' in selection) {
    const bucket = selection.bucket ?? options.inputBucket;
    return [...new Set(selection.keys)].map((key) => ({ bucket, key }));
  }
  const records = await deps.ledger.listQuarantined({ maxRecords: options.maxFiles ?? 10_000 });
  const seen = new Map<string, FileRef>();
  for (const r of records) {
    if ('reason' in selection && r.reason !== selection.reason) continue;
    // Files of every bucket are listed: those of a bucket that is no source are reported, not copied.
    seen.set(`${r.bucket}/${r.key}`, { bucket: r.bucket, key: r.key });
  }
  return [...seen.values()];
};

/** Why a file's latest upload is not retried by hand, or undefined when it may be. */
const whyNot = (
  upload: FileRecord,
  steps: Parameters<typeof hasStepFor>[0],
  selection: ManualRetrySelection,
  options: ManualRetryOptions,
): Pick<RetryOutcome, 'why' | 'detail'> | undefined => {
  if (upload.status !== FileStatus.QUARANTINED)
    return { why: 'not-quarantined', detail: `latest upload is ${upload.status}` };
  // The latest upload may carry another reason than the one asked for (re-quarantined since).
  if ('reason' in selection && upload.reason !== selection.reason)
    return { why: 'not-quarantined', detail: `now quarantined as ${upload.reason}` };
  if (isPolicyReason(upload.reason) && !options.force)
    return { why: 'needs-force', detail: `${upload.reason} is a policy rejection: add --force to retry it` };
  if (hasStepFor(steps, HistoryStep.RETRIED, upload))
    return { why: 'already-retried', detail: 'already copied back; waiting for the pipeline' };
  return undefined;
};

/** Retry (or preview) one file by hand; a failure is an outcome, not a throw. */
const retryOneByHand = async (
  file: FileRef,
  selection: ManualRetrySelection,
  options: ManualRetryOptions,
  deps: RetryDeps,
): Promise<RetryOutcome> => {
  const sources = retrySources(options);
  // Refused before any read: nothing about a bucket that is no source is looked up or touched.
  if (!sources.has(file.bucket)) return notASource(file, sources);
  try {
    const history = await deps.ledger.fileHistory(file.bucket, file.key);
    const upload: FileRecord | undefined = latestUpload(history.uploads);
    if (!upload) return { ...file, action: 'skipped', why: 'not-found', detail: 'no record of this file' };
    const reason = upload.reason ? { reason: upload.reason } : {};
    const skip = whyNot(upload, history.steps, selection, options);
    if (skip) return { ...file, ...reason, action: 'skipped', ...skip };
    return await retryOrPreview(
      upload,
      file,
      {
        quarantineBucket: options.quarantineBucket,
        sources,
        manual: true,
        dryRun: options.dryRun ?? false,
      },
      { objects: deps.objects, history: deps.history, now: deps.now ?? Date.now },
    );
  } catch (error) {
    return { ...file, action: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
};

/**
 * Retry chosen quarantined files now, whatever their backoff and attempt count (an operator decided):
 * each file's latest upload must be QUARANTINED; policy rejections need `force`. The copy carries
 * `attempt + 1` like an automatic retry, and the `RETRIED` step says it was manual.
 */
export const retryManual = async (
  selection: ManualRetrySelection,
  options: ManualRetryOptions,
  deps: RetryDeps,
): Promise<RetrySummary> => {
  const files = await selectFiles(selection, options, deps);
  const limit = pLimit(deps.concurrency ?? 4);
  const outcomes = await Promise.all(
    files.map((file) => limit(() => retryOneByHand(file, selection, options, deps))),
  );
  return summarise(outcomes, options.dryRun ?? false);
};
