"""``screener serve`` as a real process: first start, restart after kill -9, CLI errors."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from agent import Interview, MissingDependencyError, Report, UserError
from agent.cli import app
from agent.web import WebConfig, provision_manager_token

from .helpers import (
    MANAGER_TOKEN,
    PROBE_ANSWER,
    STRONG,
    ServerProcess,
    confirm_notice,
    free_port,
    serve_env,
)

CORE = ["regression-suite", "hallucination-debug", "before-after"]


def _answer_for(view: dict[str, object], n: int) -> str:
    base = PROBE_ANSWER if view["kind"] == "probe" else STRONG
    return f"[answer {n}] {base}"


@pytest.mark.slow
def test_killed_server_loses_no_answer_and_the_session_continues(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "data" / "sessions.sqlite"
    env = serve_env(cli_env)
    sent: list[tuple[str, str]] = []
    with ServerProcess(screener_exe, db, env) as first:
        manager_token = first.printed_token()
        assert manager_token and len(manager_token) >= 43
        manager = {"Authorization": f"Bearer {manager_token}"}
        with httpx.Client(base_url=first.url, timeout=10) as http:
            created = http.post(
                "/api/sessions",
                json={"question_ids": CORE, "candidate_label": "Kill -9"},
                headers=manager,
            ).json()
            token, sid = created["candidate_token"], created["session_id"]
            confirm_notice(http, token, manager)
            view = http.get(f"/api/interview/{token}").json()
            for n in range(2):
                text = _answer_for(view, n)
                sent.append((view["message"], text))
                response = http.post(f"/api/interview/{token}/answer", json={"answer": text})
                assert response.status_code == 200
                view = response.json()
        first.kill()
    assert first.proc.returncode == -signal.SIGKILL

    with ServerProcess(screener_exe, db, env) as second:
        assert second.printed_token() is None  # printed once, on the first start only
        with httpx.Client(base_url=second.url, timeout=10) as http:
            resumed = http.get(f"/api/interview/{token}").json()
            assert resumed == view  # the same message and progress as before the kill
            listed = http.get("/api/sessions", headers=manager).json()["sessions"]
            assert [(s["session_id"], s["status"]) for s in listed] == [(sid, "in_progress")]
            n = len(sent)
            while view["status"] != "done":
                assert n < 12
                text = _answer_for(view, n)
                sent.append((view["message"], text))
                view = http.post(f"/api/interview/{token}/answer", json={"answer": text}).json()
                n += 1
            report = Report.model_validate(
                http.get(f"/api/sessions/{sid}/report", headers=manager).json()
            )
            done = http.get("/api/sessions", headers=manager).json()["sessions"][0]
    assert [(t.prompt, t.answer) for t in report.transcript] == sent
    assert {q.question_id for q in report.questions} == set(CORE)
    assert report.status == "complete" and done["status"] == "done"
    assert done["overall"] == report.overall
    logs = first.stderr + second.stderr
    assert "/api/interview/[token]/answer" in logs
    assert token not in logs and manager_token not in logs


@pytest.mark.slow
def test_the_environment_token_is_used_and_nothing_is_printed(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = serve_env(cli_env, MANAGER_TOKEN)
    with ServerProcess(screener_exe, tmp_path / "env" / "s.sqlite", env) as server:
        assert server.printed_token() is None
        assert MANAGER_TOKEN not in server.stdout + server.stderr
        ok = httpx.get(
            server.url + "/api/sessions", headers={"Authorization": f"Bearer {MANAGER_TOKEN}"}
        )
        wrong = httpx.get(server.url + "/api/sessions", headers={"Authorization": "Bearer nope"})
        assert (ok.status_code, wrong.status_code) == (200, 403)
        assert re.search(r"manager sign-in at http://127\.0\.0\.1:\d+/manage", server.stderr)


def test_first_start_generates_a_token_once_and_rotation_replaces_it(tmp_path: Path) -> None:
    config = WebConfig(db_path=tmp_path / "s.sqlite")
    token = provision_manager_token(config)
    assert token and len(token) >= 43
    assert provision_manager_token(config) is None
    rotated = provision_manager_token(config, rotate=True)
    assert rotated and rotated != token
    with_env = WebConfig(db_path=tmp_path / "s.sqlite", manager_token=MANAGER_TOKEN)
    assert provision_manager_token(with_env) is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--database-url", "mysql://u:pw@x/db"],
            "unsupported --database-url 'mysql://u:***@x/db'",
        ),
        (["--database-url", "sqlite://relative.sqlite"], "unsupported --database-url"),
        (["--db", "a.sqlite", "--database-url", "sqlite:///b.sqlite"], "not both"),
    ],
)
def test_serve_refuses_bad_database_options(args: list[str], message: str) -> None:
    result = CliRunner().invoke(app, ["serve", *args])
    assert isinstance(result.exception, UserError)
    assert message in str(result.exception)


def test_a_missing_postgres_extra_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for module in ("psycopg", "psycopg_pool", "langgraph.checkpoint.postgres"):
        monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    url = "postgresql://screener:pw@127.0.0.1:5432/screener"
    result = CliRunner().invoke(app, ["serve", "--database-url", url])
    assert isinstance(result.exception, MissingDependencyError)
    assert result.exception.extra == "postgres"
    message = str(result.exception)
    assert "\n" not in message and "pip install 'screening-agent[postgres]'" in message
    with pytest.raises(MissingDependencyError), Interview.open_url(url):
        pass


def test_an_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    pytest.importorskip("psycopg")
    url = f"postgresql://screener:hunter2-secret@127.0.0.1:{free_port()}/screener"
    result = CliRunner().invoke(app, ["serve", "--database-url", url])
    assert isinstance(result.exception, UserError)
    message = str(result.exception)
    assert message.startswith("cannot connect to postgresql://screener:***@127.0.0.1:")
    assert "hunter2" not in message and "\n" not in message


def test_serve_refuses_a_short_environment_token(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SCREENER_MANAGER_TOKEN", "too-short")
    result = CliRunner().invoke(app, ["serve", "--db", str(tmp_path / "s.sqlite")])
    assert isinstance(result.exception, UserError)
    assert "at least 32 characters" in str(result.exception)


@pytest.mark.slow
def test_a_busy_port_stops_the_start_before_any_token_is_made(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "busy" / "s.sqlite"
    env = serve_env(cli_env)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        refused = subprocess.run(
            [screener_exe, "serve", "--host", "127.0.0.1", "--port", str(port), "--db", str(db)],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
    assert refused.returncode == 2
    assert refused.stdout == "", "no token printed"
    assert refused.stderr.strip() == (
        f"screener: error: cannot listen on 127.0.0.1:{port}: the port is in use (another "
        "server?); choose another --port"
    )
    assert provision_manager_token(WebConfig(db_path=db), rotate=False) is not None, (
        "the failed start stored no token hash, so a token can still be made"
    )


@pytest.mark.slow
def test_after_a_failed_start_the_next_start_prints_the_token(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "again" / "s.sqlite"
    env = serve_env(cli_env)
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        argv = [screener_exe, "serve", "--port", str(port), "--db", str(db)]
        assert subprocess.run(argv, capture_output=True, env=env, timeout=60).returncode == 2
    with ServerProcess(screener_exe, db, env) as server:
        token = server.printed_token()
        assert token and len(token) >= 43
        ok = httpx.get(server.url + "/api/sessions", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
