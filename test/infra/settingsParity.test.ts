import { afterAll, describe, expect, it } from 'vitest';
import { QUEUE_MAX_MESSAGE_SIZE_BYTES } from '../../infra/constructs/IngestQueues.ts';
import { pipelineSettingsFromTemplate } from '../../infra/templateSettings.ts';
import { HANDLER_ENV, handlerEnvironment } from '../../src/config/handlerConfig.ts';
import { type PipelineSettings, resolvePipelineSettings } from '../../src/config/settings.ts';
import {
  deadLetterQueueAttributes,
  ingestQueueAttributes,
  LOCAL_QUEUE_MAX_MESSAGE_SIZE_BYTES,
} from '../../src/local/provision.ts';
import { NO_BUNDLING, type Synthesized, synthesize } from './synth.ts';

const synthesized: Synthesized[] = [];
afterAll(() => {
  for (const s of synthesized) s.cleanup();
});

/** Synthesize the real CDK app (no bundling: the settings do not depend on the code) with overrides. */
const templateSettings = (overrides: Partial<PipelineSettings> = {}) => {
  const s = synthesize({ context: NO_BUNDLING, props: { settings: overrides } });
  synthesized.push(s);
  return {
    stackSettings: s.stack.settings,
    fromTemplate: pipelineSettingsFromTemplate(s.json),
    json: s.json,
  };
};

/** What the local runtime gives the queues, the runner and the handler for the same overrides. */
const localSide = (overrides: Partial<PipelineSettings> = {}) => {
  const settings = resolvePipelineSettings(overrides);
  const dlqArn = 'arn:aws:sqs:us-east-1:123456789012:silent-scalper-ingest-dlq';
  const queue = ingestQueueAttributes(settings, dlqArn);
  const dlq = deadLetterQueueAttributes(settings);
  const env = handlerEnvironment({
    metadataTable: 't',
    quarantineBucket: 'q',
    alertsTopicArn: 'a',
    dlqUrl: 'd',
    maxReceives: settings.maxReceiveCount,
  });
  return { settings, queue, dlq, env };
};

describe('the local runner and the CDK stack use the same queue, batch and retry settings', () => {
  it.each([
    ['the defaults', {}],
    [
      'a shorter timeout and smaller batches',
      { functionTimeoutSeconds: 20, batchSize: 5, maxConcurrency: 3 },
    ],
    [
      'a batching window and more receives',
      { maxBatchingWindowSeconds: 5, maxReceiveCount: 8, batchSize: 25 },
    ],
  ] as const)(
    'with %s',
    (_label, overrides: Partial<PipelineSettings>) => {
      // Act
      const aws = templateSettings(overrides);
      const local = localSide(overrides);

      // Assess: the same resolved settings on both sides…
      expect(aws.stackSettings).toEqual(local.settings);
      // …and the synthesized template really carries them (VisibilityTimeout, maxReceiveCount, BatchSize,
      // MaximumBatchingWindowInSeconds, ScalingConfig, Timeout, retention, ReportBatchItemFailures)
      const { handlerMaxReceives, ...fromTemplate } = aws.fromTemplate;
      expect(fromTemplate).toEqual(local.settings);
      expect(handlerMaxReceives).toBe(Number(local.env[HANDLER_ENV.maxReceives]));

      // the queues the local provisioner creates match the template's
      expect(Number(local.queue.VisibilityTimeout)).toBe(fromTemplate.visibilityTimeoutSeconds);
      expect(Number(local.queue.MessageRetentionPeriod)).toBe(fromTemplate.queueRetentionSeconds);
      expect(JSON.parse(local.queue.RedrivePolicy ?? '{}').maxReceiveCount).toBe(
        fromTemplate.maxReceiveCount,
      );
      expect(Number(local.dlq.MessageRetentionPeriod)).toBe(fromTemplate.dlqRetentionSeconds);
    },
    120_000,
  );

  it('gives local queues the same message size limit and encryption as the stack', () => {
    // Prepare
    const { json } = templateSettings();
    const queues = Object.values(json.Resources).filter((r) => r.Type === 'AWS::SQS::Queue');
    const local = localSide();

    // Assess
    expect(LOCAL_QUEUE_MAX_MESSAGE_SIZE_BYTES).toBe(QUEUE_MAX_MESSAGE_SIZE_BYTES);
    expect(queues.length).toBeGreaterThanOrEqual(2);
    for (const queue of queues) {
      expect(queue.Properties?.MaximumMessageSize).toBe(Number(local.queue.MaximumMessageSize));
      expect(queue.Properties?.SqsManagedSseEnabled).toBe(true);
    }
    expect(local.queue.SqsManagedSseEnabled).toBe('true');
    expect(local.dlq.SqsManagedSseEnabled).toBe('true');
  }, 120_000);
});
