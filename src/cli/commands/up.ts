import { Command, InvalidArgumentError } from 'commander';
import { InvalidPolicyError, readPolicyFile } from '../../config/policyFile.ts';
import { resolvePipelineSettings } from '../../config/settings.ts';
import {
  DEFAULT_DASHBOARD_PORT,
  type RunningDashboard,
  startDashboardServer,
} from '../../dashboard/index.ts';
import { type DemoResult, runDemo } from '../../local/demo.ts';
import { FAULT_KINDS, type FaultPlan, parseFaultPlan } from '../../local/faults/faultInjector.ts';
import { startLocalRetryTimer } from '../../local/localRetry.ts';
import { type LocalRuntime, type LocalTunables, startLocalRuntime } from '../../local/localRuntime.ts';
import { DEFAULT_MOTO_PORT, MotoStartError } from '../../local/moto/motoServer.ts';
import { DEMO_POLICY_PATH } from '../../local/policyDemo.ts';
import { CliError } from '../errors.ts';
import { integerIn } from '../options.ts';
import { renderFields, renderTable } from '../output.ts';
import { out } from '../run.ts';

interface UpOptions {
  port: number;
  demo?: boolean;
  jsonLogs?: boolean;
  runner: boolean;
  functionTimeout: number;
  maxFileSize?: number;
  policy?: string;
  dashboard: boolean;
  dashboardPort: number;
  faults?: FaultPlan;
  enforceIam?: boolean;
  allowOrigin?: string[];
}

/** `--faults` values: a share (0.3) and/or per-kind rates (latency=0.1). */
const faultOption = (value: string): FaultPlan => {
  try {
    return parseFaultPlan(value);
  } catch (error) {
    throw new InvalidArgumentError((error as Error).message);
  }
};

/**
 * SIGUSR2 switches fault injection off and on while `up` runs (decision: a signal needs no extra port or
 * file; `kill -USR2 <pid>`), and prints what was injected so far.
 */
const toggleFaultsOnSignal = (runtime: LocalRuntime): (() => void) => {
  const faults = runtime.faults;
  if (!faults) return () => {};
  const toggle = () => {
    faults.setEnabled(!faults.enabled);
    out.stderr(
      `fault injection ${faults.enabled ? 'on' : 'off'}; injected so far: ${JSON.stringify(faults.counters().byKind)}`,
    );
  };
  process.on('SIGUSR2', toggle);
  return () => process.off('SIGUSR2', toggle);
};

/** `--allow-origin`: exact `scheme://host[:port]` origins, collected; `*` is what the guard exists to stop. */
const parseOrigin = (value: string, previous: string[] = []): string[] => {
  const origin = value.trim().replace(/\/$/, '');
  if (!/^https?:\/\/[^/\s*]+$/i.test(origin))
    throw new InvalidArgumentError(`must be an origin such as http://localhost:3000 (got "${value}").`);
  return [...previous, origin];
};

/** The size limit `--demo` uses unless `--max-file-size` is given, so TOO_LARGE shows with a 1 MiB file. */
const DEMO_MAX_FILE_SIZE_BYTES = 1024 * 1024;

/** Resolves with the first SIGINT or SIGTERM; a second one while stopping forces the exit. */
const untilSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    const first = (signal: NodeJS.Signals) => {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      const force = () => {
        out.stderr(
          'forced exit: in-flight batches abandoned (their messages return after the visibility timeout)',
        );
        process.exit(130); // the exit hook in motoServer.ts kills moto
      };
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      resolve(signal);
    };
    process.on('SIGINT', first);
    process.on('SIGTERM', first);
  });

const banner = (runtime: LocalRuntime, runner: boolean): string => {
  const r = runtime.resources;
  const s = runtime.settings;
  const endpoint = runtime.moto.endpoint;
  return [
    '',
    `Silent Scalper runs locally — moto on ${endpoint}${runner ? ', the runner playing Lambda' : ' (runner off: --no-runner)'}`,
    '',
    renderFields([
      ['Input bucket', r.inputBucket],
      ['Quarantine bucket', r.quarantineBucket],
      ['Ingest queue', r.queueUrl],
      ['Dead-letter queue', r.dlqUrl],
      ['Metadata table', r.tableName],
      ['Alerts topic', r.topicArn],
      [
        'Settings',
        `batches of ≤${s.batchSize}, ${s.maxConcurrency} at once, timeout ${s.functionTimeoutSeconds} s, visibility ${s.visibilityTimeoutSeconds} s, DLQ after ${s.maxReceiveCount} receives`,
      ],
    ]),
    '',
    'Try, in another terminal (in this folder):',
    `  export AWS_ENDPOINT_URL=${endpoint}`,
    ...operatorKeys(runtime),
    '  npm run cli -- upload ./some/folder --prefix dump/   # parallel uploads with a progress bar',
    '  npm run cli -- status                                 # queue depths, counts per status and reason',
    '  npm run cli -- files --status QUARANTINED             # newest records',
    '  npm run cli -- show "<key>"                           # one file’s history',
    '  npm run cli -- dashboard                              # the web dashboard',
    `  aws --endpoint-url ${endpoint} s3 cp ./file.pdf s3://${r.inputBucket}/   # any S3 client works too`,
    '',
    'Ctrl-C stops: in-flight batches finish, then moto (its state lives in memory and is gone).',
    '',
  ].join('\n');
};

/**
 * Under `--enforce-iam` the default `test` keys are no principal: the CLI, the dashboard and any S3
 * client must sign as the operator's IAM user (local keys of a local emulator, nothing secret).
 */
const operatorKeys = (runtime: LocalRuntime): string[] => {
  const operator = runtime.principals?.operator;
  if (!operator) return [];
  return [
    `  export AWS_ACCESS_KEY_ID=${operator.credentials.accessKeyId} AWS_SECRET_ACCESS_KEY=${operator.credentials.secretAccessKey}   # IAM is enforced: sign as the operator role`,
  ];
};

const demoTable = (results: readonly DemoResult[]): string =>
  renderTable(results, [
    { header: 'KEY', value: (r) => r.key, maxWidth: 40 },
    { header: 'STATUS', value: (r) => r.record?.status ?? '(not processed yet)' },
    { header: 'REASON', value: (r) => r.record?.reason ?? '' },
    { header: 'SNIFFED TYPE', value: (r) => r.record?.mime ?? '' },
    {
      header: 'EXPECTED',
      value: (r) =>
        r.record?.status === r.expected.status && r.record?.reason === r.expected.reason
          ? '✓'
          : `${r.expected.status}${r.expected.reason ? ` ${r.expected.reason}` : ''}`,
    },
  ]);

/** `silent-scalper up` — moto, the provisioned resources and the runner, until Ctrl-C. */
export const upCommand = (): Command =>
  new Command('up')
    .summary('run the whole pipeline locally (moto + the Lambda runner), until Ctrl-C')
    .description(
      'Start moto (the local AWS emulator) on 127.0.0.1, create what the CDK stack deploys (buckets, queue ' +
        'with its DLQ and redrive policy, bucket notification, metadata table, alerts topic) from the same ' +
        'settings, and run the local runner, which polls the queue and invokes the real ingest handler the way ' +
        "Lambda's SQS event source mapping does. Needs no AWS account and no Docker.",
    )
    .option(
      '--port <port>',
      'port of the local AWS endpoint (0 picks a free one)',
      integerIn(0, 65_535),
      DEFAULT_MOTO_PORT,
    )
    .option(
      '--demo',
      'upload a small mixed set of sample files (good and each kind of bad) and show the results',
    )
    .option('--json-logs', 'log JSON lines instead of text for a human')
    .option('--no-runner', 'only start moto and create the resources (run the handler yourself)')
    .option(
      '--dashboard-port <port>',
      'port of the web dashboard on 127.0.0.1 (0 picks a free one)',
      integerIn(0, 65_535),
      DEFAULT_DASHBOARD_PORT,
    )
    .option('--no-dashboard', 'do not start the web dashboard')
    .option(
      '--faults <rates>',
      `inject AWS faults into the pipeline's own requests: a share (0.3) and/or per-kind rates (${FAULT_KINDS.join(', ')}), e.g. 0.1,latency=0.05; SIGUSR2 switches them off/on`,
      faultOption,
    )
    .option(
      '--allow-origin <origin...>',
      'let web pages from this origin (e.g. http://localhost:3000) call the local endpoint; every other ' +
        'browser request is refused',
      parseOrigin,
    )
    .option(
      '--function-timeout <seconds>',
      'the ingest function timeout; the visibility timeout follows (6 ×)',
      integerIn(1, 900),
      resolvePipelineSettings().functionTimeoutSeconds,
    )
    .option(
      '--max-file-size <bytes>',
      `files above this are quarantined TOO_LARGE (default: the handler's; with --demo ${DEMO_MAX_FILE_SIZE_BYTES})`,
      integerIn(1, Number.MAX_SAFE_INTEGER),
    )
    .option(
      '--policy <file>',
      'policy file (docs/policy.md): rules by key prefix, allowed and blocked types, archive limits (with --demo: policies/demo.json)',
    )
    .option(
      '--enforce-iam',
      "run under IAM enforcement: each function and the operator sign as an IAM user holding exactly its role's statements of the CDK stack",
    )
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper up --demo\n  silent-scalper up --policy policies/example.json\n  silent-scalper up --enforce-iam   # a missing permission fails here as it would in AWS\n  silent-scalper up --port 4567 --json-logs\n' +
        '  silent-scalper up --function-timeout 5    # retries come back after 30 s instead of 6 min',
    )
    .action(async (options: UpOptions) => {
      const maxFileSizeBytes = options.maxFileSize ?? (options.demo ? DEMO_MAX_FILE_SIZE_BYTES : undefined);
      // The policy file is validated here, before anything starts: a mistake names its line and field.
      const policyPath = options.policy ?? (options.demo ? DEMO_POLICY_PATH : undefined);
      let policyDocument: LocalTunables['policyDocument'];
      try {
        policyDocument = policyPath ? readPolicyFile(policyPath) : undefined;
      } catch (error) {
        if (error instanceof InvalidPolicyError) throw new CliError(error.message);
        throw new CliError(`cannot read the policy file: ${(error as Error).message}`);
      }
      const tunables: LocalTunables = {
        ...(maxFileSizeBytes ? { maxFileSizeBytes } : {}),
        ...(policyDocument ? { policyDocument } : {}),
      };
      // Listen before starting: a Ctrl-C during start-up then stops what has started instead of killing
      // the process outright.
      const signal = untilSignal();
      let signalled = false;
      void signal.then(() => {
        signalled = true;
      });
      let runtime: LocalRuntime;
      try {
        runtime = await startLocalRuntime({
          port: options.port,
          settings: resolvePipelineSettings({ functionTimeoutSeconds: options.functionTimeout }),
          runner: options.runner,
          jsonLogs: options.jsonLogs ?? false,
          tunables,
          ...(options.faults ? { faults: options.faults } : {}),
          enforceIam: options.enforceIam ?? false,
          ...(options.allowOrigin ? { allowedOrigins: options.allowOrigin } : {}),
          portHint: `--port <n> (e.g. silent-scalper up --port ${options.port === DEFAULT_MOTO_PORT ? 4567 : DEFAULT_MOTO_PORT})`,
        });
      } catch (error) {
        if (error instanceof MotoStartError) throw new CliError(error.message);
        throw error;
      }
      // The local stand-in for the EventBridge schedule: the same automatic quarantine-retry pass.
      const retryTimer = options.runner
        ? startLocalRetryTimer({
            clients: runtime.clientsFor('retry'),
            resources: runtime.resources,
            onPass: (p) =>
              out.stdout(
                options.jsonLogs
                  ? JSON.stringify({
                      time: new Date().toISOString(),
                      level: p.failed > 0 ? 'ERROR' : 'INFO',
                      event: 'quarantineRetry',
                      retried: p.retried,
                      exhausted: p.exhausted,
                      failed: p.failed,
                    })
                  : `quarantine retry: ${p.retried} retried, ${p.exhausted} RETRY_EXHAUSTED, ${p.failed} failed`,
              ),
            onError: (error) => out.stderr(`quarantine retry pass failed: ${(error as Error).message}`),
          })
        : undefined;
      // The web dashboard on loopback; a busy port costs the dashboard, not the pipeline.
      let dashboard: RunningDashboard | undefined;
      if (options.dashboard)
        dashboard = await startDashboardServer({
          clients: runtime.clientsFor('operator'),
          resources: runtime.resources,
          targetLabel: `local ${runtime.moto.endpoint}`,
          port: options.dashboardPort,
          log: out.stderr,
        }).catch((error: unknown) => {
          out.stderr(`dashboard not started: ${(error as Error).message}`);
          return undefined;
        });
      if (options.jsonLogs)
        out.stdout(
          JSON.stringify({
            time: new Date().toISOString(),
            level: 'INFO',
            message: 'ready',
            event: 'ready',
            endpoint: runtime.moto.endpoint,
            ...(dashboard ? { dashboard: dashboard.url } : {}),
            resources: runtime.resources,
            settings: runtime.settings,
          }),
        );
      else out.stdout(banner(runtime, options.runner));
      if (dashboard && !options.jsonLogs) out.stdout(`Dashboard: ${dashboard.url}\n`);

      if (options.demo && !signalled) {
        if (!options.runner)
          out.stderr('--demo uploads files, but without the runner nothing processes them');
        if (!options.jsonLogs && maxFileSizeBytes === DEMO_MAX_FILE_SIZE_BYTES && !options.maxFileSize)
          out.stdout(`Demo: files over ${DEMO_MAX_FILE_SIZE_BYTES} bytes are TOO_LARGE in this session.`);
        const results = await runDemo(runtime, { timeoutMs: options.runner ? 90_000 : 0 });
        const ok = results.filter(
          (r) => r.record?.status === r.expected.status && r.record?.reason === r.expected.reason,
        ).length;
        if (options.jsonLogs)
          out.stdout(
            JSON.stringify({ time: new Date().toISOString(), level: 'INFO', event: 'demo', results }),
          );
        else
          out.stdout(
            `\nDemo: ${results.length} files uploaded to s3://${runtime.resources.inputBucket}/demo/ — ${ok} ended as expected:\n\n${demoTable(results)}\n\nThe runner keeps going: upload more, or Ctrl-C to stop.\n`,
          );
      }

      const stopToggling = toggleFaultsOnSignal(runtime);
      if (runtime.faults && !options.jsonLogs)
        out.stdout(`Fault injection is on (kill -USR2 ${process.pid} switches it off and on).`);
      const received = await signal;
      stopToggling();
      if (runtime.faults) out.stderr(`faults injected: ${JSON.stringify(runtime.faults.counters())}`);
      if (!options.jsonLogs) out.stderr(`\n${received}: stopping — finishing in-flight batches, then moto…`);
      await retryTimer?.stop();
      await dashboard?.stop();
      await runtime.stop();
    });
