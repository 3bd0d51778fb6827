import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { FREE_FAILURES, LOCKOUT_FAILURES, LOCKOUT_MS } from '../../../src/dashboard/loginThrottle.ts';
import {
  CONTENT_SECURITY_POLICY,
  CSRF_HEADER,
  DashboardGuard,
  tokenCookieName,
} from '../../../src/dashboard/security.ts';
import {
  estimateTokenEntropyBits,
  generateToken,
  weakTokenReason,
} from '../../../src/dashboard/tokenPolicy.ts';

const request = (headers: Record<string, string>, method = 'GET', remoteAddress = '192.0.2.10') =>
  ({
    method,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
    socket: { remoteAddress },
  }) as unknown as IncomingMessage;

/** A response that records what the guard wrote. */
const recordingResponse = () => {
  const written: { status?: number; headers?: Record<string, string> } = {};
  const res = {
    writeHead: (status: number, headers: Record<string, string>) => {
      written.status = status;
      written.headers = headers;
    },
    end: () => undefined,
  } as unknown as ServerResponse;
  return { res, written };
};

const TOKEN = 'Zr8-q2LmX_v0aP9cT4kWn7bE1sYh6uJd';

describe('DashboardGuard', () => {
  it('refuses to listen beyond loopback without a token, or without TLS unless told it is fine', () => {
    expect(() => new DashboardGuard({ host: '0.0.0.0', tls: true })).toThrow(/access token/);
    expect(() => new DashboardGuard({ host: '0.0.0.0', token: TOKEN })).toThrow(/TLS.*--insecure-http/);
    expect(() => new DashboardGuard({ host: '0.0.0.0', token: TOKEN, tls: true })).not.toThrow();
    expect(() => new DashboardGuard({ host: '0.0.0.0', token: TOKEN, insecureHttp: true })).not.toThrow();
    expect(() => new DashboardGuard({ host: '127.0.0.1' })).not.toThrow();
  });

  it.each([
    ['too short', 'short'],
    ['16 times the same letter', 'aaaaaaaaaaaaaaaa'],
    ['long but one letter', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'],
    ['a repeated word', 'passwordpasswordpassword'],
    ['digits in order', '12345678901234567890'],
  ])('rejects a weak token (%s)', (_, token) => {
    expect(weakTokenReason(token)).toBeDefined();
    expect(() => new DashboardGuard({ host: '0.0.0.0', token, tls: true })).toThrow(/access token/);
  });

  it('accepts random tokens: generated, openssl rand -hex 16, and a long passphrase', () => {
    expect(generateToken()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(generateToken()).not.toBe(generateToken());
    expect(estimateTokenEntropyBits(generateToken())).toBeGreaterThan(150);
    expect(weakTokenReason(generateToken())).toBeUndefined();
    expect(weakTokenReason('3f9c2a71d08e4b6c95e1a7d2c4b8f063')).toBeUndefined();
    expect(weakTokenReason('integration-test-token-0123456789')).toBeUndefined();
  });

  it('on loopback, answers only requests addressed to a loopback name (no DNS rebinding)', () => {
    const guard = new DashboardGuard({ host: '127.0.0.1' });
    expect(guard.checkRequest(request({ host: '127.0.0.1:4567' }))).toBeUndefined();
    expect(guard.checkRequest(request({ host: 'localhost:4567' }))).toBeUndefined();
    expect(guard.checkRequest(request({ host: 'evil.example:4567' }))?.status).toBe(421);
  });

  it('with a token, requires it as a bearer header or the cookie', () => {
    const token = TOKEN;
    const TOKEN_COOKIE = tokenCookieName(token);
    const guard = new DashboardGuard({ host: '0.0.0.0', token, tls: true });
    expect(guard.checkRequest(request({ host: 'box:4567' }))?.status).toBe(401);
    expect(guard.checkRequest(request({ host: 'box:4567', authorization: `Bearer ${token}x` }))?.status).toBe(
      401,
    );
    expect(
      guard.checkRequest(request({ host: 'box:4567', authorization: `Bearer ${token}` })),
    ).toBeUndefined();
    expect(
      guard.checkRequest(request({ host: 'box:4567', cookie: `a=b; ${TOKEN_COOKIE}=${token}` })),
    ).toBeUndefined();
  });

  it('lets an action through only as a same-origin JSON POST with the CSRF token', () => {
    const guard = new DashboardGuard({ host: '127.0.0.1' });
    const good = {
      host: '127.0.0.1:4567',
      origin: 'http://127.0.0.1:4567',
      'content-type': 'application/json',
      [CSRF_HEADER]: guard.csrfToken,
    };
    expect(guard.checkAction(request(good, 'POST'))).toBeUndefined();
    expect(guard.checkAction(request(good, 'GET'))?.status).toBe(405);
    const { [CSRF_HEADER]: _csrf, ...withoutToken } = good;
    expect(guard.checkAction(request(withoutToken, 'POST'))?.message).toMatch(/CSRF/);
    expect(guard.checkAction(request({ ...good, [CSRF_HEADER]: 'guess' }, 'POST'))?.status).toBe(403);
    expect(guard.checkAction(request({ ...good, origin: 'http://evil.example' }, 'POST'))?.message).toMatch(
      /Origin/,
    );
    const { origin: _origin, ...withoutOrigin } = good;
    expect(guard.checkAction(request(withoutOrigin, 'POST'))?.status).toBe(403);
    expect(guard.checkAction(request({ ...good, 'sec-fetch-site': 'cross-site' }, 'POST'))?.status).toBe(403);
    expect(guard.checkAction(request({ ...good, 'content-type': 'text/plain' }, 'POST'))?.status).toBe(415);
  });

  it('gives every server start its own CSRF token', () => {
    expect(new DashboardGuard({ host: '127.0.0.1' }).csrfToken).not.toBe(
      new DashboardGuard({ host: '127.0.0.1' }).csrfToken,
    );
  });

  it('allows no inline script and no foreign origin in the Content-Security-Policy', () => {
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).toContain("default-src 'none'");
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  });

  it('slows down, then locks out an address that guesses tokens, and leaves other addresses alone', () => {
    // Prepare
    let now = 1_000_000;
    const guard = new DashboardGuard({ host: '0.0.0.0', token: TOKEN, tls: true, now: () => now });
    const guess = (token: string, address = '198.51.100.7') =>
      guard.checkRequest(request({ host: 'box', authorization: `Bearer ${token}` }, 'GET', address));
    // Act / Assess: the first wrong guesses are only wrong
    for (let i = 0; i < FREE_FAILURES; i++) expect(guess(`wrong-${i}`)?.status).toBe(401);
    // then the next must wait, and a guess while waiting is refused without being tried
    const slowed = guess('wrong-next');
    expect(slowed?.status).toBe(429);
    expect(slowed?.retryAfterSeconds).toBe(1);
    expect(guess(TOKEN)?.status).toBe(429);
    now += 1000;
    expect(guess('wrong-after-wait')?.status).toBe(401);
    expect(guess('wrong-too-soon')?.retryAfterSeconds).toBe(2);
    // another address is not affected
    expect(guess(TOKEN, '203.0.113.9')).toBeUndefined();
    // waiting out every delay, the address reaches the lockout
    for (let failures = FREE_FAILURES + 1; failures < LOCKOUT_FAILURES; failures++) {
      now += 60_000;
      expect(guess(`wrong-${failures}`)?.status).toBe(401);
    }
    now += 60_000;
    const locked = guess(TOKEN);
    expect(locked?.status).toBe(429);
    expect(locked?.message).toMatch(/locked out/);
    expect(locked?.retryAfterSeconds).toBeGreaterThan(10 * 60);
    // the lockout ends, and the right token then clears the record
    now += LOCKOUT_MS;
    expect(guess(TOKEN)).toBeUndefined();
    expect(guess('wrong-again')?.status).toBe(401);
  });

  it('throttles wrong tokens in the address (/?token=…) the same way', () => {
    // Prepare
    const guard = new DashboardGuard({ host: '0.0.0.0', token: TOKEN, tls: true, now: () => 5 });
    const login = (token: string) => {
      const { res, written } = recordingResponse();
      const result = guard.handleTokenLogin(
        request({ host: 'box' }),
        res,
        new URL(`https://box/?token=${token}`),
      );
      return { result, written };
    };
    // Act
    for (let i = 0; i < FREE_FAILURES; i++) expect(login(`wrong-${i}`).result).toMatchObject({ status: 401 });
    const throttled = login(TOKEN);
    // Assess
    expect(throttled.result).toMatchObject({ status: 429 });
    expect(throttled.written.status).toBeUndefined();
  });

  it('sets a Secure cookie over TLS, and none without', () => {
    // Prepare
    const cookieOf = (tls: boolean) => {
      const guard = new DashboardGuard({ host: '0.0.0.0', token: TOKEN, tls, insecureHttp: !tls });
      const { res, written } = recordingResponse();
      expect(
        guard.handleTokenLogin(request({ host: 'box' }), res, new URL(`https://box/?token=${TOKEN}`)),
      ).toBe('answered');
      return written.headers?.['Set-Cookie'] ?? '';
    };
    // Act / Assess
    expect(cookieOf(true)).toMatch(/; HttpOnly; SameSite=Strict; Path=\/; Secure$/);
    expect(cookieOf(false)).not.toMatch(/Secure/);
  });

  it('answers 400 to a malformed cookie, and ignores a cookie of another token', () => {
    const guard = new DashboardGuard({ host: '0.0.0.0', token: TOKEN, tls: true });
    const name = tokenCookieName(TOKEN);
    expect(guard.checkRequest(request({ host: 'box', cookie: `${name}=%E0%A4%A` }))).toMatchObject({
      status: 400,
    });
    const stale = tokenCookieName(generateToken());
    expect(stale).not.toBe(name);
    expect(guard.checkRequest(request({ host: 'box', cookie: `${stale}=whatever` }))?.message).toMatch(
      /required/,
    );
    // a malformed cookie of another app on the same host is none of our business
    expect(
      guard.checkRequest(request({ host: 'box', cookie: `other=%E0%A4%A; ${name}=${TOKEN}` })),
    ).toBeUndefined();
  });

  it('refuses API reads from another origin or site, and serves the page itself and command-line clients', () => {
    const guard = new DashboardGuard({ host: '127.0.0.1' });
    const host = '127.0.0.1:4570';
    expect(guard.checkApiRead(request({ host }))).toBeUndefined();
    expect(guard.checkApiRead(request({ host, 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(guard.checkApiRead(request({ host, origin: 'http://127.0.0.1:4570' }))).toBeUndefined();
    expect(guard.checkApiRead(request({ host, origin: 'https://attacker.example' }))?.status).toBe(403);
    expect(guard.checkApiRead(request({ host, 'sec-fetch-site': 'cross-site' }))?.status).toBe(403);
    expect(guard.checkApiRead(request({ host, 'sec-fetch-site': 'same-site' }))?.status).toBe(403);
  });
});
