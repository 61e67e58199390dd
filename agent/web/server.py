"""Running the web app under uvicorn, as ``screener serve`` does.

- uvicorn's access log is off (it would log candidate tokens in paths); the app's own access log
  (``screener.web.access``) and its warnings and errors (``screener.web``: failed sign-ins
  backing off, a database that cannot save) go to standard error.
- :class:`SecureH11Protocol`: uvicorn answers a request it cannot parse itself, before the app
  sees it; this protocol gives that 400 the same security headers as every other response.
"""

from __future__ import annotations

import copy
import errno
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .._errors import UserError
from .app import create_app
from .config import WebConfig
from .security import security_headers


class SecureH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol whose own 400 (malformed request) has the security headers."""

    def send_400_response(self, msg: str) -> None:
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"connection", b"close"),
            *security_headers(),
        ]
        body = msg.encode("ascii", "replace")
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event))
        self.transport.close()


def log_config(base: dict[str, Any] | None = None) -> dict[str, Any]:
    """uvicorn's logging config plus the app's loggers (access log, warnings) on stderr."""
    config = copy.deepcopy(base if base is not None else uvicorn.config.LOGGING_CONFIG)
    for name in ("screener.web", "screener.web.access"):
        config["loggers"][name] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, or one line saying why it cannot be.

    ``screener serve`` binds before it creates or prints anything, so a start that fails here
    (the port is taken, the address is not this machine's) changes nothing.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        reason = (
            "the port is in use (another server?)"
            if exc.errno == errno.EADDRINUSE
            else (exc.strerror or str(exc))
        )
        raise UserError(
            f"cannot listen on {host}:{port}: {reason}; choose another --port"
        ) from None
    sock.set_inheritable(True)
    return sock


def run(config: WebConfig, sock: socket.socket) -> None:
    """Serve the app built from ``config`` on the bound ``sock`` until interrupted."""
    host, port = sock.getsockname()[:2]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host=host,
            port=port,
            http=SecureH11Protocol,
            access_log=False,  # it would log candidate tokens in paths; ours redacts them
            log_config=log_config(),
            server_header=False,
            timeout_graceful_shutdown=5,
        )
    )
    server.run(sockets=[sock])


__all__ = ["SecureH11Protocol", "listen", "log_config", "run"]
