import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { RESOURCE_NAMES } from '../../src/config/settings.ts';
import { freePort } from '../../src/local/moto/motoServer.ts';
import { decodeManifest } from '../../src/pipeline/batchManifest.ts';

const CLI = fileURLToPath(new URL('../../bin/silent-scalper.mjs', import.meta.url));

/** A CLI process with its output collected as it arrives. */
interface CliRun {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  readonly exited: Promise<number | null>;
}

const running: CliRun[] = [];

const cli = (args: string[]): CliRun => {
  const { AWS_ENDPOINT_URL: _endpoint, ...env } = process.env;
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const run: CliRun = {
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

/** Start `up` (no demo, no dashboard) on a free port and wait until it serves. */
const startUp = async (extra: string[] = []): Promise<string> => {
  const port = await freePort();
  const up = cli(['up', '--port', String(port), '--no-dashboard', ...extra]);
  const deadline = Date.now() + 120_000;
  while (!up.stdout.includes('Silent Scalper runs locally')) {
    if (Date.now() > deadline || up.child.exitCode !== null)
      throw new Error(`up did not start:\n${up.stdout}\n${up.stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return `http://127.0.0.1:${port}`;
};

afterEach(async () => {
  for (const run of running.splice(0)) {
    if (run.child.exitCode === null) {
      run.child.kill('SIGINT');
      const timer = setTimeout(() => run.child.kill('SIGKILL'), 10_000);
      await run.exited;
      clearTimeout(timer);
    }
  }
});

describe('silent-scalper verify', () => {
  it('passes against the local runtime, printing each step with its time, and leaves nothing behind', async () => {
    // Prepare
    const endpoint = await startUp(['--max-file-size', '2048']);

    // Act
    const verify = cli(['verify', '--endpoint', endpoint, '--max-file-size', '2048', '--timeout', '90']);
    const code = await verify.exited;

    // Assess: every canary ended as expected, including TOO_LARGE under the small limit
    expect(code, `${verify.stdout}\n${verify.stderr}`).toBe(0);
    for (const line of [
      'record for good file: PROCESSED',
      'record for empty file: QUARANTINED EMPTY_FILE',
      'record for blocked type: QUARANTINED BLOCKED_TYPE',
      'record for type mismatch: QUARANTINED TYPE_MISMATCH',
      'record for too large: QUARANTINED TOO_LARGE',
      'every canary ended where its record says (5 checked)',
      'removed the canaries, their records and their batch-manifest entries',
      'verify passed',
    ])
      expect(verify.stdout).toContain(line);
    expect(verify.stdout).toMatch(/^\[\s*\d+\.\d s\] uploaded 5 canaries/m);
    const clients = createAwsClients({ endpoint, region: 'us-east-1' }, false);
    for (const bucket of [RESOURCE_NAMES.inputBucket, RESOURCE_NAMES.quarantineBucket]) {
      const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket }));
      expect(listed.KeyCount ?? 0).toBe(0);
    }
    // No file item is left, and no batch manifest lists a canary any more (files, dashboard).
    const { Items = [] } = await clients.dynamo.send(
      new ScanCommand({ TableName: RESOURCE_NAMES.metadataTable }),
    );
    expect(Items.filter((i) => i.recordType !== 'BATCH')).toEqual([]);
    expect(Items.flatMap((i) => decodeManifest(i))).toEqual([]);
  });

  it('fails with a clear message when nothing consumes the queue (up --no-runner)', async () => {
    // Prepare
    const endpoint = await startUp(['--no-runner']);

    // Act
    const verify = cli(['verify', '--endpoint', endpoint, '--timeout', '8']);
    const code = await verify.exited;

    // Assess
    expect(code).not.toBe(0);
    expect(verify.stderr).toContain('verify FAILED: 4 of 4 canaries got no record within 8 s');
    expect(verify.stderr).toMatch(
      /nothing is consuming the queue — locally, is `up` running with its runner/,
    );
    expect(verify.stdout).toContain('TOO_LARGE skipped');
  });
});
