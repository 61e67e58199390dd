"""The hiring manager decides: reviews beside the grader's scores, decisions, the audit log, and
the reviewed answers as a labelled set that ``screener eval`` and ``screener calibrate`` read.

Sessions are real interviews through the graph (offline grader); the store runs on SQLite and,
where PostgreSQL is installed, on PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER
from fastapi.testclient import TestClient

from agent import Interview, Report, render_markdown
from agent._errors import UserError
from agent.bank import load_bank
from agent.grading.base import get_grader
from agent.labelled import measure_set
from agent.review import (
    decide,
    export_audit,
    export_labels,
    graded_text,
    review_answer,
    review_tourist,
    session_review,
)
from agent.web.store import AUDIT_FIELDS, AppStore, app_db_path

from .helpers import MANAGER, create, finish, sign_in

CORE = ["regression-suite", "hallucination-debug", "before-after"]
XSS = '<img src=x onerror="alert(1)">'


def _finish(interview: Interview, answers: list[str]) -> Report:
    step = interview.start(question_ids=CORE, max_followups=0)
    for text in answers:
        step = interview.answer(step.session_id, text)
    assert step.report is not None
    return step.report


@pytest.fixture
def reports(tmp_path: Path) -> list[Report]:
    with Interview.open(tmp_path / "s.sqlite") as interview:
        return [
            _finish(interview, [STRONG_ANSWERS[q] for q in CORE]),
            _finish(interview, [TOURIST_ANSWER] * 3),
        ]


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[AppStore]:
    if request.param == "sqlite":
        opened = AppStore(tmp_path / "s.web.sqlite")
    else:
        opened = AppStore(request.getfixturevalue("postgres_url"))
    try:
        yield opened
    finally:
        opened.close()


def test_a_review_sits_beside_the_grader_and_the_verdict_is_kept(
    store: AppStore, reports: list[Report]
) -> None:
    strong = reports[0]
    grader_score = strong.questions[1].verdict.score
    assert grader_score is not None
    human = 1 if grader_score > 1 else 2
    review_answer(store, strong, CORE[0], overall=strong.questions[0].verdict.score, reviewer="al")
    changed = review_answer(
        store,
        strong,
        CORE[1],
        overall=human,
        criteria={"specifics": 1},
        reason="the trace was a guess",
        reviewer="al",
    )
    assert [e.changed for e in changed] == [
        True,
        strong.questions[1].verdict.criteria["specifics"] != 1,
    ]
    seen = session_review(store, strong.session_id)
    assert seen.score(CORE[0]) is not None and not seen.score(CORE[0]).changed
    assert seen.score(CORE[1]).human == human and seen.score(CORE[1]).grader == grader_score
    assert seen.score(CORE[1], "specifics").human == 1
    # a second review replaces the current reading; the first stays in the history
    review_answer(store, strong, CORE[1], overall=3, reason="second look", reviewer="bo")
    seen = session_review(store, strong.session_id)
    assert seen.score(CORE[1]).human == 3 and seen.score(CORE[1]).reviewer == "bo"
    assert len([e for e in seen.history if e.question_id == CORE[1]]) == 3
    # the grader's verdict is untouched: the report shows both
    text = render_markdown(strong, seen)
    assert f"Score: **{grader_score}** / 5" in text
    assert "Reviewed by bo: **3** / 5 (changed from" in text and "second look" in text
    assert "| criterion | grader | reviewer |" in text


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overall": 1}, "a changed score needs a reason"),
        ({"overall": 6, "reason": "x"}, "expected a score from 1 to 5"),
        ({"criteria": {"nope": 3}, "reason": "x"}, "has no criterion 'nope'"),
        ({}, "nothing to review"),
        ({"overall": 3, "reason": "x", "reviewer": " "}, "say who is reviewing"),
    ],
)
def test_bad_reviews_are_one_line_and_store_nothing(
    store: AppStore, reports: list[Report], kwargs: dict[str, object], message: str
) -> None:
    strong = reports[0]
    assert strong.questions[0].verdict.score != 1, "so that a 1 is a change"
    args: dict[str, object] = {"reviewer": "al", **kwargs}
    with pytest.raises(UserError, match=message):
        review_answer(store, strong, CORE[0], **args)  # type: ignore[arg-type]
    with pytest.raises(UserError, match="has no answer to 'agent-tool-failure'"):
        review_answer(store, strong, "agent-tool-failure", overall=3, reason="x", reviewer="al")
    assert store.review_rows() == [] and store.audit_rows() == []


def test_decisions_keep_their_history_and_the_audit_log_records_every_step(
    store: AppStore, reports: list[Report]
) -> None:
    tourist = reports[1]
    assert tourist.tourist.flagged
    review_tourist(
        store, tourist, False, reason='=HYPERLINK("http://x") he was nervous', reviewer="al"
    )
    decide(store, tourist, "hold", notes="ask for a code sample", reviewer="al")
    decide(store, tourist, "reject", notes=XSS, reviewer="bo")
    with pytest.raises(UserError, match="decision must be one of advance, hold, reject"):
        decide(store, tourist, "maybe", reviewer="bo")
    seen = session_review(store, tourist.session_id)
    assert seen.decision is not None and seen.decision.decision == "reject"
    assert [d.decision for d in seen.decisions] == ["hold", "reject"]
    assert seen.tourist is not None and seen.tourist.changed

    lines = [dict(zip(AUDIT_FIELDS, row, strict=True)) for row in store.audit_rows()]
    actions = [(line["action"], line["item"]) for line in lines]
    graded = [("graded", "overall")] * len(tourist.questions)
    assert actions == [
        *graded,
        ("review", "tourist"),
        ("decision", "decision"),
        ("decision", "decision"),
    ]
    assert lines[-1]["before_value"] == "hold" and lines[-1]["after_value"] == "reject"
    assert all(line["grader"] == tourist.grader.name for line in lines)
    assert all(line["rubric_hash"] for line in lines if line["action"] == "graded")

    exported = list(csv.DictReader(io.StringIO(export_audit(store, "csv"))))
    assert len(exported) == len(lines)
    assert exported[len(graded)]["reason"].startswith("'=HYPERLINK"), "no formula reaches a sheet"
    as_json = [json.loads(line) for line in export_audit(store, "json").splitlines()]
    assert as_json[-1]["reason"] == XSS, "JSON keeps the text as written; pages escape it"
    page = render_markdown(tourist, seen)
    assert XSS not in page and "&lt;img" in page


def test_deleting_a_session_erases_what_people_wrote_and_keeps_scores(
    store: AppStore, reports: list[Report]
) -> None:
    strong = reports[0]
    store.add_session(strong.session_id, "hash-of-a-token", "cand A", strong.track, 3)
    review_answer(store, strong, CORE[0], overall=2, reason="names Jane Doe", reviewer="al")
    decide(store, strong, "reject", notes="Jane Doe, too junior", reviewer="al")
    assert store.delete_session(strong.session_id)
    assert store.review_rows(strong.session_id) == [] and store.decision_rows() == []
    lines = [dict(zip(AUDIT_FIELDS, row, strict=True)) for row in store.audit_rows()]
    assert lines and all(line["reason"] == "" for line in lines)
    assert {line["after_value"] for line in lines if line["action"] == "review"} == {"2"}


def test_reviewed_answers_are_a_labelled_set_the_grader_is_measured_on(
    tmp_path: Path, reports: list[Report]
) -> None:
    store = AppStore(tmp_path / "s.web.sqlite")
    strong, tourist = reports
    for question in CORE:
        review_answer(store, strong, question, overall=5, reason="solid", reviewer="al")
    review_answer(store, tourist, CORE[0], overall=1, reason="nothing measured", reviewer="al")
    review_tourist(store, tourist, True, reviewer="al")
    done = export_labels(store, reports, tmp_path / "labels")
    store.close()
    assert (done.candidates, done.answers, done.tourist_calls) == (2, 4, 1)
    labels = json.loads((tmp_path / "labels" / "labels.json").read_text(encoding="utf-8"))
    assert labels[strong.session_id]["tourist"] is None, "nobody called it: not a label"
    assert labels[tourist.session_id] == {"tourist": True, "scores": {CORE[0]: 1}}
    written = (tmp_path / "labels" / "answers.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in written.splitlines()]
    assert rows[0]["answer"] == graded_text(strong, CORE[0])
    figures = measure_set(tmp_path / "labels", lambda: get_grader("offline"), load_bank())
    assert len(figures.pairs) == 4
    assert [c for c, _, _ in figures.tourists] == [tourist.session_id]


@pytest.mark.slow
def test_review_export_eval_and_calibrate_from_the_command_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "chat.sqlite"
    with Interview.open(db) as interview:
        sessions = [
            _finish(interview, [STRONG_ANSWERS[q] for q in CORE]).session_id,
            _finish(interview, [TOURIST_ANSWER] * 3).session_id,
            _finish(
                interview, [STRONG_ANSWERS[CORE[0]], TOURIST_ANSWER, TOURIST_ANSWER]
            ).session_id,
            _finish(
                interview, [TOURIST_ANSWER, STRONG_ANSWERS[CORE[1]], TOURIST_ANSWER]
            ).session_id,
        ]

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [screener_exe, *map(str, args)],
            capture_output=True,
            text=True,
            encoding="utf-8",
            env=cli_env,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done

    for k, session in enumerate(sessions):
        for j, question in enumerate(CORE):
            run(
                "review",
                session,
                "--question",
                question,
                "--score",
                str(1 + (k + j) % 5),
                "--reason",
                "my reading",
                "--by",
                "al",
                "--db",
                db,
            )
    run("review", sessions[1], "--tourist", "--by", "al", "--db", db)
    run("decide", sessions[0], "advance", "--notes", "strong", "--by", "al", "--db", db)
    bad = subprocess.run(
        [
            screener_exe,
            "review",
            sessions[0],
            "--question",
            CORE[0],
            "--score",
            "1",
            "--db",
            str(db),
        ],
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=60,
    )
    assert bad.returncode == 2 and bad.stderr.strip().count("\n") == 0
    assert "a changed score needs a reason" in bad.stderr

    listed = run("sessions", "--db", db, "--decision", "advance", "--json").stdout.splitlines()
    assert [json.loads(line)["session_id"] for line in listed] == [sessions[0]]
    flagged = run("sessions", "--db", db, "--tourist", "--min-score", "1", "--json").stdout
    assert sessions[1] in flagged and sessions[0] not in flagged
    side = run("compare", sessions[0], sessions[1], "--db", db).stdout
    assert sessions[0] in side and sessions[1] in side and "advance" in side
    assert "(1)" in side, "the reviewer's score beside the grader's"
    shown = run("report", sessions[0], "--db", db).stdout
    assert "**Decision.** advance, by al" in shown and "## Review history" in shown
    audit = run("audit", "export", "--db", db).stdout.splitlines()
    assert audit[0] == ",".join(AUDIT_FIELDS) and len(audit) == 1 + 4 * 3 + 4 * 3 + 1 + 1
    run("labels", "export", tmp_path / "labels", "--db", db)
    measured = run("eval", tmp_path / "labels")
    assert "12 answers" in measured.stdout + measured.stderr
    calibrated = run("calibrate", tmp_path / "labels", "--out-dir", tmp_path / "cal")
    assert "fitted on 12 labelled answers of 4 candidates; out of fold" in calibrated.stderr
    assert list((tmp_path / "cal").glob("*.json"))
    assert app_db_path(db).exists()


def test_the_json_api_reviews_decides_and_exports_the_log(client: TestClient) -> None:
    created = create(client, question_ids=CORE)
    sid = created["session_id"]
    path = f"/api/sessions/{sid}"
    early = client.post(
        f"{path}/reviews", json={"tourist": False, "reviewer": "al"}, headers=MANAGER
    )
    assert early.status_code == 422 and "still in progress" in early.json()["detail"]
    finish(client, created["candidate_token"])
    report = client.get(f"{path}/report", headers=MANAGER).json()
    grader = report["questions"][0]["verdict"]["score"]
    other = 1 if grader != 1 else 2
    body = {"question_id": CORE[0], "overall": other, "reason": XSS, "reviewer": "al"}
    assert client.post(f"{path}/reviews", json=body).status_code == 401, "manager only"
    no_reason = client.post(f"{path}/reviews", json={**body, "reason": ""}, headers=MANAGER)
    assert no_reason.status_code == 422 and "needs a reason" in no_reason.json()["detail"]
    done = client.post(f"{path}/reviews", json=body, headers=MANAGER)
    assert done.status_code == 200, done.text
    current = done.json()["current"]
    assert [(e["item"], e["grader"], e["human"]) for e in current] == [("overall", grader, other)]
    decided = client.post(
        f"{path}/decision",
        json={"decision": "hold", "notes": XSS, "reviewer": "al"},
        headers=MANAGER,
    )
    assert decided.status_code == 200 and decided.json()["decision"]["decision"] == "hold"
    bad = client.post(
        f"{path}/decision", json={"decision": "maybe", "reviewer": "al"}, headers=MANAGER
    )
    assert bad.status_code == 422
    assert client.get("/api/sessions/nope/review", headers=MANAGER).status_code == 404
    markdown = client.get(f"{path}/report.md", headers=MANAGER).text
    assert "**Decision.** hold, by al" in markdown and XSS not in markdown
    audit = client.get("/api/audit?format=csv", headers=MANAGER)
    rows = list(csv.DictReader(io.StringIO(audit.text)))
    assert [r["action"] for r in rows][-2:] == ["review", "decision"]
    assert sum(r["action"] == "graded" for r in rows) == len(CORE), "logged once at the finish"
    # the grader's verdict is never overwritten
    assert client.get(f"{path}/report", headers=MANAGER).json() == report


def test_the_grader_agreement_with_reviewers_shows_from_twenty_answers(store: AppStore) -> None:
    from agent.review import MIN_REVIEWED, agreement

    def reviewed(k: int, grader: int, human: int) -> tuple[object, ...]:
        return (f"s{k}", "regression-suite", "overall", grader, human, "r", "al", "t")

    store.append_reviews([reviewed(k, 1 + k % 5, 1 + k % 5) for k in range(MIN_REVIEWED - 1)])
    early = agreement(store, bar=0.8)
    assert (early.reviewed, early.qwk, early.below) == (MIN_REVIEWED - 1, None, False)
    store.append_reviews([reviewed(99, 3, 3)])
    agreed = agreement(store, bar=0.8)
    assert agreed.qwk == pytest.approx(1.0) and agreed.exact == 1.0 and not agreed.below
    # the latest review of an answer counts, once: people who disagree with every score
    store.append_reviews([reviewed(k, 1 + k % 5, 5 - k % 5) for k in range(MIN_REVIEWED)])
    disputed = agreement(store, bar=0.8)
    assert disputed.reviewed == MIN_REVIEWED + 1 and disputed.below


def test_the_dashboard_shows_decisions_and_how_far_reviews_have_got(client: TestClient) -> None:
    created = create(client, question_ids=CORE)
    finish(client, created["candidate_token"])
    sid = created["session_id"]
    client.post(
        f"/api/sessions/{sid}/decision",
        json={"decision": "advance", "reviewer": "al"},
        headers=MANAGER,
    )
    listed = client.get("/api/sessions", headers=MANAGER).json()
    assert listed["sessions"][0]["decision"] == "advance"
    assert listed["agreement"]["reviewed"] == 0 and listed["agreement"]["qwk"] is None
    sign_in(client)
    page = client.get("/manage").text
    assert "0 of 20 answers reviewed" in page and ">Advance</span>" in page


def test_the_compare_page_puts_finished_sessions_side_by_side(client: TestClient) -> None:
    made = [create(client, question_ids=CORE, candidate_label=f"cand {k} {XSS}") for k in range(3)]
    for one in made[:2]:
        finish(client, one["candidate_token"])
    ids = [m["session_id"] for m in made]
    sign_in(client)
    page = client.get(f"/manage/compare?ids={ids[0]},{ids[1]}")
    assert page.status_code == 200
    assert page.text.count('href="/manage/sessions/') == 2
    assert all(f"<code>{q}</code>" in page.text for q in CORE)
    assert XSS not in page.text and "&lt;img" in page.text
    assert client.get(f"/manage/compare?ids={ids[0]}").status_code == 422
    assert client.get(f"/manage/compare?ids={ids[0]},{ids[2]}").status_code == 404, "unfinished"
    dashboard = client.get("/manage").text
    assert 'id="score-chart"' in dashboard and "<svg" in dashboard


BLOCK_WEB = (
    "import sys\n"
    "for name in ('fastapi', 'starlette', 'uvicorn', 'jinja2'):\n"
    "    sys.modules[name] = None  # as on the base install, without the web extra\n"
    "from agent.cli import main\n"
    "sys.argv = ['screener', *sys.argv[1:]]\n"
    "main()\n"
)


@pytest.mark.slow
def test_reviews_work_on_the_base_install_without_the_web_extra(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    import sys

    db = tmp_path / "chat.sqlite"
    with Interview.open(db) as interview:
        sid = _finish(interview, [STRONG_ANSWERS[q] for q in CORE]).session_id

    def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", BLOCK_WEB, *map(str, args)],
            capture_output=True,
            text=True,
            env=cli_env,
            timeout=120,
        )

    for args in (
        ("sessions", "--db", db),
        ("review", sid, "--question", CORE[0], "--score", "2", "--reason", "r", "--db", db),
        ("decide", sid, "hold", "--db", db),
        ("audit", "export", "--db", db),
        ("labels", "export", tmp_path / "labels", "--db", db),
        ("report", sid, "--db", db),
    ):
        done = run(*args)
        assert done.returncode == 0, (args, done.stderr)
    assert "hold" in run("sessions", "--db", db).stdout
    assert (tmp_path / "labels" / "labels.json").is_file()
    same = run("compare", sid, sid, "--db", db)  # reaches the command's own check
    assert same.returncode == 2 and "two to four different sessions" in same.stderr
    served = run("serve", "--port", "0", "--db", db)
    assert served.returncode == 2 and "needs the web extra" in served.stderr
