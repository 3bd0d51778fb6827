import { Lazy } from 'aws-cdk-lib';
import { AnyPrincipal, Effect, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../../src/pipeline/quarantine.ts';

/**
 * Actions denied on an input object quarantined in place (tagged `silent-scalper-quarantined=in-place`):
 * reading its bytes, and changing its tags (which would lift the quarantine). All of them accept the
 * `s3:ExistingObjectTag/<key>` condition key
 * (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
 */
export const IN_PLACE_DENIED_ACTIONS = [
  's3:GetObject',
  's3:GetObjectVersion',
  's3:PutObjectTagging',
  's3:PutObjectVersionTagging',
  's3:DeleteObjectTagging',
  's3:DeleteObjectVersionTagging',
] as const;

/**
 * Add the in-place quarantine to an input bucket's policy: everyone but `exemptPrincipalArns` (the
 * pipeline's roles, resolved lazily because the roles are created after the bucket) is denied reading
 * or re-tagging objects that carry the in-place tag. An explicit deny beats any allow
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html), so a
 * huge rejected file stays where it is and cannot be served, without being copied.
 */
export const addInPlaceQuarantineGuard = (bucket: IBucket, exemptPrincipalArns: () => string[]): void => {
  bucket.addToResourcePolicy(
    new PolicyStatement({
      sid: 'DenyReadingInPlaceQuarantine',
      effect: Effect.DENY,
      principals: [new AnyPrincipal()],
      actions: [...IN_PLACE_DENIED_ACTIONS],
      resources: [bucket.arnForObjects('*')],
      conditions: {
        StringEquals: { [`s3:ExistingObjectTag/${IN_PLACE_TAG}`]: IN_PLACE_TAG_VALUE },
        ArnNotEquals: { 'aws:PrincipalArn': Lazy.list({ produce: exemptPrincipalArns }) },
      },
    }),
  );
};
