import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { countClientRequests, type RequestCounts, serviceTotal } from '../../../bench/requestCounter.ts';

/** An S3 client whose HTTP layer answers from a list of canned responses (no network). */
const fakeS3 = (responses: { status: number; body?: string }[]) => {
  const sent: string[] = [];
  const client = new S3Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 3,
    requestHandler: {
      handle: async (request: { method: string; path: string }) => {
        sent.push(`${request.method} ${request.path}`);
        const next = responses.shift() ?? { status: 200 };
        const body = next.body ?? '';
        return {
          response: {
            statusCode: next.status,
            reason: '',
            headers: { 'content-length': String(Buffer.byteLength(body)), 'x-amz-request-id': 'r' },
            body: Readable.from([Buffer.from(body)]),
          },
        };
      },
    } as never,
  });
  return { client, sent };
};

describe('request counting middleware', () => {
  it('counts each command and the body bytes GetObject returned', async () => {
    // Prepare
    const { client } = fakeS3([{ status: 200, body: 'hello' }, { status: 200 }]);
    const counts: RequestCounts = { requests: {}, s3BytesRead: 0 };
    countClientRequests(client.middlewareStack as never, 's3', counts);
    // Act
    const got = await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k', Range: 'bytes=0-4' }));
    await got.Body?.transformToString();
    await client.send(new PutObjectCommand({ Bucket: 'bkt', Key: 'k', Body: 'x' }));
    // Assess
    expect(counts.requests.s3).toEqual({ GetObject: 1, PutObject: 1 });
    expect(counts.s3BytesRead).toBe(5);
    expect(serviceTotal(counts, 's3')).toBe(2);
    expect(serviceTotal(counts, 'dynamodb')).toBe(0);
  });

  it('counts every attempt of a retried request', async () => {
    // Prepare: one throttling answer, then success
    const { client, sent } = fakeS3([
      { status: 503, body: '<Error><Code>SlowDown</Code><Message>slow</Message></Error>' },
      { status: 200, body: 'ok' },
    ]);
    const counts: RequestCounts = { requests: {}, s3BytesRead: 0 };
    countClientRequests(client.middlewareStack as never, 's3', counts);
    // Act
    await client.send(new GetObjectCommand({ Bucket: 'bkt', Key: 'k' }));
    // Assess
    expect(sent).toHaveLength(2);
    expect(counts.requests.s3).toEqual({ GetObject: 2 });
  });
});
