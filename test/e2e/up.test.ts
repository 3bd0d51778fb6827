import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, portInUse } from '../../src/local/moto/motoServer.ts';
import { spawnCli, stopCliProcesses, waitForOutput } from '../helpers/cliProcess.ts';

afterEach(stopCliProcesses);

describe('silent-scalper up', () => {
  it('runs the pipeline with --demo, answers the CLI at the printed endpoint, and stops cleanly on Ctrl-C', async () => {
    // Prepare
    const port = await freePort();

    // Act: start it as a user would
    // its own process group, so the test can send Ctrl-C the way a terminal does
    const up = spawnCli(['up', '--port', String(port), '--demo', '--dashboard-port', '0'], {
      detached: true,
    });
    const [, uploaded, expected] = await waitForOutput(
      up,
      /Demo: (\d+) files uploaded .* (\d+) ended as expected/,
      120_000,
    );
    const endpoint = `http://127.0.0.1:${port}`;
    expect(up.stdout).toContain(`export AWS_ENDPOINT_URL=${endpoint}`);

    // the next step it suggests works: the CLI reads the pipeline through AWS_ENDPOINT_URL
    const status = spawnCli(['status', '--json'], { env: { AWS_ENDPOINT_URL: endpoint } });
    expect(await status.exited).toBe(0);
    const report = JSON.parse(status.stdout);

    // Ctrl-C as a terminal sends it: to the foreground process group (the CLI and what it started)
    process.kill(-(up.child.pid ?? 0), 'SIGINT');
    const code = await up.exited;

    // Assess: every demo file (good and each kind of bad) ended as expected
    expect(Number(uploaded)).toBeGreaterThanOrEqual(13);
    expect(expected).toBe(uploaded);
    for (const outcome of [
      'PROCESSED',
      'EMPTY_FILE',
      'TOO_LARGE',
      'BLOCKED_TYPE',
      'TYPE_MISMATCH',
      'NOT_ALLOWED',
      'ARCHIVE_BLOCKED_ENTRY',
    ])
      expect(up.stdout).toContain(outcome);
    expect(report.counts.total).toBe(Number(uploaded));
    expect(report.queue).toMatchObject({ visible: 0, inFlight: 0, deadLetter: 0 });
    // a graceful stop: exit code 0, runner stopped before moto, the port free again
    expect(code).toBe(0);
    expect(up.stdout.indexOf('runner stopped')).toBeLessThan(up.stdout.indexOf('moto stopped'));
    expect(`${up.stdout}${up.stderr}`).not.toMatch(/ECONNREFUSED|cannot reach|could not delete/);
    expect(await portInUse(port)).toBe(false);
  });

  it('refuses a taken port with an error naming it and how to choose another', async () => {
    // Prepare
    const port = await freePort();
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(port, '127.0.0.1', r));

    try {
      // Act
      const up = spawnCli(['up', '--port', String(port), '--no-dashboard'], { detached: true });
      const code = await up.exited;

      // Assess
      expect(code).not.toBe(0);
      expect(up.stderr).toContain(`port ${port}`);
      expect(up.stderr).toContain('--port');
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });
});
