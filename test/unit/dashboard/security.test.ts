import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  CSRF_HEADER,
  DashboardGuard,
  TOKEN_COOKIE,
} from '../../../src/dashboard/security.ts';

const request = (headers: Record<string, string>, method = 'GET') =>
  ({
    method,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v])),
  }) as unknown as IncomingMessage;

describe('DashboardGuard', () => {
  it('refuses to listen beyond loopback without a token, and takes only strong tokens', () => {
    expect(() => new DashboardGuard({ host: '0.0.0.0' })).toThrow(/--token/);
    expect(() => new DashboardGuard({ host: '0.0.0.0', token: 'short' })).toThrow(/16 characters/);
    expect(() => new DashboardGuard({ host: '127.0.0.1' })).not.toThrow();
  });

  it('on loopback, answers only requests addressed to a loopback name (no DNS rebinding)', () => {
    const guard = new DashboardGuard({ host: '127.0.0.1' });
    expect(guard.checkRequest(request({ host: '127.0.0.1:4567' }))).toBeUndefined();
    expect(guard.checkRequest(request({ host: 'localhost:4567' }))).toBeUndefined();
    expect(guard.checkRequest(request({ host: 'evil.example:4567' }))?.status).toBe(421);
  });

  it('with a token, requires it as a bearer header or the cookie', () => {
    const token = 'a-long-enough-secret-token';
    const guard = new DashboardGuard({ host: '0.0.0.0', token });
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
});
