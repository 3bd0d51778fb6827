/**
 * `npm run load`: the spike test with zero-loss verification.
 *
 * 1. Install artillery into load-tests/ if missing.
 * 2. Bring the local pipeline up in this process (moto on a free loopback port, provisioning, the runner
 *    driving the real ingest handler) — or use a running one (`--endpoint`) or a deployed stack (`--stack`).
 * 3. Run artillery.yml against it while sampling the queue depth.
 * 4. Wait (bounded) for the queue to drain, then verify every upload of the manifest against the table,
 *    the queue, the DLQ and the quarantine bucket; write `artifacts/load/<run>/report.html` and
 *    `summary.json`. Exit 1 on any loss, duplicate, wrong state, leftover message or failed ensure check.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type AwsClients, createAwsClients } from '../src/adapters/awsClients.ts';
import { resolveTarget } from '../src/cli/target.ts';
import { loadAwsTarget } from '../src/config/handlerConfig.ts';
import { resolvePipelineSettings } from '../src/config/settings.ts';
import { type MotoServer, startMoto } from '../src/local/moto/motoServer.ts';
import { ensureArtillery, PROJECT_ROOT, runArtillery } from './artillery.ts';
import { missingQuarantineObjects, QueueSampler, scanRunRecords, waitForDrain } from './collect.ts';
import { readManifest } from './manifest.ts';
import { type InProcessPipeline, startInProcessPipeline } from './pipeline.ts';
import { renderRunReport, summarizeRun, summaryRows } from './report.ts';
import { verifyRun } from './verify.ts';

const USAGE = `usage: npm run load -- [options]
  (no option)        start moto + the pipeline in this process and run the spike (default)
  --endpoint URL     use a pipeline already running on this emulator (e.g. \`silent-scalper up\`)
  --stack NAME       use a deployed stack (resource names from its outputs; AWS credentials needed)
  --region REGION    default: AWS_REGION, else us-east-1
  --quick            a 15 s run (warm-up + small spike) instead of artillery.yml's phases
  --drain-timeout S  seconds to wait for the queue to drain after the uploads (default 300)
  --seed N           seed of the file mix (default 1)`;

const { values: options } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    stack: { type: 'string' },
    region: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'drain-timeout': { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    help: { type: 'boolean', default: false },
  },
});
if (options.help) {
  console.log(USAGE);
  process.exit(0);
}
const drainTimeoutSeconds = Number(options['drain-timeout']);
if (!(drainTimeoutSeconds > 0)) {
  console.error(`--drain-timeout must be a positive number of seconds\n${USAGE}`);
  process.exit(2);
}

/** What the run acts on, whichever way it was found. */
interface RunTarget {
  readonly clients: AwsClients;
  readonly endpoint?: string;
  readonly region: string;
  readonly inputBucket: string;
  readonly tableName: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
}

const QUICK_PHASES = [
  { name: 'warm-up', duration: 5, arrivalRate: 4 },
  { name: 'spike', duration: 10, arrivalRate: 40 },
];

const runId = new Date().toISOString().replace(/[:.]/g, '-');
const outDir = join(PROJECT_ROOT, 'artifacts', 'load', runId);
mkdirSync(outDir, { recursive: true });

let moto: MotoServer | undefined;
let pipeline: InProcessPipeline | undefined;
let exitCode = 1;
try {
  const artillery = ensureArtillery();
  const awsTarget = loadAwsTarget();
  const region = options.region ?? awsTarget.region;
  let target: RunTarget;
  if (options.endpoint || options.stack) {
    const resolved = await resolveTarget({
      ...(options.endpoint ? { endpoint: options.endpoint.replace(/\/+$/, '') } : {}),
      region,
      stack: options.stack ?? 'SilentScalper',
      stackExplicit: Boolean(options.stack),
      hasCredentials: awsTarget.hasCredentials,
    });
    target = {
      clients: resolved.clients,
      ...(resolved.endpoint ? { endpoint: resolved.endpoint } : {}),
      region,
      inputBucket: resolved.names.inputBucket,
      tableName: resolved.names.metadataTable,
      queueUrl: resolved.ingestQueueUrl,
      dlqUrl: resolved.deadLetterQueueUrl,
    };
    console.log(`load: using the pipeline at ${resolved.endpoint ?? `stack ${resolved.stack}`}`);
  } else {
    moto = await startMoto();
    const clients = createAwsClients({ endpoint: moto.endpoint, region }, false);
    pipeline = await startInProcessPipeline({ clients, settings: resolvePipelineSettings() });
    const r = pipeline.resources;
    target = {
      clients,
      endpoint: moto.endpoint,
      region,
      inputBucket: r.inputBucket,
      tableName: r.tableName,
      queueUrl: r.queueUrl,
      dlqUrl: r.dlqUrl,
    };
    console.log(`load: moto on ${moto.endpoint}, pipeline provisioned, runner started`);
  }

  const sampler = new QueueSampler(target.clients.sqs, target.queueUrl, target.dlqUrl);
  sampler.start();
  const artilleryExit = await runArtillery(artillery, {
    variables: {
      inputBucket: target.inputBucket,
      endpoint: target.endpoint ?? '',
      region: target.region,
      manifestDir: outDir,
      runId,
      seed: options.seed,
    },
    reportPath: join(outDir, 'artillery-report.json'),
    ...(options.quick ? { phases: QUICK_PHASES } : {}),
    timeoutMs: 15 * 60_000,
  });
  console.log(`load: artillery finished (exit ${artilleryExit}); waiting for the queue to drain…`);
  const drainStarted = Date.now();
  // From here on the drain wait takes the readings itself (same interval), so stop the background ones.
  await sampler.stop();
  const drained = await waitForDrain(sampler, { timeoutMs: drainTimeoutSeconds * 1000 });
  console.log(
    drained
      ? `load: queue drained ${((Date.now() - drainStarted) / 1000).toFixed(1)} s after artillery finished`
      : `load: queue NOT drained after ${drainTimeoutSeconds} s`,
  );
  await pipeline?.stop();

  const last = sampler.latest() ?? { visible: -1, inFlight: -1, delayed: -1, deadLetter: -1 };
  const { entries: manifest, tornLines } = readManifest(outDir);
  const records = await scanRunRecords(
    target.clients.dynamo,
    target.tableName,
    target.inputBucket,
    `load/${runId}/`,
  );
  const quarantineMissing = await missingQuarantineObjects(target.clients.s3, records);
  const verification = verifyRun({
    manifest,
    records,
    leftovers: {
      visible: last.visible,
      inFlight: last.inFlight,
      delayed: last.delayed,
      deadLetter: last.deadLetter,
    },
    quarantineMissing,
  });
  const extraProblems: string[] = [];
  if (artilleryExit !== 0)
    extraProblems.push(`artillery exited with ${artilleryExit} (an ensure check failed or it crashed)`);
  if (!drained) extraProblems.push(`the queue did not drain within ${drainTimeoutSeconds} s`);
  if (tornLines > 0) extraProblems.push(`${tornLines} torn manifest line(s)`);
  const summary = summarizeRun({
    runId,
    manifest,
    records,
    samples: sampler.samples,
    verification,
    extraProblems,
  });

  writeFileSync(
    join(outDir, 'summary.json'),
    `${JSON.stringify({ ...summary, verification, samples: sampler.samples }, null, 2)}\n`,
  );
  const reportPath = join(outDir, 'report.html');
  writeFileSync(reportPath, renderRunReport({ summary, manifest, records, samples: sampler.samples }));

  console.log('\nSilent Scalper spike test');
  const width = Math.max(...summaryRows(summary).map(([k]) => k.length));
  for (const [k, v] of summaryRows(summary)) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log(`\n  report: ${reportPath}`);
  if (summary.passed) {
    console.log(
      `\nPASS: every one of the ${summary.uploaded} uploads reached exactly one correct terminal state.`,
    );
    exitCode = 0;
  } else {
    console.log(`\nFAIL:\n  - ${summary.problems.join('\n  - ')}`);
  }
} catch (error) {
  console.error(`load: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await pipeline?.stop().catch(() => undefined);
  await moto?.stop();
}
process.exit(exitCode);
