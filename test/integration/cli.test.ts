import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { RESOURCE_NAMES, resolvePipelineSettings } from '../../src/config/settings.ts';
import { freePort } from '../../src/local/moto/motoServer.ts';
import { provisionLocal } from '../../src/local/provision.ts';
import { FileStatus, HistoryStep, QuarantineReason } from '../../src/pipeline/constants.ts';
import { useMoto } from '../helpers/moto.ts';
import { makeFileRecord, makeStepRecord, putRecords } from '../helpers/trackingRecords.ts';

const BIN = resolve(import.meta.dirname, '../../bin/silent-scalper.mjs');
const moto = useMoto();

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the CLI as a user would, in a child process, with no AWS settings of this shell leaking in. */
const cli = (args: string[], env: Record<string, string> = {}): Promise<Run> => {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  return new Promise((done) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...clean, AWS_EC2_METADATA_DISABLED: 'true', ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
};
const local = (...args: string[]) => cli([...args, '--endpoint', moto().endpoint]);

describe('silent-scalper --help', () => {
  it.each([
    [[], ['upload', 'status', 'files', 'show', '--endpoint', '--region', '--stack']],
    [['upload'], ['<paths...>', '--prefix', '--concurrency', '--json']],
    [['status'], ['--since', '--json']],
    [['files'], ['--status', '--limit', '--cursor', '--prefix', '--json']],
    [['show'], ['<key>', '--bucket', '--json']],
  ])('%j --help shows usage and options', async (command, expected) => {
    const run = await cli([...command, '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Usage: silent-scalper ${command.join(' ')}`.trim());
    for (const text of expected) expect(run.stdout).toContain(text);
  });
});

describe('silent-scalper against a local emulator', () => {
  let clients: AwsClients;
  let dir: string;
  const runId = `run${Date.now()}`;
  const now = Date.now();
  const at = (secondsAgo: number) => new Date(now - secondsAgo * 1000).toISOString();
  const historyKey = `${runId}/history/report 1+ü.pdf`;

  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    await provisionLocal({ clients, settings: resolvePipelineSettings() });
    dir = await mkdtemp(join(tmpdir(), 'ss-cli-'));
    await mkdir(join(dir, 'dump', 'sub dir'), { recursive: true });
    await writeFile(join(dir, 'dump', 'a.csv'), 'id,name\n1,x\n');
    await writeFile(join(dir, 'dump', 'sub dir', 'notes ü+%.txt'), 'hello');
    await writeFile(join(dir, 'dump', 'sub dir', 'empty.json'), '');
    await writeFile(join(dir, 'photo.png'), Buffer.from('89504e470d0a1a0a', 'hex'));
    // Records as the handler writes them: 12 files, newest first a1…a12, with one file's full history.
    await putRecords(clients.dynamo, RESOURCE_NAMES.metadataTable, [
      ...Array.from({ length: 12 }, (_, i) =>
        makeFileRecord({
          key: `${runId}/list/a${i + 1}.txt`,
          processedAt: at(100 + i),
          ...(i % 4 === 1
            ? { status: FileStatus.QUARANTINED, reason: QuarantineReason.TYPE_MISMATCH }
            : { mime: 'text/plain' }),
        }),
      ),
      makeFileRecord({
        key: historyKey,
        eventTime: at(600),
        processedAt: at(599),
        status: FileStatus.QUARANTINED,
        reason: QuarantineReason.PROCESSING_FAILED,
        error: 'TransientError: SlowDown',
        quarantineBucket: RESOURCE_NAMES.quarantineBucket,
        quarantineKey: historyKey,
        receiveCount: 5,
        uploadId: 'v1',
      }),
      makeStepRecord({ key: historyKey, step: HistoryStep.RETRIED, at: at(500), attempt: 1 }),
      makeFileRecord({
        key: historyKey,
        eventTime: at(499),
        processedAt: at(498),
        mime: 'application/pdf',
        ext: 'pdf',
        uploadId: 'v2',
        attempt: 1,
      }),
    ]);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads files and folders with content type and uploaded-at metadata', async () => {
    // Act
    const before = Date.now();
    const run = await local(
      'upload',
      join(dir, 'dump'),
      join(dir, 'photo.png'),
      '--prefix',
      `${runId}/up`,
      '--json',
    );
    // Assess: the summary
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary).toMatchObject({
      bucket: RESOURCE_NAMES.inputBucket,
      files: 4,
      uploaded: 4,
      bytes: 25,
      failed: [],
    });
    expect(summary.filesPerSecond).toBeGreaterThan(0);
    // Assess: the objects
    const listed = await clients.s3.send(
      new ListObjectsV2Command({ Bucket: RESOURCE_NAMES.inputBucket, Prefix: `${runId}/up/` }),
    );
    expect((listed.Contents ?? []).map((o) => o.Key).sort()).toEqual(
      [
        `${runId}/up/a.csv`,
        `${runId}/up/photo.png`,
        `${runId}/up/sub dir/empty.json`,
        `${runId}/up/sub dir/notes ü+%.txt`,
      ].sort(),
    );
    const head = await clients.s3.send(
      new HeadObjectCommand({ Bucket: RESOURCE_NAMES.inputBucket, Key: `${runId}/up/sub dir/notes ü+%.txt` }),
    );
    expect(head.ContentType).toBe('text/plain');
    const uploadedAt = Date.parse(head.Metadata?.['uploaded-at'] ?? '');
    expect(uploadedAt).toBeGreaterThanOrEqual(before - 1000);
    expect(uploadedAt).toBeLessThanOrEqual(Date.now());
    const png = await clients.s3.send(
      new HeadObjectCommand({ Bucket: RESOURCE_NAMES.inputBucket, Key: `${runId}/up/photo.png` }),
    );
    expect(png.ContentType).toBe('image/png');
  });

  it('prints a readable upload summary and a progress line when not on a terminal', async () => {
    const run = await local('upload', join(dir, 'photo.png'), '--prefix', `${runId}/text`);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `Uploaded 1 of 1 files (8 B) to s3://${RESOURCE_NAMES.inputBucket}/${runId}/text/`,
    );
    expect(run.stderr).toContain('100% 1/1 files');
  });

  it('status --json reports queue depths, the window and counts per status and reason', async () => {
    // Act
    const run = await local('status', '--json');
    // Assess
    expect(run.code).toBe(0);
    const status = JSON.parse(run.stdout);
    expect(status.target).toMatchObject({
      mode: 'local',
      endpoint: moto().endpoint,
      resources: RESOURCE_NAMES,
    });
    expect(Object.keys(status.queue).sort()).toEqual(['deadLetter', 'delayed', 'inFlight', 'visible']);
    // Every upload above became a notification waiting in the queue (nothing consumes it in this test).
    expect(status.queue.visible).toBeGreaterThanOrEqual(5);
    expect(status.queue.deadLetter).toBe(0);
    expect(Date.parse(status.window.until) - Date.parse(status.window.since)).toBe(24 * 3600 * 1000);
    expect(status.counts).toMatchObject({
      total: 14,
      byStatus: { PROCESSED: 10, QUARANTINED: 4, GONE: 0 },
      byReason: { TYPE_MISMATCH: 3, PROCESSING_FAILED: 1, EMPTY_FILE: 0 },
      truncated: false,
    });
    expect(status.counts.byMime['text/plain']).toBe(9);
  });

  it('status shows the same for a human, and --since narrows the window', async () => {
    const run = await local('status', '--since', '5m');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/Queue:\s+silent-scalper-ingest: \d+ waiting, 0 in flight, 0 delayed/);
    expect(run.stdout).toMatch(/DLQ:\s+silent-scalper-ingest-dlq: 0 message\(s\)/);
    // The history file's records are 8–10 minutes old: outside a 5-minute window.
    expect(run.stdout).toMatch(/Files processed since .*: 12\n/);
    expect(run.stdout).toMatch(/TYPE_MISMATCH\s+3/);
  });

  it('files lists the newest records first and pages with the printed cursor', async () => {
    // Act: first page, as a table
    const first = await local('files', '--prefix', `${runId}/list/`, '--limit', '5');
    // Assess
    expect(first.code).toBe(0);
    const rows = first.stdout.split('\n').filter((l) => l.includes(`${runId}/list/`));
    expect(rows.map((r) => r.split(/\s+/).at(-1))).toEqual(
      [1, 2, 3, 4, 5].map((i) => `${runId}/list/a${i}.txt`),
    );
    expect(rows[1]).toMatch(/QUARANTINED\s+TYPE_MISMATCH/);
    const cursor = /--cursor (\S+)/.exec(first.stdout)?.[1];
    expect(cursor).toBeDefined();
    // Act: the rest, as JSON
    const rest = await local(
      'files',
      '--prefix',
      `${runId}/list/`,
      '--limit',
      '100',
      '--cursor',
      cursor as string,
      '--json',
    );
    const page = JSON.parse(rest.stdout);
    expect(page.items.map((r: { key: string }) => r.key)).toEqual(
      [6, 7, 8, 9, 10, 11, 12].map((i) => `${runId}/list/a${i}.txt`),
    );
    expect(page.nextCursor).toBeUndefined();
  });

  it('files --status keeps only that status', async () => {
    const run = await local('files', '--status', 'quarantined', '--json', '--limit', '50');
    const page = JSON.parse(run.stdout);
    expect(page.items.map((r: { key: string }) => r.key)).toEqual([
      `${runId}/list/a2.txt`,
      `${runId}/list/a6.txt`,
      `${runId}/list/a10.txt`,
      historyKey,
    ]);
  });

  it("show prints one file's uploads and steps in time order", async () => {
    // Act
    const run = await local('show', historyKey);
    // Assess
    expect(run.code).toBe(0);
    expect(run.stdout.split('\n')[0]).toBe(
      `s3://${RESOURCE_NAMES.inputBucket}/${historyKey}: 2 upload(s), 1 step(s); now PROCESSED`,
    );
    const positions = [
      'PROCESSING_FAILED',
      'TransientError: SlowDown',
      'RETRIED',
      'Upload 2',
      'application/pdf (.pdf)',
    ].map((s) => run.stdout.indexOf(s));
    expect(positions.every((p) => p > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('show --json gives the history as data', async () => {
    const run = await local('show', historyKey, '--json');
    const history = JSON.parse(run.stdout);
    expect(history.entries.map((e: { recordType: string }) => e.recordType)).toEqual([
      'UPLOAD',
      'STEP',
      'UPLOAD',
    ]);
    expect(history.uploads.map((u: { status: string }) => u.status)).toEqual(['QUARANTINED', 'PROCESSED']);
  });

  it('show of an unknown key fails with a hint', async () => {
    const run = await local('show', `${runId}/nope.txt`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no records for s3://${RESOURCE_NAMES.inputBucket}/${runId}/nope.txt`);
    expect(run.stderr).toContain('silent-scalper files --prefix');
  });

  it('rejects a bad option value and names the valid ones', async () => {
    const run = await local('files', '--status', 'FAILED');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('PROCESSED, QUARANTINED, GONE');
  });
});

describe('silent-scalper errors', () => {
  it('tells to start `silent-scalper up` when the endpoint is not reachable', async () => {
    const run = await cli(['status', '--endpoint', `http://127.0.0.1:${await freePort()}`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /error: cannot reach http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\): is `silent-scalper up` running\?/,
    );
  });

  it('takes the endpoint from AWS_ENDPOINT_URL too', async () => {
    const run = await cli(['files'], { AWS_ENDPOINT_URL: `http://127.0.0.1:${await freePort()}` });
    expect(run.stderr).toContain('is `silent-scalper up` running?');
  });

  it('tells how to configure credentials when acting on AWS without any', async () => {
    const run = await cli(['status'], {
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
      AWS_CONFIG_FILE: '/nonexistent/config',
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('error: no AWS credentials found');
    expect(run.stderr).toContain('--endpoint');
  });

  it('explains a stack that does not exist', async () => {
    const run = await local('status', '--stack', 'NotDeployed');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('stack "NotDeployed" does not exist');
  });
});
