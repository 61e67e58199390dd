"""``screener sessions`` and ``screener report``: past interviews of a session database."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from .._errors import UserError
from ._options import runnable

if TYPE_CHECKING:
    from ..review import SessionReview

Db = Annotated[Path | None, typer.Option(help="SQLite file holding sessions.")]


def sessions(
    db: Db = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per session.")] = False,
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
    if as_json:
        for summary in found:
            print(json.dumps(asdict(summary)))
        return
    table = Table(title=f"{len(found)} session(s) in {db_path}")
    for column in ("session", "track", "status", "answered", "overall", "tourist", "last activity"):
        table.add_column(column, no_wrap=True)
    for s in found:
        table.add_row(
            s.session_id,
            s.track,
            s.status,
            f"{s.answered} of {s.total_questions}",
            "" if s.overall is None else f"{s.overall:g}",
            _flag(s.tourist, s.status),
            s.last_activity[:19].replace("T", " "),
        )
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
    text = text.rstrip("\n") + "\n"
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"report written to {out}", file=sys.stderr)


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
