import { Command, Option } from 'commander';
import { DEFAULT_DASHBOARD_PORT, startDashboardServer } from '../../dashboard/index.ts';
import { integerIn } from '../options.ts';
import { resourcesOfTarget } from '../resourcesOfTarget.ts';
import { describeTarget, out, withTarget } from '../run.ts';

interface DashboardOptions {
  port: number;
  host: string;
  token?: string;
  refreshMs: number;
  windowHours: number;
  maxRecords: number;
}

/** Resolves on the first SIGINT or SIGTERM. */
const untilSignal = (): Promise<string> =>
  new Promise((resolve) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });

/** `silent-scalper dashboard` — serve the web dashboard for the target (local moto or a deployed stack). */
export const dashboardCommand = (): Command =>
  new Command('dashboard')
    .summary('serve the web dashboard (file tracking, queues, quarantine)')
    .description(
      'Serve a live web dashboard of the target: counters, throughput and queue-depth charts, the file table ' +
        'with timelines, type and duration breakdowns, the quarantine list with Retry, and the DLQ with ' +
        'Replay. It reads with your own AWS credentials; it listens on 127.0.0.1 unless --host says otherwise, and then needs --token.',
    )
    .option(
      '--port <port>',
      'port to listen on (0 picks a free one)',
      integerIn(0, 65_535),
      DEFAULT_DASHBOARD_PORT,
    )
    .option('--host <address>', 'address to listen on; anything but loopback requires --token', '127.0.0.1')
    .addOption(
      new Option('--token <secret>', 'access token (≥16 characters) required on every request').env(
        'SILENT_SCALPER_DASHBOARD_TOKEN',
      ),
    )
    .option(
      '--refresh-ms <ms>',
      'how often to read new records and queue depths',
      integerIn(250, 60_000),
      1000,
    )
    .option(
      '--window-hours <hours>',
      'counters and charts cover this many hours (0 = all)',
      integerIn(0, 24 * 366),
      24,
    )
    .option(
      '--max-records <n>',
      'records kept in memory at most (older pages are read from the table)',
      integerIn(1000, 5_000_000),
      200_000,
    )
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper dashboard --endpoint http://127.0.0.1:4566\n' +
        '  silent-scalper dashboard --stack SilentScalper --region eu-west-1\n' +
        '  SILENT_SCALPER_DASHBOARD_TOKEN=$(openssl rand -hex 16) silent-scalper dashboard --host 0.0.0.0',
    )
    .action(async (options: DashboardOptions, command: Command) => {
      await withTarget(command, async (target) => {
        const dashboard = await startDashboardServer({
          clients: target.clients,
          resources: resourcesOfTarget(target),
          targetLabel: describeTarget(target),
          host: options.host,
          port: options.port,
          ...(options.token ? { token: options.token } : {}),
          refreshMs: options.refreshMs,
          windowHours: options.windowHours,
          maxRecords: options.maxRecords,
          log: out.stderr,
        });
        out.stdout(`Dashboard of ${describeTarget(target)}: ${dashboard.url}`);
        out.stdout('Press Ctrl-C to stop.');
        await untilSignal();
        await dashboard.stop();
      });
    });
