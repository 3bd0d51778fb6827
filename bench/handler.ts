/**
 * `npm run bench:handler` — the ingest handler over in-memory fakes of the AWS clients (the real adapters
 * and pipeline, no network), plus the esbuild bundle the CDK stack deploys. Prints one table of figures
 * with their goals; exits non-zero when a goal is missed.
 *
 * Options: --batches N (default 300) --batch-size N (default 10)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { silentLogger } from '../src/adapters/powertools.ts';
import { handlerEnvironment, loadHandlerConfig } from '../src/config/handlerConfig.ts';
import { buildIngestHandler } from '../src/handlers/ingest.ts';
import { storedZip } from '../src/local/policySamples.ts';
import type { MetricsPort } from '../src/pipeline/ports.ts';
import { EOCD_SEARCH_BYTES } from '../src/pipeline/zipDirectory.ts';
import {
  encodeS3EventKey,
  lambdaContext,
  realS3Record,
  s3EventBody,
  sqsEvent,
  sqsRecord,
} from '../test/helpers/events.ts';
import { createFakeAws } from '../test/helpers/fakeAws.ts';
import { type SampleKind, sampleFile } from '../test/helpers/files.ts';

const projectRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const { values } = parseArgs({
  options: { batches: { type: 'string', default: '300' }, 'batch-size': { type: 'string', default: '10' } },
});
const batches = Number(values.batches);
const batchSize = Number(values['batch-size']);

const config = loadHandlerConfig(
  handlerEnvironment({
    metadataTable: 'silent-scalper-files',
    quarantineBucket: 'silent-scalper-quarantine',
    alertsTopicArn: 'arn:aws:sns:us-east-1:123456789012:silent-scalper-alerts',
    dlqUrl: 'http://localhost/123456789012/silent-scalper-ingest-dlq',
    maxReceives: 5,
  }),
);
const noMetrics: MetricsPort = { add() {}, flush() {} };

/** A handler over fresh fakes, plus a function that uploads files and returns their SQS event. */
const rig = () => {
  const aws = createFakeAws();
  const handler = buildIngestHandler(config, {
    clients: aws.clients,
    logger: silentLogger,
    metrics: noMetrics,
  });
  let n = 0;
  const eventFor = (kinds: readonly SampleKind[], options: { size?: number; perMessage?: number } = {}) => {
    const records = kinds.map((kind) => {
      n += 1;
      const file = sampleFile(kind, { seed: n });
      const key = `bench/${n} file.${file.ext}`;
      const eTag = aws.s3.put('silent-scalper-input', key, file.bytes, {
        contentType: file.contentType,
        ...(options.size ? { size: options.size } : {}),
      });
      return realS3Record({
        encodedKey: encodeS3EventKey(key, true),
        size: options.size ?? file.bytes.length,
        eTag,
        sequencer: `${n}`,
      });
    });
    const perMessage = options.perMessage ?? 1;
    const messages = [];
    for (let i = 0; i < records.length; i += perMessage)
      messages.push(
        sqsRecord(s3EventBody(...records.slice(i, i + perMessage)), { sentTimestampMs: Date.now() }),
      );
    return sqsEvent(...messages);
  };
  return { aws, handler, eventFor };
};

const ctx = lambdaContext();
const happyKinds: SampleKind[] = ['png', 'jpeg', 'pdf', 'csv', 'json', 'txt', 'gif', 'zip'];
const kindsFor = (count: number) =>
  Array.from({ length: count }, (_, i) => happyKinds[i % happyKinds.length] as SampleKind);

// 1. Throughput on one core: happy-path batches, CPU time measured, so the figure is per core.
const throughput = rig();
await throughput.handler(throughput.eventFor(kindsFor(batchSize)), ctx); // warm-up (JIT, file-type tables)
const events = Array.from({ length: batches }, () => throughput.eventFor(kindsFor(batchSize)));
throughput.aws.s3.requests.clear();
throughput.aws.dynamo.requests.clear();
const cpuStart = process.cpuUsage();
const wallStart = performance.now();
for (const event of events) {
  const response = await throughput.handler(event, ctx);
  if (response.batchItemFailures.length > 0) throw new Error('benchmark batch reported failures');
}
const wallMs = performance.now() - wallStart;
const cpu = process.cpuUsage(cpuStart);
const cpuMs = (cpu.user + cpu.system) / 1000;
const files = batches * batchSize;
const s3PerFile = throughput.aws.s3.total() / files;
const dynamoPerFileDefault = throughput.aws.dynamo.count('BatchWriteCommand') / files;

// 2. DynamoDB requests per file for full batches: 100 messages, 250 files (25 per call at best).
const full = rig();
await full.handler(full.eventFor(kindsFor(250), { perMessage: 10 }), ctx);
const dynamoPerFileFull = full.aws.dynamo.count('BatchWriteCommand') / 250;

// 3. Bytes read for a 1 GiB object.
const big = rig();
await big.handler(big.eventFor(['pdf'], { size: 1024 ** 3 }), ctx);
const bytesPerGiB = big.aws.s3.bytesServed;

// 3b. Bytes read for archives: the first read, then the central directory from the end (suffix GET of
// 65,557 bytes), then — only when the directory is larger — one more bounded GET for the rest of it.
const archiveRead = async (key: string, zip: Uint8Array) => {
  const r = rig();
  r.aws.s3.put('silent-scalper-input', key, zip, { contentType: 'application/zip' });
  const eTag = r.aws.s3.get('silent-scalper-input', key)?.etag?.replace(/"/g, '') ?? '';
  const event = sqsEvent(
    sqsRecord(
      s3EventBody(
        realS3Record({ encodedKey: encodeS3EventKey(key, true), size: zip.length, eTag, sequencer: '1' }),
      ),
      { sentTimestampMs: Date.now() },
    ),
  );
  r.aws.s3.requests.clear();
  await r.handler(event, ctx);
  return { bytes: r.aws.s3.bytesServed, gets: r.aws.s3.count('GetObjectCommand') };
};
const zeros = new Uint8Array(20 * 1024 * 1024);
const bigZip = await archiveRead('bench/big.zip', storedZip([{ name: 'data.bin', data: zeros }]));
const manyEntries = Array.from({ length: 3000 }, (_, i) => ({
  name: `rows/${String(i).padStart(40, '0')}.csv`,
  data: new TextEncoder().encode('a,b\n'),
}));
const manyZipBytes = storedZip([{ name: 'pad.bin', data: zeros.subarray(0, 1024 * 1024) }, ...manyEntries]);
const manyZip = await archiveRead('bench/many.zip', manyZipBytes);
// 3,000 entries × (46-byte header + 49-byte name) = 285,000 bytes of directory.
const manyDirectoryBytes = 3000 * (46 + 49) + 46 + 7;

// 4. The bundle the CDK stack deploys (same esbuild options as infra/constructs/PipelineFunction.ts).
const bundle = await build({
  entryPoints: [join(projectRoot, 'src/handlers/ingest.ts')],
  bundle: true,
  minify: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
  write: false,
  logLevel: 'silent',
});
const code = bundle.outputFiles[0]?.contents ?? new Uint8Array();
const dir = mkdtempSync(join(tmpdir(), 'ingest-bundle-'));
const bundlePath = join(dir, 'index.mjs');
writeFileSync(bundlePath, code);
// Cold import in fresh processes (median of 5): what a Lambda cold start pays to load the code.
const importTimes = Array.from({ length: 5 }, () => {
  const run = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `const t = performance.now(); await import(${JSON.stringify(bundlePath)}); console.log(performance.now() - t);`,
    ],
    { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
  );
  if (run.status !== 0) throw new Error(`bundle import failed: ${run.stderr}`);
  return Number(run.stdout.trim());
}).sort((a, b) => a - b);
rmSync(dir, { recursive: true, force: true });
const importMs = importTimes[2] ?? Number.NaN;

const rows: [string, string, string, boolean][] = [
  ['files/s per core (CPU time)', (files / (cpuMs / 1000)).toFixed(0), '—', true],
  ['files/s wall (one process)', (files / (wallMs / 1000)).toFixed(0), '—', true],
  ['S3 requests per file (happy path)', s3PerFile.toFixed(3), '≤ 1.0', s3PerFile <= 1],
  [`DynamoDB requests per file (batch of ${batchSize})`, dynamoPerFileDefault.toFixed(3), '—', true],
  [
    'DynamoDB requests per file (full batches, 250 files)',
    dynamoPerFileFull.toFixed(3),
    '≤ 0.040 (1/25)',
    dynamoPerFileFull <= 1 / 25,
  ],
  [
    'bytes read for a 1 GiB object',
    String(bytesPerGiB),
    `≤ ${config.sniffBytes}`,
    bytesPerGiB <= config.sniffBytes,
  ],
  [
    'bytes read for a 20 MiB zip (first read + suffix read)',
    `${bigZip.bytes} (${bigZip.gets} GETs)`,
    `≤ ${config.sniffBytes + EOCD_SEARCH_BYTES}, 2 GETs`,
    bigZip.bytes <= config.sniffBytes + EOCD_SEARCH_BYTES && bigZip.gets === 2,
  ],
  [
    'bytes read for a zip with a 285 KB directory',
    `${manyZip.bytes} (${manyZip.gets} GETs)`,
    `≤ ${config.sniffBytes + manyDirectoryBytes + 22}, 3 GETs`,
    manyZip.bytes <= config.sniffBytes + manyDirectoryBytes + 22 && manyZip.gets === 3,
  ],
  ['bundle size, minified (bytes)', String(code.length), '≤ 1,000,000', code.length <= 1_000_000],
  ['bundle cold import (ms, median of 5)', importMs.toFixed(0), '—', true],
];
console.log(
  `ingest handler benchmark: ${batches} batches × ${batchSize} files = ${files} files, Node ${process.version}`,
);
const width = Math.max(...rows.map((r) => r[0].length));
for (const [name, value, goal, ok] of rows)
  console.log(`${name.padEnd(width)}  ${value.padStart(10)}  ${goal.padEnd(16)} ${ok ? 'ok' : 'MISSED'}`);
if (rows.some((r) => !r[3])) process.exitCode = 1;
