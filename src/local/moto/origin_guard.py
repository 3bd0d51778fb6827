"""Refuse browsers at the local endpoint: moto answers every Origin with permissive CORS.

Why: moto's server wraps its app in flask-cors (``Access-Control-Allow-Origin: *``, every method and
header) and approves every preflight, so any web page the developer visits while ``silent-scalper up``
runs could list, read and write the local buckets, table and queues with ``fetch`` -- around the
dashboard's Host and CSRF checks. LocalStack restricts CORS origins by default for the same reason.

What this module does, as a WSGI guard in front of moto's app:

- A request carrying an ``Origin`` header that is not explicitly allowed is answered ``403`` before moto
  sees it, preflight ``OPTIONS`` included. Browsers send ``Origin`` on every cross-origin fetch and on
  every non-GET/HEAD request; the AWS SDKs, boto3 and the AWS CLI never send it (they are not browsers
  and have no origin), so they are unaffected. ``Origin: null`` (sandboxed frames, ``file://``) is refused
  like any other.
- A request whose ``Sec-Fetch-Site`` is ``cross-site`` or ``same-site`` is refused as well: a browser sends
  no ``Origin`` on a cross-site GET made by ``<img>``/``<script>``/a navigation, but always sends
  ``Sec-Fetch-Site`` (the SDKs never do).
- On loopback, the ``Host`` header must name a loopback address: a page that re-binds its own DNS name to
  127.0.0.1 (DNS rebinding) sends ``Host: attacker.example`` and is refused.
- Every answer loses moto's ``Access-Control-*`` headers; for an allowed origin they are replaced by that
  exact origin (never ``*``) with ``Vary: Origin``.

Allowed origins: none by default; ``SILENT_SCALPER_MOTO_ALLOWED_ORIGINS`` (comma-separated, exact
``scheme://host[:port]``) set by ``silent-scalper up --allow-origin``. Setting it to ``*`` is refused at
start: that is the hole this module closes.
"""

import os
import re

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

ALLOWED_ORIGINS_ENV = "SILENT_SCALPER_MOTO_ALLOWED_ORIGINS"
BOUND_HOST_ENV = "SILENT_SCALPER_MOTO_HOST"

_LOOPBACK_NAME = re.compile(r"^(localhost|.+\.localhost|127(\.\d{1,3}){3}|\[::1\])$", re.IGNORECASE)
_ORIGIN = re.compile(r"^https?://[^/\s]+$", re.IGNORECASE)


def parse_allowed_origins(value):
    """The comma-separated allow-list, each an exact origin; raises ValueError on anything else."""
    origins = set()
    for item in (value or "").split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        if not _ORIGIN.match(origin):
            raise ValueError(f"{ALLOWED_ORIGINS_ENV}: {origin!r} is not an origin like http://localhost:3000")
        origins.add(origin.lower())
    return frozenset(origins)


def _is_loopback(host):
    return host in ("127.0.0.1", "::1", "localhost") or bool(_LOOPBACK_NAME.match(host))


def _host_name(host_header):
    # "127.0.0.1:4566" -> "127.0.0.1", "[::1]:4566" -> "[::1]"
    if host_header.startswith("["):
        return host_header.split("]")[0] + "]"
    return host_header.rsplit(":", 1)[0] if ":" in host_header else host_header


def _refuse(start_response, message):
    body = (message + "\n").encode("utf-8")
    start_response(
        "403 Forbidden",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))), ("Vary", "Origin")],
    )
    return [body]


def guard(app, allowed_origins, loopback_only):
    """Wrap a WSGI app with the checks described in this module's docstring."""

    def guarded(environ, start_response):
        origin = environ.get("HTTP_ORIGIN")
        site = (environ.get("HTTP_SEC_FETCH_SITE") or "").lower()
        if loopback_only and not _is_loopback(_host_name(environ.get("HTTP_HOST", "")).lower()):
            return _refuse(start_response, "silent-scalper: refused: Host is not a loopback name (DNS rebinding?)")
        allowed = origin is not None and origin.lower() in allowed_origins
        if origin is not None and not allowed:
            return _refuse(
                start_response,
                "silent-scalper: refused: requests from web pages (Origin header) are not allowed on the local "
                "endpoint; allow one with `silent-scalper up --allow-origin <origin>`",
            )
        if not allowed and site in ("cross-site", "same-site"):
            return _refuse(start_response, "silent-scalper: refused: cross-site browser request (Sec-Fetch-Site)")

        def start_without_cors(status, headers, exc_info=None):
            kept = [(k, v) for k, v in headers if not k.lower().startswith("access-control-")]
            if allowed:
                kept += [("Access-Control-Allow-Origin", origin), ("Vary", "Origin")]
                if environ.get("REQUEST_METHOD") == "OPTIONS":
                    # The preflight of an allowed origin: only what the SDK for JavaScript needs.
                    requested = environ.get("HTTP_ACCESS_CONTROL_REQUEST_HEADERS")
                    kept += [("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD")]
                    if requested:
                        kept += [("Access-Control-Allow-Headers", requested)]
            return start_response(status, kept, exc_info)

        return app(environ, start_without_cors)

    return guarded


def install():
    """Put the guard in front of every DomainDispatcherApplication moto's ``main`` creates."""
    allowed = parse_allowed_origins(os.environ.get(ALLOWED_ORIGINS_ENV, ""))
    host = os.environ.get(BOUND_HOST_ENV, "127.0.0.1").lower().strip("[]")
    # Bound beyond loopback (a container, a VM) the Host check would refuse legitimate names: skip it.
    loopback_only = host in ("::1", "localhost") or host.startswith("127.")
    original_call = DomainDispatcherApplication.__call__

    def guarded_call(self, environ, start_response):
        return guard(lambda e, s: original_call(self, e, s), allowed, loopback_only)(environ, start_response)

    DomainDispatcherApplication.__call__ = guarded_call  # type: ignore[method-assign]
    return allowed
