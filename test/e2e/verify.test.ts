import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { RESOURCE_NAMES } from '../../src/config/settings.ts';
import { decodeManifest } from '../../src/pipeline/batchManifest.ts';
import { spawnCli, startLocalUp, stopCliProcesses } from '../helpers/cliProcess.ts';

afterEach(stopCliProcesses);

describe('silent-scalper verify', () => {
  it('passes against the local runtime, printing each step with its time, and leaves nothing behind', async () => {
    // Prepare
    const endpoint = await startLocalUp(['--max-file-size', '2048']);

    // Act
    const verify = spawnCli(['verify', '--endpoint', endpoint, '--max-file-size', '2048', '--timeout', '90']);
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
    const endpoint = await startLocalUp(['--no-runner']);

    // Act
    const verify = spawnCli(['verify', '--endpoint', endpoint, '--timeout', '8']);
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
