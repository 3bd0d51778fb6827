import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ListQueuesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../src/adapters/awsClients.ts';
import { findMotoPython, type MotoServer, startMoto } from '../../src/local/moto/motoServer.ts';
import { useMoto } from '../helpers/moto.ts';

const run = promisify(execFile);
const moto = useMoto();
const ATTACKER = 'https://attacker.example';

/** What a web page's `fetch` sends: an Origin (and, from a browser, Sec-Fetch-Site). */
const fromPage = (url: string, init: RequestInit & { origin?: string } = {}) =>
  fetch(url, {
    ...init,
    headers: { ...(init.origin ? { Origin: init.origin } : {}), ...(init.headers ?? {}) },
  });

const corsHeaders = (response: Response): string[] =>
  [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

describe('the local endpoint refuses browsers', () => {
  it('refuses a request with Origin: https://attacker.example, reads and writes alike, with no CORS', async () => {
    // Prepare: a bucket with an object, as after `up`
    const { s3, dynamo } = createAwsClients({ endpoint: moto().endpoint }, false);
    await s3.send(new CreateBucketCommand({ Bucket: 'guarded' }));
    await s3.send(new PutObjectCommand({ Bucket: 'guarded', Key: 'secret.txt', Body: 'secret' }));
    // Act
    const read = await fromPage(`${moto().endpoint}/guarded/secret.txt`, { origin: ATTACKER });
    const list = await fromPage(`${moto().endpoint}/guarded`, { origin: ATTACKER });
    const write = await fromPage(`${moto().endpoint}/guarded/planted.txt`, {
      method: 'PUT',
      origin: ATTACKER,
      body: 'planted',
    });
    const table = await fromPage(`${moto().endpoint}/`, {
      method: 'POST',
      origin: ATTACKER,
      headers: {
        'Content-Type': 'application/x-amz-json-1.0',
        'X-Amz-Target': 'DynamoDB_20120810.ListTables',
      },
      body: '{}',
    });
    // Assess: every one refused before moto saw it, no CORS header to let a page read anything
    for (const response of [read, list, write, table]) {
      expect(response.status).toBe(403);
      expect(await response.text()).toMatch(/refused: requests from web pages/);
      expect(corsHeaders(response)).toEqual([]);
    }
    const keys = await s3.send(new ListObjectsV2Command({ Bucket: 'guarded' }));
    expect(keys.Contents?.map((o) => o.Key)).toEqual(['secret.txt']);
    expect(Array.isArray((await dynamo.send(new ListTablesCommand({}))).TableNames)).toBe(true);
  });

  it('refuses the CORS preflight, Origin: null, a cross-site GET without Origin and a rebound Host', async () => {
    // Act
    const preflight = await fromPage(`${moto().endpoint}/guarded/secret.txt`, {
      method: 'OPTIONS',
      origin: ATTACKER,
      headers: { 'Access-Control-Request-Method': 'PUT' },
    });
    const nullOrigin = await fromPage(`${moto().endpoint}/`, { origin: 'null' });
    // <img src> or a link: no Origin on a GET, but a browser always says the request is cross-site.
    const crossSite = await fromPage(`${moto().endpoint}/guarded/secret.txt`, {
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    const rebound = await fromPage(`${moto().endpoint}/guarded/secret.txt`, {
      headers: { Host: `attacker.example:${moto().port}` },
    });
    // Assess
    for (const response of [preflight, nullOrigin, crossSite, rebound]) {
      expect(response.status).toBe(403);
      expect(corsHeaders(response)).toEqual([]);
    }
  });

  it('serves the SDK (no Origin header) and answers it without permissive CORS headers', async () => {
    // Prepare
    const { sqs } = createAwsClients({ endpoint: moto().endpoint }, false);
    // Act
    await sqs.send(new CreateQueueCommand({ QueueName: 'guarded-queue' }));
    const queues = await sqs.send(new ListQueuesCommand({}));
    const plain = await fetch(`${moto().endpoint}/moto-api/data.json`);
    // Assess
    expect(queues.QueueUrls?.some((u) => u.endsWith('/guarded-queue'))).toBe(true);
    expect(plain.status).toBe(200);
    expect(await plain.json()).toHaveProperty('sqs');
    // moto's flask-cors would answer `Access-Control-Allow-Origin: *` here.
    expect(corsHeaders(plain)).toEqual([]);
  });

  it('serves boto3 and the AWS CLI, which send no Origin either', async () => {
    // Prepare
    const env = {
      ...process.env,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
    };
    const script = [
      'import boto3, sys',
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1])",
      "print(s3.get_object(Bucket='guarded', Key='secret.txt')['Body'].read().decode())",
    ].join('\n');
    // Act
    const boto = await run(findMotoPython(), ['-c', script, moto().endpoint], { env });
    const cli = await run(
      'aws',
      ['s3api', 'list-objects-v2', '--bucket', 'guarded', '--endpoint-url', moto().endpoint],
      {
        env,
      },
    ).catch((error: Error & { code?: string }) =>
      error.code === 'ENOENT' ? undefined : Promise.reject(error),
    );
    // Assess
    expect(boto.stdout.trim()).toBe('secret');
    // The AWS CLI is optional on a developer machine; where it is installed it must work.
    if (cli) expect(JSON.parse(cli.stdout).Contents[0].Key).toBe('secret.txt');
  });
});

describe('the local endpoint with --allow-origin', () => {
  let allowing: MotoServer | undefined;
  beforeAll(async () => {
    allowing = await startMoto({ allowedOrigins: ['http://localhost:3000'] });
  });
  afterAll(async () => {
    await allowing?.stop();
  });

  it('answers the allowed origin with CORS for exactly it, and still refuses every other', async () => {
    // Prepare
    const endpoint = allowing?.endpoint ?? '';
    // Act
    const preflight = await fromPage(`${endpoint}/`, {
      method: 'OPTIONS',
      origin: 'http://localhost:3000',
      headers: { 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    });
    const allowed = await fromPage(`${endpoint}/`, { origin: 'http://localhost:3000' });
    const other = await fromPage(`${endpoint}/`, { origin: ATTACKER });
    // Assess
    expect(preflight.status).toBeLessThan(300);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(preflight.headers.get('access-control-allow-headers')).toBe('authorization');
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(other.status).toBe(403);
  });

  it('refuses to start with an allow-list entry that is not an origin', async () => {
    await expect(startMoto({ allowedOrigins: ['*'] })).rejects.toThrow(/not an origin/);
  });
});
