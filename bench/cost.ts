/**
 * `npm run cost`: what a million files would cost on AWS at the default settings, from counts of a real run.
 *
 * A representative dump (the load test's file mix: PNG/JPEG/PDF/gzip/CSV/JSON of realistic sizes, with
 * `--bad-percent` files the policy rejects) is uploaded to a private moto, then drained by the local runner
 * driving the real ingest handler with its real logger and metrics at the default level. Middleware on the
 * handler's clients counts every request (bench/requestCounter.ts) and observes what the bill depends on:
 * SQS payload sizes (64 KiB chunks), the items DynamoDB is asked to write (sized by DynamoDB's rules, for
 * the table and the index each lands in), SNS publishes. The runner measures each invocation's duration
 * (billed as Lambda GB-seconds at the configured memory, arm64); what the logger and the EMF metrics write
 * to stdout is captured and counted as CloudWatch Logs ingestion. Then one page of each CLI listing, one
 * `status`, one `show` and one dashboard refresh are run and their read units counted.
 *
 * Prices: src/cost/prices.ts (one file, dated). Prints one table per million files; writes
 * artifacts/cost/<time>.md. Options: --files N (default 1000), --bad-percent P (default 1).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { drawKind, FileKind, generateFile, KIND_SPECS, seededRandom } from '../load-tests/fileMix.ts';
import { startHandlerRunner } from '../load-tests/pipeline.ts';
import { type AwsClients, createAwsClients } from '../src/adapters/awsClients.ts';
import { createPowertoolsLogger, createPowertoolsMetrics } from '../src/adapters/powertools.ts';
import { resolvePipelineSettings, TABLE_SCHEMA } from '../src/config/settings.ts';
import { dynamoItemSize, readUnits, writeUnits } from '../src/cost/dynamoItemSize.ts';
import { PRICES } from '../src/cost/prices.ts';
import { LiveView } from '../src/dashboard/liveView.ts';
import { startMoto } from '../src/local/moto/motoServer.ts';
import { provisionLocal } from '../src/local/provision.ts';
import { FileStatus } from '../src/pipeline/constants.ts';
import { countFiles, fileHistory, listFiles, queueStats } from '../src/tracking/index.ts';
import { countRequests } from './requestCounter.ts';

const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '1000' },
    'bad-percent': { type: 'string', default: '1' },
  },
});
const FILES = Number(values.files);
const BAD_PERCENT = Number(values['bad-percent']);
const defaults = resolvePipelineSettings();
/**
 * The drain runs at the lowest concurrency AWS allows (2) instead of the default 5: an invocation's
 * duration is what Lambda bills, and on AWS it does not include waiting behind the pipeline's other
 * invocations inside one single-threaded local emulator (S3 and DynamoDB serve them in parallel). Every
 * other setting is the default.
 */
const settings = { ...defaults, maxConcurrency: 2 };
/**
 * Lambda writes START, END and REPORT lines per invocation to the function's log group; they are not
 * produced locally. Modeled at 400 bytes (a REPORT line with its figures is ≈ 250 bytes).
 */
const LAMBDA_PLATFORM_LOG_BYTES = 400;

const log = (line: string) => process.stderr.write(`cost: ${line}\n`);

/** What the bill depends on, besides request counts. */
interface Observed {
  sqsChunks: Record<string, number>;
  notificationChunks: number;
  dynamo: {
    uploadItems: number;
    uploadBytes: number;
    manifestItems: number;
    manifestBytes: number;
    manifestFiles: number;
    tableWriteUnits: number;
    indexWriteUnits: number;
    indexItems: number;
  };
  readBytesByQuery: number[];
  snsChunks: number;
}

type Stack = {
  add(mw: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void;
};

/** A command's input or output as the SDK hands it to middleware (shapes differ per command). */
// biome-ignore lint/suspicious/noExplicitAny: middleware sees every command's shape; each use checks what it reads.
type Shape = Record<string, any> | undefined;

const chunksOf = (bytes: number) => Math.max(1, Math.ceil(bytes / PRICES.sqs.chunkBytes));

/** Observe inputs and outputs of the handler's and the readers' clients (initialize step: parsed shapes). */
const observe = (clients: AwsClients, observed: Observed): void => {
  const add = (stack: unknown, fn: (command: string, input: Shape, output: Shape) => void) =>
    (stack as Stack).add(
      (next: (args: unknown) => Promise<{ output: unknown }>, context: { commandName?: string }) =>
        async (args: { input: unknown }) => {
          const result = await next(args);
          fn(
            (context.commandName ?? '').replace(/Command$/, ''),
            args.input as Shape,
            result.output as Shape,
          );
          return result;
        },
      { step: 'initialize', name: 'costObserver', override: true },
    );
  add(clients.sqs.middlewareStack, (command, input, output) => {
    let bytes = 0;
    if (command === 'ReceiveMessage') {
      const messages = (output?.Messages ?? []) as { Body?: string }[];
      for (const m of messages) {
        const body = Buffer.byteLength(m.Body ?? '', 'utf8');
        bytes += body;
        // Each message arrived through one S3 notification SendMessage (billed to the queue owner).
        if ((m as { Attributes?: Record<string, string> }).Attributes?.ApproximateReceiveCount === '1')
          observed.notificationChunks += chunksOf(body);
      }
      if (messages.length === 0) command = 'ReceiveMessage (empty)';
    } else if (command === 'SendMessage') bytes = Buffer.byteLength(String(input?.MessageBody ?? ''), 'utf8');
    observed.sqsChunks[command] = (observed.sqsChunks[command] ?? 0) + chunksOf(bytes);
  });
  add(clients.dynamo.middlewareStack, (command, input, output) => {
    const items: Record<string, unknown>[] = [];
    if (command === 'BatchWrite' || command === 'BatchWriteItem') {
      for (const requests of Object.values(input?.RequestItems ?? {}) as {
        PutRequest?: { Item?: object };
      }[][])
        for (const r of requests)
          if (r.PutRequest?.Item) items.push(r.PutRequest.Item as Record<string, unknown>);
    } else if (command === 'Put' || command === 'PutItem') items.push(input?.Item ?? {});
    for (const item of items) {
      const bytes = dynamoItemSize(item);
      const d = observed.dynamo;
      d.tableWriteUnits += writeUnits(bytes);
      if (item.recordType === 'BATCH') {
        d.manifestItems += 1;
        d.manifestBytes += bytes;
        d.manifestFiles += Array.isArray(item.files) ? item.files.length : 0;
      } else if (item.recordType === 'UPLOAD') {
        d.uploadItems += 1;
        d.uploadBytes += bytes;
      }
      // The byStatus index projects ALL: an item with its key attributes lands there at its full size.
      const index = TABLE_SCHEMA.indexes.byStatus;
      if (item[index.partitionKey] !== undefined && item[index.sortKey] !== undefined) {
        d.indexItems += 1;
        d.indexWriteUnits += writeUnits(bytes);
      }
    }
    if (command === 'Query' || command === 'GetItem') {
      const read = (
        (output?.Items ?? (output?.Item ? [output.Item] : [])) as Record<string, unknown>[]
      ).reduce((sum, item) => sum + dynamoItemSize(item), 0);
      observed.readBytesByQuery.push(read);
    }
  });
  add(clients.sns.middlewareStack, (_command, input) => {
    observed.snsChunks += chunksOf(Buffer.byteLength(String(input?.Message ?? ''), 'utf8'));
  });
};

const newObserved = (): Observed => ({
  sqsChunks: {},
  notificationChunks: 0,
  dynamo: {
    uploadItems: 0,
    uploadBytes: 0,
    manifestItems: 0,
    manifestBytes: 0,
    manifestFiles: 0,
    tableWriteUnits: 0,
    indexWriteUnits: 0,
    indexItems: 0,
  },
  readBytesByQuery: [],
  snsChunks: 0,
});

/** Capture what the process writes to stdout (the logger's JSON lines and the EMF lines) without printing it. */
const captureStdout = () => {
  const original = process.stdout.write.bind(process.stdout);
  const captured = { logBytes: 0, logLines: 0, emfBytes: 0, emfLines: 0, metricNames: new Set<string>() };
  process.stdout.write = ((chunk: string | Uint8Array) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line) continue;
      const bytes = Buffer.byteLength(line, 'utf8') + 1;
      if (line.includes('"_aws"')) {
        captured.emfBytes += bytes;
        captured.emfLines += 1;
        try {
          const parsed = JSON.parse(line) as {
            _aws?: { CloudWatchMetrics?: { Metrics?: { Name: string }[]; Dimensions?: string[][] }[] };
          };
          for (const group of parsed._aws?.CloudWatchMetrics ?? [])
            for (const metric of group.Metrics ?? [])
              captured.metricNames.add(`${metric.Name}/${JSON.stringify(group.Dimensions ?? [])}`);
        } catch {}
      } else {
        captured.logBytes += bytes;
        captured.logLines += 1;
      }
    }
    return true;
  }) as typeof process.stdout.write;
  return { captured, restore: () => (process.stdout.write = original) };
};

const GOOD_KINDS = Object.values(FileKind).filter(
  (k) => KIND_SPECS[k].expected.status === FileStatus.PROCESSED,
);
const BAD_KINDS = Object.values(FileKind).filter(
  (k) => KIND_SPECS[k].expected.status !== FileStatus.PROCESSED,
);

const upload = async (clients: AwsClients, bucket: string): Promise<{ bad: number }> => {
  const random = seededRandom(15);
  let next = 0;
  let bad = 0;
  const one = async () => {
    while (next < FILES) {
      const i = next++;
      let kind = drawKind(random);
      const wantBad = random() * 100 < BAD_PERCENT;
      if (wantBad && !BAD_KINDS.includes(kind)) kind = BAD_KINDS[i % BAD_KINDS.length] ?? kind;
      if (!wantBad && BAD_KINDS.includes(kind)) kind = GOOD_KINDS[i % GOOD_KINDS.length] ?? kind;
      if (wantBad) bad += 1;
      const file = generateFile({
        prefix: 'dumps/2026-12-01',
        sequence: String(i).padStart(6, '0'),
        random,
        kind,
      });
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: file.key,
          Body: file.body,
          ContentType: file.contentType,
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, one));
  return { bad };
};

const usd = (value: number) =>
  value >= 0.01 || value === 0 ? `$${value.toFixed(2)}` : `$${value.toPrecision(2)}`;
const fixed = (value: number, digits = 3) => Number(value.toFixed(digits)).toLocaleString('en-US');

const main = async (): Promise<number> => {
  const startedAt = new Date();
  const loadBefore = loadavg()[0] ?? 0;
  if (loadBefore > 0.5)
    log(`WARNING: load average ${loadBefore.toFixed(2)} > 0.5: Lambda durations measured now are inflated`);
  const moto = await startMoto();
  try {
    const admin = createAwsClients({ endpoint: moto.endpoint }, false);
    const resources = await provisionLocal({ clients: admin, settings });
    await admin.sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queueUrl }));
    log(`uploading ${FILES} files (${BAD_PERCENT} % the policy rejects)`);
    const { bad } = await upload(admin, resources.inputBucket);
    for (let waited = 0; ; waited += 200) {
      const { Attributes = {} } = await admin.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: resources.queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages'],
        }),
      );
      if (Number(Attributes.ApproximateNumberOfMessages ?? 0) >= FILES) break;
      if (waited > 120_000) throw new Error('the uploads did not all reach the queue');
      await new Promise((r) => setTimeout(r, 200));
    }

    // The pipeline, on its own counted and observed clients.
    const clients = createAwsClients({ endpoint: moto.endpoint }, false);
    const counts = countRequests(clients);
    const observed = newObserved();
    observe(clients, observed);
    const durations: number[] = [];
    log('draining the queue with the runner and the real handler (logs and metrics captured)');
    const stdout = captureStdout();
    let done: () => void = () => {};
    const drained = new Promise<void>((r) => {
      done = r;
    });
    const runner = startHandlerRunner({
      clients,
      resources,
      settings,
      logger: createPowertoolsLogger(),
      metrics: createPowertoolsMetrics(),
      onBatch: (result) => {
        durations.push(result.durationMs);
        if (runner.counters().messagesDeleted >= FILES) done();
      },
    });
    const timer = setTimeout(done, 15 * 60_000);
    await drained;
    clearTimeout(timer);
    await runner.stop();
    stdout.restore();
    const deleted = runner.counters().messagesDeleted;
    if (deleted < FILES) throw new Error(`only ${deleted} of ${FILES} files done within 15 minutes`);
    const pipeline = structuredClone({ requests: counts.requests, observed });

    // The read side: one page of each listing, a status, a show and a dashboard refresh.
    const reads = async (what: string, fn: () => Promise<unknown>) => {
      const from = observed.readBytesByQuery.length;
      const sqsBefore = Object.values(counts.requests.sqs ?? {}).reduce((a, b) => a + b, 0);
      await fn();
      const queries = observed.readBytesByQuery.slice(from);
      const units = queries.reduce((sum, bytes) => sum + readUnits(bytes), 0);
      const sqs = Object.values(counts.requests.sqs ?? {}).reduce((a, b) => a + b, 0) - sqsBefore;
      const cost =
        (units * PRICES.dynamodb.perMillionReadUnits) / 1e6 + (sqs * PRICES.sqs.perMillionRequests) / 1e6;
      return { what, queries: queries.length, units, sqs, cost };
    };
    const table = resources.tableName;
    const firstKey = (await listFiles(clients.dynamo, table, { limit: 1 })).items[0]?.key ?? '';
    const view = new LiveView({ dynamo: clients.dynamo, tableName: table, now: () => Date.now() });
    const readRows = [
      await reads('`files` page (20, all statuses)', () => listFiles(clients.dynamo, table, { limit: 20 })),
      await reads('`files --status PROCESSED` page (20)', () =>
        listFiles(clients.dynamo, table, { limit: 20, status: FileStatus.PROCESSED }),
      ),
      await reads('`files --status QUARANTINED` page (20)', () =>
        listFiles(clients.dynamo, table, { limit: 20, status: FileStatus.QUARANTINED }),
      ),
      await reads(`\`status\` (counts over the last 24 h: ${FILES} files)`, () =>
        Promise.all([
          countFiles(clients.dynamo, table, { since: new Date(Date.now() - 86_400_000) }),
          queueStats(clients.sqs, resources.queueUrl, resources.dlqUrl),
        ]),
      ),
      await reads('`show <key>` (one file history)', () =>
        fileHistory(clients.dynamo, table, 'silent-scalper-input', firstKey),
      ),
      await reads(`dashboard initial load (${FILES} files)`, () => view.load()),
      await reads('dashboard refresh (new records + queue depths)', () =>
        Promise.all([view.refresh(), queueStats(clients.sqs, resources.queueUrl, resources.dlqUrl)]),
      ),
    ];

    // The bill, per million files.
    const scale = 1e6 / FILES;
    const r = pipeline.requests;
    const o = pipeline.observed;
    const s3 = r.s3 ?? {};
    const s3Get = (s3.GetObject ?? 0) + (s3.HeadObject ?? 0);
    const s3Put = Object.entries(s3)
      .filter(([c]) => !['GetObject', 'HeadObject', 'DeleteObject', 'DeleteObjects'].includes(c))
      .reduce((sum, [, n]) => sum + n, 0);
    const s3Delete = (s3.DeleteObject ?? 0) + (s3.DeleteObjects ?? 0);
    const sqsChunks = Object.entries(o.sqsChunks)
      .filter(([c]) => c !== 'ReceiveMessage (empty)')
      .reduce((sum, [, n]) => sum + n, 0);
    const emptyReceives = o.sqsChunks['ReceiveMessage (empty)'] ?? 0;
    const invocations = durations.length;
    const memoryGb = settings.memorySizeMb / 1024;
    const gbSeconds = durations.reduce((sum, ms) => sum + Math.ceil(ms) / 1000, 0) * memoryGb;
    const logBytes = stdout.captured.logBytes + invocations * LAMBDA_PLATFORM_LOG_BYTES;
    const gb = 1024 ** 3;
    const describeS3 = Object.entries(s3)
      .map(([c, n]) => `${c} ${fixed(n / FILES)}`)
      .join(', ');
    const lines: [string, string, number][] = [
      [
        'SQS requests',
        `${fixed(o.notificationChunks / FILES)} S3 notification send(s) + ${fixed(sqsChunks / FILES)} receive/delete/send (64 KiB chunks) per file × $${PRICES.sqs.perMillionRequests}/M`,
        ((o.notificationChunks + sqsChunks) * scale * PRICES.sqs.perMillionRequests) / 1e6,
      ],
      [
        'S3 GET/HEAD',
        `${fixed(s3Get / FILES)} per file (${describeS3}) × $${PRICES.s3.getPer1000}/1,000`,
        (s3Get * scale * PRICES.s3.getPer1000) / 1000,
      ],
      [
        'S3 PUT/COPY/POST/LIST',
        `${fixed(s3Put / FILES)} per file × $${PRICES.s3.putCopyPostListPer1000}/1,000 (DELETE ${fixed(s3Delete / FILES)} per file: free)`,
        (s3Put * scale * PRICES.s3.putCopyPostListPer1000) / 1000,
      ],
      [
        'DynamoDB writes: table',
        `${fixed(o.dynamo.tableWriteUnits / FILES)} WRU per file: upload items avg ${Math.round(o.dynamo.uploadBytes / Math.max(1, o.dynamo.uploadItems))} B, manifests avg ${Math.round(o.dynamo.manifestBytes / Math.max(1, o.dynamo.manifestItems))} B for ${fixed(o.dynamo.manifestFiles / Math.max(1, o.dynamo.manifestItems), 1)} files × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
        (o.dynamo.tableWriteUnits * scale * PRICES.dynamodb.perMillionWriteUnits) / 1e6,
      ],
      [
        'DynamoDB writes: byStatus index',
        `${fixed(o.dynamo.indexWriteUnits / FILES)} WRU per file (${o.dynamo.indexItems} of ${o.dynamo.uploadItems} items are QUARANTINED/GONE) × $${PRICES.dynamodb.perMillionWriteUnits}/M`,
        (o.dynamo.indexWriteUnits * scale * PRICES.dynamodb.perMillionWriteUnits) / 1e6,
      ],
      [
        'Lambda requests',
        `${fixed(invocations / FILES)} invocations per file (${fixed(FILES / Math.max(1, invocations), 1)} files each) × $${PRICES.lambda.perMillionRequests}/M`,
        (invocations * scale * PRICES.lambda.perMillionRequests) / 1e6,
      ],
      [
        'Lambda duration (arm64)',
        `${fixed(gbSeconds / FILES, 6)} GB-s per file: ${invocations} invocations, mean ${Math.round(durations.reduce((a, b) => a + b, 0) / Math.max(1, invocations))} ms at ${settings.memorySizeMb} MB × $${PRICES.lambda.arm64PerGbSecond}/GB-s`,
        gbSeconds * scale * PRICES.lambda.arm64PerGbSecond,
      ],
      [
        'CloudWatch Logs (logger)',
        `${fixed(logBytes / FILES, 0)} B per file (${stdout.captured.logLines} lines at the default level + ${LAMBDA_PLATFORM_LOG_BYTES} B of Lambda START/END/REPORT per invocation) × $${PRICES.cloudwatch.logsIngestPerGb}/GB`,
        ((logBytes * scale) / gb) * PRICES.cloudwatch.logsIngestPerGb,
      ],
      [
        'CloudWatch Logs (EMF metrics)',
        `${fixed(stdout.captured.emfBytes / FILES, 0)} B per file (${stdout.captured.emfLines} EMF lines) × $${PRICES.cloudwatch.logsIngestPerGb}/GB`,
        ((stdout.captured.emfBytes * scale) / gb) * PRICES.cloudwatch.logsIngestPerGb,
      ],
      [
        'SNS publishes',
        `${fixed(o.snsChunks / FILES)} per file (${o.snsChunks} alerts for ${bad} rejected files) × $${PRICES.sns.perMillionPublishes}/M`,
        (o.snsChunks * scale * PRICES.sns.perMillionPublishes) / 1e6,
      ],
    ];
    const total = lines.reduce((sum, [, , cost]) => sum + cost, 0);
    // Lambda's duration is the one line a local run cannot measure as AWS would bill it (every request
    // waits on one local emulator): state what each 100 ms of mean batch duration costs and where the goal lies.
    const durationLine = lines.find(([name]) => name.startsWith('Lambda duration'));
    const perMsPerBatch = (invocations / FILES) * 1e6 * (memoryGb / 1000) * PRICES.lambda.arm64PerGbSecond;
    const breakEvenMs = (2 - (total - (durationLine?.[2] ?? 0))) / perMsPerBatch;
    const loadAfter = loadavg()[0] ?? 0;
    const storageBytes = o.dynamo.uploadBytes + o.dynamo.manifestBytes;
    const out: string[] = [];
    out.push(
      `Cost per million files at the default settings (batch ${settings.batchSize}, window ${settings.maxBatchingWindowSeconds} s, ${settings.memorySizeMb} MB arm64), from a run of ${FILES} files (${bad} rejected by the policy), ${PRICES.region} prices of ${PRICES.checkedOn} (src/cost/prices.ts):`,
      '',
      '| line | per file, counted | per million files |',
      '| --- | --- | ---: |',
      ...lines.map(([name, detail, cost]) => `| ${name} | ${detail} | ${usd(cost)} |`),
      `| **total** | | **${usd(total)}** |`,
      '',
      `${total <= 2 ? 'MET' : 'MISSED'}: total ≤ $2.00 per million files: ${usd(total)}`,
      `Lambda duration: each 100 ms of mean invocation duration adds ${usd(perMsPerBatch * 100)} per million files; the total stays ≤ $2.00 while the mean stays ≤ ${Math.max(0, Math.floor(breakEvenMs))} ms (measured here: ${Math.round(durations.reduce((a, b) => a + b, 0) / Math.max(1, invocations))} ms, against a local emulator).`,
      `Machine load average (1 min) at start / end: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)}${loadBefore > 0.5 ? ' — a loaded machine: the Lambda duration line is an upper bound' : " — a quiet machine at the start (the end includes this run's own moto and runner)"}. The drain ran at maxConcurrency ${settings.maxConcurrency} (see bench/cost.ts).`,
      '',
      'Not per file (fixed or per month):',
      `- DynamoDB storage: ${fixed(storageBytes / FILES, 0)} B per file → ${usd(((storageBytes * scale) / gb) * PRICES.dynamodb.storagePerGbMonth)} per million files per month kept (+ ${usd(((storageBytes * scale) / gb) * PRICES.dynamodb.pitrPerGbMonth)} PITR)`,
      `- custom metrics: ${stdout.captured.metricNames.size} metric/dimension combinations × $${PRICES.cloudwatch.customMetricPerMonth} = ${usd(stdout.captured.metricNames.size * PRICES.cloudwatch.customMetricPerMonth)} per month`,
      `- idle polling: the runner made ${emptyReceives} empty receives during this run; Lambda's pollers long-poll while the queue is empty (a fixed monthly cost, not per file)`,
      '',
      'Reads (eventually consistent; read units from the items each query returned):',
      '',
      '| action | DynamoDB queries | read units | SQS requests | cost | per million |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...readRows.map(
        (x) => `| ${x.what} | ${x.queries} | ${x.units} | ${x.sqs} | ${usd(x.cost)} | ${usd(x.cost * 1e6)} |`,
      ),
    );
    const text = out.join('\n');
    console.log(text);
    const dir = join(projectRoot, 'artifacts', 'cost');
    mkdirSync(dir, { recursive: true });
    const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
    writeFileSync(join(dir, `${stamp}.md`), `${text}\n`);
    writeFileSync(
      join(dir, `${stamp}.json`),
      `${JSON.stringify({ files: FILES, bad, requests: r, observed: o, durations, captured: { ...stdout.captured, metricNames: [...stdout.captured.metricNames] }, readRows, total }, null, 2)}\n`,
    );
    log(`results in artifacts/cost/${stamp}.{md,json}`);
    return 0;
  } finally {
    await moto.stop();
  }
};

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`cost: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
process.exit(exitCode);
