import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Bucket, type IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { cdkJsonContext } from '../../infra/buildApp.ts';
import {
  IMPORTED_BUCKET_WARNING,
  type PipelineSource,
  SilentScalperPipeline,
  type SilentScalperPipelineProps,
} from '../../infra/index.ts';
import { NO_BUNDLING, synthesize } from './synth.ts';

/** A cdk-nag or CDK finding from the validation report. */
interface Violation {
  readonly ruleName: string;
  readonly severity?: string;
}

/**
 * A user's own app: one stack of theirs with the pipeline in it, cdk.json's feature flags, cdk-nag
 * registered, synthesized. `findings` are the cdk-nag rules broken (CDK annotations are reported apart).
 */
const userApp = (
  props: (stack: Stack) => SilentScalperPipelineProps,
): {
  stack: Stack;
  pipeline: SilentScalperPipeline;
  template: Template;
  annotations: Annotations;
  findings: string[];
} => {
  const outdir = mkdtempSync(join(tmpdir(), 'silent-scalper-user-app-'));
  try {
    const app = new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING }, outdir });
    const stack = new Stack(app, 'TheirApp');
    const pipeline = new SilentScalperPipeline(stack, 'Ingest', props(stack));
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    let findings: string[] = [];
    let template = Template.fromJSON({});
    try {
      template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
    } catch (error) {
      findings = [String(error)];
    }
    const reportFile = join(outdir, 'validation-report.json');
    if (existsSync(reportFile)) {
      const report = JSON.parse(readFileSync(reportFile, 'utf8')) as {
        pluginReports: { violations?: Violation[] }[];
      };
      findings.push(
        ...report.pluginReports
          .flatMap((r) => r.violations ?? [])
          .filter((v) => !v.ruleName.startsWith('Annotation::'))
          .map((v) => v.ruleName),
      );
    }
    return { stack, pipeline, template, annotations: Annotations.fromStack(stack), findings };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
};

const logicalId = (stack: Stack, construct: IConstruct): string =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);

/** Every statement of a role's inline policies, by Sid. */
const roleStatements = (template: Template, stack: Stack, role: IConstruct) => {
  const resource = template.toJSON().Resources[logicalId(stack, role)] as {
    Properties: { Policies: { PolicyDocument: { Statement: { Sid: string; Resource: unknown }[] } }[] };
  };
  return Object.fromEntries(
    resource.Properties.Policies.flatMap((p) => p.PolicyDocument.Statement).map((st) => [
      st.Sid,
      st.Resource,
    ]),
  );
};

const importedArn = (name: string, suffix = '') => ({
  'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::${name}${suffix}`]],
});

describe('SilentScalperPipeline in a stack of your own', () => {
  it('with defaults creates its own input bucket, exposes every resource, and is cdk-nag clean', () => {
    // Act
    const { stack, pipeline, template, annotations, findings } = userApp(() => ({}));

    // Assess: the resources are there and exposed as properties.
    expect(findings).toEqual([]);
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    expect(pipeline.createdInputBucket?.bucket).toBe(pipeline.inputBucket);
    for (const construct of [
      pipeline.inputBucket,
      pipeline.quarantineBucket.bucket,
      pipeline.accessLogBucket.bucket,
      pipeline.queue,
      pipeline.deadLetterQueue,
      pipeline.table,
      pipeline.alertsTopic,
      pipeline.ingestFunction,
      pipeline.retryFunction,
      ...pipeline.allAlarms,
    ])
      expect(template.toJSON().Resources[logicalId(stack, construct)]).toBeDefined();
    expect(pipeline.allAlarms).toHaveLength(6);
    // The created bucket is "managed": CDK's helper owns its whole notification configuration.
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: { Ref: logicalId(stack, pipeline.inputBucket) },
      Managed: true,
    });
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('with an imported bucket merges its notification into the existing ones and reads only that bucket', () => {
    // Act
    const { stack, pipeline, template, annotations, findings } = userApp((s) => ({
      inputBucket: Bucket.fromBucketName(s, 'Dumps', 'acme-dumps'),
      notificationFilter: { prefix: 'incoming/' },
    }));

    // Assess: no bucket of theirs is created, the notification is unmanaged (merged), filtered.
    expect(findings).toEqual([]);
    expect(pipeline.createdInputBucket).toBeUndefined();
    template.resourceCountIs('AWS::S3::Bucket', 2);
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'acme-dumps',
      // Managed false: CDK's helper (aws-cdk-lib 2.276, notifications-resource-handler) reads the bucket's
      // configuration and keeps every notification it did not create.
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: [
          {
            Events: ['s3:ObjectCreated:*'],
            QueueArn: { 'Fn::GetAtt': [logicalId(stack, pipeline.queue), 'Arn'] },
            Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'incoming/' }] } },
          },
        ],
      },
    });
    const ingest = roleStatements(template, stack, pipeline.ingest.role);
    expect(ingest.ReadInputObjects).toEqual(importedArn('acme-dumps', '/*'));
    expect(ingest.ListInputSoMissingObjectsRead404).toEqual(importedArn('acme-dumps'));
    // The helper's role may only set and read this bucket's notifications.
    const helper = roleStatements(template, stack, pipeline.notificationsRole);
    expect(helper).toEqual({
      SetInputBucketNotifications: importedArn('acme-dumps'),
      ReadInputBucketNotificationsToMerge: importedArn('acme-dumps'),
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 's3.amazonaws.com' },
            Condition: { ArnLike: { 'aws:SourceArn': importedArn('acme-dumps') } },
          }),
        ]),
      },
    });
    // What synthesis cannot check about a bucket it does not own is said once, as an acknowledgeable warning.
    const warnings = annotations.findWarning('*', Match.stringLikeRegexp('is imported'));
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]?.entry.data)).toContain(IMPORTED_BUCKET_WARNING);
  });

  it('with two prefixes of one bucket and a second bucket: one notification per source, each bucket allowed', () => {
    // Act
    const { stack, pipeline, template, findings } = userApp((s) => {
      const dumps = Bucket.fromBucketName(s, 'Dumps', 'acme-dumps');
      const partner = Bucket.fromBucketArn(s, 'Partner', 'arn:aws:s3:::acme-partner-drop');
      const sources: PipelineSource[] = [
        { bucket: dumps, prefix: 'crm/' },
        { bucket: dumps, prefix: 'billing/', suffix: '.csv' },
        { bucket: partner },
      ];
      return { sources };
    });

    // Assess
    expect(findings).toEqual([]);
    expect(pipeline.sources).toHaveLength(3);
    const notifications = Object.values(template.findResources('Custom::S3BucketNotifications')).map(
      (r) => r.Properties,
    );
    expect(notifications).toHaveLength(2);
    const dumps = notifications.find((n) => n.BucketName === 'acme-dumps');
    expect(dumps.Managed).toBe(false);
    expect(
      dumps.NotificationConfiguration.QueueConfigurations.map(
        (q: { Filter: { Key: { FilterRules: unknown } } }) => q.Filter.Key.FilterRules,
      ),
    ).toEqual([
      [{ Name: 'prefix', Value: 'crm/' }],
      [
        { Name: 'suffix', Value: '.csv' },
        { Name: 'prefix', Value: 'billing/' },
      ],
    ]);
    const partner = notifications.find((n) => n.BucketName === 'acme-partner-drop');
    expect(partner.NotificationConfiguration.QueueConfigurations).toHaveLength(1);
    expect(partner.NotificationConfiguration.QueueConfigurations[0]).not.toHaveProperty('Filter');

    const ingest = roleStatements(template, stack, pipeline.ingest.role);
    expect(ingest.ReadInputObjects).toHaveLength(2);
    expect(ingest.ReadInputObjects).toEqual(
      expect.arrayContaining([importedArn('acme-dumps', '/*'), 'arn:aws:s3:::acme-partner-drop/*']),
    );
    const queuePolicy = JSON.stringify(template.findResources('AWS::SQS::QueuePolicy'));
    expect(queuePolicy).toContain(JSON.stringify(importedArn('acme-dumps')));
    expect(queuePolicy).toContain('"arn:aws:s3:::acme-partner-drop"');
  });

  it('with two source buckets: the retry function and the operator may copy back into both buckets’ objects, nothing more', () => {
    // Act
    const { stack, pipeline, template, findings } = userApp((s) => ({
      sources: [
        { bucket: Bucket.fromBucketArn(s, 'Dumps', 'arn:aws:s3:::acme-dumps'), prefix: 'crm/' },
        { bucket: Bucket.fromBucketArn(s, 'Partner', 'arn:aws:s3:::acme-partner-drop') },
      ],
    }));

    // Assess
    expect(findings).toEqual([]);
    const both = ['arn:aws:s3:::acme-dumps/*', 'arn:aws:s3:::acme-partner-drop/*'];
    const quarantineArn = { 'Fn::GetAtt': [logicalId(stack, pipeline.quarantineBucket.bucket), 'Arn'] };
    const adminRole = pipeline.node.findChild('QuarantineAdminRole');
    const retry = roleStatements(template, stack, pipeline.retry.function.role);
    const operator = roleStatements(template, stack, adminRole);
    for (const [who, statements] of [
      ['retry', retry],
      ['operator', operator],
    ] as const) {
      const copyBack = who === 'retry' ? statements.CopyBackToInput : statements.RetryToInput;
      expect(copyBack, who).toEqual(both);
      expect(statements.ReleaseInPlaceQuarantine, who).toEqual(both);
      // Every S3 resource the role names: the two sources and the quarantine bucket, and nothing else.
      const s3Resources = Object.values(statements)
        .flat()
        .filter(
          (r) =>
            JSON.stringify(r).includes(':s3:') ||
            JSON.stringify(r).includes(logicalId(stack, pipeline.quarantineBucket.bucket)),
        );
      const allowed = [
        ...both,
        'arn:aws:s3:::acme-dumps',
        'arn:aws:s3:::acme-partner-drop',
        quarantineArn,
        { 'Fn::Join': ['', [quarantineArn, '/*']] },
      ].map((r) => JSON.stringify(r));
      expect(s3Resources.length, who).toBeGreaterThanOrEqual(8);
      for (const resource of s3Resources) expect(allowed, who).toContain(JSON.stringify(resource));
    }
    expect(retry.ListSoMissingObjectsRead404).toEqual([
      'arn:aws:s3:::acme-dumps',
      'arn:aws:s3:::acme-partner-drop',
      quarantineArn,
    ]);
    // The function learns the sources from SOURCE_BUCKETS (the primary first) besides INPUT_BUCKET.
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          INPUT_BUCKET: 'acme-dumps',
          SOURCE_BUCKETS: 'acme-dumps,acme-partner-drop',
        }),
      },
    });
  });

  it('refuses overlapping sources of one bucket and wildcard filters before creating anything', () => {
    const stack = new Stack(new App({ context: cdkJsonContext() }), 'TheirApp');
    const dumps: IBucket = Bucket.fromBucketName(stack, 'Dumps', 'acme-dumps');
    expect(
      () =>
        new SilentScalperPipeline(stack, 'Ingest', {
          sources: [
            { bucket: dumps, prefix: 'crm/' },
            { bucket: dumps, prefix: 'crm/daily/' },
            { bucket: dumps, prefix: 'x*' },
          ],
        }),
    ).toThrow(
      /sources\[0\] and sources\[1\] are the same bucket with overlapping prefix\/suffix filters[\s\S]*sources\[2\] prefix filter must be a non-empty literal/,
    );
    expect(stack.node.findAll().filter((c) => c instanceof CfnResource)).toEqual([]);
  });

  it('refuses a second pipeline in the same stack (alarm names would collide)', () => {
    const stack = new Stack(new App({ context: { ...cdkJsonContext(), ...NO_BUNDLING } }), 'TheirApp');
    new SilentScalperPipeline(stack, 'One', {});
    expect(() => new SilentScalperPipeline(stack, 'Two', {})).toThrow(/one SilentScalperPipeline per stack/);
  });
});

describe('the project stack with -c inputBucketName', () => {
  it('imports the bucket, merges the notification, passes cdk-nag, and warns once about what it cannot check', () => {
    // Act
    const s = synthesize({ context: { ...NO_BUNDLING, inputBucketName: 'acme-dumps', inputPrefix: 'in/' } });
    try {
      // Assess
      s.template.resourceCountIs('AWS::S3::Bucket', 2);
      s.template.hasResourceProperties('Custom::S3BucketNotifications', {
        BucketName: 'acme-dumps',
        Managed: false,
      });
      expect(s.template.findOutputs('InputBucketName').InputBucketName?.Value).toBe('acme-dumps');
      const reported = s.validationReport.pluginReports.flatMap((r) => r.violations ?? []) as Violation[];
      expect(reported.map((v) => `${v.severity} ${v.ruleName}`)).toEqual([
        `warning Annotation::${IMPORTED_BUCKET_WARNING}`,
      ]);
      expect(Annotations.fromStack(s.stack).findError('*', Match.anyValue())).toEqual([]);
    } finally {
      s.cleanup();
    }
  });
});
