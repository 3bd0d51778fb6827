import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The load-tests folder (its own package.json holds artillery, away from the root install). */
export const LOAD_TESTS_DIR = dirname(fileURLToPath(import.meta.url));
/** The project root, where `artillery.yml` lives. */
export const PROJECT_ROOT = resolve(LOAD_TESTS_DIR, '..');
const ARTILLERY_BIN = join(LOAD_TESTS_DIR, 'node_modules', '.bin', 'artillery');

/**
 * Install artillery into load-tests/ on first use. `PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1` because artillery
 * depends on Playwright, whose install step would otherwise download browsers.
 * Also marks the folder artillery bundles the TypeScript processor into as CommonJS: artillery writes
 * `dist/processor.js` in CommonJS and `require`s it, but the project's package.json says `"type": "module"`.
 */
export const ensureArtillery = (log: (line: string) => void = console.log): string => {
  if (!existsSync(ARTILLERY_BIN)) {
    log('load: installing artillery into load-tests/ (once; no browsers are downloaded)…');
    const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
      cwd: LOAD_TESTS_DIR,
      stdio: 'inherit',
      env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    });
    if (result.status !== 0 || !existsSync(ARTILLERY_BIN))
      throw new Error(
        'could not install artillery: run `npm ci` in load-tests/ with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1',
      );
  }
  const dist = join(LOAD_TESTS_DIR, 'dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(join(dist, 'package.json'), '{ "type": "commonjs" }\n');
  return ARTILLERY_BIN;
};

/** Options of {@link runArtillery}. */
export interface ArtilleryRunOptions {
  /** Values for the script's `config.variables`. */
  readonly variables: Readonly<Record<string, string>>;
  /** Where artillery writes its JSON report. */
  readonly reportPath: string;
  /** Replaces the script's phases (e.g. a short run). */
  readonly phases?: readonly { name: string; duration: number; arrivalRate: number }[];
  /** Kill artillery after this long. */
  readonly timeoutMs: number;
}

/** Run `artillery.yml` and resolve with artillery's exit code (non-zero when an `ensure` check fails). */
export const runArtillery = (bin: string, options: ArtilleryRunOptions): Promise<number> => {
  mkdirSync(dirname(options.reportPath), { recursive: true });
  const args = ['run', join(PROJECT_ROOT, 'artillery.yml'), '--variables', JSON.stringify(options.variables)];
  if (options.phases) args.push('--overrides', JSON.stringify({ config: { phases: options.phases } }));
  args.push('--output', options.reportPath);
  return new Promise((resolveExit, reject) => {
    const child = spawn(bin, args, {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      // No telemetry: the machine may have no internet, and a load test should not phone home.
      env: { ...process.env, ARTILLERY_DISABLE_TELEMETRY: 'true' },
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveExit(code ?? (signal ? 128 : 1));
    });
  });
};
