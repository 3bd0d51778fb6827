import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { STACK_OUTPUTS } from '../../src/config/stackOutputs.ts';
import { fileHistory } from '../../src/tracking/fileHistory.ts';
import { encodeS3EventKey, realS3Record, s3EventBody } from '../helpers/events.ts';
import { failingReads } from '../helpers/failingReads.ts';
import {
  type LocalPipeline,
  prefixedNames,
  startLocalPipeline,
  uploadRecords,
  waitFor,
} from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { runCli } from '../helpers/runCli.ts';

// The operator's `silent-scalper retry` on a pipeline with two sources, found the way the CLI finds a
// deployed stack: from its outputs (here a stack on moto's CloudFormation whose outputs name the local
// pipeline's resources, `SourceBucketNames` included).

const moto = useMoto();
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 2 });
const STACK = 'TwoSources';
const KEY = 'partner/report 3.csv';
const FORGED = 'forged/planted.csv';
/** Reads of these keys fail once (a parser crash), whatever the bucket: each ends PROCESSING_FAILED. */
const failOnce = new Map([
  [KEY, 1],
  [FORGED, 1],
]);
let p: LocalPipeline;
let partner: string;
let elsewhere: string;

const exists = (bucket: string, key: string) =>
  p.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
const story = async (bucket: string, key: string) =>
  (await fileHistory(p.clients.dynamo, p.resources.tableName, bucket, key)).entries.map((e) =>
    e.recordType === 'STEP' ? e.step : `${e.status}(${e.attempt})`,
  );
const cli = (...args: string[]) => runCli(moto().endpoint, [...args, '--stack', STACK]);

beforeAll(async () => {
  p = await startLocalPipeline({
    endpoint: moto().endpoint,
    settings,
    names: prefixedNames('ms'),
    tunables: { timeSafetyMarginMs: 500 },
    deps: (clients) => ({ objectStore: failingReads(createS3ObjectStore(clients.s3), failOnce) }),
  });
  const r = p.resources;
  partner = 'ms-partner-drop';
  elsewhere = 'ms-not-a-source';
  for (const bucket of [partner, elsewhere])
    await p.clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  // The second source's own notification to the same queue, as the construct sets up per source.
  await p.clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: partner,
      NotificationConfiguration: {
        QueueConfigurations: [{ QueueArn: r.queueArn, Events: ['s3:ObjectCreated:*'] }],
      },
    }),
  );
  const cfn = new CloudFormationClient({
    endpoint: moto().endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const outputs: Record<string, string> = {
    [STACK_OUTPUTS.inputBucketName]: r.inputBucket,
    [STACK_OUTPUTS.sourceBucketNames]: `${r.inputBucket},${partner}`,
    [STACK_OUTPUTS.quarantineBucketName]: r.quarantineBucket,
    [STACK_OUTPUTS.ingestQueueUrl]: r.queueUrl,
    [STACK_OUTPUTS.deadLetterQueueUrl]: r.dlqUrl,
    [STACK_OUTPUTS.metadataTableName]: r.tableName,
    [STACK_OUTPUTS.alertsTopicArn]: r.topicArn,
  };
  await cfn.send(
    new CreateStackCommand({
      StackName: STACK,
      TemplateBody: JSON.stringify({
        Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'ms-stack-topic' } } },
        Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
      }),
    }),
  );
  cfn.destroy();

  // A file of the second source, and a forged event naming a bucket that is no source.
  await p.clients.s3.send(
    new PutObjectCommand({ Bucket: partner, Key: KEY, Body: Buffer.from('id,amount\n1,10\n') }),
  );
  const planted = await p.clients.s3.send(
    new PutObjectCommand({ Bucket: elsewhere, Key: FORGED, Body: Buffer.from('id,amount\n1,10\n') }),
  );
  await p.clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: r.queueUrl,
      MessageBody: s3EventBody(
        realS3Record({
          bucket: elsewhere,
          encodedKey: encodeS3EventKey(FORGED),
          size: 15,
          ...(planted.ETag ? { eTag: planted.ETag.replace(/"/g, '') } : {}),
          eventTime: new Date().toISOString(),
        }),
      ),
    }),
  );
  await waitFor(
    'both PROCESSING_FAILED quarantines',
    async () => (await story(partner, KEY)).length === 1 && (await story(elsewhere, FORGED)).length === 1,
    { timeoutMs: 30_000 },
  );
}, 120_000);

afterAll(async () => {
  await p?.runner.stop();
});

describe('silent-scalper retry with two sources (stack outputs name them)', () => {
  it('--all --dry-run lists both buckets’ quarantines: the second source’s would go back, the other bucket’s is refused', async () => {
    // Act
    const dry = await cli('retry', '--all', '--dry-run', '--json');

    // Assess
    expect(dry.code, dry.stderr).toBe(0);
    const outcomes = (
      JSON.parse(dry.stdout) as { outcomes: { bucket: string; action: string; why?: string }[] }
    ).outcomes;
    expect(outcomes).toHaveLength(2);
    expect(outcomes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ bucket: partner, action: 'would-retry' }),
        expect.objectContaining({ bucket: elsewhere, action: 'skipped', why: 'not-a-source' }),
      ]),
    );
  }, 60_000);

  it('refuses --bucket naming a bucket that is no source, and copies nothing', async () => {
    // Act
    const refused = await cli('retry', '--bucket', elsewhere, FORGED);

    // Assess
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${elsewhere} is not a source bucket of this pipeline`);
    expect(refused.stderr).toContain(`sources: ${p.resources.inputBucket}, ${partner}`);
    expect(await exists(elsewhere, FORGED)).toBe(false);
    expect(await story(elsewhere, FORGED)).toEqual(['QUARANTINED(0)']);
  }, 60_000);

  it('retries the second source’s file by key back into its own bucket, and its history shows RETRIED', async () => {
    // Act
    const retried = await cli('retry', '--bucket', partner, KEY);

    // Assess
    expect(retried.code, retried.stderr).toBe(0);
    expect(retried.stdout).toMatch(
      /ms-partner-drop\s+partner\/report 3\.csv\s+PROCESSING_FAILED\s+retried\s+1/,
    );
    await waitFor('PROCESSED', async () => (await story(partner, KEY)).includes('PROCESSED(1)'), {
      timeoutMs: 30_000,
    });
    expect(await story(partner, KEY)).toEqual(['QUARANTINED(0)', 'RETRIED', 'PROCESSED(1)']);
    expect(await exists(partner, KEY)).toBe(true);
    expect(await exists(p.resources.inputBucket, KEY)).toBe(false);
    const show = await cli('show', '--bucket', partner, KEY);
    expect(show.stdout).toContain(`manual retry 1: copied`);
    expect(show.stdout).toContain(`back to s3://${partner}/`);
    // The forged record is still refused by the whole set, and its bytes stay in quarantine.
    const all = await cli('retry', '--reason', 'PROCESSING_FAILED');
    expect(all.stdout).toContain('not-a-source');
    expect(all.stdout).toContain('never copied anywhere');
    const planted = (await uploadRecords(p.clients, p.resources.tableName)).find((u) => u.key === FORGED);
    expect(await exists(p.resources.quarantineBucket, planted?.quarantineKey ?? '')).toBe(true);
    expect(await exists(elsewhere, FORGED)).toBe(false);
  }, 120_000);
});
