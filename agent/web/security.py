"""Tokens, rate limits and the ASGI middleware that guard the web front end.

- Tokens are ``secrets.token_urlsafe(32)`` (256 bits). Only their SHA-256 hashes are stored, and
  a presented token is checked by hashing it and comparing hashes with
  :func:`hmac.compare_digest`, so the comparison takes the same time wherever the hashes differ.
- The answer rate limit (a sliding window per candidate token hash) is kept in the web database
  so that every server process shares it: :meth:`agent.web.store.AppStore.rate_limit`.
- :class:`BodyLimitMiddleware`: refuses request bodies over a size with 413 before the app
  sees them.
- :class:`SecurityHeadersMiddleware`: a strict Content-Security-Policy (no inline script), no
  referrer (candidate URLs carry a token), no caching, no framing, no MIME sniffing.
- :class:`AccessLogMiddleware`: an access log whose paths never contain a token (uvicorn's own
  access log is switched off).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bytes of randomness in every token (``secrets.token_urlsafe`` gives 43 characters).
TOKEN_BYTES = 32
#: The shortest manager token accepted from the environment.
MIN_MANAGER_TOKEN_CHARS = 32


def new_token() -> str:
    """A new random token: 256 bits, URL-safe."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """The SHA-256 hex digest stored in place of ``token``."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def hashes_equal(a: str, b: str) -> bool:
    """Compare two token hashes in constant time."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))


def token_matches(presented: str, stored_hash: str) -> bool:
    """Whether ``presented`` is the token whose hash is ``stored_hash`` (constant time)."""
    return hashes_equal(token_hash(presented), stored_hash)


def csrf_token(session_cookie: str) -> str:
    """The CSRF token bound to a manager sign-in (derived from its secret cookie)."""
    return hmac.new(session_cookie.encode(), b"screener-csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_cookie: str, presented: str | None) -> bool:
    """Whether ``presented`` is the CSRF token of this sign-in (constant time)."""
    return presented is not None and hashes_equal(csrf_token(session_cookie), presented)


async def _send_json(send: Send, status: int, body: dict[str, str]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``max_bytes`` with 413, declared or streamed.

    The body is read here (up to the limit) and replayed to the app, so an app never reads an
    oversized body and a chunked upload cannot get round a missing Content-Length.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = {"detail": f"request body is larger than {self.max_bytes} bytes"}
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                if int(declared) > self.max_bytes:
                    await _send_json(send, 413, too_large)
                    return
            except ValueError:
                await _send_json(send, 400, {"detail": "bad Content-Length"})
                return
        if scope["method"] in ("GET", "HEAD", "OPTIONS") and declared is None:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await _send_json(send, 413, too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


#: Content-Security-Policy of every response: scripts and styles from this server only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"referrer-policy", b"no-referrer"),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class SecurityHeadersMiddleware:
    """Add the security headers to every response, and ``no-store`` to all but static files."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(k, v) for k, v in _SECURITY_HEADERS if k not in present]
                if not static and b"cache-control" not in present:
                    extra.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers + extra}
            await send(message)

        await self.app(scope, receive, send_with_headers)


#: Path segments that follow these prefixes are secrets and are replaced in the access log.
_SECRET_PATHS = re.compile(r"^(/i/|/api/interview/)[^/]+")


def redact_path(path: str) -> str:
    """``path`` with any token in it replaced by ``[token]``."""
    return _SECRET_PATHS.sub(r"\1[token]", path)


class AccessLogMiddleware:
    """One log line per request: method, redacted path (no query string), status, duration.

    Also sets the ``Server-Timing`` header (``app;dur=<ms>``) that the load benchmark reads.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger) -> None:
        self.app, self.logger = app, logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                elapsed = (time.perf_counter() - started) * 1000
                headers = [*message.get("headers", []), _server_timing(elapsed)]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.logger.info(
                "%s %s %d %.1fms",
                scope.get("method", "-"),
                redact_path(str(scope.get("path", ""))),
                status,
                (time.perf_counter() - started) * 1000,
            )


def _server_timing(ms: float) -> tuple[bytes, bytes]:
    return (b"server-timing", f"app;dur={ms:.2f}".encode())
