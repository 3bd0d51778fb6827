import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const BIN = resolve(import.meta.dirname, '../../bin/silent-scalper.mjs');

/** What one CLI run left behind. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run `silent-scalper` as a user would, in a child process pointed at `endpoint`, with no AWS settings
 * of this shell leaking in.
 */
export const runCli = (endpoint: string, args: readonly string[]): Promise<CliRun> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args, '--endpoint', endpoint],
      { env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true' }, timeout: 60_000 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
};
