import { applyPolicy, type PolicyOutcome } from './applyPolicy.ts';
import { classifyError, describeError } from './classifyError.ts';
import { FileStatus, OBJECT_METADATA, QuarantineReason } from './constants.ts';
import { ObjectGoneError, PermanentError } from './errors.ts';
import type { PolicyConfig } from './policy.ts';
import type { Clock, LoggerPort, MetadataStore, ObjectHead, ObjectPrefix, ObjectStore } from './ports.ts';
import {
  deleteMovedUpload,
  findOwnQuarantineCopy,
  IN_PLACE_TAG,
  IN_PLACE_TAG_VALUE,
  type QuarantineLocation,
  quarantineUpload,
  REASON_TAG,
} from './quarantine.ts';
import { filePartitionKey, listIndexAttributes, uploadSortKey } from './recordKeys.ts';
import type { S3ObjectEvent } from './s3Event.ts';
import { type SniffResult, sniff } from './sniff.ts';
import type { FileRecord } from './types.ts';

/** Settings {@link processFile} needs (a subset of HandlerConfig). */
export interface FileProcessingConfig extends PolicyConfig {
  readonly quarantineBucket: string;
  readonly maxReceives: number;
  readonly sniffBytes: number;
  /** Rejected files above this size are quarantined in place (see quarantine.ts). */
  readonly quarantineInPlaceBytes?: number;
}

/** Collaborators of {@link processFile}. */
export interface FileProcessingDeps {
  readonly objectStore: ObjectStore;
  /** Read to find an upload's final record before acting again on a redelivery. */
  readonly metadataStore: Pick<MetadataStore, 'fileHistory'>;
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/** The message a file came from. */
export interface FileMessageContext {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentTimestampMs: number;
}

/**
 * What became of one file: a record to write; `finished` when the upload already has its final record (a
 * redelivery: acknowledge it, write and move nothing); or a failure to retry through SQS.
 */
export type FileOutcome =
  | { readonly kind: 'record'; readonly record: FileRecord; readonly bytesRead: number }
  | { readonly kind: 'finished'; readonly record: FileRecord; readonly bytesRead: number }
  | { readonly kind: 'failed'; readonly error: string; readonly bytesRead: number };

/** The retry attempt an object carries in its metadata; 0 for an original upload. */
export const attemptOf = (metadata: Readonly<Record<string, string>>): number => {
  const raw = metadata[OBJECT_METADATA.attempt];
  const value = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isInteger(value) && value > 0 ? value : 0;
};

const EMPTY = new Uint8Array(0);

/** One file being processed: the event, its message, and what has been learnt so far. */
interface FileRun {
  readonly event: S3ObjectEvent;
  readonly message: FileMessageContext;
  readonly config: FileProcessingConfig;
  readonly deps: FileProcessingDeps;
  readonly startedAt: number;
  readonly log: Record<string, unknown>;
  /** The S3 ETag in quotes, pinning reads, copies and deletes to this upload. */
  readonly ifMatch: string | undefined;
  head: ObjectHead | undefined;
  bytesRead: number;
}

/** How a record is built: status, what was read, why and where it went. */
interface RecordFacts {
  readonly status: FileStatus;
  readonly head?: ObjectHead;
  readonly sniffed?: SniffResult;
  readonly sniffMs?: number;
  readonly reason?: QuarantineReason;
  readonly error?: string;
  readonly location?: QuarantineLocation;
  readonly processedAtMs?: number;
  /** What the policy adds to the record (matched rule, ignored marker, archive entry count). */
  readonly policy?: PolicyOutcome['attributes'];
}

/** The object the event is about, pinned to this upload (version and ETag). */
const sourceRef = (run: FileRun) => ({
  bucket: run.event.bucket,
  key: run.event.key,
  ...(run.event.versionId ? { versionId: run.event.versionId } : {}),
  ...(run.ifMatch ? { ifMatch: run.ifMatch } : {}),
});

/** The upload's table item (the contract in DESIGN.md plus this project's additions). */
const buildRecord = (run: FileRun, facts: RecordFacts): FileRecord => {
  const { event, message, deps } = run;
  const finishedAt = deps.clock.now();
  const processedAt = new Date(facts.processedAtMs ?? finishedAt).toISOString();
  const pk = filePartitionKey(event.bucket, event.key);
  const sk = uploadSortKey(event.eventTime, event.uploadId);
  const h = facts.head;
  const etag = event.eTag ?? h?.etag;
  return {
    pk,
    sk,
    ...listIndexAttributes({
      bucket: event.bucket,
      key: event.key,
      status: facts.status,
      processedAtIso: processedAt,
      pk,
      sk,
    }),
    recordType: 'UPLOAD',
    bucket: event.bucket,
    key: event.key,
    status: facts.status,
    ...(facts.reason ? { reason: facts.reason } : {}),
    size: h?.size ?? event.size ?? 0,
    ...(etag ? { etag: etag.replace(/"/g, '') } : {}),
    ...(h?.contentType ? { declaredContentType: h.contentType } : {}),
    ...(facts.sniffed?.mime ? { mime: facts.sniffed.mime } : {}),
    ...(facts.sniffed?.ext ? { ext: facts.sniffed.ext } : {}),
    ...(facts.sniffed?.contentClass ? { contentClass: facts.sniffed.contentClass } : {}),
    eventTime: event.eventTime,
    processedAt,
    durationMs: Math.max(0, finishedAt - run.startedAt),
    queueLatencyMs: Math.max(0, run.startedAt - message.sentTimestampMs),
    receiveCount: message.receiveCount,
    uploadId: event.uploadId,
    ...(event.versionId ? { versionId: event.versionId } : {}),
    ...(facts.sniffMs !== undefined ? { sniffMs: facts.sniffMs } : {}),
    ...(facts.location ?? {}),
    ...(facts.error ? { error: facts.error } : {}),
    ...facts.policy,
    attempt: h ? attemptOf(h.metadata) : 0,
    messageId: message.messageId,
  };
};

const recorded = (run: FileRun, facts: RecordFacts): FileOutcome => ({
  kind: 'record',
  bytesRead: run.bytesRead,
  record: buildRecord(run, facts),
});

/**
 * A message SQS sent this long after its S3 event is a replay or a redrive from the DLQ. S3 sends event
 * notifications within seconds (https://docs.aws.amazon.com/AmazonS3/latest/userguide/EventNotifications.html),
 * while a message reaches the DLQ only after `maxReceives` − 1 visibility timeouts (4 × 6 min at the
 * defaults; 4 × 18 s with the 3 s function timeout of the faults e2e). A redriven or replayed message is
 * a new message to SQS (new SentTimestamp, receive count 1), so its receive count cannot tell. A genuine
 * notification delayed longer only costs the checks below (one query and at most one GET).
 */
const REPLAY_AFTER_MS = 60_000;

/**
 * True when an earlier delivery may already have acted on this upload: a redelivery (receive count > 1)
 * or a replay from the DLQ. Only then are the final record and a quarantine copy looked for, so a first
 * delivery pays for neither.
 */
const mayHaveBeenActedOn = (run: FileRun): boolean => {
  if (run.message.receiveCount > 1) return true;
  const eventMs = Date.parse(run.event.eventTime);
  return Number.isFinite(eventMs) && run.message.sentTimestampMs - eventMs > REPLAY_AFTER_MS;
};

/**
 * The upload's final record, if one was written by an earlier delivery (same key, event time and upload
 * id). Every record the pipeline writes is final (PROCESSED, QUARANTINED or GONE).
 */
const findFinalRecord = async (run: FileRun): Promise<FileRecord | undefined> => {
  const { event } = run;
  const history = await run.deps.metadataStore.fileHistory(event.bucket, event.key);
  return history.find(
    (item): item is FileRecord =>
      item.recordType === 'UPLOAD' && item.uploadId === event.uploadId && item.eventTime === event.eventTime,
  );
};

/** An upload that already has its final record: acknowledged; nothing is moved or rewritten. */
const alreadyFinished = (run: FileRun, record: FileRecord): FileOutcome => {
  run.deps.logger.info('upload already has its final record; redelivery acknowledged', {
    ...run.log,
    status: record.status,
    receiveCount: run.message.receiveCount,
  });
  return { kind: 'finished', record, bytesRead: run.bytesRead };
};

/** Move the file; its record's processedAt is the quarantinedAt written on the object (a redelivery rebuilds it). */
const moveToQuarantine = async (
  run: FileRun,
  reason: QuarantineReason,
  head: ObjectHead,
  error?: string,
): Promise<{ location: QuarantineLocation; processedAtMs: number }> => {
  const { event, config, deps } = run;
  const atMs = deps.clock.now();
  const location = await quarantineUpload(deps.objectStore, {
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId ? { versionId: event.versionId } : {}),
    ...(run.ifMatch ? { eTag: run.ifMatch } : {}),
    uploadId: event.uploadId,
    head,
    quarantineBucket: config.quarantineBucket,
    reason,
    ...(error ? { error } : {}),
    nowIso: new Date(atMs).toISOString(),
    ...(config.quarantineInPlaceBytes !== undefined
      ? { inPlaceAboveBytes: config.quarantineInPlaceBytes }
      : {}),
  });
  return { location, processedAtMs: atMs };
};

/** Our quarantine copy of THIS upload and its exact location, if an earlier delivery made one. */
const readOwnQuarantineCopy = async (
  run: FileRun,
): Promise<{ readonly copy: ObjectPrefix; readonly location: QuarantineLocation } | undefined> => {
  const { event, config, deps } = run;
  const own = await findOwnQuarantineCopy(deps.objectStore, {
    bucket: event.bucket,
    key: event.key,
    uploadId: event.uploadId,
    quarantineBucket: config.quarantineBucket,
    maxBytes: config.sniffBytes,
  });
  run.bytesRead += own?.copy.bytes.length ?? 0;
  return own;
};

/** Our own quarantine copy of THIS upload, read by {@link readOwnQuarantineCopy}. */
type OwnCopy = NonNullable<Awaited<ReturnType<typeof readOwnQuarantineCopy>>>;

/**
 * The QUARANTINED record an earlier delivery's move stands for, rebuilt from the copy it made (reason,
 * error and time are on the copy's metadata); undefined when the copy names no reason we know.
 */
const recordFromOwnCopy = async (run: FileRun, own: OwnCopy): Promise<FileOutcome | undefined> => {
  const { copy } = own;
  const reason = copy.metadata[OBJECT_METADATA.reason] as QuarantineReason | undefined;
  if (!reason || !Object.values(QuarantineReason).includes(reason)) return undefined;
  const sniffed = await sniff(copy.bytes, run.event.key);
  const quarantinedAt = Date.parse(copy.metadata[OBJECT_METADATA.quarantinedAt] ?? '');
  const error = copy.metadata[OBJECT_METADATA.error];
  return recorded(run, {
    status: FileStatus.QUARANTINED,
    head: copy,
    sniffed,
    reason,
    ...(error ? { error } : {}),
    location: own.location,
    ...(Number.isNaN(quarantinedAt) ? {} : { processedAtMs: quarantinedAt }),
  });
};

/**
 * The object is gone. If our quarantine copy of THIS upload exists, the file was already quarantined
 * (a redelivered or duplicate event after the move, or a copy whose answer was lost): rebuild that record
 * instead of overwriting it with GONE.
 */
const goneOrAlreadyQuarantined = async (run: FileRun): Promise<FileOutcome> => {
  const own = await readOwnQuarantineCopy(run);
  const rebuilt = own ? await recordFromOwnCopy(run, own) : undefined;
  if (rebuilt) {
    const reason = rebuilt.kind === 'record' ? rebuilt.record.reason : undefined;
    run.deps.logger.info('object already quarantined by an earlier delivery', { ...run.log, reason });
    return rebuilt;
  }
  run.deps.logger.info('object no longer exists', run.log);
  return recorded(run, { status: FileStatus.GONE, ...(run.head ? { head: run.head } : {}) });
};

/**
 * An earlier delivery began moving this upload to quarantine (its copy exists) and did not finish: the
 * delete of the input failed, or the invocation crashed or timed out in between, and the message came
 * back (redelivered, or replayed from the DLQ). The earlier decision stands and the move is completed —
 * the input object is deleted, pinned to this upload — rather than the copy being deleted: a concurrent
 * delivery of the same message may be finishing that very move, and deleting its copy would lose the
 * file. A PROCESSING_FAILED file is then retried from quarantine like any other. Without this, the file
 * would end PROCESSED with a stray copy in quarantine (seen in the faults e2e, 1 file in 8 runs).
 */
const completeEarlierMove = async (run: FileRun, own: OwnCopy): Promise<FileOutcome | undefined> => {
  const outcome = await recordFromOwnCopy(run, own);
  if (!outcome) return undefined;
  const { event } = run;
  await deleteMovedUpload(run.deps.objectStore, {
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId ? { versionId: event.versionId } : {}),
    ...(run.ifMatch ? { eTag: run.ifMatch } : {}),
  });
  const reason = outcome.kind === 'record' ? outcome.record.reason : undefined;
  run.deps.logger.info('completed the quarantine an earlier delivery began', { ...run.log, reason });
  return outcome;
};

/**
 * The in-place twin of {@link completeEarlierMove}: an upload above `quarantineInPlaceBytes` is
 * quarantined by tagging it where it is, so an earlier delivery that tagged it and then lost its record
 * left it tagged in the input bucket — unreadable to users under the bucket policy. Its record is rebuilt
 * from the tags rather than written PROCESSED for a file nobody may read. One GetObjectTagging, only for
 * such large files and only when the message may have been acted on.
 */
const alreadyQuarantinedInPlace = async (
  run: FileRun,
  head: ObjectHead,
): Promise<FileOutcome | undefined> => {
  const { event, deps } = run;
  const ref = {
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId ? { versionId: event.versionId } : {}),
  };
  const tags = await deps.objectStore.getObjectTags(ref);
  const reason = tags[REASON_TAG] as QuarantineReason | undefined;
  if (
    tags[IN_PLACE_TAG] !== IN_PLACE_TAG_VALUE ||
    !reason ||
    !Object.values(QuarantineReason).includes(reason)
  )
    return undefined;
  deps.logger.info('upload already quarantined in place by an earlier delivery', { ...run.log, reason });
  return recorded(run, {
    status: FileStatus.QUARANTINED,
    head,
    reason,
    location: {
      quarantineBucket: event.bucket,
      quarantineKey: event.key,
      ...(event.versionId ? { quarantineVersionId: event.versionId } : {}),
      quarantinedInPlace: true,
    },
  });
};

/**
 * For a file the policy accepts on a redelivery or a replay: the quarantine an earlier delivery made or
 * began for this upload (in place for large files, else a copy in the quarantine bucket), completed and
 * recorded; undefined when there is none (the usual case: the file is PROCESSED).
 */
const earlierQuarantine = async (run: FileRun, head: ObjectHead): Promise<FileOutcome | undefined> => {
  const inPlaceAbove = run.config.quarantineInPlaceBytes;
  if (inPlaceAbove !== undefined && head.size > inPlaceAbove) return alreadyQuarantinedInPlace(run, head);
  const own = await readOwnQuarantineCopy(run);
  return own ? completeEarlierMove(run, own) : undefined;
};

/** One ranged GET (a head for a 0-byte object: a range on it fails with 416). */
const readFilePrefix = async (run: FileRun): Promise<ObjectPrefix> => {
  const { objectStore } = run.deps;
  const prefix =
    run.event.size === 0
      ? { ...(await objectStore.headObject(sourceRef(run))), bytes: EMPTY }
      : await objectStore.readPrefix({ ...sourceRef(run), maxBytes: run.config.sniffBytes });
  run.head = prefix;
  run.bytesRead += prefix.bytes.length;
  return prefix;
};

/** Read, sniff, apply the policy; accept (PROCESSED) or move to quarantine (QUARANTINED). */
const inspectAndDecide = async (run: FileRun): Promise<FileOutcome> => {
  const { event, config, deps } = run;
  const prefix = await readFilePrefix(run);
  const sniffStart = deps.clock.now();
  const sniffed = await sniff(prefix.bytes, event.key);
  const sniffMs = deps.clock.now() - sniffStart;
  // The policy may read once more (an archive's central directory, from the end of the object).
  const judged = await applyPolicy(
    { ref: sourceRef(run), size: prefix.size, prefix: prefix.bytes, sniffed },
    config,
    deps.objectStore,
  );
  run.bytesRead += judged.bytesRead;
  const { verdict, attributes: policy } = judged;
  if (verdict.accepted) {
    const earlier = mayHaveBeenActedOn(run) ? await earlierQuarantine(run, prefix) : undefined;
    if (earlier) return earlier;
    deps.logger.debug('file accepted', { ...run.log, mime: sniffed.mime, size: prefix.size });
    return recorded(run, { status: FileStatus.PROCESSED, head: prefix, sniffed, sniffMs, policy });
  }
  const moved = await moveToQuarantine(run, verdict.reason, prefix, verdict.detail);
  deps.logger.info('file quarantined', { ...run.log, reason: verdict.reason, detail: verdict.detail });
  return recorded(run, {
    status: FileStatus.QUARANTINED,
    head: prefix,
    sniffed,
    sniffMs,
    reason: verdict.reason,
    error: verdict.detail,
    ...moved,
    policy,
  });
};

/**
 * The last-resort fallback (a permanent error, or the last allowed receive): quarantine the file as
 * PROCESSING_FAILED so it is never silently dropped — but first look for the upload's final record: an
 * upload that was finished by an earlier delivery (whose delete failed) is acknowledged, never moved, and
 * its record is never overwritten.
 */
const quarantineAsFailed = async (run: FileRun, description: string): Promise<FileOutcome> => {
  const existing = await findFinalRecord(run);
  if (existing) return alreadyFinished(run, existing);
  const head = run.head ?? (await run.deps.objectStore.headObject(sourceRef(run)));
  const moved = await moveToQuarantine(run, QuarantineReason.PROCESSING_FAILED, head, description);
  return recorded(run, {
    status: FileStatus.QUARANTINED,
    head,
    reason: QuarantineReason.PROCESSING_FAILED,
    error: description,
    ...moved,
  });
};

/** A failure: retry through SQS, or (permanent / last receive) the PROCESSING_FAILED fallback. */
const handleFailure = async (run: FileRun, caught: unknown): Promise<FileOutcome> => {
  const { logger } = run.deps;
  const error = classifyError(caught);
  const description = describeError(error);
  const permanent = error instanceof PermanentError;
  const receiveCount = run.message.receiveCount;
  if (!permanent && receiveCount < run.config.maxReceives) {
    logger.warn('file failed, will be retried', { ...run.log, error: description, receiveCount });
    return { kind: 'failed', error: description, bytesRead: run.bytesRead };
  }
  try {
    const outcome = await quarantineAsFailed(run, description);
    if (outcome.kind === 'record')
      logger.error('file quarantined after processing failed', {
        ...run.log,
        error: description,
        receiveCount,
        permanent,
      });
    return outcome;
  } catch (fallbackError) {
    if (fallbackError instanceof ObjectGoneError) return goneAfterFailure(run);
    const fallback = describeError(classifyError(fallbackError));
    logger.error('file failed and could not be quarantined', {
      ...run.log,
      error: description,
      quarantineError: fallback,
    });
    return {
      kind: 'failed',
      error: `${description}; quarantine failed: ${fallback}`,
      bytesRead: run.bytesRead,
    };
  }
};

/** The fallback found the object gone: record what happened to it, or fail the message if that fails too. */
const goneAfterFailure = async (run: FileRun): Promise<FileOutcome> => {
  try {
    return await goneOrAlreadyQuarantined(run);
  } catch (goneError) {
    return { kind: 'failed', error: describeError(goneError), bytesRead: run.bytesRead };
  }
};

/** The normal path: a redelivery first looks for the upload's final record, then the file is inspected. */
const processOnce = async (run: FileRun): Promise<FileOutcome> => {
  // A redelivered or replayed message whose file an earlier delivery finished (its delete failed, or its
  // invocation ended before the delete) is acknowledged as it is: nothing is moved, nothing is rewritten.
  if (mayHaveBeenActedOn(run)) {
    const existing = await findFinalRecord(run);
    if (existing) return alreadyFinished(run, existing);
  }
  try {
    return await inspectAndDecide(run);
  } catch (error) {
    if (error instanceof ObjectGoneError) return await goneOrAlreadyQuarantined(run);
    throw error;
  }
};

/**
 * Process one uploaded file: one ranged GET (none for a 0-byte object), sniff, policy, quarantine on
 * reject, and the record to write. Never throws: failures come back as `{ kind: 'failed' }`.
 *
 * Errors: a vanished object is `GONE` (unless our own quarantine copy of this upload shows it was
 * already handled — a redelivery); a permanent error, or a transient one on the last allowed receive,
 * quarantines the file as PROCESSING_FAILED (unless the upload already has its final record); other
 * transient errors fail the file so SQS redelivers it.
 */
export const processFile = async (
  event: S3ObjectEvent,
  message: FileMessageContext,
  config: FileProcessingConfig,
  deps: FileProcessingDeps,
): Promise<FileOutcome> => {
  const run: FileRun = {
    event,
    message,
    config,
    deps,
    startedAt: deps.clock.now(),
    log: { messageId: message.messageId, bucket: event.bucket, key: event.key },
    ifMatch: event.eTag ? `"${event.eTag}"` : undefined,
    head: undefined,
    bytesRead: 0,
  };
  try {
    return await processOnce(run);
  } catch (caught) {
    return await handleFailure(run, caught);
  }
};
