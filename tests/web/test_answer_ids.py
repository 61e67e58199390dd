"""A client-generated answer id makes re-sending an answer safe: recorded once, whatever happened
to the first reply, across restarts and instances."""

from __future__ import annotations

import signal
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from agent import Interview

from .helpers import (
    MANAGER,
    MANAGER_TOKEN,
    STRONG,
    ServerProcess,
    app_server,
    confirm_notice,
    create,
    serve_env,
)

CORE = ["regression-suite", "hallucination-debug", "before-after"]


def answers(client: TestClient, session_id: str) -> list[str]:
    """Every answer recorded in the session, in order (ending it first for its report)."""
    client.post(f"/api/sessions/{session_id}/end", headers=MANAGER)
    report = client.get(f"/api/sessions/{session_id}/report", headers=MANAGER)
    assert report.status_code == 200, report.text
    return [turn["answer"] for turn in report.json()["transcript"]]


def test_the_same_answer_id_twice_records_the_answer_once(client: TestClient) -> None:
    created = create(client, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    body = {"answer": STRONG, "answer_id": str(uuid.uuid4())}
    first = client.post(f"/api/interview/{token}/answer", json=body)
    again = client.post(f"/api/interview/{token}/answer", json=body)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()  # the recorded result, not the next question's
    second = {"answer": f"[2] {STRONG}", "answer_id": str(uuid.uuid4())}
    assert client.post(f"/api/interview/{token}/answer", json=second).status_code == 200
    assert answers(client, sid) == [STRONG, f"[2] {STRONG}"]


def test_answers_without_an_id_are_each_recorded(client: TestClient) -> None:
    created = create(client, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    for _ in range(2):
        assert client.post(f"/api/interview/{token}/answer", json={"answer": STRONG}).status_code
    assert answers(client, sid) == [STRONG, STRONG]


def test_a_repeat_of_the_last_answer_returns_the_end_not_409(client: TestClient) -> None:
    created = create(client, question_ids=CORE[:1])
    token, sid = created["candidate_token"], created["session_id"]
    view = client.get(f"/api/interview/{token}").json()
    sent = []
    while view["status"] != "done":
        body = {"answer": STRONG, "answer_id": uuid.uuid4().hex}
        sent.append(body)
        view = client.post(f"/api/interview/{token}/answer", json=body).json()
    repeat = client.post(f"/api/interview/{token}/answer", json=sent[-1])
    assert repeat.status_code == 200 and repeat.json()["status"] == "done"
    new = client.post(f"/api/interview/{token}/answer", json={"answer": "x", "answer_id": "z" * 9})
    assert new.status_code == 409  # a new answer after the end is still refused
    assert answers(client, sid) == [b["answer"] for b in sent]  # each recorded once


@pytest.mark.parametrize("bad", ["short", "x" * 65, "has space1", "emoji-\u2603-xx", 12345678])
def test_answer_ids_must_look_like_ids(client: TestClient, bad: Any) -> None:
    token = create(client)["candidate_token"]
    response = client.post(f"/api/interview/{token}/answer", json={"answer": "a", "answer_id": bad})
    assert response.status_code == 422
    assert client.get(f"/api/interview/{token}").json()["progress"]["answered"] == 0


def test_a_reply_lost_after_the_save_then_a_resend_records_once(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = create(client, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    service = client.app.state.web.service  # type: ignore[attr-defined]
    real = service.submit_answer

    def saved_then_failed(*args: Any) -> Any:
        real(*args)  # the answer is on disk
        raise RuntimeError("the server died before it replied")

    body = {"answer": STRONG, "answer_id": str(uuid.uuid4())}
    with monkeypatch.context() as patch:
        patch.setattr(service, "submit_answer", saved_then_failed)
        lost = client.post(f"/api/interview/{token}/answer", json=body)
    assert lost.status_code == 500 and "RuntimeError" not in lost.text
    resent = client.post(f"/api/interview/{token}/answer", json=body)
    assert resent.status_code == 200
    assert resent.json()["progress"]["answered"] == 1
    assert answers(client, sid) == [STRONG]


def test_the_answer_id_survives_a_restart(make_client: Callable[..., TestClient]) -> None:
    first = make_client()
    created = create(first, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    body = {"answer": STRONG, "answer_id": "restart-0001"}
    view = first.post(f"/api/interview/{token}/answer", json=body).json()
    first.__exit__(None, None, None)  # the server stops; a new one opens the same files
    second = make_client()
    assert second.post(f"/api/interview/{token}/answer", json=body).json() == view
    assert answers(second, sid) == [STRONG]


def test_the_id_is_saved_with_the_answer_in_the_checkpoint(tmp_path: Path) -> None:
    with Interview.open(tmp_path / "s.sqlite") as interview:
        step = interview.start(question_ids=CORE[:2], max_followups=0)
        after = interview.answer(step.session_id, STRONG, answer_id="in-the-checkpoint")
        assert interview.answer_ids(step.session_id) == {"in-the-checkpoint": 0}
        assert interview.answer(step.session_id, "other", answer_id="in-the-checkpoint") == after
        assert [t.answer for t in interview.transcript(step.session_id)] == [STRONG]


# --- the server process killed between the save and the reply ------------------------------------


@pytest.mark.slow
def test_a_server_killed_between_save_and_reply_records_the_resent_answer_once(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "kill" / "sessions.sqlite"
    marker = tmp_path / "kill" / "saved"
    body = {"answer": STRONG, "answer_id": str(uuid.uuid4())}
    with app_server(db, cli_env, hang_after_save=marker) as dying:
        with httpx.Client(base_url=dying.url, timeout=30) as http:
            created = http.post(
                "/api/sessions", json={"question_ids": CORE}, headers=MANAGER
            ).json()
            token, sid = created["candidate_token"], created["session_id"]
            confirm_notice(http, token)
            outcome: dict[str, object] = {}

            def send() -> None:
                try:
                    outcome["status"] = http.post(
                        f"/api/interview/{token}/answer", json=body
                    ).status_code
                except httpx.TransportError as exc:
                    outcome["error"] = type(exc).__name__

            sender = threading.Thread(target=send)
            sender.start()
            deadline = time.monotonic() + 30
            while not marker.exists():  # the answer is saved; the reply is not sent yet
                assert time.monotonic() < deadline, dying.stderr
                time.sleep(0.02)
            dying.kill()
            sender.join(timeout=30)
    assert dying.proc.returncode == -signal.SIGKILL
    assert "status" not in outcome and outcome.get("error")  # the reply never arrived
    # The candidate's page sends the same answer, with the same id, to the restarted server.
    with ServerProcess(screener_exe, db, serve_env(cli_env, MANAGER_TOKEN)) as restarted:
        with httpx.Client(base_url=restarted.url, timeout=30) as http:
            resent = http.post(f"/api/interview/{token}/answer", json=body)
            assert resent.status_code == 200, resent.text
            view = resent.json()
            assert view["progress"]["answered"] == 1 and view["question"] == 2
            http.post(f"/api/sessions/{sid}/end", headers=MANAGER)
            report = http.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    assert [turn["answer"] for turn in report["transcript"]] == [STRONG]


@pytest.mark.slow
def test_a_server_that_fails_after_the_save_answers_500_with_headers_and_a_resend_is_once(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "fail" / "sessions.sqlite"
    body = {"answer": STRONG, "answer_id": "fails-after-save"}
    with app_server(db, cli_env, fail_after_save=True) as server:
        with httpx.Client(base_url=server.url, timeout=30, headers=MANAGER) as http:
            created = http.post("/api/sessions", json={"question_ids": CORE}).json()
            token = created["candidate_token"]
            confirm_notice(http, token)
            failed = http.post(f"/api/interview/{token}/answer", json=body)
            assert failed.status_code == 500
            assert failed.headers["x-frame-options"] == "DENY"
            assert "content-security-policy" in failed.headers
            assert "Traceback" not in failed.text and "RuntimeError" not in failed.text
            # The candidate sends it again: the server knows the id and records nothing new.
            again = http.post(f"/api/interview/{token}/answer", json=body)
            assert again.status_code == 500  # this server fails every reply after a save ...
            view = http.get(f"/api/interview/{token}").json()
    assert view["progress"]["answered"] == 1 and view["question"] == 2  # ... but saved once
    assert server.stderr.count("Traceback") == 2  # one logged traceback per failure
    assert MANAGER_TOKEN not in server.stderr and token not in server.stderr


# --- two instances on PostgreSQL ------------------------------------------------------------------


def test_a_resend_to_another_instance_records_once(postgres_url: str) -> None:
    from agent.web import WebConfig, create_app

    def instance() -> TestClient:
        config = WebConfig(database_url=postgres_url, manager_token=MANAGER_TOKEN, stream_delay=0)
        return TestClient(create_app(config))

    with instance() as a, instance() as b:
        created = create(a, question_ids=CORE)
        token, sid = created["candidate_token"], created["session_id"]
        body = {"answer": STRONG, "answer_id": str(uuid.uuid4())}
        view = a.post(f"/api/interview/{token}/answer", json=body).json()
        assert b.post(f"/api/interview/{token}/answer", json=body).json() == view
        assert answers(b, sid) == [STRONG]
