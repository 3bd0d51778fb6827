import { Command } from 'commander';
import { HistoryStep } from '../../pipeline/constants.ts';
import { quarantineLocationText } from '../../pipeline/quarantine.ts';
import type { FileRecord, HistoryStepRecord } from '../../pipeline/types.ts';
import { printable } from '../../text/printable.js';
import { type FileHistory, fileHistory } from '../../tracking/index.ts';
import { CliError } from '../errors.ts';
import { formatBytes, formatDuration, renderFields, toJson } from '../output.ts';
import { out, withTarget } from '../run.ts';
import { typeOf } from './files.ts';

interface ShowOptions {
  bucket?: string;
  json?: boolean;
}

const renderUpload = (upload: FileRecord, index: number): string => {
  const head = printable(
    `Upload ${index + 1}  ${upload.eventTime}  ${upload.status}${upload.reason ? ` (${upload.reason})` : ''}`,
  );
  const timing = [
    `${formatDuration(upload.durationMs)} processing`,
    `${formatDuration(upload.queueLatencyMs)} in the queue`,
    ...(upload.sniffMs === undefined ? [] : [`${formatDuration(upload.sniffMs)} sniffing`]),
  ].join(', ');
  const fields = renderFields([
    ['size', `${formatBytes(upload.size)} (${upload.size} bytes)`],
    ['declared type', upload.declaredContentType],
    ['sniffed type', upload.mime ? `${upload.mime}${upload.ext ? ` (.${upload.ext})` : ''}` : typeOf(upload)],
    ['processed at', upload.processedAt],
    ['timing', timing],
    ['receives', upload.receiveCount],
    ['attempt', upload.attempt > 0 ? upload.attempt : undefined],
    ['etag', upload.etag],
    ['version', upload.versionId],
    [
      'quarantined to',
      // The exact object and version holding this upload (src/pipeline/quarantine.ts).
      quarantineLocationText(upload),
    ],
    ['error', upload.error],
  ]);
  return `${head}\n${fields.replace(/^/gm, '  ')}`;
};

const STEP_LABELS: Record<string, string> = {
  [HistoryStep.RETRIED]: 'retried (copied back from quarantine)',
  [HistoryStep.RETRY_EXHAUSTED]: 'retries used up',
  [HistoryStep.REPLAYED]: 'replayed from the dead-letter queue',
};

const renderStep = (step: HistoryStepRecord): string => {
  const details = [
    step.attempt === undefined ? undefined : `attempt ${step.attempt}`,
    step.reason,
    step.detail,
  ].filter(Boolean);
  const line = `Step      ${step.at}  ${step.step}: ${STEP_LABELS[step.step] ?? step.step}${details.length > 0 ? ` — ${details.join(', ')}` : ''}`;
  // Details quote errors and keys: one line, no controls (src/text/printable.js).
  return printable(line);
};

/** A file's history for a human: a summary line, then every upload and step in time order. */
export const renderHistory = (history: FileHistory): string => {
  const latest = history.uploads.at(-1);
  const summary = `s3://${printable(history.bucket)}/${printable(history.key)}: ${history.uploads.length} upload(s), ${history.steps.length} step(s)${latest ? `; now ${latest.status}${latest.reason ? ` (${latest.reason})` : ''}` : ''}`;
  let uploadIndex = 0;
  const blocks = history.entries.map((entry) =>
    entry.recordType === 'UPLOAD' ? renderUpload(entry, uploadIndex++) : renderStep(entry),
  );
  return [summary, ...blocks].join('\n\n');
};

/** `silent-scalper show <key>` — one file's full history. */
export const showCommand = (): Command =>
  new Command('show')
    .summary("one file's full history")
    .description(
      "Show one file's full history: every upload (status, reason, types, timings) and operation step.",
    )
    .argument('<key>', 'the object key as uploaded (not URL-encoded)')
    .option('--bucket <bucket>', 'the bucket it was uploaded to (default: the input bucket)')
    .option('--json', 'print as JSON: { bucket, key, uploads, steps, entries }')
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper show "dumps/today/report 1.pdf"\n  silent-scalper show a.csv --json',
    )
    .action(async (key: string, options: ShowOptions, command: Command) => {
      await withTarget(command, async (target) => {
        const bucket = options.bucket ?? target.names.inputBucket;
        const history = await fileHistory(target.clients.dynamo, target.names.metadataTable, bucket, key);
        if (history.entries.length === 0)
          throw new CliError(
            `no records for s3://${printable(bucket)}/${printable(key)}: check the key (as uploaded, not URL-encoded), wait until the pipeline has processed it, or find it with \`silent-scalper files --prefix <start of the key>\`.`,
          );
        out.stdout(options.json ? toJson(history) : renderHistory(history));
      });
    });
