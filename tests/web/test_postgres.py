"""Several server instances on one PostgreSQL database (``--database-url postgresql://...``).

Runs against a throwaway cluster (see ``pgcluster.py``); skipped where PostgreSQL is missing.
In-process tests open two apps on one database (two ``create_app``, as two instances behind a
load balancer would be); the slow test runs two real ``screener serve`` processes and kills one.
"""

from __future__ import annotations

import random
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from agent import Interview, Report, render_markdown
from agent._database import redact_url
from agent.grading.offline import OfflineGrader
from agent.web import WebConfig, create_app, provision_manager_token

from .helpers import (
    MANAGER,
    MANAGER_TOKEN,
    PROBE_ANSWER,
    STRONG,
    ServerProcess,
    confirm_notice,
    create,
    finish,
    serve_env,
    sign_in,
)

CORE = ["regression-suite", "hallucination-debug", "before-after"]


@pytest.fixture
def apps(postgres_url: str) -> Iterator[Callable[..., TestClient]]:
    """Open app instances on the test's PostgreSQL database (``manager_token`` etc. overridable)."""
    clients: list[TestClient] = []

    def make(**overrides: Any) -> TestClient:
        settings: dict[str, Any] = {
            "database_url": postgres_url,
            "manager_token": MANAGER_TOKEN,
            "stream_delay": 0,
            **overrides,
        }
        client = TestClient(create_app(WebConfig(**settings)))
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in reversed(clients):
        client.__exit__(None, None, None)


def _query(url: str, sql: str, *params: object) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def _answer(view: dict[str, Any], n: int) -> str:
    return f"[answer {n}] " + (PROBE_ANSWER if view["kind"] == "probe" else STRONG)


# --- one instance: the whole API flow ------------------------------------------------------


def test_the_api_flow_on_postgres(apps: Callable[..., TestClient], postgres_url: str) -> None:
    client = apps()
    created = create(client, question_ids=CORE[:2], candidate_label="Grace")
    token, sid = created["candidate_token"], created["session_id"]
    prompts = finish(client, token)
    report = Report.model_validate(
        client.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    )
    assert report.status == "complete" and [t.prompt for t in report.transcript] == prompts
    assert {q.question_id for q in report.questions} == set(CORE[:2])
    markdown = client.get(f"/api/sessions/{sid}/report.md", headers=MANAGER)
    assert markdown.text == render_markdown(report) + "\n"
    (row,) = client.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert (row["session_id"], row["candidate_label"], row["status"]) == (sid, "Grace", "done")
    assert row["overall"] == report.overall and row["answered"] == 2  # double precision

    # Only the token's hash is stored, in any table.
    dump = _query(postgres_url, "SELECT string_agg(t::text, ' ') FROM sessions t")[0][0]
    assert token not in dump and sid in dump
    # Deleting erases the checkpoints too.
    checkpoints = "SELECT count(*) FROM checkpoints WHERE thread_id = %s"
    assert _query(postgres_url, checkpoints, sid)[0][0] > 0
    assert client.delete(f"/api/sessions/{sid}", headers=MANAGER).status_code == 204
    for table in ("checkpoints", "checkpoint_writes", "checkpoint_blobs"):
        assert _query(postgres_url, f"SELECT count(*) FROM {table} WHERE thread_id = %s", sid) == [
            (0,)
        ]
    assert client.get(f"/api/interview/{token}").status_code == 404


# --- two instances on one database -----------------------------------------------------------


def test_a_session_started_on_one_instance_is_answered_on_the_other(
    apps: Callable[..., TestClient],
) -> None:
    a, b = apps(), apps()
    created = create(a, question_ids=CORE, candidate_label="Two servers")
    token, sid = created["candidate_token"], created["session_id"]
    sent: list[tuple[str, str]] = []
    view = b.get(f"/api/interview/{token}").json()
    n = 0
    while view["status"] != "done":
        assert n < 12
        server = (a, b)[n % 2]  # the load balancer alternates
        text = _answer(view, n)
        sent.append((view["message"], text))
        response = server.post(f"/api/interview/{token}/answer", json={"answer": text})
        assert response.status_code == 200, response.text
        view = response.json()
        assert view == (b, a)[n % 2].get(f"/api/interview/{token}").json()
        n += 1
    report = Report.model_validate(b.get(f"/api/sessions/{sid}/report", headers=MANAGER).json())
    assert [(t.prompt, t.answer) for t in report.transcript] == sent
    assert report.status == "complete" and {q.question_id for q in report.questions} == set(CORE)
    (row,) = a.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert row["status"] == "done" and row["overall"] == report.overall


def test_rate_limits_deletions_and_sign_ins_are_shared(apps: Callable[..., TestClient]) -> None:
    a, b = apps(), apps()
    # The answer rate limit counts answers to every instance: 10 a minute per token in all.
    token = create(a, question_ids=CORE[:1])["candidate_token"]
    statuses = [
        (a, b)[i % 2].post(f"/api/interview/{token}/answer", json={"answer": "we tested"})
        for i in range(10)
    ]
    assert {r.status_code for r in statuses} <= {200, 409} and statuses[0].status_code == 200
    for server in (a, b):
        refused = server.post(f"/api/interview/{token}/answer", json={"answer": "again"})
        assert refused.status_code == 429

    # A session deleted through one instance is gone on the other at once, even for a token
    # that instance has served before.
    gone = create(b, question_ids=CORE)
    gone_token = gone["candidate_token"]
    assert a.post(f"/api/interview/{gone_token}/answer", json={"answer": STRONG}).status_code == 200
    assert b.delete(f"/api/sessions/{gone['session_id']}", headers=MANAGER).status_code == 204
    assert a.get(f"/api/interview/{gone_token}").status_code == 404
    assert a.post(f"/api/interview/{gone_token}/answer", json={"answer": "x"}).status_code == 404
    assert a.get(f"/i/{gone_token}").status_code == 404

    # A manager sign-in on one instance works on the other; signing out ends it on both.
    csrf = sign_in(a)
    b.cookies.update(a.cookies)
    assert b.get("/manage", follow_redirects=False).status_code == 200
    out = b.post("/manage/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert a.get("/manage", follow_redirects=False).status_code == 303


def test_a_new_manager_token_takes_effect_on_every_instance(
    apps: Callable[..., TestClient], postgres_url: str
) -> None:
    config = WebConfig(database_url=postgres_url)
    first = provision_manager_token(config)
    assert first and provision_manager_token(config) is None
    a, b = apps(manager_token=None), apps(manager_token=None)
    for server in (a, b):
        ok = server.get("/api/sessions", headers={"Authorization": f"Bearer {first}"})
        assert ok.status_code == 200
    second = provision_manager_token(config, rotate=True)
    for server in (a, b):
        old = server.get("/api/sessions", headers={"Authorization": f"Bearer {first}"})
        new = server.get("/api/sessions", headers={"Authorization": f"Bearer {second}"})
        assert (old.status_code, new.status_code) == (403, 200)


def test_simultaneous_answers_through_two_instances_are_each_recorded_once(
    apps: Callable[..., TestClient],
) -> None:
    a, b, c = apps(), apps(), apps(read_limit=1_000_000)  # c reads as fast as it can
    created = create(a, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    # Four answers at once (a double-clicked "send" routed to two instances, twice) while a third
    # instance reads: each accepted answer is recorded exactly once, none is lost to a forked
    # checkpoint, and the reader never sees the session between two steps (it waits instead).
    start = threading.Barrier(5)
    results: dict[str, int | str] = {}
    read_errors: list[int | str] = []
    reads = [0]
    stop = threading.Event()

    def send(server: TestClient, text: str) -> None:
        start.wait()
        try:
            response = server.post(f"/api/interview/{token}/answer", json={"answer": text})
            results[text] = response.status_code
        except Exception as exc:  # the test client re-raises the server's exceptions
            results[text] = repr(exc)

    def read() -> None:
        start.wait()
        while not stop.is_set():
            try:
                status = c.get(f"/api/interview/{token}?include=history").status_code
            except Exception as exc:
                read_errors.append(repr(exc))
                continue
            reads[0] += 1
            if status != 200:
                read_errors.append(status)

    texts = [f"[concurrent {i}] {STRONG}" for i in range(4)]
    threads = [threading.Thread(target=send, args=((a, b)[i % 2], t)) for i, t in enumerate(texts)]
    reader = threading.Thread(target=read)
    for thread in (*threads, reader):
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    stop.set()
    reader.join(timeout=60)
    assert read_errors == [] and reads[0] > 0
    accepted = [t for t in texts if results.get(t) == 200]
    assert len(accepted) >= 3  # every interview here has at least three prompts
    assert all(results[t] == 409 for t in texts if t not in accepted)  # only after the end
    later = finish(b, token)
    report = Report.model_validate(a.get(f"/api/sessions/{sid}/report", headers=MANAGER).json())
    answers = [t.answer for t in report.transcript]
    assert sorted(answers[: len(accepted)]) == sorted(accepted)  # once each, before the rest
    assert len(answers) == len(accepted) + len(later)


class _FailsOnce(OfflineGrader):
    """Offline grading that raises once, like a process dying halfway through an answer."""

    def __init__(self) -> None:
        super().__init__()
        self.failed = False

    async def grade(self, question: Any, answer: str) -> Any:
        if "[dies here]" in answer and not self.failed:
            self.failed = True
            raise RuntimeError("the process died while grading")
        return await super().grade(question, answer)


def test_an_answer_cut_off_mid_step_is_finished_by_the_other_instance(postgres_url: str) -> None:
    grader = _FailsOnce()
    with (
        Interview.open_url(postgres_url, graders=lambda _: grader) as first,
        Interview.open_url(postgres_url) as second,
    ):
        step = first.start(question_ids=CORE[:2], max_followups=0)
        with pytest.raises(RuntimeError):
            first.answer(step.session_id, f"[dies here] {STRONG}")
        # The answer was checkpointed before grading: the other instance finishes the run.
        resumed = second.current(step.session_id)
        assert (resumed.question_id, resumed.answered) == ("hallucination-debug", 1)
        assert [t.answer for t in second.transcript(step.session_id)] == [f"[dies here] {STRONG}"]
        assert first.current(step.session_id) == resumed


def test_the_password_is_never_shown() -> None:
    url = "postgresql://screener:s3cret-pw@db.internal:5432/screener"
    assert redact_url(url) == "postgresql://screener:***@db.internal:5432/screener"
    assert "s3cret" not in WebConfig(database_url=url).describe()


# --- two real server processes, one killed -----------------------------------------------------


@pytest.mark.slow
def test_two_servers_share_a_database_and_killing_one_loses_no_answer(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path, postgres_url: str
) -> None:
    env = serve_env(cli_env)  # no manager token: the first start generates one, stored hashed
    servers = [
        ServerProcess(
            screener_exe, tmp_path / name / "x", env, database_url=postgres_url, wait=False
        )
        for name in ("a", "b")
    ]  # both start at once: the schema and the manager token are created exactly once
    with servers[0] as a, servers[1] as b:
        a.wait_ready()
        b.wait_ready()
        printed = [t for t in (a.printed_token(), b.printed_token()) if t]
        assert len(printed) == 1
        manager = {"Authorization": f"Bearer {printed[0]}"}
        http_a = httpx.Client(base_url=a.url, timeout=20)
        http_b = httpx.Client(base_url=b.url, timeout=20)
        with http_a, http_b:
            created = http_a.post(
                "/api/sessions",
                json={"question_ids": CORE, "candidate_label": "Kill"},
                headers=manager,
            ).json()
            token, sid = created["candidate_token"], created["session_id"]
            confirm_notice(http_a, token, manager)
            sent: list[tuple[str, str]] = []
            view = http_b.get(f"/api/interview/{token}").json()
            for n, http in enumerate((http_a, http_b)):  # acknowledged by each server
                text = _answer(view, n)
                sent.append((view["message"], text))
                response = http.post(f"/api/interview/{token}/answer", json={"answer": text})
                assert response.status_code == 200
                view = response.json()

            # One more answer to A, and A is killed while the request is in flight (anywhere
            # from before the lock to between checkpoints: the offline grade takes ~20 ms).
            in_flight = (view["message"], _answer(view, 2))

            def post_in_flight() -> None:
                try:
                    http_a.post(f"/api/interview/{token}/answer", json={"answer": in_flight[1]})
                except httpx.TransportError:
                    pass  # the server died before answering

            sender = threading.Thread(target=post_in_flight)
            sender.start()
            time.sleep(random.uniform(0.0, 0.03))
            a.kill()
            sender.join(timeout=20)
            assert a.proc.returncode == -signal.SIGKILL

            # B carries on: the killed answer was either recorded whole or not at all.
            view = http_b.get(f"/api/interview/{token}").json()
            if view["message"] != in_flight[0]:
                sent.append(in_flight)
            n = len(sent)
            while view["status"] != "done":
                assert n < 12
                text = _answer(view, n)
                sent.append((view["message"], text))
                response = http_b.post(f"/api/interview/{token}/answer", json={"answer": text})
                assert response.status_code == 200
                view = response.json()
                n += 1
            report = Report.model_validate(
                http_b.get(f"/api/sessions/{sid}/report", headers=manager).json()
            )
            (row,) = http_b.get("/api/sessions", headers=manager).json()["sessions"]
    assert [(t.prompt, t.answer) for t in report.transcript] == sent
    assert report.status == "complete" and {q.question_id for q in report.questions} == set(CORE)
    assert row["status"] == "done" and row["overall"] == report.overall
    logs = a.stdout + a.stderr + b.stdout + b.stderr
    assert "data in postgresql://screener:***@127.0.0.1:" in logs
    password = urlsplit(postgres_url).password
    assert password and password not in logs
    assert token not in logs and printed[0] not in a.stderr + b.stderr


def test_reviews_decisions_and_links_are_shared_by_two_instances(
    apps: Callable[..., TestClient], postgres_url: str
) -> None:
    first, second = apps(), apps()
    created = create(first, question_ids=CORE[:1], candidate_label="Ada")
    sid, old_token = created["session_id"], created["candidate_token"]
    finish(second, old_token)
    report = second.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    grader = report["questions"][0]["verdict"]["score"]
    mine = 1 if grader != 1 else 2
    body = {"question_id": CORE[0], "overall": mine, "reason": "checked", "reviewer": "al"}
    assert first.post(f"/api/sessions/{sid}/reviews", json=body, headers=MANAGER).status_code == 200
    decided = second.post(
        f"/api/sessions/{sid}/decision",
        json={"decision": "hold", "reviewer": "bo"},
        headers=MANAGER,
    )
    assert decided.status_code == 200
    seen = first.get(f"/api/sessions/{sid}/review", headers=MANAGER).json()
    assert [(e["item"], e["human"]) for e in seen["current"]] == [("overall", mine)]
    assert seen["decision"]["reviewer"] == "bo"
    (row,) = first.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert row["decision"] == "hold"
    # a link re-issued on one instance stops the old one on the other at once
    new = second.post(f"/api/sessions/{sid}/link", json={}, headers=MANAGER).json()
    assert first.get(f"/api/interview/{old_token}").status_code == 404
    assert first.get(f"/api/interview/{new['candidate_token']}").status_code == 200
    actions = [r[0] for r in _query(postgres_url, "SELECT action FROM audit_log ORDER BY rowid")]
    assert actions == [
        "link-created",
        "consented",
        "graded",
        "review",
        "decision",
        "link-reissued",
    ]


def test_bulk_links_signals_and_comparison_on_postgres(
    apps: Callable[..., TestClient], postgres_url: str
) -> None:
    first, second = apps(), apps()
    made = first.post(
        "/api/sessions/bulk",
        json={"csv": "candidate_label,questions\nAda,1\nGrace,1\n"},
        headers=MANAGER,
    )
    assert made.status_code == 200, made.text
    urls = [line.split(",")[3] for line in made.text.splitlines()[1:]]
    tokens = [u.rsplit("/", 1)[1] for u in urls]
    for k, token in enumerate(tokens):
        confirm_notice(second, token)
        body = {
            "answer": STRONG,
            "answer_id": f"b{k:031d}",
            "signals": {"first_key_ms": 1000, "submit_ms": 61_000, "focus_changes": 1},
        }
        assert second.post(f"/api/interview/{token}/answer", json=body).status_code == 200
        finish(second, token)
    rows = _query(postgres_url, "SELECT session_id, turn, submit_ms FROM answer_signals")
    assert sorted(r[1:] for r in rows) == [(0, 61_000), (0, 61_000)]
    ids = [r["session_id"] for r in first.get("/api/sessions", headers=MANAGER).json()["sessions"]]
    sign_in(first)
    page = first.get(f"/manage/compare?ids={ids[0]},{ids[1]}")
    assert page.status_code == 200 and "Ada" in page.text and "Grace" in page.text
    detail = first.get(f"/manage/sessions/{ids[0]}").text
    assert "sent after 1 min 1 s" in detail
