import { Command } from 'commander';
import { type CheckResult, checkConsistency } from '../../ops/checkConsistency.ts';
import { printable } from '../../text/printable.js';
import { renderFields, toJson } from '../output.ts';
import { describeTarget, out, targetJson, withTarget } from '../run.ts';

interface CheckOptions {
  json?: boolean;
}

const render = (result: CheckResult): string => {
  const lines = [
    `${result.ok ? 'OK' : 'PROBLEMS FOUND'}: ${result.uploads} upload(s) — ${result.byStatus.PROCESSED} processed, ${result.byStatus.QUARANTINED} quarantined, ${result.byStatus.GONE} gone`,
    '',
    renderFields([
      ['Lost', String(result.lost)],
      ['Duplicated', String(result.duplicated)],
      ['Misplaced', String(result.misplaced)],
      ['Changed', String(result.changed)],
      ['Ingest queue', `${result.queueMessages} message(s) left`],
      [
        'DLQ',
        `${result.dlq.poison} poison, ${result.dlq.notFinished} file not finished (replay), ${result.dlq.finished} file already finished (safe to drop)`,
      ],
    ]),
  ];
  if (result.problems.length > 0) {
    lines.push('', 'Problems (first found):');
    for (const p of result.problems)
      lines.push(`  ${p.kind.padEnd(10)} ${printable(`s3://${p.bucket}/${p.key}`)} — ${printable(p.detail)}`);
  }
  return lines.join('\n');
};

/** `silent-scalper check` — prove every upload ended in exactly one right place. */
export const checkCommand = (): Command =>
  new Command('check')
    .summary('check that every upload ended in exactly one right place')
    .description(
      'Check every upload: exactly one final record; the object where that record says (input bucket, quarantine, or nowhere for GONE) and nowhere else; its ETag unchanged; no duplicate upload items; nothing left in the ingest queue; and every DLQ message classified (poison / file not finished / file already finished). Exits 1 when something is wrong.',
    )
    .option('--json', 'print the result as JSON (for scripts)')
    .addHelpText('after', '\nExamples:\n  silent-scalper check\n  silent-scalper check --json')
    .action(async (options: CheckOptions, command: Command) => {
      await withTarget(command, async (target) => {
        const result = await checkConsistency(target.clients, {
          inputBucket: target.names.inputBucket,
          sourceBuckets: target.sourceBuckets,
          quarantineBucket: target.names.quarantineBucket,
          metadataTable: target.names.metadataTable,
          queueUrl: target.ingestQueueUrl,
          dlqUrl: target.deadLetterQueueUrl,
        });
        if (options.json) out.stdout(toJson({ target: targetJson(target), ...result }));
        else out.stdout(`${describeTarget(target)}\n\n${render(result)}`);
        if (!result.ok) process.exitCode = 1;
      });
    });
