import { PutObjectCommand } from '@aws-sdk/client-s3';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { FileStatus, QuarantineReason } from '../pipeline/constants.ts';
import { filePartitionKey } from '../pipeline/recordKeys.ts';
import type { FileRecord } from '../pipeline/types.ts';
import type { LocalRuntime } from './localRuntime.ts';
import { policyDemoFiles } from './policyDemo.ts';
import { SAMPLE_EXPECTATIONS, type SampleKind, sampleFile } from './samples.ts';

/** Largest file the demo uploads to show TOO_LARGE (it needs the handler's limit below this). */
export const DEMO_MAX_TOO_LARGE_BYTES = 8 * 1024 * 1024;

/** One demo file: where it goes, what it is, what the pipeline should make of it. */
export interface DemoFile {
  readonly key: string;
  readonly kind: SampleKind;
  readonly sizeBytes?: number;
  readonly expected: { readonly status: FileStatus; readonly reason?: QuarantineReason };
  /** Bytes made by the policy demo (policyDemo.ts) instead of a sample of `kind`. */
  readonly content?: { readonly bytes: Uint8Array; readonly contentType: string };
}

/** A demo file and what became of it (no record yet: still in the queue, or being retried). */
export interface DemoResult extends DemoFile {
  readonly record?: Pick<FileRecord, 'status' | 'reason' | 'mime' | 'size' | 'durationMs'>;
}

/**
 * A small mixed dump: good files of several types and one of each kind of bad one, under keys with
 * spaces, `+`, `%` and non-ASCII characters. TOO_LARGE is included when the handler's size limit is
 * small enough to show it without a huge upload (`up --demo` sets 1 MiB).
 */
export const demoFiles = (maxFileSizeBytes: number): DemoFile[] => {
  const good = (key: string, kind: SampleKind): DemoFile => ({
    key,
    kind,
    expected: SAMPLE_EXPECTATIONS[kind],
  });
  const files: DemoFile[] = [
    good('demo/photos/sunset beach.png', 'png'),
    good('demo/photos/café au lait.jpg', 'jpeg'),
    good('demo/animations/spinner.gif', 'gif'),
    good('demo/reports/Q3 report+summary.pdf', 'pdf'),
    good('demo/archives/backup 100%.zip', 'zip'),
    good('demo/data/prices.csv', 'csv'),
    good('demo/notes/日本語メモ.txt', 'txt'),
    good('demo/data/config.json', 'json'),
    good('demo/downloads/setup.exe', 'exe'),
    good('demo/downloads/tool.bin', 'elf'),
    good('demo/empty/placeholder.dat', 'empty'),
    good('demo/photos/holiday.jpg', 'mismatch'),
  ];
  for (const file of policyDemoFiles())
    files.push({
      key: file.key,
      kind: 'empty',
      content: { bytes: file.bytes, contentType: file.contentType },
      expected: file.expected,
    });
  if (maxFileSizeBytes < DEMO_MAX_TOO_LARGE_BYTES)
    files.push({
      key: 'demo/exports/huge export.csv',
      kind: 'csv',
      sizeBytes: maxFileSizeBytes + 1,
      expected: { status: FileStatus.QUARANTINED, reason: QuarantineReason.TOO_LARGE },
    });
  return files;
};

/** The newest upload record of one key, if any. */
const latestRecord = async (runtime: LocalRuntime, key: string): Promise<FileRecord | undefined> => {
  const { Items = [] } = await runtime.clients.dynamo.send(
    new QueryCommand({
      TableName: runtime.resources.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': filePartitionKey(runtime.resources.inputBucket, key) },
      ScanIndexForward: false,
    }),
  );
  return Items.find((item) => item.recordType === 'UPLOAD') as FileRecord | undefined;
};

/**
 * Upload the demo files into the input bucket and wait (at most `timeoutMs`) until each has a record.
 * Returns every file with its record; files still without one after the wait have none.
 */
export const runDemo = async (runtime: LocalRuntime, { timeoutMs = 90_000 } = {}): Promise<DemoResult[]> => {
  const files = demoFiles(runtime.handlerConfig.maxFileSizeBytes);
  for (const [i, file] of files.entries()) {
    const sample =
      file.content ??
      sampleFile(file.kind, {
        seed: i,
        ...(file.sizeBytes ? { sizeBytes: file.sizeBytes } : {}),
      });
    await runtime.clients.s3.send(
      new PutObjectCommand({
        Bucket: runtime.resources.inputBucket,
        Key: file.key,
        Body: sample.bytes,
        ContentType: sample.contentType,
      }),
    );
  }
  const results = new Map<string, DemoResult>(files.map((f) => [f.key, f]));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const file of files) {
      if (results.get(file.key)?.record) continue;
      const record = await latestRecord(runtime, file.key);
      if (record)
        results.set(file.key, {
          ...file,
          record: {
            status: record.status,
            ...(record.reason ? { reason: record.reason } : {}),
            ...(record.mime ? { mime: record.mime } : {}),
            size: record.size,
            durationMs: record.durationMs,
          },
        });
    }
    if ([...results.values()].every((r) => r.record)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  return files.map((f) => results.get(f.key) ?? f);
};
