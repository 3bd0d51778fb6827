import { Command } from 'commander';
import { countFiles, queueStats } from '../../tracking/index.ts';
import { parseSince } from '../options.ts';
import { renderFields, renderTable, toJson } from '../output.ts';
import { describeTarget, out, targetJson, withTarget } from '../run.ts';

interface StatusOptions {
  since: string;
  json?: boolean;
}

/** Types listed at most in the human output (the JSON has them all). */
const TOP_TYPES = 10;

const countRows = (counts: Record<string, number>, limit = Number.POSITIVE_INFINITY) =>
  Object.entries(counts)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, limit);

/** `silent-scalper status` — queue depths and counts per status, reason and type over a window. */
export const statusCommand = (): Command =>
  new Command('status')
    .summary('queue depths and counts per status, reason and type')
    .description(
      'Show the ingest queue (waiting, in flight, delayed), the dead-letter queue, and how many files were processed per status, quarantine reason and type in a time window.',
    )
    .option('--since <when>', 'window start: a duration back from now (30m, 24h, 7d) or a date', '24h')
    .option('--json', 'print as JSON (for scripts)')
    .addHelpText('after', '\nExamples:\n  silent-scalper status\n  silent-scalper status --since 1h --json')
    .action(async (options: StatusOptions, command: Command) => {
      const until = new Date();
      const since = parseSince(options.since, until);
      await withTarget(command, async (target) => {
        const [queue, counts] = await Promise.all([
          queueStats(target.clients.sqs, target.ingestQueueUrl, target.deadLetterQueueUrl),
          countFiles(target.clients.dynamo, target.names.metadataTable, { since, until }),
        ]);
        if (options.json) {
          out.stdout(
            toJson({
              target: targetJson(target),
              queue,
              window: { since: counts.since, until: counts.until },
              counts: {
                total: counts.total,
                byStatus: counts.byStatus,
                byReason: counts.byReason,
                byMime: counts.byMime,
                truncated: counts.truncated,
              },
            }),
          );
          return;
        }
        const lines = [
          renderFields([
            ['Target', describeTarget(target)],
            [
              'Queue',
              `${target.names.ingestQueue}: ${queue.visible} waiting, ${queue.inFlight} in flight, ${queue.delayed} delayed`,
            ],
            ['DLQ', `${target.names.deadLetterQueue}: ${queue.deadLetter} message(s)`],
          ]),
          '',
          `Files processed since ${counts.since} (until ${counts.until}): ${counts.total}${counts.truncated ? ' (at least: the window was too large to read completely)' : ''}`,
        ];
        if (counts.total > 0) {
          lines.push(
            '',
            renderTable(countRows(counts.byStatus), [
              { header: 'STATUS', value: ([k]) => k },
              { header: 'FILES', value: ([, v]) => String(v), alignRight: true },
            ]),
          );
          const reasons = countRows(counts.byReason).filter(([, v]) => v > 0);
          if (reasons.length > 0)
            lines.push(
              '',
              renderTable(reasons, [
                { header: 'QUARANTINE REASON', value: ([k]) => k },
                { header: 'FILES', value: ([, v]) => String(v), alignRight: true },
              ]),
            );
          lines.push(
            '',
            renderTable(countRows(counts.byMime, TOP_TYPES), [
              { header: 'TYPE', value: ([k]) => k },
              { header: 'FILES', value: ([, v]) => String(v), alignRight: true },
            ]),
          );
        }
        if (queue.deadLetter > 0)
          lines.push(
            '',
            `${queue.deadLetter} message(s) in the dead-letter queue: they are not S3 events or failed every receive.`,
          );
        out.stdout(lines.join('\n'));
      });
    });
