import {
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  type S3ServiceException,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { ObjectGoneError, TargetExistsError } from '../../src/pipeline/errors.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
let s3: S3Client;

beforeAll(async () => {
  s3 = new S3Client({
    endpoint: moto().endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: 'guards' }));
  await s3.send(new CreateBucketCommand({ Bucket: 'versions' }));
  await s3.send(
    new PutBucketVersioningCommand({ Bucket: 'versions', VersioningConfiguration: { Status: 'Enabled' } }),
  );
});

const put = (bucket: string, key: string, body: string) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));

const text = async (bucket: string, key: string, versionId?: string) => {
  const out = await s3.send(
    new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId ? { VersionId: versionId } : {}) }),
  );
  return out.Body?.transformToString();
};

/** The error a command failed with (the test fails if it did not). */
const failure = async (promise: Promise<unknown>): Promise<S3ServiceException & { Condition?: string }> => {
  try {
    await promise;
  } catch (error) {
    return error as S3ServiceException & { Condition?: string };
  }
  throw new Error('expected the request to fail');
};

describe('the moto launcher answers CopyObject guards as S3 documents them', () => {
  it('If-None-Match: * onto an existing key: 412 PreconditionFailed naming If-None-Match, target untouched', async () => {
    // Prepare
    await put('guards', 'source', 'new bytes');
    await put('guards', 'taken', 'somebody else');

    // Act
    const error = await failure(
      s3.send(
        new CopyObjectCommand({
          Bucket: 'guards',
          Key: 'taken',
          CopySource: 'guards/source',
          IfNoneMatch: '*',
        }),
      ),
    );

    // Assess: https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html ("If-None-Match")
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.name).toBe('PreconditionFailed');
    expect(error.message).toBe('At least one of the pre-conditions you specified did not hold');
    expect(error.Condition).toBe('If-None-Match');
    expect(await text('guards', 'taken')).toBe('somebody else');
  });

  it('If-None-Match: * onto a free key copies', async () => {
    // Prepare
    await put('guards', 'source-2', 'bytes');

    // Act
    await s3.send(
      new CopyObjectCommand({
        Bucket: 'guards',
        Key: 'free',
        CopySource: 'guards/source-2',
        IfNoneMatch: '*',
      }),
    );

    // Assess
    expect(await text('guards', 'free')).toBe('bytes');
  });

  it('x-amz-copy-source-if-match with another ETag: 412 naming the header, nothing written', async () => {
    // Prepare
    await put('guards', 'pinned', 'version two');

    // Act
    const error = await failure(
      s3.send(
        new CopyObjectCommand({
          Bucket: 'guards',
          Key: 'pinned-copy',
          CopySource: 'guards/pinned',
          CopySourceIfMatch: '"0123456789abcdef0123456789abcdef"',
        }),
      ),
    );

    // Assess
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.name).toBe('PreconditionFailed');
    expect(error.Condition).toBe('x-amz-copy-source-If-Match');
    const head = await s3
      .send(new HeadObjectCommand({ Bucket: 'guards', Key: 'pinned-copy' }))
      .catch((e) => e);
    expect(head.$metadata.httpStatusCode).toBe(404);
  });

  it('x-amz-copy-source-if-match on UploadPartCopy: 412 as well', async () => {
    // Prepare
    await put('guards', 'part-source', 'x'.repeat(1024));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'guards', Key: 'parts' }));

    // Act
    const error = await failure(
      s3.send(
        new UploadPartCopyCommand({
          Bucket: 'guards',
          Key: 'parts',
          UploadId,
          PartNumber: 1,
          CopySource: 'guards/part-source',
          CopySourceIfMatch: '"nope"',
        }),
      ),
    );

    // Assess
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(error.Condition).toBe('x-amz-copy-source-If-Match');
  });

  it('of many conditional copies racing onto one free key, exactly one wins', async () => {
    // Prepare
    await Promise.all(Array.from({ length: 6 }, (_, i) => put('guards', `racer-${i}`, `racer ${i}`)));

    // Act
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        s3.send(
          new CopyObjectCommand({
            Bucket: 'guards',
            Key: 'contested',
            CopySource: `guards/racer-${i}`,
            IfNoneMatch: '*',
          }),
        ),
      ),
    );

    // Assess
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results)
      if (r.status === 'rejected')
        expect((r.reason as S3ServiceException).$metadata.httpStatusCode).toBe(412);
    expect(await text('guards', 'contested')).toBe(`racer ${won[0]}`);
  });

  it('the adapter turns the two 412s into TargetExistsError and ObjectGoneError', async () => {
    // Prepare
    const store = createS3ObjectStore(s3);
    await put('guards', 'adapter-source', 'bytes');
    await put('guards', 'adapter-taken', 'taken');
    const copy = (ifMatch: string | undefined, key: string) =>
      store.copyObject({
        source: { bucket: 'guards', key: 'adapter-source', ...(ifMatch ? { ifMatch } : {}) },
        target: { bucket: 'guards', key, ifNoneMatch: '*' },
        size: 5,
        metadata: {},
      });

    // Act
    const taken = await copy(undefined, 'adapter-taken').catch((e) => e);
    const changed = await copy('"0123456789abcdef0123456789abcdef"', 'adapter-free').catch((e) => e);

    // Assess
    expect(taken).toBeInstanceOf(TargetExistsError);
    expect(changed).toBeInstanceOf(ObjectGoneError);
  });
});

describe("moto's DeleteObject on a versioned bucket (what the retry relies on)", () => {
  it('DeleteObject with VersionId removes exactly that version and leaves the current one', async () => {
    // Prepare
    const v1 = (await put('versions', 'k', 'one')).VersionId;
    const v2 = (await put('versions', 'k', 'two')).VersionId;

    // Act
    await s3.send(new DeleteObjectCommand({ Bucket: 'versions', Key: 'k', VersionId: v1 }));

    // Assess: no delete marker, v2 still current
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: 'versions', Prefix: 'k' }));
    expect((listed.Versions ?? []).map((v) => v.VersionId)).toEqual([v2]);
    expect(listed.DeleteMarkers ?? []).toEqual([]);
    expect(await text('versions', 'k')).toBe('two');
  });

  it('DeleteObject If-Match is compared with the CURRENT version even when a VersionId is given', async () => {
    // Prepare: an older version whose ETag is passed, under a newer current version
    const old = await put('versions', 'm', 'old');
    await put('versions', 'm', 'new');

    // Act
    const error = await failure(
      s3.send(
        new DeleteObjectCommand({
          Bucket: 'versions',
          Key: 'm',
          VersionId: old.VersionId,
          IfMatch: old.ETag,
        }),
      ),
    );

    // Assess: moto's quirk, which is why the adapter never sends both (it pins by version id alone)
    expect(error.$metadata.httpStatusCode).toBe(412);
    expect(await text('versions', 'm', old.VersionId)).toBe('old');
  });
});
