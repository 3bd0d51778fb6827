import { Stack } from 'aws-cdk-lib';
import { CfnEventSourceMapping, CfnFunction, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnQueue, type IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IConstruct } from 'constructs';
import { HANDLER_ENV } from '../src/config/handlerConfig.ts';
import {
  InvalidSettingsError,
  type PipelineSettings,
  validatePipelineSettings,
} from '../src/config/settings.ts';

/** The resources whose wiring the check reads back. */
export interface WiringCheckTargets {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly ingestFunction: IFunction;
}

interface RedrivePolicy {
  readonly maxReceiveCount?: number;
}

const defaultChild = <T>(construct: IConstruct, type: abstract new (...args: never[]) => T): T => {
  const child = construct.node.defaultChild;
  if (!(child instanceof type)) throw new Error(`${construct.node.path} has no ${type.name}`);
  return child;
};

/**
 * Re-check the pipeline guards at synthesis on the CloudFormation resources as they finally are, not on
 * the props the stack started from: a later edit or an escape-hatch override that, say, shortens the
 * visibility timeout or turns off partial batch responses makes `cdk synth` fail with the guard's message.
 */
export const addPipelineWiringCheck = (stack: Stack, targets: WiringCheckTargets): void => {
  stack.node.addValidation({
    validate: (): string[] => {
      const resolve = <T>(value: unknown): T => Stack.of(stack).resolve(value) as T;
      const queue = defaultChild(targets.queue, CfnQueue);
      const dlq = defaultChild(targets.deadLetterQueue, CfnQueue);
      const fn = defaultChild(targets.ingestFunction, CfnFunction);
      const mappings = targets.ingestFunction.node
        .findAll()
        .filter((c): c is CfnEventSourceMapping => c instanceof CfnEventSourceMapping);
      const mapping = mappings[0];
      if (!mapping) return ['the ingest function has no SQS event source mapping'];
      const redrive = resolve<RedrivePolicy | undefined>(queue.redrivePolicy);
      const scaling = resolve<{ maximumConcurrency?: number } | undefined>(mapping.scalingConfig);
      const variables = resolve<{ variables?: Record<string, string> } | undefined>(
        fn.environment,
      )?.variables;
      const settings: PipelineSettings = {
        functionTimeoutSeconds: resolve<number>(fn.timeout),
        visibilityTimeoutSeconds: resolve<number>(queue.visibilityTimeout),
        maxReceiveCount: redrive?.maxReceiveCount ?? 0,
        batchSize: resolve<number>(mapping.batchSize),
        maxBatchingWindowSeconds: resolve<number | undefined>(mapping.maximumBatchingWindowInSeconds) ?? 0,
        maxConcurrency: scaling?.maximumConcurrency ?? 0,
        queueRetentionSeconds: resolve<number>(queue.messageRetentionPeriod),
        dlqRetentionSeconds: resolve<number>(dlq.messageRetentionPeriod),
        reportBatchItemFailures: (
          resolve<string[] | undefined>(mapping.functionResponseTypes) ?? []
        ).includes('ReportBatchItemFailures'),
        memorySizeMb: resolve<number>(fn.memorySize),
      };
      try {
        validatePipelineSettings(settings, Number(variables?.[HANDLER_ENV.maxReceives]));
        return [];
      } catch (error) {
        if (error instanceof InvalidSettingsError)
          return error.problems.map((p) => `synthesized pipeline resources break a guard: ${p}`);
        throw error;
      }
    },
  });
};
