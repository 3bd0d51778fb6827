import { CopyObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { printable } from '../../src/text/printable.js';
import { HOSTILE_KEYS, UNSAFE_CHARACTER } from '../helpers/hostileKeys.ts';
import {
  type LocalPipeline,
  queueCounts,
  startLocalPipeline,
  uploadRecords,
  waitFor,
} from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';
import { runCli } from '../helpers/runCli.ts';

const moto = useMoto();
const check = (...args: string[]) => runCli(moto().endpoint, ['check', ...args]);

/** Its record is deleted: a lost upload. An uploader chose the key, so it must come out escaped. */
const LOST_KEY = HOSTILE_KEYS.bidiOverride;
/** Copied into quarantine after it was processed: in both buckets. */
const BOTH_KEY = 'reports/both.csv';
const KEYS = [LOST_KEY, BOTH_KEY, 'reports/fine.csv'];

describe('silent-scalper check (the CLI, against the local pipeline on moto)', () => {
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    // Prepare: the real pipeline (default names, as the CLI finds them) processes three uploads
    pipeline = await startLocalPipeline({
      endpoint: moto().endpoint,
      settings: resolvePipelineSettings({ functionTimeoutSeconds: 2 }),
    });
    const { clients, resources } = pipeline;
    for (const key of KEYS)
      await clients.s3.send(
        new PutObjectCommand({ Bucket: resources.inputBucket, Key: key, Body: 'id,name\n1,x\n' }),
      );
    await waitFor('every upload to have its final record and the queue to drain', async () => {
      const counts = await queueCounts(clients, resources.queueUrl);
      const records = await uploadRecords(clients, resources.tableName);
      return records.length === KEYS.length && counts.visible + counts.inFlight + counts.delayed === 0;
    });
    // Nothing may repair or add to what the tests break next.
    await pipeline.runner.stop();
  });
  afterAll(async () => {
    await pipeline?.runner.stop();
  });

  it('exits 0 and says OK when every upload ended in exactly one right place', async () => {
    // Act
    const run = await check();
    const json = await check('--json');

    // Assess
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`OK: ${KEYS.length} upload(s)`);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, uploads: KEYS.length, problems: [] });
  });

  it('exits 1 and names a lost upload (escaped) and an object in both buckets; --json says the same', async () => {
    // Prepare: delete one upload's record; copy a processed object into the quarantine bucket
    const { clients, resources } = pipeline;
    const records = await uploadRecords(clients, resources.tableName);
    const lost = records.find((r) => r.key === LOST_KEY);
    if (!lost) throw new Error('the pipeline wrote no record for the hostile key');
    await clients.dynamo.send(
      new DeleteCommand({ TableName: resources.tableName, Key: { pk: lost.pk, sk: lost.sk } }),
    );
    await clients.s3.send(
      new CopyObjectCommand({
        Bucket: resources.quarantineBucket,
        Key: BOTH_KEY,
        CopySource: `${resources.inputBucket}/${BOTH_KEY}`,
      }),
    );

    // Act
    const run = await check();
    const json = await check('--json');

    // Assess: the human output names both problems, the hostile key escaped, never raw
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('PROBLEMS FOUND');
    expect(run.stdout).toMatch(/Lost:\s+1\n/);
    expect(run.stdout).toMatch(/Misplaced:\s+1\n/);
    const input = resources.inputBucket;
    expect(run.stdout).toContain(`lost       ${printable(`s3://${input}/${LOST_KEY}`)} — no final record`);
    expect(run.stdout).toContain(
      `misplaced  s3://${input}/${BOTH_KEY} — PROCESSED but also in the quarantine bucket`,
    );
    expect(run.stdout).not.toMatch(UNSAFE_CHARACTER);
    // Assess: the JSON holds the same, as data (the key readable back exactly after JSON.parse)
    expect(json.code).toBe(1);
    expect(json.stdout).not.toMatch(UNSAFE_CHARACTER);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ ok: false, uploads: KEYS.length, lost: 1, misplaced: 1 });
    expect(result.problems.map((p: { kind: string; key: string }) => [p.kind, p.key]).sort()).toEqual([
      ['lost', LOST_KEY],
      ['misplaced', BOTH_KEY],
    ]);
  });
});
