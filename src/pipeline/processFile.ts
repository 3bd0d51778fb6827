import { applyPolicy, type PolicyOutcome } from './applyPolicy.ts';
import { classifyError, describeError } from './classifyError.ts';
import { FileStatus, OBJECT_METADATA, QuarantineReason } from './constants.ts';
import { ObjectGoneError, PermanentError } from './errors.ts';
import type { PolicyConfig } from './policy.ts';
import type { Clock, LoggerPort, ObjectHead, ObjectPrefix, ObjectStore } from './ports.ts';
import { findOwnQuarantineCopy, type QuarantineLocation, quarantineUpload } from './quarantine.ts';
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
  readonly clock: Clock;
  readonly logger: LoggerPort;
}

/** The message a file came from. */
export interface FileMessageContext {
  readonly messageId: string;
  readonly receiveCount: number;
  readonly sentTimestampMs: number;
}

/** What became of one file: a record to write, or a failure to retry through SQS. */
export type FileOutcome =
  | { readonly kind: 'record'; readonly record: FileRecord; readonly bytesRead: number }
  | { readonly kind: 'failed'; readonly error: string; readonly bytesRead: number };

/** The retry attempt an object carries in its metadata; 0 for an original upload. */
export const attemptOf = (metadata: Readonly<Record<string, string>>): number => {
  const raw = metadata[OBJECT_METADATA.attempt];
  const value = raw === undefined ? 0 : Number.parseInt(raw, 10);
  return Number.isInteger(value) && value > 0 ? value : 0;
};

const EMPTY = new Uint8Array(0);

/**
 * Process one uploaded file: one ranged GET (none for a 0-byte object), sniff, policy, quarantine on
 * reject, and the record to write. Never throws: failures come back as `{ kind: 'failed' }`.
 *
 * Errors: a vanished object is `GONE` (unless our own quarantine copy of this upload shows it was
 * already handled — a redelivery); a permanent error, or a transient one on the last allowed receive,
 * quarantines the file as PROCESSING_FAILED; other transient errors fail the file so SQS redelivers it.
 */
export const processFile = async (
  event: S3ObjectEvent,
  message: FileMessageContext,
  config: FileProcessingConfig,
  deps: FileProcessingDeps,
): Promise<FileOutcome> => {
  const { objectStore, clock, logger } = deps;
  const startedAt = clock.now();
  const log = { messageId: message.messageId, bucket: event.bucket, key: event.key };
  const ifMatch = event.eTag ? `"${event.eTag}"` : undefined;
  const ref = {
    bucket: event.bucket,
    key: event.key,
    ...(event.versionId ? { versionId: event.versionId } : {}),
    ...(ifMatch ? { ifMatch } : {}),
  };
  let head: ObjectHead | undefined;
  let bytesRead = 0;

  const build = (args: {
    status: FileStatus;
    head?: ObjectHead;
    sniffed?: SniffResult;
    sniffMs?: number;
    reason?: QuarantineReason;
    error?: string;
    location?: QuarantineLocation;
    processedAtMs?: number;
    policy?: PolicyOutcome['attributes'];
  }): FileRecord => {
    const finishedAt = clock.now();
    const processedAt = new Date(args.processedAtMs ?? finishedAt).toISOString();
    const pk = filePartitionKey(event.bucket, event.key);
    const sk = uploadSortKey(event.eventTime, event.uploadId);
    const h = args.head;
    return {
      pk,
      sk,
      ...listIndexAttributes({
        bucket: event.bucket,
        key: event.key,
        status: args.status,
        processedAtIso: processedAt,
        pk,
        sk,
      }),
      recordType: 'UPLOAD',
      bucket: event.bucket,
      key: event.key,
      status: args.status,
      ...(args.reason ? { reason: args.reason } : {}),
      size: h?.size ?? event.size ?? 0,
      ...((event.eTag ?? h?.etag) ? { etag: (event.eTag ?? h?.etag ?? '').replace(/"/g, '') } : {}),
      ...(h?.contentType ? { declaredContentType: h.contentType } : {}),
      ...(args.sniffed?.mime ? { mime: args.sniffed.mime } : {}),
      ...(args.sniffed?.ext ? { ext: args.sniffed.ext } : {}),
      ...(args.sniffed?.contentClass ? { contentClass: args.sniffed.contentClass } : {}),
      eventTime: event.eventTime,
      processedAt,
      durationMs: Math.max(0, finishedAt - startedAt),
      queueLatencyMs: Math.max(0, startedAt - message.sentTimestampMs),
      receiveCount: message.receiveCount,
      uploadId: event.uploadId,
      ...(event.versionId ? { versionId: event.versionId } : {}),
      ...(args.sniffMs !== undefined ? { sniffMs: args.sniffMs } : {}),
      ...(args.location ?? {}),
      ...(args.error ? { error: args.error } : {}),
      ...args.policy,
      attempt: h ? attemptOf(h.metadata) : 0,
      messageId: message.messageId,
    };
  };

  /** Move the file; its record's processedAt is the quarantinedAt written on the object (a redelivery rebuilds it). */
  const quarantine = async (
    reason: QuarantineReason,
    knownHead: ObjectHead,
    error?: string,
  ): Promise<{ location: QuarantineLocation; processedAtMs: number }> => {
    const atMs = clock.now();
    const location = await quarantineUpload(objectStore, {
      bucket: event.bucket,
      key: event.key,
      ...(event.versionId ? { versionId: event.versionId } : {}),
      ...(ifMatch ? { eTag: ifMatch } : {}),
      uploadId: event.uploadId,
      head: knownHead,
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

  /**
   * The object is gone. If our quarantine copy of THIS upload exists, the file was already quarantined
   * (a redelivered or duplicate event after the move): rebuild that record instead of overwriting it
   * with GONE.
   */
  const goneOrAlreadyQuarantined = async (): Promise<FileOutcome> => {
    const own = await findOwnQuarantineCopy(objectStore, {
      bucket: event.bucket,
      key: event.key,
      uploadId: event.uploadId,
      quarantineBucket: config.quarantineBucket,
      maxBytes: config.sniffBytes,
    });
    const copy = own?.copy;
    bytesRead += copy?.bytes.length ?? 0;
    const reason = copy?.metadata[OBJECT_METADATA.reason] as QuarantineReason | undefined;
    if (own && copy && reason && Object.values(QuarantineReason).includes(reason)) {
      const sniffed = await sniff(copy.bytes, event.key);
      const quarantinedAt = Date.parse(copy.metadata[OBJECT_METADATA.quarantinedAt] ?? '');
      logger.info('object already quarantined by an earlier delivery', { ...log, reason });
      const error = copy.metadata[OBJECT_METADATA.error];
      return {
        kind: 'record',
        bytesRead,
        record: build({
          status: FileStatus.QUARANTINED,
          head: copy,
          sniffed,
          reason,
          ...(error ? { error } : {}),
          location: own.location,
          ...(Number.isNaN(quarantinedAt) ? {} : { processedAtMs: quarantinedAt }),
        }),
      };
    }
    logger.info('object no longer exists', log);
    return {
      kind: 'record',
      bytesRead,
      record: build({ status: FileStatus.GONE, ...(head ? { head } : {}) }),
    };
  };

  try {
    try {
      let prefix: ObjectPrefix;
      if (event.size === 0) {
        // A range on a 0-byte object fails (416): only the head is needed to move it with its metadata.
        prefix = { ...(await objectStore.headObject(ref)), bytes: EMPTY };
      } else {
        prefix = await objectStore.readPrefix({ ...ref, maxBytes: config.sniffBytes });
      }
      head = prefix;
      bytesRead += prefix.bytes.length;
      const sniffStart = clock.now();
      const sniffed = await sniff(prefix.bytes, event.key);
      const sniffMs = clock.now() - sniffStart;
      const judged = await applyPolicy(
        { ref, size: prefix.size, prefix: prefix.bytes, sniffed },
        config,
        objectStore,
      );
      bytesRead += judged.bytesRead;
      const { verdict, attributes: policy } = judged;
      if (verdict.accepted) {
        logger.debug('file accepted', { ...log, mime: sniffed.mime, size: prefix.size });
        return {
          kind: 'record',
          bytesRead,
          record: build({ status: FileStatus.PROCESSED, head: prefix, sniffed, sniffMs, policy }),
        };
      }
      const moved = await quarantine(verdict.reason, prefix, verdict.detail);
      logger.info('file quarantined', { ...log, reason: verdict.reason, detail: verdict.detail });
      return {
        kind: 'record',
        bytesRead,
        record: build({
          status: FileStatus.QUARANTINED,
          head: prefix,
          sniffed,
          sniffMs,
          reason: verdict.reason,
          error: verdict.detail,
          ...moved,
          policy,
        }),
      };
    } catch (error) {
      if (error instanceof ObjectGoneError) return await goneOrAlreadyQuarantined();
      throw error;
    }
  } catch (caught) {
    const error = classifyError(caught);
    const description = describeError(error);
    const lastReceive = message.receiveCount >= config.maxReceives;
    if (!(error instanceof PermanentError) && !lastReceive) {
      logger.warn('file failed, will be retried', {
        ...log,
        error: description,
        receiveCount: message.receiveCount,
      });
      return { kind: 'failed', error: description, bytesRead };
    }
    // Permanent, or the last receive: move the file aside now so it is never silently dropped.
    try {
      const knownHead = head ?? (await objectStore.headObject(ref));
      const moved = await quarantine(QuarantineReason.PROCESSING_FAILED, knownHead, description);
      logger.error('file quarantined after processing failed', {
        ...log,
        error: description,
        receiveCount: message.receiveCount,
        permanent: error instanceof PermanentError,
      });
      return {
        kind: 'record',
        bytesRead,
        record: build({
          status: FileStatus.QUARANTINED,
          head: knownHead,
          reason: QuarantineReason.PROCESSING_FAILED,
          error: description,
          ...moved,
        }),
      };
    } catch (fallbackError) {
      if (fallbackError instanceof ObjectGoneError) {
        try {
          return await goneOrAlreadyQuarantined();
        } catch (goneError) {
          return { kind: 'failed', error: describeError(goneError), bytesRead };
        }
      }
      const fallback = describeError(classifyError(fallbackError));
      logger.error('file failed and could not be quarantined', {
        ...log,
        error: description,
        quarantineError: fallback,
      });
      return { kind: 'failed', error: `${description}; quarantine failed: ${fallback}`, bytesRead };
    }
  }
};
