import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { AwsClients } from '../adapters/awsClients.ts';
import { printable } from '../text/printable.js';
import { fileHistory } from '../tracking/fileHistory.ts';
import { buildDashboardActions, type DashboardActions } from './actions.ts';
import { type Asset, loadAssets } from './assets.ts';
import { filePage } from './filePage.ts';
import { BadRequestError, parseFileQuery, parseFileRef } from './fileQuery.ts';
import { LiveView } from './liveView.ts';
import { Monitor } from './monitor.ts';
import type { DashboardResources } from './resources.ts';
import { DashboardGuard, isLoopbackHost, type Refusal, SECURITY_HEADERS } from './security.ts';
import { buildTimeline } from './timeline.ts';
import { generateToken } from './tokenPolicy.ts';
import type { Snapshot } from './types.ts';

/** Default port of the dashboard (moto listens on 4566; `up` suggests 4567 for moto when 4566 is taken). */
export const DEFAULT_DASHBOARD_PORT = 4570;
/** Request bodies larger than this are refused (actions carry a key and a few flags). */
const MAX_BODY_BYTES = 16 * 1024;
/**
 * Event streams one client (remote address) may hold open: a page needs one; a few tabs fit. Per client,
 * so one client cannot take every slot and lock the others out.
 */
const MAX_EVENT_STREAMS_PER_CLIENT = 8;
/** Event streams open at once at most, all clients together: bounds memory, not a slot pool to fight over. */
const MAX_EVENT_STREAMS = 512;
/** A comment line on idle event streams, so proxies and browsers keep them open. */
const HEARTBEAT_MS = 15_000;

/** Options of {@link startDashboardServer}. */
export interface DashboardServerOptions {
  readonly clients: AwsClients;
  readonly resources: DashboardResources;
  /** The buttons' operations. @default `buildDashboardActions(clients, resources)` (src/ops) */
  readonly actions?: DashboardActions;
  /** Shown in the header: the endpoint or the stack. */
  readonly targetLabel: string;
  /** @default 127.0.0.1 */
  readonly host?: string;
  /** 0 picks a free port. @default 4567 */
  readonly port?: number;
  /**
   * Access token, required on every request when given. @default none on loopback; beyond loopback a
   * random one is generated (see {@link RunningDashboard.url})
   */
  readonly token?: string;
  /** Serve HTTPS with this certificate and key (PEM); cookies are then `Secure`. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Allow plain HTTP beyond loopback (the token crosses the network in clear). @default false */
  readonly insecureHttp?: boolean;
  /** Pause between refreshes (longer when the table answers slowly). @default 500 */
  readonly refreshMs?: number;
  /** @default 24 */
  readonly windowHours?: number;
  /** @default 200000 */
  readonly maxRecords?: number;
  /** Errors of background work and failed requests. @default silent */
  readonly log?: (message: string) => void;
}

/** A running dashboard. */
export interface RunningDashboard {
  /** Address to open (with `?token=` when a token is required). */
  readonly url: string;
  /** Address without the token. */
  readonly origin: string;
  readonly port: number;
  readonly monitor: Monitor;
  readonly view: LiveView;
  /** Stop serving, close event streams and the refresh loop. Idempotent. */
  stop(): Promise<void>;
}

/** A failure the client caused; sent as JSON with its status. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  static of(refusal: Refusal): HttpError {
    return new HttpError(refusal.status, refusal.message, refusal.retryAfterSeconds);
  }
}

const sendJson = (
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): void => {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Length': Buffer.byteLength(payload),
  });
  res.end(payload);
};

const sendAsset = (res: ServerResponse, asset: Asset, method: string): void => {
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': asset.contentType,
    'Content-Length': asset.body.length,
    // The page embeds the per-start CSRF token: never cache it across restarts.
    'Cache-Control': 'no-store',
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
};

const readJsonBody = async (req: IncomingMessage): Promise<Record<string, unknown>> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'request body must be a JSON object');
  }
};

const errorMessage = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Start the dashboard: an HTTP server (Node's own `http`, no framework: a dozen routes do not need one)
 * serving the page, its assets, a JSON API, and server-sent events that push a new snapshot within one
 * refresh of any change. Binds 127.0.0.1 unless told otherwise; any other address needs a token.
 */
export const startDashboardServer = async (options: DashboardServerOptions): Promise<RunningDashboard> => {
  const host = options.host ?? '127.0.0.1';
  // Beyond loopback a token is a must; rather than make the operator invent one (people pick weak ones),
  // generate 256 random bits and print it in the address.
  const token = options.token ?? (isLoopbackHost(host) ? undefined : generateToken());
  const guard = new DashboardGuard({
    host,
    ...(token !== undefined ? { token } : {}),
    tls: options.tls !== undefined,
    ...(options.insecureHttp ? { insecureHttp: true } : {}),
  });
  const assets = loadAssets(guard.csrfToken);
  const log = options.log ?? (() => undefined);
  const { clients, resources } = options;
  const actions = options.actions ?? buildDashboardActions(clients, resources);
  const view = new LiveView({
    dynamo: clients.dynamo,
    tableName: resources.tableName,
    ...(options.windowHours !== undefined ? { windowHours: options.windowHours } : {}),
    ...(options.maxRecords !== undefined ? { maxRecords: options.maxRecords } : {}),
  });
  const monitor = new Monitor({
    view,
    sqs: clients.sqs,
    queueUrl: resources.queueUrl,
    dlqUrl: resources.dlqUrl,
    targetLabel: options.targetLabel,
    tableName: resources.tableName,
    ...(options.refreshMs !== undefined ? { refreshMs: options.refreshMs } : {}),
    onError: (error) => log(printable(`dashboard: ${errorMessage(error)}`)),
  });
  const streams = new Set<ServerResponse>();
  const streamsPerClient = new Map<string, number>();

  const openEventStream = (req: IncomingMessage, res: ServerResponse): void => {
    const client = req.socket.remoteAddress ?? 'unknown';
    const mine = streamsPerClient.get(client) ?? 0;
    if (mine >= MAX_EVENT_STREAMS_PER_CLIENT)
      throw new HttpError(
        429,
        `too many open event streams from this client (${MAX_EVENT_STREAMS_PER_CLIENT})`,
      );
    if (streams.size >= MAX_EVENT_STREAMS) throw new HttpError(503, 'too many open event streams');
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
    });
    const send = (snapshot: Snapshot) => res.write(`event: snapshot\ndata: ${JSON.stringify(snapshot)}\n\n`);
    // The browser reconnects by itself after 2 s if the stream drops.
    res.write('retry: 2000\n\n');
    send(monitor.snapshot);
    const unsubscribe = monitor.subscribe(send);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    streams.add(res);
    streamsPerClient.set(client, mine + 1);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(heartbeat);
      unsubscribe();
      streams.delete(res);
      const left = (streamsPerClient.get(client) ?? 1) - 1;
      if (left > 0) streamsPerClient.set(client, left);
      else streamsPerClient.delete(client);
    };
    req.on('close', close);
    res.on('error', close);
  };

  const handleAction = async (req: IncomingMessage, res: ServerResponse, name: string): Promise<void> => {
    const refused = guard.checkAction(req);
    if (refused) throw HttpError.of(refused);
    const body = await readJsonBody(req);
    if (name === 'retry') {
      const bucket = typeof body.bucket === 'string' ? body.bucket : '';
      const key = typeof body.key === 'string' ? body.key : '';
      parseFileRef(new URLSearchParams({ bucket, key }));
      const result = await actions.retry({ bucket, key, force: body.force === true });
      log(printable(`dashboard: retry s3://${bucket}/${key}: ${result.message}`));
      sendJson(res, result.ok ? 200 : 409, result);
    } else if (name === 'replay') {
      const max = body.max === undefined || body.max === null ? undefined : Number(body.max);
      if (max !== undefined && !(Number.isInteger(max) && max >= 1 && max <= 100_000))
        throw new HttpError(400, 'max must be a whole number from 1 to 100000');
      const result = await actions.replay({
        includePoison: body.includePoison === true,
        ...(max ? { max } : {}),
      });
      log(printable(`dashboard: replay: ${result.message}`));
      sendJson(res, result.ok ? 200 : 409, result);
    } else {
      throw new HttpError(404, 'no such action');
    }
    // Show the effect at once rather than at the next tick.
    void monitor.refreshNow();
  };

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const method = req.method ?? 'GET';
    const refused = guard.checkRequest(req);
    if (refused) {
      // Only a missing or wrong token may be made good by `/?token=…` (not a bad Host, a throttle or a
      // malformed cookie).
      const login = refused.status === 401 ? guard.handleTokenLogin(req, res, url) : undefined;
      if (login === 'answered') return;
      throw HttpError.of(login ?? refused);
    }
    if (url.pathname.startsWith('/api/actions/')) return handleAction(req, res, url.pathname.slice(13));
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, 'method not allowed');
    if (url.pathname.startsWith('/api/')) {
      const foreign = guard.checkApiRead(req);
      if (foreign) throw HttpError.of(foreign);
      monitor.touch();
    }
    const asset = assets.get(url.pathname);
    if (asset) return sendAsset(res, asset, method);
    switch (url.pathname) {
      case '/api/snapshot':
        return sendJson(res, 200, monitor.snapshot);
      case '/api/events':
        return openEventStream(req, res);
      case '/api/files':
        return sendJson(
          res,
          200,
          await filePage(
            { view, dynamo: clients.dynamo, tableName: resources.tableName },
            parseFileQuery(url.searchParams),
          ),
        );
      case '/api/file': {
        const { bucket, key } = parseFileRef(url.searchParams);
        const history = await fileHistory(clients.dynamo, resources.tableName, bucket, key);
        if (history.entries.length === 0) throw new HttpError(404, 'no record of this file');
        return sendJson(res, 200, buildTimeline(history));
      }
      default:
        throw new HttpError(404, 'not found');
    }
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    route(req, res).catch((error: unknown) => {
      const status = error instanceof HttpError ? error.status : error instanceof BadRequestError ? 400 : 500;
      if (status === 500)
        log(printable(`dashboard: ${req.method} ${req.url?.split('?')[0]}: ${errorMessage(error)}`));
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const retryAfter = error instanceof HttpError ? error.retryAfterSeconds : undefined;
      sendJson(
        res,
        status,
        { error: status === 500 ? errorMessage(error) : (error as Error).message },
        retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      );
    });
  };
  const server: Server = options.tls
    ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createServer(handler);
  // Slow or idle clients cannot hold sockets for ever; event streams are long-lived by design.
  server.headersTimeout = 10_000;
  server.requestTimeout = 120_000;

  const port = options.port ?? DEFAULT_DASHBOARD_PORT;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(
              `port ${port} on ${host} is already in use: pass --dashboard-port / --port with another one`,
            )
          : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const boundPort = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  const scheme = options.tls ? 'https' : 'http';
  const origin = `${scheme}://${isLoopbackHost(host) && host !== '::1' ? host : shownHost}:${boundPort}`;
  monitor.start();
  let stopping: Promise<void> | undefined;
  return {
    origin,
    url: token ? `${origin}/?token=${encodeURIComponent(token)}` : `${origin}/`,
    port: boundPort,
    monitor,
    view,
    stop: () => {
      stopping ??= (async () => {
        for (const stream of streams) stream.end();
        await monitor.stop();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return stopping;
    },
  };
};
