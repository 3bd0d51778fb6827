/**
 * `npm run bench:local`: the local runtime's own figures.
 *
 * 1. moto's SQS at queue depth, the patched launcher against plain `moto_server` in the same run: the
 *    rate of SendMessageBatch (10 per call) and ReceiveMessage (10 per call, then DeleteMessageBatch) once
 *    the queue holds `depth` messages, and one GetQueueAttributes. Plain moto is only measured up to
 *    `--unpatched-max` (its cost grows with depth: filling it to 5,000 takes minutes).
 * 2. A dump drained by the runner and the real handler: `--files` small files uploaded while the runner
 *    is stopped (so the queue holds them all), then the runner started with the default settings; timed
 *    until every file has its record and the queue is empty.
 *
 * Options: --depths 1000,5000 --unpatched-max 2000 --files 2000 --skip moto|drain
 */
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { createAwsClients } from '../src/adapters/awsClients.ts';
import { silentLogger } from '../src/adapters/powertools.ts';
import { resolvePipelineSettings } from '../src/config/settings.ts';
import { buildIngestHandler } from '../src/handlers/ingest.ts';
import { localHandlerConfig } from '../src/local/localHandlerConfig.ts';
import { findMotoPython, freePort, type MotoServer, startMoto } from '../src/local/moto/motoServer.ts';
import { provisionLocal } from '../src/local/provision.ts';
import { startRunner } from '../src/local/runner.ts';
import { silentRunnerLogger } from '../src/local/runnerLogger.ts';
import { SAMPLE_KINDS, sampleFile } from '../src/local/samples.ts';

const { values } = parseArgs({
  options: {
    depths: { type: 'string', default: '1000,5000' },
    'unpatched-max': { type: 'string', default: '2000' },
    files: { type: 'string', default: '2000' },
    skip: { type: 'string', default: '' },
  },
});
const depths = (values.depths ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const unpatchedMax = Number(values['unpatched-max']);
const fileCount = Number(values.files);
const skip = new Set((values.skip ?? '').split(','));

const secondsSince = (start: number) => (performance.now() - start) / 1000;

/** Plain moto_server, without the launcher's patches. */
const startPlainMoto = async (): Promise<MotoServer> => {
  const port = await freePort();
  const child = spawn(findMotoPython(), ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
  });
  const endpoint = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${endpoint}/moto-api/`)).ok) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint,
    port,
    pid: child.pid,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
};

interface DepthFigures {
  server: string;
  depth: number;
  sendPerSecond: number;
  receivePerSecond: number;
  getAttributesMs: number;
}

/** Fill a queue to `depth`, then time 500 sends, 500 receive+deletes and one GetQueueAttributes. */
const measureDepth = async (moto: MotoServer, server: string, depth: number): Promise<DepthFigures> => {
  const sqs = new SQSClient({
    endpoint: moto.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const { QueueUrl = '' } = await sqs.send(
    new CreateQueueCommand({ QueueName: `depth-${depth}`, Attributes: { VisibilityTimeout: '600' } }),
  );
  const send = (tag: string) =>
    sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: `${tag}-${i}` })),
      }),
    );
  for (let b = 0; b < depth / 10; b++) await send(`fill-${b}`);
  let start = performance.now();
  for (let b = 0; b < 50; b++) await send(`timed-${b}`);
  const sendPerSecond = 500 / secondsSince(start);
  start = performance.now();
  let received = 0;
  for (let r = 0; r < 50; r++) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    received += Messages.length;
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  const receivePerSecond = received / secondsSince(start);
  start = performance.now();
  await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
  const getAttributesMs = secondsSince(start) * 1000;
  sqs.destroy();
  return { server, depth, sendPerSecond, receivePerSecond, getAttributesMs };
};

const benchMoto = async (): Promise<void> => {
  const rows: DepthFigures[] = [];
  for (const [server, start, max] of [
    ['moto_server (plain)', startPlainMoto, unpatchedMax],
    ['launch_moto.py (patched)', () => startMoto(), Number.POSITIVE_INFINITY],
  ] as const) {
    for (const depth of depths.filter((d) => d <= max)) {
      const moto = await start();
      try {
        rows.push(await measureDepth(moto, server, depth));
        console.log(JSON.stringify(rows.at(-1)));
      } finally {
        await moto.stop();
      }
    }
  }
  console.log(
    '\n| server | queued | SendMessageBatch msg/s | Receive+Delete msg/s | GetQueueAttributes ms |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const r of rows)
    console.log(
      `| ${r.server} | ${r.depth} | ${r.sendPerSecond.toFixed(0)} | ${r.receivePerSecond.toFixed(0)} | ${r.getAttributesMs.toFixed(0)} |`,
    );
};

const benchDrain = async (): Promise<void> => {
  const moto = await startMoto();
  try {
    const clients = createAwsClients({ endpoint: moto.endpoint }, false);
    const settings = resolvePipelineSettings();
    const r = await provisionLocal({ clients, settings });
    const config = localHandlerConfig(r, settings);
    const limit = pLimit(4);
    let retriedPuts = 0;
    let start = performance.now();
    await Promise.all(
      Array.from({ length: fileCount }, (_, i) =>
        limit(() => {
          const kind = SAMPLE_KINDS[i % SAMPLE_KINDS.length] ?? 'png';
          const sample = sampleFile(kind, { seed: i });
          return clients.s3
            .send(
              new PutObjectCommand({
                Bucket: r.inputBucket,
                Key: `bench/${String(i).padStart(6, '0')}.${sample.ext}`,
                Body: sample.bytes,
                ContentType: sample.contentType,
              }),
            )
            .then((out) => {
              // A retried PUT may have been stored twice, which S3 notifies twice.
              if ((out.$metadata.attempts ?? 1) > 1) retriedPuts++;
            });
        }),
      ),
    );
    const uploadSeconds = secondsSince(start);
    const runner = startRunner({
      sqs: clients.sqs,
      queueUrl: r.queueUrl,
      queueArn: r.queueArn,
      region: clients.region,
      settings,
      logger: silentRunnerLogger,
      handler: buildIngestHandler(config, {
        clients,
        logger: silentLogger,
        metrics: { add() {}, flush() {} },
      }),
    });
    start = performance.now();
    const deadline = Date.now() + 30 * 60_000;
    const queueLeft = async () => {
      const { Attributes = {} } = await clients.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: r.queueUrl, AttributeNames: ['All'] }),
      );
      return (
        Number(Attributes.ApproximateNumberOfMessages) +
        Number(Attributes.ApproximateNumberOfMessagesNotVisible)
      );
    };
    while (Date.now() < deadline) {
      if (runner.counters().messagesDeleted >= fileCount + 1 && (await queueLeft()) === 0) break;
      await new Promise((res) => setTimeout(res, 200));
    }
    const drainSeconds = secondsSince(start);
    await runner.stop();
    let records = 0;
    let startKey: Record<string, unknown> | undefined;
    for (let page = 0; page < 10_000; page++) {
      const out = await clients.dynamo.send(
        new ScanCommand({
          TableName: r.tableName,
          Select: 'COUNT',
          FilterExpression: 'recordType = :upload',
          ExpressionAttributeValues: { ':upload': 'UPLOAD' },
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      records += out.Count ?? 0;
      startKey = out.LastEvaluatedKey;
      if (!startKey) break;
    }
    console.log(
      JSON.stringify({
        files: fileCount,
        uploadPerSecond: Math.round(fileCount / uploadSeconds),
        drainSeconds: Number(drainSeconds.toFixed(1)),
        drainPerSecond: Math.round(fileCount / drainSeconds),
        records,
        queueLeft: await queueLeft(),
        retriedPuts,
        extraMessages: runner.counters().messagesReceived - (fileCount + 1),
        runner: runner.counters(),
      }),
    );
  } finally {
    await moto.stop();
  }
};

if (!skip.has('moto')) await benchMoto();
if (!skip.has('drain')) await benchDrain();
