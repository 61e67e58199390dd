"""Running the web app under uvicorn, as ``screener serve`` does.

- uvicorn's access log is off (it would log candidate tokens in paths); the app's own access log
  (``screener.web.access``) and its warnings and errors (``screener.web``: failed sign-ins
  backing off, a database that cannot save) go to standard error.
- :class:`SecureH11Protocol`: uvicorn answers a request it cannot parse itself, before the app
  sees it; this protocol gives that 400 the same security headers as every other response.
"""

from __future__ import annotations

import copy
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

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


def run(config: WebConfig, host: str, port: int) -> None:
    """Serve the app built from ``config`` on ``host:port`` until interrupted."""
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        http=SecureH11Protocol,
        access_log=False,  # it would log candidate tokens in paths; ours redacts them
        log_config=log_config(),
        server_header=False,
        timeout_graceful_shutdown=5,
    )


__all__ = ["SecureH11Protocol", "log_config", "run"]
