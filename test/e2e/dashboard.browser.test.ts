import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../src/adapters/s3ObjectStore.ts';
import { resolvePipelineSettings } from '../../src/config/settings.ts';
import { type RunningDashboard, startDashboardServer } from '../../src/dashboard/index.ts';
import { type SampleKind, sampleFile } from '../../src/local/samples.ts';
import { TransientError } from '../../src/pipeline/errors.ts';
import type { ObjectStore } from '../../src/pipeline/ports.ts';
import { launchChromium } from '../helpers/browser.ts';
import { type LocalPipeline, startLocalPipeline } from '../helpers/localPipeline.ts';
import { useMoto } from '../helpers/moto.ts';

const run = promisify(execFile);
const moto = useMoto();
const ROOT = resolve(import.meta.dirname, '../..');
const SCREENSHOTS = join(ROOT, 'artifacts', 'screenshots');

const PREFIX = 'dash';
const XSS_NAME = '<img src=x onerror=alert(1)>.png';
const XSS_KEY = `${PREFIX}/${XSS_NAME}`;
const FLAKY_KEY = `${PREFIX}/incoming/flaky.csv`;
const MISMATCH_KEY = `${PREFIX}/holiday.jpg`;

/** The files the operator uploads, with what the table must show for each. */
const FILES: readonly { name: string; kind: SampleKind; status: string; type: string; reason?: string }[] = [
  { name: 'photo.png', kind: 'png', status: 'PROCESSED', type: 'image/png' },
  { name: 'report.pdf', kind: 'pdf', status: 'PROCESSED', type: 'application/pdf' },
  {
    name: 'holiday.jpg',
    kind: 'mismatch',
    status: 'QUARANTINED',
    type: 'application/pdf',
    reason: 'TYPE_MISMATCH',
  },
  { name: 'empty.txt', kind: 'empty', status: 'QUARANTINED', type: 'unknown', reason: 'EMPTY_FILE' },
  {
    name: 'tool.exe',
    kind: 'exe',
    status: 'QUARANTINED',
    type: 'application/x-msdownload',
    reason: 'BLOCKED_TYPE',
  },
  { name: XSS_NAME, kind: 'png', status: 'PROCESSED', type: 'image/png' },
];
/** More ordinary files, so the charts and breakdowns have something to show. */
const BULK_KINDS: readonly SampleKind[] = ['png', 'jpeg', 'gif', 'pdf', 'zip', 'csv', 'txt', 'json'];
const BULK_COUNT = 32;

/**
 * An object store that fails every read of one key while `enabled`, the way a flaky network or an
 * overloaded bucket would: a transient error, so SQS redelivers until the last receive quarantines it.
 */
const faultyObjectStore = (real: ObjectStore, key: string) => {
  const fault = { enabled: true, reads: 0 };
  const store: ObjectStore = {
    ...real,
    readPrefix: async (ref) => {
      if (fault.enabled && ref.key === key) {
        fault.reads++;
        throw new TransientError(`injected fault: read of ${key} timed out`);
      }
      return real.readPrefix(ref);
    },
  };
  return { store, fault };
};

/** A row of the file table by its exact key. */
const fileRow = (page: Page, key: string) =>
  page.locator('#files-body tr').filter({ has: page.getByRole('button', { name: key, exact: true }) });

describe('the dashboard in a real browser (Chromium) over the local pipeline', () => {
  let pipeline: LocalPipeline | undefined;
  let dashboard: RunningDashboard | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let workDir: string;
  let fault: { enabled: boolean; reads: number };
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  let navigations = 0;

  const screenshot = (name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    workDir = await mkdtemp(join(tmpdir(), 'dashboard-e2e-'));
    const endpoint = moto().endpoint;
    // A 2 s function timeout makes the visibility timeout 12 s: the flaky file's five receives take ~50 s,
    // and a batch on a busy machine still finishes well within its time.
    pipeline = await startLocalPipeline({
      endpoint,
      settings: resolvePipelineSettings({ functionTimeoutSeconds: 2 }),
      tunables: { timeSafetyMarginMs: 500 },
      deps: (clients) => {
        const faulty = faultyObjectStore(createS3ObjectStore(clients.s3), FLAKY_KEY);
        fault = faulty.fault;
        return { objectStore: faulty.store };
      },
    });
    dashboard = await startDashboardServer({
      clients: pipeline.clients,
      resources: pipeline.resources,
      targetLabel: `local ${endpoint}`,
      port: 0,
      refreshMs: 500,
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    // Record any CSP violation (the second wall against injected markup) where the test can read it.
    // (A string, evaluated in the page: this project's TypeScript has no DOM types.)
    await page.addInitScript({
      content: `window.cspViolations = [];
        document.addEventListener('securitypolicyviolation', (e) =>
          window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));`,
    });
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations++;
    });
  });

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await pipeline?.runner.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('shows files uploaded through the CLI with their status and type, without reloading', async () => {
    // Prepare: the page is open and live before anything is uploaded
    await page.goto(dashboard?.url ?? '');
    await expect.poll(() => page.locator('#live').textContent(), { timeout: 10_000 }).toBe('live');
    const dump = join(workDir, 'dump');
    await mkdir(join(dump, 'incoming'), { recursive: true });
    for (const f of FILES) await writeFile(join(dump, f.name), sampleFile(f.kind, { seed: 1 }).bytes);
    await writeFile(join(dump, 'incoming', 'flaky.csv'), sampleFile('csv', { seed: 2 }).bytes);
    for (let i = 0; i < BULK_COUNT; i++) {
      const kind = BULK_KINDS[i % BULK_KINDS.length] as SampleKind;
      const sample = sampleFile(kind, { seed: 100 + i });
      await writeFile(
        join(dump, 'incoming', `batch-${String(i).padStart(2, '0')}.${sample.ext}`),
        sample.bytes,
      );
    }

    // Act: upload with the CLI, as an operator would
    const upload = await run(
      process.execPath,
      [
        join(ROOT, 'bin/silent-scalper.mjs'),
        'upload',
        dump,
        '--prefix',
        PREFIX,
        '--endpoint',
        moto().endpoint,
      ],
      { cwd: ROOT, timeout: 60_000, env: { ...process.env, AWS_ENDPOINT_URL: '' } },
    );
    expect(upload.stdout).toMatch(/uploaded|files/i);

    // Assess: each file appears with its status and sniffed type, on the same page load
    for (const f of FILES) {
      const row = fileRow(page, `${PREFIX}/${f.name}`);
      await expect.poll(() => row.count(), { timeout: 30_000, message: `row of ${f.name}` }).toBe(1);
      await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe(f.status);
      const cells = await row.locator('td').allTextContents();
      expect(cells[2]).toBe(f.status);
      expect(cells[3]).toBe(f.reason ?? '');
      expect(cells[4]).toBe(f.type);
    }
    await expect
      .poll(async () => Number((await page.locator('#count-processed').textContent())?.replace(/\D/g, '')), {
        timeout: 30_000,
      })
      .toBe(BULK_COUNT + 3);
    expect(navigations).toBe(1);
    await screenshot('dashboard-live');
  });

  it('renders the key <img src=x onerror=alert(1)>.png as literal text and runs no script', async () => {
    const button = page.getByRole('button', { name: XSS_KEY, exact: true });
    await expect.poll(() => button.count()).toBe(1);
    expect(await button.textContent()).toBe(XSS_KEY);
    // No element was made from the key, nothing ran, and the CSP had nothing to block.
    expect(await page.locator('img').count()).toBe(0);
    await button.click();
    await expect
      .poll(() => page.locator('#timeline-key').textContent())
      .toBe(`s3://silent-scalper-input/${XSS_KEY}`);
    expect(await page.locator('#timeline img').count()).toBe(0);
    await page.locator('#timeline-close').click();
    expect(dialogs).toEqual([]);
    expect(await page.evaluate('window.cspViolations')).toEqual([]);
  });

  it('filters to quarantined, opens the timeline of a PROCESSING_FAILED file and retries it back to PROCESSED', async () => {
    // Prepare: filter to quarantined and wait until the flaky file has used up its receives
    await page.locator('#filter-status').selectOption('QUARANTINED');
    const flaky = fileRow(page, FLAKY_KEY);
    await expect
      .poll(async () => (await flaky.count()) === 1 && (await flaky.locator('td').nth(3).textContent()), {
        timeout: 120_000,
        interval: 1000,
      })
      .toBe('PROCESSING_FAILED');
    expect(fault.reads).toBeGreaterThanOrEqual(5);
    const statuses = await page
      .locator('#files-body tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-status')));
    expect(new Set(statuses)).toEqual(new Set(['QUARANTINED']));
    await screenshot('dashboard-quarantined');

    // Act: open the timeline, clear the fault, press Retry and confirm
    await flaky.getByRole('button', { name: FLAKY_KEY, exact: true }).click();
    const timeline = page.locator('#timeline');
    await expect
      .poll(() => timeline.locator('.title').allTextContents())
      .toContain('Quarantined: PROCESSING_FAILED');
    expect(await timeline.textContent()).toContain('injected fault');
    await screenshot('dashboard-timeline');
    fault.enabled = false;
    await timeline.getByRole('button', { name: 'Retry…' }).click();
    await expect.poll(() => page.locator('#confirm').isVisible()).toBe(true);
    await page.locator('#confirm-ok').click();

    // Assess: the timeline grows by itself: retried, received again, stored PROCESSED
    await expect
      .poll(() => page.locator('#toasts').textContent(), { timeout: 10_000 })
      .toMatch(/Retrying: copied back to the input bucket \(attempt 1\)/);
    await expect
      .poll(() => timeline.locator('.title').allTextContents(), { timeout: 60_000 })
      .toEqual([
        'Received in S3',
        'Picked up by the handler',
        'Quarantined: PROCESSING_FAILED',
        'Retried from quarantine',
        'Received in S3',
        'Picked up by the handler',
        'Type sniffed from the first bytes',
        'Stored: PROCESSED',
      ]);
    await screenshot('dashboard-retried');
    await page.locator('#timeline-close').click();
    await page.locator('#filter-status').selectOption('PROCESSED');
    await expect
      .poll(() => fileRow(page, FLAKY_KEY).getAttribute('data-status'), { timeout: 10_000 })
      .toBe('PROCESSED');
    // …and it left the quarantine list.
    const quarantineKeys = await page.locator('#quarantine-body button.link').allTextContents();
    expect(quarantineKeys).not.toContain(FLAKY_KEY);
    expect(quarantineKeys).toContain(MISMATCH_KEY);
    expect(navigations).toBe(1);
  });

  it('replays the DLQ with the Replay button', async () => {
    // Prepare: an S3 event parked in the DLQ (as after an outage)
    const { clients, resources } = pipeline as LocalPipeline;
    const event = {
      Records: [
        {
          eventSource: 'aws:s3',
          eventName: 'ObjectCreated:Put',
          eventTime: new Date().toISOString(),
          s3: { bucket: { name: resources.inputBucket }, object: { key: `${PREFIX}/photo.png`, size: 100 } },
        },
      ],
    };
    await clients.sqs.send(
      new SendMessageCommand({ QueueUrl: resources.dlqUrl, MessageBody: JSON.stringify(event) }),
    );
    await expect.poll(() => page.locator('#queue-dlq').textContent(), { timeout: 10_000 }).toBe('1');
    // Act
    await page.locator('#replay').click();
    await page.locator('#confirm-ok').click();
    // Assess
    await expect
      .poll(() => page.locator('#toasts').textContent(), { timeout: 30_000 })
      .toMatch(/1 message\(s\) moved/);
    await expect.poll(() => page.locator('#queue-dlq').textContent(), { timeout: 10_000 }).toBe('0');
  });

  it('refuses an action without the CSRF token', async () => {
    // Act: a same-origin POST from the page itself, but without the token
    const refused = await page.evaluate(async (key) => {
      const response = await fetch('/api/actions/retry', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ bucket: 'silent-scalper-input', key, force: true }),
      });
      return { status: response.status, body: (await response.json()) as { error: string } };
    }, MISMATCH_KEY);
    // Assess: refused, and the file was not touched
    expect(refused.status).toBe(403);
    expect(refused.body.error).toMatch(/CSRF/);
    const history = await page.evaluate(async (key) => {
      const response = await fetch(
        `/api/file?${new URLSearchParams({ bucket: 'silent-scalper-input', key })}`,
      );
      return (await response.json()) as { status: string; steps: unknown[] };
    }, MISMATCH_KEY);
    expect(history).toMatchObject({ status: 'QUARANTINED', steps: [] });
  });

  it('ran without script errors, and saves the overview screenshot', async () => {
    await page.locator('#filter-status').selectOption('');
    await page.evaluate('window.scrollTo(0, 0)');
    // Toasts fade after a few seconds: wait, so the overview shows the page itself.
    await expect.poll(() => page.locator('#toasts .toast').count(), { timeout: 15_000 }).toBe(0);
    await page.screenshot({ path: join(SCREENSHOTS, 'dashboard-overview.png') });
    expect(pageErrors).toEqual([]);
    // The refused action above logs its 403 as a console error; nothing else may.
    expect(consoleErrors.filter((m) => !/status of 403/.test(m))).toEqual([]);
    expect(dialogs).toEqual([]);
  });
});
