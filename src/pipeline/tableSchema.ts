/**
 * Key schema of the metadata table (README "The metadata table" lists every access pattern and its cost).
 * One item per upload (object version), one item per operation step, and one manifest item per
 * written batch:
 *
 * - `pk` = `FILE#<bucket>/<key>`; `sk` = `<eventTime ISO>#UPLOAD#<uploadId>` or `<time>#STEP#<step>#…`,
 *   so `Query(pk)` returns one file's whole history in time order.
 * - Batch manifests: `pk` = `BATCHES#<shard>`, `sk` = `<recordedAt ISO>#<batchId>#<part>`; one item
 *   lists the keys and outcomes of every file a batch wrote (≈ 100 bytes per file). "Newest first over
 *   all statuses", PROCESSED listings, counts over a window and the dashboard read these instead of one
 *   index entry per file: about 0.1–0.2 write units per file instead of 2. The manifests of 1,000
 *   files/s (100 batches/s) spread over {@link TABLE_SCHEMA.shards} partitions by a hash of the batch.
 * - GSI `byStatus` (sparse): only QUARANTINED and GONE uploads carry `statusShard` = `<status>#<shard>`
 *   (hash of the key), with `listSk` = the file's manifest position, so PROCESSED files (the bulk) pay
 *   no index write. It projects every attribute: the quarantine retry reads whole records from it.
 */
export const TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  shards: 8,
  manifestPartitionPrefix: 'BATCHES#',
  /** Statuses listed by the sparse byStatus index; the others are listed from batch manifests. */
  indexedStatuses: ['QUARANTINED', 'GONE'],
  indexes: {
    byStatus: { name: 'byStatus', partitionKey: 'statusShard', sortKey: 'listSk', projection: 'ALL' },
  },
} as const;
