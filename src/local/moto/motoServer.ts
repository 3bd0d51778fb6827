import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The launcher that patches moto's O(queue depth) SQS costs before starting the server. */
export const MOTO_LAUNCHER = join(here, 'launch_moto.py');
/** Project root (two levels above src/local/moto). */
const projectRoot = resolve(here, '../../..');
/** The port local-AWS tools conventionally use; `silent-scalper up` defaults to it. */
export const DEFAULT_MOTO_PORT = 4566;

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
  /** Where moto's own output goes; with 'ignore' the last lines are still kept for error messages. @default 'ignore' */
  readonly stdio?: 'ignore' | 'inherit';
  /** How to tell the user to pick another port, in the "port in use" error. @default '--port <n>' */
  readonly portHint?: string;
  /**
   * Browser origins (`scheme://host[:port]`) whose requests moto answers, with CORS for exactly them.
   * Every other request carrying an `Origin` is refused (origin_guard.py). @default none
   */
  readonly allowedOrigins?: readonly string[];
}

/** Thrown when moto cannot start; the message says how to fix it. */
export class MotoStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MotoStartError';
  }
}

/** Thrown when the requested port is taken; carries the port. */
export class PortInUseError extends MotoStartError {
  constructor(
    public readonly port: number,
    host: string,
    hint: string,
  ) {
    super(
      `port ${port} on ${host} is already in use (another moto or local AWS emulator?): stop what listens there, or choose another port with ${hint}`,
    );
    this.name = 'PortInUseError';
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

/** Children still running, killed if this process exits without stopping them (a crashed test, Ctrl-C). */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
const installExitHook = (): void => {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
};

/** Keep the last lines a child wrote, to explain a failed start. */
const tail = (stream: NodeJS.ReadableStream | null, maxChars = 4000): (() => string) => {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = (text + chunk).slice(-maxChars);
  });
  return () => text.trim();
};

/** Start moto through the patched launcher on loopback and wait until it answers. */
export const startMoto = async (options: StartMotoOptions = {}): Promise<MotoServer> => {
  const host = options.host ?? '127.0.0.1';
  const hint = options.portHint ?? '--port <n>';
  const requested = options.port && options.port > 0 ? options.port : undefined;
  const port = requested ?? (await freePort(host));
  if (await portInUse(port, host)) throw new PortInUseError(port, host, hint);
  const python = findMotoPython();
  const inherit = options.stdio === 'inherit';
  const child: ChildProcess = spawn(python, [MOTO_LAUNCHER, '-H', host, '-p', String(port)], {
    stdio: inherit ? 'inherit' : ['ignore', 'ignore', 'pipe'],
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, and moto must outlive
    // the in-flight batches; stop() ends it. (On Linux it still dies with this process: die_with_parent.)
    detached: true,
    // The launcher asks Linux to end it when this process dies, whatever the cause (see die_with_parent).
    // The origin guard's settings are always set here, so a value left in the user's shell never widens them.
    env: {
      ...process.env,
      PYTHONUNBUFFERED: '1',
      SILENT_SCALPER_PARENT_PID: String(process.pid),
      SILENT_SCALPER_MOTO_ALLOWED_ORIGINS: (options.allowedOrigins ?? []).join(','),
      SILENT_SCALPER_MOTO_HOST: host,
    },
  });
  installExitHook();
  running.add(child);
  const stderrTail = inherit ? () => '' : tail(child.stderr);
  let exited = false;
  const exitedPromise = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      running.delete(child);
      r();
    }),
  );
  // A spawn failure (python vanished) emits 'error' and then 'exit'; the wait loop below reports it.
  child.once('error', () => undefined);
  const endpoint = `http://${host}:${port}`;
  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exitedPromise;
    clearTimeout(timer);
  };
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (exited) {
      const output = stderrTail();
      // Lost a race for the port between our check and moto's bind.
      if (/address already in use|is in use by another program/i.test(output))
        throw new PortInUseError(port, host, hint);
      throw new MotoStartError(
        `moto exited during start on port ${port}${output ? `:\n${output}` : ''}\nTry: ${python} ${MOTO_LAUNCHER} -H ${host} -p ${port}`,
      );
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return { endpoint, port, pid: child.pid, stop };
    } catch {
      // not up yet
    }
    await sleep(100);
  }
  await stop();
  throw new MotoStartError(`moto did not answer on ${endpoint} within ${startTimeoutMs} ms`);
};
