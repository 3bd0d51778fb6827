import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The launcher that patches moto's O(queue depth) SQS attribute scan before starting the server. */
export const MOTO_LAUNCHER = join(here, 'launch_moto.py');
/** Project root (two levels above src/local/moto). */
const projectRoot = resolve(here, '../../..');

/** A running moto server. */
export interface MotoServer {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Stop the server (SIGTERM, then SIGKILL after 3 s). Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startMoto}. */
export interface StartMotoOptions {
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default 20000 */
  readonly startTimeoutMs?: number;
  /** Where moto's own output goes. @default 'ignore' */
  readonly stdio?: 'ignore' | 'inherit';
}

/** Thrown when moto cannot start; the message says how to fix it. */
export class MotoStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MotoStartError';
  }
}

/**
 * The Python that has moto: the project's `.venv` first (created by `scripts/ensure-moto.sh` when the
 * machine has none), then `python3` on the PATH.
 */
export const findMotoPython = (): string => {
  const candidates = [join(projectRoot, '.venv', 'bin', 'python'), 'python3', 'python'];
  for (const python of candidates) {
    if (python.includes('/') && !existsSync(python)) continue;
    const probe = spawnSync(python, ['-c', 'import moto.server, werkzeug'], { stdio: 'ignore' });
    if (probe.status === 0) return python;
  }
  throw new MotoStartError(
    'moto is not installed: run `scripts/ensure-moto.sh` (creates .venv with moto[server]==5.2.1) or `pip install "moto[server]==5.2.1"`',
  );
};

/** A free TCP port on the host, chosen by the OS. */
export const freePort = (host = '127.0.0.1'): Promise<number> =>
  new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });

/** True when something already listens on host:port. */
export const portInUse = (port: number, host = '127.0.0.1'): Promise<boolean> =>
  new Promise((resolveInUse) => {
    const server = createServer();
    server.once('error', () => resolveInUse(true));
    server.listen(port, host, () => server.close(() => resolveInUse(false)));
  });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Start moto through the patched launcher on loopback and wait until it answers. */
export const startMoto = async (options: StartMotoOptions = {}): Promise<MotoServer> => {
  const host = options.host ?? '127.0.0.1';
  const port = options.port && options.port > 0 ? options.port : await freePort(host);
  if (await portInUse(port, host))
    throw new MotoStartError(
      `port ${port} on ${host} is already in use: stop what listens there or choose another port (--port or MOTO_PORT)`,
    );
  const python = findMotoPython();
  const child: ChildProcess = spawn(python, [MOTO_LAUNCHER, '-H', host, '-p', String(port)], {
    stdio: options.stdio ?? 'ignore',
    env: { ...process.env, PYTHONUNBUFFERED: '1' },
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const endpoint = `http://${host}:${port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    const done = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await done;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  while (Date.now() < deadline) {
    if (exited)
      throw new MotoStartError(`moto exited during start (port ${port}); run it by hand to see why`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return { endpoint, port, pid: child.pid, stop };
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await stop();
  throw new MotoStartError(
    `moto did not answer on ${endpoint} within ${options.startTimeoutMs ?? 20_000} ms`,
  );
};
