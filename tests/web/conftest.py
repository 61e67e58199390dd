"""Fixtures of the web tests: the app under FastAPI's TestClient, signed in or not."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.web import WebConfig, create_app

from .helpers import MANAGER, MANAGER_TOKEN


@pytest.fixture
def web_config(tmp_path: Path) -> WebConfig:
    return WebConfig(
        db_path=tmp_path / "web" / "sessions.sqlite", manager_token=MANAGER_TOKEN, stream_delay=0
    )


@pytest.fixture
def make_client(web_config: WebConfig) -> Iterator[Callable[..., TestClient]]:
    """Open a TestClient (lifespan started) on the app built from ``web_config`` + overrides."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        config = WebConfig(**{**web_config.__dict__, **overrides})
        client = TestClient(create_app(config))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: Callable[..., TestClient]) -> TestClient:
    return make_client()


@pytest.fixture
def manager() -> dict[str, str]:
    """Headers of an API call made with the manager token."""
    return dict(MANAGER)
