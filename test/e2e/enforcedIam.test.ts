import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../../src/adapters/snsAlertPublisher.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildDashboardActions } from '../../src/dashboard/actions.ts';
import { sampleFile } from '../../src/local/samples.ts';
import { createDynamoOpsStore } from '../../src/ops/dynamoOpsStore.ts';
import { retryQuarantine } from '../../src/ops/retryQuarantine.ts';
import { DLQ_ATTRIBUTES, FileStatus, QuarantineReason } from '../../src/pipeline/constants.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../../src/pipeline/quarantine.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import {
  type EnforcedPipeline,
  expectNoDenials as expectNoDenialsOf,
  latestRecord,
  type Signer,
  startEnforcedPipeline,
  waitForRecord,
} from '../helpers/enforcedPipeline.ts';
import { queueCounts, uploadRecords, waitFor } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';

// Every function path of the pipeline, run under moto's IAM enforcement with each role signing as an IAM
// user that holds exactly its statements of the CDK stack (src/config/permissions.ts). A permission the
// code needs and the stack lacks fails here with the action and resource, as it would fail in AWS.

const moto = useMoto();
const ROOT = resolve(import.meta.dirname, '../..');
// A 1 s function timeout makes the visibility timeout 6 s, so the five receives of a failing file take ~30 s.
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 1 });
const MAX_FILE_SIZE_BYTES = 64 * 1024;
/** Rejected files above this are quarantined in place (tagged in the input bucket), not copied. */
const IN_PLACE_BYTES = 512 * 1024;
/** Keys whose reads fail (a storage outage for that file), until the test lifts it. */
const failingKeys = new Set<string>(['flaky/report.pdf']);
/** S3 event bodies the handler received, by decoded key (for duplicate deliveries). */
const eventBodies = new Map<string, string>();
let p: EnforcedPipeline;

/**
 * `SILENT_SCALPER_DROP_STATEMENT=ingest:ReadInputObjects` runs this file with that one statement removed
 * from that role (scripts/iam-statement-check.sh drops each in turn: every one must fail a test).
 */
const dropped = process.env.SILENT_SCALPER_DROP_STATEMENT?.split(':');

beforeAll(async () => {
  p = await startEnforcedPipeline({
    endpoint: moto().endpoint,
    settings,
    ...(dropped
      ? {
          adjust: (role, statements) =>
            role === dropped[0] ? statements.filter((s) => s.Sid !== dropped[1]) : statements,
        }
      : {}),
    tunables: {
      maxFileSizeBytes: MAX_FILE_SIZE_BYTES,
      quarantineInPlaceBytes: IN_PLACE_BYTES,
      timeSafetyMarginMs: 200,
    },
    deps: (ingest, admin) => {
      const real = createS3ObjectStore(ingest.s3);
      return {
        objectStore: {
          ...real,
          readPrefix: async (ref) => {
            if (failingKeys.has(ref.key)) throw new Error('injected fault: storage unavailable');
            // A file deleted between its event and its processing (by its uploader, say).
            if (ref.key.startsWith('gone/'))
              await admin.s3.send(new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key }));
            return real.readPrefix(ref);
          },
        },
      };
    },
    wrap: (real) => async (event: SQSEvent, context) => {
      for (const record of event.Records) {
        // Only watching: a body that is not JSON (the poison message) must still reach the real handler,
        // which sends it to the DLQ itself. (A throw here failed the whole batch, so the poison message
        // only reached the DLQ by SQS redrive, and removing the ingest role's SendPoisonMessagesToDlq
        // failed no test.)
        let parsed: { Records?: { s3?: { object?: { key?: string } } }[] } | undefined;
        try {
          parsed = JSON.parse(record.body) as typeof parsed;
        } catch {
          parsed = undefined;
        }
        const key = parsed?.Records?.[0]?.s3?.object?.key;
        if (key) eventBodies.set(decodeURIComponent(key.replace(/\+/g, ' ')), record.body);
      }
      return real(event, context);
    },
  });
});

afterAll(async () => {
  await p?.stop();
});

const upload = (key: string, bytes: Uint8Array) =>
  p.as('uploader').s3.send(new PutObjectCommand({ Bucket: p.resources.inputBucket, Key: key, Body: bytes }));

const latest = (key: string) => latestRecord(p, key);
const expectNoDenials = () => expectNoDenialsOf(p);
const recordOf = (key: string, wanted: (r: FileRecord) => boolean, timeoutMs?: number) =>
  waitForRecord(p, key, wanted, timeoutMs);

const exists = (clients: AwsClients, bucket: string, key: string) =>
  clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );

/** Clients of a principal that are not watched (the negative tests expect refusals). */
const unwatched = (signer: Signer): AwsClients =>
  createAwsClients({
    endpoint: moto().endpoint,
    region: 'us-east-1',
    credentials: p.principals[signer].credentials,
  });

const refusal = async (call: Promise<unknown>): Promise<string> => {
  const error = await call.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error, 'the call was allowed').toBeDefined();
  expect((error as Error).name).toMatch(/^AccessDenied/);
  return (error as Error).message;
};

describe('the pipeline under IAM enforcement, each role signing with exactly its stack statements', () => {
  it('processes a good file and quarantines each policy reason', async () => {
    // Prepare
    const files: [string, Uint8Array, string, string | undefined][] = [
      ['ok/photo.png', sampleFile('png').bytes, FileStatus.PROCESSED, undefined],
      ['bad/empty.dat', sampleFile('empty').bytes, FileStatus.QUARANTINED, QuarantineReason.EMPTY_FILE],
      ['bad/setup.exe', sampleFile('exe').bytes, FileStatus.QUARANTINED, QuarantineReason.BLOCKED_TYPE],
      [
        'bad/holiday.jpg',
        sampleFile('mismatch').bytes,
        FileStatus.QUARANTINED,
        QuarantineReason.TYPE_MISMATCH,
      ],
      [
        'bad/huge export.csv',
        sampleFile('csv', { sizeBytes: MAX_FILE_SIZE_BYTES + 1 }).bytes,
        FileStatus.QUARANTINED,
        QuarantineReason.TOO_LARGE,
      ],
    ];

    // Act
    for (const [key, bytes] of files) await upload(key, bytes);

    // Assess
    for (const [key, , status, reason] of files) {
      const record = await recordOf(key, (r) => r.status === status);
      expect(record.reason).toBe(reason);
      if (status === FileStatus.QUARANTINED) {
        expect(await exists(p.as('admin'), p.resources.quarantineBucket, record.quarantineKey ?? '')).toBe(
          true,
        );
        expect(await exists(p.as('admin'), p.resources.inputBucket, key)).toBe(false);
      }
    }
    expectNoDenials();
  });

  it('records GONE for a file deleted before processing and keeps QUARANTINED on a duplicate event after the move', async () => {
    // Prepare
    await upload('gone/deleted-first.png', sampleFile('png').bytes);
    await recordOf('bad/setup.exe', (r) => r.status === FileStatus.QUARANTINED);
    const body = eventBodies.get('bad/setup.exe');
    expect(body).toBeDefined();
    const deletedBefore = p.runner.counters().messagesDeleted;

    // Act: the same S3 event again (S3 delivers at least once); the input key is gone, the copy is in
    // quarantine, and the handler must read the quarantine bucket to recognise its own move.
    await p
      .as('admin')
      .sqs.send(new SendMessageCommand({ QueueUrl: p.resources.queueUrl, MessageBody: body }));

    // Assess
    expect((await recordOf('gone/deleted-first.png', (r) => r.status === FileStatus.GONE)).status).toBe(
      FileStatus.GONE,
    );
    await waitFor(
      'the duplicate to be handled',
      async () => p.runner.counters().messagesDeleted > deletedBefore,
    );
    await waitFor('an empty queue', async () => {
      const c = await queueCounts(p.as('admin'), p.resources.queueUrl);
      return c.visible + c.inFlight === 0;
    });
    expect(await latest('bad/setup.exe')).toMatchObject({
      status: FileStatus.QUARANTINED,
      reason: QuarantineReason.BLOCKED_TYPE,
    });
    expectNoDenials();
  });

  it('quarantines PROCESSING_FAILED on the last receive, then the automatic retry brings it back', async () => {
    // Prepare
    await upload('flaky/report.pdf', sampleFile('pdf').bytes);
    const failed = await recordOf('flaky/report.pdf', (r) => r.status === FileStatus.QUARANTINED, 120_000);
    expect(failed).toMatchObject({
      reason: QuarantineReason.PROCESSING_FAILED,
      receiveCount: settings.maxReceiveCount,
    });
    failingKeys.delete('flaky/report.pdf');
    const retry = p.as('retry');
    const store = createDynamoOpsStore(retry.dynamo, p.resources.tableName);

    // Act: one pass of the scheduled retry function, signing as the retry role
    const summary = await retryQuarantine(
      {
        maxRetries: 3,
        baseDelaySeconds: 0,
        lookbackHours: 24,
        maxFilesPerPass: 500,
        inputBucket: p.resources.inputBucket,
        quarantineBucket: p.resources.quarantineBucket,
      },
      {
        objects: createS3ObjectStore(retry.s3),
        ledger: store,
        history: store,
        alerts: createSnsAlertPublisher(retry.sns, p.resources.topicArn),
      },
    );

    // Assess
    expect(summary).toMatchObject({ retried: 1, failed: 0 });
    await recordOf('flaky/report.pdf', (r) => r.status === FileStatus.PROCESSED);
    expectNoDenials();
  });

  it('sends a poison message to the DLQ, and the operator retries a file and replays the DLQ from the dashboard', async () => {
    // Prepare
    await p
      .as('admin')
      .sqs.send(new SendMessageCommand({ QueueUrl: p.resources.queueUrl, MessageBody: 'not an S3 event' }));
    await waitFor('the poison message in the DLQ', async () => {
      const c = await queueCounts(p.as('admin'), p.resources.dlqUrl);
      return c.visible === 1;
    });
    // Sent by the handler itself (sqs:SendMessage on the DLQ), with why it failed: were that send
    // refused, the handler reports the message failed and SQS redrives it after maxReceiveCount receives,
    // which also lands it in the DLQ, but bare — no error attributes, five receives later.
    const poison = await p.as('admin').sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: p.resources.dlqUrl,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    const [dead] = poison.Messages ?? [];
    expect(dead?.MessageAttributes?.[DLQ_ATTRIBUTES.error]?.StringValue).toBeDefined();
    await p.as('admin').sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: p.resources.dlqUrl,
        ReceiptHandle: dead?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    // A real event in the DLQ, as after an outage that used up its receives.
    await upload('replay/doc.pdf', sampleFile('pdf').bytes);
    await recordOf('replay/doc.pdf', (r) => r.status === FileStatus.PROCESSED);
    await upload('replay/doc.pdf', sampleFile('pdf', { seed: 2 }).bytes);
    await waitFor('the second event', async () => eventBodies.get('replay/doc.pdf') !== undefined);
    const replayBody = eventBodies.get('replay/doc.pdf') as string;
    await p
      .as('admin')
      .sqs.send(new SendMessageCommand({ QueueUrl: p.resources.dlqUrl, MessageBody: replayBody }));
    const operator = buildDashboardActions(p.as('operator'), p.resources);

    // Act
    const retried = await operator.retry({
      bucket: p.resources.inputBucket,
      key: 'bad/holiday.jpg',
      force: true,
    });
    const replayed = await operator.replay({ includePoison: false });

    // Assess
    expect(retried, retried.message).toMatchObject({ ok: true });
    expect(replayed, replayed.message).toMatchObject({ ok: true });
    await waitFor('the retried file to be processed again', async () => {
      const records = (await uploadRecords(p.as('admin'), p.resources.tableName)).filter(
        (r) => r.key === 'bad/holiday.jpg',
      );
      return records.length >= 2;
    });
    await waitFor('the replayed message to leave the DLQ', async () => {
      const c = await queueCounts(p.as('admin'), p.resources.dlqUrl);
      return c.visible + c.inFlight === 1;
    });
    const { Messages = [] } = await p
      .as('admin')
      .sqs.send(new ReceiveMessageCommand({ QueueUrl: p.resources.dlqUrl, MaxNumberOfMessages: 10 }));
    expect(Messages.map((m) => m.Body)).toEqual(['not an S3 event']);
    expectNoDenials();
  });

  it("runs the CLI's operator commands signed as the operator", async () => {
    // Prepare
    const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const { accessKeyId, secretAccessKey } = p.principals.operator.credentials;
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(
          resolve(ROOT, 'bin/silent-scalper.mjs'),
          args,
          {
            cwd: ROOT,
            env: {
              ...clean,
              AWS_EC2_METADATA_DISABLED: 'true',
              AWS_ENDPOINT_URL: moto().endpoint,
              AWS_ACCESS_KEY_ID: accessKeyId,
              AWS_SECRET_ACCESS_KEY: secretAccessKey,
            },
            timeout: 60_000,
          },
          (error, stdout, stderr) => done({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );

    // Act
    const runs = {
      status: await cli(['status']),
      files: await cli(['files', '--status', 'QUARANTINED']),
      show: await cli(['show', 'bad/setup.exe']),
      retry: await cli(['retry', '--all', '--dry-run']),
      replay: await cli(['replay-dlq', '--dry-run']),
    };

    // Assess
    for (const [name, run] of Object.entries(runs))
      expect(run, `${name}: ${run.stderr}`).toMatchObject({ code: 0 });
    expect(runs.files.stdout).toContain('bad/setup.exe');
    expect(runs.show.stdout).toContain('BLOCKED_TYPE');
  });
});

describe('the policies are tight (moto evaluates identity policies; resource policies are template tests)', () => {
  it('refuses the ingest role objects outside the pipeline buckets, deleting table items and reading the DLQ', async () => {
    // Prepare
    const admin = p.as('admin');
    await admin.s3.send(new CreateBucketCommand({ Bucket: 'someone-elses-bucket' }));
    await admin.s3.send(
      new PutObjectCommand({ Bucket: 'someone-elses-bucket', Key: 'secret.txt', Body: 'x' }),
    );
    const ingest = unwatched('ingest');

    // Act
    const messages = [
      await refusal(
        ingest.s3.send(new GetObjectCommand({ Bucket: 'someone-elses-bucket', Key: 'secret.txt' })),
      ),
      await refusal(
        ingest.dynamo.send(
          new DeleteItemCommand({
            TableName: p.resources.tableName,
            Key: { pk: { S: 'FILE#x' }, sk: { S: 'x' } },
          }),
        ),
      ),
      await refusal(ingest.sqs.send(new ReceiveMessageCommand({ QueueUrl: p.resources.dlqUrl }))),
    ];

    // Assess: each refusal names the action and the resource
    expect(messages[0]).toContain('s3:GetObject on resource: arn:aws:s3:::someone-elses-bucket/secret.txt');
    expect(messages[1]).toContain(
      `dynamodb:DeleteItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/${p.resources.tableName}`,
    );
    expect(messages[2]).toContain(`sqs:ReceiveMessage on resource: ${p.resources.dlqArn}`);
  });

  it('refuses the retry role writing the DLQ, and the quarantine bucket to a principal not allowed', async () => {
    // Prepare
    const retry = unwatched('retry');
    const uploader = unwatched('uploader');

    // Act
    const messages = [
      await refusal(
        retry.sqs.send(new SendMessageCommand({ QueueUrl: p.resources.dlqUrl, MessageBody: 'x' })),
      ),
      await refusal(
        uploader.s3.send(
          new PutObjectCommand({ Bucket: p.resources.quarantineBucket, Key: 'planted.exe', Body: 'x' }),
        ),
      ),
      await refusal(
        uploader.s3.send(new GetObjectCommand({ Bucket: p.resources.quarantineBucket, Key: 'anything' })),
      ),
    ];

    // Assess
    expect(messages[0]).toContain(`sqs:SendMessage on resource: ${p.resources.dlqArn}`);
    expect(messages[1]).toContain(
      `s3:PutObject on resource: arn:aws:s3:::${p.resources.quarantineBucket}/planted.exe`,
    );
    expect(messages[2]).toContain(`arn:aws:s3:::${p.resources.quarantineBucket}`);
  });
  it('quarantines a huge rejected file in place, and the operator releases it', async () => {
    // Prepare: too large (TOO_LARGE) and above the in-place threshold, so it is tagged, not copied
    const huge = sampleFile('png', { sizeBytes: IN_PLACE_BYTES + 1024, seed: 9 }).bytes;
    await upload('huge/scan.png', huge);
    const quarantined = await recordOf('huge/scan.png', (r) => r.status === FileStatus.QUARANTINED);
    expect(quarantined).toMatchObject({ reason: QuarantineReason.TOO_LARGE, quarantinedInPlace: true });
    const tagged = await p
      .as('admin')
      .s3.send(new GetObjectTaggingCommand({ Bucket: p.resources.inputBucket, Key: 'huge/scan.png' }));
    expect(tagged.TagSet).toContainEqual({ Key: IN_PLACE_TAG, Value: IN_PLACE_TAG_VALUE });
    const operator = buildDashboardActions(p.as('operator'), p.resources);

    // Act
    const released = await operator.retry({
      bucket: p.resources.inputBucket,
      key: 'huge/scan.png',
      force: true,
    });

    // Assess
    expect(released, released.message).toMatchObject({ ok: true });
    const after = await p
      .as('admin')
      .s3.send(new GetObjectTaggingCommand({ Bucket: p.resources.inputBucket, Key: 'huge/scan.png' }));
    expect(after.TagSet?.map((t) => t.Key)).not.toContain(IN_PLACE_TAG);
    expectNoDenials();
  });
});
