import { createHash } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FileStatus } from '../pipeline/constants.ts';
import { parseS3EventBody } from '../pipeline/s3Event.ts';
import type { FileRecord } from '../pipeline/types.ts';
import type { OpsClients } from './opsClients.ts';

/**
 * The consistency checker: proves, from the outside, that every upload ended in exactly one right place.
 * Shared by the e2e tests, `npm run load` and `silent-scalper check`. It only reads (the DLQ messages it
 * looks at are made visible again at once), and it must use clients that see no injected fault.
 */

/** Where the checker looks. */
export interface CheckTarget {
  /** The primary input bucket (where expected uploads, and unrecorded quarantine objects, belong). */
  readonly inputBucket: string;
  /**
   * Every source bucket of the pipeline, the primary included (the construct's `sources`): a file is its
   * bucket and key, and each of these is listed. @default [inputBucket]
   */
  readonly sourceBuckets?: readonly string[];
  readonly quarantineBucket: string;
  readonly metadataTable: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

/** An upload the caller made, when it knows: its bytes' SHA-256 proves they arrived unchanged. */
export interface ExpectedUpload {
  readonly key: string;
  /** @default the primary input bucket */
  readonly bucket?: string;
  /** Hex SHA-256 of the uploaded bytes. */
  readonly sha256?: string;
}

/** The class of one DLQ message (what a person must do about it). */
export const DlqClass = {
  /** Not an S3 event: needs a person (nothing can replay it). */
  poison: 'poison',
  /** An S3 event whose upload has no final record: needs a replay. */
  notFinished: 'notFinished',
  /** An S3 event whose upload already has its final record: safe to drop. */
  finished: 'finished',
} as const;
export type DlqClass = (typeof DlqClass)[keyof typeof DlqClass];

/** What is wrong with one upload. */
export const ProblemKind = {
  /** An upload (expected, or an object in a bucket) without any final record. */
  lost: 'lost',
  /** More than one upload item for one upload. */
  duplicated: 'duplicated',
  /** The object is not where its record says, or is somewhere else too. */
  misplaced: 'misplaced',
  /** The object's bytes (or ETag) differ from what was uploaded. */
  changed: 'changed',
} as const;
export type ProblemKind = (typeof ProblemKind)[keyof typeof ProblemKind];

/** One problem found. `key` (and a forged record's `bucket`) is hostile text: escape it before printing. */
export interface CheckProblem {
  readonly kind: ProblemKind;
  /** The source bucket the file was uploaded to. */
  readonly bucket: string;
  readonly key: string;
  readonly detail: string;
}

/** The checker's verdict, machine-readable (`silent-scalper check --json` prints it as is). */
export interface CheckResult {
  /** True when no problem was found, both queues hold nothing that needs the pipeline or a replay. */
  readonly ok: boolean;
  readonly uploads: number;
  readonly byStatus: Record<FileStatus, number>;
  readonly lost: number;
  readonly duplicated: number;
  readonly misplaced: number;
  readonly changed: number;
  /** Messages still in the ingest queue (visible + in flight + delayed): the pipeline has not drained. */
  readonly queueMessages: number;
  readonly dlq: Record<DlqClass, number>;
  /** At most `maxProblems` problems, the first found. */
  readonly problems: readonly CheckProblem[];
}

/** Options of {@link checkConsistency}. */
export interface CheckOptions {
  /** Uploads the caller made (in the input bucket unless they name another source). Without it, uploads are what the buckets and table hold. */
  readonly expected?: readonly ExpectedUpload[];
  /** @default 50 */
  readonly maxProblems?: number;
}

interface ListedObject {
  readonly etag: string;
  readonly size: number;
}

const listBucket = async (clients: OpsClients, bucket: string): Promise<Map<string, ListedObject>> => {
  const objects = new Map<string, ListedObject>();
  let token: string | undefined;
  do {
    const page = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const o of page.Contents ?? [])
      if (o.Key !== undefined)
        objects.set(o.Key, { etag: (o.ETag ?? '').replace(/"/g, ''), size: o.Size ?? 0 });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return objects;
};

const scanUploads = async (clients: OpsClients, table: string): Promise<FileRecord[]> => {
  const items: FileRecord[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await clients.dynamo.send(
      new ScanCommand({ TableName: table, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    for (const item of page.Items ?? []) if (item.recordType === 'UPLOAD') items.push(item as FileRecord);
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

const queueDepth = async (clients: OpsClients, queueUrl: string): Promise<number> => {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
};

/**
 * Every DLQ message, each received once (hidden meanwhile so the next receive brings new ones), then made
 * visible again so a replay finds them all.
 */
const readDeadLetters = async (clients: OpsClients, dlqUrl: string): Promise<Message[]> => {
  const seen: Message[] = [];
  const ids = new Set<string>();
  for (let emptyReceives = 0; emptyReceives < 2; ) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: dlqUrl,
        MaxNumberOfMessages: 10,
        VisibilityTimeout: 60,
        WaitTimeSeconds: 0,
      }),
    );
    const fresh = Messages.filter((m) => m.MessageId && !ids.has(m.MessageId));
    emptyReceives = fresh.length === 0 ? emptyReceives + 1 : 0;
    for (const m of fresh) {
      ids.add(m.MessageId ?? '');
      seen.push(m);
    }
  }
  for (let i = 0; i < seen.length; i += 10) {
    const part = seen.slice(i, i + 10);
    await clients.sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: dlqUrl,
        Entries: part.map((m, j) => ({
          Id: `m${i + j}`,
          ReceiptHandle: m.ReceiptHandle,
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
  return seen;
};

/** The identity of one upload: bucket, decoded key and upload id (object version). */
const uploadIdentity = (bucket: string, key: string, uploadId: string): string =>
  `${bucket}\u0000${key}\u0000${uploadId}`;

/** Classify one DLQ message against the records the table holds. */
export const classifyDeadLetter = (body: string, finishedUploads: ReadonlySet<string>): DlqClass => {
  let parsed: ReturnType<typeof parseS3EventBody>;
  try {
    parsed = parseS3EventBody(body);
  } catch {
    return DlqClass.poison;
  }
  if (parsed.kind !== 'records' || parsed.records.length === 0) return DlqClass.poison;
  const allFinished = parsed.records.every((r) =>
    finishedUploads.has(uploadIdentity(r.bucket, r.key, r.uploadId)),
  );
  return allFinished ? DlqClass.finished : DlqClass.notFinished;
};

/** The set of uploads that have a final record (for {@link classifyDeadLetter}). */
export const finishedUploadsOf = (records: readonly FileRecord[]): Set<string> =>
  new Set(records.map((r) => uploadIdentity(r.bucket, r.key, r.uploadId)));

const sha256Of = async (clients: OpsClients, bucket: string, key: string): Promise<string> => {
  const out = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const bytes = (await out.Body?.transformToByteArray()) ?? new Uint8Array(0);
  return createHash('sha256').update(bytes).digest('hex');
};

/**
 * A file of the pipeline: its source bucket and key, as one map key. Bucket names hold no `/`
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html), so the first `/`
 * splits it back.
 */
type FileId = string;
const fileIdOf = (bucket: string, key: string): FileId => `${bucket}/${key}`;
const splitFileId = (id: FileId): { bucket: string; key: string } => {
  const slash = id.indexOf('/');
  return { bucket: id.slice(0, slash), key: id.slice(slash + 1) };
};

/** Notes one problem of one file: counts it, and keeps it while fewer than `maxProblems` are kept. */
type Report = (kind: ProblemKind, file: FileId, detail: string) => void;

/** Where an upload's object was found, for the bytes check. */
interface Found {
  readonly bucket: string;
  readonly objectKey: string;
  readonly object: ListedObject;
}

/** What the checker reads, all at once: the upload records, the buckets, the queue depth, the DLQ. */
interface Observed {
  readonly records: FileRecord[];
  /** The objects of every source bucket, by file. */
  readonly input: Map<FileId, ListedObject>;
  /** Quarantine objects by their own key (`<input key>@<upload id>`, docs/operations.md). */
  readonly quarantine: Map<string, ListedObject>;
  /** The file each quarantine object holds an upload of. */
  readonly quarantinedFileOf: Map<string, FileId>;
  readonly queueMessages: number;
  readonly deadLetters: Message[];
}

/** The source buckets, the primary first. */
const sourcesOf = (target: CheckTarget): string[] => [
  ...new Set([target.inputBucket, ...(target.sourceBuckets ?? [])]),
];

/** Every source bucket's objects, by file. */
const listSources = async (clients: OpsClients, target: CheckTarget): Promise<Map<FileId, ListedObject>> => {
  const files = new Map<FileId, ListedObject>();
  for (const bucket of sourcesOf(target))
    for (const [key, object] of await listBucket(clients, bucket)) files.set(fileIdOf(bucket, key), object);
  return files;
};

const observe = async (clients: OpsClients, target: CheckTarget): Promise<Observed> => {
  const [records, input, quarantine, queueMessages, deadLetters] = await Promise.all([
    scanUploads(clients, target.metadataTable),
    listSources(clients, target),
    listBucket(clients, target.quarantineBucket),
    queueDepth(clients, target.queueUrl),
    readDeadLetters(clients, target.dlqUrl),
  ]);
  return {
    records,
    input,
    quarantine,
    quarantinedFileOf: filesOfQuarantine(records, quarantine, target),
    queueMessages,
    deadLetters,
  };
};

/**
 * The file behind each quarantine object: the record that names it (its bucket and key), else the key
 * before the last `@` (per-upload addressing; upload ids hold no `@`) or the object key itself (an older
 * layout), counted under the primary bucket. Decision: an unrecorded object is not HEADed for the
 * source bucket its metadata names; it is a lost upload either way, reported once.
 */
const filesOfQuarantine = (
  records: readonly FileRecord[],
  quarantine: ReadonlyMap<string, ListedObject>,
  target: CheckTarget,
): Map<string, FileId> => {
  const named = new Map<string, FileId>();
  for (const r of records)
    if (r.quarantineKey && (r.quarantineBucket ?? target.quarantineBucket) === target.quarantineBucket)
      named.set(r.quarantineKey, fileIdOf(r.bucket, r.key));
  const byObject = new Map<string, FileId>();
  for (const objectKey of quarantine.keys()) {
    const at = objectKey.lastIndexOf('@');
    const key = at > 0 ? objectKey.slice(0, at) : objectKey;
    byObject.set(objectKey, named.get(objectKey) ?? fileIdOf(target.inputBucket, key));
  }
  return byObject;
};

/** The quarantine objects that hold uploads of this file. */
const quarantineObjectsOf = (file: FileId, seen: Observed): string[] =>
  [...seen.quarantinedFileOf].filter(([, of]) => of === file).map(([objectKey]) => objectKey);

/** Records of the source buckets, by file (a key uploaded once has one upload item). */
const recordsByFileOf = (records: readonly FileRecord[], target: CheckTarget): Map<FileId, FileRecord[]> => {
  const sources = new Set(sourcesOf(target));
  const byFile = new Map<FileId, FileRecord[]>();
  for (const r of records) {
    if (!sources.has(r.bucket)) continue;
    const file = fileIdOf(r.bucket, r.key);
    byFile.set(file, [...(byFile.get(file) ?? []), r]);
  }
  return byFile;
};

/**
 * The location check per status: PROCESSED in the input bucket only, QUARANTINED at the record's
 * quarantine key only, GONE nowhere (and not expected). Returns where the object is, when it is where
 * the record says.
 */
const locate = (
  key: FileId,
  record: FileRecord,
  seen: Observed,
  target: CheckTarget,
  expected: boolean,
  report: Report,
): Found | undefined => {
  const inInput = seen.input.get(key);
  const inQuarantine = quarantineObjectsOf(key, seen).length > 0;
  const source = { bucket: record.bucket, objectKey: record.key };
  if (record.status === FileStatus.PROCESSED) {
    if (!inInput) report(ProblemKind.misplaced, key, 'PROCESSED but not in the input bucket');
    if (inQuarantine) report(ProblemKind.misplaced, key, 'PROCESSED but also in the quarantine bucket');
    return inInput ? { ...source, object: inInput } : undefined;
  }
  if (record.status === FileStatus.QUARANTINED && record.quarantinedInPlace) {
    // Quarantined in place (too large to copy): the bytes stay at the input key, tagged.
    if (!inInput)
      report(ProblemKind.misplaced, key, `QUARANTINED in place (${record.reason}) but not in input`);
    if (inQuarantine)
      report(ProblemKind.misplaced, key, 'QUARANTINED in place but also in the quarantine bucket');
    return inInput ? { ...source, object: inInput } : undefined;
  }
  if (record.status === FileStatus.QUARANTINED) {
    const qKey = record.quarantineKey ?? record.key;
    const copy = seen.quarantine.get(qKey);
    if (!copy) report(ProblemKind.misplaced, key, `QUARANTINED (${record.reason}) but not in quarantine`);
    if (inInput) report(ProblemKind.misplaced, key, `QUARANTINED (${record.reason}) but still in input`);
    return copy ? { bucket: target.quarantineBucket, objectKey: qKey, object: copy } : undefined;
  }
  if (expected) report(ProblemKind.lost, key, 'recorded GONE although nobody deleted it');
  if (inQuarantine) report(ProblemKind.misplaced, key, 'GONE but in the quarantine bucket');
  return undefined;
};

/**
 * The bytes check: the ETag the record holds against the listed one; when they agree (or one is missing)
 * and the caller knows the upload's SHA-256, a deferred hash of the object to run later, a few at a time.
 */
const checkBytes = (
  clients: OpsClients,
  key: string,
  record: FileRecord,
  at: Found,
  sha: string | undefined,
  report: Report,
): (() => Promise<void>) | undefined => {
  if (record.etag && at.object.etag && record.etag !== at.object.etag) {
    report(ProblemKind.changed, key, `ETag ${at.object.etag} differs from the recorded ${record.etag}`);
    return undefined;
  }
  if (!sha) return undefined;
  return async () => {
    const actual = await sha256Of(clients, at.bucket, at.objectKey);
    if (actual !== sha) report(ProblemKind.changed, key, 'bytes differ from the upload (SHA-256)');
  };
};

/**
 * One key: it has a final record (else it is lost), one upload item per upload (else duplicated), the
 * object where its newest record says. Returns that record's status and the deferred hash check, if any.
 */
const checkKey = (
  clients: OpsClients,
  key: FileId,
  found: readonly FileRecord[],
  seen: Observed,
  target: CheckTarget,
  expected: ExpectedUpload | undefined,
  report: Report,
): { status?: FileStatus; hashCheck?: () => Promise<void> } => {
  if (found.length === 0) {
    const inQuarantine = quarantineObjectsOf(key, seen).length > 0;
    const where = [seen.input.has(key) ? 'input' : '', inQuarantine ? 'quarantine' : '']
      .filter(Boolean)
      .join(' and ');
    report(ProblemKind.lost, key, `no final record (object ${where ? `in ${where}` : 'nowhere'})`);
    return {};
  }
  const ids = new Set(found.map((r) => r.uploadId));
  if (found.length > 1 && (ids.size < found.length || expected))
    report(ProblemKind.duplicated, key, `${found.length} upload items`);
  const record = found.reduce((a, b) => (a.eventTime >= b.eventTime ? a : b));
  const at = locate(key, record, seen, target, expected !== undefined, report);
  const hashCheck = at ? checkBytes(clients, key, record, at, expected?.sha256, report) : undefined;
  return { status: record.status, ...(hashCheck ? { hashCheck } : {}) };
};

/**
 * Check every upload: exactly one final record; the object where that record says (input bucket for
 * PROCESSED, the record's quarantine key for QUARANTINED, nowhere for GONE) and nowhere else; its bytes
 * unchanged (SHA-256 when the caller knows the upload, else the ETag the record holds); no upload item
 * twice; nothing left in the ingest queue; and every DLQ message classified.
 */
export const checkConsistency = async (
  clients: OpsClients,
  target: CheckTarget,
  options: CheckOptions = {},
): Promise<CheckResult> => {
  const maxProblems = options.maxProblems ?? 50;
  const seen = await observe(clients, target);
  const problems: CheckProblem[] = [];
  const counts = { lost: 0, duplicated: 0, misplaced: 0, changed: 0 };
  const report: Report = (kind, file, detail) => {
    counts[kind] += 1;
    if (problems.length < maxProblems) problems.push({ kind, ...splitFileId(file), detail });
  };

  const recordsByKey = recordsByFileOf(seen.records, target);
  const expectedByKey = new Map(
    (options.expected ?? []).map((u) => [fileIdOf(u.bucket ?? target.inputBucket, u.key), u]),
  );
  const keys = new Set<FileId>([
    ...expectedByKey.keys(),
    ...recordsByKey.keys(),
    ...seen.input.keys(),
    // A quarantine object counts under the file it holds; one without any record is a lost upload too.
    ...seen.quarantinedFileOf.values(),
  ]);
  const byStatus: Record<FileStatus, number> = { PROCESSED: 0, QUARANTINED: 0, GONE: 0 };
  const hashChecks: (() => Promise<void>)[] = [];
  for (const key of keys) {
    const found = recordsByKey.get(key) ?? [];
    const checked = checkKey(clients, key, found, seen, target, expectedByKey.get(key), report);
    if (checked.status) byStatus[checked.status] += 1;
    if (checked.hashCheck) hashChecks.push(checked.hashCheck);
  }
  // Hash a few objects at a time: local S3 is best at 2–4 concurrent requests.
  for (let i = 0; i < hashChecks.length; i += 4)
    await Promise.all(hashChecks.slice(i, i + 4).map((c) => c()));

  const finished = finishedUploadsOf(seen.records);
  const dlq: Record<DlqClass, number> = { poison: 0, notFinished: 0, finished: 0 };
  for (const m of seen.deadLetters) dlq[classifyDeadLetter(m.Body ?? '', finished)] += 1;

  const ok =
    counts.lost + counts.duplicated + counts.misplaced + counts.changed === 0 &&
    seen.queueMessages === 0 &&
    dlq.notFinished === 0;
  return { ok, uploads: keys.size, byStatus, ...counts, queueMessages: seen.queueMessages, dlq, problems };
};
