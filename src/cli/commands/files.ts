import { Command } from 'commander';
import type { FileStatus } from '../../pipeline/constants.ts';
import { quarantineLocationText } from '../../pipeline/quarantine.ts';
import type { FileRecord } from '../../pipeline/types.ts';
import { listFiles, MAX_LIST_LIMIT } from '../../tracking/index.ts';
import { decodeCursor, encodeCursor } from '../cursor.ts';
import { integerIn, parseSince, parseStatus } from '../options.ts';
import { formatBytes, renderTable, toJson } from '../output.ts';
import { out, withTarget } from '../run.ts';

interface FilesOptions {
  status?: FileStatus;
  limit: number;
  cursor?: string;
  prefix?: string;
  since?: string;
  json?: boolean;
}

/** `2026-11-25T01:02:03.456Z` → `2026-11-25 01:02:03` (UTC, to the second). */
const shortTime = (iso: string): string => iso.replace('T', ' ').replace(/\.\d+Z$|Z$/, '');

/** What to show as a record's type: the sniffed MIME type, else the content class, else `-`. */
export const typeOf = (record: Pick<FileRecord, 'mime' | 'contentClass'>): string =>
  record.mime ?? (record.contentClass ? `(${record.contentClass})` : '-');

/** The records as a table, newest first. */
export const renderFileTable = (
  records: readonly (Pick<
    FileRecord,
    'processedAt' | 'status' | 'reason' | 'size' | 'mime' | 'contentClass' | 'key'
  > &
    Partial<
      Pick<FileRecord, 'quarantineBucket' | 'quarantineKey' | 'quarantineVersionId' | 'quarantinedInPlace'>
    >)[],
): string =>
  renderTable(records, [
    { header: 'PROCESSED (UTC)', value: (r) => shortTime(r.processedAt) },
    { header: 'STATUS', value: (r) => r.status },
    { header: 'REASON', value: (r) => r.reason ?? '' },
    { header: 'SIZE', value: (r) => formatBytes(r.size), alignRight: true },
    { header: 'TYPE', value: typeOf, maxWidth: 30 },
    { header: 'KEY', value: (r) => r.key, maxWidth: 80 },
    // Where a quarantined upload's bytes are, exactly (object and version; `--json` never truncates).
    { header: 'QUARANTINED AS', value: (r) => quarantineLocationText(r) ?? '', maxWidth: 120 },
  ]);

/** `silent-scalper files` — the newest file records, filterable, page by page. */
export const filesCommand = (): Command =>
  new Command('files')
    .summary('list the newest file records, by status or key prefix')
    .description(
      'List the newest file records (one per upload), newest first, optionally by status or key prefix.',
    )
    .option('--status <status>', 'only PROCESSED, QUARANTINED or GONE', parseStatus)
    .option('--limit <n>', `records per page (1–${MAX_LIST_LIMIT})`, integerIn(1, MAX_LIST_LIMIT), 20)
    .option('--cursor <cursor>', 'continue after the last page (printed below it)', decodeCursor)
    .option('--prefix <prefix>', 'only keys that start with this')
    .option('--since <when>', 'only records processed since: a duration (30m, 24h) or a date')
    .option('--json', 'print as JSON: { items, nextCursor }')
    .addHelpText(
      'after',
      '\nExamples:\n  silent-scalper files\n  silent-scalper files --status QUARANTINED --limit 50\n  silent-scalper files --prefix dumps/today/ --json',
    )
    .action(async (options: FilesOptions, command: Command) => {
      const since = options.since ? parseSince(options.since).toISOString() : undefined;
      await withTarget(command, async (target) => {
        const page = await listFiles(target.clients.dynamo, target.names.metadataTable, {
          limit: options.limit,
          ...(options.status ? { status: options.status } : {}),
          ...(options.cursor ? { cursor: options.cursor } : {}),
          ...(options.prefix ? { keyPrefix: options.prefix } : {}),
          ...(since ? { since } : {}),
        });
        const nextCursor = page.nextCursor ? encodeCursor(page.nextCursor) : undefined;
        if (options.json) {
          out.stdout(toJson({ items: page.items, ...(nextCursor ? { nextCursor } : {}) }));
          return;
        }
        if (page.items.length === 0 && !nextCursor) {
          out.stdout(
            options.cursor
              ? 'No more files.'
              : 'No files yet: upload some with `silent-scalper upload <paths>`.',
          );
          return;
        }
        out.stdout(renderFileTable(page.items));
        if (nextCursor) out.stdout(`\nMore: add --cursor ${nextCursor}`);
      });
    });
