import { Command, InvalidArgumentError } from 'commander';
import { createS3ObjectStore } from '../../adapters/s3ObjectStore.ts';
import { createSnsAlertPublisher } from '../../adapters/snsAlertPublisher.ts';
import { DEFAULT_RETRY_POLICY } from '../../config/retryConfig.ts';
import { createDynamoOpsStore } from '../../ops/dynamoOpsStore.ts';
import { type ManualRetrySelection, retryManual } from '../../ops/retryManual.ts';
import { retryQuarantine } from '../../ops/retryQuarantine.ts';
import type { RetryDeps, RetryOutcome, RetrySummary } from '../../ops/retryTypes.ts';
import { QuarantineReason } from '../../pipeline/constants.ts';
import { printable } from '../../text/printable.js';
import { CliError } from '../errors.ts';
import { integerIn } from '../options.ts';
import { renderTable, toJson, truncateMiddle } from '../output.ts';
import { out, withTarget } from '../run.ts';
import type { Target } from '../target.ts';

interface RetryCliOptions {
  bucket?: string;
  reason?: QuarantineReason;
  all?: boolean;
  auto?: boolean;
  dryRun?: boolean;
  force?: boolean;
  maxRetries: number;
  baseDelay: number;
  json?: boolean;
}

const parseReason = (value: string): QuarantineReason => {
  const upper = value.trim().toUpperCase();
  const reasons = Object.values(QuarantineReason) as string[];
  if (!reasons.includes(upper))
    throw new InvalidArgumentError(`must be one of ${reasons.join(', ')} (got "${value}").`);
  return upper as QuarantineReason;
};

const ACTION_LABELS: Record<RetryOutcome['action'], string> = {
  retried: 'retried',
  'would-retry': 'would retry',
  exhausted: 'RETRY_EXHAUSTED',
  'would-exhaust': 'would exhaust',
  skipped: 'skipped',
  failed: 'FAILED',
};

/** The summary for a human: one line of counts, then a row per file that was not simply waiting. */
export const renderRetrySummary = (summary: RetrySummary): string => {
  const head = `${summary.dryRun ? 'Dry run: ' : ''}${summary.examined} file(s) examined: ${summary.retried} ${summary.dryRun ? 'would be ' : ''}retried, ${summary.exhausted} exhausted, ${summary.skipped} skipped, ${summary.failed} failed.`;
  const rows = summary.outcomes.filter((o) => o.why !== 'waiting' && o.why !== 'not-quarantined');
  const waiting = summary.outcomes.filter((o) => o.why === 'waiting');
  const lines = [head];
  if (rows.length > 0)
    lines.push(
      renderTable(rows, [
        { header: 'BUCKET', value: (o) => truncateMiddle(o.bucket, 30) },
        { header: 'KEY', value: (o) => truncateMiddle(o.key, 60) },
        { header: 'REASON', value: (o) => o.reason ?? '' },
        { header: 'RESULT', value: (o) => ACTION_LABELS[o.action] },
        { header: 'ATTEMPT', value: (o) => (o.attempt === undefined ? '' : String(o.attempt)) },
        { header: 'DETAIL', value: (o) => o.why ?? o.detail ?? '' },
      ]),
    );
  if (waiting.length > 0) {
    const next = waiting.map((o) => o.dueAt ?? '').sort()[0];
    lines.push(`${waiting.length} file(s) wait for their backoff; the next is due at ${next}.`);
  }
  if (rows.some((o) => o.why === 'needs-force'))
    lines.push('Policy rejections are only retried with --force (for example after changing the policy).');
  if (summary.alertError)
    lines.push(`The RETRY_EXHAUSTED alert could not be published: ${printable(summary.alertError)}`);
  if (rows.some((o) => o.why === 'not-a-source'))
    lines.push(
      "Files whose bucket is not one of the pipeline's sources are never copied anywhere: restore them by hand.",
    );
  if (!summary.dryRun && summary.retried > 0)
    lines.push(
      'Retried files are back in the bucket they were uploaded to; follow them with `silent-scalper show [--bucket <bucket>] <key>`.',
    );
  return lines.join('\n');
};

const retryDeps = (target: Target): RetryDeps => {
  const store = createDynamoOpsStore(target.clients.dynamo, target.names.metadataTable);
  return {
    objects: createS3ObjectStore(target.clients.s3),
    ledger: store,
    history: store,
    ...(target.alertsTopicArn
      ? { alerts: createSnsAlertPublisher(target.clients.sns, target.alertsTopicArn) }
      : {}),
  };
};

/** `silent-scalper retry` — copy quarantined files back to their source bucket so the pipeline tries again. */
export const retryCommand = (): Command =>
  new Command('retry')
    .summary('retry quarantined files (by key, by reason, or all)')
    .description(
      "Copy quarantined files back to the bucket they were uploaded to (one of the pipeline's source buckets; files of any other bucket are refused), which sends them through the pipeline again, and record a RETRIED step in their history. Policy rejections (EMPTY_FILE, TOO_LARGE, BLOCKED_TYPE, TYPE_MISMATCH, NOT_ALLOWED, ARCHIVE_*) need --force. With --auto, run one automatic pass instead: only PROCESSING_FAILED files whose backoff has passed, RETRY_EXHAUSTED after --max-retries.",
    )
    .argument('[keys...]', 'object keys as uploaded (not URL-encoded)')
    .option(
      '--bucket <bucket>',
      'with <key…>: the source bucket they were uploaded to (default: the input bucket)',
    )
    .option('--reason <reason>', 'every file quarantined with this reason', parseReason)
    .option('--all', 'every quarantined file')
    .option('--auto', 'one automatic pass, as the schedule runs it')
    .option('--dry-run', 'show what would be retried and change nothing')
    .option('--force', 'also retry policy rejections')
    .option(
      '--max-retries <n>',
      'with --auto: retries before RETRY_EXHAUSTED',
      integerIn(0, 20),
      DEFAULT_RETRY_POLICY.maxRetries,
    )
    .option(
      '--base-delay <seconds>',
      'with --auto: backoff base (retry n waits base × 2^n after its quarantine)',
      integerIn(0, 86_400),
      DEFAULT_RETRY_POLICY.baseDelaySeconds,
    )
    .option('--json', 'print the summary as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper retry "dumps/today/report 1.pdf"\n  silent-scalper retry --bucket partner-drop "invoices/1.csv"\n  silent-scalper retry --reason PROCESSING_FAILED --dry-run\n  silent-scalper retry --reason TYPE_MISMATCH --force\n  silent-scalper retry --all --dry-run\n  silent-scalper retry --auto',
    )
    .action(async (keys: string[], options: RetryCliOptions, command: Command) => {
      const modes = [
        keys.length > 0,
        options.reason !== undefined,
        options.all === true,
        options.auto === true,
      ];
      if (modes.filter(Boolean).length !== 1)
        throw new CliError('choose one of: <key…>, --reason <reason>, --all or --auto (see --help).');
      if (options.bucket !== undefined && keys.length === 0)
        throw new CliError(
          '--bucket goes with <key…>: --reason, --all and --auto cover every source bucket.',
        );
      await withTarget(command, async (target) => {
        if (options.bucket !== undefined && !target.sourceBuckets.includes(options.bucket))
          throw new CliError(
            `${printable(options.bucket)} is not a source bucket of this pipeline (sources: ${target.sourceBuckets.join(', ')}): retry puts files back only into the bucket they came from.`,
          );
        const deps = retryDeps(target);
        const buckets = {
          inputBucket: target.names.inputBucket,
          sourceBuckets: target.sourceBuckets,
          quarantineBucket: target.names.quarantineBucket,
        };
        let summary: RetrySummary;
        if (options.auto) {
          summary = await retryQuarantine(
            {
              ...DEFAULT_RETRY_POLICY,
              maxRetries: options.maxRetries,
              baseDelaySeconds: options.baseDelay,
              ...buckets,
              ...(options.dryRun ? { dryRun: true } : {}),
            },
            deps,
          );
        } else {
          const selection: ManualRetrySelection =
            keys.length > 0
              ? { keys, ...(options.bucket ? { bucket: options.bucket } : {}) }
              : options.reason
                ? { reason: options.reason }
                : { all: true };
          summary = await retryManual(
            selection,
            {
              ...buckets,
              ...(options.force ? { force: true } : {}),
              ...(options.dryRun ? { dryRun: true } : {}),
            },
            deps,
          );
        }
        out.stdout(options.json ? toJson(summary) : renderRetrySummary(summary));
        if (summary.failed > 0) process.exitCode = 1;
      });
    });
