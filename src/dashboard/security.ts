import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoginThrottle } from './loginThrottle.ts';
import { weakTokenReason } from './tokenPolicy.ts';

/** Name (prefix, see {@link tokenCookieName}) of the cookie that carries the access token after `/?token=…`. */
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
  /** For 429: when to try again (the `Retry-After` header). */
  readonly retryAfterSeconds?: number;
}

/**
 * The cookie's name carries a short hash of the token, so a cookie left by an earlier start (another
 * generated token) is simply not ours: it is ignored instead of counting as a wrong guess on every
 * reconnect of an open page (which would lock the operator out).
 */
export const tokenCookieName = (token: string): string =>
  `${TOKEN_COOKIE}_${createHash('sha256').update(token).digest('hex').slice(0, 8)}`;

/** Our cookie's value; undefined when absent; a Refusal when it is not valid percent-encoding. */
const cookieValue = (req: IncomingMessage, name: string): string | undefined | Refusal => {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      // A 400, not a 500 and an error log line per request: a client sent it, nothing failed here.
      return { status: 400, message: 'malformed cookie' };
    }
  }
  return undefined;
};

/** Options of {@link DashboardGuard}. */
export interface GuardOptions {
  /** Address the server binds. */
  readonly host: string;
  /** Required (and then checked on every request) when `host` is not loopback. */
  readonly token?: string;
  /** The server speaks HTTPS: cookies are `Secure`, origins `https://`. @default false */
  readonly tls?: boolean;
  /** Allow plain HTTP beyond loopback (the token then crosses the network in clear). @default false */
  readonly insecureHttp?: boolean;
  /** Clock of the wrong-token throttle, for tests. @default Date.now */
  readonly now?: () => number;
}

const TOKEN_REQUIRED: Refusal = {
  status: 401,
  message: 'access token required: open the address printed at start (…/?token=…)',
};

const addressOf = (req: IncomingMessage): string => req.socket?.remoteAddress ?? 'unknown';

/**
 * The dashboard's request checks:
 * - Host header: on loopback, only loopback names are accepted, so a web page that re-binds its own DNS
 *   name to 127.0.0.1 (DNS rebinding) cannot read the API through the victim's browser.
 * - Beyond loopback: TLS (or an explicit `insecureHttp`) and a strong access token, required on every
 *   request as `Authorization: Bearer` or a SameSite=Strict HttpOnly (and, over TLS, Secure) cookie set
 *   by visiting `/?token=…` once. Wrong tokens are slowed down, then locked out (LoginThrottle).
 * - Every `/api` read: no foreign `Origin`, no cross-site `Sec-Fetch-Site` — a page elsewhere cannot make
 *   the dashboard run table queries (each costs money on AWS), even though it could not read the answer.
 * - Actions: POST only, `application/json`, an `Origin` equal to the dashboard's own, and the per-start CSRF
 *   token (embedded in the page, unreadable cross-origin).
 */
export class DashboardGuard {
  /** Random per server start; the page reads it from a meta tag and sends it with every action. */
  readonly csrfToken = randomBytes(32).toString('base64url');
  private readonly loopbackOnly: boolean;
  private readonly scheme: 'http' | 'https';
  private readonly cookieName: string | undefined;
  private readonly throttle: LoginThrottle;

  constructor(private readonly options: GuardOptions) {
    this.loopbackOnly = isLoopbackHost(options.host);
    this.scheme = options.tls ? 'https' : 'http';
    this.throttle = new LoginThrottle(options.now);
    if (!this.loopbackOnly && !options.token)
      throw new Error(
        `the dashboard binds ${options.host}, which other machines can reach: it needs an access token (SILENT_SCALPER_DASHBOARD_TOKEN or --token-file; one is generated when none is given)`,
      );
    if (!this.loopbackOnly && !options.tls && !options.insecureHttp)
      throw new Error(
        `the dashboard binds ${options.host}, which other machines can reach: serve it over TLS (--tls-cert <file> --tls-key <file>), or pass --insecure-http to send the token in clear on a network you trust`,
      );
    if (options.token !== undefined) {
      const weak = weakTokenReason(options.token);
      if (weak) throw new Error(weak);
    }
    this.cookieName = options.token === undefined ? undefined : tokenCookieName(options.token);
  }

  /** The dashboard's own origin as a browser names it, for a request addressed to `host`. */
  private ownOrigin(host: string | undefined): string | undefined {
    return host ? `${this.scheme}://${host}` : undefined;
  }

  /** Check Host and the access token; undefined when the request may proceed. */
  checkRequest(req: IncomingMessage): Refusal | undefined {
    const host = req.headers.host ?? '';
    if (this.loopbackOnly) {
      const name = host.replace(/:\d+$/, '');
      if (!isLoopbackHost(name)) return { status: 421, message: 'unexpected Host header' };
    }
    if (this.options.token === undefined || this.cookieName === undefined) return undefined;
    const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const cookie = cookieValue(req, this.cookieName);
    if (typeof cookie === 'object') return cookie;
    const presented = bearer ?? cookie;
    if (presented === undefined) return TOKEN_REQUIRED;
    return this.verify(addressOf(req), presented);
  }

  /** Throttle, then compare; counts a wrong token against the address. */
  private verify(address: string, presented: string): Refusal | undefined {
    const verdict = this.throttle.check(address);
    if (!verdict.allowed)
      return {
        status: 429,
        message: verdict.lockedOut
          ? 'too many wrong access tokens from this address: locked out, try again later'
          : 'too many wrong access tokens from this address: wait before trying again',
        retryAfterSeconds: Math.max(1, Math.ceil(verdict.retryAfterMs / 1000)),
      };
    if (safeEqual(presented, this.options.token ?? '')) {
      this.throttle.succeed(address);
      return undefined;
    }
    this.throttle.fail(address);
    return { status: 401, message: 'wrong access token' };
  }

  /**
   * `/?token=…`: with the right token, set the cookie and redirect to `/` so the token leaves the address
   * bar and history. Returns the refusal for a wrong (or throttled) one, `'answered'` when it answered
   * the request, and undefined when this is not a token login.
   */
  handleTokenLogin(req: IncomingMessage, res: ServerResponse, url: URL): Refusal | 'answered' | undefined {
    const presented = url.searchParams.get('token');
    if (this.options.token === undefined || presented === null || url.pathname !== '/') return undefined;
    const refused = this.verify(addressOf(req), presented);
    if (refused) return refused;
    const secure = this.options.tls ? '; Secure' : '';
    res.writeHead(303, {
      ...SECURITY_HEADERS,
      Location: '/',
      'Set-Cookie': `${this.cookieName}=${encodeURIComponent(presented)}; HttpOnly; SameSite=Strict; Path=/${secure}`,
    });
    res.end();
    return 'answered';
  }

  /**
   * Checks of every `/api` read (GET/HEAD): refused when the request says it comes from another origin or
   * site. Browsers send `Sec-Fetch-Site` on every request and `Origin` on cross-origin ones; command-line
   * clients send neither and pass (the token, off loopback, still applies).
   * https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Site
   */
  checkApiRead(req: IncomingMessage): Refusal | undefined {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.ownOrigin(req.headers.host))
      return { status: 403, message: 'cross-origin request refused (Origin does not match the dashboard)' };
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin' && site !== 'none')
      return { status: 403, message: 'cross-site request refused (Sec-Fetch-Site)' };
    return undefined;
  }

  /** Extra checks of an action (a state-changing POST); undefined when it may proceed. */
  checkAction(req: IncomingMessage): Refusal | undefined {
    if (req.method !== 'POST') return { status: 405, message: 'actions are POST only' };
    const origin = req.headers.origin;
    if (!origin || origin !== this.ownOrigin(req.headers.host))
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
