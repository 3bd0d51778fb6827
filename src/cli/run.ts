import type { Command } from 'commander';
import { closeTarget, resolveTarget, type Target, targetOptionsOf } from './target.ts';

/** Resolve the command's target, run `body` against it, then release its connections. */
export const withTarget = async <T>(command: Command, body: (target: Target) => Promise<T>): Promise<T> => {
  const target = await resolveTarget(targetOptionsOf(command));
  try {
    return await body(target);
  } finally {
    closeTarget(target);
  }
};

/** A short description of the target for human output, e.g. `local http://127.0.0.1:4566 (us-east-1)`. */
export const describeTarget = (target: Target): string =>
  target.mode === 'local'
    ? `local ${target.endpoint ?? ''} (${target.region})${target.stack ? `, stack ${target.stack}` : ''}`
    : `AWS ${target.region}, stack ${target.stack ?? '?'}`;

/** The target as data, for `--json` output. */
export const targetJson = (target: Target) => ({
  mode: target.mode,
  region: target.region,
  ...(target.endpoint ? { endpoint: target.endpoint } : {}),
  ...(target.stack ? { stack: target.stack } : {}),
  resources: target.names,
});

/** A command's output streams; commands write here instead of `console` so tests can read them. */
export const out = {
  stdout: (text: string): void => {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  },
  stderr: (text: string): void => {
    process.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  },
};
