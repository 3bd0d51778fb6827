/** How Lambda reads a function's answer to one SQS batch (with ReportBatchItemFailures on). */
export type BatchVerdict =
  /** Delete every message except `failedIds`. */
  | { readonly kind: 'partial'; readonly failedIds: ReadonlySet<string> }
  /** The whole batch fails: nothing is deleted, every message returns after the visibility timeout. */
  | { readonly kind: 'malformed'; readonly reason: string };

/**
 * Interpret a handler's return value as Lambda does
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting):
 * a null or empty response, or a null or empty `batchItemFailures`, is complete success; an
 * `itemIdentifier` that is null, empty, not a string, or not a message of the batch, or a response that
 * is not valid JSON, fails the whole batch. The value is first serialised to JSON, as Lambda does with a
 * function's result, so `undefined` fields vanish and unserialisable values are caught.
 */
export const interpretBatchResponse = (result: unknown, batchMessageIds: readonly string[]): BatchVerdict => {
  let response: unknown;
  try {
    const text = JSON.stringify(result);
    response = text === undefined ? null : JSON.parse(text);
  } catch (error) {
    return { kind: 'malformed', reason: `response is not valid JSON: ${(error as Error).message}` };
  }
  if (response === null || typeof response !== 'object' || Array.isArray(response))
    return { kind: 'partial', failedIds: new Set() };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'partial', failedIds: new Set() };
  if (!Array.isArray(failures))
    return { kind: 'malformed', reason: `batchItemFailures is not a list (got ${JSON.stringify(failures)})` };
  const inBatch = new Set(batchMessageIds);
  const failedIds = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '')
      return { kind: 'malformed', reason: `itemIdentifier is ${JSON.stringify(id ?? null)}` };
    if (!inBatch.has(id))
      return {
        kind: 'malformed',
        reason: `itemIdentifier ${JSON.stringify(id)} is not a message of this batch`,
      };
    failedIds.add(id);
  }
  return { kind: 'partial', failedIds };
};
