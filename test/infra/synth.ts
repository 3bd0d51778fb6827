import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { type BuildAppOptions, buildApp } from '../../infra/buildApp.ts';
import type { SilentScalperStack } from '../../infra/SilentScalperStack.ts';

/** Skip esbuild bundling (CDK's own switch, the one `cdk deploy --exclusively` uses): synth in seconds. */
export const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] } as const;

/** A synthesized app: its stack, the template, the cloud assembly directory and cdk-nag's report. */
export interface Synthesized {
  readonly app: App;
  readonly stack: SilentScalperStack;
  readonly template: Template;
  /** The template as plain JSON. */
  readonly json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  readonly assemblyDir: string;
  readonly validationReport: { pluginReports: { summary?: { status?: string }; violations?: unknown[] }[] };
  /** Remove the cloud assembly directory. */
  readonly cleanup: () => void;
}

/**
 * Build and synthesize the app exactly as `cdk synth` does (cdk.json's feature flags, cdk-nag registered)
 * into a temporary directory. Synthesis throws when cdk-nag or a guard finds a problem.
 */
export const synthesize = (options: Omit<BuildAppOptions, 'outdir'> = {}): Synthesized => {
  const assemblyDir = mkdtempSync(join(tmpdir(), 'silent-scalper-cdk-'));
  try {
    const { app, stack } = buildApp({ ...options, outdir: assemblyDir });
    const assembly = app.synth();
    const artifact = assembly.getStackByName(stack.stackName);
    const json = JSON.parse(readFileSync(join(assemblyDir, artifact.templateFile), 'utf8'));
    return {
      app,
      stack,
      template: Template.fromJSON(json),
      json,
      assemblyDir,
      validationReport: JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')),
      cleanup: () => rmSync(assemblyDir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(assemblyDir, { recursive: true, force: true });
    throw error;
  }
};

/** Directory of a function's bundled code in the cloud assembly (its asset, found by the template's S3 key). */
export const functionBundleDir = (synthesized: Synthesized, fn: IConstruct): string => {
  const logicalId = synthesized.stack.getLogicalId(fn.node.defaultChild as CfnElement);
  const code = synthesized.json.Resources[logicalId]?.Properties?.Code as { S3Key?: string } | undefined;
  const hash = code?.S3Key?.replace(/\.zip$/, '');
  const manifest = JSON.parse(
    readFileSync(join(synthesized.assemblyDir, `${synthesized.stack.artifactId}.assets.json`), 'utf8'),
  ) as { files: Record<string, { source: { path: string } }> };
  const asset = hash ? manifest.files[hash] : undefined;
  if (!asset) throw new Error(`no bundled asset for ${fn.node.path}`);
  return join(synthesized.assemblyDir, asset.source.path);
};

/** The logical id of the only resource of `type` whose properties contain `where` (or throws). */
export const onlyResourceId = (
  synthesized: Pick<Synthesized, 'template'>,
  type: string,
  where: Record<string, unknown> = {},
): string => {
  const ids = Object.keys(synthesized.template.findResources(type, { Properties: where }));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0] as string;
};
