import { Command, InvalidArgumentError, Option } from 'commander';
import { cancelDlqReplay } from '../../ops/cancelDlqReplay.ts';
import type { DlqClass } from '../../ops/checkConsistency.ts';
import { createDynamoOpsStore } from '../../ops/dynamoOpsStore.ts';
import { MoveTaskUnsupportedError } from '../../ops/ports.ts';
import { replayDlq } from '../../ops/replayDlq.ts';
import { ReplayOptionsError } from '../../ops/replayOptions.ts';
import { ReplayMode, type ReplayProgress, type ReplaySummary } from '../../ops/replayTypes.ts';
import { sqsReplayQueues } from '../../ops/sqsReplayQueues.ts';
import { printable } from '../../text/printable.js';
import { CliError } from '../errors.ts';
import { integerIn } from '../options.ts';
import { toJson } from '../output.ts';
import { type ProgressStream, progressBar } from '../progressBar.ts';
import { out, withTarget } from '../run.ts';
import { flagsIgnoredByClass, parseDlqClass, replayByClass } from './replayByClass.ts';

interface ReplayCliOptions {
  dryRun?: boolean;
  prefix?: string;
  max?: number;
  maxPerSecond?: number;
  includePoison?: boolean;
  mode: ReplayMode;
  cancel?: boolean;
  timeout: number;
  json?: boolean;
  class?: DlqClass;
  dropFinished?: boolean;
}

/** Lines listing messages in the human output at most (the JSON has them all, up to 1,000). */
const LISTED = 20;

/** One progress line: counts against the DLQ's starting depth. */
export const replayProgressLine = (p: ReplayProgress): string => {
  const total = p.total !== undefined ? `/${p.total}` : '';
  const failed = p.failed > 0 ? `, ${p.failed} failed` : '';
  return `${p.mode === 'native' ? 'SQS move task: ' : ''}${p.moved}${total} moved, ${p.skipped} skipped${failed}`;
};

/** A progress printer: a TTY redraws one line with a bar; anything else gets a line per batch at most every 2 s. */
export const replayProgressPrinter = (stream: ProgressStream, now: () => number = Date.now) => {
  const bar = progressBar({ stream, now, barWidth: () => 24 });
  return {
    update(p: ReplayProgress): void {
      const done = p.moved + p.skipped + p.failed;
      if (bar.isTTY) bar.redraw(p.total ? done / p.total : undefined, replayProgressLine(p));
      else bar.log(replayProgressLine(p), 2000);
    },
    finish: (): void => bar.finish(),
  };
};

/** The summary for a human. */
export const renderReplaySummary = (summary: ReplaySummary, ingestQueue: string): string => {
  const lines: string[] = [];
  if (summary.fallbackReason) lines.push(`Note: ${summary.fallbackReason}.`);
  if (summary.mode === 'native') {
    lines.push(
      `SQS move task ${summary.task?.status ?? '?'}: ${summary.moved} message(s) moved to ${ingestQueue}${summary.failed > 0 ? `, ${summary.failed} not moved (${summary.task?.failureReason ?? 'see the task'})` : ''}.`,
    );
    if (summary.stoppedEarly)
      lines.push('The task is still running on the SQS side; follow it again or stop it with --cancel.');
    return lines.join('\n');
  }
  const skipped = [
    summary.skippedPoison > 0 ? `${summary.skippedPoison} poison` : '',
    summary.skippedPrefix > 0 ? `${summary.skippedPrefix} outside the prefix` : '',
  ].filter(Boolean);
  lines.push(
    summary.dryRun
      ? `Dry run: ${summary.selected} message(s) would move to ${ingestQueue}; ${summary.skipped} would stay${skipped.length ? ` (${skipped.join(', ')})` : ''}. Nothing was moved; every message is visible in the DLQ again.`
      : `Moved ${summary.moved} message(s) to ${ingestQueue}; ${summary.skipped} left in the DLQ${skipped.length ? ` (${skipped.join(', ')})` : ''}; ${summary.failed} failed.`,
  );
  const listed = summary.messages.filter((m) => m.action !== 'moved').slice(0, LISTED);
  for (const m of listed) {
    // Keys and errors come from messages anyone who can write to the bucket shaped: one escaped line each.
    const what = m.files.length > 0 ? m.files.map((f) => printable(f)).join(', ') : '(no S3 records)';
    lines.push(
      `  ${m.action.padEnd(14)} ${printable(m.messageId)}  ${what}${m.error ? `  — ${printable(m.error)}` : ''}`,
    );
  }
  const more = summary.messages.filter((m) => m.action !== 'moved').length - listed.length;
  if (more > 0 || summary.messagesTruncated) lines.push('  … more in --json');
  if (summary.notDeleted > 0)
    lines.push(
      `${summary.notDeleted} message(s) reached the ingest queue but could not be deleted from the DLQ: they will be processed twice (harmless) and stay in the DLQ until replayed again.`,
    );
  if (summary.historyErrors > 0)
    lines.push(`${summary.historyErrors} REPLAYED history step(s) could not be written.`);
  if (summary.stoppedEarly)
    lines.push('Stopped before the DLQ was drained (time limit or Ctrl-C); run it again.');
  if (summary.skippedPoison > 0 && !summary.dryRun)
    lines.push(
      'Poison messages stay in the DLQ: inspect them with --dry-run, or move them with --include-poison.',
    );
  return lines.join('\n');
};

const DURATION = /^(\d+)\s*(s|m|h)$/i;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** `90s`, `15m`, `2h` → milliseconds. */
export const parseTimeout = (value: string): number => {
  const match = DURATION.exec(value.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[(match[2] ?? 's').toLowerCase() as keyof typeof UNIT_MS] : 0;
  if (!(ms > 0))
    throw new InvalidArgumentError(`must be a duration such as 90s, 15m or 2h (got "${value}").`);
  return ms;
};

/** `silent-scalper replay-dlq` — move dead-lettered messages back to the ingest queue. */
export const replayDlqCommand = (): Command =>
  new Command('replay-dlq')
    .summary('move messages from the dead-letter queue back to the ingest queue')
    .description(
      'Move messages from the dead-letter queue back to the ingest queue so the pipeline processes them again. Without filters on AWS this is an SQS message move task; with --prefix/--max/--dry-run, or where that API is missing (moto), messages are received, sent to the ingest queue, then deleted from the DLQ (send before delete: a crash can duplicate a message, never lose one). Poison messages (not S3 events) stay in the DLQ unless --include-poison.',
    )
    .option('--dry-run', 'show what would move (count, keys, poison errors) and move nothing')
    .option('--prefix <prefix>', 'only messages with an object key starting with this')
    .option('--max <n>', 'move at most n messages', integerIn(1, 1_000_000))
    .option('--max-per-second <n>', 'rate limit, messages per second (1–500)', integerIn(1, 500))
    .option('--include-poison', 'also move messages that are not S3 events')
    .addOption(
      new Option('--mode <mode>', 'auto: move task when nothing is filtered; native or manual to force one')
        .choices(Object.values(ReplayMode))
        .default(ReplayMode.AUTO),
    )
    .option('--cancel', 'cancel the running SQS move task of the DLQ and exit')
    .addOption(
      new Option('--timeout <duration>', 'stop after this long (90s, 15m, 2h); a move task keeps running')
        .argParser(parseTimeout)
        .default(900_000, '15m'),
    )
    .option('--json', 'print the summary as JSON (progress stays on stderr)')
    .option(
      '--class <class>',
      'replay only the messages of one class, judged against the table: notFinished (the upload has no final record), finished, poison; with --dry-run only counts the classes',
      parseDlqClass,
    )
    .option(
      '--drop-finished',
      'delete the messages whose upload already has its final record (nobody needs them)',
    )
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper replay-dlq --dry-run\n  silent-scalper replay-dlq --prefix dumps/2026-11-25/ --max 100 --max-per-second 20\n  silent-scalper replay-dlq --include-poison      # everything, as an SQS move task on AWS\n  silent-scalper replay-dlq --cancel',
    )
    .action(async (options: ReplayCliOptions, command: Command) => {
      await withTarget(command, async (target) => {
        const queues = sqsReplayQueues(target.clients.sqs, {
          dlqUrl: target.deadLetterQueueUrl,
          ingestQueueUrl: target.ingestQueueUrl,
        });
        if (options.cancel) {
          let result: Awaited<ReturnType<typeof cancelDlqReplay>>;
          try {
            result = await cancelDlqReplay(queues);
          } catch (error) {
            if (error instanceof MoveTaskUnsupportedError)
              throw new CliError(
                'this endpoint has no SQS move tasks to cancel (moto): a manual replay stops with Ctrl-C, and messages it held reappear in the DLQ after their visibility timeout.',
              );
            throw error;
          }
          if (options.json) out.stdout(toJson(result));
          else
            out.stdout(
              result.cancelled
                ? `Cancelled the move task after about ${result.approximateMoved ?? 0} message(s).`
                : `No move task is running${result.task ? ` (the last one is ${result.task.status})` : ''}.`,
            );
          return;
        }
        if (options.class || options.dropFinished) {
          const ignored = flagsIgnoredByClass(options);
          if (ignored.length > 0)
            throw new CliError(
              `--class and --drop-finished sort the whole DLQ; they cannot be combined with ${ignored.join(', ')}.`,
            );
          await replayByClass(target, options);
          return;
        }
        // A dry run also counts the DLQ's messages by class (before the listing, which hides them a while);
        // the listing below names each message once, and `--class X --dry-run` lists each with its class.
        if (options.dryRun && !options.json) await replayByClass(target, { dryRun: true, countsOnly: true });
        const controller = new AbortController();
        const onSigint = () => controller.abort();
        process.once('SIGINT', onSigint);
        const progress = replayProgressPrinter(process.stderr);
        try {
          const summary = await replayDlq(
            {
              ...(options.dryRun ? { dryRun: true } : {}),
              ...(options.prefix ? { prefix: options.prefix } : {}),
              ...(options.max !== undefined ? { max: options.max } : {}),
              ...(options.maxPerSecond !== undefined ? { maxPerSecond: options.maxPerSecond } : {}),
              ...(options.includePoison ? { includePoison: true } : {}),
              mode: options.mode,
              timeoutMs: options.timeout,
            },
            {
              queues,
              history: createDynamoOpsStore(target.clients.dynamo, target.names.metadataTable),
              onProgress: (p) => progress.update(p),
              signal: controller.signal,
            },
          );
          progress.finish();
          out.stdout(options.json ? toJson(summary) : renderReplaySummary(summary, target.names.ingestQueue));
          if (summary.failed > 0) process.exitCode = 1;
        } catch (error) {
          progress.finish();
          if (error instanceof ReplayOptionsError) throw new CliError(error.message);
          if (error instanceof MoveTaskUnsupportedError)
            throw new CliError(`${error.message}: use --mode auto or --mode manual here.`);
          throw error;
        } finally {
          process.off('SIGINT', onSigint);
        }
      });
    });
