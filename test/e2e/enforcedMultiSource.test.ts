import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../../src/adapters/snsAlertPublisher.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/config/retryConfig.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { buildDashboardActions } from '../../src/dashboard/actions.ts';
import { createDynamoOpsStore } from '../../src/ops/dynamoOpsStore.ts';
import { retryQuarantine } from '../../src/ops/retryQuarantine.ts';
import { FileStatus, QuarantineReason } from '../../src/pipeline/constants.ts';
import type { FileRecord } from '../../src/pipeline/types.ts';
import {
  type EnforcedPipeline,
  expectNoDenials as expectNoDenialsOf,
  startEnforcedPipeline,
  waitForRecord,
} from '../helpers/enforcedPipeline.ts';
import { failingReads } from '../helpers/failingReads.ts';
import { useMoto } from '../helpers/moto.ts';

// Retry with two sources under moto's IAM enforcement: the retry role and the operator sign with exactly
// their statements of a stack with two sources (src/config/permissions.ts, `sourceBucketArns`), so the
// copy back into the second bucket is proven allowed, and a copy into a bucket that is no source refused.

const moto = useMoto();
const settings = resolvePipelineSettings({ functionTimeoutSeconds: 1 });
const PARTNER = 'enforced-partner-drop';
/** Reads of these keys fail once with a permanent error: each ends PROCESSING_FAILED at once. */
const failOnce = new Map([
  ['auto/ledger.csv', 1],
  ['manual/ledger.csv', 1],
]);
let p: EnforcedPipeline;

beforeAll(async () => {
  p = await startEnforcedPipeline({
    endpoint: moto().endpoint,
    settings,
    extraSourceBuckets: [PARTNER],
    tunables: { timeSafetyMarginMs: 200 },
    deps: (ingest) => ({ objectStore: failingReads(createS3ObjectStore(ingest.s3), failOnce) }),
  });
}, 60_000);

afterAll(async () => {
  await p?.stop();
});

const expectNoDenials = () => expectNoDenialsOf(p);
const recordOf = (key: string, wanted: (r: FileRecord) => boolean) => waitForRecord(p, key, wanted, 60_000);

const uploadToPartner = (key: string) =>
  p
    .as('uploader')
    .s3.send(new PutObjectCommand({ Bucket: PARTNER, Key: key, Body: Buffer.from('id,amount\n1,10\n') }));

describe('retry into a second source bucket, each role signing with exactly its stack statements', () => {
  it('the automatic pass (retry role) copies a second source’s file back into that bucket', async () => {
    // Prepare
    await uploadToPartner('auto/ledger.csv');
    const failed = await recordOf('auto/ledger.csv', (r) => r.status === FileStatus.QUARANTINED);
    expect(failed).toMatchObject({ bucket: PARTNER, reason: QuarantineReason.PROCESSING_FAILED });
    const retry = p.as('retry');
    const store = createDynamoOpsStore(retry.dynamo, p.resources.tableName);

    // Act
    const summary = await retryQuarantine(
      {
        ...DEFAULT_RETRY_POLICY,
        baseDelaySeconds: 0,
        inputBucket: p.resources.inputBucket,
        sourceBuckets: [p.resources.inputBucket, PARTNER],
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
    expect(summary, JSON.stringify(summary.outcomes)).toMatchObject({ retried: 1, failed: 0 });
    const back = await recordOf('auto/ledger.csv', (r) => r.status === FileStatus.PROCESSED);
    expect(back).toMatchObject({ bucket: PARTNER, attempt: 1 });
    expectNoDenials();
  });

  it('the operator’s Retry (dashboard, the code of `retry <key> --bucket`) copies one back into that bucket', async () => {
    // Prepare
    await uploadToPartner('manual/ledger.csv');
    await recordOf('manual/ledger.csv', (r) => r.status === FileStatus.QUARANTINED);
    const operator = buildDashboardActions(p.as('operator'), {
      ...p.resources,
      sourceBuckets: [p.resources.inputBucket, PARTNER],
    });

    // Act
    const retried = await operator.retry({ bucket: PARTNER, key: 'manual/ledger.csv', force: false });

    // Assess
    expect(retried, retried.message).toMatchObject({ ok: true });
    expect(retried.message).toContain(`copied back to source bucket ${PARTNER}`);
    const back = await recordOf('manual/ledger.csv', (r) => r.status === FileStatus.PROCESSED);
    expect(back).toMatchObject({ bucket: PARTNER, attempt: 1 });
    expectNoDenials();
  });

  it('refuses the retry role and the operator a copy into a bucket that is no source', async () => {
    // Prepare: a bucket that exists but is no source of this pipeline
    await p.as('admin').s3.send(new CreateBucketCommand({ Bucket: 'enforced-other-drop' }));
    const unwatched = (signer: 'retry' | 'operator') =>
      createAwsClients({
        endpoint: moto().endpoint,
        region: 'us-east-1',
        credentials: p.principals[signer].credentials,
      });

    // Act
    const errors = await Promise.all(
      (['retry', 'operator'] as const).map((signer) =>
        unwatched(signer)
          .s3.send(
            new PutObjectCommand({
              Bucket: 'enforced-other-drop',
              Key: 'planted.csv',
              Body: 'x',
            }),
          )
          .then(
            () => undefined,
            (e: unknown) => e as Error,
          ),
      ),
    );

    // Assess
    for (const error of errors) {
      expect(error?.name).toMatch(/^AccessDenied/);
      expect(error?.message).toContain(
        's3:PutObject on resource: arn:aws:s3:::enforced-other-drop/planted.csv',
      );
    }
  });
});
