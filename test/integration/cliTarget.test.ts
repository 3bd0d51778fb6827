import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { CliError, explainError } from '../../src/cli/errors.ts';
import { closeTarget, errorContextOf, resolveTarget, type TargetOptions } from '../../src/cli/target.ts';
import { uploadFile } from '../../src/cli/uploader.ts';
import { RESOURCE_NAMES, resolvePipelineSettings } from '../../src/config/settings.ts';
import { STACK_OUTPUTS } from '../../src/config/stackOutputs.ts';
import { freePort } from '../../src/local/moto/motoServer.ts';
import { provisionLocal } from '../../src/local/provision.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const local = (extra: Partial<TargetOptions> = {}): TargetOptions => ({
  endpoint: moto().endpoint,
  region: 'us-east-1',
  stack: 'SilentScalper',
  hasCredentials: false,
  ...extra,
});

/** A stack on moto's CloudFormation whose outputs look like the deployed stack's (with CDK-style names). */
const outputsTemplate = (outputs: Record<string, string>) =>
  JSON.stringify({
    Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `t-${Date.now()}` } } },
    Outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { Value: v }])),
  });

// The tests in this file run in order: the emulator starts empty and is provisioned half-way.
describe('target resolution', () => {
  it('explains an unreachable endpoint: is `silent-scalper up` running?', async () => {
    // Prepare: a port nothing listens on
    const options = local({ endpoint: `http://127.0.0.1:${await freePort()}` });
    // Act
    const error = await resolveTarget(options).catch((e: unknown) => e);
    // Assess
    expect(explainError(error, errorContextOf(options))).toMatch(
      /^cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is `silent-scalper up` running\?/,
    );
  });

  it('explains a reachable but unprovisioned emulator: run `silent-scalper up`', async () => {
    const error = await resolveTarget(local()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toContain('not provisioned: missing queue silent-scalper-ingest');
    expect((error as Error).message).toContain('table silent-scalper-files');
    expect((error as Error).message).toContain('Run `silent-scalper up`');
  });

  it('resolves the local names, queue URLs and topic ARN once provisioned', async () => {
    // Prepare
    await provisionLocal({
      clients: createAwsClients({ endpoint: moto().endpoint }, false),
      settings: resolvePipelineSettings(),
    });
    // Act
    const target = await resolveTarget(local());
    closeTarget(target);
    // Assess
    expect(target.mode).toBe('local');
    expect(target.names).toEqual(RESOURCE_NAMES);
    expect(target.ingestQueueUrl).toMatch(/\/silent-scalper-ingest$/);
    expect(target.deadLetterQueueUrl).toMatch(/\/silent-scalper-ingest-dlq$/);
    expect(target.alertsTopicArn).toMatch(/:silent-scalper-alerts$/);
  });

  it("reads names and URLs from a stack's outputs", async () => {
    // Prepare
    const cfn = new CloudFormationClient({
      endpoint: moto().endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    const base = 'https://sqs.us-east-1.amazonaws.com/123456789012';
    await cfn.send(
      new CreateStackCommand({
        StackName: 'DeployedLike',
        TemplateBody: outputsTemplate({
          [STACK_OUTPUTS.inputBucketName]: 'silentscalper-inputbucket-abc',
          [STACK_OUTPUTS.quarantineBucketName]: 'silentscalper-quarantine-def',
          [STACK_OUTPUTS.ingestQueueUrl]: `${base}/SilentScalper-IngestQueue-XYZ`,
          [STACK_OUTPUTS.deadLetterQueueUrl]: `${base}/SilentScalper-DeadLetterQueue-UVW`,
          [STACK_OUTPUTS.metadataTableName]: 'SilentScalper-FilesTable-123',
          [STACK_OUTPUTS.alertsTopicArn]: 'arn:aws:sns:us-east-1:123456789012:SilentScalper-Alerts-9',
        }),
      }),
    );
    // Act
    const target = await resolveTarget(local({ stack: 'DeployedLike', stackExplicit: true }));
    closeTarget(target);
    cfn.destroy();
    // Assess
    expect(target.stack).toBe('DeployedLike');
    expect(target.names).toEqual({
      inputBucket: 'silentscalper-inputbucket-abc',
      quarantineBucket: 'silentscalper-quarantine-def',
      ingestQueue: 'SilentScalper-IngestQueue-XYZ',
      deadLetterQueue: 'SilentScalper-DeadLetterQueue-UVW',
      metadataTable: 'SilentScalper-FilesTable-123',
      alertsTopic: 'SilentScalper-Alerts-9',
    });
    expect(target.ingestQueueUrl).toBe(`${base}/SilentScalper-IngestQueue-XYZ`);
    // A stack from before the SourceBucketNames output has one source: its input bucket.
    expect(target.sourceBuckets).toEqual(['silentscalper-inputbucket-abc']);
  });

  it('names the missing outputs of a stack deployed by another version', async () => {
    const cfn = new CloudFormationClient({
      endpoint: moto().endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await cfn.send(
      new CreateStackCommand({
        StackName: 'OldVersion',
        TemplateBody: outputsTemplate({ [STACK_OUTPUTS.inputBucketName]: 'b' }),
      }),
    );
    cfn.destroy();
    await expect(resolveTarget(local({ stack: 'OldVersion', stackExplicit: true }))).rejects.toThrow(
      /stack "OldVersion" has no output QuarantineBucketName, IngestQueueUrl/,
    );
  });

  it('explains a stack that is not deployed', async () => {
    const options = local({ stack: 'NeverDeployed', stackExplicit: true });
    const error = await resolveTarget(options).catch((e: unknown) => e);
    expect(explainError(error, errorContextOf(options))).toContain('stack "NeverDeployed" does not exist');
  });
});

describe('uploadFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ss-upload-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    ['buffered', 1000, undefined],
    ['streamed', 9 * 1024 ** 2, undefined],
    ['multipart', 11 * 1024 ** 2, 6 * 1024 ** 2],
  ])('uploads a %s file intact, with its content type and uploaded-at', async (kind, size, threshold) => {
    // Prepare
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    const bucket = `upload-${kind}`;
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const content = Buffer.alloc(size, 0);
    for (let i = 0; i < size; i += 4096) content.writeUInt32BE(i, i);
    const path = join(dir, `${kind}.csv`);
    await writeFile(path, content);
    const sent: number[] = [];
    // Act
    await uploadFile(
      { path, key: `in/${kind} ü.csv`, size },
      {
        s3: clients.s3,
        bucket,
        ...(threshold ? { multipartThresholdBytes: threshold, partSizeBytes: 5 * 1024 ** 2 } : {}),
        onBytes: (n) => sent.push(n),
        now: () => new Date('2026-11-25T10:00:00.000Z'),
      },
    );
    // Assess
    const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: `in/${kind} ü.csv` }));
    const body = Buffer.from(
      await (object.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(createHash('sha256').update(body).digest('hex')).toBe(
      createHash('sha256').update(content).digest('hex'),
    );
    expect(object.ContentType).toBe('text/csv');
    expect(object.Metadata?.['uploaded-at']).toBe('2026-11-25T10:00:00.000Z');
    expect(sent.reduce((a, b) => a + b, 0)).toBe(size);
    if (kind === 'multipart') expect(object.ETag).toMatch(/-3"$/);
  });
});
