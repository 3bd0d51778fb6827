import type { Command } from 'commander';
import { printable } from '../text/printable.js';
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

/**
 * A command's output streams; commands write here instead of `console` so tests can read them. The last
 * wall before the terminal: whatever a command forgot to escape, no control or bidi character gets
 * through (line breaks stay — renderers escape hostile values one by one, LF included, so a key cannot
 * forge a line).
 */
export const out = {
  stdout: (text: string): void => {
    const shown = printable(text, { keepLineBreaks: true });
    process.stdout.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  },
  stderr: (text: string): void => {
    const shown = printable(text, { keepLineBreaks: true });
    process.stderr.write(shown.endsWith('\n') ? shown : `${shown}\n`);
  },
};
