import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  missingQuarantineObjects,
  QueueSampler,
  scanRunRecords,
  waitForDrain,
} from '../../load-tests/collect.ts';
import { FileKind, generateFile, seededRandom } from '../../load-tests/fileMix.ts';
import { ManifestWriter, readManifest } from '../../load-tests/manifest.ts';
import { type InProcessPipeline, startInProcessPipeline } from '../../load-tests/pipeline.ts';
import { uploadFile } from '../../load-tests/processor.ts';
import { verifyRun } from '../../load-tests/verify.ts';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { OBJECT_METADATA } from '../../src/pipeline/constants.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const manifestDir = mkdtempSync(join(tmpdir(), 'silent-scalper-load-'));
let pipeline: InProcessPipeline | undefined;
afterAll(async () => {
  await pipeline?.stop();
  rmSync(manifestDir, { recursive: true, force: true });
});

describe('spike test verification against the real pipeline on moto', () => {
  it('uploads through the artillery processor, drains through the runner and handler, and proves zero loss', async () => {
    // Prepare: the local pipeline in this process, as `npm run load` starts it
    const clients = createAwsClients({ endpoint: moto().endpoint }, false);
    pipeline = await startInProcessPipeline({ clients, settings: resolvePipelineSettings() });
    const { resources } = pipeline;
    const runId = 'it-run';
    const metrics: [string, string, number][] = [];
    const events = {
      emit: (type: 'counter' | 'histogram', name: string, value: number) => metrics.push([type, name, value]),
    };
    const vars = {
      inputBucket: resources.inputBucket,
      endpoint: moto().endpoint,
      region: 'us-east-1',
      manifestDir,
      runId,
      seed: '5',
    };
    const sampler = new QueueSampler(clients.sqs, resources.queueUrl, resources.dlqUrl, 200);
    sampler.start();

    // Act: 30 files of the random mix through the processor, plus one of each bad kind written the same way
    await Promise.all(Array.from({ length: 30 }, () => uploadFile({ vars }, events)));
    const writer = new ManifestWriter(manifestDir, 'bad-kinds');
    const random = seededRandom(9);
    for (const kind of [FileKind.EMPTY, FileKind.EXE, FileKind.ELF, FileKind.MISLABELLED]) {
      const file = generateFile({
        prefix: `load/${runId}`,
        sequence: `bad-${kind}`,
        random,
        kind,
        size: 2048,
      });
      const uploadedAt = new Date().toISOString();
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: resources.inputBucket,
          Key: file.key,
          Body: file.body,
          ContentType: file.contentType,
          Metadata: { [OBJECT_METADATA.uploadedAt]: uploadedAt },
        }),
      );
      writer.append({
        bucket: resources.inputBucket,
        key: file.key,
        kind,
        sizeBytes: file.body.length,
        contentType: file.contentType,
        uploadedAt,
        uploadMs: 1,
        ok: true,
        expected: file.expected,
      });
    }
    await sampler.stop();
    const drained = await waitForDrain(sampler, { timeoutMs: 60_000, intervalMs: 200 });
    const { entries: manifest } = readManifest(manifestDir);
    const records = await scanRunRecords(
      clients.dynamo,
      resources.tableName,
      resources.inputBucket,
      `load/${runId}/`,
    );
    const last = sampler.latest();
    const leftovers = {
      visible: last?.visible ?? -1,
      inFlight: last?.inFlight ?? -1,
      delayed: last?.delayed ?? -1,
      deadLetter: last?.deadLetter ?? -1,
    };
    const verification = verifyRun({
      manifest,
      records,
      leftovers,
      quarantineMissing: await missingQuarantineObjects(clients.s3, records),
    });

    // Assess
    expect(drained).toBe(true);
    expect(manifest).toHaveLength(34);
    expect(verification.problems).toEqual([]);
    expect(verification.passed).toBe(true);
    expect(verification.correct).toBe(34);
    expect(verification.byOutcome).toMatchObject({
      'QUARANTINED/EMPTY_FILE': 1,
      'QUARANTINED/BLOCKED_TYPE': 2,
      'QUARANTINED/TYPE_MISMATCH': 1,
    });
    expect(verification.endToEndMs.count).toBe(34);
    expect(verification.endToEndMs.min).toBeGreaterThanOrEqual(0);
    expect(
      metrics.filter(([type, name]) => type === 'histogram' && name === 'upload.latency_ms'),
    ).toHaveLength(30);
    expect(metrics.filter(([, name, value]) => name === 'upload.failed' && value > 0)).toHaveLength(0);

    // Act + Assess: a record that disappears is reported as a lost upload, by key
    const victim = records.find((r) => r.status === 'PROCESSED');
    if (!victim) throw new Error('no processed record');
    await clients.dynamo.send(
      new DeleteCommand({ TableName: resources.tableName, Key: { pk: victim.pk, sk: victim.sk } }),
    );
    const after = await scanRunRecords(
      clients.dynamo,
      resources.tableName,
      resources.inputBucket,
      `load/${runId}/`,
    );
    const lossCheck = verifyRun({ manifest, records: after, leftovers });
    expect(lossCheck.passed).toBe(false);
    expect(lossCheck.lost).toEqual([victim.key]);
  });
});
