import { Duration, Lazy, type RemovalPolicy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  type LifecycleRule,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/**
 * Object-level actions that only the allowed principals of a restricted bucket may use. Bucket-level
 * management (policy, notifications, lifecycle) stays with the deployer so CloudFormation can still
 * update the bucket.
 */
export const RESTRICTED_OBJECT_ACTIONS = [
  's3:GetObject*',
  's3:PutObject*',
  's3:DeleteObject*',
  's3:RestoreObject',
  's3:AbortMultipartUpload',
  's3:ListMultipartUploadParts',
  's3:ListBucket',
  's3:ListBucketVersions',
  's3:ListBucketMultipartUploads',
] as const;

/** Props of {@link SecureBucket}. */
export interface SecureBucketProps {
  /** Where server access logs go; omit only for the access-log bucket itself. */
  readonly accessLogs?: { readonly bucket: IBucket; readonly prefix: string };
  /**
   * Expire objects this many days after creation; in a versioned bucket, noncurrent versions too, the
   * same number of days after they became noncurrent (so no version is kept less than this). @default never
   */
  readonly expireAfterDays?: number;
  /**
   * Keep every version of every object (the quarantine bucket: each copy is its own version that a
   * record names, and no overwrite or delete removes a version nobody named). @default false
   */
  readonly versioned?: boolean;
  /** Expire objects carrying this tag after `days` (in-place quarantines in the input bucket). @default none */
  readonly expireTagged?: { readonly key: string; readonly value: string; readonly days: number };
  /** Abort incomplete multipart uploads after this many days (their parts are billed). @default 7 */
  readonly abortIncompleteUploadsAfterDays?: number;
  /** What happens to the bucket when the stack is deleted. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * When true, a bucket policy denies object reads, writes and listings to every principal except the
   * roles passed to {@link SecureBucket.allowObjectAccess} (the quarantine bucket).
   * @default false
   */
  readonly restrictObjectAccess?: boolean;
  /** Role of CDK's helper function that writes the bucket's event notifications. @default CDK's own */
  readonly notificationsHandlerRole?: IRole;
}

/**
 * An S3 bucket with the pipeline's baseline: all public access blocked, bucket-owner-enforced ownership
 * (no ACLs), SSE-S3 encryption, TLS 1.2+ only, server access logs, and lifecycle rules.
 */
export class SecureBucket extends Construct {
  /** The bucket. */
  public readonly bucket: Bucket;
  private readonly allowedPrincipalArns: string[] = [];

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const lifecycleRules: LifecycleRule[] = [
      {
        id: 'abort-incomplete-multipart-uploads',
        abortIncompleteMultipartUploadAfter: Duration.days(props.abortIncompleteUploadsAfterDays ?? 7),
      },
    ];
    if (props.expireAfterDays !== undefined) {
      lifecycleRules.push({
        id: 'expire-objects',
        expiration: Duration.days(props.expireAfterDays),
        ...(props.versioned ? { noncurrentVersionExpiration: Duration.days(props.expireAfterDays) } : {}),
      });
      // S3 refuses ExpiredObjectDeleteMarker in a rule that has expiration days: its own rule. It removes
      // the delete markers expiration leaves once no version is behind them.
      if (props.versioned)
        lifecycleRules.push({ id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true });
    }
    if (props.expireTagged) {
      lifecycleRules.push({
        id: 'expire-tagged-objects',
        tagFilters: { [props.expireTagged.key]: props.expireTagged.value },
        expiration: Duration.days(props.expireTagged.days),
      });
    }
    this.bucket = new Bucket(this, 'Bucket', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // SSE-S3: the only default encryption a server-access-log target supports, and S3 → SQS event
      // notifications need no key policy with it.
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: props.versioned ?? false,
      lifecycleRules,
      removalPolicy: props.removalPolicy,
      ...(props.notificationsHandlerRole ? { notificationsHandlerRole: props.notificationsHandlerRole } : {}),
      ...(props.accessLogs
        ? {
            serverAccessLogsBucket: props.accessLogs.bucket,
            serverAccessLogsPrefix: props.accessLogs.prefix,
          }
        : {}),
    });

    if (props.restrictObjectAccess) {
      // An explicit deny beats any allow an identity policy in the account might grant
      // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html).
      // `aws:PrincipalArn` is the role ARN even for assumed-role sessions.
      this.bucket.addToResourcePolicy(
        new PolicyStatement({
          sid: 'OnlyPipelineRolesTouchObjects',
          effect: Effect.DENY,
          principals: [new AnyPrincipal()],
          actions: [...RESTRICTED_OBJECT_ACTIONS],
          resources: [this.bucket.bucketArn, this.bucket.arnForObjects('*')],
          conditions: {
            ArnNotEquals: {
              'aws:PrincipalArn': Lazy.list({ produce: () => this.allowedPrincipalArns }),
            },
          },
        }),
      );
    }
  }

  /**
   * Exempt a role from the object-access deny of a restricted bucket. Its own identity policy still has
   * to allow the actions it needs; this only keeps the bucket policy from denying them.
   */
  public allowObjectAccess(role: IRole | string): void {
    this.allowedPrincipalArns.push(typeof role === 'string' ? role : role.roleArn);
  }
}
