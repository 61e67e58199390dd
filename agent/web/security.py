"""Tokens, rate limits and the ASGI middleware that guard the web front end.

- Tokens are ``secrets.token_urlsafe(32)`` (256 bits). Only their SHA-256 hashes are stored, and
  a presented token is checked by hashing it and comparing hashes with
  :func:`hmac.compare_digest`, so the comparison takes the same time wherever the hashes differ.
- The answer rate limit (a sliding window per candidate token hash) is kept in the web database
  so that every server process shares it: :meth:`agent.web.store.AppStore.rate_limit`.
- A manager token given in the environment must be hard to guess: :func:`token_weakness`
  refuses short, repetitive, sequential or dictionary-like tokens by an estimate of their
  entropy (``MIN_MANAGER_TOKEN_BITS``).
- :class:`BodyLimitMiddleware`: refuses request bodies over a size with 413 before the app
  sees them.
- :class:`SecurityHeadersMiddleware`: a strict Content-Security-Policy (no inline script), no
  referrer (candidate URLs carry a token), no caching, no framing, no MIME sniffing, on every
  response; it wraps the whole application, and answers a clean 500 itself for an exception
  that escapes it, so errors carry the headers too. (uvicorn's own replies to malformed HTTP
  get them from :mod:`agent.web.server`.)
- :class:`AccessLogMiddleware`: an access log whose paths never contain a token (uvicorn's own
  access log is switched off).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import secrets
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Bytes of randomness in every token (``secrets.token_urlsafe`` gives 43 characters).
TOKEN_BYTES = 32
#: The shortest manager token accepted from the environment.
MIN_MANAGER_TOKEN_CHARS = 32
#: The least estimated entropy, in bits, of a manager token accepted from the environment.
#: ``secrets.token_urlsafe(32)`` estimates at 230 or more, ``secrets.token_hex(16)`` at 120 or
#: more, 32 random digits at 78 or more (of their 106); the weak tokens tried estimate below 64.
MIN_MANAGER_TOKEN_BITS = 72
#: Fewer different characters than this is refused whatever the length.
MIN_DISTINCT_CHARS = 6
#: How to make a good token, for messages.
GENERATE_TOKEN = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


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


# Words and runs a person picks (lower case; matched inside the token, case-insensitively).
_GUESSABLE_WORDS = (
    "password passwd secret token manager screener screening admin administrator root login "
    "letmein welcome changeme default master access qwerty dragon monkey shadow sunshine "
    "iloveyou football baseball trustno1 superman batman hunter test testing example sample "
    "hello world company interview hiring recruit candidate server local prod production "
    "staging develop development private public secure security key api bearer auth user "
    "guest demo change this please"
).split()
_KEYBOARD_ROWS = ("1234567890", "qwertyuiop", "asdfghjkl", "zxcvbnm", "abcdefghijklmnopqrstuvwxyz")
_YEAR = re.compile(r"(?:19|20)\d\d")
#: Characters people put between words; each costs little.
_SEPARATORS = frozenset("-_. ")
#: Only this much of a token is read: a longer one has its entropy in the part read already.
_ESTIMATE_CHARS = 256


def token_entropy_bits(token: str) -> float:
    """A conservative estimate of the bits of entropy in ``token`` (a zxcvbn-like reading).

    The token is read left to right; at each place the longest of these is taken, each costing
    few bits: a dictionary word, a year, a run along the alphabet or a keyboard row (or of one
    character), a repeat of an earlier stretch, a separator (``-_.`` or a space). Everything
    else costs log2 of the alphabet size implied by the character classes used (lower, upper,
    digits, other). Only the first 256 characters are read.
    """
    token = token[:_ESTIMATE_CHARS]
    if not token:
        return 0.0
    alphabet = 0
    alphabet += 26 if any(c.islower() for c in token) else 0
    alphabet += 26 if any(c.isupper() for c in token) else 0
    alphabet += 10 if any(c.isdigit() for c in token) else 0
    alphabet += 33 if any(not c.isalnum() for c in token) else 0
    per_char = math.log2(max(alphabet, 2))
    lowered = token.lower()
    words_too = any(c.isalpha() for c in token)
    bits, i, n = 0.0, 0, len(token)
    while i < n:
        length, cost = 1, (2.0 if token[i] in _SEPARATORS else per_char)
        if words_too and _YEAR.match(token, i):  # a year among words, not in random digits
            length, cost = 4, math.log2(200)
        for word in _GUESSABLE_WORDS:  # a word: which of the list, and its capitalisation
            if len(word) > length and lowered.startswith(word, i):
                length, cost = len(word), math.log2(len(_GUESSABLE_WORDS)) + 1
        run = _run_length(lowered, i)
        if run >= 3 and run > length:  # a run: its first character, direction and length
            length, cost = run, per_char + 1 + math.log2(run)
        repeat = _repeat_length(lowered, i)
        if repeat >= 3 and repeat > length:  # a repeat: where it was and how long
            length, cost = repeat, math.log2(i) + math.log2(repeat) + 1
        bits += cost
        i += length
    return bits


def _run_length(text: str, start: int) -> int:
    """Length of the run at ``start``: one character repeated, or a stretch of a keyboard row
    or of the alphabet, forwards or backwards."""
    n = len(text)
    same = start + 1
    while same < n and text[same] == text[start]:
        same += 1
    best = same - start
    for row in _KEYBOARD_ROWS:
        for line in (row, row[::-1]):
            at = line.find(text[start])
            if at < 0:
                continue
            k = 0
            while start + k < n and at + k < len(line) and text[start + k] == line[at + k]:
                k += 1
            best = max(best, k)
    return best


def _repeat_length(text: str, start: int) -> int:
    """Length of the longest stretch at ``start`` that already occurred before it."""
    best = 0
    for length in range(3, len(text) - start + 1):
        if 0 <= text.find(text[start : start + length], 0, start + length - 1) < start:
            best = length
        else:
            break
    return best


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too easy to guess for a manager token, or None if it is not."""
    if len(token) < MIN_MANAGER_TOKEN_CHARS:
        return (
            f"it is {len(token)} characters long; "
            f"at least {MIN_MANAGER_TOKEN_CHARS} characters are needed"
        )
    distinct = len(set(token))
    if distinct < MIN_DISTINCT_CHARS:
        return f"it uses only {distinct} different characters"
    bits = token_entropy_bits(token)
    if bits < MIN_MANAGER_TOKEN_BITS:
        return (
            f"it looks guessable (words, runs or repeats: about {bits:.0f} bits of entropy, "
            f"at least {MIN_MANAGER_TOKEN_BITS} needed)"
        )
    return None


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


def security_headers(path: str = "") -> list[tuple[bytes, bytes]]:
    """The headers every response carries (``no-store`` too, except for static files)."""
    extra = list(_SECURITY_HEADERS)
    if not path.startswith("/static/"):
        extra.append((b"cache-control", b"no-store"))
    return extra


class SecurityHeadersMiddleware:
    """Add the security headers to every response, and ``no-store`` to all but static files.

    Wraps the whole application (outside Starlette's own error handling), so that 404s, 405s,
    400s and 500s carry the headers too. An exception that escapes the application is logged
    once (with its traceback, on ``logger``) and, if no response was started, answered with a
    plain 500 that shows nothing of it.
    """

    def __init__(self, app: ASGIApp, logger: logging.Logger | None = None) -> None:
        self.app = app
        self.logger = logger or logging.getLogger("screener.web")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                extra = [(k, v) for k, v in security_headers(path) if k not in present]
                message = {**message, "headers": headers + extra}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            self.logger.exception(
                "unexpected error in %s %s", scope.get("method", "-"), redact_path(path)
            )
            if not started:
                await _send_json(send_with_headers, 500, {"detail": "internal server error"})


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
