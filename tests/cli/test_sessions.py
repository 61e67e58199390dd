"""``screener sessions`` and ``screener report``, and resume hints that run as printed."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from conftest import STRONG_ANSWERS, TOURIST_ANSWER

from agent import Interview, Report

pytestmark = pytest.mark.slow

TIMEOUT = 60
XSS = '<img src=x onerror="alert(1)"> **bold** [link](http://evil.example)'


def run(
    exe: str, env: dict[str, str], *args: str | Path, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *map(str, args)],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=TIMEOUT,
    )


def test_sessions_lists_every_interview_and_report_prints_each(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "chat.sqlite"
    answers = [
        STRONG_ANSWERS[k] for k in ("regression-suite", "hallucination-debug", "before-after")
    ]
    done = run(
        screener_exe,
        cli_env,
        "chat",
        "--db",
        db,
        "--report-out",
        tmp_path / "full",
        stdin="\n".join(answers) + "\n",
    )
    assert done.returncode == 0, done.stderr
    early = run(screener_exe, cli_env, "chat", "--db", db, "--max-followups", "0", stdin=XSS + "\n")
    assert early.returncode == 0, early.stderr
    with Interview.open(db) as interview:
        live = interview.start(question_ids=["regression-suite", "before-after"]).session_id

    listed = run(screener_exe, cli_env, "sessions", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    by_status = {r["status"]: r for r in rows}
    assert len(rows) == 3 and set(by_status) == {"complete", "ended-early", "in progress"}
    assert by_status["in progress"]["session_id"] == live
    assert (by_status["in progress"]["answered"], by_status["in progress"]["total_questions"]) == (
        0,
        2,
    )
    assert (by_status["ended-early"]["answered"], by_status["ended-early"]["total_questions"]) == (
        1,
        3,
    )
    assert by_status["ended-early"]["tourist"] is None, "one answer of three is not judged"
    assert rows[0]["session_id"] == live, "the most recently active first"
    table = run(screener_exe, cli_env, "sessions", "--db", db)
    assert all(r["session_id"] in table.stdout for r in rows)
    early = next(line for line in table.stdout.splitlines() if "ended-early" in line)
    assert "not judged" in early, "an early end says why there is no flag"

    full = Report.model_validate_json((tmp_path / "full.json").read_text(encoding="utf-8"))
    as_json = run(screener_exe, cli_env, "report", full.session_id, "--db", db, "--format", "json")
    assert as_json.returncode == 0, as_json.stderr
    assert Report.model_validate_json(as_json.stdout) == full
    as_md = run(screener_exe, cli_env, "report", full.session_id, "--db", db)
    assert as_md.stdout == (tmp_path / "full.md").read_text(encoding="utf-8")

    # HTML of the session whose answer was markup: nothing of it becomes markup.
    out = tmp_path / "early.html"
    page = run(
        screener_exe,
        cli_env,
        "report",
        by_status["ended-early"]["session_id"],
        "--db",
        db,
        "--format",
        "html",
        "--out",
        out,
    )
    assert page.returncode == 0, page.stderr
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "1 of 3 questions answered" in html
    assert "<img" not in html and "<a " not in html and "<strong>bold" not in html
    assert "&lt;img src=x" in html


def test_report_of_a_live_session_says_how_to_resume_and_the_hint_runs(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    db = tmp_path / "my sessions.sqlite"  # a space in the path: the hint must still run
    with Interview.open(db) as interview:
        sid = interview.start(question_ids=["before-after"], max_followups=0).session_id
    refused = run(screener_exe, cli_env, "report", sid, "--db", db)
    assert refused.returncode == 2
    line = refused.stderr.strip()
    assert line.startswith(f"screener: error: session {sid} is still in progress (0 of 1")
    hint = line.split("resume it with: ", 1)[1]
    argv = shlex.split(hint)
    assert Path(argv[0]).name == "screener" and argv[1:] == [
        "chat",
        "--resume",
        sid,
        "--db",
        str(db),
    ]
    resumed = subprocess.run(
        [screener_exe if argv[0] != "screener" else argv[0], *argv[1:]],
        input=TOURIST_ANSWER + "\n",
        capture_output=True,
        text=True,
        env=cli_env,
        timeout=TIMEOUT,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert run(screener_exe, cli_env, "report", sid, "--db", db).returncode == 0


def test_unknown_session_and_missing_database_are_one_line(
    screener_exe: str, cli_env: dict[str, str], tmp_path: Path
) -> None:
    missing = run(screener_exe, cli_env, "report", "abc", "--db", tmp_path / "none.sqlite")
    assert missing.returncode == 2
    expected = f"{tmp_path / 'none.sqlite'}: no such session database (give it with --db)"
    assert missing.stderr.strip() == f"screener: error: {expected}"
    assert not (tmp_path / "none.sqlite").exists(), "nothing is created"
    empty = run(screener_exe, cli_env, "sessions", "--db", tmp_path / "none.sqlite")
    assert empty.returncode == 0 and "no sessions yet" in empty.stderr
