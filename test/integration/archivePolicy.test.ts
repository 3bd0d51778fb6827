import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { strToU8, type Zippable, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { createDynamoMetadataStore } from '../../src/adapters/dynamoMetadataStore.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildIngestHandler } from '../../src/handlers/ingest.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { toSqsEvent } from '../../src/local/sqsEvent.ts';
import { FileStatus, IgnoredAs, QuarantineReason } from '../../src/pipeline/constants.ts';
import type { PolicyDocument } from '../../src/pipeline/policyDocument.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import { lambdaContext } from '../helpers/events.ts';
import { sampleFile } from '../helpers/files.ts';
import { memoryMetrics } from '../helpers/ingestHarness.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const settings = resolvePipelineSettings();
const policy: PolicyDocument = {
  version: 1,
  rules: [{ name: 'invoices', prefix: 'invoices/', allow: ['application/pdf'] }],
};

let clients: AwsClients;
let resources: LocalResources;
/** Range headers of every GetObject the handler's own client sent, by key. */
const ranges = new Map<string, string[]>();

beforeAll(async () => {
  clients = createAwsClients({ endpoint: moto().endpoint }, false);
  resources = await provisionLocal({ clients, settings });
});

/** Random bytes (incompressible), deterministic. */
const noise = (length: number): Uint8Array => {
  const out = new Uint8Array(length);
  let x = 7;
  for (let i = 0; i < length; i += 1) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
};

const receiveAll = async (count: number): Promise<Message[]> => {
  const messages: Message[] = [];
  const deadline = Date.now() + 20_000;
  while (messages.length < count && Date.now() < deadline) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    for (const m of Messages) {
      await clients.sqs.send(
        new DeleteMessageCommand({ QueueUrl: resources.queueUrl, ReceiptHandle: m.ReceiptHandle }),
      );
      if (!(m.Body ?? '').includes('"s3:TestEvent"')) messages.push(m);
    }
  }
  expect(messages).toHaveLength(count);
  return messages;
};

const recordOf = async (key: string): Promise<FileRecord | undefined> => {
  const history = await createDynamoMetadataStore(clients.dynamo, resources.tableName).fileHistory(
    resources.inputBucket,
    key,
  );
  return history.find((item): item is FileRecord => item.recordType === 'UPLOAD');
};

describe('policy and archive inspection on moto', () => {
  it('judges archives by their central directory with two bounded ranged GETs, and applies prefix rules', async () => {
    // Prepare: a zip whose directory (2,001 entries, ~150 KB) is larger than the 64 KiB suffix read, and
    // whose last entry is an executable; a clean zip; a text file where only PDFs are allowed; a folder marker.
    const many: Zippable = { 'padding.bin': [noise(200_000), { level: 0 }] };
    for (let i = 0; i < 2000; i += 1) many[`rows/${String(i).padStart(30, '0')}.csv`] = strToU8('a,b\n');
    many['rows/zz/setup.exe'] = sampleFile('exe').bytes;
    const files: [string, Uint8Array][] = [
      ['dumps/big archive.zip', zipSync(many)],
      ['dumps/clean.zip', zipSync({ 'padding.bin': [noise(100_000), { level: 0 }], 'a.txt': strToU8('hi') })],
      ['invoices/notes.txt', sampleFile('txt').bytes],
      ['invoices/march.pdf', sampleFile('pdf').bytes],
      ['images/2026/', new Uint8Array(0)],
    ];
    for (const [key, bytes] of files)
      await clients.s3.send(new PutObjectCommand({ Bucket: resources.inputBucket, Key: key, Body: bytes }));
    const handlerClients = createAwsClients({ endpoint: moto().endpoint }, false);
    handlerClients.s3.middlewareStack.add(
      (next) => async (args) => {
        const input = (args as { input: { Key?: string; Range?: string } }).input;
        if (input.Key !== undefined && input.Range !== undefined)
          ranges.set(input.Key, [...(ranges.get(input.Key) ?? []), input.Range]);
        return next(args);
      },
      { step: 'initialize', name: 'recordRanges' },
    );
    const config = localHandlerConfig(resources, settings, { policyDocument: policy });
    const handler = buildIngestHandler(config, {
      clients: handlerClients,
      logger: silentLogger,
      metrics: memoryMetrics(),
    });
    const messages = await receiveAll(files.length);
    // Act
    const response = await handler(
      toSqsEvent(messages, { queueArn: resources.queueArn, region: clients.region }),
      lambdaContext(),
    );
    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const big = await recordOf('dumps/big archive.zip');
    expect(big).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.ARCHIVE_BLOCKED_ENTRY,
      error: 'entry "rows/zz/setup.exe" has the blocked type exe',
      archiveEntries: 2002,
      policyRule: 'default',
    });
    const bigSize = files[0]?.[1].length ?? 0;
    const bigRanges = ranges.get('dumps/big archive.zip') ?? [];
    expect(bigRanges.slice(0, 3)).toEqual([
      'bytes=0-4099',
      'bytes=-65557',
      expect.stringMatching(/^bytes=\d+-\d+$/),
    ]);
    const [, from, to] = /^bytes=(\d+)-(\d+)$/.exec(bigRanges[2] ?? '') ?? [];
    expect(Number(to)).toBe(bigSize - 65_557 - 1);
    expect(bigSize - Number(from)).toBeLessThan(200_000); // the directory, not the file
    expect(await recordOf('dumps/clean.zip')).toMatchObject({
      status: FileStatus.PROCESSED,
      archiveEntries: 2,
    });
    expect(ranges.get('dumps/clean.zip')).toEqual(['bytes=0-4099', 'bytes=-65557']);
    expect(await recordOf('invoices/notes.txt')).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.NOT_ALLOWED,
      policyRule: 'invoices',
    });
    expect(await recordOf('invoices/march.pdf')).toMatchObject({
      status: FileStatus.PROCESSED,
      policyRule: 'invoices',
    });
    const marker = await recordOf('images/2026/');
    expect(marker).toMatchObject({ status: FileStatus.PROCESSED, ignored: IgnoredAs.FOLDER_MARKER });
    expect(marker?.reason).toBeUndefined();
    // The quarantined archive really moved; the folder marker stayed where it was.
    await expect(
      clients.s3.send(new GetObjectCommand({ Bucket: resources.inputBucket, Key: 'dumps/big archive.zip' })),
    ).rejects.toThrow();
    const kept = await clients.s3.send(
      new GetObjectCommand({ Bucket: resources.inputBucket, Key: 'images/2026/' }),
    );
    expect(kept.ContentLength).toBe(0);
  });
});
