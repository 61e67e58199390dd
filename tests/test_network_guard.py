"""The suite-wide network guard from conftest: outside connections fail, loopback works."""

from __future__ import annotations

import socket
import urllib.request

import pytest
from conftest import NetworkBlockedError


def test_outside_connection_is_blocked() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        with pytest.raises(NetworkBlockedError):
            sock.connect(("93.184.216.34", 80))
    with pytest.raises(NetworkBlockedError):
        socket.create_connection(("203.0.113.7", 443), timeout=1)


def test_http_client_is_blocked() -> None:
    with pytest.raises(Exception) as info:
        urllib.request.urlopen("http://203.0.113.7/", timeout=1)
    # urllib wraps the error; the guard's message must be the cause.
    assert "network access blocked" in str(info.value)


def test_loopback_is_allowed() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2) as client:
            conn, _ = server.accept()
            with conn:
                client.sendall(b"ping")
                assert conn.recv(4) == b"ping"


def test_unix_socket_is_allowed() -> None:
    left, right = socket.socketpair()
    with left, right:
        left.sendall(b"ok")
        assert right.recv(2) == b"ok"
