/**
 * Artillery processor of the spike test (`artillery.yml`). Each virtual user uploads one generated file
 * straight to the input bucket with the AWS SDK, stamped with its upload time in the `uploaded-at`
 * object metadata, and appends what it uploaded to the run's manifest for verification.
 *
 * Artillery bundles this file with esbuild (CommonJS) before its workers load it; the AWS SDK is kept
 * external (`config.bundling.external`) and resolves from the project's node_modules.
 */
import { threadId } from 'node:worker_threads';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { OBJECT_METADATA } from '../src/pipeline/constants.ts';
import { generateFile, type RandomSource, seededRandom } from './fileMix.ts';
import { ManifestWriter } from './manifest.ts';

/** The part of Artillery's VU context this processor uses: `config.variables` and `--variables`. */
interface VuContext {
  readonly vars: Record<string, unknown>;
}

/** Artillery's event emitter for custom metrics. */
interface MetricEvents {
  emit(type: 'counter' | 'histogram', name: string, value: number): void;
}

/** Settings of the load generator, from the script's `config.variables` (overridable with `--variables`). */
export interface ProcessorSettings {
  readonly inputBucket: string;
  /** Emulator endpoint; empty for real AWS (the SDK's credential and region chain then apply). */
  readonly endpoint: string;
  readonly region: string;
  /** Directory of this run's manifest files. */
  readonly manifestDir: string;
  /** Key prefix of this run (`load/<runId>`), so runs never mix. */
  readonly runId: string;
  /** Seed of the file mix; each worker offsets it by its thread id. */
  readonly seed: number;
}

const text = (vars: Record<string, unknown>, name: string, fallback: string): string => {
  const value = vars[name];
  return typeof value === 'string' && value.trim() !== '' && !value.includes('{{') ? value.trim() : fallback;
};

/** Read and check the settings once per worker; a missing run id would mix runs, so it fails loudly. */
export const processorSettings = (vars: Record<string, unknown>): ProcessorSettings => {
  const seed = Number(text(vars, 'seed', '1'));
  return {
    inputBucket: text(vars, 'inputBucket', 'silent-scalper-input'),
    endpoint: text(vars, 'endpoint', ''),
    region: text(vars, 'region', 'us-east-1'),
    manifestDir: text(vars, 'manifestDir', 'artifacts/load/manual'),
    runId: text(vars, 'runId', `manual-${new Date().toISOString().replace(/[:.]/g, '-')}`),
    seed: Number.isFinite(seed) ? seed : 1,
  };
};

interface WorkerState {
  readonly settings: ProcessorSettings;
  readonly s3: S3Client;
  readonly manifest: ManifestWriter;
  readonly random: RandomSource;
  readonly writerId: string;
  sequence: number;
}

let worker: WorkerState | undefined;

/** One PUT may take this long at most. */
const UPLOAD_TIMEOUT_MS = 30_000;

const workerState = (vars: Record<string, unknown>): WorkerState => {
  if (worker) return worker;
  const settings = processorSettings(vars);
  const endpoint = settings.endpoint || undefined;
  const s3 = new S3Client({
    region: settings.region,
    // One attempt: a failed PUT must show up in the metrics, not hide behind SDK retries.
    maxAttempts: 1,
    ...(endpoint
      ? { endpoint, forcePathStyle: true, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } }
      : {}),
  });
  const writerId = `w${process.pid}-${threadId}`;
  worker = {
    settings,
    s3,
    manifest: new ManifestWriter(settings.manifestDir, writerId),
    random: seededRandom(settings.seed * 7919 + threadId),
    writerId,
    sequence: 0,
  };
  return worker;
};

/** Artillery function step: upload one file of the mix and record it. */
export async function uploadFile(context: VuContext, events: MetricEvents): Promise<void> {
  const state = workerState(context.vars);
  state.sequence += 1;
  const file = generateFile({
    prefix: `load/${state.settings.runId}`,
    sequence: `${state.writerId}-${String(state.sequence).padStart(6, '0')}`,
    random: state.random,
  });
  const uploadedAt = new Date().toISOString();
  const started = performance.now();
  const base = {
    bucket: state.settings.inputBucket,
    key: file.key,
    kind: file.kind,
    sizeBytes: file.body.length,
    contentType: file.contentType,
    uploadedAt,
    expected: file.expected,
  };
  try {
    const response = await state.s3.send(
      new PutObjectCommand({
        Bucket: state.settings.inputBucket,
        Key: file.key,
        Body: file.body,
        ContentType: file.contentType,
        Metadata: { [OBJECT_METADATA.uploadedAt]: uploadedAt },
      }),
      // Bounded: a stuck emulator must fail the run, not hang it.
      { abortSignal: AbortSignal.timeout(UPLOAD_TIMEOUT_MS) },
    );
    const uploadMs = performance.now() - started;
    state.manifest.append({
      ...base,
      uploadMs,
      ok: true,
      ...(response.ETag ? { etag: response.ETag } : {}),
    });
    events.emit('histogram', 'upload.latency_ms', uploadMs);
    events.emit('counter', 'upload.ok', 1);
    // Emitted as 0 on success so the metric always exists for the `ensure` condition on it.
    events.emit('counter', 'upload.failed', 0);
    events.emit('counter', 'upload.bytes', file.body.length);
    events.emit('counter', `upload.kind.${file.kind}`, 1);
  } catch (error) {
    const uploadMs = performance.now() - started;
    state.manifest.append({ ...base, uploadMs, ok: false, error: String(error) });
    events.emit('counter', 'upload.failed', 1);
    throw error;
  }
}
