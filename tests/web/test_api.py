"""Every endpoint of the web API, driven through FastAPI's TestClient."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from fastapi.testclient import TestClient

from agent import MAX_ANSWER_CHARS, Report, render_markdown
from agent.web import WebConfig
from agent.web.service import CLOSING_MESSAGE

from .helpers import MANAGER, PROBE_ANSWER, STRONG, create, finish

CORE = ["regression-suite", "hallucination-debug"]
VIEW_KEYS = {"status", "message", "progress", "question", "kind", "max_answer_chars"}


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_create_session_returns_token_and_url(client: TestClient) -> None:
    created = create(client, track="ai-engineer", question_ids=CORE, candidate_label="Ada")
    assert set(created) == {"session_id", "candidate_token", "candidate_url", "expires_at"}
    token = created["candidate_token"]
    assert len(token) >= 43
    assert created["candidate_url"] == f"http://testserver/i/{token}"
    view = client.get(f"/api/interview/{token}").json()
    assert view == {
        "status": "in_progress",
        "message": "Show me a regression suite you wrote.",
        "progress": {"answered": 0, "total": 2},
        "question": 1,
        "kind": "question",
        "max_answer_chars": MAX_ANSWER_CHARS,
    }


def test_create_session_defaults_and_count(client: TestClient) -> None:
    default = create(client)
    assert client.get(f"/api/interview/{default['candidate_token']}").json()["progress"] == {
        "answered": 0,
        "total": 3,
    }
    four = create(client, track="ml-engineer", questions=4)
    view = client.get(f"/api/interview/{four['candidate_token']}").json()
    assert view["progress"]["total"] == 4
    listed = {
        s["session_id"]: s for s in client.get("/api/sessions", headers=MANAGER).json()["sessions"]
    }
    assert listed[four["session_id"]]["track"] == "ml-engineer"


def test_public_url_is_the_base_of_candidate_links(make_client: Callable[..., TestClient]) -> None:
    client = make_client(public_url="https://jobs.example.com/screen/")
    created = create(client)
    assert (
        created["candidate_url"]
        == "https://jobs.example.com/screen/i/" + created["candidate_token"]
    )


def test_create_session_rejects_bad_input(client: TestClient) -> None:
    bad = [
        {"track": "astronaut"},
        {"question_ids": ["no-such-question"]},
        {"question_ids": ["regression-suite", "regression-suite"]},
        {"questions": 0},
        {"provider": "nonexistent"},
        {"candidate_label": "x" * 201},
        {"unexpected": 1},
    ]
    for body in bad:
        response = client.post("/api/sessions", json=body, headers=MANAGER)
        assert response.status_code == 422, (body, response.text)
        assert "detail" in response.json()
    assert client.get("/api/sessions", headers=MANAGER).json()["sessions"] == []


def test_api_bodies_must_be_json(client: TestClient) -> None:
    response = client.post(
        "/api/sessions",
        content=b"track=ai-engineer",
        headers={**MANAGER, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    response = client.post(
        "/api/sessions",
        content=b"{not json",
        headers={**MANAGER, "Content-Type": "application/json"},
    )
    assert response.status_code == 400


def test_answer_moves_to_the_next_message(client: TestClient) -> None:
    token = create(client, question_ids=CORE)["candidate_token"]
    response = client.post(
        f"/api/interview/{token}/answer", json={"answer": "we used best practices"}
    )
    assert response.status_code == 200
    view = response.json()
    assert set(view) <= VIEW_KEYS and view["status"] == "in_progress"
    assert view["kind"] == "probe" and view["question"] == 1
    assert view["progress"] == {"answered": 1, "total": 2}
    assert view == client.get(f"/api/interview/{token}").json()


def test_whole_interview_then_report_and_list(client: TestClient) -> None:
    created = create(client, question_ids=CORE, candidate_label="Grace")
    token, sid = created["candidate_token"], created["session_id"]
    prompts = finish(client, token)
    assert prompts[0] == "Show me a regression suite you wrote."
    done = client.get(f"/api/interview/{token}").json()
    assert done["status"] == "done" and done["message"] == CLOSING_MESSAGE
    assert done["progress"] == {"answered": 2, "total": 2}

    report = client.get(f"/api/sessions/{sid}/report", headers=MANAGER)
    assert report.status_code == 200
    assert report.headers["content-type"].startswith("application/json")
    parsed = Report.model_validate(report.json())
    assert parsed.session_id == sid and parsed.status == "complete"
    assert [t.prompt for t in parsed.transcript] == prompts
    assert all(t.answer in (STRONG, PROBE_ANSWER) for t in parsed.transcript)
    assert parsed.overall is not None and parsed.overall >= 3

    download = client.get(f"/api/sessions/{sid}/report?download=1", headers=MANAGER)
    assert download.headers["content-disposition"] == f'attachment; filename="screener-{sid}.json"'
    markdown = client.get(f"/api/sessions/{sid}/report.md", headers=MANAGER)
    assert markdown.status_code == 200
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text == render_markdown(parsed) + "\n"

    sessions = client.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert len(sessions) == 1
    row = sessions[0]
    assert row["session_id"] == sid and row["candidate_label"] == "Grace"
    assert row["status"] == "done" and row["answered"] == 2 and row["total"] == 2
    assert row["overall"] == parsed.overall and row["tourist"] == parsed.tourist.flagged
    assert row["started_at"] <= row["finished_at"]


def test_history_shows_only_the_candidates_own_exchanges(client: TestClient) -> None:
    token = create(client, question_ids=CORE)["candidate_token"]
    client.post(f"/api/interview/{token}/answer", json={"answer": STRONG})
    view = client.get(f"/api/interview/{token}?include=history").json()
    assert view["history"] == [
        {"kind": "question", "prompt": "Show me a regression suite you wrote.", "answer": STRONG}
    ]
    assert set(view) == VIEW_KEYS | {"history"}


def test_answer_after_the_end_is_refused(client: TestClient) -> None:
    token = create(client, question_ids=CORE[:1])["candidate_token"]
    finish(client, token)
    response = client.post(f"/api/interview/{token}/answer", json={"answer": "one more"})
    assert response.status_code == 409


def test_too_long_answer_is_refused_and_nothing_changes(client: TestClient) -> None:
    token = create(client, question_ids=CORE)["candidate_token"]
    before = client.get(f"/api/interview/{token}").json()
    response = client.post(
        f"/api/interview/{token}/answer", json={"answer": "x" * (MAX_ANSWER_CHARS + 1)}
    )
    assert response.status_code == 422
    assert response.json()["max_answer_chars"] == MAX_ANSWER_CHARS
    assert "8,000" in response.json()["detail"]
    assert client.get(f"/api/interview/{token}").json() == before
    exactly = client.post(f"/api/interview/{token}/answer", json={"answer": "y" * MAX_ANSWER_CHARS})
    assert exactly.status_code == 200


def test_answer_body_must_have_an_answer(client: TestClient) -> None:
    token = create(client)["candidate_token"]
    assert client.post(f"/api/interview/{token}/answer", json={}).status_code == 422
    assert client.post(f"/api/interview/{token}/answer", json={"answer": 5}).status_code == 422


def test_stream_sends_the_message_as_server_sent_events(client: TestClient) -> None:
    token = create(client, question_ids=CORE)["candidate_token"]
    with client.stream("GET", f"/api/interview/{token}/stream") as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        if "event" in fields:
            events.append((fields["event"], json.loads(fields["data"])))
    names = [name for name, _ in events]
    assert names[0] == "state" and names[-1] == "done"
    assert names.count("delta") >= 5
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == "Show me a regression suite you wrote."
    assert events[-1][1]["message"] == text
    assert "message" not in events[0][1] and events[0][1]["question"] == 1


def test_stream_of_a_finished_interview_is_the_closing_message(client: TestClient) -> None:
    token = create(client, question_ids=CORE[:1])["candidate_token"]
    finish(client, token)
    with client.stream("GET", f"/api/interview/{token}/stream") as response:
        body = "".join(response.iter_text())
    assert "event: done" in body and json.dumps(CLOSING_MESSAGE.split()[0]).strip('"') in body
    assert '"status": "done"' in body


def test_report_of_a_session_in_progress_is_409_until_ended(client: TestClient) -> None:
    created = create(client, question_ids=CORE)
    sid, token = created["session_id"], created["candidate_token"]
    client.post(f"/api/interview/{token}/answer", json={"answer": STRONG})
    assert client.get(f"/api/sessions/{sid}/report", headers=MANAGER).status_code == 409
    assert client.get(f"/api/sessions/{sid}/report.md", headers=MANAGER).status_code == 409
    ended = client.post(f"/api/sessions/{sid}/end", headers=MANAGER)
    assert ended.status_code == 200 and ended.json() == {"status": "done"}
    report = Report.model_validate(
        client.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    )
    assert report.status == "ended-early"
    assert [t.answer for t in report.transcript] == [STRONG]
    assert client.get(f"/api/interview/{token}").json()["status"] == "done"


def test_delete_erases_session_transcript_and_token(client: TestClient) -> None:
    keep = create(client, candidate_label="keep")
    gone = create(client, question_ids=CORE, candidate_label="gone")
    client.post(f"/api/interview/{gone['candidate_token']}/answer", json={"answer": STRONG})
    response = client.delete(f"/api/sessions/{gone['session_id']}", headers=MANAGER)
    assert response.status_code == 204
    sid, token = gone["session_id"], gone["candidate_token"]
    assert client.get(f"/api/interview/{token}").status_code == 404
    assert client.post(f"/api/interview/{token}/answer", json={"answer": "x"}).status_code == 404
    assert client.get(f"/i/{token}").status_code == 404
    assert client.get(f"/api/sessions/{sid}/report", headers=MANAGER).status_code == 404
    assert client.delete(f"/api/sessions/{sid}", headers=MANAGER).status_code == 404
    assert client.post(f"/api/sessions/{sid}/end", headers=MANAGER).status_code == 404
    ids = [s["session_id"] for s in client.get("/api/sessions", headers=MANAGER).json()["sessions"]]
    assert ids == [keep["session_id"]]


def test_delete_removes_the_answers_from_the_checkpoint_database(
    client: TestClient, web_config: WebConfig
) -> None:
    created = create(client, question_ids=CORE)
    sid = created["session_id"]
    client.post(f"/api/interview/{created['candidate_token']}/answer", json={"answer": STRONG})

    def stored() -> tuple[int, int]:
        conn = sqlite3.connect(web_config.db_path)
        try:
            (checkpoints,) = conn.execute(
                "SELECT count(*) FROM checkpoints WHERE thread_id = ?", (sid,)
            ).fetchone()
            (writes,) = conn.execute(
                "SELECT count(*) FROM writes WHERE thread_id = ?", (sid,)
            ).fetchone()
        finally:
            conn.close()
        return checkpoints, writes

    assert stored()[0] > 0
    client.delete(f"/api/sessions/{sid}", headers=MANAGER)
    assert stored() == (0, 0)


def test_unknown_session_ids_are_404_for_the_manager(client: TestClient) -> None:
    for method, path in [
        ("GET", "/api/sessions/nope/report"),
        ("GET", "/api/sessions/nope/report.md"),
        ("POST", "/api/sessions/nope/end"),
        ("DELETE", "/api/sessions/nope"),
    ]:
        assert client.request(method, path, headers=MANAGER).status_code == 404, path
