"""Notice and consent, the optional demographic questions, the impact-ratio report and the
candidate's explanation, through the web app (real interviews through the graph, offline
grader, SQLite) and the CLI."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
from pathlib import Path

from fastapi.testclient import TestClient

from agent.compliance import default_notice
from agent.web import WebConfig

from .helpers import MANAGER, confirm_notice, create, finish, sign_in

CORE = ["regression-suite", "hallucination-debug", "before-after"]


def _audit(client: TestClient) -> list[dict[str, str]]:
    text = client.get("/api/audit?format=csv", headers=MANAGER).text
    return list(csv.DictReader(io.StringIO(text)))


def _web_db(config: WebConfig) -> sqlite3.Connection:
    return sqlite3.connect(config.web_db_path)


def test_the_first_answer_waits_for_the_notice_and_consent_is_logged_once(
    client: TestClient,
) -> None:
    created = create(client, consent=False, question_ids=CORE)
    token, sid = created["candidate_token"], created["session_id"]
    view = client.get(f"/api/interview/{token}").json()
    version = view["notice_version"]
    assert version == client.get("/api/notice", headers=MANAGER).json()["version"]
    refused = client.post(f"/api/interview/{token}/answer", json={"answer": "we built it"})
    assert refused.status_code == 428 and "confirm the notice" in refused.json()["detail"]
    wrong = client.post(f"/api/interview/{token}/consent", json={"notice_version": "0" * 12})
    assert wrong.status_code == 409 and "reload the page" in wrong.json()["detail"]
    for _ in range(2):
        ok = client.post(f"/api/interview/{token}/consent", json={"notice_version": version})
        assert ok.status_code == 200 and "notice_version" not in ok.json()
    finish(client, token)
    late = create(client, consent=False, question_ids=CORE[:1])
    client.post(f"/api/sessions/{late['session_id']}/end", headers=MANAGER)
    nothing = client.post(
        f"/api/interview/{late['candidate_token']}/consent", json={"notice_version": version}
    )
    assert nothing.status_code == 409 and "nothing to confirm" in nothing.json()["detail"]
    consents = [e for e in _audit(client) if e["action"] == "consented"]
    assert [(e["session_id"], e["actor"], e["after_value"]) for e in consents] == [
        (sid, "candidate", version)
    ]


def test_the_manager_edits_the_notice_and_each_version_is_kept(
    client: TestClient, web_config: WebConfig
) -> None:
    first = client.get("/api/notice", headers=MANAGER).json()
    assert first["text"] == default_notice(None)
    mine = "Acme Robotics is hiring.\n\nWrite to jobs@acme.example for <another> way."
    changed = client.put("/api/notice", json={"text": mine}, headers=MANAGER).json()
    assert changed["text"] == mine and changed["version"] != first["version"]
    created = create(client, consent=False, question_ids=CORE[:1])
    token = created["candidate_token"]
    stale = client.post(
        f"/api/interview/{token}/consent", json={"notice_version": first["version"]}
    )
    assert stale.status_code == 409
    confirm_notice(client, token)
    page = client.get(f"/i/{token}").text
    assert "<p>Acme Robotics is hiring.</p>" in page
    assert "&lt;another&gt;" in page and "<another>" not in page  # the text is escaped
    assert f'data-notice="{changed["version"]}"' in page
    back = client.put("/api/notice", json={"text": None}, headers=MANAGER).json()
    assert back["version"] == first["version"]
    changes = [e for e in _audit(client) if e["action"] == "notice-changed"]
    assert [(e["before_value"], e["after_value"]) for e in changes] == [
        (first["version"], changed["version"]),
        (changed["version"], first["version"]),
    ]
    kept = {n["version"]: n["text"] for n in client.get("/api/notices", headers=MANAGER).json()}
    assert kept[changed["version"]] == mine and kept[first["version"]] == first["text"]
    too_long = client.put("/api/notice", json={"text": "x" * 20_001}, headers=MANAGER)
    assert too_long.status_code == 422


def test_the_notice_form_saves_and_resets(client: TestClient) -> None:
    csrf = sign_in(client)
    form = client.get("/manage/notice")
    assert form.status_code == 200 and "Candidate notice" in form.text
    saved = client.post(
        "/manage/notice",
        data={"csrf_token": csrf, "action": "save", "text": "Beta Corp is hiring."},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert client.get("/api/notice", headers=MANAGER).json()["text"] == "Beta Corp is hiring."
    forged = client.post("/manage/notice", data={"action": "save", "text": "evil"})
    assert forged.status_code == 403
    client.post("/manage/notice", data={"csrf_token": csrf, "action": "reset"})
    assert client.get("/api/notice", headers=MANAGER).json()["text"] == default_notice(None)


def test_demographics_come_after_the_last_answer_and_declining_records_nothing(
    client: TestClient, web_config: WebConfig
) -> None:
    created = create(client, question_ids=CORE[:1])
    token = created["candidate_token"]
    early = client.post(f"/api/interview/{token}/demographics", json={"sex": "female"})
    assert early.status_code == 409
    finish(client, token)
    assert client.get(f"/api/interview/{token}").json()["demographics"] is True
    declined = client.post(f"/api/interview/{token}/demographics", json={})
    assert declined.status_code == 204
    nulls = client.post(f"/api/interview/{token}/demographics", json={"sex": None, "race": None})
    assert nulls.status_code == 204
    with _web_db(web_config) as db:
        assert db.execute("SELECT COUNT(*) FROM demographics").fetchone() == (0,)
    bad = client.post(f"/api/interview/{token}/demographics", json={"sex": "woman"})
    assert bad.status_code == 422 and "sex: expected one of" in bad.json()["detail"]
    extra = client.post(f"/api/interview/{token}/demographics", json={"age": 30})
    assert extra.status_code == 422
    given = client.post(f"/api/interview/{token}/demographics", json={"race": "asian"})
    assert given.status_code == 204
    again = client.post(f"/api/interview/{token}/demographics", json={"sex": "male"})
    assert again.status_code == 409 and "answered already" in again.json()["detail"]
    with _web_db(web_config) as db:
        rows = db.execute("SELECT sex, race FROM demographics").fetchall()
    assert rows == [(None, "asian")]
    assert "demographics" not in client.get(f"/api/interview/{token}").json()


def test_no_report_export_or_log_of_one_candidate_carries_their_demographics(
    client: TestClient, tmp_path: Path
) -> None:
    created = create(client, question_ids=CORE, candidate_label="Dana")
    token, sid = created["candidate_token"], created["session_id"]
    finish(client, token)
    body = {"sex": "female", "race": "native-american"}
    assert client.post(f"/api/interview/{token}/demographics", json=body).status_code == 204
    client.post(
        f"/api/sessions/{sid}/decision",
        json={"decision": "hold", "reviewer": "al"},
        headers=MANAGER,
    )
    seen = [
        client.get(f"/api/sessions/{sid}/report", headers=MANAGER).text,
        client.get(f"/api/sessions/{sid}/report.md", headers=MANAGER).text,
        client.get(f"/api/sessions/{sid}/review", headers=MANAGER).text,
        client.get(f"/api/sessions/{sid}/explanation.md", headers=MANAGER).text,
        client.get("/api/sessions", headers=MANAGER).text,
        client.get("/api/audit?format=json", headers=MANAGER).text,
        client.get(f"/api/interview/{token}?include=history").text,
    ]
    sign_in(client)
    seen.append(client.get(f"/manage/sessions/{sid}").text)
    text = "\n".join(seen).lower()
    for word in ("female", "native american", "native-american", '"sex"', '"race"'):
        assert word not in text, word
    # ... while the aggregate report counts her
    rows = list(csv.DictReader(io.StringIO(client.get("/api/impact", headers=MANAGER).text)))
    female = next(r for r in rows if r["breakdown"] == "sex" and r["category"] == "Female")
    assert female["assessed"] == "1" and female["decided"] == "0"  # on hold: not decided yet


def test_the_impact_page_and_downloads(client: TestClient) -> None:
    answers = {"male": "advance", "female": "reject"}
    for sex, decision in answers.items():
        created = create(client, question_ids=CORE[:1])
        finish(client, created["candidate_token"])
        client.post(f"/api/interview/{created['candidate_token']}/demographics", json={"sex": sex})
        client.post(
            f"/api/sessions/{created['session_id']}/decision",
            json={"decision": decision, "reviewer": "al"},
            headers=MANAGER,
        )
    rows = list(csv.DictReader(io.StringIO(client.get("/api/impact", headers=MANAGER).text)))
    by = {r["category"]: r for r in rows if r["breakdown"] == "sex"}
    assert by["Male"]["selection_rate"] == "1.0000" and by["Female"]["selection_rate"] == "0.0000"
    assert by["Female"]["selection_impact_ratio"] == "0.0000"
    assert by["Female"]["below_four_fifths"] == "yes"
    html = client.get("/api/impact?format=html", headers=MANAGER)
    assert "attachment" in html.headers["content-disposition"] and "not itself" in html.text
    assert client.get("/api/impact?format=pdf", headers=MANAGER).status_code == 422
    assert client.get("/api/impact").status_code in (401, 403)
    sign_in(client)
    page = client.get("/manage/impact").text
    assert "Impact ratios" in page and "below 0.8" in page and "not itself a bias audit" in page


def test_the_explanation_says_what_was_assessed_and_the_decision_in_plain_words(
    client: TestClient,
) -> None:
    created = create(client, question_ids=CORE, candidate_label="Ravi")
    sid = created["session_id"]
    other = create(client, question_ids=CORE[:1], candidate_label="Other person")
    finish(client, created["candidate_token"])
    finish(client, other["candidate_token"])
    path = f"/api/sessions/{sid}/explanation.md"
    before = client.get(path, headers=MANAGER)
    assert before.status_code == 200 and "has not made a decision yet" in before.text
    client.post(
        f"/api/sessions/{sid}/decision",
        json={"decision": "advance", "reviewer": "al"},
        headers=MANAGER,
    )
    text = client.get(path, headers=MANAGER).text
    assert "You answered 3 questions for the AI engineer role" in text
    assert "decided to move your application forward" in text
    assert "Evals" in text and "Retrieval and grounding" in text
    for internal in ("rubric", "tourist", "/ 5", "score", "weight", "Other person", "offline"):
        assert internal not in text, internal
    unfinished = create(client, question_ids=CORE[:1])
    later = client.get(f"/api/sessions/{unfinished['session_id']}/explanation.md", headers=MANAGER)
    assert later.status_code == 409


def test_the_cli_writes_the_impact_report_and_an_explanation(
    client: TestClient, web_config: WebConfig, screener_exe: str, cli_env: dict[str, str]
) -> None:
    created = create(client, question_ids=CORE[:1])
    finish(client, created["candidate_token"])
    client.post(
        f"/api/interview/{created['candidate_token']}/demographics",
        json={"sex": "male", "race": "white"},
    )
    db = str(web_config.db_path)
    chat = subprocess.run(  # a terminal interview in the same database counts too (unknown)
        [screener_exe, "chat", "--db", db, "--questions", "1", "--max-followups", "0"],
        input="We built a 200-case suite; pass rate went from 70% to 85% on it.\n",
        capture_output=True,
        text=True,
        env=cli_env,
        check=True,
    )
    assert "Transcript" in chat.stdout
    impact = subprocess.run(
        [screener_exe, "audit", "impact", "--db", db],
        capture_output=True,
        text=True,
        env=cli_env,
        check=True,
    )
    rows = list(csv.DictReader(io.StringIO(impact.stdout)))
    white = next(r for r in rows if r["category"] == "Male x White")
    unknown = next(r for r in rows if r["breakdown"] == "sex" and r["category"] == "Unknown")
    assert white["assessed"] == "1" and unknown["assessed"] == "1"
    assert "2 candidates assessed" in impact.stderr
    explained = subprocess.run(
        [screener_exe, "explain", created["session_id"], "--db", db],
        capture_output=True,
        text=True,
        env=cli_env,
        check=True,
    )
    assert explained.stdout.startswith("# Your screening interview: an explanation")
    missing = subprocess.run(
        [screener_exe, "explain", "nope", "--db", db], capture_output=True, text=True, env=cli_env
    )
    assert missing.returncode != 0 and "nope" in missing.stderr
    notices = subprocess.run(
        [screener_exe, "audit", "notices", "--db", db],
        capture_output=True,
        text=True,
        env=cli_env,
        check=True,
    )
    assert [json.loads(line)["text"] for line in notices.stdout.splitlines()] == [
        default_notice(None)
    ]
