import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Projects: `unit` (fakes only, fast), `integration` (a real moto_server per test file, on a free
// loopback port), `infra` (CDK synth + assertions + cdk-nag), `e2e` (the local runtime end to end).
export default defineConfig({
  test: {
    // Vitest's default is one worker fewer than the CPUs: a single worker on a 2-core CI machine. The
    // integration and e2e files mostly wait on their own moto_server process (and on visibility
    // timeouts), so one worker per CPU runs the suite in 450 s instead of 760 s on 2 cores (measured on a
    // fresh clone, 787 tests either way).
    maxWorkers: Math.max(2, availableParallelism()),
    reporters: process.env.CI
      ? ['default', ['json', { outputFile: 'artifacts/vitest-report.json' }]]
      : ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'infra',
          include: ['test/infra/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
