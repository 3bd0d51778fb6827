import type { FileRecord } from '../src/pipeline/types.ts';
import { type ChartMarker, htmlReport, lineChart } from './chart.ts';
import type { QueueSample } from './collect.ts';
import type { ManifestEntry } from './manifest.ts';
import { binCounts, type Distribution, distribution, peakRate } from './stats.ts';
import type { Verification } from './verify.ts';

/** The figures of one load run (printed, written as JSON, and shown in the HTML report). */
export interface LoadSummary {
  readonly runId: string;
  readonly passed: boolean;
  readonly problems: readonly string[];
  readonly uploaded: number;
  readonly failedUploads: number;
  readonly correct: number;
  readonly lost: number;
  readonly duplicates: number;
  readonly wrongState: number;
  readonly byOutcome: Readonly<Record<string, number>>;
  readonly uploadedBytes: number;
  /** Upload phase: first upload start → last upload end. */
  readonly uploadSeconds: number;
  readonly uploadFilesPerSecond: number;
  readonly uploadMs: Distribution;
  /** Upload start (`uploaded-at`) → record `processedAt`. */
  readonly endToEndMs: Distribution;
  /** First upload start → last `processedAt`. */
  readonly totalSeconds: number;
  /** Records per second from the first to the last `processedAt`. */
  readonly drainFilesPerSecond: number;
  /** Best 5-second average of records per second. */
  readonly peakDrainFilesPerSecond: number;
  /** Highest visible + in-flight count seen. */
  readonly peakQueueDepth: number;
  /** Seconds from the first upload to the peak depth. */
  readonly peakQueueDepthAtSeconds: number;
  readonly leftovers: Verification['leftovers'];
}

const seconds = (ms: number) => ms / 1000;

/** Compute the run's figures from the manifest, the records, the queue samples and the verification. */
export const summarizeRun = (args: {
  readonly runId: string;
  readonly manifest: readonly ManifestEntry[];
  readonly records: readonly FileRecord[];
  readonly samples: readonly QueueSample[];
  readonly verification: Verification;
  /** Extra reasons the run failed (artillery's ensure checks, a drain timeout). */
  readonly extraProblems?: readonly string[];
}): LoadSummary => {
  const uploads = args.manifest.filter((e) => e.ok);
  const starts = uploads.map((e) => Date.parse(e.uploadedAt));
  const ends = uploads.map((e) => Date.parse(e.uploadedAt) + e.uploadMs);
  const processed = args.records.map((r) => Date.parse(r.processedAt));
  const t0 = Math.min(...starts);
  const uploadSeconds = seconds(Math.max(...ends) - t0);
  const firstProcessed = Math.min(...processed);
  const lastProcessed = Math.max(...processed);
  const processedBins = binCounts(processed, t0, 1000);
  let peakQueueDepth = 0;
  let peakAt = t0;
  for (const s of args.samples) {
    if (s.visible + s.inFlight > peakQueueDepth) {
      peakQueueDepth = s.visible + s.inFlight;
      peakAt = s.atMs;
    }
  }
  const problems = [...args.verification.problems, ...(args.extraProblems ?? [])];
  const v = args.verification;
  return {
    runId: args.runId,
    passed: problems.length === 0,
    problems,
    uploaded: v.uploaded,
    failedUploads: v.failedUploads,
    correct: v.correct,
    lost: v.lost.length,
    duplicates: v.duplicates.length,
    wrongState: v.wrongState.length,
    byOutcome: v.byOutcome,
    uploadedBytes: uploads.reduce((sum, e) => sum + e.sizeBytes, 0),
    uploadSeconds,
    uploadFilesPerSecond: uploadSeconds > 0 ? uploads.length / uploadSeconds : 0,
    uploadMs: distribution(uploads.map((e) => e.uploadMs)),
    endToEndMs: v.endToEndMs,
    totalSeconds: processed.length > 0 ? seconds(lastProcessed - t0) : 0,
    drainFilesPerSecond:
      processed.length > 1 ? processed.length / seconds(Math.max(1, lastProcessed - firstProcessed)) : 0,
    peakDrainFilesPerSecond: peakRate(processedBins, 1000, 5),
    peakQueueDepth,
    peakQueueDepthAtSeconds: seconds(peakAt - t0),
    leftovers: v.leftovers,
  };
};

const ms = (value: number) => (Number.isFinite(value) ? `${Math.round(value)} ms` : 'n/a');
const rate = (value: number) => `${value.toFixed(1)} files/s`;

/** The summary as label/value rows, for the console and the HTML table. */
export const summaryRows = (s: LoadSummary): [string, string][] => [
  ['run', s.runId],
  [
    'uploaded',
    `${s.uploaded} files, ${(s.uploadedBytes / 1024 / 1024).toFixed(1)} MB (${s.failedUploads} failed PUTs)`,
  ],
  [
    'verified correct',
    `${s.correct} of ${s.uploaded} (lost ${s.lost}, duplicates ${s.duplicates}, wrong state ${s.wrongState})`,
  ],
  [
    'terminal states',
    Object.entries(s.byOutcome)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', '),
  ],
  ['upload rate', `${rate(s.uploadFilesPerSecond)} over ${s.uploadSeconds.toFixed(1)} s`],
  ['upload latency p50 / p95 / p99', `${ms(s.uploadMs.p50)} / ${ms(s.uploadMs.p95)} / ${ms(s.uploadMs.p99)}`],
  [
    'end-to-end latency p50 / p95 / p99 (upload → processedAt)',
    `${ms(s.endToEndMs.p50)} / ${ms(s.endToEndMs.p95)} / ${ms(s.endToEndMs.p99)} (max ${ms(s.endToEndMs.max)})`,
  ],
  ['drain throughput', `${rate(s.drainFilesPerSecond)} (best 5 s: ${rate(s.peakDrainFilesPerSecond)})`],
  ['peak queue depth', `${s.peakQueueDepth} messages at ${s.peakQueueDepthAtSeconds.toFixed(1)} s`],
  ['first upload → last record', `${s.totalSeconds.toFixed(1)} s`],
  [
    'left in queues',
    `${s.leftovers.visible} visible, ${s.leftovers.inFlight} in flight, ${s.leftovers.delayed} delayed, ${s.leftovers.deadLetter} in the DLQ`,
  ],
];

/** The HTML report: verdict, figures, a queue-depth chart and an uploads/processed-per-second chart. */
export const renderRunReport = (args: {
  readonly summary: LoadSummary;
  readonly manifest: readonly ManifestEntry[];
  readonly records: readonly FileRecord[];
  readonly samples: readonly QueueSample[];
}): string => {
  const uploads = args.manifest.filter((e) => e.ok);
  const t0 = Math.min(...uploads.map((e) => Date.parse(e.uploadedAt)));
  const toSeconds = (atMs: number) => (atMs - t0) / 1000;
  const samples = args.samples.filter((s) => s.atMs >= t0);
  // Uploads are binned when their PUT completed (the object exists and its event is queued), not when
  // the client started them: in a spike, PUTs wait for a socket inside the SDK first.
  const uploadBins = binCounts(
    uploads.map((e) => Date.parse(e.uploadedAt) + e.uploadMs),
    t0,
    1000,
  );
  const processedBins = binCounts(
    args.records.map((r) => Date.parse(r.processedAt)),
    t0,
    1000,
  );
  const perSecond = (bins: readonly number[]) => bins.map((n, i) => [i + 0.5, n] as const);
  const lastUpload = Math.max(...uploads.map((e) => Date.parse(e.uploadedAt) + e.uploadMs));
  const markers: ChartMarker[] = [{ atSeconds: toSeconds(lastUpload), label: 'last PUT done' }];
  // Both charts end a few seconds after the last record, so they line up and the drain is visible.
  const xMaxSeconds = Math.ceil(Math.max(processedBins.length, toSeconds(lastUpload)) + 3);
  const depthChart = lineChart({
    title: 'Ingest queue depth',
    yLabel: 'messages',
    series: [
      {
        name: 'visible',
        color: '#1f77b4',
        points: samples.map((s) => [toSeconds(s.atMs), s.visible] as const),
      },
      {
        name: 'in flight',
        color: '#ff7f0e',
        points: samples.map((s) => [toSeconds(s.atMs), s.inFlight] as const),
      },
      {
        name: 'DLQ',
        color: '#d62728',
        points: samples.map((s) => [toSeconds(s.atMs), s.deadLetter] as const),
      },
    ],
    markers,
    xMaxSeconds,
  });
  const throughputChart = lineChart({
    title: 'Throughput (per second)',
    yLabel: 'files per second',
    series: [
      { name: 'uploaded (PUT done)', color: '#2ca02c', points: perSecond(uploadBins) },
      { name: 'processed (records written)', color: '#9467bd', points: perSecond(processedBins) },
    ],
    markers,
    xMaxSeconds,
  });
  const s = args.summary;
  return htmlReport({
    title: `Silent Scalper spike test — ${s.runId}`,
    verdict: {
      passed: s.passed,
      text: s.passed
        ? `PASS: all ${s.uploaded} uploads reached exactly one terminal state matching their kind; nothing left in the queue or DLQ.`
        : `FAIL: ${s.problems.join('; ')}`,
    },
    figures: summaryRows(s),
    charts: [depthChart, throughputChart],
    notes: [
      'End-to-end latency runs from the start of the PUT (the uploaded-at object metadata) to the record’s processedAt.',
      'Queue depth is sampled with GetQueueAttributes every 0.5 s; processed counts come from the records’ processedAt.',
    ],
  });
};
