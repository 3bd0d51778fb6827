import { Annotations, Stack, Token } from 'aws-cdk-lib';
import type { PolicyDocument } from 'aws-cdk-lib/aws-iam';
import { Bucket, type CfnBucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { InvalidSettingsError } from '../src/config/settings.ts';

/**
 * One place uploads come from: a bucket, optionally narrowed to keys with a prefix and/or a suffix. Each
 * source becomes its own S3 event notification to the ingest queue.
 */
export interface PipelineSource {
  /** The bucket (created in your app, or imported with `Bucket.fromBucketName` / `fromBucketArn`). */
  readonly bucket: IBucket;
  /** Only keys starting with this raise a notification. @default every key */
  readonly prefix?: string;
  /** Only keys ending with this raise a notification. @default every key */
  readonly suffix?: string;
}

/** Acknowledgeable warning id: an imported bucket's own settings are not managed by the pipeline. */
export const IMPORTED_BUCKET_WARNING = 'silent-scalper:importedBucketSettings';
/** Acknowledgeable warning id: a bucket defined in the app lacks part of the pipeline's baseline. */
export const BUCKET_BASELINE_WARNING = 'silent-scalper:inputBucketBaseline';

const overlaps = (a: string | undefined, b: string | undefined, startsWith: boolean): boolean => {
  if (!a || !b) return true;
  return startsWith ? a.startsWith(b) || b.startsWith(a) : a.endsWith(b) || b.endsWith(a);
};

/**
 * Check the sources up front and return every problem (the pipeline throws them together with the other
 * guards): filters are literal (S3 has no wildcards), and two sources of one bucket must not overlap — S3
 * refuses a notification configuration whose filters for the same event type overlap, which would only
 * surface as a failed deployment
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-filtering.html).
 */
export const sourceProblems = (sources: readonly PipelineSource[]): string[] => {
  const problems: string[] = [];
  if (sources.length === 0) problems.push('sources must list at least one bucket');
  sources.forEach((source, i) => {
    for (const [name, value] of [
      ['prefix', source.prefix],
      ['suffix', source.suffix],
    ] as const) {
      if (value !== undefined && (value === '' || value.includes('*')))
        problems.push(
          `sources[${i}] ${name} filter must be a non-empty literal string; S3 has no wildcards (got "${value}")`,
        );
    }
    for (let j = 0; j < i; j += 1) {
      const other = sources[j];
      if (!other || other.bucket.bucketName !== source.bucket.bucketName) continue;
      if (overlaps(source.prefix, other.prefix, true) && overlaps(source.suffix, other.suffix, false))
        problems.push(
          `sources[${j}] and sources[${i}] are the same bucket with overlapping prefix/suffix filters; S3 refuses overlapping ObjectCreated notifications`,
        );
    }
  });
  return problems;
};

/** Throw one {@link InvalidSettingsError} naming every problem of the sources. */
export const validateSources = (sources: readonly PipelineSource[]): void => {
  const problems = sourceProblems(sources);
  if (problems.length > 0)
    throw new InvalidSettingsError(
      `Invalid Silent Scalper sources:\n  - ${problems.join('\n  - ')}`,
      problems,
    );
};

const known = (value: string | undefined): value is string =>
  value !== undefined && !Token.isUnresolved(value);

const hasTlsOnlyStatement = (document: PolicyDocument | undefined, scope: Construct): boolean =>
  JSON.stringify(Stack.of(scope).resolve(document?.toJSON() ?? {})).includes('aws:SecureTransport');

/**
 * What can be checked at synthesis about an input bucket the pipeline does not own. S3 sends event
 * notifications only to a queue in the bucket's own Region, so a known different Region is an error; a
 * bucket of another account needs its owner's bucket policy; a bucket defined elsewhere in the app is
 * checked for the pipeline's baseline (public access blocked, TLS-only policy, access logs); a bucket
 * imported by name or ARN cannot be inspected, so one acknowledgeable warning lists what its owner keeps.
 */
export const annotateSource = (scope: Construct, bucket: IBucket): void => {
  const stack = Stack.of(scope);
  const annotations = Annotations.of(scope);
  if (known(bucket.env.region) && known(stack.region) && bucket.env.region !== stack.region)
    annotations.addError(
      `input bucket ${bucket.bucketName} is in ${bucket.env.region} but the pipeline in ${stack.region}: S3 sends event notifications only to a queue in the bucket's Region`,
    );
  if (known(bucket.env.account) && known(stack.account) && bucket.env.account !== stack.account)
    annotations.addWarningV2(
      `${IMPORTED_BUCKET_WARNING}.crossAccount`,
      `input bucket ${bucket.bucketName} belongs to account ${bucket.env.account}: its owner must allow the ingest and retry roles in the bucket policy and let the bucket notify the queue (docs/deploy.md, "An existing input bucket")`,
    );
  if (bucket instanceof Bucket) {
    const cfn = bucket.node.defaultChild as CfnBucket;
    const block = stack.resolve(cfn.publicAccessBlockConfiguration) as Record<string, boolean> | undefined;
    const missing: string[] = [];
    if (
      !block ||
      !['blockPublicAcls', 'blockPublicPolicy', 'ignorePublicAcls', 'restrictPublicBuckets'].every(
        (k) => block[k] === true,
      )
    )
      missing.push('public access is not fully blocked');
    if (!hasTlsOnlyStatement(bucket.policy?.document, scope))
      missing.push('no TLS-only bucket policy (enforceSSL)');
    if (cfn.loggingConfiguration === undefined) missing.push('no server access logs');
    if (missing.length > 0)
      annotations.addWarningV2(
        BUCKET_BASELINE_WARNING,
        `input bucket ${bucket.node.path}: ${missing.join('; ')} — the pipeline's own buckets have all of these`,
      );
    return;
  }
  annotations.addWarningV2(
    IMPORTED_BUCKET_WARNING,
    `input bucket ${bucket.bucketName} is imported: its bucket policy, TLS-only rule, public access block, encryption, access logs and lifecycle are its owner's, not this stack's. The notification is merged with the bucket's existing ones. See docs/deploy.md, "An existing input bucket".`,
  );
};
