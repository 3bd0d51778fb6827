import type { SQSClient } from '@aws-sdk/client-sqs';
import { FileStatus } from '../pipeline/constants.ts';
import { queueStats } from '../tracking/queueStats.ts';
import type { QueueStats } from '../tracking/types.ts';
import type { LiveView, ViewAggregates } from './liveView.ts';
import type { Snapshot } from './types.ts';

/** Options of {@link Monitor}. */
export interface MonitorOptions {
  readonly view: LiveView;
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  /** Shown in the page header (endpoint or stack). */
  readonly targetLabel: string;
  readonly tableName: string;
  /** Pause between two refreshes. The page shows changes within this plus one refresh. @default 500 */
  readonly refreshMs?: number;
  /** Queue depth samples kept (one per refresh). @default 900 */
  readonly depthSamples?: number;
  /** Width of a throughput bucket in seconds. @default 5 */
  readonly throughputBucketSeconds?: number;
  /** Throughput buckets shown. @default 180 (15 minutes) */
  readonly throughputBuckets?: number;
  /** Stop reading new records this long after the last page or API request went away. @default 30000 */
  readonly idleAfterMs?: number;
  /** A refresh that takes longer than this is abandoned (and reported). @default 30000 */
  readonly refreshTimeoutMs?: number;
  readonly now?: () => number;
  /** Called with errors of the background refresh (they are also shown on the page). */
  readonly onError?: (error: unknown) => void;
}

/** Fails after `ms` so a hung request cannot stop the refresh loop. */
const withTimeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

const describe = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message))
      return 'cannot reach the AWS endpoint (is `silent-scalper up` running?)';
    return `${error.name}: ${error.message}`;
  }
  return String(error);
};

/**
 * The dashboard's background loop: loads the view, then every `refreshMs` reads new records and the queue
 * depths, rebuilds the snapshot when anything changed and hands it to the subscribers (the server-sent
 * event streams). One refresh at a time; a failed refresh keeps the last data and reports the error.
 */
export class Monitor {
  private readonly subscribers = new Set<(snapshot: Snapshot) => void>();
  private readonly depth = {
    t: [] as number[],
    visible: [] as number[],
    inFlight: [] as number[],
    deadLetter: [] as number[],
  };
  private queue: QueueStats | undefined;
  private error: string | undefined;
  private version = 0;
  private current: Snapshot;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private lastThroughputBucket = -1;
  private lastDataVersion = -1;
  private lastActivityMs = 0;
  private aggregates: ViewAggregates | undefined;
  private aggregatesVersion = -1;
  /** Duration of the last scheduled refresh, in ms. */
  lastRefreshMs = 0;
  private lastLoaded = false;
  private loading: Promise<void> | undefined;
  private loadError: string | undefined;

  constructor(private readonly options: MonitorOptions) {
    this.now = options.now ?? Date.now;
    this.current = this.build();
  }

  /** The latest snapshot. */
  get snapshot(): Snapshot {
    return this.current;
  }

  /** Receive every new snapshot; returns the unsubscribe function. */
  subscribe(listener: (snapshot: Snapshot) => void): () => void {
    this.touch();
    this.subscribers.add(listener);
    return () => this.subscribers.delete(listener);
  }

  /**
   * Someone is looking (an API request or an event stream). Reading new records is the expensive part of a
   * refresh, so it only runs while a page is open or the API was used in the last `idleAfterMs`; coming
   * back from idle refreshes at once.
   */
  touch(): void {
    const wasIdle = this.idle();
    this.lastActivityMs = Date.now();
    if (wasIdle && this.options.view.loaded && !this.stopped) void this.refreshNow();
  }

  /** True when nobody has looked for a while: records are not read (queue depths still are). */
  idle(): boolean {
    return (
      this.subscribers.size === 0 && Date.now() - this.lastActivityMs > (this.options.idleAfterMs ?? 30_000)
    );
  }

  /** Number of open subscriptions (event streams). */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Start the loop: the first refresh (with the initial load) runs at once. */
  start(): void {
    this.stopped = false;
    this.ensureLoading();
    this.schedule(0);
  }

  /** Stop the loop and wait for a running refresh to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.chain.catch(() => undefined);
  }

  /** Run one refresh now (after any running one). Resolves once the snapshot is up to date. */
  async refreshNow(): Promise<Snapshot> {
    this.chain = this.chain.then(
      () => this.refresh(),
      () => this.refresh(),
    );
    await this.chain;
    return this.current;
  }

  /** Resolves when the initial load has finished (or failed); for tests and the benchmark. */
  async whenLoaded(timeoutMs = 600_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.options.view.loaded) {
      if (Date.now() > deadline) throw new Error(`the view did not load within ${timeoutMs} ms`);
      this.ensureLoading();
      await this.loading;
      if (!this.options.view.loaded && this.loadError) throw new Error(this.loadError);
    }
  }

  private ensureLoading(): void {
    if (this.loading || this.options.view.loaded) return;
    this.loading = this.options.view
      .load()
      .then(() => {
        this.loadError = undefined;
      })
      .catch((error: unknown) => {
        this.loadError = `loading records: ${describe(error)}`;
      })
      .finally(() => {
        this.loading = undefined;
        // Publish the loaded view at once instead of waiting for the next tick.
        if (!this.stopped) void this.refreshNow();
      });
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      const started = Date.now();
      void this.refreshNow().finally(() => {
        // A slow table (moto at 100,000 records scans every item per query) must not be kept busy by the
        // dashboard: wait at least twice as long as the last refresh took, so it uses ≤ 1/3 of the table.
        this.lastRefreshMs = Date.now() - started;
        this.schedule(Math.max(this.options.refreshMs ?? 500, 2 * this.lastRefreshMs));
      });
    }, delayMs);
  }

  private async refresh(): Promise<void> {
    const { view } = this.options;
    const timeoutMs = this.options.refreshTimeoutMs ?? 30_000;
    let changed = false;
    const errors: string[] = [];
    // The initial load can take long on a big table (and on moto, whose queries scan every item), so it
    // runs beside the loop: queue depths keep updating meanwhile, and the table view appears when ready.
    if (!view.loaded) this.ensureLoading();
    const records =
      view.loaded && !this.idle()
        ? withTimeout(view.refresh(), timeoutMs, 'reading new records')
        : Promise.resolve(false);
    const queue = withTimeout(
      queueStats(this.options.sqs, this.options.queueUrl, this.options.dlqUrl),
      timeoutMs,
      'reading queue depths',
    );
    const [recordsResult, queueResult] = await Promise.allSettled([records, queue]);
    if (recordsResult.status === 'fulfilled') changed ||= recordsResult.value;
    else errors.push(describe(recordsResult.reason));
    if (this.loadError) errors.push(this.loadError);
    if (view.dataVersion !== this.lastDataVersion || view.loaded !== this.lastLoaded) changed = true;
    this.lastDataVersion = view.dataVersion;
    this.lastLoaded = view.loaded;
    if (queueResult.status === 'fulfilled') {
      const q = queueResult.value;
      const before = this.queue;
      if (
        !before ||
        before.visible !== q.visible ||
        before.inFlight !== q.inFlight ||
        before.deadLetter !== q.deadLetter ||
        before.delayed !== q.delayed
      )
        changed = true;
      this.queue = q;
      this.sample(q);
    } else errors.push(describe(queueResult.reason));
    const error = errors.length > 0 ? errors.join('; ') : undefined;
    if (error !== this.error) changed = true;
    if (error && error !== this.error) this.options.onError?.(new Error(error));
    this.error = error;
    // The throughput chart moves with time even when nothing happens: rebuild when a bucket closes.
    const bucket = Math.floor(this.now() / ((this.options.throughputBucketSeconds ?? 5) * 1000));
    if (bucket !== this.lastThroughputBucket) changed = true;
    this.lastThroughputBucket = bucket;
    if (!changed) return;
    this.version++;
    this.current = this.build();
    for (const listener of this.subscribers) listener(this.current);
  }

  private sample(q: QueueStats): void {
    const limit = this.options.depthSamples ?? 900;
    this.depth.t.push(Math.round(this.now() / 1000));
    this.depth.visible.push(q.visible);
    this.depth.inFlight.push(q.inFlight);
    this.depth.deadLetter.push(q.deadLetter);
    if (this.depth.t.length > limit) {
      for (const series of Object.values(this.depth)) series.splice(0, series.length - limit);
    }
  }

  private build(): Snapshot {
    const { view } = this.options;
    // Aggregates walk every record (~0.3 s at 100,000): recompute them only when the records changed, not
    // when only time moved on (the throughput chart's buckets).
    if (!this.aggregates || this.aggregatesVersion !== view.dataVersion) {
      this.aggregates = view.aggregates();
      this.aggregatesVersion = view.dataVersion;
    }
    const aggregates = this.aggregates;
    const throughput = view.throughput(
      this.options.throughputBucketSeconds ?? 5,
      this.options.throughputBuckets ?? 180,
    );
    const since = view.windowStart();
    return {
      version: this.version,
      dataVersion: view.dataVersion,
      generatedAt: new Date(this.now()).toISOString(),
      target: { label: this.options.targetLabel, tableName: this.options.tableName },
      view: {
        loaded: view.loaded,
        records: view.size,
        windowHours: view.windowHours,
        truncated: view.isTruncated,
        ...(since ? { since } : {}),
      },
      counters: {
        total: aggregates.total,
        byStatus: aggregates.byStatus,
        byReason: aggregates.byReason,
        bytes: aggregates.bytes,
      },
      ...(this.queue ? { queue: this.queue } : {}),
      types: aggregates.types,
      durations: aggregates.durations,
      queueLatency: aggregates.queueLatency,
      throughput: {
        bucketSeconds: this.options.throughputBucketSeconds ?? 5,
        t: throughput.t,
        processed: throughput.series[FileStatus.PROCESSED] ?? [],
        quarantined: throughput.series[FileStatus.QUARANTINED] ?? [],
        gone: throughput.series[FileStatus.GONE] ?? [],
      },
      depth: {
        t: [...this.depth.t],
        visible: [...this.depth.visible],
        inFlight: [...this.depth.inFlight],
        deadLetter: [...this.depth.deadLetter],
      },
      quarantine: aggregates.quarantine,
      ...(this.error ? { error: this.error } : {}),
    };
  }
}
