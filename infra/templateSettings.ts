/**
 * Read the pipeline settings back out of a synthesized CloudFormation template (plain JSON, no aws-cdk-lib
 * import), so the local runtime and tests can check that what AWS gets equals what the local runner uses.
 */
import { HANDLER_ENV } from '../src/config/handlerConfig.ts';
import type { PipelineSettings } from '../src/config/settings.ts';

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** The part of a CloudFormation template this module reads. */
export interface CfnTemplate {
  readonly Resources: Readonly<Record<string, CfnResource>>;
}

/** The pipeline settings found in a template, plus the handler's `MAX_RECEIVES` variable. */
export interface TemplatePipelineSettings extends PipelineSettings {
  /** `MAX_RECEIVES` in the ingest function's environment (must equal `maxReceiveCount`). */
  readonly handlerMaxReceives: number;
}

const logicalIdOf = (ref: unknown, kind: 'Ref' | 'Fn::GetAtt'): string => {
  const value = (ref as Record<string, unknown> | undefined)?.[kind];
  const id = Array.isArray(value) ? value[0] : value;
  if (typeof id !== 'string') throw new Error(`expected a ${kind} to a resource, got ${JSON.stringify(ref)}`);
  return id;
};

const props = (template: CfnTemplate, logicalId: string, type: string): Record<string, unknown> => {
  const resource = template.Resources[logicalId];
  if (resource?.Type !== type) throw new Error(`resource ${logicalId} is not a ${type}`);
  return resource.Properties ?? {};
};

/**
 * Follow the template's single SQS event source mapping to its function, queue and dead-letter queue, and
 * return the settings they were built with. Throws when the template has no such mapping.
 */
export const pipelineSettingsFromTemplate = (template: CfnTemplate): TemplatePipelineSettings => {
  const mappings = Object.values(template.Resources).filter(
    (r) => r.Type === 'AWS::Lambda::EventSourceMapping' && r.Properties?.EventSourceArn !== undefined,
  );
  if (mappings.length !== 1) throw new Error(`expected one event source mapping, found ${mappings.length}`);
  const mapping = mappings[0]?.Properties ?? {};
  const fn = props(template, logicalIdOf(mapping.FunctionName, 'Ref'), 'AWS::Lambda::Function');
  const queue = props(template, logicalIdOf(mapping.EventSourceArn, 'Fn::GetAtt'), 'AWS::SQS::Queue');
  const redrive = (queue.RedrivePolicy ?? {}) as { deadLetterTargetArn?: unknown; maxReceiveCount?: number };
  const dlq = props(template, logicalIdOf(redrive.deadLetterTargetArn, 'Fn::GetAtt'), 'AWS::SQS::Queue');
  const variables = ((fn.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ??
    {}) as Record<string, unknown>;
  const responseTypes = (mapping.FunctionResponseTypes ?? []) as string[];
  return {
    functionTimeoutSeconds: Number(fn.Timeout),
    memorySizeMb: Number(fn.MemorySize),
    visibilityTimeoutSeconds: Number(queue.VisibilityTimeout),
    queueRetentionSeconds: Number(queue.MessageRetentionPeriod),
    maxReceiveCount: Number(redrive.maxReceiveCount),
    dlqRetentionSeconds: Number(dlq.MessageRetentionPeriod),
    batchSize: Number(mapping.BatchSize),
    maxBatchingWindowSeconds: Number(mapping.MaximumBatchingWindowInSeconds ?? 0),
    maxConcurrency: Number(
      (mapping.ScalingConfig as { MaximumConcurrency?: number } | undefined)?.MaximumConcurrency,
    ),
    reportBatchItemFailures: responseTypes.includes('ReportBatchItemFailures'),
    handlerMaxReceives: Number(variables[HANDLER_ENV.maxReceives]),
  };
};
