import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type RunningDashboard, startDashboardServer } from '../../src/dashboard/index.ts';
import { tokenCookieName } from '../../src/dashboard/security.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { useMoto } from '../helpers/moto.ts';

const run = promisify(execFile);
const moto = useMoto();
let clients: AwsClients;
let resources: LocalResources;

beforeAll(async () => {
  clients = createAwsClients({ endpoint: moto().endpoint }, false);
  resources = await provisionLocal({ clients, settings: resolvePipelineSettings() });
});

const start = (options: Partial<Parameters<typeof startDashboardServer>[0]> = {}) =>
  startDashboardServer({ clients, resources, targetLabel: 'x', port: 0, refreshMs: 500, ...options });

describe('the dashboard on loopback', () => {
  let dashboard: RunningDashboard;
  beforeAll(async () => {
    dashboard = await start();
  });
  afterAll(async () => {
    await dashboard?.stop();
  });

  it('refuses API reads a page on another site asks for, and serves its own page and curl', async () => {
    // Act
    const crossOrigin = await fetch(`${dashboard.origin}/api/files`, {
      headers: { Origin: 'https://attacker.example' },
    });
    const crossSite = await fetch(`${dashboard.origin}/api/snapshot`, {
      headers: { 'Sec-Fetch-Site': 'cross-site' },
    });
    const own = await fetch(`${dashboard.origin}/api/files`, {
      headers: { Origin: dashboard.origin, 'Sec-Fetch-Site': 'same-origin' },
    });
    const plain = await fetch(`${dashboard.origin}/api/snapshot`);
    // Assess
    expect(crossOrigin.status).toBe(403);
    expect(((await crossOrigin.json()) as { error: string }).error).toMatch(/cross-origin/);
    expect(crossSite.status).toBe(403);
    expect(own.status).toBe(200);
    expect(plain.status).toBe(200);
  });

  it('gives each client its own event-stream slots', async () => {
    // Prepare
    const controllers: AbortController[] = [];
    const open = async () => {
      const controller = new AbortController();
      controllers.push(controller);
      return fetch(`${dashboard.origin}/api/events`, { signal: controller.signal });
    };
    try {
      // Act: one client opens its 8 streams, then a 9th
      const streams = await Promise.all(Array.from({ length: 8 }, open));
      const ninth = await open();
      // Assess
      expect(streams.map((s) => s.status)).toEqual(Array(8).fill(200));
      expect(ninth.status).toBe(429);
      expect(((await ninth.json()) as { error: string }).error).toMatch(/from this client/);
      // A closed stream gives its slot back.
      controllers[0]?.abort();
      await expect.poll(async () => (await open()).status, { timeout: 5000 }).toBe(200);
    } finally {
      for (const c of controllers) c.abort();
    }
  });
});

describe('the dashboard beyond loopback', () => {
  it('refuses to start without TLS unless --insecure-http, and refuses a weak token', async () => {
    await expect(start({ host: '0.0.0.0' })).rejects.toThrow(/TLS.*--insecure-http/);
    await expect(start({ host: '0.0.0.0', insecureHttp: true, token: 'aaaaaaaaaaaaaaaa' })).rejects.toThrow(
      /at least 20 characters/,
    );
    await expect(
      start({ host: '0.0.0.0', insecureHttp: true, token: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' }),
    ).rejects.toThrow(/too predictable/);
  });

  it('generates a strong token, takes it once from the address to a cookie, and 400s a malformed cookie', async () => {
    // Prepare
    const logs: string[] = [];
    const dashboard = await start({ host: '0.0.0.0', insecureHttp: true, log: (m) => logs.push(m) });
    try {
      const token = new URL(dashboard.url).searchParams.get('token') ?? '';
      const base = `http://127.0.0.1:${dashboard.port}`;
      // Act / Assess
      expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await fetch(`${base}/api/snapshot`)).status).toBe(401);
      const login = await fetch(`${base}/?token=${token}`, { redirect: 'manual' });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly; SameSite=Strict/);
      expect(cookie).not.toMatch(/Secure/);
      const pair = cookie.split(';')[0] as string;
      expect((await fetch(`${base}/api/snapshot`, { headers: { cookie: pair } })).status).toBe(200);
      expect(
        (await fetch(`${base}/api/snapshot`, { headers: { authorization: `Bearer ${token}` } })).status,
      ).toBe(200);
      for (let i = 0; i < 3; i++) {
        const malformed = await fetch(`${base}/api/snapshot`, {
          headers: { cookie: `${tokenCookieName(token)}=%E0%A4%A` },
        });
        expect(malformed.status).toBe(400);
      }
      expect(logs).toEqual([]);
    } finally {
      await dashboard.stop();
    }
  });

  it('slows down wrong tokens: the sixth wrong guess in a row waits, even a right one', async () => {
    // Prepare
    const dashboard = await start({ host: '0.0.0.0', insecureHttp: true });
    try {
      const token = new URL(dashboard.url).searchParams.get('token') ?? '';
      const base = `http://127.0.0.1:${dashboard.port}`;
      const guess = (t: string) =>
        fetch(`${base}/api/snapshot`, { headers: { authorization: `Bearer ${t}` } });
      // Act: 300 wrong guesses as fast as one client can send them; the right token right after the 5th
      const started = Date.now();
      const statuses: number[] = [];
      let rightButThrottled: Response | undefined;
      for (let i = 0; i < 300; i++) {
        statuses.push((await guess(`guess-${i}`)).status);
        if (i === 4) rightButThrottled = await guess(token);
      }
      const elapsedMs = Date.now() - started;
      // Assess: 5 free tries, then one more per doubling wait (1 s, 2 s, …); everything else refused
      // without being tried — and the right token too while the address waits.
      const tried = statuses.filter((s) => s === 401).length;
      expect(tried).toBeGreaterThanOrEqual(5);
      expect(tried).toBeLessThanOrEqual(5 + Math.ceil(Math.log2(elapsedMs / 1000 + 1)));
      expect(statuses.filter((s) => s === 429)).toHaveLength(300 - tried);
      expect(rightButThrottled?.status).toBe(429);
      expect(Number(rightButThrottled?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      console.log(`300 wrong tokens in ${elapsedMs} ms: ${tried} tried, ${300 - tried} refused with 429`);
    } finally {
      await dashboard.stop();
    }
  });

  it('serves HTTPS with a given certificate, with a Secure cookie', async () => {
    // Prepare: a self-signed certificate for 127.0.0.1
    const dir = await mkdtemp(join(tmpdir(), 'dashboard-tls-'));
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    await run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ]);
    const cert = await readFile(certFile);
    const dashboard = await start({ host: '0.0.0.0', tls: { cert, key: await readFile(keyFile) } });
    try {
      const token = new URL(dashboard.url).searchParams.get('token') ?? '';
      expect(dashboard.url).toMatch(/^https:\/\//);
      // Act
      const answer = await new Promise<{ status: number; cookie: string }>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port: dashboard.port, path: `/?token=${token}`, ca: cert, method: 'GET' },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, cookie: String(res.headers['set-cookie'] ?? '') });
          },
        );
        req.on('error', reject);
        req.end();
      });
      // Assess
      expect(answer.status).toBe(303);
      expect(answer.cookie).toMatch(/HttpOnly; SameSite=Strict; Path=\/; Secure/);
    } finally {
      await dashboard.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
