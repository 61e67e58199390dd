"""Fixtures of the web tests: the app under FastAPI's TestClient, signed in or not; and a
throwaway PostgreSQL server for the multi-instance tests (skipped where PostgreSQL is missing)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from agent.web import WebConfig, create_app

from .helpers import MANAGER, MANAGER_TOKEN
from .pgcluster import Cluster, find_bindir, run_as


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


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """A PostgreSQL server for this test run (initdb in a temporary directory, loopback only)."""
    pytest.importorskip(
        "psycopg", reason="the postgres extra is not installed: pip install -e '.[postgres]'"
    )
    bindir = find_bindir()
    if bindir is None:
        pytest.skip(
            "PostgreSQL is not installed (no initdb/pg_ctl on PATH or in "
            "/usr/lib/postgresql/*/bin); on Debian: apt-get install postgresql"
        )
    how = run_as()
    if isinstance(how, str):
        pytest.skip(how)
    cluster = Cluster(bindir, *how)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: Cluster) -> str:
    """The URL of a new, empty database (with a password in it) for one test."""
    return postgres_cluster.new_database()
