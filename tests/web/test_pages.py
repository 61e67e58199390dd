"""The manager's pages and the candidate page, rendered by the server (TestClient)."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from .helpers import HALLUCINATION, MANAGER, PROBE_ANSWER, TOURIST, create, sign_in


def test_login_page_and_root_redirect(client: TestClient) -> None:
    root = client.get("/", follow_redirects=False)
    assert root.status_code == 303 and root.headers["location"] == "/manage"
    page = client.get("/manage/login")
    assert page.status_code == 200
    assert 'type="password"' in page.text and 'name="csrf_token"' in page.text
    cookie = page.headers["set-cookie"].lower()
    assert cookie.startswith("screener_login_csrf=") and "httponly" in cookie
    assert "samesite=strict" in cookie and "path=/manage/login" in cookie


def test_signed_in_manager_is_sent_from_login_to_the_dashboard(client: TestClient) -> None:
    sign_in(client)
    response = client.get("/manage/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/manage"


def test_dashboard_lists_sessions_and_offers_the_new_session_form(client: TestClient) -> None:
    sign_in(client)
    empty = client.get("/manage").text
    assert 'id="no-sessions">' in empty and 'id="new-session"' in empty
    assert 'value="regression-suite"' in empty and 'data-track="ml-engineer"' in empty
    live = create(client, question_ids=["regression-suite"], candidate_label="Live One")
    done = create(client, question_ids=["hallucination-debug"], candidate_label="Done One")
    client.post(f"/api/interview/{done['candidate_token']}/answer", json={"answer": HALLUCINATION})
    html = client.get("/manage").text
    rows = re.findall(r"<tr data-session=\"(\w+)\"[^>]*>(.*?)</tr>", html, re.S)
    by_id = {sid: body for sid, body in rows}
    assert list(by_id) == [done["session_id"], live["session_id"]]  # newest first
    assert "Live One" in by_id[live["session_id"]] and "In progress" in by_id[live["session_id"]]
    assert "0 of 1" in by_id[live["session_id"]]
    finished = by_id[done["session_id"]]
    overall = client.get("/api/sessions", headers=MANAGER).json()["sessions"][0]["overall"]
    assert "Done One" in finished and "Done" in finished and f"{overall:.2f}" in finished
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", finished)


def test_session_page_shows_transcript_report_and_exports(client: TestClient) -> None:
    csrf = sign_in(client)
    created = create(
        client, question_ids=["regression-suite", "hallucination-debug"], candidate_label="Lin"
    )
    sid, token = created["session_id"], created["candidate_token"]
    client.post(f"/api/interview/{token}/answer", json={"answer": TOURIST})
    in_progress = client.get(f"/manage/sessions/{sid}").text
    assert "In progress" in in_progress and 'id="end-session"' in in_progress
    assert TOURIST in in_progress and 'id="export-md"' not in in_progress
    assert f'<meta name="csrf-token" content="{csrf}">' in in_progress

    probe = client.get(f"/api/interview/{token}").json()
    assert probe["kind"] == "probe"
    client.post(f"/api/interview/{token}/answer", json={"answer": PROBE_ANSWER})
    client.post(f"/api/interview/{token}/answer", json={"answer": HALLUCINATION})
    report = client.get(f"/api/sessions/{sid}/report", headers=MANAGER).json()
    html = client.get(f"/manage/sessions/{sid}").text
    assert 'id="report-summary"' in html and "Recommendation." in html
    assert "Follow-ups asked" in html and probe["message"] in html
    assert html.count('class="question"') == 2
    for result in report["questions"]:
        for evidence in result["verdict"]["evidence"]:
            assert evidence["quote"].replace("'", "&#39;") in html
        for criterion in result["verdict"]["criteria"]:
            assert criterion in html
    for reason in report["tourist"]["reasons"]:
        assert reason.replace("'", "&#39;") in html
    assert f'href="/api/sessions/{sid}/report.md"' in html
    assert f'href="/api/sessions/{sid}/report?download=1"' in html
    # The export links work with the sign-in cookie alone (reads need no CSRF token).
    assert client.get(f"/api/sessions/{sid}/report.md").text.startswith("# Screening report")
    assert client.get(f"/api/sessions/{sid}/report?download=1").json() == report


def test_unknown_session_page_is_404(client: TestClient) -> None:
    sign_in(client)
    response = client.get("/manage/sessions/000000000000")
    assert response.status_code == 404 and "No such session" in response.text


def test_candidate_page_is_a_shell_without_secrets(client: TestClient) -> None:
    created = create(client, candidate_label="Private Label")
    page = client.get(f"/i/{created['candidate_token']}")
    assert page.status_code == 200
    assert 'src="/static/candidate.js?v=' in page.text and 'data-max="8000"' in page.text
    assert "8,000 characters" in page.text
    assert created["candidate_token"] not in page.text and "Private Label" not in page.text
    assert created["session_id"] not in page.text
    for asset in ("/static/candidate.js", "/static/manager.js", "/static/style.css"):
        assert client.get(asset).status_code == 200


def test_candidate_page_introduces_the_track_the_questions_and_the_time(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    three = client.get(f"/i/{create(client, track='ml-engineer', questions=3)['candidate_token']}")
    assert "ML engineer screening interview" in three.text
    assert "<strong>3 questions</strong>" in three.text and "follow-up" in three.text
    assert "About <strong>15 minutes</strong>" in three.text and "estimate" in three.text
    one = client.get(f"/i/{create(client, question_ids=['regression-suite'])['candidate_token']}")
    assert "AI engineer screening interview" in one.text
    assert "<strong>1 question</strong>" in one.text
    assert "About <strong>5 minutes</strong>" in one.text
    no_followups = make_client(max_followups=0)
    page = no_followups.get(f"/i/{create(no_followups)['candidate_token']}")
    assert "<strong>3 questions</strong>." in page.text and "follow-up" not in page.text
