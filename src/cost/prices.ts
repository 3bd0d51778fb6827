/**
 * The prices `npm run cost` multiplies the counted requests by: AWS list prices, us-east-1, on-demand,
 * without free tiers. Update the figures (and `checkedOn`) here; nothing else holds a price.
 */
export const PRICES = {
  region: 'us-east-1',
  checkedOn: '2026-12-01',
  currency: 'USD',
  s3: {
    /** GET, HEAD and SELECT requests (S3 Standard), per 1,000. https://aws.amazon.com/s3/pricing/ */
    getPer1000: 0.0004,
    /** PUT, COPY, POST and LIST requests (S3 Standard), per 1,000. */
    putCopyPostListPer1000: 0.005,
    /** DELETE requests are free. */
    deletePer1000: 0,
  },
  sqs: {
    /** Standard queue, per million requests; each 64 KiB chunk of a payload is one request. https://aws.amazon.com/sqs/pricing/ */
    perMillionRequests: 0.4,
    chunkBytes: 64 * 1024,
  },
  lambda: {
    /** Per million invocations. https://aws.amazon.com/lambda/pricing/ */
    perMillionRequests: 0.2,
    /** Arm64 (Graviton) duration, per GB-second (first tier). */
    arm64PerGbSecond: 0.0000133334,
  },
  dynamodb: {
    /** On-demand write request units, per million (price since Nov 2024). https://aws.amazon.com/dynamodb/pricing/on-demand/ */
    perMillionWriteUnits: 0.625,
    /** On-demand read request units, per million. */
    perMillionReadUnits: 0.125,
    /** Table storage (Standard class), per GB-month. */
    storagePerGbMonth: 0.25,
    /** Continuous backups (PITR), per GB-month. */
    pitrPerGbMonth: 0.2,
  },
  sns: {
    /** Standard topic publishes, per million (each 64 KB chunk one request). https://aws.amazon.com/sns/pricing/ */
    perMillionPublishes: 0.5,
  },
  cloudwatch: {
    /** Log ingestion (Standard class), per GB; EMF metric lines are log events too. https://aws.amazon.com/cloudwatch/pricing/ */
    logsIngestPerGb: 0.5,
    /** Custom metrics (first 10,000), per metric-month: a fixed cost, not per file. */
    customMetricPerMonth: 0.3,
  },
} as const;
