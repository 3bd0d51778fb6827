import { Stack } from 'aws-cdk-lib';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/** Flatten a resolved CloudFormation value the way cdk-nag 3 writes it into a finding id. */
const flatten = (node: unknown): string => {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  const value = node as Record<string, unknown>;
  if (Array.isArray(value['Fn::Join'])) {
    const [delimiter, items] = value['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (value['Fn::Sub'] !== undefined) return flatten(value['Fn::Sub']);
  if (Array.isArray(value['Fn::GetAtt'])) {
    const [resource, attribute] = value['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (value['Fn::ImportValue'] !== undefined) return flatten(value['Fn::ImportValue']);
  if (value.Ref !== undefined) return `<${flatten(value.Ref)}>`;
  return JSON.stringify(node);
};

/**
 * cdk-nag's AwsSolutions-IAM5 finding id for `<bucket ARN>/*` in an IAM policy (object keys are not known
 * in advance, so the wildcard is reviewed and acknowledged). Computed from the bucket's ARN token, so it
 * matches a bucket created here (`<Logical.Arn>/*`) and an imported one (`arn:<AWS::Partition>:s3:::name/*`)
 * alike. cdk-nag acknowledgments match finding ids exactly, and cdk-nag is a development dependency only,
 * so this mirrors its `flattenCfnReference` instead of importing it.
 */
export const objectWildcardFinding = (scope: IConstruct, bucket: IBucket): string =>
  `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(bucket.arnForObjects('*')))}]`;
