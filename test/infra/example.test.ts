import { Validations } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildExampleApp } from '../../examples/existing-bucket/app.ts';
import { NO_BUNDLING } from './synth.ts';

describe('examples/existing-bucket', () => {
  it("synthesizes with the package's entry point, no cdk.json feature flags, and no cdk-nag finding", () => {
    // Prepare: the example as a user would have it (it imports 'silent-scalper', not a relative path)
    const { app, stack } = buildExampleApp({ ...NO_BUNDLING });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

    // Act
    const template = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);

    // Assess: one merged (unmanaged) notification resource on their bucket with both prefixes
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: 'acme-bulk-dumps',
      Managed: false,
      NotificationConfiguration: {
        QueueConfigurations: [
          Match.objectLike({ Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'crm/' }] } } }),
          Match.objectLike({
            Filter: {
              Key: {
                FilterRules: [
                  { Name: 'suffix', Value: '.csv' },
                  { Name: 'prefix', Value: 'billing/' },
                ],
              },
            },
          }),
        ],
      },
    });
    expect(stack.pipeline.createdInputBucket).toBeUndefined();
    template.hasResourceProperties('AWS::SNS::Subscription', { Endpoint: 'data-ops@example.com' });
    const annotations = Annotations.fromStack(stack);
    expect(annotations.findError('*', Match.anyValue())).toEqual([]);
    // The imported-bucket warning was reviewed and acknowledged in the example; nothing else is left.
    expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
  });
});
