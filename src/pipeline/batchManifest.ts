import { createHash } from 'node:crypto';
import { FileStatus, type QuarantineReason } from './constants.ts';
import type { Clock, LoggerPort, MetadataStore, Random, Sleep, TableItem } from './ports.ts';
import {
  entryListSortKey,
  filePartitionKey,
  isIndexedStatus,
  manifestPartitionKey,
  manifestSortKey,
  shardOfText,
  uploadSortKey,
} from './recordKeys.ts';
import type { BatchManifestItem, FileRecord } from './types.ts';
import {
  dedupeItems,
  itemIdentity,
  type WriteResult,
  type WriteRetryOptions,
  writeItems,
} from './writeRecords.ts';

/**
 * Entry bytes per manifest item at most. DynamoDB items are limited to 400 KB
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html#limits-items); a
 * batch of up to 10,000 messages with 1 KB keys would exceed it, so a big batch is split into parts.
 */
export const MANIFEST_PART_MAX_BYTES = 300_000;

/** One file as a listing sees it: what the manifest (or the byStatus index) holds, plus its position. */
export type ListedFile = Pick<
  FileRecord,
  | 'pk'
  | 'sk'
  | 'bucket'
  | 'key'
  | 'status'
  | 'size'
  | 'eventTime'
  | 'processedAt'
  | 'durationMs'
  | 'queueLatencyMs'
  | 'receiveCount'
  | 'attempt'
  | 'uploadId'
> &
  Partial<Omit<FileRecord, 'listSk'>> & {
    /** Position in the newest-first order: unique, and the pagination cursor. */
    listSk: string;
  };

const STATUS_CODES: Record<string, string> = {
  [FileStatus.PROCESSED]: 'P',
  [FileStatus.QUARANTINED]: 'Q',
  [FileStatus.GONE]: 'G',
};
const STATUS_OF_CODE: Record<string, FileStatus> = {
  P: FileStatus.PROCESSED,
  Q: FileStatus.QUARANTINED,
  G: FileStatus.GONE,
};

/**
 * One file as a compact JSON array (positions, not names: attribute names count towards DynamoDB's item
 * size, and the manifest is what makes "newest first" cheap). Trailing empty fields are dropped; the
 * reason, error and declared type (rare statuses only) come last.
 *
 * `[bucketIndex, key, status code, size, mime, ext, contentClass, eventTime (ms before recorded, or
 *   the original string), processedAt (ms before recorded),
 *   durationMs, queueLatencyMs, receiveCount, attempt, uploadId, reason, error, declaredContentType]`
 */
const encodeEntry = (record: FileRecord, bucketIndex: number, recordedAtMs: number): string => {
  const rare = isIndexedStatus(record.status);
  const fields: unknown[] = [
    bucketIndex,
    record.key,
    STATUS_CODES[record.status] ?? record.status,
    record.size,
    record.mime ?? null,
    record.ext ?? null,
    record.contentClass ?? null,
    // The event time is part of the upload's sort key, so it must come back exactly: as a number of ms
    // when it is a canonical ISO time (the parser normalizes it), else as the string it was.
    isCanonicalIso(record.eventTime) ? recordedAtMs - Date.parse(record.eventTime) : record.eventTime,
    Math.max(0, recordedAtMs - Date.parse(record.processedAt)),
    record.durationMs,
    record.queueLatencyMs,
    record.receiveCount,
    record.attempt,
    record.uploadId,
    record.reason ?? null,
    rare ? (record.error ?? null) : null,
    rare ? (record.declaredContentType ?? null) : null,
  ];
  while (fields.length > 0 && fields.at(-1) === null) fields.pop();
  return JSON.stringify(fields);
};

const isCanonicalIso = (value: string): boolean => {
  const ms = Date.parse(value);
  return !Number.isNaN(ms) && new Date(ms).toISOString() === value;
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The files of one manifest item, oldest first, each with its `listSk`. Unreadable entries are skipped. */
export const decodeManifest = (item: Record<string, unknown>): ListedFile[] => {
  const sk = String(item.sk ?? '');
  const recordedAtMs = Date.parse(String(item.at ?? ''));
  const buckets = Array.isArray(item.buckets) ? item.buckets.map(String) : [];
  const files = Array.isArray(item.files) ? item.files : [];
  const listed: ListedFile[] = [];
  files.forEach((raw, index) => {
    let fields: unknown[];
    try {
      const parsed: unknown = JSON.parse(String(raw));
      if (!Array.isArray(parsed)) return;
      fields = parsed;
    } catch {
      return;
    }
    const bucket = buckets[num(fields[0])];
    const key = text(fields[1]);
    const status = STATUS_OF_CODE[String(fields[2])];
    const eventTime =
      typeof fields[7] === 'number' && !Number.isNaN(recordedAtMs)
        ? new Date(recordedAtMs - fields[7]).toISOString()
        : (text(fields[7]) ?? '');
    const uploadId = text(fields[13]) ?? '';
    if (bucket === undefined || key === undefined || status === undefined) return;
    const optional: Partial<ListedFile> = {};
    if (text(fields[4])) optional.mime = text(fields[4]);
    if (text(fields[5])) optional.ext = text(fields[5]);
    const contentClass = text(fields[6]);
    if (contentClass === 'text' || contentClass === 'binary') optional.contentClass = contentClass;
    if (text(fields[14])) optional.reason = text(fields[14]) as QuarantineReason;
    if (text(fields[15])) optional.error = text(fields[15]);
    if (text(fields[16])) optional.declaredContentType = text(fields[16]);
    listed.push({
      pk: filePartitionKey(bucket, key),
      sk: uploadSortKey(eventTime, uploadId),
      listSk: entryListSortKey(sk, index),
      recordType: 'UPLOAD',
      bucket,
      key,
      status,
      size: num(fields[3]),
      eventTime,
      processedAt: new Date((Number.isNaN(recordedAtMs) ? 0 : recordedAtMs) - num(fields[8])).toISOString(),
      durationMs: num(fields[9]),
      queueLatencyMs: num(fields[10]),
      receiveCount: num(fields[11]),
      attempt: num(fields[12]),
      uploadId,
      ...optional,
    });
  });
  return listed;
};

/** The manifest items of a batch, and its records with the byStatus sort key set on the rare ones. */
export interface ManifestedBatch {
  readonly records: FileRecord[];
  readonly manifests: BatchManifestItem[];
}

/**
 * Build the manifest of a batch's records, recorded at `recordedAtMs`. Entries are ordered by processing
 * time, so the newest-first order is "batch written last, then file finished last". The batch id is a
 * hash of the records' keys; the shard of its manifests is a hash of the id, so 100 batches/s spread
 * evenly over the manifest partitions (each gets ≈ 12 writes/s, far under DynamoDB's 1,000 write units
 * per second per partition: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html).
 */
export const buildBatchManifest = (records: readonly FileRecord[], recordedAtMs: number): ManifestedBatch => {
  if (records.length === 0) return { records: [], manifests: [] };
  const unique = dedupeItems(records).sort((a, b) =>
    a.processedAt === b.processedAt ? (a.pk < b.pk ? -1 : 1) : a.processedAt < b.processedAt ? -1 : 1,
  );
  const batchId = createHash('sha1').update(unique.map(itemIdentity).join('\n')).digest('hex').slice(0, 16);
  const pk = manifestPartitionKey(shardOfText(batchId));
  const at = new Date(recordedAtMs).toISOString();
  const stamped: FileRecord[] = [];
  const manifests: BatchManifestItem[] = [];
  let current: BatchManifestItem | undefined;
  let bytes = 0;
  for (const record of unique) {
    if (!current || bytes > MANIFEST_PART_MAX_BYTES) {
      current = {
        pk,
        sk: manifestSortKey(at, batchId, manifests.length),
        recordType: 'BATCH',
        at,
        buckets: [],
        files: [],
      };
      manifests.push(current);
      bytes = 0;
    }
    let bucketIndex = current.buckets.indexOf(record.bucket);
    if (bucketIndex < 0) bucketIndex = current.buckets.push(record.bucket) - 1;
    const entry = encodeEntry(record, bucketIndex, recordedAtMs);
    const listSk = entryListSortKey(current.sk, current.files.length);
    current.files.push(entry);
    bytes += Buffer.byteLength(entry, 'utf8');
    stamped.push(record.statusShard ? { ...record, listSk } : record);
  }
  return { records: stamped, manifests };
};

/**
 * Write a batch's records together with its manifest (same BatchWriteItem calls, retried like them). A
 * record counts as written only when its manifest part was written too, so every file the table holds
 * is also listed; when a part is lost, its records are reported unwritten and their messages retried (a
 * retry writes the same record items again and a new manifest).
 */
export const writeRecordsWithManifest = async (
  records: readonly FileRecord[],
  deps: {
    readonly metadataStore: MetadataStore;
    readonly sleep: Sleep;
    readonly random: Random;
    readonly logger: LoggerPort;
    readonly clock: Clock;
  },
  options: WriteRetryOptions,
): Promise<WriteResult<FileRecord>> => {
  const batch = buildBatchManifest(records, deps.clock.now());
  const write = await writeItems<TableItem>([...batch.records, ...batch.manifests], deps, options);
  const lostParts = new Set(
    write.unwritten.filter((item) => item.recordType === 'BATCH').map((item) => item.sk),
  );
  const unwrittenIds = new Set(write.unwritten.map(itemIdentity));
  const unwritten: FileRecord[] = [];
  let part = 0;
  let partIndex = 0;
  for (const record of batch.records) {
    const manifest = batch.manifests[part];
    if (manifest && partIndex >= manifest.files.length) {
      part += 1;
      partIndex = 0;
    }
    const partSk = batch.manifests[part]?.sk ?? '';
    partIndex += 1;
    if (unwrittenIds.has(itemIdentity(record)) || lostParts.has(partSk)) unwritten.push(record);
  }
  return {
    unwritten,
    requests: write.requests,
    ...(unwritten.length > 0 && write.lastError ? { lastError: write.lastError } : {}),
  };
};

/**
 * Records as the pipeline would have written them in batches of at most `filesPerBatch` files that
 * finished within `maxSpanMs` of each other (a batch's files finish within seconds of each other; each
 * batch is recorded when its last file finished): the stamped records and their manifests, for seeding
 * a table in tests, benchmarks and demos without running the handler.
 */
export const asWrittenBatches = (
  records: readonly FileRecord[],
  filesPerBatch = 10,
  maxSpanMs = 1000,
): TableItem[] => {
  const sorted = [...records].sort((a, b) =>
    a.processedAt < b.processedAt ? -1 : a.processedAt > b.processedAt ? 1 : 0,
  );
  const items: TableItem[] = [];
  let chunk: FileRecord[] = [];
  const flush = () => {
    if (chunk.length === 0) return;
    const recordedAtMs = Math.max(...chunk.map((r) => Date.parse(r.processedAt)));
    const batch = buildBatchManifest(chunk, recordedAtMs);
    items.push(...batch.records, ...batch.manifests);
    chunk = [];
  };
  for (const record of sorted) {
    const first = chunk[0];
    if (
      chunk.length >= filesPerBatch ||
      (first && Date.parse(record.processedAt) - Date.parse(first.processedAt) > maxSpanMs)
    )
      flush();
    chunk.push(record);
  }
  flush();
  return items;
};
