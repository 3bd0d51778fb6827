import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Name of the cookie that carries the access token after `/?token=…`. */
export const TOKEN_COOKIE = 'silent_scalper_dashboard';
/** Header that carries the CSRF token on every action. */
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Content-Security-Policy of every response: scripts, styles and fetches only from the dashboard itself,
 * no inline script or style element, no plugins, no framing. Keys are rendered with `textContent`, so this
 * is the second wall: even markup that slipped into the DOM could not run a script.
 * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Content-Security-Policy
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers on every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** True for addresses that only this machine can reach. */
export const isLoopbackHost = (host: string): boolean =>
  host === 'localhost' || host === '::1' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);

/** Constant-time string comparison (hashing first, so lengths leak nothing either). */
export const safeEqual = (a: string, b: string): boolean =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

/** Why a request was refused: the HTTP status and a short message for the operator. */
export interface Refusal {
  readonly status: number;
  readonly message: string;
}

const cookieValue = (req: IncomingMessage, name: string): string | undefined => {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return decodeURIComponent(v.join('='));
  }
  return undefined;
};

/** Options of {@link DashboardGuard}. */
export interface GuardOptions {
  /** Address the server binds. */
  readonly host: string;
  /** Required (and then checked on every request) when `host` is not loopback. */
  readonly token?: string;
}

/**
 * The dashboard's request checks:
 * - Host header: on loopback, only loopback names are accepted, so a web page that re-binds its own DNS
 *   name to 127.0.0.1 (DNS rebinding) cannot read the API through the victim's browser.
 * - Access token (required off loopback): `Authorization: Bearer`, or a SameSite=Strict HttpOnly cookie set
 *   by visiting `/?token=…` once.
 * - Actions: POST only, `application/json`, an `Origin` equal to the dashboard's own, and the per-start CSRF
 *   token (embedded in the page, unreadable cross-origin).
 */
export class DashboardGuard {
  /** Random per server start; the page reads it from a meta tag and sends it with every action. */
  readonly csrfToken = randomBytes(32).toString('base64url');
  private readonly loopbackOnly: boolean;

  constructor(private readonly options: GuardOptions) {
    this.loopbackOnly = isLoopbackHost(options.host);
    if (!this.loopbackOnly && !options.token)
      throw new Error(
        `the dashboard binds ${options.host}, which other machines can reach: pass --token <secret> (it is then required on every request)`,
      );
    if (options.token !== undefined && options.token.length < 16)
      throw new Error('--token must be at least 16 characters');
  }

  /** Check Host and the access token; undefined when the request may proceed. */
  checkRequest(req: IncomingMessage): Refusal | undefined {
    const host = req.headers.host ?? '';
    if (this.loopbackOnly) {
      const name = host.replace(/:\d+$/, '');
      if (!isLoopbackHost(name)) return { status: 421, message: 'unexpected Host header' };
    }
    if (this.options.token === undefined) return undefined;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const presented = bearer ?? cookieValue(req, TOKEN_COOKIE);
    if (presented !== undefined && safeEqual(presented, this.options.token)) return undefined;
    return { status: 401, message: 'access token required: open the address printed at start (…/?token=…)' };
  }

  /**
   * `/?token=…` with the right token: set the cookie and redirect to `/` so the token leaves the address
   * bar and history. Returns true when it answered the request.
   */
  handleTokenLogin(res: ServerResponse, url: URL): boolean {
    const presented = url.searchParams.get('token');
    if (this.options.token === undefined || presented === null || url.pathname !== '/') return false;
    if (!safeEqual(presented, this.options.token)) {
      res.writeHead(401, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('wrong token\n');
      return true;
    }
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      Location: '/',
      'Set-Cookie': `${TOKEN_COOKIE}=${encodeURIComponent(presented)}; HttpOnly; SameSite=Strict; Path=/`,
    });
    res.end();
    return true;
  }

  /** Extra checks of an action (a state-changing POST); undefined when it may proceed. */
  checkAction(req: IncomingMessage): Refusal | undefined {
    if (req.method !== 'POST') return { status: 405, message: 'actions are POST only' };
    const origin = req.headers.origin;
    const host = req.headers.host;
    if (!origin || !host || origin !== `http://${host}`)
      return { status: 403, message: 'cross-origin action refused (Origin does not match the dashboard)' };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin')
      return { status: 403, message: 'cross-site action refused (Sec-Fetch-Site)' };
    const csrf = req.headers[CSRF_HEADER];
    if (typeof csrf !== 'string' || !safeEqual(csrf, this.csrfToken))
      return { status: 403, message: 'missing or wrong CSRF token: reload the page' };
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json'))
      return { status: 415, message: 'actions take application/json' };
    return undefined;
  }
}
