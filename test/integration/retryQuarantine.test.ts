import {
  CreateBucketCommand,
  HeadObjectCommand,
  PutBucketNotificationConfigurationCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { silentLogger } from '../../src/adapters/powertools.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../../src/adapters/snsAlertPublisher.ts';
import { DEFAULT_RETRY_POLICY, loadRetryConfig, retryEnvironment } from '../../src/config/retryConfig.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildRetryHandler } from '../../src/handlers/retryQuarantine.ts';
import { createDynamoOpsStore } from '../../src/ops/dynamoOpsStore.ts';
import { retryManual } from '../../src/ops/retryManual.ts';
import { type RetryPassOptions, retryQuarantine } from '../../src/ops/retryQuarantine.ts';
import { startRetryTimer } from '../../src/ops/retryTimer.ts';
import type { RetryDeps } from '../../src/ops/retryTypes.ts';
import { OBJECT_METADATA } from '../../src/pipeline/constants.ts';
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
import { receiveAll } from '../helpers/opsPipeline.ts';

const moto = useMoto();
// The handler stops starting files when less than timeSafetyMarginMs (default 5 s) is left: keep it below the timeout.
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 10, maxBatchingWindowSeconds: 0 });

/** A queue subscribed to the alerts topic, to see what operators would get. */
const subscribeInbox = async (clients: AwsClients, topicArn: string, name: string): Promise<string> => {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
  );
  await clients.sns.send(
    new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: Attributes?.QueueArn }),
  );
  return QueueUrl as string;
};

/** What `show <key>` tells: uploads as `STATUS(attempt)`, steps by name, in the table's order. */
const story = async (pipeline: LocalPipeline, key: string): Promise<string[]> => {
  const h = await fileHistory(
    pipeline.clients.dynamo,
    pipeline.resources.tableName,
    pipeline.resources.inputBucket,
    key,
  );
  return h.entries.map((e) => (e.recordType === 'STEP' ? e.step : `${e.status}(${e.attempt})`));
};

/** A pipeline (runner + real handler with the faulty store) plus retry deps on the same moto. */
const start = async (prefix: string, plan: Map<string, number>) => {
  const clients = createAwsClients({ endpoint: moto().endpoint }, false);
  const names = prefixedNames(prefix);
  const pipeline = await startLocalPipeline({
    endpoint: moto().endpoint,
    settings,
    names,
    tunables: { timeSafetyMarginMs: 1000 },
    deps: { objectStore: failingReads(createS3ObjectStore(clients.s3), plan, { bucket: names.inputBucket }) },
  });
  const r = pipeline.resources;
  const store = createDynamoOpsStore(clients.dynamo, r.tableName);
  const deps: RetryDeps = {
    objects: createS3ObjectStore(clients.s3),
    ledger: store,
    history: store,
    alerts: createSnsAlertPublisher(clients.sns, r.topicArn),
  };
  const options: RetryPassOptions = {
    ...DEFAULT_RETRY_POLICY,
    maxRetries: 3,
    baseDelaySeconds: 1,
    inputBucket: r.inputBucket,
    quarantineBucket: r.quarantineBucket,
  };
  return { clients, pipeline, r, deps, options };
};

const upload = (clients: AwsClients, bucket: string, key: string, body: string, contentType = 'text/csv') =>
  clients.s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: Buffer.from(body),
      ContentType: contentType,
      Metadata: { owner: 'ops' },
    }),
  );

describe('quarantine retry through the local pipeline (moto + runner + real handler)', () => {
  it('retries a file that fails twice, automatically with backoff, until it ends PROCESSED', async () => {
    // Prepare
    const key = 'retry/fails twice.csv';
    const { clients, pipeline, r, deps, options } = await start('rq1', new Map([[key, 2]]));
    const timer = startRetryTimer({ intervalMs: 250, pass: () => retryQuarantine(options, deps) });
    try {
      // Act
      await upload(clients, r.inputBucket, key, 'id,amount\n1,10\n');
      await waitFor(
        'the file to end PROCESSED',
        async () => (await story(pipeline, key)).includes('PROCESSED(2)'),
        {
          timeoutMs: 45_000,
        },
      );

      // Assess: the whole story, in order, with the attempt each upload carried
      expect(await story(pipeline, key)).toEqual([
        'QUARANTINED(0)',
        'RETRIED',
        'QUARANTINED(1)',
        'RETRIED',
        'PROCESSED(2)',
      ]);
      const h = await fileHistory(clients.dynamo, r.tableName, r.inputBucket, key);
      const [q0, q1] = h.uploads;
      const [s1, s2] = h.steps;
      // Backoff: retry n waited baseDelay × 2^(n-1) after its quarantine.
      expect(Date.parse(s1?.at ?? '') - Date.parse(q0?.processedAt ?? '')).toBeGreaterThanOrEqual(1000);
      expect(Date.parse(s2?.at ?? '') - Date.parse(q1?.processedAt ?? '')).toBeGreaterThanOrEqual(2000);
      // The file is back where the uploader put it, with its own metadata, and gone from quarantine.
      const head = await clients.s3.send(new HeadObjectCommand({ Bucket: r.inputBucket, Key: key }));
      expect(head.ContentType).toBe('text/csv');
      expect(head.Metadata).toEqual({ owner: 'ops', [OBJECT_METADATA.attempt]: '2' });
      await expect(
        clients.s3.send(new HeadObjectCommand({ Bucket: r.quarantineBucket, Key: key })),
      ).rejects.toThrow();
    } finally {
      await timer.stop();
      await pipeline.runner.stop();
    }
  });

  it('stops a file that always fails at RETRY_EXHAUSTED after maxRetries, with one alert', async () => {
    const key = 'retry/always.csv';
    const { clients, pipeline, r, deps, options } = await start(
      'rq2',
      new Map([[key, Number.POSITIVE_INFINITY]]),
    );
    const inbox = await subscribeInbox(clients, r.topicArn, 'rq2-inbox');
    const timer = startRetryTimer({ intervalMs: 250, pass: () => retryQuarantine(options, deps) });
    try {
      await upload(clients, r.inputBucket, key, 'id,amount\n1,10\n');
      await waitFor('RETRY_EXHAUSTED', async () => (await story(pipeline, key)).includes('RETRY_EXHAUSTED'), {
        timeoutMs: 45_000,
      });
      // More passes change nothing: no retry, no second step, no second alert.
      const passes = timer.passes();
      await waitFor('three more passes', async () => timer.passes() >= passes + 3, { timeoutMs: 10_000 });

      expect(await story(pipeline, key)).toEqual([
        'QUARANTINED(0)',
        'RETRIED',
        'QUARANTINED(1)',
        'RETRIED',
        'QUARANTINED(2)',
        'RETRIED',
        'QUARANTINED(3)',
        'RETRY_EXHAUSTED',
      ]);
      // The last upload's quarantine copy, at the exact object and version its record names.
      const last = (await uploadRecords(clients, r.tableName)).find((u) => u.key === key && u.attempt === 3);
      const stays = await clients.s3.send(
        new HeadObjectCommand({
          Bucket: r.quarantineBucket,
          Key: last?.quarantineKey ?? '',
          VersionId: last?.quarantineVersionId,
        }),
      );
      expect(stays.Metadata?.[OBJECT_METADATA.attempt]).toBe('3');
      const alerts = (await receiveAll(clients, inbox))
        .map((m) => JSON.parse(m.Body ?? '{}') as { Subject?: string; Message?: string })
        .filter((n) => n.Subject?.includes('retries'));
      expect(alerts).toHaveLength(1);
      expect(alerts[0]?.Message).toContain(`s3://${r.inputBucket}/${key}`);
    } finally {
      await timer.stop();
      await pipeline.runner.stop();
    }
  });

  it('never retries a policy rejection automatically; by hand only with --force', async () => {
    const key = 'retry/empty.csv';
    const { clients, pipeline, r, deps, options } = await start('rq3', new Map());
    try {
      await upload(clients, r.inputBucket, key, '');
      await waitFor('the quarantine', async () => (await story(pipeline, key)).length === 1, {
        timeoutMs: 20_000,
      });
      const later = { ...deps, now: () => Date.now() + 86_400_000 };

      const automatic = await retryQuarantine(options, later);
      const manual = await retryManual({ keys: [key] }, options, deps);

      expect(automatic.retried).toBe(0);
      expect(manual.outcomes).toEqual([expect.objectContaining({ action: 'skipped', why: 'needs-force' })]);
      expect(await story(pipeline, key)).toEqual(['QUARANTINED(0)']);

      const forced = await retryManual({ keys: [key] }, { ...options, force: true }, deps);
      expect(forced.retried).toBe(1);
      // The policy has not changed, so the pipeline rejects it again: the history says all of it.
      await waitFor('the second verdict', async () => (await story(pipeline, key)).length === 3, {
        timeoutMs: 20_000,
      });
      expect(await story(pipeline, key)).toEqual(['QUARANTINED(0)', 'RETRIED', 'QUARANTINED(1)']);
      const h = await fileHistory(clients.dynamo, r.tableName, r.inputBucket, key);
      expect(h.uploads.map((u) => u.reason)).toEqual(['EMPTY_FILE', 'EMPTY_FILE']);
    } finally {
      await pipeline.runner.stop();
    }
  });

  it('the scheduled Lambda entry runs one pass from its environment', async () => {
    const key = 'retry/lambda.csv';
    const { clients, pipeline, r } = await start('rq4', new Map([[key, 1]]));
    try {
      await upload(clients, r.inputBucket, key, 'id,amount\n1,10\n');
      await waitFor('the quarantine', async () => (await story(pipeline, key)).length === 1, {
        timeoutMs: 20_000,
      });
      const config = loadRetryConfig(
        retryEnvironment({
          metadataTable: r.tableName,
          quarantineBucket: r.quarantineBucket,
          alertsTopicArn: r.topicArn,
          inputBucket: r.inputBucket,
          policy: { baseDelaySeconds: 0 },
        }),
      );
      const handler = buildRetryHandler(config, { clients, logger: silentLogger });

      const result = await handler({} as never);

      expect(result).toMatchObject({ examined: 1, retried: 1, failed: 0 });
      await waitFor('PROCESSED', async () => (await story(pipeline, key)).includes('PROCESSED(1)'), {
        timeoutMs: 20_000,
      });
      expect(await story(pipeline, key)).toEqual(['QUARANTINED(0)', 'RETRIED', 'PROCESSED(1)']);
    } finally {
      await pipeline.runner.stop();
    }
  });
});

/**
 * A pipeline fed by two sources, the input bucket and a partner bucket (its own notification to the same
 * queue, as the construct's `sources` sets up), whose reads of planned keys fail once, whatever the bucket.
 * `elsewhere` is a bucket that is no source: only a forged event names it.
 */
const startTwoSources = async (prefix: string, plan: Map<string, number>) => {
  const clients = createAwsClients({ endpoint: moto().endpoint }, false);
  const names = prefixedNames(prefix);
  const partner = `${prefix}-partner`;
  const elsewhere = `${prefix}-elsewhere`;
  const pipeline = await startLocalPipeline({
    endpoint: moto().endpoint,
    settings,
    names,
    tunables: { timeSafetyMarginMs: 1000 },
    deps: { objectStore: failingReads(createS3ObjectStore(clients.s3), plan) },
  });
  const r = pipeline.resources;
  for (const bucket of [partner, elsewhere])
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: partner,
      NotificationConfiguration: {
        QueueConfigurations: [{ QueueArn: r.queueArn, Events: ['s3:ObjectCreated:*'] }],
      },
    }),
  );
  const storyOf = async (bucket: string, key: string) =>
    (await fileHistory(clients.dynamo, r.tableName, bucket, key)).entries.map((e) =>
      e.recordType === 'STEP' ? e.step : `${e.status}(${e.attempt})`,
    );
  const exists = (bucket: string, key: string) =>
    clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
      () => true,
      () => false,
    );
  return { clients, pipeline, r, partner, elsewhere, storyOf, exists };
};

/** An S3 event for a bucket no notification names: what anyone allowed to send to the queue can forge. */
const forgeEvent = async (clients: AwsClients, queueUrl: string, bucket: string, key: string) => {
  const put = await clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from('id,amount\n1,10\n') }),
  );
  await clients.sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: s3EventBody(
        realS3Record({
          bucket,
          encodedKey: encodeS3EventKey(key),
          size: 15,
          ...(put.ETag ? { eTag: put.ETag.replace(/"/g, '') } : {}),
          eventTime: new Date().toISOString(),
        }),
      ),
    }),
  );
};

/**
 * Two sources, each with one file that ends QUARANTINED PROCESSING_FAILED (its first read fails with a
 * permanent error): `key` uploaded to the partner source, and `forged`, named by a forged event of a
 * bucket that is no source.
 */
const quarantinedInTwoSources = async (prefix: string, key: string, forged: string) => {
  const t = await startTwoSources(
    prefix,
    new Map([
      [key, 1],
      [forged, 1],
    ]),
  );
  await upload(t.clients, t.partner, key, 'id,amount\n1,10\n');
  await forgeEvent(t.clients, t.r.queueUrl, t.elsewhere, forged);
  await waitFor(
    'both quarantines',
    async () =>
      (await t.storyOf(t.partner, key)).length === 1 && (await t.storyOf(t.elsewhere, forged)).length === 1,
    { timeoutMs: 30_000 },
  );
  return t;
};

describe('quarantine retry with several sources (the construct’s `sources`)', () => {
  it('the scheduled entry (SOURCE_BUCKETS) puts a second source’s file back into that bucket, and refuses a bucket that is no source', async () => {
    // Prepare: one PROCESSING_FAILED file from the partner bucket, one from a forged event naming another bucket
    const key = 'partner/invoice 7.csv';
    const forged = 'forged/planted.csv';
    const t = await quarantinedInTwoSources('rq6', key, forged);
    try {
      expect(await t.storyOf(t.elsewhere, forged)).toEqual(['QUARANTINED(0)']);
      const env = retryEnvironment({
        metadataTable: t.r.tableName,
        quarantineBucket: t.r.quarantineBucket,
        alertsTopicArn: t.r.topicArn,
        inputBucket: t.r.inputBucket,
        sourceBuckets: [t.r.inputBucket, t.partner],
        policy: { baseDelaySeconds: 0 },
      });
      const handler = buildRetryHandler(loadRetryConfig(env), { clients: t.clients, logger: silentLogger });

      // Act
      const result = await handler({} as never);

      // Assess: the partner file went back into the partner bucket (not the primary) and was processed
      expect(result).toMatchObject({ examined: 2, retried: 1, skipped: 1, failed: 0 });
      await waitFor('PROCESSED', async () => (await t.storyOf(t.partner, key)).includes('PROCESSED(1)'), {
        timeoutMs: 20_000,
      });
      expect(await t.storyOf(t.partner, key)).toEqual(['QUARANTINED(0)', 'RETRIED', 'PROCESSED(1)']);
      const step = (await fileHistory(t.clients.dynamo, t.r.tableName, t.partner, key)).steps[0];
      expect(step?.detail).toContain(`back to s3://${t.partner}/${key}`);
      expect(await t.exists(t.partner, key)).toBe(true);
      expect(await t.exists(t.r.inputBucket, key)).toBe(false);
      // The forged one: refused, nothing copied anywhere, its quarantine copy kept, no step written
      expect(await t.storyOf(t.elsewhere, forged)).toEqual(['QUARANTINED(0)']);
      expect(await t.exists(t.elsewhere, forged)).toBe(false);
      expect(await t.exists(t.r.inputBucket, forged)).toBe(false);
      const planted = (await uploadRecords(t.clients, t.r.tableName)).find((u) => u.key === forged);
      expect(await t.exists(t.r.quarantineBucket, planted?.quarantineKey ?? '')).toBe(true);
    } finally {
      await t.pipeline.runner.stop();
    }
  });

  it('retryManual (the code of `retry` and the dashboard) puts a second source’s file back by key, and refuses another bucket', async () => {
    // Prepare
    const key = 'partner/by hand.csv';
    const forged = 'forged/by-hand.csv';
    const t = await quarantinedInTwoSources('rq7', key, forged);
    try {
      const store = createDynamoOpsStore(t.clients.dynamo, t.r.tableName);
      const deps = { objects: createS3ObjectStore(t.clients.s3), ledger: store, history: store };
      const options = {
        inputBucket: t.r.inputBucket,
        sourceBuckets: [t.r.inputBucket, t.partner],
        quarantineBucket: t.r.quarantineBucket,
      };

      // Act
      const all = await retryManual({ all: true }, { ...options, dryRun: true }, deps);
      const byKey = await retryManual({ keys: [key], bucket: t.partner }, options, deps);
      const refusedByKey = await retryManual({ keys: [forged], bucket: t.elsewhere }, options, deps);

      // Assess
      expect(byKey.outcomes).toEqual([
        expect.objectContaining({ bucket: t.partner, key, action: 'retried', attempt: 1 }),
      ]);
      expect(refusedByKey.outcomes).toEqual([
        expect.objectContaining({ bucket: t.elsewhere, action: 'skipped', why: 'not-a-source' }),
      ]);
      expect(refusedByKey.outcomes[0]?.detail).toContain(`bucket ${t.elsewhere} is not a source`);
      // --all --dry-run lists every bucket's quarantines: the partner file would go back, the forged one is refused
      expect(all.outcomes.map((o) => [o.bucket, o.action, o.why])).toEqual(
        expect.arrayContaining([
          [t.partner, 'would-retry', undefined],
          [t.elsewhere, 'skipped', 'not-a-source'],
        ]),
      );
      expect(all.outcomes).toHaveLength(2);
      await waitFor('PROCESSED', async () => (await t.storyOf(t.partner, key)).includes('PROCESSED(1)'), {
        timeoutMs: 20_000,
      });
      expect(await t.storyOf(t.partner, key)).toEqual(['QUARANTINED(0)', 'RETRIED', 'PROCESSED(1)']);
      expect(await t.exists(t.r.inputBucket, key)).toBe(false);
      expect(await t.storyOf(t.elsewhere, forged)).toEqual(['QUARANTINED(0)']);
      expect(await t.exists(t.elsewhere, forged)).toBe(false);
    } finally {
      await t.pipeline.runner.stop();
    }
  });
});
