/**
 * Key schema of the metadata table. One item per upload (object version) plus one item per
 * operation step (RETRIED, RETRY_EXHAUSTED), all under the file's partition:
 *
 * - `pk` = `FILE#<bucket>/<key>`; `sk` = `<eventTime ISO>#UPLOAD#<uploadId>` or `<time>#STEP#<step>#…`,
 *   so `Query(pk)` returns one file's whole history in time order.
 * - GSI `byStatus`: `statusShard` = `<status>#<shard>`, `listSk` = `<processedAt ISO>#<pk>#<sk>`:
 *   newest files first, per status. Writes are spread over {@link TABLE_SCHEMA.shards} shards
 *   (hash of the key) so 1,000 writes/s of one status never land on one partition.
 * - GSI `byTime`: `timeShard` = `ALL#<shard>`, `listSk`: newest files first across statuses, and counts
 *   per status/type over a time window (key condition on `listSk`).
 * Step items carry no index attributes, so both indexes are sparse and list only uploads.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  shards: 8,
  indexes: {
    byStatus: { name: 'byStatus', partitionKey: 'statusShard', sortKey: 'listSk' },
    byTime: { name: 'byTime', partitionKey: 'timeShard', sortKey: 'listSk' },
  },
} as const;
