import { HistoryStep, OBJECT_METADATA } from '../pipeline/constants.ts';
import { ObjectGoneError, TargetExistsError } from '../pipeline/errors.ts';
import type { ObjectStore } from '../pipeline/ports.ts';
import {
  IN_PLACE_TAG,
  IN_PLACE_TAG_VALUE,
  quarantineKeyOf,
  quarantineLocationText,
  REASON_TAG,
  UPLOAD_ID_METADATA,
} from '../pipeline/quarantine.ts';
import { stepSortKey } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';
import type { HistoryWriter } from './ports.ts';
import { stepDiscriminator } from './retryPolicy.ts';
import { notASource } from './retrySources.ts';
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
      readonly why: 'missing' | 'input-occupied' | 'not-a-source';
      readonly detail: string;
    };

/** Options of {@link retryFile}. */
export interface RetryFileOptions {
  readonly quarantineBucket: string;
  /** The buckets a file may go back into (the pipeline's sources); the record's bucket must be one. */
  readonly sources: ReadonlySet<string>;
  readonly maxRetries?: number;
  readonly manual?: boolean;
}

/** Collaborators of {@link retryFile}. */
export interface RetryFileDeps {
  readonly objects: ObjectStore;
  readonly history: HistoryWriter;
  readonly now: () => number;
}

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

/** Where a record says its upload's bytes are (records from before per-upload keys named the input key). */
export const quarantinedObjectOf = (
  upload: FileRecord,
  quarantineBucket: string,
): { bucket: string; key: string; versionId?: string } => ({
  bucket: upload.quarantineBucket ?? quarantineBucket,
  key: upload.quarantineKey ?? quarantineKeyOf(upload.key, upload.uploadId),
  ...(upload.quarantineVersionId ? { versionId: upload.quarantineVersionId } : {}),
});

/**
 * Copy one quarantined upload back to its key in the bucket it was uploaded to (the record's bucket, one
 * of the pipeline's sources; any other is refused as `not-a-source`), which re-triggers the pipeline through the
 * bucket notification. The copy carries the original content type and user metadata (minus the
 * quarantine's own keys) with `attempt + 1`, so the handler records it and a retried file cannot loop.
 *
 * Guards (docs/operations.md, "Guards"): the copy reads exactly the version the record names, and writes
 * only if the input key is free, atomically (`If-None-Match: *`; a newer upload there is never
 * overwritten, it answers 412 and the file is skipped as `input-occupied`). Then the quarantined object
 * is deleted by its version id, so a slow delete can only ever remove the version that was copied, never
 * a later re-quarantine of the retried file. Then the `RETRIED` step.
 */
export const retryFile = async (
  upload: FileRecord,
  options: RetryFileOptions,
  deps: RetryFileDeps,
): Promise<RetryFileResult> => {
  // Checked here, where the copy happens, whatever the caller filtered: the record's bucket comes from
  // event data, the allowed set from configuration.
  const refused = options.sources.has(upload.bucket) ? undefined : notASource(upload, options.sources);
  if (refused) return { status: 'skipped', why: 'not-a-source', detail: refused.detail ?? '' };
  const source = quarantinedObjectOf(upload, options.quarantineBucket);
  const from = quarantineLocationText(upload) ?? `s3://${source.bucket}/${source.key}`;
  if (upload.quarantinedInPlace) return releaseInPlace(upload, source, from, options, deps);
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

  const attempt = (upload.attempt ?? 0) + 1;
  const metadata = retriedMetadata(head.metadata, attempt);
  // Taken before the copy, so the step sorts before the upload the copy causes.
  const at = new Date(deps.now()).toISOString();
  // Pinned by version where there is one (exact); else by ETag, which a 412 then reports as gone.
  const pin = source.versionId ? {} : head.etag ? { ifMatch: head.etag } : {};
  try {
    await deps.objects.copyObject({
      source: { ...source, ...pin },
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html
      target: { bucket: upload.bucket, key: upload.key, ifNoneMatch: '*' },
      size: head.size,
      ...(head.contentType ? { contentType: head.contentType } : {}),
      metadata,
      // Replaces the quarantine's reason tag: lifecycle rules keyed on it must not touch a retried file.
      tags: { [OBJECT_METADATA.attempt]: String(attempt) },
    });
  } catch (error) {
    if (error instanceof TargetExistsError)
      return {
        status: 'skipped',
        why: 'input-occupied',
        detail: `s3://${upload.bucket}/${upload.key} exists again (a newer upload); not overwriting it`,
      };
    if (error instanceof ObjectGoneError)
      return { status: 'skipped', why: 'missing', detail: `${from} changed or vanished during the retry` };
    throw error;
  }
  const warnings: string[] = [];
  try {
    await deps.objects.deleteObject({ ...source, ...pin });
  } catch (error) {
    warnings.push(`copied, but ${from} could not be removed: ${(error as Error).message}`);
  }
  const detail = `copied ${from} back to s3://${upload.bucket}/${upload.key}`;
  const stepWarning = await writeRetriedStep(upload, { at, attempt, detail }, options, deps);
  if (stepWarning) warnings.push(stepWarning);
  return {
    status: 'retried',
    attempt,
    from,
    ...(warnings.length > 0 ? { warning: warnings.join('; ') } : {}),
  };
};

/** Write the RETRIED step; a failure comes back as a warning (the file itself was retried). */
const writeRetriedStep = async (
  upload: FileRecord,
  step: { readonly at: string; readonly attempt: number; readonly detail: string },
  options: Parameters<typeof retryFile>[1],
  deps: RetryFileDeps,
): Promise<string | undefined> => {
  const limit = options.maxRetries !== undefined ? ` of ${options.maxRetries}` : '';
  try {
    await deps.history.putStep({
      pk: upload.pk,
      sk: stepSortKey(step.at, HistoryStep.RETRIED, stepDiscriminator(upload)),
      recordType: 'STEP',
      step: HistoryStep.RETRIED,
      bucket: upload.bucket,
      key: upload.key,
      at: step.at,
      attempt: step.attempt,
      ...(upload.reason ? { reason: upload.reason } : {}),
      detail: `${options.manual ? 'manual' : 'automatic'} retry ${step.attempt}${limit}: ${step.detail}`,
    });
    return undefined;
  } catch (error) {
    return `retried, but the RETRIED step was not written: ${(error as Error).message}`;
  }
};

/**
 * Retry of an upload quarantined in place (too large to copy within an invocation): release it — its
 * quarantine tags are replaced by the attempt tag, so the input bucket serves it again. Decision: it is
 * not re-processed (that would need a copy onto itself, which is what in-place quarantine avoids); the
 * step says so, and uploading the file again re-processes it.
 */
const releaseInPlace = async (
  upload: FileRecord,
  source: { bucket: string; key: string; versionId?: string },
  from: string,
  options: Parameters<typeof retryFile>[1],
  deps: RetryFileDeps,
): Promise<RetryFileResult> => {
  let tags: Record<string, string>;
  try {
    tags = await deps.objects.getObjectTags(source);
  } catch (error) {
    if (error instanceof ObjectGoneError)
      return {
        status: 'skipped',
        why: 'missing',
        detail: `${from} does not exist (released or removed already?)`,
      };
    throw error;
  }
  if (tags[IN_PLACE_TAG] !== IN_PLACE_TAG_VALUE)
    return { status: 'skipped', why: 'missing', detail: `${from} is not quarantined in place any more` };
  const attempt = (upload.attempt ?? 0) + 1;
  const at = new Date(deps.now()).toISOString();
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(tags))
    if (name !== IN_PLACE_TAG && name !== REASON_TAG) kept[name] = value;
  kept[OBJECT_METADATA.attempt] = String(attempt);
  await deps.objects.putObjectTags({ ...source, tags: kept });
  const detail = `released ${from} in place (readable again; too large to copy, so not re-processed)`;
  const warning = await writeRetriedStep(upload, { at, attempt, detail }, options, deps);
  return { status: 'retried', attempt, from, ...(warning ? { warning } : {}) };
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
  if (!options.sources.has(upload.bucket)) return notASource(upload, options.sources);
  if (options.dryRun) {
    const where = quarantineLocationText(quarantinedLocation(upload, options.quarantineBucket));
    return {
      ...file,
      ...reason,
      action: 'would-retry',
      attempt: (upload.attempt ?? 0) + 1,
      ...(where ? { detail: `from ${where}` } : {}),
    };
  }
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

const quarantinedLocation = (upload: FileRecord, quarantineBucket: string) => {
  const object = quarantinedObjectOf(upload, quarantineBucket);
  return {
    quarantineBucket: object.bucket,
    quarantineKey: object.key,
    ...(object.versionId ? { quarantineVersionId: object.versionId } : {}),
    ...(upload.quarantinedInPlace ? { quarantinedInPlace: true } : {}),
  };
};
