import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildIngestHandler, type IngestHandler } from '../../src/handlers/ingest.ts';
import { localHandlerConfig } from '../../src/local/localHandlerConfig.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { noMetrics, queueCounts } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { failUntilDeadLettered, invokeOnQueue, receiveAll } from '../helpers/opsPipeline.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/silent-scalper.mjs');
const moto = useMoto();
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a program as a user would, with no AWS settings of this shell leaking in, pointed at moto. */
const run = (file: string, args: string[]): Promise<Run> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return new Promise((done) => {
    execFile(
      file,
      args,
      {
        cwd: ROOT,
        env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: moto().endpoint },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
};
const cli = (...args: string[]) => run(process.execPath, [BIN, ...args]);

let clients: AwsClients;
let r: LocalResources;
let handler: IngestHandler;
const processOnce = () => invokeOnQueue(clients, { url: r.queueUrl, arn: r.queueArn }, handler);

beforeAll(async () => {
  clients = createAwsClients({ endpoint: moto().endpoint }, false);
  // The local names (the CLI's local mode uses them), on this file's own moto.
  r = await provisionLocal({ clients, settings });
  handler = buildIngestHandler(localHandlerConfig(r, settings), {
    clients,
    logger: silentLogger,
    metrics: noMetrics,
  });
  // A DLQ with two dead-lettered uploads, the s3:TestEvent and one poison message from the handler.
  for (const key of ['cli/a.csv', 'cli/b.csv'])
    await clients.s3.send(
      new PutObjectCommand({ Bucket: r.inputBucket, Key: key, Body: Buffer.from('x,y\n1,2\n') }),
    );
  await failUntilDeadLettered(clients, r.queueUrl, settings.maxReceiveCount);
  await clients.sqs.send(new SendMessageCommand({ QueueUrl: r.queueUrl, MessageBody: '{"oops":true}' }));
  await processOnce();
});

describe('silent-scalper replay-dlq', () => {
  it('`npm run replay-dlq -- --dry-run --json` reports and moves nothing', async () => {
    const dry = await run('npm', ['run', '--silent', 'replay-dlq', '--', '--dry-run', '--json']);

    expect(dry.code).toBe(0);
    const summary = JSON.parse(dry.stdout);
    expect(summary).toMatchObject({ dryRun: true, selected: 2, moved: 0, skippedPoison: 2 });
    expect(await queueCounts(clients, r.dlqUrl)).toMatchObject({ visible: 4, inFlight: 0 });
  });

  it('moves the chosen file back, leaves the rest, and says so', async () => {
    const moved = await cli('replay-dlq', '--prefix', 'cli/a');

    expect(moved.code).toBe(0);
    expect(moved.stdout).toContain(
      'Moved 1 message(s) to silent-scalper-ingest; 3 left in the DLQ (2 poison, 1 outside the prefix); 0 failed.',
    );
    expect(moved.stdout).toContain('--include-poison');
    expect(await receiveAll(clients, r.queueUrl, { visibilityTimeoutSeconds: 1 })).toHaveLength(1);
  });

  it('--cancel explains that moto has no move tasks', async () => {
    const cancel = await cli('replay-dlq', '--cancel');
    expect(cancel.code).toBe(1);
    expect(cancel.stderr).toContain('no SQS move tasks to cancel');
  });
});

describe('silent-scalper retry', () => {
  // Five CLI processes (each starts tsx) on a shared two-core machine: more time than the default.
  it('refuses a policy rejection without --force, retries it with --force, and show tells the story', async () => {
    // Prepare: an empty file, quarantined EMPTY_FILE by the real handler
    await clients.s3.send(
      new PutObjectCommand({ Bucket: r.inputBucket, Key: 'cli/empty.txt', Body: Buffer.alloc(0) }),
    );
    for (let i = 0; i < 5 && (await processOnce()) > 0; i++);

    // Act + Assess
    const refused = await cli('retry', 'cli/empty.txt');
    expect(refused.code).toBe(0);
    expect(refused.stdout).toMatch(/cli\/empty\.txt\s+EMPTY_FILE\s+skipped\s+needs-force/);
    expect(refused.stdout).toContain('only retried with --force');

    const dry = await cli('retry', '--all', '--force', '--dry-run', '--json');
    expect(JSON.parse(dry.stdout).outcomes).toEqual([
      expect.objectContaining({ key: 'cli/empty.txt', action: 'would-retry', attempt: 1 }),
    ]);

    const forced = await cli('retry', 'cli/empty.txt', '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/cli\/empty\.txt\s+EMPTY_FILE\s+retried\s+1/);
    const back = await clients.s3.send(
      new HeadObjectCommand({ Bucket: r.inputBucket, Key: 'cli/empty.txt' }),
    );
    expect(back.Metadata?.['silent-scalper-attempt']).toBe('1');

    for (let i = 0; i < 5 && (await processOnce()) > 0; i++);
    const show = await cli('show', 'cli/empty.txt');
    expect(show.stdout).toMatch(/QUARANTINED \(EMPTY_FILE\)[\s\S]*RETRIED[\s\S]*QUARANTINED \(EMPTY_FILE\)/);
    expect(show.stdout).toContain('manual retry 1');
  }, 180_000);

  it('asks for exactly one way of choosing files', async () => {
    const none = await cli('retry');
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('choose one of');
  });
});
