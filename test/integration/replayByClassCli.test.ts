import { PurgeQueueCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { queueCounts } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { runCli } from '../helpers/runCli.ts';

const moto = useMoto();
const replay = (...args: string[]) => runCli(moto().endpoint, ['replay-dlq', ...args]);

const EVENT_TIME = '2026-12-01T10:00:00.000Z';

/** The body S3 sends for one upload (the sequencer identifies the upload: `s:<sequencer>`). */
const s3Event = (bucket: string, key: string, sequencer: string): string =>
  JSON.stringify({
    Records: [
      {
        eventName: 'ObjectCreated:Put',
        eventTime: EVENT_TIME,
        s3: { bucket: { name: bucket }, object: { key, size: 12, eTag: 'abc', sequencer } },
      },
    ],
  });

/** The final record the handler writes for a PROCESSED upload. */
const finalRecord = (bucket: string, key: string, sequencer: string) => ({
  pk: `FILE#${bucket}/${key}`,
  sk: `${EVENT_TIME}#UPLOAD#s:${sequencer}`,
  recordType: 'UPLOAD',
  bucket,
  key,
  status: 'PROCESSED',
  etag: 'abc',
  eventTime: EVENT_TIME,
  uploadId: `s:${sequencer}`,
});

/** Receive every visible message of a queue once (hiding them), bodies only. */
const bodiesOf = async (clients: AwsClients, queueUrl: string): Promise<string[]> => {
  const bodies: string[] = [];
  for (;;) {
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 60 }),
    );
    if (Messages.length === 0) return bodies.sort();
    bodies.push(...Messages.map((m) => m.Body ?? ''));
  }
};

const depth = async (clients: AwsClients, queueUrl: string): Promise<number> => {
  const c = await queueCounts(clients, queueUrl);
  return c.visible + c.inFlight + c.delayed;
};

describe('silent-scalper replay-dlq --class / --drop-finished (the CLI, against moto)', () => {
  let clients: AwsClients;
  let r: LocalResources;
  const poison = 'not an S3 event {';
  let notFinished: string[];
  let finished: string[];

  beforeAll(async () => {
    // Prepare: a DLQ with one poison body, two events of uploads without a final record, and two of
    // uploads that already have theirs
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    r = await provisionLocal({ clients, settings: resolvePipelineSettings() });
    // The test event S3 sends when the bucket notification is set: no upload, and not this test's subject.
    await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: r.queueUrl }));
    notFinished = [
      s3Event(r.inputBucket, 'waiting/a.csv', 'A1'),
      s3Event(r.inputBucket, 'waiting/b.csv', 'B1'),
    ];
    finished = [s3Event(r.inputBucket, 'done/c.csv', 'C1'), s3Event(r.inputBucket, 'done/d.csv', 'D1')];
    for (const [key, seq] of [
      ['done/c.csv', 'C1'],
      ['done/d.csv', 'D1'],
    ] as const)
      await clients.dynamo.send(
        new PutCommand({ TableName: r.tableName, Item: finalRecord(r.inputBucket, key, seq) }),
      );
    for (const body of [poison, ...notFinished, ...finished])
      await clients.sqs.send(new SendMessageCommand({ QueueUrl: r.dlqUrl, MessageBody: body }));
  });

  it('--class X --dry-run shows the class of each message and the class counts, and moves nothing', async () => {
    // Act
    const run = await replay('--class', 'notFinished', '--dry-run');

    // Assess
    expect(run.code, run.stderr).toBe(0);
    const classOf = (file: string) =>
      run.stdout.split('\n').find((line) => line.includes(`${r.inputBucket}/${file}`));
    expect(classOf('waiting/a.csv')).toMatch(/\bnotFinished\b/);
    expect(classOf('waiting/b.csv')).toMatch(/\bnotFinished\b/);
    expect(classOf('done/c.csv')).toMatch(/\bfinished\b/);
    expect(classOf('done/d.csv')).toMatch(/\bfinished\b/);
    expect(run.stdout).toMatch(/\bpoison\s+\(not an S3 event\)/);
    expect(run.stdout).toContain(
      '1 poison (needs a person), 2 file not finished (replay), 2 file already finished (safe to drop)',
    );
    expect(run.stdout).toContain('Dry run');
    expect(await depth(clients, r.dlqUrl)).toBe(5);
    expect(await depth(clients, r.queueUrl)).toBe(0);
  });

  it('refuses --class with a filter it would not honour, and moves nothing', async () => {
    // Act
    const run = await replay('--class', 'notFinished', '--prefix', 'waiting/a', '--max', '1');

    // Assess: an operator who narrowed the replay must not get the whole class replayed
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('cannot be combined with --prefix, --max');
    expect(await depth(clients, r.dlqUrl)).toBe(5);
    expect(await depth(clients, r.queueUrl)).toBe(0);
  });

  it('--class notFinished sends only the unfinished uploads back to the ingest queue', async () => {
    // Act
    const run = await replay('--class', 'notFinished');

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Replayed:\s+2\n/);
    expect(run.stdout).toMatch(/Kept:\s+3\n/);
    expect(await bodiesOf(clients, r.queueUrl)).toEqual([...notFinished].sort());
    expect(await depth(clients, r.dlqUrl)).toBe(3);
  });

  it('--drop-finished --dry-run deletes nothing; --drop-finished deletes only the finished ones', async () => {
    // Act
    const dry = await replay('--drop-finished', '--dry-run');
    const dlqAfterDryRun = await depth(clients, r.dlqUrl);
    const run = await replay('--drop-finished', '--json');

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('0 file not finished (replay), 2 file already finished (safe to drop)');
    expect(dry.stdout).toContain('nothing moved or deleted');
    expect(dlqAfterDryRun).toBe(3);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({
      byClass: { poison: 1, notFinished: 0, finished: 2 },
      replayed: 0,
      dropped: 2,
      kept: 1,
    });
    expect(await bodiesOf(clients, r.dlqUrl)).toEqual([poison]);
  });
});
