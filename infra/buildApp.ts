import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DEFAULT_STACK_NAME } from '../src/config/stackOutputs.ts';
import { projectPath } from './constructs/PipelineFunction.ts';
import { propsFromContext } from './contextProps.ts';
import { SilentScalperStack, type SilentScalperStackProps } from './SilentScalperStack.ts';

/** Options of {@link buildApp}. */
export interface BuildAppOptions {
  /** Extra context, on top of cdk.json's (tests pass parameters and `aws:cdk:bundling-stacks` here). */
  readonly context?: Readonly<Record<string, unknown>>;
  /** Props that win over the ones read from context. */
  readonly props?: SilentScalperStackProps;
  /** Cloud assembly directory. @default CDK's (cdk.out under the CLI, a temporary one otherwise) */
  readonly outdir?: string;
}

/** The `context` block of cdk.json: the feature flags `cdk synth` runs with. */
export const cdkJsonContext = (): Record<string, unknown> => {
  const cdkJson = JSON.parse(readFileSync(projectPath('cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
};

/**
 * The CDK app: one {@link SilentScalperStack} with cdk-nag's AwsSolutions checks registered. `infra/app.ts`
 * and the tests both build it here, with cdk.json's feature flags, so they synthesize the same template.
 * The stack is environment-agnostic (no account or region), so synthesis needs no AWS credentials.
 */
export const buildApp = (options: BuildAppOptions = {}): { app: App; stack: SilentScalperStack } => {
  const app = new App({
    context: { ...cdkJsonContext(), ...options.context },
    ...(options.outdir ? { outdir: options.outdir } : {}),
  });
  const fromContext = propsFromContext((key) => app.node.tryGetContext(key));
  const stack = new SilentScalperStack(app, fromContext.stackName ?? DEFAULT_STACK_NAME, {
    description: 'Silent Scalper: validates and tracks bulk file dumps into S3',
    ...fromContext.props,
    ...options.props,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
};
