import pLimit from 'p-limit';
import type { RetryPolicy } from '../config/retryConfig.ts';
import { HistoryStep, QuarantineReason } from '../pipeline/constants.ts';
import type { AlertMessage } from '../pipeline/ports.ts';
import { stepSortKey } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';
import { retryOrPreview } from './retryFile.ts';
import { decideAutomatic, latestUpload, retryDueAtMs, stepDiscriminator } from './retryPolicy.ts';
import { notASource, type RetrySourceOptions, retrySources } from './retrySources.ts';
import { type RetryDeps, type RetryOutcome, type RetrySummary, summarise } from './retryTypes.ts';

/** Options of {@link retryQuarantine}. */
export interface RetryPassOptions extends RetryPolicy, RetrySourceOptions {
  /** Where quarantined objects are, for records that do not say. */
  readonly quarantineBucket: string;
  /** Decide and report, change nothing. @default false */
  readonly dryRun?: boolean;
}

const fileId = (r: { bucket: string; key: string }) => `${r.bucket}/${r.key}`;

/** The one SNS alert of a pass: every file that used up its retries in it. */
export const exhaustedAlert = (files: readonly RetryOutcome[], maxRetries: number): AlertMessage => ({
  subject: `Silent Scalper: ${files.length} file(s) failed after ${maxRetries} retries`,
  message: [
    `${files.length} file(s) still failed after ${maxRetries} automatic retries and stay in quarantine (RETRY_EXHAUSTED).`,
    'Fix the cause, then retry by hand: silent-scalper retry [--bucket <bucket>] <key…>',
    '',
    ...files.map((f) => `- s3://${f.bucket}/${f.key}${f.detail ? ` — ${f.detail}` : ''}`),
  ].join('\n'),
  attributes: { status: [HistoryStep.RETRY_EXHAUSTED], reason: [QuarantineReason.PROCESSING_FAILED] },
});

/** The newest PROCESSING_FAILED quarantine of each file, whatever its bucket (sources are checked later). */
const newestProcessingFailed = (records: readonly FileRecord[]): FileRecord[] => {
  const newest = new Map<string, FileRecord>();
  for (const record of records) {
    if (record.reason !== QuarantineReason.PROCESSING_FAILED) continue;
    const id = fileId(record);
    const known = newest.get(id);
    if (!known || record.sk > known.sk) newest.set(id, record);
  }
  return [...newest.values()];
};

/** Files whose backoff has not passed are reported waiting; the rest (up to the pass budget) are examined. */
const splitByBackoff = (
  records: readonly FileRecord[],
  options: RetryPassOptions,
  startedAt: number,
): { waiting: RetryOutcome[]; toExamine: FileRecord[] } => {
  const waiting: RetryOutcome[] = [];
  const toExamine: FileRecord[] = [];
  for (const record of records) {
    // Not due yet: nothing to do whatever the history says, so spare the history read.
    const attempt = record.attempt ?? 0;
    const dueAtMs = retryDueAtMs(Date.parse(record.processedAt), attempt, options.baseDelaySeconds);
    if (attempt < options.maxRetries && startedAt < dueAtMs) {
      waiting.push({
        bucket: record.bucket,
        key: record.key,
        action: 'skipped',
        why: 'waiting',
        reason: QuarantineReason.PROCESSING_FAILED,
        dueAt: new Date(dueAtMs).toISOString(),
      });
    } else if (toExamine.length < options.maxFilesPerPass) {
      toExamine.push(record);
    }
  }
  return { waiting, toExamine };
};

/** Record RETRY_EXHAUSTED once (a conditional write, so two racing passes cannot both record it). */
const exhaust = async (
  upload: FileRecord,
  options: RetryPassOptions,
  deps: RetryDeps,
  now: () => number,
): Promise<RetryOutcome> => {
  const base = { bucket: upload.bucket, key: upload.key };
  const reason = upload.reason ? { reason: upload.reason } : {};
  if (options.dryRun) return { ...base, ...reason, action: 'would-exhaust', attempt: upload.attempt };
  const detail = upload.error ? `last error: ${upload.error}` : undefined;
  // The sort key is fixed per upload (its quarantine time), so the conditional put is idempotent.
  const written = await deps.history.putStep(
    {
      pk: upload.pk,
      sk: stepSortKey(upload.processedAt, HistoryStep.RETRY_EXHAUSTED, stepDiscriminator(upload)),
      recordType: 'STEP',
      step: HistoryStep.RETRY_EXHAUSTED,
      bucket: upload.bucket,
      key: upload.key,
      at: new Date(now()).toISOString(),
      attempt: upload.attempt,
      ...reason,
      detail: `failed after ${options.maxRetries} automatic retries; stays in quarantine`,
    },
    { onlyIfAbsent: true },
  );
  return written
    ? { ...base, ...reason, action: 'exhausted', attempt: upload.attempt, ...(detail ? { detail } : {}) }
    : { ...base, ...reason, action: 'skipped', why: 'already-exhausted' };
};

/** Read one due file's history and skip, exhaust or retry it; a failure is an outcome, not a throw. */
const examineFile = async (
  record: FileRecord,
  options: RetryPassOptions,
  deps: RetryDeps,
  now: () => number,
): Promise<RetryOutcome> => {
  const base = { bucket: record.bucket, key: record.key };
  try {
    const history = await deps.ledger.fileHistory(record.bucket, record.key);
    const upload = latestUpload(history.uploads) ?? record;
    const decision = decideAutomatic(upload, history.steps, options, now());
    if (decision.action === 'skip')
      return {
        ...base,
        ...(upload.reason ? { reason: upload.reason } : {}),
        action: 'skipped',
        why: decision.why,
        ...(decision.dueAtMs !== undefined ? { dueAt: new Date(decision.dueAtMs).toISOString() } : {}),
      };
    if (decision.action === 'exhaust') return await exhaust(upload, options, deps, now);
    const { quarantineBucket, maxRetries } = options;
    const dryRun = options.dryRun ?? false;
    return await retryOrPreview(
      upload,
      base,
      { quarantineBucket, maxRetries, dryRun, sources: retrySources(options) },
      { objects: deps.objects, history: deps.history, now },
    );
  } catch (error) {
    return { ...base, action: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
};

/** Send the pass's one alert listing the exhausted files; returns why it failed, if it did. */
const alertExhausted = async (
  outcomes: readonly RetryOutcome[],
  options: RetryPassOptions,
  deps: RetryDeps,
): Promise<string | undefined> => {
  const exhausted = outcomes.filter((o) => o.action === 'exhausted');
  if (exhausted.length === 0 || !deps.alerts) return undefined;
  try {
    await deps.alerts.publish(exhaustedAlert(exhausted, options.maxRetries));
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
};

/**
 * One automatic pass over the quarantine (run by the schedule in AWS and a timer in local mode).
 *
 * Files whose latest upload is QUARANTINED with PROCESSING_FAILED are copied back to the bucket they were
 * uploaded to (their record's `bucket`, which must be one of the configured sources: a file of any other
 * bucket is reported `not-a-source` and left alone) once their backoff (`baseDelaySeconds × 2^attempt` after the quarantine) has passed, while
 * `attempt < maxRetries`. A file past that gets one RETRY_EXHAUSTED step — a conditional write, so two
 * racing passes cannot both record it — and the pass sends one alert listing such files. Policy
 * rejections are never retried here.
 */
export const retryQuarantine = async (options: RetryPassOptions, deps: RetryDeps): Promise<RetrySummary> => {
  const now = deps.now ?? Date.now;
  const startedAt = now();
  const since = new Date(startedAt - options.lookbackHours * 3_600_000).toISOString();
  // Several uploads of one file can be quarantined: read a few times the file budget of records.
  const records = await deps.ledger.listQuarantined({ since, maxRecords: options.maxFilesPerPass * 4 });
  const sources = retrySources(options);
  const newest = newestProcessingFailed(records);
  // Refused before anything else: no history read, no room taken in the pass budget.
  const refused = newest.filter((r) => !sources.has(r.bucket)).map((r) => notASource(r, sources));
  const { waiting, toExamine } = splitByBackoff(
    newest.filter((r) => sources.has(r.bucket)),
    options,
    startedAt,
  );
  const limit = pLimit(deps.concurrency ?? 4);
  const examined = await Promise.all(
    toExamine.map((record) => limit(() => examineFile(record, options, deps, now))),
  );
  const outcomes = [...refused, ...waiting, ...examined];
  return summarise(outcomes, options.dryRun ?? false, await alertExhausted(outcomes, options, deps));
};
