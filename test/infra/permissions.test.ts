import type { CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PermissionStatement, pipelineStatements } from '../../src/config/permissions.ts';
import { LOCAL_ACCOUNT_ID, localPipelineArns } from '../../src/local/iamPrincipals.ts';
import type { LocalResources } from '../../src/local/provision.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE } from '../../src/pipeline/quarantine.ts';
import { NO_BUNDLING, type Synthesized, synthesize } from './synth.ts';

// What moto does not evaluate (resource policies, conditions, trust policies) is asserted here on the
// template; what it does evaluate (identity policies) runs in test/e2e/enforcedIam.test.ts. docs/deploy.md
// "Permissions" says which is which.

let s: Synthesized;
let trusted: Synthesized;
const TRUSTED = 'arn:aws:iam::111122223333:role/ops';

beforeAll(() => {
  s = synthesize({ context: NO_BUNDLING });
  trusted = synthesize({ context: { ...NO_BUNDLING, quarantineAdminTrustedPrincipals: ` ${TRUSTED} ` } });
});
afterAll(() => {
  s?.cleanup();
  trusted?.cleanup();
});

const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);

type Json = Record<string, unknown>;
const REGION = 'us-east-1';

/** Local resources named like the stack's resources, so a resolved template reads like local ARNs. */
const local: LocalResources = {
  names: {
    inputBucket: 'input',
    quarantineBucket: 'quarantine',
    ingestQueue: 'queue',
    deadLetterQueue: 'dlq',
    metadataTable: 'table',
    alertsTopic: 'topic',
  },
  inputBucket: 'input',
  quarantineBucket: 'quarantine',
  queueUrl: 'http://local/queue',
  queueArn: `arn:aws:sqs:${REGION}:${LOCAL_ACCOUNT_ID}:queue`,
  dlqUrl: 'http://local/dlq',
  dlqArn: `arn:aws:sqs:${REGION}:${LOCAL_ACCOUNT_ID}:dlq`,
  tableName: 'table',
  topicArn: `arn:aws:sns:${REGION}:${LOCAL_ACCOUNT_ID}:topic`,
};

/**
 * Resolve the template's intrinsic functions (Ref, Fn::GetAtt, Fn::Join, pseudo parameters) to the local
 * ARNs: the same resolution the local runtime's IAM users get from the shared builders.
 */
const resolver = () => {
  const arns = localPipelineArns(local, REGION);
  const byId: Record<string, { arn: string; ref: string }> = {
    [id(s.stack.inputBucket.bucket)]: { arn: arns.inputBucketArn, ref: local.inputBucket },
    [id(s.stack.quarantineBucket.bucket)]: { arn: arns.quarantineBucketArn, ref: local.quarantineBucket },
    [id(s.stack.metadataTable.table)]: { arn: arns.tableArn, ref: local.tableName },
    [id(s.stack.alertsTopic)]: { arn: arns.topicArn, ref: arns.topicArn },
    [id(s.stack.queues.queue)]: { arn: arns.queueArn, ref: local.queueUrl },
    [id(s.stack.queues.deadLetterQueue)]: { arn: arns.deadLetterQueueArn, ref: local.dlqUrl },
  };
  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': REGION,
    'AWS::AccountId': LOCAL_ACCOUNT_ID,
    'AWS::StackId': arns.stackId,
    'AWS::StackName': s.stack.stackName,
  };
  const resolve = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      const v = value as Json;
      if ('Ref' in v) {
        const ref = String(v.Ref);
        const found = pseudo[ref] ?? byId[ref]?.ref;
        if (found === undefined) throw new Error(`unresolved Ref ${ref}`);
        return found;
      }
      if ('Fn::GetAtt' in v) {
        const [logicalId, attribute] = v['Fn::GetAtt'] as [string, string];
        const found = byId[logicalId];
        if (!found || attribute !== 'Arn') throw new Error(`unresolved GetAtt ${logicalId}.${attribute}`);
        return found.arn;
      }
      if ('Fn::Join' in v) {
        const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
        return parts.map(resolve).join(separator);
      }
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    }
    return value;
  };
  return { arns, resolve };
};

/** A role's statements of one inline policy, normalised (lists, sorted actions) for comparison. */
const normalise = (statements: readonly Json[]): Json[] =>
  statements.map((st) => ({
    Sid: st.Sid,
    Effect: st.Effect,
    Action: [st.Action].flat().sort(),
    // CDK may reorder the resources of a statement; their order means nothing to IAM.
    Resource: [st.Resource].flat().map(String).sort(),
  }));

const policyOf = (role: IConstruct, name: string): Json[] => {
  const properties = s.json.Resources[id(role)]?.Properties as {
    Policies: { PolicyName: string; PolicyDocument: { Statement: Json[] } }[];
  };
  const policy = properties.Policies.find((p) => p.PolicyName === name);
  if (!policy) throw new Error(`no ${name} policy on ${role.node.path}`);
  return policy.PolicyDocument.Statement;
};

const asJson = (statements: readonly PermissionStatement[]): Json[] =>
  statements.map((st) => ({ ...st, Action: [...st.Action], Resource: [...st.Resource] }));

describe('one source of permissions', () => {
  it('the template holds exactly the shared statements the local IAM users get, for every role', () => {
    // Prepare
    const { arns, resolve } = resolver();
    const wanted = pipelineStatements(arns);
    const adminRole = s.stack.pipeline.node.findChild('QuarantineAdminRole');

    // Act
    const inTemplate = {
      ingest: resolve(policyOf(s.stack.ingest.role, 'Pipeline')) as Json[],
      retry: resolve(policyOf(s.stack.retry.function.role, 'Pipeline')) as Json[],
      operator: resolve(policyOf(adminRole, 'Quarantine')) as Json[],
    };

    // Assess
    for (const role of ['ingest', 'retry', 'operator'] as const)
      expect(normalise(inTemplate[role]), role).toEqual(normalise(asJson(wanted[role])));
  });
});

describe('what moto does not evaluate, asserted on the template', () => {
  it('every alarm action goes to a topic whose policy lets this account’s alarms of this stack publish', () => {
    // Prepare
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));
    const policies = Object.values(s.template.findResources('AWS::SNS::TopicPolicy'));
    expect(alarms.length).toBeGreaterThan(0);

    const { resolve } = resolver();
    const matches = (pattern: string, arn: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(arn);

    // Act / Assess
    for (const alarm of alarms) {
      const props = alarm.Properties as { AlarmName: unknown; AlarmActions: Json[]; OkActions?: Json[] };
      const alarmArn = `arn:aws:cloudwatch:${REGION}:${LOCAL_ACCOUNT_ID}:alarm:${String(resolve(props.AlarmName))}`;
      for (const action of [...props.AlarmActions, ...(props.OkActions ?? [])]) {
        const policy = policies.find((p) =>
          ((p.Properties as { Topics: Json[] }).Topics ?? []).some(
            (t) => JSON.stringify(t) === JSON.stringify(action),
          ),
        );
        expect(policy, `topic policy of ${JSON.stringify(action)}`).toBeDefined();
        const statements = resolve(
          ((policy as { Properties: unknown }).Properties as { PolicyDocument: { Statement: Json[] } })
            .PolicyDocument.Statement,
        ) as Json[];
        const lets = statements.filter((st) => {
          const condition = st.Condition as
            | { StringEquals?: Json; ArnLike?: { 'aws:SourceArn'?: string } }
            | undefined;
          return (
            st.Effect === 'Allow' &&
            JSON.stringify(st.Principal) === JSON.stringify({ Service: 'cloudwatch.amazonaws.com' }) &&
            [st.Action].flat().includes('sns:Publish') &&
            st.Resource === resolve(action) &&
            condition?.StringEquals?.['aws:SourceAccount'] === LOCAL_ACCOUNT_ID &&
            matches(String(condition?.ArnLike?.['aws:SourceArn']), alarmArn)
          );
        });
        expect(lets, `${alarmArn} may publish to ${JSON.stringify(action)}`).toHaveLength(1);
      }
    }
  });

  it('lets S3 send to the ingest queue only from the input bucket of this account', () => {
    const queuePolicy = Object.values(s.template.findResources('AWS::SQS::QueuePolicy')).find((p) =>
      JSON.stringify(p.Properties).includes('s3.amazonaws.com'),
    ) as { Properties: { PolicyDocument: { Statement: Json[] } } };
    const { Statement } = queuePolicy.Properties.PolicyDocument;
    const s3Statements = Statement.filter((st) => JSON.stringify(st.Principal).includes('s3.amazonaws.com'));
    expect(s3Statements).toHaveLength(1);
    expect(s3Statements[0]?.Condition).toEqual({
      ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [id(s.stack.inputBucket.bucket), 'Arn'] } },
      StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
    });
  });

  it('lets only this account’s principals with MFA assume the admin role by default, or only the trusted principals', () => {
    const trustOf = (synth: Synthesized) => {
      const role = synth.stack.pipeline.node.findChild('QuarantineAdminRole');
      const logicalId = synth.stack.getLogicalId(role.node.defaultChild as CfnElement);
      const resource = synth.json.Resources[logicalId] as unknown as {
        Properties: { AssumeRolePolicyDocument: { Statement: Json[] } };
      };
      return resource.Properties.AssumeRolePolicyDocument.Statement;
    };
    expect(trustOf(s)).toEqual([
      expect.objectContaining({
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Condition: { Bool: { 'aws:MultiFactorAuthPresent': 'true' } },
      }),
    ]);
    expect(trustOf(trusted)).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { AWS: TRUSTED } },
    ]);
  });

  it('the input bucket denies reading or re-tagging a file quarantined in place to all but the pipeline roles', () => {
    // Prepare
    const policy = Object.values(s.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) =>
        JSON.stringify((p.Properties as Json).Bucket) ===
        JSON.stringify({ Ref: id(s.stack.inputBucket.bucket) }),
    );

    // Act
    const { Statement } = (policy as { Properties: { PolicyDocument: { Statement: Json[] } } }).Properties
      .PolicyDocument;
    const deny = Statement.find((st) => st.Sid === 'DenyReadingInPlaceQuarantine');

    // Assess
    expect(deny).toMatchObject({
      Effect: 'Deny',
      Principal: { AWS: '*' },
      Action: expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion', 's3:PutObjectTagging']),
      Condition: {
        StringEquals: { [`s3:ExistingObjectTag/${IN_PLACE_TAG}`]: IN_PLACE_TAG_VALUE },
      },
    });
    const exempt = ((deny as Json).Condition as { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } })
      .ArnNotEquals['aws:PrincipalArn'];
    const adminRole = s.stack.pipeline.node.findChild('QuarantineAdminRole');
    expect(exempt).toEqual([
      { 'Fn::GetAtt': [id(s.stack.ingest.role), 'Arn'] },
      { 'Fn::GetAtt': [id(s.stack.retry.function.role), 'Arn'] },
      { 'Fn::GetAtt': [id(adminRole), 'Arn'] },
    ]);
  });

  it('the quarantine bucket denies object access to every principal but the pipeline roles and the admin role', () => {
    const policy = Object.values(s.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) =>
        JSON.stringify((p.Properties as Json).Bucket) ===
        JSON.stringify({ Ref: id(s.stack.quarantineBucket.bucket) }),
    );
    const { Statement } = (policy as { Properties: { PolicyDocument: { Statement: Json[] } } }).Properties
      .PolicyDocument;
    const deny = Statement.find((st) => st.Sid === 'OnlyPipelineRolesTouchObjects');
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    const allowed = ((deny as Json).Condition as { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } })
      .ArnNotEquals['aws:PrincipalArn'];
    expect(allowed).toHaveLength(3);
    expect(allowed).toEqual(
      expect.arrayContaining([
        { 'Fn::GetAtt': [id(s.stack.ingest.role), 'Arn'] },
        { 'Fn::GetAtt': [id(s.stack.retry.function.role), 'Arn'] },
      ]),
    );
  });
});
