"""Helpers for the web tests: scripted answers and a real ``screener serve`` subprocess."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

#: A random manager token (made by secrets.token_urlsafe(32)) for tests that pass one in.
MANAGER_TOKEN = "7J5UmcSJI-s_go2x5bRnef2RFcCyYEG9Bo08GJJyanE"
#: Headers of a manager API call.
MANAGER = {"Authorization": f"Bearer {MANAGER_TOKEN}"}

#: Answers with concrete, measured evidence (the offline grader scores them well).
STRONG = (
    "I wrote a regression suite of 180 cases for our refund assistant, pulled from production "
    "logs and labelled by me and two support leads. It runs in GitHub Actions on every pull "
    "request and blocks the merge if the pass rate drops more than 2 points below the baseline. "
    "It caught a prompt change that dropped refund accuracy from 93% to 78% on 35 cases."
)
PROBE_ANSWER = (
    "I owned that experiment: a 50/50 A/B against the old prompt as control on the same 300 "
    "cases; the pass rate went from 72% to 88% while p95 latency rose from 1.9 s to 2.3 s."
)
#: A fluent answer with no measured evidence (it draws a follow-up probe).
TOURIST = (
    "Testing is super important to me and our team always follows best practices. We leveraged "
    "a robust, comprehensive evaluation approach with LLM judges, and quality improved a lot."
)
#: A concrete answer to "Walk me through a hallucination you debugged."
HALLUCINATION = (
    "A customer was told by our billing bot that annual plans could be paused, which is false. "
    "I traced the request in our logs and saw retrieval returning an old FAQ chunk. I added a "
    "freshness filter on the index and made the prompt cite a retrieved chunk or abstain. On 150 "
    "billing questions labelled by support, unsupported answers went from 11% to 3%."
)
#: Candidate text that would run script if it were ever put on a page unescaped.
XSS_SCRIPT = "<script>window.__pwned = 1; alert('xss')</script>"
XSS_IMG = '<img src=x onerror="window.__pwned = 1; alert(1)">'


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """``screener serve`` on a free loopback port, with stdout and stderr in files.

    Its data is the SQLite file ``db``, or the database ``database_url`` (then ``db`` only
    places the log files). With ``wait=False`` call :meth:`wait_ready` before using it.
    ``argv`` (given the port) replaces the ``screener serve`` command line (see
    :func:`app_server`).
    """

    def __init__(
        self,
        exe: str,
        db: Path,
        env: dict[str, str],
        *extra: str,
        database_url: str | None = None,
        wait: bool = True,
        argv: Callable[[int], list[str]] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = db
        db.parent.mkdir(parents=True, exist_ok=True)
        logs = db.parent / f"serve-{self.port}"
        self.stdout_path, self.stderr_path = logs.with_suffix(".out"), logs.with_suffix(".err")
        data = ["--database-url", database_url] if database_url else ["--db", str(db)]
        command = (
            argv(self.port)
            if argv is not None
            else [exe, "serve", "--host", "127.0.0.1", "--port", str(self.port), *data, *extra]
        )
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.proc = subprocess.Popen(
                command,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                env=env,
            )
        if wait:
            self.wait_ready()

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Return once ``/healthz`` answers; fail if the process exits or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"screener serve exited {self.proc.returncode}: {self.stderr}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise AssertionError(f"screener serve did not start: {self.stderr}")

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8", errors="replace")

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def printed_token(self) -> str | None:
        """The manager token the server printed on its first start, if it printed one."""
        lines = self.stdout.splitlines()
        for index, line in enumerate(lines):
            if line.startswith("Manager token") and index + 1 < len(lines):
                return lines[index + 1].strip()
        return None

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not stop."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def app_server(
    db: Path,
    env: dict[str, str],
    *,
    hang_after_save: Path | None = None,
    fail_after_save: bool = False,
    **settings: Any,
) -> ServerProcess:
    """The app under uvicorn as ``screener serve`` runs it (``agent.web.server.run``), with
    ``WebConfig`` settings (the SQLite file ``db``, the test manager token) and test faults:
    see ``appserver.py``."""
    config = {"db_path": str(db), "manager_token": MANAGER_TOKEN, **settings}
    script = str(Path(__file__).with_name("appserver.py"))

    def argv(port: int) -> list[str]:
        command = [sys.executable, script, "--port", str(port), "--config", json.dumps(config)]
        if hang_after_save:
            command += ["--hang-after-save", str(hang_after_save)]
        if fail_after_save:
            command.append("--fail-after-save")
        return command

    return ServerProcess("", db, env, argv=argv)


def serve_env(base: dict[str, str], manager_token: str | None = None) -> dict[str, str]:
    """The environment for a server subprocess, with or without a manager token."""
    env = {k: v for k, v in base.items() if k != "SCREENER_MANAGER_TOKEN"}
    if manager_token:
        env["SCREENER_MANAGER_TOKEN"] = manager_token
    return env


def create(client: TestClient, *, consent: bool = True, **body: Any) -> dict[str, Any]:
    """Create a session as the manager; return the creation response. With ``consent`` the
    candidate confirms the notice at once, as the page's Start button does."""
    response = client.post("/api/sessions", json=body, headers=MANAGER)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    if consent:
        confirm_notice(client, created["candidate_token"])
    return created


def confirm_notice(client: Any, token: str, manager: dict[str, str] | None = None) -> None:
    """Confirm the notice for ``token`` as the candidate's Start button does (``client``: a
    TestClient or an httpx client of a running server; ``manager``: its manager headers)."""
    version = client.get("/api/notice", headers=manager or MANAGER).json()["version"]
    response = client.post(f"/api/interview/{token}/consent", json={"notice_version": version})
    assert response.status_code == 200, response.text


def sign_in(client: TestClient) -> str:
    """Sign ``client`` in through the login form; return the page's CSRF token."""
    form = client.get("/manage/login")
    assert form.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert match, form.text
    response = client.post(
        "/manage/login",
        data={"token": MANAGER_TOKEN, "csrf_token": match.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    dashboard = client.get("/manage")
    assert dashboard.status_code == 200
    meta = re.search(r'<meta name="csrf-token" content="([^"]+)">', dashboard.text)
    assert meta, dashboard.text
    return meta.group(1)


def finish(client: TestClient, token: str, answer: str = STRONG, limit: int = 20) -> list[str]:
    """Answer every prompt of the interview behind ``token``; return the prompts answered."""
    prompts: list[str] = []
    view = client.get(f"/api/interview/{token}").json()
    if view.get("notice_version"):  # as the page's Start button does first
        confirm_notice(client, token)
    while view["status"] != "done":
        assert len(prompts) < limit, "the interview did not end"
        prompts.append(view["message"])
        text = PROBE_ANSWER if view["kind"] == "probe" else answer
        response = client.post(f"/api/interview/{token}/answer", json={"answer": text})
        assert response.status_code == 200, response.text
        view = response.json()
    return prompts
