import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { listFiles, MAX_LIST_LIMIT } from '../tracking/listFiles.ts';
import { type LiveView, matchesQuery, toFileRow } from './liveView.ts';
import type { FilePageResponse, FileQuery, FileRow } from './types.ts';

/** Options of {@link filePage}. */
export interface FilePageDeps {
  readonly view: LiveView;
  readonly dynamo: DynamoDBDocumentClient;
  readonly tableName: string;
  /** `listFiles` calls at most for one page, so a rare filter over a huge table answers anyway. @default 10 */
  readonly maxTableCalls?: number;
}

/**
 * One page of the file table, newest first. Served from the in-memory view when it has rows for the page
 * (a page where the view runs out is returned short, its cursor pointing below the view); pages below the
 * view (or every page before the view has loaded) come from `listFiles` on the table, with the reason and
 * type filters applied here (the indexes only know status and time). When the call budget runs out first,
 * the page is returned short with a cursor to continue from.
 */
export const filePage = async (deps: FilePageDeps, query: FileQuery): Promise<FilePageResponse> => {
  const fromView = deps.view.page(query);
  if (fromView && fromView.resumeCursor === undefined) {
    return {
      items: fromView.items,
      source: 'view',
      ...(fromView.nextCursor ? { nextCursor: fromView.nextCursor } : {}),
    };
  }
  const items: FileRow[] = [...(fromView?.items ?? [])];
  let cursor = fromView ? fromView.resumeCursor : query.cursor;
  const filtering = query.reason !== undefined || query.type !== undefined;
  const maxCalls = deps.maxTableCalls ?? 10;
  for (let call = 0; call < maxCalls; call++) {
    const wanted = query.limit - items.length;
    const page = await listFiles(deps.dynamo, deps.tableName, {
      limit: filtering ? Math.min(MAX_LIST_LIMIT, Math.max(100, wanted * 4)) : wanted,
      ...(query.status ? { status: query.status } : {}),
      ...(query.prefix ? { keyPrefix: query.prefix } : {}),
      ...(cursor ? { cursor } : {}),
    });
    for (const record of page.items) {
      const row = toFileRow(record);
      cursor = row.id;
      if (!matchesQuery(row, query)) continue;
      items.push(row);
      if (items.length === query.limit) {
        // Rows of this batch after the last one returned are read again by the next page: no gap.
        return { items, nextCursor: row.id, source: fromView ? 'mixed' : 'table' };
      }
    }
    if (!page.nextCursor) return { items, source: fromView ? 'mixed' : 'table' };
    cursor = page.nextCursor;
  }
  return { items, source: fromView ? 'mixed' : 'table', ...(cursor ? { nextCursor: cursor } : {}) };
};
