"""``screener sessions`` and ``screener report``: past interviews of a session database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from .._errors import UserError
from ._options import emit, runnable

if TYPE_CHECKING:
    from ..interview import SessionSummary
    from ..review import SessionReview

Db = Annotated[Path | None, typer.Option(help="SQLite file holding sessions.")]


def sessions(
    db: Db = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per session.")] = False,
    status: Annotated[
        Literal["in progress", "complete", "ended-early"] | None,
        typer.Option(help="Only sessions in this state."),
    ] = None,
    track: Annotated[str | None, typer.Option(help="Only sessions of this track.")] = None,
    tourist: Annotated[
        bool | None, typer.Option("--tourist/--not-tourist", help="Only flagged / not flagged.")
    ] = None,
    decision: Annotated[
        Literal["advance", "hold", "reject", "none"] | None,
        typer.Option(help="Only sessions with this decision (none: not decided yet)."),
    ] = None,
    min_score: Annotated[float | None, typer.Option(help="Overall at least this.")] = None,
    max_score: Annotated[float | None, typer.Option(help="Overall at most this.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Active on or after this date (YYYY-MM-DD).")
    ] = None,
    search: Annotated[str | None, typer.Option(help="Session ids containing this text.")] = None,
) -> None:
    """List the interviews in the session database, the most recently active first."""
    from dataclasses import asdict

    from rich.console import Console
    from rich.table import Table

    from .._database import check_sqlite
    from ..interview import Interview
    from .chat import default_db

    db_path = db or default_db()
    if not db_path.exists():
        print(f"no sessions yet in {db_path}", file=sys.stderr)
        return
    check_sqlite(db_path, option="--db")
    with Interview.open(db_path) as interview:
        found = interview.sessions()
    decided = _decisions(db_path)

    def wanted(s: SessionSummary) -> bool:
        return (
            (status is None or s.status == status)
            and (track is None or s.track == track)
            and (tourist is None or s.tourist is tourist)
            and (decision is None or decided.get(s.session_id, "none") == decision)
            and (min_score is None or (s.overall is not None and s.overall >= min_score))
            and (max_score is None or (s.overall is not None and s.overall <= max_score))
            and (since is None or s.last_activity[:10] >= since)
            and (search is None or search.lower() in s.session_id.lower())
        )

    found = [s for s in found if wanted(s)]
    if as_json:
        for summary in found:
            print(json.dumps({**asdict(summary), "decision": decided.get(summary.session_id)}))
        return
    table = Table(title=f"{len(found)} session(s) in {db_path}")
    columns = ("session", "track", "status", "answered", "overall", "tourist", "decision")
    for column in (*columns, "last activity"):
        table.add_column(column, no_wrap=True)
    for s in found:
        table.add_row(
            s.session_id,
            s.track,
            s.status,
            f"{s.answered} of {s.total_questions}",
            "" if s.overall is None else f"{s.overall:g}",
            _flag(s.tourist, s.status),
            decided.get(s.session_id, ""),
            s.last_activity[:19].replace("T", " "),
        )
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)


def _decisions(db_path: Path) -> dict[str, str]:
    """The current decision of each session (see ``screener decide``), if any were recorded."""
    from ..review import decisions
    from ..web.store import AppStore, app_db_path

    web_db = app_db_path(db_path)
    if not web_db.exists():
        return {}
    store = AppStore(web_db)
    try:
        return decisions(store)
    finally:
        store.close()


def compare(
    session_ids: Annotated[
        list[str], typer.Argument(help="Two to four finished sessions (see screener sessions).")
    ],
    db: Db = None,
) -> None:
    """Print finished interviews side by side, question by question, with reviews and decisions."""
    from rich.console import Console
    from rich.table import Table

    from .._database import check_sqlite
    from ..interview import Interview
    from .chat import default_db

    if not 2 <= len(set(session_ids)) <= 4:
        raise UserError("compare two to four different sessions")
    db_path = db or default_db()
    if not db_path.exists():
        raise UserError(f"{db_path}: no such session database (give it with --db)")
    check_sqlite(db_path, option="--db")
    with Interview.open(db_path) as interview:
        reports = []
        for session_id in dict.fromkeys(session_ids):
            step = interview.current(session_id)
            if step.report is None:
                raise UserError(f"session {session_id} is still in progress; compare finished ones")
            reports.append(step.report)
    reviews = {r.session_id: _review(db_path, r.session_id) for r in reports}
    decided = _decisions(db_path)
    table = Table(
        title=f"{len(reports)} sessions side by side (the grader's score; a reviewer's in brackets)"
    )
    table.add_column("", no_wrap=True)
    for report in reports:
        table.add_column(report.session_id)
    table.add_row("overall", *(f"{r.overall:g}" if r.overall is not None else "" for r in reports))
    table.add_row(
        "tourist",
        *(_flag(r.tourist.flagged if r.tourist.applicable else None, r.status) for r in reports),
    )
    table.add_row("decision", *(decided.get(r.session_id, "") for r in reports))
    questions = list(dict.fromkeys(q.question_id for r in reports for q in r.questions))
    for question_id in questions:
        cells = []
        for report in reports:
            result = next((q for q in report.questions if q.question_id == question_id), None)
            if result is None:
                cells.append("not asked")
                continue
            review = reviews[report.session_id]
            mine = review.score(question_id) if review else None
            score = "" if result.verdict.score is None else str(result.verdict.score)
            cells.append(score + (f" ({mine.human})" if mine else ""))
        table.add_row(question_id, *cells)
    Console(highlight=False, width=None if sys.stdout.isatty() else 160).print(table)


def _flag(tourist: bool | None, status: str) -> str:
    """The tourist column: blank while the interview runs, "not judged" when it ended too early."""
    if tourist is None:
        return "" if status == "in progress" else "not judged"
    return "YES" if tourist else "no"


def report(
    session_id: Annotated[str, typer.Argument(help="The session's id (see screener sessions).")],
    db: Db = None,
    output_format: Annotated[
        Literal["markdown", "json", "html"], typer.Option("--format", help="What to print.")
    ] = "markdown",
    out: Annotated[
        Path | None,
        typer.Option(help="Write the report to this file instead of printing it."),
    ] = None,
) -> None:
    """Print (or write) the report of a finished interview."""
    from .._database import check_sqlite
    from ..interview import Interview
    from ..report import render_html, render_markdown
    from .chat import default_db

    db_path = db or default_db()
    if not db_path.exists():
        raise UserError(f"{db_path}: no such session database (give it with --db)")
    check_sqlite(db_path, option="--db")
    with Interview.open(db_path) as interview:
        step = interview.current(session_id)
    if step.report is None:
        raise UserError(
            f"session {session_id} is still in progress ({step.answered} of "
            f"{step.total_questions} questions answered); resume it with: "
            + runnable("chat", "--resume", session_id, "--db", db_path)
        )
    review = _review(db_path, session_id)
    if output_format == "json":
        text = step.report.model_dump_json(indent=2)
    elif output_format == "html":
        text = render_html(step.report, review)
    else:
        text = render_markdown(step.report, review)
    emit(text.rstrip("\n") + "\n", out, "report")


def _review(db_path: Path, session_id: str) -> SessionReview | None:
    """People's reviews and decision of the session, when anyone has given any."""
    from ..review import session_review
    from ..web.store import AppStore, app_db_path

    web_db = app_db_path(db_path)
    if not web_db.exists():
        return None
    store = AppStore(web_db)
    try:
        found = session_review(store, session_id)
    finally:
        store.close()
    return None if found.empty else found
