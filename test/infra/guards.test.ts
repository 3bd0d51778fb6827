import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfnEventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import { type CfnQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/buildApp.ts';
import type { SilentScalperStackProps } from '../../infra/SilentScalperStack.ts';
import { InvalidSettingsError } from '../../src/config/settings.ts';
import { NO_BUNDLING } from './synth.ts';

/** Build the app (no bundling: every guard fires before or during synthesis, not in esbuild). */
const build = (props: SilentScalperStackProps = {}, context: Record<string, unknown> = {}) =>
  buildApp({ context: { ...NO_BUNDLING, ...context }, props });

/** The error a build throws, for assertions on its type and message. */
const buildError = (props: SilentScalperStackProps, context: Record<string, unknown> = {}): Error => {
  try {
    build(props, context);
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the build to fail');
};

describe('pipeline guards stop synthesis with a message naming the setting and the fix', () => {
  it('visibility timeout below 6 × the function timeout', () => {
    // Prepare / Act
    const error = buildError({ settings: { functionTimeoutSeconds: 60, visibilityTimeoutSeconds: 300 } });
    // Assess
    expect(error).toBeInstanceOf(InvalidSettingsError);
    expect(error.message).toContain(
      'visibilityTimeoutSeconds (300) must be at least 6 × functionTimeoutSeconds (360); set it to 360 or more',
    );
  });

  it('maxReceiveCount below 5', () => {
    expect(buildError({ settings: { maxReceiveCount: 3 } }).message).toContain(
      'maxReceiveCount must be an integer ≥ 5 (got 3)',
    );
  });

  it('partial batch responses switched off', () => {
    expect(buildError({ settings: { reportBatchItemFailures: false } }).message).toContain(
      'reportBatchItemFailures must be true',
    );
  });

  it('DLQ retention not longer than the queue retention', () => {
    const error = buildError({
      settings: { queueRetentionSeconds: 14 * 24 * 3600, dlqRetentionSeconds: 14 * 24 * 3600 },
    });
    expect(error.message).toContain(
      'dlqRetentionSeconds (1209600) must be longer than queueRetentionSeconds (1209600)',
    );
  });

  it("handler MAX_RECEIVES different from the queue's maxReceiveCount", () => {
    const error = buildError({ settings: { maxReceiveCount: 6 }, extraEnvironment: { MAX_RECEIVES: '5' } });
    expect(error.message).toContain("handler MAX_RECEIVES (5) must equal the queue's maxReceiveCount (6)");
  });

  it('lists every problem at once', () => {
    const error = buildError({
      settings: { maxReceiveCount: 2, functionTimeoutSeconds: 1000, memorySizeMb: 64 },
      quarantineExpiryDays: 0,
    }) as InvalidSettingsError;
    expect(error.problems).toEqual(
      expect.arrayContaining([
        'maxReceiveCount must be an integer ≥ 5 (got 2)',
        "functionTimeoutSeconds must be a whole number from 1 to 900 (Lambda's limit; got 1000)",
        'memorySizeMb must be a whole number from 128 to 10240 (got 64)',
        'quarantineExpiryDays must be a whole number of days ≥ 1 (got 0)',
      ]),
    );
  });
});

describe('deployment guards', () => {
  it.each([
    [{ alertEmail: 'not-an-address' }, 'alertEmail must be an e-mail address (got "not-an-address")'],
    [
      { notificationFilter: { prefix: 'uploads/*' } },
      'notification prefix filter must be a non-empty literal string',
    ],
    [
      { alarmThresholds: { oldestMessageAgeSeconds: 5 * 24 * 3600 } },
      'or messages expire before the alarm can fire',
    ],
    [
      { alarmThresholds: { quarantineRatePercent: 150 } },
      'quarantineRateAlarmPercent must be above 0 and at most 100',
    ],
    [{ logRetention: 31 }, "logRetentionDays must be one of CloudWatch Logs' retention values"],
  ] as [SilentScalperStackProps, string][])('%j is refused', (props, message) => {
    expect(buildError(props).message).toContain(message);
  });

  it('refuses a context value that is not a number, naming the key', () => {
    expect(buildError({}, { batchSize: 'ten' }).message).toContain(
      'context batchSize must be a number (got "ten")',
    );
  });

  it('applies the pipeline guards to context values too', () => {
    expect(buildError({}, { maxReceiveCount: '4' }).message).toContain(
      'maxReceiveCount must be an integer ≥ 5 (got 4)',
    );
  });
});

describe('the wiring check re-applies the guards to the synthesized resources', () => {
  it('fails synthesis when an override shortens the visibility timeout after construction', () => {
    // Prepare: a valid stack, then an escape-hatch edit that breaks the 6 × timeout rule.
    const { app, stack } = build();
    const queue = stack.queues.queue.node.defaultChild as CfnQueue;
    queue.visibilityTimeout = 90;
    // Act / Assess
    expect(() => app.synth()).toThrow(
      /synthesized pipeline resources break a guard: visibilityTimeoutSeconds \(90\) must be at least 6 × functionTimeoutSeconds \(360\)/,
    );
  });

  it('fails synthesis when partial batch responses are removed from the event source mapping', () => {
    const { app, stack } = build();
    const mapping = stack.ingest.function.node.findAll().find((c) => c instanceof CfnEventSourceMapping);
    if (!(mapping instanceof CfnEventSourceMapping)) throw new Error('no event source mapping');
    mapping.functionResponseTypes = undefined;
    expect(() => app.synth()).toThrow(
      /synthesized pipeline resources break a guard: reportBatchItemFailures must be true/,
    );
  });
});

describe('cdk-nag runs during synthesis', () => {
  it('fails synthesis on an unacknowledged AwsSolutions finding and reports the rule', () => {
    // Prepare: the real stack plus one queue that breaks AwsSolutions-SQS3 (no DLQ) and SQS4 (no TLS rule).
    const outdir = mkdtempSync(join(tmpdir(), 'silent-scalper-nag-'));
    try {
      const { app, stack } = buildApp({ context: NO_BUNDLING, outdir });
      new Queue(stack, 'UnguardedQueue');
      // Act / Assess
      expect(() => app.synth()).toThrow(/AwsSolutions-SQS4/);
      const report = readFileSync(join(outdir, 'validation-report.json'), 'utf8');
      expect(report).toContain('AwsSolutions-SQS4');
      expect(report).toContain('SilentScalper/UnguardedQueue/Resource');
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
