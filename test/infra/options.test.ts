import type { CfnElement } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pipelineSettingsFromTemplate } from '../../infra/templateSettings.ts';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/config/settings.ts';
import { STACK_OUTPUTS } from '../../src/config/stackOutputs.ts';
import { NO_BUNDLING, type Synthesized, synthesize } from './synth.ts';

const ADMIN_ROLE_ARN = 'arn:aws:iam::123456789012:role/storage-ops';

// Every parameter given as `-c key=value` would give it: strings, parsed by the app.
const CONTEXT = {
  stackName: 'ScalperStaging',
  functionTimeoutSeconds: '120',
  memorySizeMb: '1024',
  batchSize: '50',
  maxBatchingWindowSeconds: '5',
  maxConcurrency: '20',
  maxReceiveCount: '8',
  alertEmail: 'ops@example.com',
  inputPrefix: 'uploads/',
  inputSuffix: '.csv',
  quarantineExpiryDays: '7',
  logRetentionDays: '90',
  retainData: 'false',
  quarantineAdminRoleArn: ADMIN_ROLE_ARN,
  oldestMessageAgeAlarmSeconds: '600',
  quarantineRateAlarmPercent: '25',
};

let s: Synthesized;
beforeAll(() => {
  s = synthesize({ context: { ...NO_BUNDLING, ...CONTEXT } });
});
afterAll(() => s?.cleanup());

const id = (construct: IConstruct): string => s.stack.getLogicalId(construct.node.defaultChild as CfnElement);

describe('deployment parameters from context', () => {
  it('name the stack and its alarms', () => {
    expect(s.stack.stackName).toBe('ScalperStaging');
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ScalperStaging-oldest-message-too-old',
      Threshold: 600,
    });
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'ScalperStaging-quarantine-rate-high',
      Threshold: 25,
    });
  });

  it('set the queue, batch and function settings, and the visibility timeout follows the timeout', () => {
    expect(pipelineSettingsFromTemplate(s.json)).toEqual({
      ...DEFAULT_PIPELINE_SETTINGS,
      functionTimeoutSeconds: 120,
      visibilityTimeoutSeconds: 720,
      memorySizeMb: 1024,
      batchSize: 50,
      maxBatchingWindowSeconds: 5,
      maxConcurrency: 20,
      maxReceiveCount: 8,
      handlerMaxReceives: 8,
    });
  });

  it('filter the notifications by key prefix and suffix', () => {
    s.template.hasResourceProperties('Custom::S3BucketNotifications', {
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'uploads/' },
                ],
              },
            },
          }),
        ],
      },
    });
  });

  it('subscribe the alert address to the topic', () => {
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: { Ref: id(s.stack.alertsTopic) },
    });
  });

  it('expire quarantined files and keep logs as asked', () => {
    s.template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          {
            Id: 'expire-objects',
            Status: 'Enabled',
            ExpirationInDays: 7,
            NoncurrentVersionExpiration: { NoncurrentDays: 7 },
          },
        ]),
      },
    });
    s.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('with retainData=false, delete buckets, table and logs with the stack and drop deletion protection', () => {
    for (const type of ['AWS::S3::Bucket', 'AWS::DynamoDB::Table', 'AWS::Logs::LogGroup']) {
      for (const resource of Object.values(s.template.findResources(type)))
        expect(resource).toMatchObject({ DeletionPolicy: 'Delete' });
    }
    s.template.hasResourceProperties('AWS::DynamoDB::Table', { DeletionProtectionEnabled: false });
  });

  it('use the given admin role for the quarantine instead of creating one', () => {
    expect(Object.keys(s.template.findResources('AWS::IAM::Role'))).not.toContain('QuarantineAdminRole');
    expect(s.stack.pipeline.node.tryFindChild('QuarantineAdminRole')).toBeUndefined();
    const policy = Object.values(
      s.template.findResources('AWS::S3::BucketPolicy', {
        Properties: { Bucket: { Ref: id(s.stack.quarantineBucket.bucket) } },
      }),
    )[0];
    const statements = (policy?.Properties?.PolicyDocument?.Statement ?? []) as {
      Sid?: string;
      Condition?: { ArnNotEquals?: { 'aws:PrincipalArn'?: unknown[] } };
    }[];
    const allowed = statements.find((st) => st.Sid === 'OnlyPipelineRolesTouchObjects')?.Condition
      ?.ArnNotEquals?.['aws:PrincipalArn'];
    expect(allowed).toContainEqual(ADMIN_ROLE_ARN);
    expect(allowed).toContainEqual({ 'Fn::GetAtt': [id(s.stack.ingest.role), 'Arn'] });
    expect(s.template.findOutputs(STACK_OUTPUTS.quarantineAdminRoleArn)).toMatchObject({
      [STACK_OUTPUTS.quarantineAdminRoleArn]: { Value: ADMIN_ROLE_ARN },
    });
  });
});
