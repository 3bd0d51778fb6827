import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type Message, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/config/settings.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { sampleFile } from '../../src/local/samples.ts';
import { toSqsEvent } from '../../src/local/sqsEvent.ts';
import { useMoto } from '../helpers/moto.ts';
import { functionBundleDir, type Synthesized, synthesize } from './synth.ts';

// The artifact CDK would upload to Lambda — the esbuild ESM bundle from the cloud assembly, not the
// TypeScript sources — run in a fresh Node process with the environment the template gives the function
// (resource references pointed at a local moto), the way Lambda runs it: module loaded once with
// AWS_LAMBDA_FUNCTION_NAME set, then `handler(event, context)`.

const moto = useMoto();
let s: Synthesized;
let clients: AwsClients;
let resources: LocalResources;

beforeAll(async () => {
  s = synthesize();
  clients = createAwsClients({ endpoint: moto().endpoint, region: 'us-east-1' }, false);
  resources = await provisionLocal({ clients, settings: DEFAULT_PIPELINE_SETTINGS });
});
afterAll(() => s?.cleanup());

const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** The function's environment from the template, `Ref`s replaced by the local resources they stand for. */
const functionEnvironment = (): Record<string, string> => {
  const local: Record<string, string> = {
    [id(s.stack.metadataTable.table)]: resources.tableName,
    [id(s.stack.quarantineBucket.bucket)]: resources.quarantineBucket,
    [id(s.stack.alertsTopic)]: resources.topicArn,
    [id(s.stack.queues.deadLetterQueue)]: resources.dlqUrl,
  };
  const fn = s.json.Resources[id(s.stack.ingest.function)]?.Properties as
    | { Environment: { Variables: Record<string, unknown> } }
    | undefined;
  const variables = fn?.Environment.Variables ?? {};
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => {
      if (typeof value === 'string') return [name, value];
      const ref = (value as { Ref?: string }).Ref;
      const resolved = ref ? local[ref] : undefined;
      if (!resolved) throw new Error(`cannot map ${name}=${JSON.stringify(value)} to a local resource`);
      return [name, resolved];
    }),
  );
};

/** Run the bundled handler once in a child process; resolves with its batch response. */
const invokeBundle = async (event: unknown): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> => {
  const runner = join(s.assemblyDir, 'invoke-bundle.mjs');
  writeFileSync(
    runner,
    [
      `const { handler } = await import(${JSON.stringify(join(functionBundleDir(s, s.stack.ingest.function), 'index.mjs'))});`,
      'let input = "";',
      'for await (const chunk of process.stdin) input += chunk;',
      'const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: "bundle-test", functionName: "ingest" };',
      'const response = await handler(JSON.parse(input), context);',
      'process.stdout.write("\\nRESPONSE " + JSON.stringify(response) + "\\n");',
    ].join('\n'),
  );
  const child = spawn(process.execPath, [runner], {
    env: {
      PATH: process.env.PATH ?? '',
      ...functionEnvironment(),
      AWS_LAMBDA_FUNCTION_NAME: 'ingest',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL: moto().endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => {
    stdout += chunk;
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  child.stdin.end(JSON.stringify(event));
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`bundle did not finish within 60 s\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('close', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const line = stdout.split('\n').find((l) => l.startsWith('RESPONSE '));
  if (code !== 0 || !line) throw new Error(`bundle exited with ${code}\n${stdout}\n${stderr}`);
  return JSON.parse(line.slice('RESPONSE '.length));
};

/** Receive from the ingest queue until `count` S3 object events arrived (bounded), keeping test events too. */
const receiveEvents = async (count: number): Promise<Message[]> => {
  const messages: Message[] = [];
  const deadline = Date.now() + 30_000;
  while (messages.filter((m) => m.Body?.includes('ObjectCreated')).length < count) {
    if (Date.now() > deadline) throw new Error(`only ${messages.length} messages arrived within 30 s`);
    const { Messages = [] } = await clients.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: resources.queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 1,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    messages.push(...Messages);
  }
  return messages;
};

describe('the deployed ingest bundle', () => {
  it('loads as ESM on Node, reads its configuration at cold start, and processes a real S3 batch', async () => {
    // Prepare: one good and one blocked upload; S3 notifies the queue as it would in AWS.
    const png = sampleFile('png');
    const exe = sampleFile('exe');
    await clients.s3.send(
      new PutObjectCommand({ Bucket: resources.inputBucket, Key: 'dump/photo one.png', Body: png.bytes }),
    );
    await clients.s3.send(
      new PutObjectCommand({ Bucket: resources.inputBucket, Key: 'dump/tool.exe', Body: exe.bytes }),
    );
    const messages = await receiveEvents(2);

    // Act
    const response = await invokeBundle(
      toSqsEvent(messages, { queueArn: resources.queueArn, region: 'us-east-1' }),
    );

    // Assess: nothing to retry, both files recorded, the executable moved to quarantine.
    expect(response).toEqual({ batchItemFailures: [] });
    const { Items = [] } = await clients.dynamo.send(new ScanCommand({ TableName: resources.tableName }));
    const byKey = Object.fromEntries(Items.filter((i) => i.status).map((i) => [i.key, i]));
    expect(byKey['dump/photo one.png']).toMatchObject({ status: 'PROCESSED', mime: 'image/png' });
    expect(byKey['dump/tool.exe']).toMatchObject({ status: 'QUARANTINED', reason: 'BLOCKED_TYPE' });
    const input = await clients.s3.send(new ListObjectsV2Command({ Bucket: resources.inputBucket }));
    expect((input.Contents ?? []).map((o) => o.Key)).toEqual(['dump/photo one.png']);
    const quarantine = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: resources.quarantineBucket }),
    );
    expect(quarantine.KeyCount).toBe(1);
  });
});
