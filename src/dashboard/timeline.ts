import { FileStatus } from '../pipeline/constants.ts';
import { quarantineLocationText } from '../pipeline/quarantine.ts';
import type { FileRecord, HistoryStepRecord } from '../pipeline/types.ts';
import { formatBytes } from '../text/formatBytes.js';
import type { FileHistory } from '../tracking/types.ts';

/** Kinds of timeline entries, in the order one upload goes through them. */
export const TimelineKind = {
  RECEIVED: 'received',
  STARTED: 'started',
  SNIFFED: 'sniffed',
  STORED: 'stored',
  QUARANTINED: 'quarantined',
  GONE: 'gone',
  RETRIED: 'retried',
  RETRY_EXHAUSTED: 'retry-exhausted',
  REPLAYED: 'replayed',
} as const;
export type TimelineKind = (typeof TimelineKind)[keyof typeof TimelineKind];

/** One entry of a file's timeline; `details` values are plain text, rendered as text. */
export interface TimelineEntry {
  readonly at: string;
  readonly kind: TimelineKind;
  readonly title: string;
  readonly details: Readonly<Record<string, string>>;
  /** Index of the upload the entry belongs to (0 = first upload); absent for operation steps. */
  readonly upload?: number;
}

/** A file's history as the timeline view shows it. */
export interface FileTimeline {
  readonly bucket: string;
  readonly key: string;
  /** Status of the latest upload. */
  readonly status?: FileStatus;
  readonly entries: readonly TimelineEntry[];
  readonly uploads: readonly FileRecord[];
  readonly steps: readonly HistoryStepRecord[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const ms = (value: number | undefined): string => (value === undefined ? '' : `${Math.round(value)} ms`);

const clean = (details: Record<string, string | undefined>): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(details)) if (v !== undefined && v !== '') out[k] = v;
  return out;
};

const uploadEntries = (record: FileRecord, upload: number): TimelineEntry[] => {
  const finished = Date.parse(record.processedAt);
  const started = finished - (record.durationMs ?? 0);
  const sniffed = record.mime ?? record.ext ?? record.contentClass;
  const entries: TimelineEntry[] = [
    {
      at: record.eventTime,
      kind: TimelineKind.RECEIVED,
      title: 'Received in S3',
      upload,
      details: clean({
        size: `${formatBytes(record.size)} (${record.size} bytes)`,
        'declared type': record.declaredContentType,
        'retry attempt': record.attempt > 0 ? String(record.attempt) : undefined,
        etag: record.etag,
        version: record.versionId,
      }),
    },
    {
      at: iso(started),
      kind: TimelineKind.STARTED,
      title: 'Picked up by the handler',
      upload,
      details: clean({
        'waited in queue': ms(record.queueLatencyMs),
        receive: `#${record.receiveCount}`,
        message: record.messageId,
      }),
    },
  ];
  if (record.sniffMs !== undefined || sniffed !== undefined) {
    entries.push({
      at: iso(started + (record.sniffMs ?? 0)),
      kind: TimelineKind.SNIFFED,
      title: 'Type sniffed from the first bytes',
      upload,
      details: clean({
        sniffed: sniffed
          ? [record.mime, record.ext && `.${record.ext}`].filter(Boolean).join(' ') || sniffed
          : 'unknown',
        declared: record.declaredContentType ?? '(none)',
        'sniff time': ms(record.sniffMs),
      }),
    });
  }
  const total = ms(record.durationMs);
  if (record.status === FileStatus.PROCESSED) {
    entries.push({
      at: record.processedAt,
      kind: TimelineKind.STORED,
      title: 'Stored: PROCESSED',
      upload,
      details: clean({ 'processing time': total }),
    });
  } else if (record.status === FileStatus.QUARANTINED) {
    entries.push({
      at: record.processedAt,
      kind: TimelineKind.QUARANTINED,
      title: `Quarantined: ${record.reason ?? 'unknown reason'}`,
      upload,
      details: clean({
        reason: record.reason,
        error: record.error,
        // The exact object and version holding this upload (src/pipeline/quarantine.ts).
        [record.quarantinedInPlace ? 'quarantined at' : 'moved to']: quarantineLocationText(record),
        'processing time': total,
      }),
    });
  } else {
    entries.push({
      at: record.processedAt,
      kind: TimelineKind.GONE,
      title: 'Gone: the object no longer existed',
      upload,
      details: clean({ error: record.error, 'processing time': total }),
    });
  }
  return entries;
};

const stepEntry = (step: HistoryStepRecord): TimelineEntry => {
  const kind =
    step.step === 'RETRIED'
      ? TimelineKind.RETRIED
      : step.step === 'RETRY_EXHAUSTED'
        ? TimelineKind.RETRY_EXHAUSTED
        : TimelineKind.REPLAYED;
  const title =
    kind === TimelineKind.RETRIED
      ? 'Retried from quarantine'
      : kind === TimelineKind.RETRY_EXHAUSTED
        ? 'Retries exhausted: stays quarantined'
        : 'Replayed from the dead-letter queue';
  return {
    at: step.at,
    kind,
    title,
    details: clean({
      attempt: step.attempt === undefined ? undefined : String(step.attempt),
      reason: step.reason,
      detail: step.detail,
    }),
  };
};

/**
 * A file's timeline: for each upload received → picked up → sniffed → stored / quarantined / gone, and the
 * operation steps (retried, retries exhausted, replayed) between them, in time order.
 */
export const buildTimeline = (history: FileHistory): FileTimeline => {
  const uploads = [...history.uploads].sort((a, b) => (a.sk < b.sk ? -1 : a.sk > b.sk ? 1 : 0));
  // An upload's entries stay together in their natural order (clocks of S3 and the handler may disagree
  // by a few ms); uploads and steps are ordered by when they began.
  const groups: { at: string; order: number; entries: TimelineEntry[] }[] = [
    ...uploads.map((u, i) => ({ at: u.eventTime, order: 0, entries: uploadEntries(u, i) })),
    ...history.steps.map((step) => ({ at: step.at, order: 1, entries: [stepEntry(step)] })),
  ];
  groups.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.order - b.order));
  const entries = groups.flatMap((g) => g.entries);
  const latest = uploads.at(-1);
  return {
    bucket: history.bucket,
    key: history.key,
    ...(latest ? { status: latest.status } : {}),
    entries,
    uploads,
    steps: history.steps,
  };
};
