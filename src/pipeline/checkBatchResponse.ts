/** The partial batch response Lambda expects from an SQS-triggered function. */
export interface BatchItemFailuresResponse {
  batchItemFailures: { itemIdentifier: string }[];
}

/**
 * Build the response and check it: Lambda fails the WHOLE batch (every message is retried) when an
 * `itemIdentifier` is empty, null or not a message of the batch
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting).
 * Identifiers are kept in batch order, once each; identifiers not in the batch are dropped and returned
 * in `dropped` (a bug: the caller logs it — dropping them loses nothing, as they name no message here).
 */
export const checkBatchResponse = (
  batchMessageIds: readonly string[],
  failedMessageIds: Iterable<string>,
): { response: BatchItemFailuresResponse; dropped: string[] } => {
  const failed = new Set(failedMessageIds);
  const inBatch = new Set(batchMessageIds);
  const dropped = [...failed].filter((id) => !inBatch.has(id) || id === '');
  const seen = new Set<string>();
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const id of batchMessageIds) {
    if (id === '' || seen.has(id) || !failed.has(id)) continue;
    seen.add(id);
    batchItemFailures.push({ itemIdentifier: id });
  }
  return { response: { batchItemFailures }, dropped };
};
