import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CfnElement, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, RETRY_ENV } from '../../src/config/retryConfig.ts';
import { TABLE_SCHEMA } from '../../src/config/settings.ts';
import { NO_BUNDLING, type Synthesized, synthesize } from './synth.ts';

// One synthesis with the real esbuild bundles, shared by the tests of this file.
let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});
afterAll(() => s?.cleanup());

const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);
const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [id(construct), 'Arn'] });
const objectsOf = (construct: IConstruct) => ({ 'Fn::Join': ['', [arnOf(construct), '/*']] });

describe('quarantine retry on AWS', () => {
  it('runs the retry function every 5 minutes from an EventBridge schedule', () => {
    const fn = s.stack.retry.function.function;
    s.template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: arnOf(fn), RetryPolicy: { MaximumRetryAttempts: 2 } })],
    });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(fn),
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(s.stack.retry.schedule),
    });
    // A failed pass is not re-run at once by Lambda's async retries: the next scheduled pass does it.
    s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: id(fn) },
      MaximumRetryAttempts: 0,
    });
  });

  it('gets its table, buckets, topic and the default policy from the shared environment builder', () => {
    const fn = s.json.Resources[id(s.stack.retry.function.function)]?.Properties as {
      Environment: { Variables: Record<string, unknown> };
      Handler: string;
      Timeout: number;
    };
    expect(fn.Environment.Variables).toEqual({
      [RETRY_ENV.metadataTable]: { Ref: id(s.stack.metadataTable.table) },
      [RETRY_ENV.quarantineBucket]: { Ref: id(s.stack.quarantineBucket.bucket) },
      [RETRY_ENV.inputBucket]: { Ref: id(s.stack.inputBucket.bucket) },
      [RETRY_ENV.alertsTopicArn]: { Ref: id(s.stack.alertsTopic) },
      [RETRY_ENV.maxRetries]: String(DEFAULT_RETRY_POLICY.maxRetries),
      [RETRY_ENV.baseDelaySeconds]: String(DEFAULT_RETRY_POLICY.baseDelaySeconds),
      [RETRY_ENV.lookbackHours]: String(DEFAULT_RETRY_POLICY.lookbackHours),
      [RETRY_ENV.maxFilesPerPass]: String(DEFAULT_RETRY_POLICY.maxFilesPerPass),
      NODE_OPTIONS: '--enable-source-maps',
    });
    expect(fn.Timeout).toBe(120);
  });

  it('has its own inline least-privilege role: exactly what a pass does, nothing else', () => {
    const role = s.json.Resources[id(s.stack.retry.function.role)]?.Properties as {
      ManagedPolicyArns?: unknown;
      Policies: { PolicyDocument: { Statement: Record<string, unknown>[] } }[];
    };
    expect(role.ManagedPolicyArns).toBeUndefined();
    const statements: Record<string, { Effect: unknown; Action: string[]; Resource: unknown }> =
      Object.fromEntries(
        role.Policies.flatMap((p) => p.PolicyDocument.Statement).map((st) => [
          st.Sid,
          { Effect: st.Effect, Action: [st.Action].flat().sort() as string[], Resource: st.Resource },
        ]),
      );
    const input = s.stack.inputBucket.bucket;
    const quarantine = s.stack.quarantineBucket.bucket;
    const table = s.stack.metadataTable.table;
    expect(statements).toEqual({
      WriteOwnLogs: {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arnOf(s.stack.retry.function.logGroup),
      },
      ReadQuarantinedObjects: {
        Effect: 'Allow',
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: objectsOf(quarantine),
      },
      RemoveRetriedFromQuarantine: {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        Resource: objectsOf(quarantine),
      },
      CopyBackToInput: {
        Effect: 'Allow',
        Action: ['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject', 's3:PutObjectTagging'],
        Resource: objectsOf(input),
      },
      ReleaseInPlaceQuarantine: {
        Effect: 'Allow',
        // The Version forms only for an input bucket the pipeline did not create (it may be versioned);
        // s3:PutObjectTagging comes with CopyBackToInput.
        Action: ['s3:GetObjectTagging'],
        Resource: objectsOf(input),
      },
      ListSoMissingObjectsRead404: {
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: [arnOf(input), arnOf(quarantine)],
      },
      FindQuarantinedFiles: {
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: [
          arnOf(table),
          { 'Fn::Join': ['', [arnOf(table), `/index/${TABLE_SCHEMA.indexes.byStatus.name}`]] },
        ],
      },
      RecordRetrySteps: { Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: arnOf(table) },
      AlertRetryExhausted: {
        Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: { Ref: id(s.stack.alertsTopic) },
      },
    });
    // Nothing beyond a pass: version deletes only in the quarantine bucket (the copied version), no
    // queue access.
    const actions = Object.values(statements).flatMap((st) => st.Action);
    expect(statements.CopyBackToInput?.Action).not.toContain('s3:DeleteObjectVersion');
    expect(actions.some((a) => a.startsWith('sqs:'))).toBe(false);
    expect(s.template.findResources('AWS::IAM::Policy')).toEqual({});
  });

  it('is let through the quarantine bucket’s deny-everyone-else policy', () => {
    const policy = Object.values(s.template.findResources('AWS::S3::BucketPolicy')).find(
      (p) =>
        JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: id(s.stack.quarantineBucket.bucket) }),
    );
    const statements = (policy?.Properties.PolicyDocument.Statement ?? []) as Record<string, unknown>[];
    const deny = statements.find((st) => st.Sid === 'OnlyPipelineRolesTouchObjects') as {
      Condition: { ArnNotEquals: { 'aws:PrincipalArn': unknown[] } };
    };
    expect(deny.Condition.ArnNotEquals['aws:PrincipalArn']).toContainEqual(
      arnOf(s.stack.retry.function.role),
    );
  });

  it('alarms to the alerts topic when a pass fails', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Errors',
      Namespace: 'AWS/Lambda',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: id(s.stack.retry.function.function) } }],
      Threshold: 1,
      AlarmActions: [{ Ref: id(s.stack.alertsTopic) }],
    });
  });

  it('ships its own ESM bundle exporting the handler', () => {
    const manifest = JSON.parse(
      readFileSync(join(s.assemblyDir, `${s.stack.artifactId}.assets.json`), 'utf8'),
    ) as {
      files: Record<string, { source: { path: string; packaging?: string } }>;
    };
    const fn = s.json.Resources[id(s.stack.retry.function.function)]?.Properties as {
      Code: { S3Key: string };
    };
    const asset = Object.entries(manifest.files).find(([hash]) => fn.Code.S3Key.startsWith(hash))?.[1];
    const code = readFileSync(join(s.assemblyDir, asset?.source.path ?? '', 'index.mjs'), 'utf8');
    expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
    expect(code).toContain(RETRY_ENV.maxRetries);
  });

  it('keeps cdk-nag clean, acknowledging only the two object wildcards of its role', () => {
    const violations = s.validationReport.pluginReports.flatMap((r) => r.violations ?? []);
    expect(violations).toEqual([]);
    const role = s.stack.retry.function.role;
    const acknowledged = role.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.keys(m.data as Record<string, string>).map((k) => k.replace(/^Annotation::/, '')),
      );
    expect(acknowledged.sort()).toEqual(
      [
        `AwsSolutions-IAM5[Resource::<${id(s.stack.inputBucket.bucket)}.Arn>/*]`,
        `AwsSolutions-IAM5[Resource::<${id(s.stack.quarantineBucket.bucket)}.Arn>/*]`,
      ].sort(),
    );
  });
});

describe('retry policy of the stack', () => {
  it('takes the retry policy from the stack props', () => {
    const custom = synthesize({
      context: NO_BUNDLING,
      props: { retryPolicy: { maxRetries: 5, baseDelaySeconds: 30 } },
    });
    try {
      custom.template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({ [RETRY_ENV.maxRetries]: '5', [RETRY_ENV.baseDelaySeconds]: '30' }),
        },
      });
    } finally {
      custom.cleanup();
    }
  });

  it('fails synthesis with the field name for an impossible policy', () => {
    expect(() => synthesize({ context: NO_BUNDLING, props: { retryPolicy: { maxRetries: -1 } } })).toThrow(
      /maxRetries/,
    );
  });
});
