import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { Command } from 'commander';
import { TABLE_SCHEMA } from '../../config/settings.ts';
import { decodeManifest } from '../../pipeline/batchManifest.ts';
import { FileStatus, QuarantineReason } from '../../pipeline/constants.ts';
import { manifestPartitions } from '../../pipeline/recordKeys.ts';
import type { FileRecord } from '../../pipeline/types.ts';
import { printable } from '../../text/printable.js';
import { fileHistory, queueStats } from '../../tracking/index.ts';
import { CliError } from '../errors.ts';
import { describeTarget, out, withTarget } from '../run.ts';
import type { Target } from '../target.ts';

interface VerifyOptions {
  prefix: string;
  cleanup: boolean;
  timeout: string;
  maxFileSize?: string;
}

/** One canary: what is uploaded and what the pipeline must make of it. */
interface Canary {
  readonly name: string;
  readonly key: string;
  readonly body: Uint8Array;
  readonly contentType: string;
  readonly expected: { readonly status: FileStatus; readonly reason?: QuarantineReason };
}

/**
 * A TOO_LARGE canary is uploaded only when the deployment's size limit is at most this: on AWS the default
 * limit is 5 GiB, and uploading 5 GiB to check one branch is not a smoke test.
 */
const MAX_TOO_LARGE_CANARY_BYTES = 64 * 1024 * 1024;

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A small PNG signature plus IHDR: enough for the magic-byte sniffing to say image/png. */
const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
  0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
]);
/** "MZ" then the PE header offset and "PE\0\0": a Windows executable by its magic bytes. */
const exe = (): Uint8Array => {
  const bytes = new Uint8Array(256);
  bytes.set(ascii('MZ'), 0);
  bytes[0x3c] = 0x80;
  bytes.set(ascii('PE\0\0'), 0x80);
  return bytes;
};

/** The canary set: one good file and one file per quarantine reason a smoke test can provoke. */
const canaries = (base: string, maxFileSizeBytes: number | undefined): Canary[] => {
  const set: Canary[] = [
    {
      name: 'good file',
      key: `${base}good.png`,
      body: PNG,
      contentType: 'image/png',
      expected: { status: FileStatus.PROCESSED },
    },
    {
      name: 'empty file',
      key: `${base}empty.txt`,
      body: new Uint8Array(0),
      contentType: 'text/plain',
      expected: { status: FileStatus.QUARANTINED, reason: QuarantineReason.EMPTY_FILE },
    },
    {
      name: 'blocked type',
      key: `${base}blocked.exe`,
      body: exe(),
      contentType: 'application/octet-stream',
      expected: { status: FileStatus.QUARANTINED, reason: QuarantineReason.BLOCKED_TYPE },
    },
    {
      name: 'type mismatch',
      key: `${base}mismatch.jpg`,
      body: ascii('%PDF-1.4\n% a PDF named .jpg\n'),
      contentType: 'image/jpeg',
      expected: { status: FileStatus.QUARANTINED, reason: QuarantineReason.TYPE_MISMATCH },
    },
  ];
  if (maxFileSizeBytes !== undefined && maxFileSizeBytes < MAX_TOO_LARGE_CANARY_BYTES)
    set.push({
      name: 'too large',
      key: `${base}too-large.csv`,
      body: new Uint8Array(maxFileSizeBytes + 1).fill(0x61),
      contentType: 'text/csv',
      expected: { status: FileStatus.QUARANTINED, reason: QuarantineReason.TOO_LARGE },
    });
  return set;
};

const isMissing = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

const exists = async (target: Target, bucket: string, key: string, versionId?: string): Promise<boolean> => {
  try {
    await target.clients.s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
    );
    return true;
  } catch (error) {
    if (isMissing(error)) return false;
    throw error;
  }
};

/**
 * Where the record says the quarantined copy is. Read from the record (never recomputed from the key), so
 * `verify` keeps working when quarantine addressing changes: any version attribute the record carries is
 * used too.
 */
const quarantineLocation = (record: FileRecord) => {
  const attributes = record as unknown as Record<string, unknown>;
  const version = attributes.quarantineVersionId;
  return {
    bucket: record.quarantineBucket,
    key: record.quarantineKey ?? record.key,
    ...(typeof version === 'string' ? { versionId: version } : {}),
  };
};

/** What is wrong with a canary's outcome; empty when it ended where it should. */
const checkOutcome = async (target: Target, canary: Canary, record: FileRecord): Promise<string[]> => {
  const problems: string[] = [];
  const expected = canary.expected;
  if (record.status !== expected.status || record.reason !== expected.reason)
    problems.push(
      `${canary.name}: expected ${expected.status}${expected.reason ? ` ${expected.reason}` : ''}, the record says ${record.status}${record.reason ? ` ${record.reason}` : ''}`,
    );
  const inInput = await exists(target, target.names.inputBucket, canary.key);
  if (record.status === FileStatus.PROCESSED && !inInput)
    problems.push(`${canary.name}: the record says PROCESSED but the object is not in the input bucket`);
  if (record.status === FileStatus.QUARANTINED) {
    const where = quarantineLocation(record);
    if (!where.bucket) problems.push(`${canary.name}: the QUARANTINED record names no quarantine bucket`);
    else if (!(await exists(target, where.bucket, where.key, where.versionId)))
      problems.push(
        `${canary.name}: the record says it is in s3://${printable(where.bucket)}/${printable(where.key)}, but it is not`,
      );
    if (inInput) problems.push(`${canary.name}: quarantined, but still in the input bucket`);
  }
  return problems;
};

/** Remove a canary's objects (input and quarantine) and every item of its history. */
const cleanUp = async (target: Target, canary: Canary, record: FileRecord | undefined): Promise<void> => {
  await target.clients.s3.send(
    new DeleteObjectCommand({ Bucket: target.names.inputBucket, Key: canary.key }),
  );
  if (record?.quarantineBucket) {
    const where = quarantineLocation(record);
    await target.clients.s3.send(
      new DeleteObjectCommand({
        Bucket: where.bucket,
        Key: where.key,
        ...(where.versionId ? { VersionId: where.versionId } : {}),
      }),
    );
  }
  const history = await fileHistory(
    target.clients.dynamo,
    target.names.metadataTable,
    target.names.inputBucket,
    canary.key,
  );
  for (const entry of history.entries) {
    const item = entry as unknown as Record<string, unknown>;
    await target.clients.dynamo.send(
      new DeleteCommand({
        TableName: target.names.metadataTable,
        Key: {
          [TABLE_SCHEMA.partitionKey]: item[TABLE_SCHEMA.partitionKey],
          [TABLE_SCHEMA.sortKey]: item[TABLE_SCHEMA.sortKey],
        },
      }),
    );
  }
};

/**
 * Blank the canaries' entries in the batch manifests written since the run started (the newest-first
 * listing reads files from them). An entry is replaced by `null`, which the manifest decoder skips, instead
 * of being removed: an entry's index is its file's listing position (`listSk`), and the other files of the
 * same batch — real uploads, on a live pipeline — must keep theirs.
 */
const removeFromManifests = async (target: Target, keys: ReadonlySet<string>, sinceIso: string) => {
  const { partitionKey, sortKey } = TABLE_SCHEMA;
  for (const pk of manifestPartitions()) {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await target.clients.dynamo.send(
        new QueryCommand({
          TableName: target.names.metadataTable,
          KeyConditionExpression: '#pk = :pk AND #sk >= :since',
          ExpressionAttributeNames: { '#pk': partitionKey, '#sk': sortKey },
          ExpressionAttributeValues: { ':pk': pk, ':since': sinceIso },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const indexes = decodeManifest(item)
          .filter((f) => f.bucket === target.names.inputBucket && keys.has(f.key))
          .map((f) => Number(f.listSk.slice(f.listSk.lastIndexOf('#') + 1)));
        if (indexes.length === 0) continue;
        await target.clients.dynamo.send(
          new UpdateCommand({
            TableName: target.names.metadataTable,
            Key: { [partitionKey]: item[partitionKey], [sortKey]: item[sortKey] },
            UpdateExpression: `SET ${indexes.map((i) => `#files[${i}] = :blank`).join(', ')}`,
            ExpressionAttributeNames: { '#files': 'files' },
            ExpressionAttributeValues: { ':blank': 'null' },
          }),
        );
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }
};

const positiveNumber = (raw: string, name: string): number => {
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new CliError(`${name} must be a positive number (got "${raw}")`);
  return value;
};

/** A prefix of S3 key characters that need no escaping, so it can be printed and typed back. */
const SAFE_PREFIX = /^[A-Za-z0-9!_.*'()/-]*$/;

/**
 * `silent-scalper verify` — the post-deploy smoke test: upload a canary set, wait for the pipeline's
 * records, check each object ended where its record says, then remove canaries and records.
 */
export const verifyCommand = (): Command =>
  new Command('verify')
    .summary('smoke-test a deployment end to end with canary files')
    .description(
      'Upload a small canary set (one good file, an empty one, a blocked type, a type mismatch, and a too-large one when the size limit is small), wait for their records, check each object ended where its record says (input bucket or quarantine), then remove the canaries and their records. Prints each step with its time; exits non-zero on any miss.',
    )
    .option(
      '--prefix <prefix>',
      "key prefix of the canaries (must match the deployment's notification filter, if any)",
      'silent-scalper-verify/',
    )
    .option('--no-cleanup', 'leave the canaries and their records in place')
    .option('--timeout <seconds>', 'how long to wait for the records', '120')
    .option(
      '--max-file-size <bytes>',
      `the deployment's MAX_FILE_SIZE_BYTES; below ${MAX_TOO_LARGE_CANARY_BYTES} bytes a TOO_LARGE canary is uploaded too`,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper verify                        # the deployed stack SilentScalper\n  silent-scalper verify --endpoint http://127.0.0.1:4566\n  silent-scalper verify --prefix uploads/ --no-cleanup',
    )
    .action(async (options: VerifyOptions, command: Command) => {
      if (!SAFE_PREFIX.test(options.prefix))
        throw new CliError("--prefix may hold letters, digits, / and !_.*'()- only");
      const timeoutMs = positiveNumber(options.timeout, '--timeout') * 1000;
      const maxFileSize =
        options.maxFileSize === undefined
          ? undefined
          : positiveNumber(options.maxFileSize, '--max-file-size');
      const started = Date.now();
      const step = (text: string) =>
        out.stdout(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${text}`);

      await withTarget(command, async (target) => {
        const run = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}`;
        const set = canaries(`${options.prefix}${run}/`, maxFileSize);
        step(
          `target ${describeTarget(target)}; canaries under s3://${target.names.inputBucket}/${options.prefix}${run}/`,
        );
        if (maxFileSize === undefined || maxFileSize >= MAX_TOO_LARGE_CANARY_BYTES)
          step(
            'TOO_LARGE skipped: it needs a file over the size limit (pass --max-file-size when the limit is small)',
          );

        for (const canary of set)
          await target.clients.s3.send(
            new PutObjectCommand({
              Bucket: target.names.inputBucket,
              Key: canary.key,
              Body: canary.body,
              ContentType: canary.contentType,
            }),
          );
        step(`uploaded ${set.length} canaries: ${set.map((c) => c.name).join(', ')}`);

        // Wait for one record per canary (the newest upload of its key).
        const records = new Map<string, FileRecord>();
        const deadline = Date.now() + timeoutMs;
        while (records.size < set.length && Date.now() < deadline) {
          for (const canary of set) {
            if (records.has(canary.key)) continue;
            const history = await fileHistory(
              target.clients.dynamo,
              target.names.metadataTable,
              target.names.inputBucket,
              canary.key,
            );
            const record = history.uploads.at(-1);
            if (record) {
              records.set(canary.key, record);
              step(`record for ${canary.name}: ${record.status}${record.reason ? ` ${record.reason}` : ''}`);
            }
          }
          if (records.size < set.length) await new Promise((r) => setTimeout(r, 500));
        }
        const missing = set.filter((c) => !records.has(c.key));
        if (missing.length > 0) {
          const queue = await queueStats(
            target.clients.sqs,
            target.ingestQueueUrl,
            target.deadLetterQueueUrl,
          );
          step(
            `no record for ${missing.map((c) => c.name).join(', ')} within ${timeoutMs / 1000} s; canaries left in place`,
          );
          throw new CliError(
            `verify FAILED: ${missing.length} of ${set.length} canaries got no record within ${timeoutMs / 1000} s. ` +
              `The ingest queue holds ${queue.visible} waiting and ${queue.inFlight} in-flight message(s), the DLQ ${queue.deadLetter}: ` +
              (queue.visible + queue.inFlight > 0
                ? 'nothing is consuming the queue — locally, is `up` running with its runner (not --no-runner)? On AWS, is the ingest function’s event source mapping enabled, and does it log errors?'
                : 'no notification reached the queue — does the bucket notify the ingest queue, and does --prefix match its prefix/suffix filter?'),
          );
        }

        const problems: string[] = [];
        for (const canary of set) {
          const record = records.get(canary.key);
          if (record) problems.push(...(await checkOutcome(target, canary, record)));
        }
        step(
          problems.length === 0
            ? `every canary ended where its record says (${set.length} checked)`
            : `${problems.length} problem(s):\n  - ${problems.join('\n  - ')}`,
        );

        if (options.cleanup) {
          for (const canary of set) await cleanUp(target, canary, records.get(canary.key));
          await removeFromManifests(target, new Set(set.map((c) => c.key)), new Date(started).toISOString());
          step('removed the canaries, their records and their batch-manifest entries');
        } else step('--no-cleanup: canaries and records left in place');

        if (problems.length > 0) throw new CliError(`verify FAILED: ${problems.join('; ')}`);
        step('verify passed');
      });
    });
