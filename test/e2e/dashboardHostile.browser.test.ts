import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../src/adapters/awsClients.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type RunningDashboard, startDashboardServer } from '../../src/dashboard/index.ts';
import { type LocalResources, provisionLocal } from '../../src/local/provision.ts';
import { printable } from '../../src/text/printable.js';
import { launchChromium } from '../helpers/browser.ts';
import {
  HOSTILE_KEYS,
  putHostileQuarantines,
  UNSAFE_CHARACTER,
  UNSAFE_CHARACTER_OR_LF,
} from '../helpers/hostileKeys.ts';
import { useMoto } from '../helpers/moto.ts';

const moto = useMoto();
const KINDS = Object.entries(HOSTILE_KEYS);
const INPUT = 'silent-scalper-input';

/** A page on another origin, as any site the operator visits while the dashboard runs. */
const startAttackerSite = async (): Promise<{ server: Server; origin: string }> => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>attacker</title><p>nothing to see</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, 'localhost', () => resolve()));
  return { server, origin: `http://localhost:${(server.address() as AddressInfo).port}` };
};

describe('the dashboard in Chromium with hostile keys and hostile neighbours', () => {
  let clients: AwsClients;
  let resources: LocalResources;
  let dashboard: RunningDashboard | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let attacker: { server: Server; origin: string } | undefined;

  beforeAll(async () => {
    clients = createAwsClients({ endpoint: moto().endpoint }, false);
    resources = await provisionLocal({ clients, settings: resolvePipelineSettings() });
    await putHostileQuarantines(clients.dynamo, resources.tableName);
    dashboard = await startDashboardServer({
      clients,
      resources,
      targetLabel: 'hostile',
      port: 0,
      refreshMs: 500,
    });
    attacker = await startAttackerSite();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    await page.goto(dashboard.url);
    await page
      .locator('#files-body button.link')
      .nth(KINDS.length - 1)
      .waitFor({ timeout: 30_000 });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await new Promise((resolve) => attacker?.server.close(resolve));
  });

  it.each(KINDS)('file table: the %s key shows escaped and bidi-isolated', async (_, key) => {
    // Act
    const shown = await page.locator('#files-body button.link bdi').allTextContents();
    const body = (await page.locator('#files-body').textContent()) ?? '';
    // Assess
    expect(shown).toContain(printable(key));
    expect(body).not.toMatch(UNSAFE_CHARACTER_OR_LF);
    // (Evaluated as a string in the page: this project's TypeScript has no DOM types.)
    const bidi = await page.evaluate(
      "getComputedStyle(document.querySelector('#files-body button.link bdi')).unicodeBidi",
    );
    expect(bidi).toBe('isolate');
  });

  it.each(KINDS)('file page and retry confirmation: the %s key shows escaped', async (_, key) => {
    // Prepare
    const button = page.locator('#files-body button.link').filter({ hasText: printable(key) });
    // Act: open the timeline, then Retry…, which asks for confirmation first
    await button.click();
    await expect
      .poll(() => page.locator('#timeline-key').textContent())
      .toBe(`s3://${INPUT}/${printable(key)}`);
    await expect.poll(() => page.locator('#timeline-summary').textContent()).toContain(printable(key));
    const timeline = (await page.locator('#timeline').textContent()) ?? '';
    await page.locator('#timeline-actions').getByRole('button', { name: 'Retry…' }).click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    const confirmKey = await page.locator('#confirm-key').textContent();
    const confirm = (await page.locator('#confirm').textContent()) ?? '';
    await page.locator('#confirm-cancel').click();
    await page.locator('#timeline-close').click();
    // Assess
    // (Containers hold the page's own indentation line breaks; the key elements are checked exactly.)
    expect(timeline).not.toMatch(UNSAFE_CHARACTER);
    expect(confirmKey).toBe(`s3://${INPUT}/${printable(key)}`);
    expect(await page.locator('#confirm-key bdi').count()).toBe(1);
    expect(confirm).not.toMatch(UNSAFE_CHARACTER);
  });

  it('refuses what a page on another site asks of the dashboard API and of the local endpoint', async () => {
    // Prepare: the operator visits another site in the same browser
    const other = await browser?.newPage();
    if (!other || !attacker || !dashboard) throw new Error('not started');
    await other.goto(attacker.origin);
    // The status as it came off the wire: the dashboard's refusals carry Cross-Origin-Resource-Policy,
    // so Chromium blocks them from the page and Playwright reports no response; DevTools still sees it.
    const cdp = await other.context().newCDPSession(other);
    await cdp.send('Network.enable');
    const urls = new Map<string, string>();
    const statuses = new Map<string, number>();
    cdp.on('Network.requestWillBeSent', (e) => urls.set(e.requestId, e.request.url));
    cdp.on('Network.responseReceivedExtraInfo', (e) => statuses.set(e.requestId, e.statusCode));
    const statusOf = async (urlPart: string, act: () => Promise<unknown>) => {
      await act();
      let status: number | undefined;
      await expect
        .poll(
          () => {
            for (const [id, url] of urls)
              if (url.includes(urlPart) && statuses.has(id)) status = statuses.get(id);
            return status;
          },
          { timeout: 15_000 },
        )
        .toBeDefined();
      return status;
    };
    // Act: a fetch (Origin sent), an image (no Origin; Sec-Fetch-Site: cross-site), a fetch to moto
    const api = `${dashboard.origin}/api/files?limit=50`;
    const fetched = await statusOf('/api/files', () =>
      other.evaluate((url) => fetch(url, { mode: 'no-cors' }).catch(() => undefined), api),
    );
    const snapshotUrl = `${dashboard.origin}/api/snapshot`;
    const imaged = await statusOf('/api/snapshot', () =>
      other.evaluate(
        `(() => { const img = document.createElement('img'); img.src = ${JSON.stringify(snapshotUrl)}; document.body.append(img); })()`,
      ),
    );
    const motoList = await statusOf(`${moto().endpoint}/`, () =>
      other.evaluate((url) => fetch(url).catch(() => undefined), `${moto().endpoint}/`),
    );
    const motoWrite = await statusOf('/silent-scalper-input/planted.txt', () =>
      other.evaluate(
        (url) => fetch(url, { method: 'PUT', body: 'planted' }).catch(() => undefined),
        `${moto().endpoint}/silent-scalper-input/planted.txt`,
      ),
    );
    // Assess
    expect(fetched).toBe(403);
    expect(imaged).toBe(403);
    expect(motoList).toBe(403);
    expect(motoWrite).toBe(403);
    const planted = await clients.s3
      .send(new HeadObjectCommand({ Bucket: INPUT, Key: 'planted.txt' }))
      .then(() => true)
      .catch(() => false);
    expect(planted).toBe(false);
    await other.close();
  });

  it('slows down wrong tokens typed into the address bar (429 + Retry-After), then lets the right one in', async () => {
    // Prepare: a dashboard beyond loopback (plain HTTP allowed explicitly), with its generated token
    const exposed = await startDashboardServer({
      clients,
      resources,
      targetLabel: 'exposed',
      host: '0.0.0.0',
      port: 0,
      insecureHttp: true,
    });
    const tab = await browser?.newPage();
    try {
      if (!tab) throw new Error('no browser');
      const base = `http://127.0.0.1:${exposed.port}`;
      const token = new URL(exposed.url).searchParams.get('token') ?? '';
      // Act: five wrong guesses, a sixth at once, then the right token after the wait it was told
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await tab.goto(`${base}/?token=guess-${i}`))?.status() ?? 0);
      const sixth = await tab.goto(`${base}/?token=guess-5`);
      const retryAfter = Number((await sixth?.allHeaders())?.['retry-after']);
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      const right = await tab.goto(`${base}/?token=${token}`);
      // Assess
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
      expect(sixth?.status()).toBe(429);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(right?.status()).toBe(200);
      expect(new URL(tab.url()).search).toBe('');
    } finally {
      await tab?.close();
      await exposed.stop();
    }
  });

  it('logs in with the right token from a fresh address, and the page then works', async () => {
    // Prepare
    const exposed = await startDashboardServer({
      clients,
      resources,
      targetLabel: 'exposed',
      host: '0.0.0.0',
      port: 0,
      insecureHttp: true,
    });
    const context = await browser?.newContext();
    try {
      const tab = await context?.newPage();
      if (!tab) throw new Error('no browser');
      // Act
      await tab.goto(exposed.url.replace('0.0.0.0', '127.0.0.1'));
      // Assess: redirected to / without the token in the address, and the table loads
      expect(new URL(tab.url()).search).toBe('');
      await expect
        .poll(() => tab.locator('#files-body button.link').count(), { timeout: 30_000 })
        .toBe(KINDS.length);
    } finally {
      await context?.close();
      await exposed.stop();
    }
  });
});
