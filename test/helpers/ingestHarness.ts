import type { SQSRecord } from 'aws-lambda';
import { type HandlerConfig, handlerEnvironment, loadHandlerConfig } from '../../src/config/handlerConfig.ts';
import { buildIngestHandler, type IngestDeps } from '../../src/handlers/ingest.ts';
import type { IngestMetric, LoggerPort, MetricsPort, MetricUnit } from '../../src/pipeline/ports.ts';
import { encodeS3EventKey, motoS3Record, realS3Record, s3EventBody, sqsRecord } from './events.ts';
import { createFakeAws, type FakeAws } from './fakeAws.ts';
import { type SampleKind, sampleFile } from './files.ts';

/** One captured log line. */
export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Record<string, unknown>;
}

/** A logger that keeps every line. */
export const memoryLogger = (): LoggerPort & { lines: LogLine[] } => {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, ...extra: Record<string, unknown>[]) =>
      lines.push({ level, message, extra: Object.assign({}, ...extra) });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};

/** One captured metric data point. */
export interface MetricPoint {
  name: IngestMetric;
  unit: MetricUnit;
  value: number;
  dimensions?: Readonly<Record<string, string>>;
}

/** A metrics port that keeps every data point and counts flushes. */
export const memoryMetrics = (): MetricsPort & {
  points: MetricPoint[];
  flushes: number;
  sum(name: string): number;
} => {
  const points: MetricPoint[] = [];
  const port = {
    points,
    flushes: 0,
    add(name: IngestMetric, unit: MetricUnit, value: number, dimensions?: Readonly<Record<string, string>>) {
      points.push({ name, unit, value, ...(dimensions ? { dimensions } : {}) });
    },
    flush() {
      port.flushes += 1;
    },
    sum(name: string) {
      return points.filter((p) => p.name === name).reduce((a, p) => a + p.value, 0);
    },
  };
  return port;
};

export const INPUT_BUCKET = 'silent-scalper-input';
export const QUARANTINE_BUCKET = 'silent-scalper-quarantine';
export const TABLE = 'silent-scalper-files';
export const DLQ_URL = 'http://127.0.0.1:1/123456789012/silent-scalper-ingest-dlq';

/** Options of {@link ingestHarness}. */
export interface HarnessOptions {
  tunables?: Parameters<typeof handlerEnvironment>[0]['tunables'];
  maxReceives?: number;
  deps?: Partial<IngestDeps>;
}

/**
 * The real ingest handler (real adapters) over fake AWS clients, with captured logs and metrics, a clock
 * that advances 1 ms per reading and a sleep that only records.
 */
export const ingestHarness = (options: HarnessOptions = {}) => {
  const aws: FakeAws = createFakeAws();
  const config: HandlerConfig = loadHandlerConfig(
    handlerEnvironment({
      metadataTable: TABLE,
      quarantineBucket: QUARANTINE_BUCKET,
      alertsTopicArn: 'arn:aws:sns:us-east-1:123456789012:silent-scalper-alerts',
      dlqUrl: DLQ_URL,
      maxReceives: options.maxReceives ?? 5,
      ...(options.tunables ? { tunables: options.tunables } : {}),
    }),
  );
  const logger = memoryLogger();
  const metrics = memoryMetrics();
  let time = Date.parse('2026-11-25T10:00:05.000Z');
  const sleeps: number[] = [];
  const handler = buildIngestHandler(config, {
    clients: aws.clients,
    logger,
    metrics,
    clock: { now: () => (time += 1) },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options.deps,
  });

  /** Put a file into the input bucket and return the SQS record of its notification. */
  const upload = (
    key: string,
    content: SampleKind | Uint8Array,
    opts: {
      shape?: 'real' | 'moto';
      receiveCount?: number;
      messageId?: string;
      metadata?: Record<string, string>;
      contentType?: string;
      size?: number;
      eventSize?: number | null;
      eventTime?: string;
    } = {},
  ): SQSRecord => {
    const file =
      typeof content === 'string'
        ? sampleFile(content)
        : { bytes: content, contentType: 'application/octet-stream' };
    const eTag = aws.s3.put(INPUT_BUCKET, key, file.bytes, {
      contentType: opts.contentType ?? file.contentType,
      ...(opts.metadata ? { metadata: opts.metadata } : {}),
      ...(opts.size !== undefined ? { size: opts.size } : {}),
    });
    const size = opts.eventSize === null ? undefined : (opts.eventSize ?? opts.size ?? file.bytes.length);
    const record =
      opts.shape === 'moto'
        ? motoS3Record({
            encodedKey: encodeS3EventKey(key),
            eTag,
            ...(size !== undefined ? { size } : {}),
            ...(opts.eventTime ? { eventTime: opts.eventTime } : {}),
          })
        : realS3Record({
            encodedKey: encodeS3EventKey(key, true),
            eTag,
            ...(size !== undefined ? { size } : {}),
            sequencer: `00${eTag.slice(0, 14).toUpperCase()}`,
            ...(opts.eventTime ? { eventTime: opts.eventTime } : {}),
          });
    if (size === undefined)
      delete ((record.s3 as Record<string, unknown>).object as Record<string, unknown>).size;
    return sqsRecord(s3EventBody(record), {
      sentTimestampMs: Date.parse('2026-11-25T10:00:01.000Z'),
      ...(opts.receiveCount !== undefined ? { receiveCount: opts.receiveCount } : {}),
      ...(opts.messageId ? { messageId: opts.messageId } : {}),
    });
  };

  // File items only: the batch manifests the pipeline writes beside them are not files.
  const items = () => aws.dynamo.items(TABLE).filter((i) => i.recordType !== 'BATCH');
  const manifests = () => aws.dynamo.items(TABLE).filter((i) => i.recordType === 'BATCH');
  const itemFor = (key: string) => items().find((i) => i.key === key);
  return { aws, config, handler, logger, metrics, sleeps, upload, items, manifests, itemFor };
};
