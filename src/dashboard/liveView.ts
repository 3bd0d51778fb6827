import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FileStatus } from '../pipeline/constants.ts';
import { readRecordsSince, type ViewRecord } from './readRecordsSince.ts';
import { rateSeries, summarizeDurations } from './stats.ts';
import type { DurationSummary, FileQuery, FileRow, QuarantinedFile } from './types.ts';

/** Options of {@link LiveView}. */
export interface LiveViewOptions {
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The view (and the counters) cover records processed in the last this many hours; 0 = all. @default 24 */
  readonly windowHours?: number;
  /** Records kept in memory at most (the newest); older pages are read from the table. @default 200000 */
  readonly maxRecords?: number;
  /**
   * How far behind the newest record each refresh reads again, in ms. The handler writes a batch's
   * records together at its end, so a record can land a little after newer ones. @default 5000
   */
  readonly overlapMs?: number;
  /** The same for the slower sweep that catches records written late by a slow batch. @default 90000 */
  readonly sweepOverlapMs?: number;
  readonly now?: () => number;
}

/** A page from the view; `resumeCursor` set means the view ran out and the table holds older records. */
export interface ViewPage {
  readonly items: FileRow[];
  readonly nextCursor?: string;
  /** Continue with `listFiles` from this cursor to fill the page (records below the view). */
  readonly resumeCursor?: string;
}

/** Aggregates of the records in the view. */
export interface ViewAggregates {
  readonly total: number;
  readonly bytes: number;
  readonly byStatus: Record<string, number>;
  readonly byReason: Record<string, number>;
  readonly types: { type: string; count: number }[];
  readonly durations: DurationSummary;
  readonly queueLatency: DurationSummary;
  readonly quarantine: { total: number; files: QuarantinedFile[] };
}

interface Entry {
  readonly row: FileRow;
  readonly pk: string;
  readonly sk: string;
  readonly processedAtMs: number;
}

const idOf = (pk: string, sk: string): string => `${pk}\u0000${sk}`;

/** The type a record is counted under: its sniffed MIME type, else `unknown`. */
export const typeOf = (row: Pick<FileRow, 'mime'>): string => row.mime ?? 'unknown';

/** Does `row` pass the filters of `query` (status, reason, type, key prefix)? */
export const matchesQuery = (row: FileRow, query: Omit<FileQuery, 'limit' | 'cursor'>): boolean =>
  (query.status === undefined || row.status === query.status) &&
  (query.reason === undefined || row.reason === query.reason) &&
  (query.type === undefined || typeOf(row) === query.type) &&
  (query.prefix === undefined || row.key.startsWith(query.prefix));

/** The API row of a record. Optional attributes are copied only when present. */
export const toFileRow = (record: ViewRecord): FileRow => {
  const row: Record<string, unknown> = {
    id: record.listSk,
    bucket: record.bucket,
    key: record.key,
    status: record.status,
    size: Number(record.size ?? 0),
    eventTime: record.eventTime,
    processedAt: record.processedAt,
    durationMs: Number(record.durationMs ?? 0),
    queueLatencyMs: Number(record.queueLatencyMs ?? 0),
    receiveCount: Number(record.receiveCount ?? 0),
    attempt: Number(record.attempt ?? 0),
  };
  for (const name of ['reason', 'mime', 'ext', 'contentClass', 'declaredContentType', 'error'] as const) {
    if (record[name] !== undefined && record[name] !== null) row[name] = record[name];
  }
  return row as unknown as FileRow;
};

const sameRow = (a: FileRow, b: FileRow): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * The dashboard's in-memory read model: the newest records of the metadata table (within a time window and
 * a record cap), loaded once from the batch manifests and kept current by re-reading what is newer than the
 * newest record seen (minus an overlap). It answers the file table's pages and every aggregate (counters,
 * types, duration percentiles, throughput, the quarantine list) without touching the table, so a page costs
 * the same with 100 or 100,000 records; pages older than the view are read from the table by the caller.
 */
export class LiveView {
  readonly windowHours: number;
  readonly maxRecords: number;
  /** Records, newest first (descending `listSk`). */
  private rows: Entry[] = [];
  private readonly byId = new Map<string, Entry>();
  /** The latest upload (greatest sort key) of each file, for the quarantine list. */
  private readonly latestByFile = new Map<string, Entry>();
  /** The view holds every record with `listSk` at or above this ('' = every record of the table). */
  private floor = '';
  private truncated = false;
  private loadedFlag = false;
  private lastSweepMs = 0;
  private readonly now: () => number;
  private readonly overlapMs: number;
  private readonly sweepOverlapMs: number;
  /** Increases whenever the set of records changes. */
  dataVersion = 0;

  constructor(private readonly options: LiveViewOptions) {
    this.windowHours = options.windowHours ?? 24;
    this.maxRecords = options.maxRecords ?? 200_000;
    this.now = options.now ?? Date.now;
    this.overlapMs = options.overlapMs ?? 5000;
    this.sweepOverlapMs = options.sweepOverlapMs ?? 90_000;
  }

  /** True once the initial load finished. */
  get loaded(): boolean {
    return this.loadedFlag;
  }

  /** Records in the view. */
  get size(): number {
    return this.rows.length;
  }

  /** Start of the window (ISO), or undefined when unbounded. */
  windowStart(): string | undefined {
    return this.windowHours > 0
      ? new Date(this.now() - this.windowHours * 3_600_000).toISOString()
      : undefined;
  }

  /** True when the record cap, not the window, decides where the view ends. */
  get isTruncated(): boolean {
    return this.truncated;
  }

  /** Initial load: the newest `maxRecords` records of the window. */
  async load(): Promise<void> {
    const since = this.windowStart() ?? '';
    const { items, completeFrom } = await readRecordsSince(this.options.dynamo, this.options.tableName, {
      since,
      perShardCap: Math.ceil(this.maxRecords / 8) + 1,
    });
    this.apply(items);
    this.floor = completeFrom !== undefined && completeFrom > since ? completeFrom : since;
    this.truncated = completeFrom !== undefined;
    this.evict();
    this.lastSweepMs = this.now();
    this.loadedFlag = true;
  }

  /**
   * Read what is newer than the newest record seen (minus the overlap) and merge it. Every
   * `sweepEveryMs` the overlap is longer, for records a slow batch wrote late. Returns true when the
   * records changed.
   */
  async refresh(sweepEveryMs = 30_000): Promise<boolean> {
    if (!this.loadedFlag) return false;
    const newest = this.rows[0]?.processedAtMs;
    const sweep = this.now() - this.lastSweepMs >= sweepEveryMs;
    if (sweep) this.lastSweepMs = this.now();
    const overlap = sweep ? this.sweepOverlapMs : this.overlapMs;
    const windowStart = this.windowStart() ?? '';
    const from = newest === undefined ? windowStart : new Date(newest - overlap).toISOString();
    // ISO strings: the later of the two (string order is time order).
    const since = [from, windowStart].sort().at(-1) as string;
    const { items } = await readRecordsSince(this.options.dynamo, this.options.tableName, { since });
    const changed = this.apply(items);
    const evicted = this.evict();
    return changed || evicted;
  }

  /** Merge records into the view; returns true when anything changed. Exposed for tests. */
  apply(records: readonly ViewRecord[]): boolean {
    const added: Entry[] = [];
    const removed = new Set<Entry>();
    for (const record of records) {
      if (!record.listSk || !record.pk || !record.sk) continue;
      if (this.floor && record.listSk < this.floor) continue;
      const id = idOf(record.pk, record.sk);
      const row = toFileRow(record);
      const existing = this.byId.get(id);
      if (existing && existing.row.id === row.id && sameRow(existing.row, row)) continue;
      if (existing) removed.add(existing);
      const entry: Entry = {
        row,
        pk: record.pk,
        sk: record.sk,
        processedAtMs: Date.parse(record.processedAt),
      };
      this.byId.set(id, entry);
      added.push(entry);
    }
    if (added.length === 0) return false;
    // A later duplicate in the same batch replaced an earlier one in byId: keep only the live entries.
    const fresh = added.filter((e) => this.byId.get(idOf(e.pk, e.sk)) === e);
    fresh.sort((a, b) => (a.row.id < b.row.id ? 1 : a.row.id > b.row.id ? -1 : 0));
    const kept = removed.size > 0 ? this.rows.filter((e) => !removed.has(e)) : this.rows;
    this.rows = mergeDescending(kept, fresh);
    for (const entry of fresh) {
      const file = entry.pk;
      const latest = this.latestByFile.get(file);
      if (!latest || latest.sk <= entry.sk) this.latestByFile.set(file, entry);
    }
    this.dataVersion++;
    return true;
  }

  /** Drop records older than the window or beyond the cap; returns true when any was dropped. */
  private evict(): boolean {
    const windowStart = this.windowStart();
    let cut = this.rows.length;
    if (windowStart !== undefined) {
      while (cut > 0 && (this.rows[cut - 1] as Entry).row.id < windowStart) cut--;
      if (windowStart > this.floor) this.floor = windowStart;
    }
    if (cut > this.maxRecords) {
      cut = this.maxRecords;
      this.truncated = true;
    }
    if (cut === this.rows.length) return false;
    const dropped = this.rows.slice(cut);
    this.rows = this.rows.slice(0, cut);
    const last = this.rows.at(-1);
    if (this.truncated && last && last.row.id > this.floor) this.floor = last.row.id;
    for (const entry of dropped) {
      this.byId.delete(idOf(entry.pk, entry.sk));
      if (this.latestByFile.get(entry.pk) === entry) this.latestByFile.delete(entry.pk);
    }
    this.dataVersion++;
    return true;
  }

  /**
   * One page of rows matching `query`, newest first, or undefined before the initial load. When the view
   * runs out before the page is full and the table holds older records, `resumeCursor` says where the
   * caller continues with `listFiles`.
   */
  page(query: FileQuery): ViewPage | undefined {
    if (!this.loadedFlag) return undefined;
    if (query.cursor !== undefined && this.floor && query.cursor <= this.floor)
      return { items: [], resumeCursor: query.cursor };
    let i = query.cursor === undefined ? 0 : this.firstBelow(query.cursor);
    const items: FileRow[] = [];
    for (; i < this.rows.length && items.length < query.limit; i++) {
      const row = (this.rows[i] as Entry).row;
      if (matchesQuery(row, query)) items.push(row);
    }
    if (items.length === query.limit) {
      let more = this.floor !== '';
      for (let j = i; !more && j < this.rows.length; j++)
        more = matchesQuery((this.rows[j] as Entry).row, query);
      return more ? { items, nextCursor: (items.at(-1) as FileRow).id } : { items };
    }
    if (this.floor === '') return { items };
    // The view ends here: records strictly below the floor live only in the table.
    const resume = query.cursor !== undefined && query.cursor < this.floor ? query.cursor : this.floor;
    return { items, resumeCursor: resume };
  }

  /** Index of the first row with `listSk` strictly below `cursor` (binary search, rows are descending). */
  private firstBelow(cursor: string): number {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.rows[mid] as Entry).row.id >= cursor) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Counters, types, duration percentiles and the quarantine list over the view. */
  aggregates(maxQuarantined = 100): ViewAggregates {
    const byStatus: Record<string, number> = Object.fromEntries(Object.values(FileStatus).map((s) => [s, 0]));
    const byReason: Record<string, number> = {};
    const types = new Map<string, number>();
    const durations: number[] = [];
    const latencies: number[] = [];
    let bytes = 0;
    for (const { row } of this.rows) {
      byStatus[row.status] = (byStatus[row.status] ?? 0) + 1;
      if (row.reason) byReason[row.reason] = (byReason[row.reason] ?? 0) + 1;
      const type = typeOf(row);
      types.set(type, (types.get(type) ?? 0) + 1);
      durations.push(row.durationMs);
      latencies.push(row.queueLatencyMs);
      bytes += row.size;
    }
    const quarantined: Entry[] = [];
    for (const entry of this.latestByFile.values())
      if (entry.row.status === FileStatus.QUARANTINED) quarantined.push(entry);
    quarantined.sort((a, b) => b.processedAtMs - a.processedAtMs);
    return {
      total: this.rows.length,
      bytes,
      byStatus,
      byReason,
      types: [...types.entries()].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count),
      durations: summarizeDurations(durations),
      queueLatency: summarizeDurations(latencies),
      quarantine: {
        total: quarantined.length,
        files: quarantined.slice(0, maxQuarantined).map(({ row }) => ({
          bucket: row.bucket,
          key: row.key,
          processedAt: row.processedAt,
          attempt: row.attempt,
          size: row.size,
          ...(row.reason ? { reason: row.reason } : {}),
          ...(row.error ? { error: row.error } : {}),
        })),
      },
    };
  }

  /** Files per second per status over the last `buckets` × `bucketSeconds`, from `processedAt`. */
  throughput(bucketSeconds = 5, buckets = 180): ReturnType<typeof rateSeries> {
    const endMs = this.now();
    const startMs = endMs - bucketSeconds * buckets * 1000;
    const rows = this.rows;
    function* recent(): Generator<{ atMs: number; name: string }> {
      for (const entry of rows) {
        if (entry.processedAtMs < startMs) return;
        yield { atMs: entry.processedAtMs, name: entry.row.status };
      }
    }
    return rateSeries(recent(), { endMs, bucketSeconds, buckets, names: Object.values(FileStatus) });
  }
}

/** Merge two arrays sorted by descending row id into one. */
const mergeDescending = (a: readonly Entry[], b: readonly Entry[]): Entry[] => {
  if (b.length === 0) return a.slice();
  if (a.length === 0) return b.slice();
  if ((b.at(-1) as Entry).row.id > (a[0] as Entry).row.id) return [...b, ...a];
  const out: Entry[] = new Array(a.length + b.length);
  let i = 0;
  let j = 0;
  let k = 0;
  while (i < a.length && j < b.length)
    out[k++] = (a[i] as Entry).row.id > (b[j] as Entry).row.id ? (a[i++] as Entry) : (b[j++] as Entry);
  while (i < a.length) out[k++] = a[i++] as Entry;
  while (j < b.length) out[k++] = b[j++] as Entry;
  return out;
};
