#!/usr/bin/env -S npx tsx
// An example CDK app of "your own": it already has a bucket that receives bulk dumps, and adds Silent
// Scalper to it with the construct (`npx tsx examples/existing-bucket/app.ts` synthesizes it; in your
// project, `cdk synth` with "app": "npx tsx app.ts" in cdk.json).
import { Annotations, App, Stack, type StackProps } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { IMPORTED_BUCKET_WARNING, SilentScalperPipeline } from 'silent-scalper';

/** Your stack: the dumps bucket exists already (another team owns it); the pipeline reads two prefixes. */
export class DumpsIngestStack extends Stack {
  /** The pipeline and every resource it created. */
  public readonly pipeline: SilentScalperPipeline;

  constructor(scope: Construct, id: string, props: StackProps & { readonly dumpsBucketName: string }) {
    super(scope, id, props);
    const dumps = Bucket.fromBucketName(this, 'Dumps', props.dumpsBucketName);
    this.pipeline = new SilentScalperPipeline(this, 'Ingest', {
      sources: [
        { bucket: dumps, prefix: 'crm/' },
        { bucket: dumps, prefix: 'billing/', suffix: '.csv' },
      ],
      alertEmail: 'data-ops@example.com',
      settings: { maxConcurrency: 10 },
    });
    // Reviewed: the dumps bucket's TLS policy, public access block and lifecycle are its owners' (see
    // docs/deploy.md, "An existing input bucket"), so the construct's warning is acknowledged here.
    Annotations.of(this).acknowledgeWarning(
      IMPORTED_BUCKET_WARNING,
      'the dumps bucket is managed by the storage team; reviewed against docs/deploy.md',
    );
  }
}

/** The app, built the same way by `main` below and by the tests. */
export const buildExampleApp = (
  context: Record<string, unknown> = {},
): { app: App; stack: DumpsIngestStack } => {
  const app = new App({ context });
  const stack = new DumpsIngestStack(app, 'DumpsIngest', { dumpsBucketName: 'acme-bulk-dumps' });
  return { app, stack };
};

if (import.meta.url === `file://${process.argv[1]}`) buildExampleApp().app.synth();
