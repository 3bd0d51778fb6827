/**
 * `npm run bench`: floor, Silent Scalper and the naive baseline side by side, in one run, on one moto
 * server, with the same files, for small (4 KB) and large (50 MB) files.
 *
 * Per size and variant: reset moto (this run's own server), provision the local resources, empty the queue
 * of the notification test event, upload the files (each PUT queues one S3 event), then start the variant
 * in its own child process (so peak RSS is per variant) and time it until every file is done. The parent
 * then checks the table holds one record per file. Every variant runs `--repeats` times (default 3),
 * interleaved (floor, Silent Scalper, naive, floor, …) so a change in the machine's load hits all of them
 * alike; the goals are judged on the medians. Silent Scalper's files/s is its steady state (full batches,
 * from the first invocation to the last full batch's end); its fixed waits (start-up, and the last partial
 * batch waiting out the batching window) are reported apart, since they do not grow with the dump. The
 * machine's load average is printed at the start and the end (a warning when the start is above 0.5: the
 * end always includes the run's own processes). Prints the tables and
 * the goals; writes `artifacts/bench/<time>.json` and `.md`. Exits 1 when a variant fails to do the job (not
 * for missed goals: those are reported, with the figures).
 *
 * Options: --small-files N (default 400) --large-files N (default 30) --large-mb N (default 50)
 *          --repeats N (default 3) --sizes small,large --variants floor,silent-scalper,naive
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetQueueAttributesCommand, PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { FileKind, fileBody } from '../load-tests/fileMix.ts';
import { type AwsClients, createAwsClients } from '../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../src/config/settings.ts';
import { PRICES } from '../src/cost/prices.ts';
import { type MotoServer, startMoto } from '../src/local/moto/motoServer.ts';
import { type LocalResources, provisionLocal } from '../src/local/provision.ts';
import { serviceTotal } from './requestCounter.ts';
import { BenchVariant, RESULT_PREFIX, type VariantResult } from './types.ts';

const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    'small-files': { type: 'string', default: '400' },
    // A multiple of the batch size, so the steady state has full batches to measure.
    'large-files': { type: 'string', default: '30' },
    repeats: { type: 'string', default: '3' },
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

const REPEATS = Math.max(1, Number(values.repeats));
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

/** One run of one variant. */
interface Row {
  readonly size: SizeClass;
  readonly repeat: number;
  readonly result: VariantResult;
  /** Steady-state files/s (Silent Scalper: full batches only), the figure the goals use. */
  readonly filesPerSecond: number;
}

/** Steady-state files/s: full batches between the first invocation and the last full batch, else overall. */
const steadyRate = (result: VariantResult): number => {
  const w = result.fixedWaits;
  if (w && w.steadyFiles > 0 && w.steadyMs > 0) return w.steadyFiles / (w.steadyMs / 1000);
  return result.files / (result.elapsedMs / 1000);
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

/** min / median / max of a figure over the repeats of one size and variant. */
const spread = (values: readonly number[]) => ({
  min: Math.min(...values),
  median: median(values),
  max: Math.max(...values),
});

const perFile = (value: number, files: number) => (files > 0 ? value / files : Number.NaN);
const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);
const humanBytes = (bytes: number) =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.round(bytes)} B`;

const sizeLabel = (size: SizeClass) =>
  `${size.name} (${size.bytes >= 1024 * 1024 ? `${mb(size.bytes)} MB` : `${size.bytes / 1024} KB`})`;

/** min / median / max files/s per size and variant. */
const summaryOf = (rows: readonly Row[]): string => {
  const lines: string[] = [];
  for (const size of SIZES)
    for (const variant of VARIANTS) {
      const runs = rows.filter((r) => r.size === size && r.result.variant === variant);
      if (runs.length === 0) continue;
      const f = spread(runs.map((r) => r.filesPerSecond));
      lines.push(
        `| ${sizeLabel(size)} | ${variant} | ${runs.length} | ${f.min.toFixed(1)} | **${f.median.toFixed(1)}** | ${f.max.toFixed(1)} |`,
      );
    }
  return [
    '| files | variant | runs | files/s min | median | max |',
    '|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
};

const tableOf = (rows: readonly Row[]): string => {
  const header =
    '| files | variant | run | n | seconds | files/s (steady) | fixed waits: start-up + tail | S3 req/file | DynamoDB req/file | SQS req/file | SNS req/file | bytes read/file | CPU ms/file | peak RSS |';
  const lines = rows.map(({ size, repeat, result, filesPerSecond }) => {
    const c = result.counts;
    const n = result.files;
    const w = result.fixedWaits;
    const waits = w
      ? `${(w.startupMs / 1000).toFixed(2)} + ${(w.tailMs / 1000).toFixed(2)} s (${(((w.startupMs + w.tailMs) / result.elapsedMs) * 100).toFixed(0)} % of the run)`
      : 'none (no batching)';
    return `| ${sizeLabel(size)} | ${result.variant} | ${repeat} | ${n} | ${(result.elapsedMs / 1000).toFixed(2)} | ${filesPerSecond.toFixed(1)} | ${waits} | ${perFile(serviceTotal(c, 's3'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'dynamodb'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'sqs'), n).toFixed(2)} | ${perFile(serviceTotal(c, 'sns'), n).toFixed(2)} | ${humanBytes(perFile(c.s3BytesRead, n))} | ${perFile(result.cpuMs, n).toFixed(2)} | ${mb(result.peakRssBytes)} MB |`;
  });
  return [header, `|${'---|'.repeat(14)}`, ...lines].join('\n');
};

/** The goals (issue 15), judged on the medians of the repeats, each with its figure and verdict. */
const goalsOf = (rows: readonly Row[], rssControl: readonly Row[]): string[] => {
  const runs = (size: string, variant: BenchVariant) =>
    rows.filter((r) => r.size.name === size && r.result.variant === variant);
  const med = (list: readonly Row[], figure: (r: Row) => number) => median(list.map(figure));
  const lines: string[] = [];
  const verdict = (ok: boolean) => (ok ? 'MET' : 'MISSED');
  for (const size of ['small', 'large']) {
    const ss = runs(size, BenchVariant.SILENT_SCALPER);
    const floor = runs(size, BenchVariant.FLOOR);
    if (ss.length > 0 && floor.length > 0) {
      const ratio = med(ss, (r) => r.filesPerSecond) / med(floor, (r) => r.filesPerSecond);
      lines.push(
        `${verdict(ratio >= 0.8)}: Silent Scalper ≥ 0.8 × floor files/s (${size}, medians): ${ratio.toFixed(2)} ×`,
      );
    }
  }
  const ssLarge = runs('large', BenchVariant.SILENT_SCALPER);
  const ssSmall = runs('small', BenchVariant.SILENT_SCALPER);
  const naiveLarge = runs('large', BenchVariant.NAIVE);
  if (ssLarge.length > 0 && naiveLarge.length > 0) {
    const ratio = med(ssLarge, (r) => r.filesPerSecond) / med(naiveLarge, (r) => r.filesPerSecond);
    lines.push(`info: Silent Scalper vs naive files/s (large, medians): ${ratio.toFixed(2)} ×`);
    // What the naive way would cost on AWS: it streams every byte through the function, billed as duration
    // (S3 → Lambda in one region has no transfer charge): wall time × busy workers × memory.
    const naiveBytes = med(naiveLarge, (r) => perFile(r.result.counts.s3BytesRead, r.result.files));
    const naiveGbs = med(
      naiveLarge,
      (r) =>
        ((r.result.elapsedMs / 1000) * settings.maxConcurrency * (settings.memorySizeMb / 1024)) /
        r.result.files,
    );
    const ssGbs = med(
      ssLarge,
      (r) =>
        ((r.result.elapsedMs / 1000) * settings.maxConcurrency * (settings.memorySizeMb / 1024)) /
        r.result.files,
    );
    lines.push(
      `info: naive on AWS (large): ${humanBytes(naiveBytes)} read per file, ≈ ${(naiveGbs * 1e6).toFixed(0)} GB-s per million files ≈ $${(naiveGbs * 1e6 * PRICES.lambda.arm64PerGbSecond).toFixed(2)} (Silent Scalper, same estimate: ≈ ${(ssGbs * 1e6).toFixed(0)} GB-s ≈ $${(ssGbs * 1e6 * PRICES.lambda.arm64PerGbSecond).toFixed(2)}; wall time × ${settings.maxConcurrency} workers × ${settings.memorySizeMb} MB, an upper bound)`,
    );
  }
  if (ssSmall.length > 0 && ssLarge.length > 0) {
    const small = med(ssSmall, (r) => perFile(r.result.counts.s3BytesRead, r.result.files));
    const large = med(ssLarge, (r) => perFile(r.result.counts.s3BytesRead, r.result.files));
    lines.push(
      `${verdict(large <= small * 1.05 && large <= 64 * 1024)}: bytes read per file independent of size: ${Math.round(small)} B (4 KB files) vs ${Math.round(large)} B (${mb(ssLarge[0]?.size.bytes ?? 0)} MB files)`,
    );
    const rssLarge = med(ssLarge, (r) => r.result.peakRssBytes);
    if (rssControl.length > 0) {
      const rssSmall = med(rssControl, (r) => r.result.peakRssBytes);
      const change = (rssLarge - rssSmall) / rssSmall;
      lines.push(
        `${verdict(Math.abs(change) <= 0.1)}: runner peak RSS flat across sizes (within 10 %, ${ssLarge[0]?.result.files} files each, medians): ${mb(rssSmall)} MB vs ${mb(rssLarge)} MB (${(change * 100).toFixed(1)} %)`,
      );
    }
  }
  return lines;
};

const main = async (): Promise<number> => {
  const startedAt = new Date();
  const loadAtStart = loadavg();
  log(`load average at start: ${loadAtStart.map((l) => l.toFixed(2)).join(' ')} (1, 5, 15 min)`);
  if ((loadAtStart[0] ?? 0) > 0.5)
    log('WARNING: load average > 0.5: the machine is busy; figures are not the quiet-machine ones');
  const moto = await startMoto();
  const clients = createAwsClients({ endpoint: moto.endpoint }, false);
  const rows: Row[] = [];
  const rssControl: Row[] = [];
  try {
    const measure = async (
      size: SizeClass,
      variant: BenchVariant,
      bodies: readonly Uint8Array[],
      repeat: number,
    ) => {
      log(`${size.name} run ${repeat}: uploading ${size.files} files for ${variant}`);
      const resources = await prepare(moto, clients, size, bodies);
      log(`${size.name} run ${repeat}: running ${variant}`);
      const result = await runVariant(variant, moto.endpoint, size.files, resources);
      const recorded = await countRecords(clients, resources.tableName);
      if (result.files !== size.files || recorded !== size.files)
        throw new Error(
          `${variant} (${size.name}) did not do the job: ${result.files} files handled, ${recorded} records for ${size.files} files`,
        );
      const row: Row = { size, repeat, result, filesPerSecond: steadyRate(result) };
      log(
        `${size.name} run ${repeat} ${variant}: ${row.filesPerSecond.toFixed(1)} files/s, peak RSS ${mb(result.peakRssBytes)} MB`,
      );
      return row;
    };
    const large = SIZES.find((s) => s.name === 'large');
    for (const size of SIZES) {
      log(`generating ${KINDS.length} ${size.name} bodies of ${size.bytes} bytes`);
      const bodies = KINDS.map((kind) => fileBody(kind, size.bytes));
      for (let repeat = 1; repeat <= REPEATS; repeat++) {
        for (const variant of VARIANTS) rows.push(await measure(size, variant, bodies, repeat));
        // Peak RSS grows with the number of files a process handles (a bigger V8 heap between
        // collections), so the size goal compares the runner on the SAME number of 4 KB and large files.
        if (size.name === 'small' && large && VARIANTS.includes(BenchVariant.SILENT_SCALPER)) {
          const control: SizeClass = { name: 'small', bytes: 4 * 1024, files: large.files };
          rssControl.push(await measure(control, BenchVariant.SILENT_SCALPER, bodies, repeat));
        }
      }
    }
  } finally {
    await moto.stop();
  }
  const loadAtEnd = loadavg();
  const loadLine = `Load average (1, 5, 15 min) at start: ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}; at end: ${loadAtEnd.map((l) => l.toFixed(2)).join(', ')}${(loadAtStart[0] ?? 0) > 0.5 ? ' — WARNING: above 0.5 at the start, a busy machine' : " — a quiet machine at the start (the end includes this run's own moto and variants)"}.`;
  const table = tableOf([...rows, ...rssControl]);
  const summary = summaryOf(rows);
  const goals = goalsOf(rows, rssControl);
  const text = `${loadLine}\n\n${summary}\n\n${table}\n\n${goals.map((g) => `- ${g}`).join('\n')}`;
  console.log(`\n${text}`);
  const outDir = join(projectRoot, 'artifacts', 'bench');
  mkdirSync(outDir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  writeFileSync(
    join(outDir, `${stamp}.json`),
    `${JSON.stringify({ startedAt, loadAtStart, loadAtEnd, rows, rssControl, goals }, null, 2)}\n`,
  );
  writeFileSync(join(outDir, `${stamp}.md`), `${text}\n`);
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
