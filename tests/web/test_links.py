"""Candidate links: an expiry, re-issuing (the old link stops at once), and bulk creation from a
CSV of candidates that answers with a CSV of links; every step in the audit log."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from agent.web import WebConfig
from agent.web.store import AppStore

from .helpers import MANAGER, create, finish, sign_in


def _audit(client: TestClient) -> list[dict[str, str]]:
    lines = client.get("/api/audit?format=json", headers=MANAGER).text.splitlines()
    return [json.loads(line) for line in lines]


def test_a_link_expires_after_the_configured_days(client: TestClient) -> None:
    before = datetime.now(UTC)
    created = create(client, question_ids=["regression-suite"])
    expires = datetime.fromisoformat(created["expires_at"])
    assert timedelta(days=13, hours=23) < expires - before <= timedelta(days=14, seconds=5)
    short = create(client, question_ids=["regression-suite"], expires_in_days=2)
    assert datetime.fromisoformat(short["expires_at"]) - before < timedelta(days=2, seconds=5)
    too_long = client.post("/api/sessions", json={"expires_in_days": 400}, headers=MANAGER)
    assert too_long.status_code == 422
    assert [e["action"] for e in _audit(client)] == [
        "link-created",
        "consented",
        "link-created",
        "consented",
    ]


def test_an_expired_link_says_so_and_the_session_is_kept(
    client: TestClient, web_config: WebConfig
) -> None:
    created = create(client, question_ids=["regression-suite"])
    token, sid = created["candidate_token"], created["session_id"]
    assert client.get(f"/api/interview/{token}").status_code == 200
    store = AppStore(web_config.app_database)
    try:  # as if fourteen days had passed
        row = store.session(sid)
        assert row is not None
        past = (datetime.now(UTC) - timedelta(minutes=1)).replace(microsecond=0).isoformat()
        store.replace_token(sid, row.candidate_token_hash, past)
    finally:
        store.close()
    gone = client.get(f"/api/interview/{token}")
    assert gone.status_code == 410 and "expired" in gone.json()["detail"]
    page = client.get(f"/i/{token}")
    assert page.status_code == 410 and "Link expired" in page.text
    answer = client.post(f"/api/interview/{token}/answer", json={"answer": "late"})
    assert answer.status_code == 410
    sign_in(client)
    assert "expired" in client.get(f"/manage/sessions/{sid}").text


def test_reissuing_a_link_stops_the_old_one_at_once(client: TestClient) -> None:
    created = create(client, question_ids=["regression-suite", "before-after"])
    old, sid = created["candidate_token"], created["session_id"]
    assert (
        client.post(f"/api/interview/{old}/answer", json={"answer": "a first answer"}).status_code
        == 200
    )
    assert client.post(f"/api/sessions/{sid}/link", json={}).status_code == 401, "manager only"
    made = client.post(f"/api/sessions/{sid}/link", json={"expires_in_days": 3}, headers=MANAGER)
    assert made.status_code == 200, made.text
    new = made.json()["candidate_token"]
    assert new != old and made.json()["candidate_url"].endswith(f"/i/{new}")
    assert client.get(f"/api/interview/{old}").status_code == 404
    view = client.get(f"/api/interview/{new}?include=history").json()
    assert [t["answer"] for t in view["history"]] == ["a first answer"], "the answers are kept"
    assert client.post("/api/sessions/nope/link", json={}, headers=MANAGER).status_code == 404
    actions = [(e["action"], e["session_id"]) for e in _audit(client)]
    assert actions[-1] == ("link-reissued", sid)


def test_bulk_creation_answers_with_a_csv_of_links_and_names_bad_rows(client: TestClient) -> None:
    text = (
        "\ufeffcandidate_label,track,questions\n"
        "Ada Lovelace,,\n"
        '=HYPERLINK("http://evil.example"),ml-engineer,2\n'
        "Bad Track,astronaut,\n"
        "Too Many,,99\n"
    )
    response = client.post("/api/sessions/bulk", json={"csv": text}, headers=MANAGER)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["line"] for r in rows] == ["2", "3", "4", "5"]
    good, formula, bad_track, too_many = rows
    assert good["candidate_url"].startswith("http") and good["session_id"] and not good["error"]
    assert formula["candidate_label"].startswith("'="), "no formula reaches a spreadsheet"
    assert bad_track["error"].startswith("line 4: ") and not bad_track["candidate_url"]
    assert too_many["error"].startswith("line 5: questions")
    tokens = [r["candidate_url"].rsplit("/", 1)[1] for r in (good, formula)]
    assert all(client.get(f"/api/interview/{t}").status_code == 200 for t in tokens)
    listed = client.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert len(listed) == 2
    no_header = client.post("/api/sessions/bulk", json={"csv": "Ada\n"}, headers=MANAGER)
    assert no_header.status_code == 422 and "candidate_label" in no_header.json()["detail"]
    assert [e["action"] for e in _audit(client)].count("link-created") == 2


def test_a_database_from_before_expiry_gains_the_column(tmp_path: Path) -> None:

    path = tmp_path / "old.web.sqlite"
    with sqlite3.connect(path) as conn:  # the sessions table as earlier versions made it
        conn.execute(
            "CREATE TABLE sessions (session_id TEXT PRIMARY KEY, candidate_token_hash TEXT "
            "NOT NULL UNIQUE, label TEXT NOT NULL DEFAULT '', track TEXT NOT NULL, "
            "total_questions INTEGER NOT NULL, created_at TEXT NOT NULL, finished_at TEXT, "
            "answered INTEGER, overall DOUBLE PRECISION, tourist INTEGER)"
        )
        conn.execute(
            "INSERT INTO sessions VALUES ('s1', 'h', 'x', 'ai-engineer', 3, '2026-01-01', "
            "NULL, NULL, NULL, NULL)"
        )
    store = AppStore(path)
    try:
        row = store.session("s1")
        assert row is not None and row.expires_at is None and not row.expired()
    finally:
        store.close()


def test_sessions_older_than_the_retention_are_erased_and_logged(
    make_client: Callable[..., TestClient], web_config: WebConfig
) -> None:
    client = make_client(retention_days=30)
    old = create(client, question_ids=["regression-suite"], candidate_label="Old Olly")
    new = create(client, question_ids=["regression-suite"], candidate_label="New Nia")
    finish(client, old["candidate_token"])
    decided = client.post(
        f"/api/sessions/{old['session_id']}/decision",
        json={"decision": "reject", "notes": "Olly's notes", "reviewer": "al"},
        headers=MANAGER,
    )
    assert decided.status_code == 200
    assert "Olly" in client.get("/api/audit?format=csv", headers=MANAGER).text
    long_ago = (datetime.now(UTC) - timedelta(days=31)).replace(microsecond=0).isoformat()
    with sqlite3.connect(web_config.web_db_path) as conn:
        conn.execute(
            "UPDATE sessions SET created_at = ? WHERE session_id = ?", (long_ago, old["session_id"])
        )
    listed = client.get("/api/sessions", headers=MANAGER).json()["sessions"]
    assert [s["session_id"] for s in listed] == [new["session_id"]]
    assert client.get(f"/api/interview/{old['candidate_token']}").status_code == 404
    purged = [e for e in _audit(client) if e["action"] == "purged"]
    assert [(e["session_id"], e["reason"]) for e in purged] == [(old["session_id"], "")]
    assert "Olly" not in client.get("/api/audit?format=csv", headers=MANAGER).text


def test_signals_of_how_answers_were_written_are_shown_and_never_scored(
    client: TestClient,
) -> None:
    from .helpers import STRONG

    def run(with_signals: bool) -> tuple[str, dict[str, object]]:
        made = create(client, question_ids=["regression-suite"])
        token = made["candidate_token"]
        for k in range(4):
            view = client.get(f"/api/interview/{token}").json()
            if view["status"] == "done":
                break
            body: dict[str, object] = {"answer": STRONG, "answer_id": f"a{k:031d}"}
            if with_signals:
                body["signals"] = {
                    "first_key_ms": 4000 + k,
                    "submit_ms": 95_000,
                    "pasted_chars": 10**6,  # more than the answer: counted as the answer
                    "focus_changes": 3,
                }
            sent = client.post(f"/api/interview/{token}/answer", json=body)
            assert sent.status_code == 200, sent.text
            if k == 0 and with_signals:  # the same answer sent again: recorded once
                again = client.post(f"/api/interview/{token}/answer", json=body)
                assert again.status_code == 200
        client.post(f"/api/sessions/{made['session_id']}/end", headers=MANAGER)
        report = client.get(f"/api/sessions/{made['session_id']}/report", headers=MANAGER).json()
        return made["session_id"], report

    plain_id, plain = run(False)
    signed_id, signed = run(True)
    assert [q["verdict"]["score"] for q in signed["questions"]] == [
        q["verdict"]["score"] for q in plain["questions"]
    ], "signals never change a score"
    assert "signals" not in json.dumps(signed)
    bad = client.post(
        f"/api/interview/{create(client)['candidate_token']}/answer",
        json={"answer": "x", "signals": {"focus_changes": -1}},
    )
    assert bad.status_code == 422
    sign_in(client)
    page = client.get(f"/manage/sessions/{signed_id}").text
    assert (
        'data-turn="0"' in page
        and "first key after 4 s" in page
        and "sent after 1 min 35 s" in page
    )
    assert "signals small muted pasted" in page and "pasted in one go (" in page
    assert "left the page 3 times" in page and "they never change a score" in page
    markdown = client.get(f"/api/sessions/{signed_id}/report.md", headers=MANAGER).text
    assert "*Signals (never scored): first key after 4 s" in markdown
    assert 'data-turn="' not in client.get(f"/manage/sessions/{plain_id}").text


def test_a_candidate_token_opens_none_of_the_managers_endpoints(client: TestClient) -> None:
    created = create(client, question_ids=["regression-suite"])
    sid, token = created["session_id"], created["candidate_token"]
    as_candidate = {"Authorization": f"Bearer {token}"}
    calls = [
        ("GET", f"/api/sessions/{sid}/review", None),
        ("POST", f"/api/sessions/{sid}/reviews", {"tourist": True, "reviewer": "x"}),
        ("POST", f"/api/sessions/{sid}/decision", {"decision": "advance", "reviewer": "x"}),
        ("POST", f"/api/sessions/{sid}/link", {}),
        ("POST", "/api/sessions/bulk", {"csv": "candidate_label\nx\n"}),
        ("GET", "/api/audit", None),
        ("GET", "/api/sessions", None),
    ]
    for method, path, body in calls:
        response = client.request(method, path, json=body, headers=as_candidate)
        assert response.status_code in (401, 403, 429), (path, response.status_code)  # refused
        assert token not in response.text
    page = client.get(
        f"/manage/compare?ids={sid},{sid}", headers=as_candidate, follow_redirects=False
    )
    assert page.status_code == 303 and page.headers["location"] == "/manage/login"
