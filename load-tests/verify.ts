import type { FileStatus, QuarantineReason } from '../src/pipeline/constants.ts';
import type { ManifestEntry } from './manifest.ts';
import { type Distribution, distribution } from './stats.ts';

/** The attributes of an upload record that verification reads (a subset of `FileRecord`). */
export interface RecordedUpload {
  readonly bucket: string;
  readonly key: string;
  readonly status: FileStatus;
  readonly reason?: QuarantineReason;
  readonly processedAt: string;
  readonly sk?: string;
}

/** Queue depths once the run has drained (or given up waiting). */
export interface QueueLeftovers {
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetter: number;
}

/** An upload whose record disagrees with what its kind calls for. */
export interface WrongState {
  readonly key: string;
  readonly kind: string;
  readonly expected: string;
  readonly actual: string;
}

/** Outcome of the zero-loss check. `passed` is false on any loss, duplicate, wrong state or leftover. */
export interface Verification {
  readonly passed: boolean;
  /** Uploads that succeeded: each is owed exactly one record. */
  readonly uploaded: number;
  /** Uploads that failed (not owed a record; a record for one is accepted, it may have landed). */
  readonly failedUploads: number;
  /** Uploads with exactly one record in the right state. */
  readonly correct: number;
  /** Uploads with no record at all. */
  readonly lost: readonly string[];
  /** Uploads with more than one record. */
  readonly duplicates: readonly { key: string; records: number }[];
  readonly wrongState: readonly WrongState[];
  /** Records under the run's prefix for keys the load generator never uploaded. */
  readonly unexpected: readonly string[];
  readonly leftovers: QueueLeftovers;
  readonly quarantineMissing: readonly string[];
  /** Records per terminal state (`PROCESSED`, `QUARANTINED/EMPTY_FILE`, …). */
  readonly byOutcome: Readonly<Record<string, number>>;
  /** Upload start (`uploaded-at`) → `processedAt`, in ms, over the uploads with one record. */
  readonly endToEndMs: Distribution;
  /** Human-readable reasons the check failed. */
  readonly problems: readonly string[];
}

const outcome = (status: string, reason?: string): string => (reason ? `${status}/${reason}` : status);

/** How many offending keys a problem line lists before "…". */
const LIST_LIMIT = 5;
const sample = (keys: readonly string[]): string =>
  keys.slice(0, LIST_LIMIT).join(', ') + (keys.length > LIST_LIMIT ? ', …' : '');

/**
 * Check that every successful upload reached exactly one terminal state matching its kind, that no
 * record is a duplicate, and that nothing is left in the queue or the DLQ.
 */
export const verifyRun = (args: {
  readonly manifest: readonly ManifestEntry[];
  readonly records: readonly RecordedUpload[];
  readonly leftovers: QueueLeftovers;
  /** Quarantined uploads whose object is not in the quarantine bucket. */
  readonly quarantineMissing?: readonly string[];
}): Verification => {
  const recordsByKey = new Map<string, RecordedUpload[]>();
  for (const record of args.records) {
    const list = recordsByKey.get(record.key) ?? [];
    list.push(record);
    recordsByKey.set(record.key, list);
  }
  const uploads = args.manifest.filter((entry) => entry.ok);
  const failedKeys = new Set(args.manifest.filter((entry) => !entry.ok).map((entry) => entry.key));
  const uploadedKeys = new Set(uploads.map((entry) => entry.key));

  const lost: string[] = [];
  const duplicates: { key: string; records: number }[] = [];
  const wrongState: WrongState[] = [];
  const latencies: number[] = [];
  const byOutcome: Record<string, number> = {};
  let correct = 0;
  for (const entry of uploads) {
    const records = recordsByKey.get(entry.key) ?? [];
    if (records.length === 0) {
      lost.push(entry.key);
      continue;
    }
    if (records.length > 1) duplicates.push({ key: entry.key, records: records.length });
    const [record] = records;
    if (!record) continue;
    const actual = outcome(record.status, record.reason);
    byOutcome[actual] = (byOutcome[actual] ?? 0) + 1;
    const expected = outcome(entry.expected.status, entry.expected.reason);
    if (actual !== expected) {
      wrongState.push({ key: entry.key, kind: entry.kind, expected, actual });
    } else if (records.length === 1) {
      correct += 1;
    }
    if (records.length === 1) latencies.push(Date.parse(record.processedAt) - Date.parse(entry.uploadedAt));
  }
  const unexpected = [...recordsByKey.keys()].filter((key) => !uploadedKeys.has(key) && !failedKeys.has(key));

  const problems: string[] = [];
  if (lost.length > 0) problems.push(`${lost.length} upload(s) have no record (lost): ${sample(lost)}`);
  if (duplicates.length > 0)
    problems.push(
      `${duplicates.length} upload(s) have more than one record: ${sample(duplicates.map((d) => `${d.key} ×${d.records}`))}`,
    );
  if (wrongState.length > 0)
    problems.push(
      `${wrongState.length} upload(s) in the wrong state: ${sample(wrongState.map((w) => `${w.key} (${w.kind}) expected ${w.expected}, got ${w.actual}`))}`,
    );
  if (unexpected.length > 0)
    problems.push(`${unexpected.length} record(s) for keys never uploaded: ${sample(unexpected)}`);
  const { visible, inFlight, delayed, deadLetter } = args.leftovers;
  if (visible + inFlight + delayed > 0)
    problems.push(
      `messages still in the ingest queue: ${visible} visible, ${inFlight} in flight, ${delayed} delayed`,
    );
  const quarantineMissing = args.quarantineMissing ?? [];
  if (quarantineMissing.length > 0)
    problems.push(
      `${quarantineMissing.length} quarantined upload(s) missing from the quarantine bucket: ${sample(quarantineMissing)}`,
    );
  if (deadLetter > 0) problems.push(`${deadLetter} message(s) in the dead-letter queue`);
  if (uploads.length === 0) problems.push('nothing was uploaded: the load generator did not run');

  return {
    passed: problems.length === 0,
    uploaded: uploads.length,
    failedUploads: failedKeys.size,
    correct,
    lost,
    duplicates,
    wrongState,
    unexpected,
    leftovers: args.leftovers,
    quarantineMissing,
    byOutcome,
    endToEndMs: distribution(latencies),
    problems,
  };
};
