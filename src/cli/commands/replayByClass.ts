import { InvalidArgumentError } from 'commander';
import { DlqClass } from '../../ops/checkConsistency.ts';

import { type SortDeadLettersResult, sortDeadLetters } from '../../ops/sortDeadLetters.ts';
import { renderFields, renderTable, toJson } from '../output.ts';
import { out } from '../run.ts';
import type { Target } from '../target.ts';

/** `--class` values: the DLQ classes of `silent-scalper check`. */
export const parseDlqClass = (value: string): DlqClass => {
  const classes = Object.values(DlqClass) as string[];
  if (!classes.includes(value))
    throw new InvalidArgumentError(`must be one of ${classes.join(', ')} (got "${value}").`);
  return value as DlqClass;
};

/**
 * The `replay-dlq` filters a class-based sort does not honour (it acts on the whole DLQ), as the flags a
 * user typed. Decision: refuse them rather than ignore them, so `--class notFinished --prefix a/` never
 * replays more than the operator asked for.
 */
export const flagsIgnoredByClass = (options: {
  readonly prefix?: string;
  readonly max?: number;
  readonly maxPerSecond?: number;
  readonly includePoison?: boolean;
  readonly mode?: string;
}): string[] =>
  [
    options.prefix !== undefined ? '--prefix' : '',
    options.max !== undefined ? '--max' : '',
    options.maxPerSecond !== undefined ? '--max-per-second' : '',
    options.includePoison ? '--include-poison' : '',
    options.mode !== undefined && options.mode !== 'auto' ? '--mode' : '',
  ].filter(Boolean);

/** The options `replay-dlq` takes for class-based sorting. */
export interface ReplayByClassOptions {
  readonly class?: DlqClass;
  readonly dropFinished?: boolean;
  readonly dryRun?: boolean;
  readonly json?: boolean;
  /** Print the counts per class only, not each message (the plain dry run lists messages itself). */
  readonly countsOnly?: boolean;
}

/** The class of each message (first 200), so an operator sees which message is which before acting. */
const renderMessages = (result: SortDeadLettersResult): string =>
  result.messages.length === 0
    ? ''
    : `${renderTable(result.messages.slice(0, 200), [
        { header: 'MESSAGE', value: (m) => m.messageId },
        { header: 'CLASS', value: (m) => m.class },
        { header: 'FILES', value: (m) => m.files.join(', ') || '(not an S3 event)', maxWidth: 100 },
      ])}${result.messages.length > 200 ? `\n… and ${result.messages.length - 200} more (--json lists all)` : ''}\n\n`;

const render = (result: SortDeadLettersResult, dryRun: boolean): string =>
  (dryRun ? renderMessages(result) : '') +
  renderFields([
    [
      'DLQ by class',
      `${result.byClass.poison} poison (needs a person), ${result.byClass.notFinished} file not finished (replay), ${result.byClass.finished} file already finished (safe to drop)`,
    ],
    ...(dryRun
      ? ([['Dry run', 'nothing moved or deleted']] as [string, string][])
      : ([
          ['Replayed', String(result.replayed)],
          ['Dropped', String(result.dropped)],
          ['Kept', String(result.kept)],
        ] as [string, string][])),
  ]);

/**
 * Classify every DLQ message against the table (poison / file not finished / file already finished);
 * replay the `--class` ones and, with `--drop-finished`, delete those whose upload already has its final
 * record (they need nobody). `--dry-run` only counts.
 */
export const replayByClass = async (target: Target, options: ReplayByClassOptions): Promise<void> => {
  const result = await sortDeadLetters(
    target.clients,
    {
      metadataTable: target.names.metadataTable,
      queueUrl: target.ingestQueueUrl,
      dlqUrl: target.deadLetterQueueUrl,
    },
    {
      ...(options.class ? { replay: [options.class] } : {}),
      ...(options.dropFinished ? { drop: [DlqClass.finished] } : {}),
      ...(options.dryRun ? { dryRun: true } : {}),
    },
  );
  out.stdout(
    options.json
      ? toJson(result)
      : render(options.countsOnly ? { ...result, messages: [] } : result, options.dryRun ?? false),
  );
};
