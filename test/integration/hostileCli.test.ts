import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { truncateMiddle } from '../../src/cli/output.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type LocalRuntime, startLocalRuntime } from '../../src/local/localRuntime.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { createRunnerLogger } from '../../src/local/runnerLogger.ts';
import { printable } from '../../src/text/printable.js';
import { HOSTILE_KEYS, putHostileQuarantines, UNSAFE_CHARACTER } from '../helpers/hostileKeys.ts';
import { waitFor } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { s3EventBody } from '../helpers/opsFakes.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/silent-scalper.mjs');
const moto = useMoto();
const KINDS = Object.entries(HOSTILE_KEYS);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as a user runs it, pointed at this file's moto. */
const cli = (...args: string[]): Promise<Run> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: ROOT,
        env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true', AWS_ENDPOINT_URL: moto().endpoint },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
};

/** Both streams: nothing on either may carry a raw control or bidi character. */
const allOutput = (r: Run) => r.stdout + r.stderr;

describe('CLI commands print hostile keys as visible escapes', () => {
  let clients: AwsClients;
  let resources: LocalResources;
  let files: Run;
  let retry: Run;
  let replay: Run;
  const shows = new Map<string, Run>();

  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    resources = await provisionLocal({ clients, settings: resolvePipelineSettings() });
    // Each key quarantined after a failure whose message quotes it, as the handler records it.
    await putHostileQuarantines(clients.dynamo, resources.tableName);
    // And each key dead-lettered (an S3 event in the DLQ), for replay-dlq.
    for (const [, key] of KINDS)
      await clients.sqs.send(
        new SendMessageCommand({
          QueueUrl: resources.dlqUrl,
          MessageBody: s3EventBody(resources.inputBucket, [key]),
        }),
      );
    [files, retry, replay] = await Promise.all([
      cli('files', '--limit', '50'),
      cli('retry', '--all', '--dry-run', '--force'),
      cli('replay-dlq', '--dry-run'),
    ]);
    for (const [kind, key] of KINDS) shows.set(kind, await cli('show', key));
  }, 180_000);

  it.each(KINDS)('files: the %s key is one escaped row', (_, key) => {
    expect(files.code).toBe(0);
    expect(allOutput(files)).not.toMatch(UNSAFE_CHARACTER);
    const rows = files.stdout.split('\n').filter((line) => line.includes(printable(key)));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toContain('QUARANTINED');
  });

  it.each(KINDS)('show: the %s key, its error and its declared type are escaped', (kind) => {
    const shown = shows.get(kind) as Run;
    expect(shown.code).toBe(0);
    expect(allOutput(shown)).not.toMatch(UNSAFE_CHARACTER);
    const key = HOSTILE_KEYS[kind as keyof typeof HOSTILE_KEYS];
    expect(shown.stdout.split('\n')[0]).toBe(
      `s3://${resources.inputBucket}/${printable(key)}: 1 upload(s), 0 step(s); now QUARANTINED (PROCESSING_FAILED)`,
    );
    expect(shown.stdout).toContain(`read of ${printable(key)} timed out`);
    expect(shown.stdout).toContain('text/plain\\u001b[31m');
  });

  it.each(KINDS)('retry --dry-run: the %s key is one escaped row', (_, key) => {
    expect(retry.code).toBe(0);
    expect(allOutput(retry)).not.toMatch(UNSAFE_CHARACTER);
    expect(
      retry.stdout.split('\n').filter((line) => line.includes(printable(truncateMiddle(key, 60)))),
    ).toHaveLength(1);
  });

  it.each(KINDS)('replay-dlq --dry-run: the %s key is one escaped line', (_, key) => {
    expect(replay.code).toBe(0);
    expect(allOutput(replay)).not.toMatch(UNSAFE_CHARACTER);
    expect(replay.stdout.split('\n').filter((line) => line.includes(printable(key)))).toHaveLength(1);
  });

  it('--json keeps the exact keys as data, with every control escaped', async () => {
    // Act
    const json = await cli('files', '--limit', '50', '--json');
    // Assess
    expect(json.stdout).not.toMatch(UNSAFE_CHARACTER);
    const keys = (JSON.parse(json.stdout) as { items: { key: string }[] }).items.map((r) => r.key);
    expect(new Set(keys)).toEqual(new Set(Object.values(HOSTILE_KEYS)));
  });

  it('an error message quoting a hostile key is escaped too', async () => {
    const missing = await cli('show', `${HOSTILE_KEYS.bidiOverride}-missing\u001b[2J`);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(printable(`${HOSTILE_KEYS.bidiOverride}-missing\u001b[2J`));
    expect(allOutput(missing)).not.toMatch(UNSAFE_CHARACTER);
  });
});

// moto 5.2.1 answers a 500 HTML page to a PutObject whose key holds CR/LF (S3 takes it), so that one
// kind reaches the runner logger in test/unit/local/runnerLogger.test.ts instead.
const UPLOADABLE = KINDS.filter(([kind]) => kind !== 'lineBreaks');

describe("up's log (the runner logger) prints hostile keys as visible escapes", () => {
  let runtime: LocalRuntime | undefined;
  const lines: string[] = [];

  beforeAll(async () => {
    // The runtime `up` starts, with its human logger writing here instead of the terminal.
    runtime = await startLocalRuntime({
      port: 0,
      logger: createRunnerLogger({ write: (line) => lines.push(line) }),
    });
    for (const [, key] of UPLOADABLE)
      await runtime.clients.s3.send(
        new PutObjectCommand({ Bucket: runtime.resources.inputBucket, Key: key, Body: 'hello, world\n' }),
      );
    await waitFor(
      'a log line per uploaded key',
      async () => UPLOADABLE.every(([, key]) => lines.some((l) => l.includes(printable(key)))),
      { timeoutMs: 90_000, intervalMs: 500 },
    );
  }, 180_000);

  afterAll(async () => {
    await runtime?.stop();
  });

  it.each(UPLOADABLE)('the %s key is logged on one escaped line', (_, key) => {
    expect(lines.filter((l) => l.includes(printable(key)))).toHaveLength(1);
    expect(lines.join('\n')).not.toMatch(UNSAFE_CHARACTER);
    for (const line of lines) expect(line).not.toContain('\n');
  });
});
