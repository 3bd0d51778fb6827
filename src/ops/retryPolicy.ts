import type { RetryPolicy } from '../config/retryConfig.ts';
import { FileStatus, HistoryStep, POLICY_REASONS, QuarantineReason } from '../pipeline/constants.ts';
import type { FileRecord, HistoryStepRecord } from '../pipeline/types.ts';

/**
 * When retry number `attempt + 1` of a file quarantined at `quarantinedAtMs` is due: exponential backoff,
 * `baseDelaySeconds × 2^attempt` after the quarantine.
 */
export const retryDueAtMs = (quarantinedAtMs: number, attempt: number, baseDelaySeconds: number): number =>
  quarantinedAtMs + baseDelaySeconds * 1000 * 2 ** attempt;

/** The file's latest upload: the one with the greatest sort key (event time first). */
export const latestUpload = (uploads: readonly FileRecord[]): FileRecord | undefined =>
  uploads.reduce<FileRecord | undefined>(
    (latest, u) => (!latest || u.sk > latest.sk ? u : latest),
    undefined,
  );

/**
 * Discriminator of a step taken about one upload: its sort key, unique per upload item. Decision: the sort
 * key, not the upload id alone, which falls back to the ETag (the same for a file copied back) for an
 * event with neither versionId nor sequencer; S3 always sends a sequencer, and so does the local launcher.
 */
export const stepDiscriminator = (upload: FileRecord): string => upload.sk;

/** True when the history holds `step` for this upload. */
export const hasStepFor = (
  steps: readonly HistoryStepRecord[],
  step: HistoryStep,
  upload: FileRecord,
): boolean =>
  steps.some((s) => s.step === step && s.sk.endsWith(`#STEP#${step}#${stepDiscriminator(upload)}`));

/** True for reasons that are policy decisions (retried only by hand, with force). */
export const isPolicyReason = (reason: QuarantineReason | undefined): boolean =>
  reason !== undefined && POLICY_REASONS.includes(reason);

/** What the automatic pass does with one file. */
export type AutomaticDecision =
  | { readonly action: 'retry' }
  | { readonly action: 'exhaust' }
  | {
      readonly action: 'skip';
      readonly why: 'not-quarantined' | 'policy' | 'already-retried' | 'already-exhausted' | 'waiting';
      readonly dueAtMs?: number;
    };

/**
 * The automatic decision for a file whose latest upload is `upload`: only PROCESSING_FAILED quarantines
 * are retried, once per upload, after their backoff, while `attempt < maxRetries`; past that the file is
 * exhausted, once.
 */
export const decideAutomatic = (
  upload: FileRecord,
  steps: readonly HistoryStepRecord[],
  policy: Pick<RetryPolicy, 'maxRetries' | 'baseDelaySeconds'>,
  nowMs: number,
): AutomaticDecision => {
  if (upload.status !== FileStatus.QUARANTINED) return { action: 'skip', why: 'not-quarantined' };
  if (upload.reason !== QuarantineReason.PROCESSING_FAILED) return { action: 'skip', why: 'policy' };
  if (hasStepFor(steps, HistoryStep.RETRIED, upload)) return { action: 'skip', why: 'already-retried' };
  const attempt = upload.attempt ?? 0;
  if (attempt >= policy.maxRetries)
    return hasStepFor(steps, HistoryStep.RETRY_EXHAUSTED, upload)
      ? { action: 'skip', why: 'already-exhausted' }
      : { action: 'exhaust' };
  const dueAtMs = retryDueAtMs(Date.parse(upload.processedAt), attempt, policy.baseDelaySeconds);
  if (nowMs < dueAtMs) return { action: 'skip', why: 'waiting', dueAtMs };
  return { action: 'retry' };
};
