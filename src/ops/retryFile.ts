import { HistoryStep, OBJECT_METADATA } from '../pipeline/constants.ts';
import { ObjectGoneError } from '../pipeline/errors.ts';
import type { ObjectStore } from '../pipeline/ports.ts';
import { quarantineKeyOf, UPLOAD_ID_METADATA } from '../pipeline/quarantine.ts';
import { stepSortKey } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';
import type { HistoryWriter } from './ports.ts';
import { stepDiscriminator } from './retryPolicy.ts';
import type { RetryOutcome } from './retryTypes.ts';

/** Metadata keys that describe the quarantine itself: dropped when the file goes back to the input bucket. */
const QUARANTINE_ONLY_METADATA: readonly string[] = [
  OBJECT_METADATA.reason,
  OBJECT_METADATA.sourceBucket,
  OBJECT_METADATA.sourceKey,
  OBJECT_METADATA.quarantinedAt,
  OBJECT_METADATA.error,
  UPLOAD_ID_METADATA,
];

/** What {@link retryFile} did. */
export type RetryFileResult =
  | {
      readonly status: 'retried';
      readonly attempt: number;
      readonly from: string;
      /** Set when the copy succeeded but removing the quarantined object or writing the step did not. */
      readonly warning?: string;
    }
  | {
      readonly status: 'skipped';
      readonly why: 'missing' | 'input-occupied';
      readonly detail: string;
    };

/** Collaborators of {@link retryFile}. */
export interface RetryFileDeps {
  readonly objects: ObjectStore;
  readonly history: HistoryWriter;
  readonly now: () => number;
}

/** True when the object exists (HeadObject succeeds); false when it is gone. */
const exists = async (objects: ObjectStore, location: { bucket: string; key: string }): Promise<boolean> => {
  try {
    await objects.headObject(location);
    return true;
  } catch (error) {
    if (error instanceof ObjectGoneError) return false;
    throw error;
  }
};

/** The user metadata of a retried copy: the original's, minus the quarantine's own keys, with `attempt`. */
const retriedMetadata = (
  metadata: Readonly<Record<string, string>>,
  attempt: number,
): Record<string, string> => {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(metadata))
    if (!QUARANTINE_ONLY_METADATA.includes(name)) kept[name] = value;
  kept[OBJECT_METADATA.attempt] = String(attempt);
  return kept;
};

/**
 * Copy one quarantined upload back to its input key, which re-triggers the pipeline through the
 * bucket notification. The copy carries the original content type and user metadata (minus the
 * quarantine's own keys) with `attempt + 1`, so the handler records it and a retried file cannot loop.
 *
 * Order: copy, then delete the quarantined object (only after the copy succeeded, and only the version
 * that was copied: `If-Match` on its ETag), then the `RETRIED` step. The delete comes right after the
 * copy because the quarantine key is the input key: a fast re-quarantine of the retried file lands on
 * the same key, and the shorter the gap, the smaller that window.
 */
export const retryFile = async (
  upload: FileRecord,
  options: { readonly quarantineBucket: string; readonly maxRetries?: number; readonly manual?: boolean },
  deps: RetryFileDeps,
): Promise<RetryFileResult> => {
  const source = {
    bucket: upload.quarantineBucket ?? options.quarantineBucket,
    key: upload.quarantineKey ?? quarantineKeyOf(upload.key),
  };
  const from = `s3://${source.bucket}/${source.key}`;
  let head: Awaited<ReturnType<ObjectStore['headObject']>>;
  try {
    head = await deps.objects.headObject(source);
  } catch (error) {
    if (error instanceof ObjectGoneError)
      return {
        status: 'skipped',
        why: 'missing',
        detail: `${from} does not exist (retried or removed already?)`,
      };
    throw error;
  }
  const copiedUpload = head.metadata[UPLOAD_ID_METADATA];
  if (copiedUpload !== undefined && copiedUpload !== upload.uploadId)
    return { status: 'skipped', why: 'missing', detail: `${from} holds another upload (${copiedUpload})` };
  // Never overwrite a newer upload of the same key: S3 honours If-None-Match on CopyObject, but the
  // port (and moto) do not, so look first. https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
  if (await exists(deps.objects, { bucket: upload.bucket, key: upload.key }))
    return {
      status: 'skipped',
      why: 'input-occupied',
      detail: `s3://${upload.bucket}/${upload.key} exists again (a newer upload); not overwriting it`,
    };

  const attempt = (upload.attempt ?? 0) + 1;
  const metadata = retriedMetadata(head.metadata, attempt);
  // Taken before the copy, so the step sorts before the upload the copy causes.
  const at = new Date(deps.now()).toISOString();
  await deps.objects.copyObject({
    source: { ...source, ...(head.etag ? { ifMatch: head.etag } : {}) },
    target: { bucket: upload.bucket, key: upload.key },
    size: head.size,
    ...(head.contentType ? { contentType: head.contentType } : {}),
    metadata,
    // Replaces the quarantine's reason tag: lifecycle rules keyed on it must not touch a retried file.
    tags: { [OBJECT_METADATA.attempt]: String(attempt) },
  });
  const warnings: string[] = [];
  try {
    await deps.objects.deleteObject({ ...source, ...(head.etag ? { ifMatch: head.etag } : {}) });
  } catch (error) {
    warnings.push(`copied, but ${from} could not be removed: ${(error as Error).message}`);
  }
  const limit = options.maxRetries !== undefined ? ` of ${options.maxRetries}` : '';
  try {
    await deps.history.putStep({
      pk: upload.pk,
      sk: stepSortKey(at, HistoryStep.RETRIED, stepDiscriminator(upload)),
      recordType: 'STEP',
      step: HistoryStep.RETRIED,
      bucket: upload.bucket,
      key: upload.key,
      at,
      attempt,
      ...(upload.reason ? { reason: upload.reason } : {}),
      detail: `${options.manual ? 'manual' : 'automatic'} retry ${attempt}${limit}: copied ${from} back to s3://${upload.bucket}/${upload.key}`,
    });
  } catch (error) {
    warnings.push(`retried, but the RETRIED step was not written: ${(error as Error).message}`);
  }
  return {
    status: 'retried',
    attempt,
    from,
    ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
  };
};

/**
 * One file's outcome in a retry pass, automatic or manual: in a dry run what would happen, otherwise
 * {@link retryFile} and what it did. Errors propagate: the passes turn them into `failed` outcomes.
 */
export const retryOrPreview = async (
  upload: FileRecord,
  file: { readonly bucket: string; readonly key: string },
  options: Parameters<typeof retryFile>[1] & { readonly dryRun: boolean },
  deps: RetryFileDeps,
): Promise<RetryOutcome> => {
  const reason = upload.reason ? { reason: upload.reason } : {};
  if (options.dryRun)
    return { ...file, ...reason, action: 'would-retry', attempt: (upload.attempt ?? 0) + 1 };
  const result = await retryFile(upload, options, deps);
  if (result.status === 'skipped')
    return { ...file, ...reason, action: 'skipped', why: result.why, detail: result.detail };
  return {
    ...file,
    ...reason,
    action: 'retried',
    attempt: result.attempt,
    ...(result.warning ? { detail: result.warning } : {}),
  };
};
