import { readFileSync, statSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_DASHBOARD_PORT, resourcesOfTarget, startDashboardServer } from '../../dashboard/index.ts';
import { CliError } from '../errors.ts';
import { integerIn } from '../options.ts';
import { describeTarget, out, withTarget } from '../run.ts';

interface DashboardOptions {
  port: number;
  host: string;
  token?: string;
  tokenFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  insecureHttp?: boolean;
  refreshMs: number;
  windowHours: number;
  maxRecords: number;
}

/** The token in `path` (first line, trimmed); warns when other users may read the file. */
const readTokenFile = (path: string): string => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read --token-file ${path}: ${(error as Error).message}`);
  }
  // Group/other permission bits: a token file others can read is a token in the clear.
  if ((statSync(path).mode & 0o077) !== 0)
    out.stderr(`warning: ${path} can be read by other users: chmod 600 ${path}`);
  const token = text.split(/\r?\n/)[0]?.trim() ?? '';
  if (!token) throw new CliError(`--token-file ${path} is empty`);
  return token;
};

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
    .option(
      '--host <address>',
      'address to listen on; anything but loopback needs TLS (or --insecure-http) and an access token',
      '127.0.0.1',
    )
    // The token is read from the environment or a file, never from argv, where every user of the
    // machine sees it (`ps`, /proc/<pid>/cmdline). `--token` stays only to say so (hidden from help).
    .addOption(
      new Option('--token <secret>', 'access token (from SILENT_SCALPER_DASHBOARD_TOKEN)')
        .env('SILENT_SCALPER_DASHBOARD_TOKEN')
        .hideHelp(),
    )
    .option(
      '--token-file <path>',
      'read the access token from this file (or set SILENT_SCALPER_DASHBOARD_TOKEN); beyond loopback one is generated when none is given',
    )
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); cookies are then Secure')
    .option('--tls-key <file>', 'the private key (PEM) of --tls-cert')
    .option('--insecure-http', 'allow plain HTTP beyond loopback (the token crosses the network in clear)')
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
        '  silent-scalper dashboard --host 0.0.0.0 --tls-cert cert.pem --tls-key key.pem   # prints a generated token\n' +
        '  openssl rand -hex 32 > token && chmod 600 token\n' +
        '  silent-scalper dashboard --host 0.0.0.0 --token-file token --tls-cert cert.pem --tls-key key.pem',
    )
    .action(async (options: DashboardOptions, command: Command) => {
      if (command.getOptionValueSource('token') === 'cli')
        throw new CliError(
          '--token on the command line is visible to every user of this machine (ps): put the token in a file and pass --token-file <path>, or set SILENT_SCALPER_DASHBOARD_TOKEN.',
        );
      if ((options.tlsCert === undefined) !== (options.tlsKey === undefined))
        throw new CliError('--tls-cert and --tls-key go together.');
      const token = options.tokenFile ? readTokenFile(options.tokenFile) : options.token;
      const tls =
        options.tlsCert && options.tlsKey
          ? { cert: readFileSync(options.tlsCert), key: readFileSync(options.tlsKey) }
          : undefined;
      await withTarget(command, async (target) => {
        const dashboard = await startDashboardServer({
          clients: target.clients,
          resources: resourcesOfTarget(target),
          targetLabel: describeTarget(target),
          host: options.host,
          port: options.port,
          ...(token ? { token } : {}),
          ...(tls ? { tls } : {}),
          ...(options.insecureHttp ? { insecureHttp: true } : {}),
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
