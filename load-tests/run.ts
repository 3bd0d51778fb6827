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
import {
  createFaultInjector,
  type FaultInjector,
  parseFaultPlan,
} from '../src/local/faults/faultInjector.ts';
import { type MotoServer, startMoto } from '../src/local/moto/motoServer.ts';
import { checkConsistency, DlqClass } from '../src/ops/checkConsistency.ts';
import { sortDeadLetters } from '../src/ops/sortDeadLetters.ts';
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
  --seed N           seed of the file mix (default 1)
  --faults RATES     inject AWS faults into the in-process pipeline's own requests: a share (0.1) and/or
                     per-kind rates (latency=0.05,…); the run then also sorts the DLQ and must pass the
                     consistency checker
  --function-timeout S  the in-process function timeout (default 60; 5 with --faults, so a redelivery
                     comes back after 30 s instead of 6 min)`;

const { values: options } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    stack: { type: 'string' },
    region: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'drain-timeout': { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    faults: { type: 'string' },
    'function-timeout': { type: 'string' },
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

let faults: FaultInjector | undefined;
try {
  faults = options.faults ? createFaultInjector(parseFaultPlan(options.faults)) : undefined;
} catch (error) {
  console.error(`--faults: ${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
if (faults && (options.endpoint || options.stack)) {
  console.error(`--faults works on the in-process pipeline only (not with --endpoint or --stack)\n${USAGE}`);
  process.exit(2);
}
const functionTimeoutSeconds = Number(options['function-timeout'] ?? (faults ? 5 : Number.NaN));

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
    pipeline = await startInProcessPipeline({
      clients,
      settings: resolvePipelineSettings(
        Number.isFinite(functionTimeoutSeconds) ? { functionTimeoutSeconds } : {},
      ),
      ...(faults ? { faults } : {}),
    });
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
  // With faults, the operator's `replay-dlq` step: messages of files given up on their last receive
  // ("file not finished") are replayed (faults stay on), those of files already finished (their delete
  // failed on the last receive) are dropped; at most three rounds. The first round's classes are reported.
  let replayed = 0;
  let dlqClasses: Record<DlqClass, number> | undefined;
  for (let round = 0; faults && round < 3; round++) {
    const sorted = await sortDeadLetters(
      target.clients,
      { metadataTable: target.tableName, queueUrl: target.queueUrl, dlqUrl: target.dlqUrl },
      { replay: [DlqClass.notFinished], drop: [DlqClass.finished] },
    );
    dlqClasses ??= sorted.byClass;
    if (sorted.replayed === 0) break;
    replayed += sorted.replayed;
    console.log(`load: replayed ${sorted.replayed} DLQ message(s) of files not finished; draining again…`);
    await waitForDrain(sampler, { timeoutMs: drainTimeoutSeconds * 1000 });
  }
  if (faults) await sampler.read();
  const drainedMs = Date.now() - drainStarted;
  await pipeline?.stop();
  const injected = faults?.counters();
  const check = faults
    ? await checkConsistency(target.clients, {
        inputBucket: target.inputBucket,
        quarantineBucket: pipeline?.resources.quarantineBucket ?? '',
        metadataTable: target.tableName,
        queueUrl: target.queueUrl,
        dlqUrl: target.dlqUrl,
      })
    : undefined;

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
  if (check && !check.ok)
    extraProblems.push(
      `consistency check failed: ${JSON.stringify({ ...check, problems: check.problems.slice(0, 5) })}`,
    );
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
    `${JSON.stringify({ ...summary, verification, ...(faults ? { faults: { plan: faults.plan, injected, dlqClasses, replayed, drainedMs, check } } : {}), samples: sampler.samples }, null, 2)}\n`,
  );
  const reportPath = join(outDir, 'report.html');
  writeFileSync(reportPath, renderRunReport({ summary, manifest, records, samples: sampler.samples }));

  console.log('\nSilent Scalper spike test');
  const width = Math.max(...summaryRows(summary).map(([k]) => k.length));
  for (const [k, v] of summaryRows(summary)) console.log(`  ${k.padEnd(width)}  ${v}`);
  if (faults && injected && check) {
    console.log(`\n  faults plan         ${JSON.stringify(faults.plan)}`);
    console.log(`  faults injected     ${injected.injected} of ${injected.operations} operations`);
    for (const [kind, count] of Object.entries(injected.byKind))
      console.log(`    ${kind.padEnd(18)} ${count}`);
    console.log(
      `  DLQ after the drain ${JSON.stringify(dlqClasses)} (replayed ${replayed}, finished dropped)`,
    );
    console.log(`  time to drain       ${(drainedMs / 1000).toFixed(1)} s after artillery finished`);
    console.log(
      `  check               ${check.ok ? 'OK' : 'FAILED'}: ${check.uploads} uploads, lost ${check.lost}, duplicated ${check.duplicated}, misplaced ${check.misplaced}, changed ${check.changed}, queue ${check.queueMessages}, DLQ ${JSON.stringify(check.dlq)}`,
    );
  }
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
