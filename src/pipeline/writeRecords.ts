import { classifyError, describeError } from './classifyError.ts';
import { PermanentError } from './errors.ts';
import type { LoggerPort, MetadataStore, Random, Sleep, TableItem } from './ports.ts';

/** BatchWriteItem takes at most 25 put requests per call. https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html */
export const BATCH_WRITE_MAX_ITEMS = 25;

/** Retry settings of {@link writeItems}. */
export interface WriteRetryOptions {
  /** Calls per item at most (the first one included). @default 8 */
  readonly maxAttempts?: number;
  /** First backoff cap; doubles per attempt. @default 50 */
  readonly baseDelayMs?: number;
  /** Largest backoff cap. @default 2000 */
  readonly maxDelayMs?: number;
  /** Parallel BatchWriteItem calls. @default 4 */
  readonly concurrency?: number;
  /** May the writer wait `ms` more before the next retry? (the invocation's time budget) */
  readonly canWait: (ms: number) => boolean;
}

/** Result of {@link writeItems}. */
export interface WriteResult<T extends TableItem> {
  /** Items not written in the end (their messages must be retried). */
  readonly unwritten: readonly T[];
  /** BatchWriteItem calls made. */
  readonly requests: number;
  /** Last error or unprocessed-item note, when something was left unwritten. */
  readonly lastError?: string;
}

/** The identity of a table item: BatchWriteItem fails a whole call that holds one key twice. */
export const itemIdentity = (item: { readonly pk: string; readonly sk: string }): string =>
  `${item.pk}\u0000${item.sk}`;

/** Remove items with the same key, keeping the last one (the newest data for that item). */
export const dedupeItems = <T extends TableItem>(items: readonly T[]): T[] => {
  const byKey = new Map<string, T>();
  for (const item of items) {
    const id = itemIdentity(item);
    byKey.delete(id);
    byKey.set(id, item);
  }
  return [...byKey.values()];
};

const chunk = <T>(items: readonly T[], size: number): T[][] => {
  const chunks: T[][] = [];
  for (let i = 0; i < items.length; i += size) chunks.push(items.slice(i, i + size));
  return chunks;
};

/**
 * Write items with BatchWriteItem: de-duplicated, ≤25 per call, a few calls in parallel. Unprocessed items
 * (and calls that fail transiently) are retried with exponential backoff and full jitter while the time
 * budget allows; AWS asks for exactly that (https://docs.aws.amazon.com/general/latest/gr/api-retries.html).
 * Never throws: what could not be written comes back in `unwritten`.
 */
export const writeItems = async <T extends TableItem>(
  items: readonly T[],
  deps: {
    readonly metadataStore: MetadataStore;
    readonly sleep: Sleep;
    readonly random: Random;
    readonly logger: LoggerPort;
  },
  options: WriteRetryOptions,
): Promise<WriteResult<T>> => {
  const maxAttempts = options.maxAttempts ?? 8;
  const baseDelayMs = options.baseDelayMs ?? 50;
  const maxDelayMs = options.maxDelayMs ?? 2000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  let pending: T[] = dedupeItems(items);
  const abandoned: T[] = [];
  let requests = 0;
  let lastError: string | undefined;

  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const chunks = chunk(pending, BATCH_WRITE_MAX_ITEMS);
    const retry: T[] = [];
    for (let i = 0; i < chunks.length; i += concurrency) {
      await Promise.all(
        chunks.slice(i, i + concurrency).map(async (part) => {
          requests += 1;
          try {
            const { unprocessed } = await deps.metadataStore.batchPut(part);
            if (unprocessed.length > 0) {
              const left = new Set(unprocessed.map(itemIdentity));
              retry.push(...part.filter((item) => left.has(itemIdentity(item))));
              lastError = `${unprocessed.length} items left unprocessed by BatchWriteItem`;
            }
          } catch (caught) {
            const error = classifyError(caught);
            lastError = describeError(error);
            if (error instanceof PermanentError) {
              deps.logger.error('BatchWriteItem rejected the items', {
                error: lastError,
                items: part.length,
              });
              abandoned.push(...part);
            } else retry.push(...part);
          }
        }),
      );
    }
    pending = retry;
    if (pending.length === 0) break;
    const delayMs = Math.floor(deps.random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1)));
    if (attempt >= maxAttempts || !options.canWait(delayMs)) {
      deps.logger.warn('giving up on unwritten items', {
        items: pending.length,
        attempts: attempt,
        error: lastError,
      });
      break;
    }
    await deps.sleep(delayMs);
  }
  const unwritten = [...abandoned, ...pending];
  return { unwritten, requests, ...(unwritten.length > 0 && lastError ? { lastError } : {}) };
};
