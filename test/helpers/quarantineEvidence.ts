import {
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClients } from '../../src/adapters/awsClients.ts';
import { hasStepFor } from '../../src/ops/retryPolicy.ts';
import { FileStatus, HistoryStep, OBJECT_METADATA } from '../../src/pipeline/constants.ts';
import { IN_PLACE_TAG, IN_PLACE_TAG_VALUE, UPLOAD_ID_METADATA } from '../../src/pipeline/quarantine.ts';
import type { FileRecord, HistoryStepRecord } from '../../src/pipeline/types.ts';

/** Where {@link quarantineEvidenceProblems} looks. */
export interface EvidenceScope {
  readonly inputBucket: string;
  readonly quarantineBucket: string;
  readonly tableName: string;
}

const head = (s3: S3Client, bucket: string, key: string, versionId?: string) =>
  s3
    .send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }))
    .catch(() => undefined);

const tableItems = async (clients: AwsClients, tableName: string) => {
  const items: (FileRecord | HistoryStepRecord)[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await clients.dynamo.send(
      new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...((out.Items ?? []) as (FileRecord | HistoryStepRecord)[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
};

const quarantineVersions = async (s3: S3Client, bucket: string) => {
  const versions: { key: string; versionId: string }[] = [];
  let keyMarker: string | undefined;
  let versionMarker: string | undefined;
  do {
    const out = await s3.send(
      new ListObjectVersionsCommand({
        Bucket: bucket,
        ...(keyMarker ? { KeyMarker: keyMarker } : {}),
        ...(versionMarker ? { VersionIdMarker: versionMarker } : {}),
      }),
    );
    for (const v of out.Versions ?? [])
      if (v.Key !== undefined) versions.push({ key: v.Key, versionId: v.VersionId ?? 'null' });
    keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
    versionMarker = out.IsTruncated ? out.NextVersionIdMarker : undefined;
  } while (keyMarker);
  return versions;
};

/**
 * The quarantine invariant, checked against the real buckets and table after a test: every quarantined
 * upload's bytes are in exactly one place, the place its latest record names. Returns the problems found
 * (an empty list when it holds), each naming the upload, so a failing test says what broke.
 *
 * - A QUARANTINED record that was not retried names an object (and version) that exists and carries its
 *   upload id — or, in place, the input object carrying the in-place tag — and the input bucket does not
 *   also hold that upload (same ETag and attempt) unless it is quarantined in place.
 * - A retried one (a RETRIED step for it and a later upload of the key with attempt + 1): its quarantine
 *   object is gone (the bytes moved on to the later upload, which has its own record).
 * - Every version in the quarantine bucket is named by exactly one record: no orphaned evidence, no two
 *   uploads claiming one object.
 *
 * Written to be merged with the general consistency checker (#12, `silent-scalper check`): it only reads.
 */
export const quarantineEvidenceProblems = async (
  clients: AwsClients,
  scope: EvidenceScope,
): Promise<string[]> => {
  const problems: string[] = [];
  const items = await tableItems(clients, scope.tableName);
  const uploads = items.filter((i): i is FileRecord => i.recordType === 'UPLOAD');
  const steps = items.filter((i): i is HistoryStepRecord => i.recordType === 'STEP');
  const claims = new Map<string, string[]>();

  for (const r of uploads) {
    if (r.status !== FileStatus.QUARANTINED) continue;
    const who = `${r.key} (upload ${r.uploadId}, attempt ${r.attempt})`;
    const retried =
      hasStepFor(
        steps.filter((s) => s.pk === r.pk),
        HistoryStep.RETRIED,
        r,
      ) && uploads.some((u) => u.pk === r.pk && u.attempt === r.attempt + 1);
    if (!r.quarantineBucket || r.quarantineKey === undefined) {
      problems.push(`${who}: QUARANTINED but names no place`);
      continue;
    }
    const named = await head(clients.s3, r.quarantineBucket, r.quarantineKey, r.quarantineVersionId);
    if (r.quarantinedInPlace) {
      // Released by a retry (a RETRIED step): the bytes stay where the record says, untagged.
      const released = hasStepFor(
        steps.filter((s) => s.pk === r.pk),
        HistoryStep.RETRIED,
        r,
      );
      if (released) {
        if (!named) problems.push(`${who}: released in place, but the input object is gone`);
        continue;
      }
      const tags = await clients.s3
        .send(
          new GetObjectTaggingCommand({
            Bucket: r.quarantineBucket,
            Key: r.quarantineKey,
            ...(r.quarantineVersionId ? { VersionId: r.quarantineVersionId } : {}),
          }),
        )
        .catch(() => undefined);
      if (!named) problems.push(`${who}: in place, but the input object is gone`);
      else if (tags?.TagSet?.find((t) => t.Key === IN_PLACE_TAG)?.Value !== IN_PLACE_TAG_VALUE)
        problems.push(`${who}: in place, but the input object is not tagged ${IN_PLACE_TAG}`);
      continue;
    }
    if (retried) {
      if (named) problems.push(`${who}: retried, but its quarantine object is still there (two places)`);
      continue;
    }
    if (!named) {
      problems.push(`${who}: the quarantine object its record names is gone (evidence lost)`);
      continue;
    }
    if (named.Metadata?.[UPLOAD_ID_METADATA] !== r.uploadId)
      problems.push(`${who}: its quarantine object holds upload ${named.Metadata?.[UPLOAD_ID_METADATA]}`);
    const claim = `${r.quarantineKey}\u0000${r.quarantineVersionId ?? named.VersionId ?? 'null'}`;
    claims.set(claim, [...(claims.get(claim) ?? []), who]);
    const input = await head(clients.s3, r.bucket, r.key);
    const inputAttempt = Number(input?.Metadata?.[OBJECT_METADATA.attempt] ?? 0);
    if (input && input.ETag?.replace(/"/g, '') === r.etag && inputAttempt === r.attempt)
      problems.push(`${who}: also still in the input bucket (two places)`);
  }

  for (const v of await quarantineVersions(clients.s3, scope.quarantineBucket)) {
    const owners = claims.get(`${v.key}\u0000${v.versionId}`) ?? [];
    if (owners.length === 0)
      problems.push(`quarantine object ${v.key} version ${v.versionId}: no record names it`);
    if (owners.length > 1)
      problems.push(`quarantine object ${v.key} version ${v.versionId}: named by ${owners.join(', ')}`);
  }
  return problems;
};
