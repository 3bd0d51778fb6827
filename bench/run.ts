/**
 * `npm run bench`: floor, Silent Scalper and the naive baseline side by side, in one run, on one moto
 * server, with the same files, for small (4 KB) and large (50 MB) files.
 *
 * Per size and variant: reset moto (this run's own server), provision the local resources, empty the queue
 * of the notification test event, upload the files (each PUT queues one S3 event), then start the variant
 * in its own child process (so peak RSS is per variant) and time it until every file is done. The parent
 * then checks the table holds one record per file. Prints one table and the goals; writes
 * `artifacts/bench/<time>.json` and `.md`. Exits 1 when a variant fails to do the job (not for missed goals:
 * those are reported, with the figures).
 *
 * Options: --small-files N (default 400) --large-files N (default 24) --large-mb N (default 50)
 *          --sizes small,large --variants floor,silent-scalper,naive
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FileKind, fileBody } from '../load-tests/fileMix.ts';
import { type AwsClients, createAwsClients } from '../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../src/config/settings.ts';
import { type MotoServer, startMoto } from '../src/local/moto/motoServer.ts';
import { type LocalResources, provisionLocal } from '../src/local/provision.ts';
import { serviceTotal } from './requestCounter.ts';
import { BenchVariant, RESULT_PREFIX, type VariantResult } from './types.ts';

const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    'small-files': { type: 'string', default: '400' },
    'large-files': { type: 'string', default: '24' },
    'large-mb': { type: 'string', default: '50' },
    sizes: { type: 'string', default: 'small,large' },
    variants: { type: 'string', default: 'floor,silent-scalper,naive' },
  },
});

/** One size class of the benchmark. */
interface SizeClass {
  readonly name: 'small' | 'large';
  readonly bytes: number;
  readonly files: number;
}

const SIZES: readonly SizeClass[] = [
  { name: 'small', bytes: 4 * 1024, files: Number(values['small-files']) },
  { name: 'large', bytes: Number(values['large-mb']) * 1024 * 1024, files: Number(values['large-files']) },
].filter((s) => (values.sizes ?? '').split(',').includes(s.name)) as SizeClass[];
const VARIANTS = (values.variants ?? '')
  .split(',')
  .filter((v): v is BenchVariant => (Object.values(BenchVariant) as string[]).includes(v));

/** Kinds of the benchmark files: all accepted by the policy, so every variant does the same work. */
const KINDS = [FileKind.PNG, FileKind.JPEG, FileKind.PDF] as const;
const EXTENSIONS: Record<(typeof KINDS)[number], string> = { png: 'png', jpeg: 'jpg', pdf: 'pdf' };

const settings = resolvePipelineSettings();
/** Each child may take this long at most. */
const VARIANT_TIMEOUT_SECONDS = 600;

const log = (line: string) => console.log(`bench: ${line}`);

const resetMoto = async (moto: MotoServer): Promise<void> => {
  const response = await fetch(`${moto.endpoint}/moto-api/reset`, { method: 'POST' });
  if (!response.ok) throw new Error(`moto reset failed: HTTP ${response.status}`);
};

const queueDepth = async (clients: AwsClients, queueUrl: string): Promise<number> => {
  const { Attributes = {} } = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes.ApproximateNumberOfMessages ?? 0);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Provision afresh, drop the notification test event, upload the files and wait until all are queued. */
const prepare = async (
  moto: MotoServer,
  clients: AwsClients,
  size: SizeClass,
  bodies: readonly Uint8Array[],
): Promise<LocalResources> => {
  await resetMoto(moto);
  const resources = await provisionLocal({ clients, settings });
  await clients.sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queueUrl }));
  let next = 0;
  const uploader = async () => {
    while (next < size.files) {
      const i = next++;
      const kind = KINDS[i % KINDS.length] ?? FileKind.PNG;
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: resources.inputBucket,
          Key: `bench/${size.name}/file-${String(i).padStart(5, '0')}.${EXTENSIONS[kind]}`,
          Body: bodies[i % bodies.length],
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 4 }, uploader));
  for (let waited = 0; (await queueDepth(clients, resources.queueUrl)) < size.files; waited += 200) {
    if (waited > 60_000)
      throw new Error(`only ${await queueDepth(clients, resources.queueUrl)} events queued`);
    await sleep(200);
  }
  return resources;
};

/** Run one variant in a child process and parse its result line. */
const runVariant = (
  variant: BenchVariant,
  endpoint: string,
  files: number,
  resources: LocalResources,
): Promise<VariantResult> =>
  new Promise((resolveResult, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(projectRoot, 'bench', 'variant.ts'),
        '--variant',
        variant,
        '--endpoint',
        endpoint,
        '--files',
        String(files),
        '--resources',
        JSON.stringify(resources),
        '--timeout-seconds',
        String(VARIANT_TIMEOUT_SECONDS),
      ],
      { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk) => {
      stdout += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), (VARIANT_TIMEOUT_SECONDS + 60) * 1000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (code !== 0 || !line) return reject(new Error(`${variant} exited with ${code}:\n${stdout}`));
      resolveResult(JSON.parse(line.slice(RESULT_PREFIX.length)) as VariantResult);
    });
  });

/** Upload records in the table (the floor's minimal items included). */
const countRecords = async (clients: AwsClients, tableName: string): Promise<number> => {
  let count = 0;
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 1000; page++) {
    const out = await clients.dynamo.send(
      new ScanCommand({
        TableName: tableName,
        Select: 'COUNT',
        FilterExpression: 'contains(sk, :upload)',
        ExpressionAttributeValues: { ':upload': '#UPLOAD#' },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    count += out.Count ?? 0;
    start = out.LastEvaluatedKey;
    if (!start) break;
  }
  return count;
};

/** One row of the results table. */
interface Row {
  readonly size: SizeClass;
  readonly result: VariantResult;
  readonly filesPerSecond: number;
}

const perFile = (value: number, files: number) => (files > 0 ? value / files : Number.NaN);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const humanBytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes)} B`;

const tableOf = (rows: readonly Row[]): string => {
  const header =
    '| files | variant | n | seconds | files/s | S3 req/file | DynamoDB req/file | SQS req/file | SNS req/file | bytes read/file | CPU ms/file | peak RSS |';
  const lines = rows.map(({ size, result, filesPerSecond }) => {
    const c = result.counts;
    const n = result.files;
    return `| ${size.name} (${size.bytes >= 1024 * 1024 ? `${mb(size.bytes)} MB` : `${size.bytes / 1024} KB`}) | ${result.variant} | ${n} | ${(result.elapsedMs / 1000).toFixed(2)} | ${filesPerSecond.toFixed(1)} | ${perFile(serviceTotal(c, 's3'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'dynamodb'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'sqs'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'sns'), n).toFixed(2)} | ${humanBytes(perFile(c.s3BytesRead, n))} | ${perFile(result.cpuMs, n).toFixed(2)} | ${mb(result.peakRssBytes)} MB |`;
  });
  return [header, `|${'---|'.repeat(12)}`, ...lines].join('\n');
};

/** The goals of issue 6, each with the measured figure and whether it was met. */
const goalsOf = (rows: readonly Row[], rssControl?: Row): string[] => {
  const find = (size: string, variant: BenchVariant) =>
    rows.find((r) => r.size.name === size && r.result.variant === variant);
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  for (const size of ['small', 'large']) {
    const ss = find(size, BenchVariant.SILENT_SCALPER);
    const floor = find(size, BenchVariant.FLOOR);
    if (ss && floor) {
      const ratio = ss.filesPerSecond / floor.filesPerSecond;
      lines.push(
        `${verdict(ratio >= 0.6)}: Silent Scalper ≥ 0.6 × floor files/s (${size}): ${ratio.toFixed(2)} ×`,
      );
    }
  }
  const ssLarge = find('large', BenchVariant.SILENT_SCALPER);
  const naiveLarge = find('large', BenchVariant.NAIVE);
  if (ssLarge && naiveLarge) {
    const ratio = ssLarge.filesPerSecond / naiveLarge.filesPerSecond;
    lines.push(`${verdict(ratio >= 3)}: Silent Scalper ≥ 3 × naive files/s (large): ${ratio.toFixed(2)} ×`);
  }
  const ssSmall = find('small', BenchVariant.SILENT_SCALPER);
  if (ssSmall && ssLarge) {
    const small = perFile(ssSmall.result.counts.s3BytesRead, ssSmall.result.files);
    const large = perFile(ssLarge.result.counts.s3BytesRead, ssLarge.result.files);
    lines.push(
      `${verdict(large <= small * 1.05 && large <= 64 * 1024)}: bytes read per file independent of size: ${Math.round(small)} B (4 KB files) vs ${Math.round(large)} B (${mb(ssLarge.size.bytes)} MB files)`,
    );
    const rssLarge = ssLarge.result.peakRssBytes;
    const change = (from: Row) => (rssLarge - from.result.peakRssBytes) / from.result.peakRssBytes;
    if (rssControl) {
      lines.push(
        `${verdict(Math.abs(change(rssControl)) <= 0.1)}: runner peak RSS within 10 % between 4 KB and ${mb(ssLarge.size.bytes)} MB files (${ssLarge.result.files} files each): ${mb(rssControl.result.peakRssBytes)} MB vs ${mb(rssLarge)} MB (${(change(rssControl) * 100).toFixed(1)} %)`,
      );
    }
    lines.push(
      `info: runner peak RSS, ${ssSmall.result.files} × 4 KB vs ${ssLarge.result.files} × ${mb(ssLarge.size.bytes)} MB: ${mb(ssSmall.result.peakRssBytes)} MB vs ${mb(rssLarge)} MB (${(change(ssSmall) * 100).toFixed(1)} %)`,
    );
  }
  return lines;
};

const main = async (): Promise<number> => {
  const startedAt = new Date();
  const moto = await startMoto();
  const clients = createAwsClients({ endpoint: moto.endpoint }, false);
  const rows: Row[] = [];
  let rssControl: Row | undefined;
  try {
    const measure = async (size: SizeClass, variant: BenchVariant, bodies: readonly Uint8Array[]) => {
      log(`${size.name}: uploading ${size.files} files for ${variant}`);
      const resources = await prepare(moto, clients, size, bodies);
      log(`${size.name}: running ${variant}`);
      const result = await runVariant(variant, moto.endpoint, size.files, resources);
      const recorded = await countRecords(clients, resources.tableName);
      if (result.files !== size.files || recorded !== size.files)
        throw new Error(
          `${variant} (${size.name}) did not do the job: ${result.files} files handled, ${recorded} records for ${size.files} files`,
        );
      const row: Row = { size, result, filesPerSecond: result.files / (result.elapsedMs / 1000) };
      log(
        `${size.name} ${variant}: ${row.filesPerSecond.toFixed(1)} files/s, peak RSS ${mb(result.peakRssBytes)} MB`,
      );
      return row;
    };
    let smallBodies: Uint8Array[] = [];
    for (const size of SIZES) {
      log(`generating ${KINDS.length} ${size.name} bodies of ${size.bytes} bytes`);
      const bodies = KINDS.map((kind) => fileBody(kind, size.bytes));
      if (size.name === 'small') smallBodies = bodies;
      for (const variant of VARIANTS) rows.push(await measure(size, variant, bodies));
    }
    // Peak RSS grows with the number of files a process handles (a bigger V8 heap between collections),
    // so the size goal compares the runner on the SAME number of 4 KB and large files.
    const large = SIZES.find((s) => s.name === 'large');
    if (large && smallBodies.length > 0 && VARIANTS.includes(BenchVariant.SILENT_SCALPER)) {
      const control: SizeClass = { name: 'small', bytes: 4 * 1024, files: large.files };
      rssControl = await measure(control, BenchVariant.SILENT_SCALPER, smallBodies);
    }
  } finally {
    await moto.stop();
  }
  const table = tableOf(rssControl ? [...rows, rssControl] : rows);
  const goals = goalsOf(rows, rssControl);
  console.log(`\n${table}\n\n${goals.join('\n')}`);
  const outDir = join(projectRoot, 'artifacts', 'bench');
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    join(outDir, `${stamp}.json`),
    `${JSON.stringify({ startedAt, rows, rssControl, goals }, null, 2)}\n`,
  );
  writeFileSync(join(outDir, `${stamp}.md`), `${table}\n\n${goals.map((g) => `- ${g}`).join('\n')}\n`);
  log(`results in artifacts/bench/${stamp}.{json,md}`);
  return 0;
};

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  console.error(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
}
process.exit(exitCode);
