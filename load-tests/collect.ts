import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { filePartitionKey } from '../src/pipeline/recordKeys.ts';
import type { FileRecord } from '../src/pipeline/types.ts';
import { queueStats } from '../src/tracking/queueStats.ts';
import type { QueueStats } from '../src/tracking/types.ts';

/** One reading of the queues during a run. */
export interface QueueSample {
  /** Epoch milliseconds. */
  readonly atMs: number;
  readonly visible: number;
  readonly inFlight: number;
  readonly delayed: number;
  readonly deadLetter: number;
}

/** Samples the ingest queue and DLQ depths at a fixed interval until stopped. */
export class QueueSampler {
  readonly samples: QueueSample[] = [];
  readonly errors: string[] = [];
  private timer: NodeJS.Timeout | undefined;
  private pending: Promise<void> = Promise.resolve();

  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    private readonly dlqUrl: string,
    private readonly intervalMs = 500,
  ) {}

  start(): void {
    const tick = () => {
      // Readings never overlap: a slow GetQueueAttributes delays the next one instead of piling up.
      this.pending = this.read().then(() => undefined);
      void this.pending.finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  /** The latest reading, if any. */
  latest(): QueueSample | undefined {
    return this.samples.at(-1);
  }

  async stop(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.pending;
  }

  /** Take one reading now and return it. */
  async read(): Promise<QueueSample | undefined> {
    try {
      const stats: QueueStats = await queueStats(this.sqs, this.queueUrl, this.dlqUrl);
      const sample = {
        atMs: Date.now(),
        visible: stats.visible,
        inFlight: stats.inFlight,
        delayed: stats.delayed,
        deadLetter: stats.deadLetter,
      };
      this.samples.push(sample);
      return sample;
    } catch (error) {
      this.errors.push(String(error));
      return undefined;
    }
  }
}

/**
 * Wait until the ingest queue is empty (nothing visible, in flight or delayed) for `settleReadings`
 * readings in a row, or until `timeoutMs` passes. Returns whether it drained.
 */
export const waitForDrain = async (
  sampler: QueueSampler,
  options: { readonly timeoutMs: number; readonly intervalMs?: number; readonly settleReadings?: number },
): Promise<boolean> => {
  const deadline = Date.now() + options.timeoutMs;
  const settle = options.settleReadings ?? 3;
  let emptyInARow = 0;
  while (Date.now() < deadline) {
    const sample = await sampler.read();
    if (sample && sample.visible + sample.inFlight + sample.delayed === 0) {
      emptyInARow += 1;
      if (emptyInARow >= settle) return true;
    } else {
      emptyInARow = 0;
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
  }
  return false;
};

/** Pages read at most by one scan (1 MB each): bounds a scan of a table that is much larger than expected. */
const MAX_SCAN_PAGES = 10_000;

/**
 * Every upload record whose key starts with `keyPrefix` in `bucket`. A Scan with a filter: a load run
 * writes thousands of records under one prefix, and the list indexes are sharded by status and time.
 */
export const scanRunRecords = async (
  dynamo: DynamoDBDocumentClient,
  tableName: string,
  bucket: string,
  keyPrefix: string,
): Promise<FileRecord[]> => {
  const records: FileRecord[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < MAX_SCAN_PAGES; page++) {
    const out = await dynamo.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(pk, :prefix) AND recordType = :upload',
        ExpressionAttributeValues: { ':prefix': filePartitionKey(bucket, keyPrefix), ':upload': 'UPLOAD' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of out.Items ?? []) records.push(item as FileRecord);
    start = out.LastEvaluatedKey;
    if (!start) return records;
  }
  throw new Error(`scan of ${tableName} did not finish within ${MAX_SCAN_PAGES} pages`);
};

/** Keys of quarantined records whose object is not in the quarantine bucket where the record says it is. */
export const missingQuarantineObjects = async (
  s3: S3Client,
  records: readonly FileRecord[],
  concurrency = 4,
): Promise<string[]> => {
  const quarantined = records.filter((r) => r.status === 'QUARANTINED');
  const missing: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < quarantined.length) {
      const record = quarantined[next++];
      if (!record) continue;
      if (!record.quarantineBucket || !record.quarantineKey) {
        missing.push(record.key);
        continue;
      }
      try {
        await s3.send(new HeadObjectCommand({ Bucket: record.quarantineBucket, Key: record.quarantineKey }));
      } catch {
        missing.push(record.key);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return missing;
};
