import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/local/moto/motoServer.ts';

const CLI = fileURLToPath(new URL('../../bin/silent-scalper.mjs', import.meta.url));

/** A long-running CLI process (`up`, `verify`, …) with its output collected as it arrives. */
export interface CliProcess {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const running: CliProcess[] = [];

/**
 * Start `silent-scalper <args>` as a user would. AWS_ENDPOINT_URL of this shell is dropped (`up` must not
 * need it); `env` adds to the rest. `detached` puts the CLI in its own process group, so that a test can
 * send Ctrl-C the way a terminal does: to the whole group. Stopped by {@link stopCliProcesses}.
 */
export const spawnCli = (
  args: readonly string[],
  options: { readonly env?: Record<string, string>; readonly detached?: boolean } = {},
): CliProcess => {
  const { AWS_ENDPOINT_URL: _endpoint, ...base } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...base, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const run: CliProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    run.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    run.stderr += chunk;
  });
  running.push(run);
  return run;
};

/** Wait until the process printed `pattern` on stdout; fails with its output if it exits or times out first. */
export const waitForOutput = async (
  run: CliProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = run.stdout.match(pattern);
    if (match) return match;
    if (run.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no ${pattern} in the output:\n${run.stdout}\n${run.stderr}`);
};

/** Start `up` (no dashboard unless `extra` asks) on a free port, wait until it serves, return its endpoint. */
export const startLocalUp = async (extra: readonly string[] = []): Promise<string> => {
  const port = await freePort();
  const up = spawnCli(['up', '--port', String(port), '--no-dashboard', ...extra]);
  await waitForOutput(up, /Silent Scalper runs locally/, 120_000);
  return `http://127.0.0.1:${port}`;
};

/**
 * Stop every process {@link spawnCli} started and is still running: Ctrl-C first (so `up` stops its moto),
 * SIGKILL after 10 s. For `afterEach`.
 */
export const stopCliProcesses = async (): Promise<void> => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue;
    run.child.kill('SIGINT');
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 10_000);
    await run.exited;
    clearTimeout(timer);
  }
};
