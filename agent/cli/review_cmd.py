"""``screener review``, ``decide``, ``audit export`` and ``labels export``: the hiring manager's
side of a finished interview (see :mod:`agent.review`). The same store as the web dashboard."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from .._errors import UserError
from ._options import emit

if TYPE_CHECKING:
    from .._models import Report
    from ..interview import Interview
    from ..web.store import AppStore

Db = Annotated[
    Path | None,
    typer.Option(help="SQLite file holding sessions; the reviews sit beside it, as for serve."),
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option(help="postgresql://... of a shared server instead of --db (postgres extra)."),
]
By = Annotated[str, typer.Option("--by", help="Who is reviewing (default: the login name).")]
Reason = Annotated[str, typer.Option(help="Why (required when a score is changed).")]

audit_app = typer.Typer(help="The audit log of gradings, reviews and decisions.")
labels_app = typer.Typer(help="Reviewed answers as a labelled set for `screener eval`.")


@contextmanager
def _opened(db: Path | None, database_url: str | None) -> Iterator[tuple[Interview, AppStore]]:
    from .._database import check_sqlite
    from ..interview import Interview
    from ..web.store import AppStore, app_db_path
    from .serve import _database

    db_path, postgres_url = _database(db, database_url)
    if postgres_url is not None:
        with Interview.open_url(postgres_url) as interview:
            store = AppStore(postgres_url)
            try:
                yield interview, store
            finally:
                store.close()
        return
    assert db_path is not None
    if not db_path.exists():
        raise UserError(f"{db_path}: no such session database (give it with --db)")
    check_sqlite(db_path, option="--db")
    with Interview.open(db_path) as interview:
        store = AppStore(app_db_path(db_path))
        try:
            yield interview, store
        finally:
            store.close()


def _report(interview: Interview, session_id: str) -> Report:
    step = interview.current(session_id)
    if step.report is None:
        raise UserError(
            f"session {session_id} is still in progress ({step.answered} of "
            f"{step.total_questions} answered); only a finished interview can be reviewed"
        )
    return step.report


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""


def review(
    session_id: Annotated[str, typer.Argument(help="The session's id (see screener sessions).")],
    question: Annotated[
        str | None, typer.Option(help="The question whose answer is reviewed.")
    ] = None,
    score: Annotated[
        int | None, typer.Option(help="Your overall score for the answer, 1-5.", min=1, max=5)
    ] = None,
    criterion: Annotated[
        list[str] | None,
        typer.Option(help="A criterion's score as ID=1-5 (repeat for several)."),
    ] = None,
    tourist: Annotated[
        bool | None,
        typer.Option("--tourist/--not-tourist", help="Your call on the session's tourist flag."),
    ] = None,
    reason: Reason = "",
    by: By = "",
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Give your score beside the grader's, for an answer, its criteria or the tourist flag.

    The grader's verdict is kept; yours is shown beside it and logged with who, when and why.
    The same value as the grader's accepts it."""
    from ..review import review_session

    criteria = dict(_criterion(c) for c in criterion or [])
    with _opened(db, database_url) as (interview, store):
        entries = review_session(
            store,
            _report(interview, session_id),
            question_id=question,
            overall=score,
            criteria=criteria,
            tourist=tourist,
            reason=reason,
            reviewer=by or _default_reviewer(),
        )
    for e in entries:
        verb = "changed" if e.changed else "accepted"
        if e.question_id:
            said = f"{e.question_id} {e.item}: grader {e.grader}, {e.reviewer} {e.human}"
        else:
            said = f"tourist flag: grader {_call(e.grader)}, {e.reviewer} {_call(e.human)}"
        print(f"{said} ({verb})", file=sys.stderr)


def _call(value: int | None) -> str:
    return "tourist" if value else "not a tourist"


def _criterion(text: str) -> tuple[str, int]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip() or not value.strip().isdigit():
        raise UserError(f"--criterion {text!r}: expected ID=SCORE, e.g. --criterion specifics=4")
    return name.strip(), int(value)


def decide_command(
    session_id: Annotated[str, typer.Argument(help="The session's id (see screener sessions).")],
    decision: Annotated[
        Literal["advance", "hold", "reject"], typer.Argument(help="advance, hold or reject.")
    ],
    notes: Annotated[str, typer.Option(help="Notes kept with the decision.")] = "",
    by: By = "",
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Record your decision on a finished interview; the report's recommendation stays beside it."""
    from ..review import decide

    with _opened(db, database_url) as (interview, store):
        report = _report(interview, session_id)
        entry = decide(store, report, decision, notes=notes, reviewer=by or _default_reviewer())
    print(
        f"{session_id}: {entry.decision} by {entry.reviewer} (recommendation: "
        f"{report.recommendation})",
        file=sys.stderr,
    )


@audit_app.command("impact")
def audit_impact(
    output_format: Annotated[
        Literal["csv", "html"], typer.Option("--format", help="CSV, or a standalone HTML page.")
    ] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Impact ratios by sex, race/ethnicity and both (NYC Local Law 144's figures), from the
    demographics candidates chose to give: data for an independent auditor, not the audit."""
    from ..compliance import impact_csv, impact_html, store_impact
    from ..review import reports_of

    with _opened(db, database_url) as (interview, store):
        found = store_impact(store, reports_of(interview))
    emit(impact_csv(found) if output_format == "csv" else impact_html(found), out, "impact report")
    flagged = len(found.flagged)
    print(
        f"{found.assessed} candidates assessed, {found.decided} decided; "
        f"{flagged} impact ratio{'s' if flagged != 1 else ''} below 0.8",
        file=sys.stderr,
    )


@audit_app.command("notices")
def audit_notices(
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every notice text candidates were shown, with its version (the one a consent line of
    the audit log names) and when it was first shown, as JSON lines."""
    import json

    with _opened(db, database_url) as (_, store):
        rows = store.notice_rows()
    text = "".join(
        json.dumps({"version": v, "first_shown": at, "text": t}, ensure_ascii=False) + "\n"
        for v, t, at in rows
    )
    emit(text, out, "notices")


def explain(
    session_id: Annotated[str, typer.Argument(help="The finished session.")],
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The explanation to send a candidate (Markdown): what was assessed, how their answers
    read on each competency in plain words, and the human decision. No scores or rubric."""
    from ..compliance import candidate_explanation
    from ..review import decisions

    with _opened(db, database_url) as (interview, store):
        report = _report(interview, session_id)
        text = candidate_explanation(report, decisions(store).get(session_id))
    emit(text, out, "explanation")


@audit_app.command("export")
def audit_export(
    output_format: Annotated[
        Literal["csv", "json"], typer.Option("--format", help="CSV, or JSON lines.")
    ] = "csv",
    out: Annotated[Path | None, typer.Option(help="Write to this file.")] = None,
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write the audit log: every grading, review and decision, oldest first."""
    from ..review import export_audit, log_grading, reports_of

    with _opened(db, database_url) as (interview, store):
        for report in reports_of(interview):  # a session graded in the terminal: logged now
            log_grading(store, report)
        text = export_audit(store, output_format)
    emit(text, out, "audit log")


@labels_app.command("export")
def labels_export(
    folder: Annotated[Path, typer.Argument(help="The folder to write the labelled set to.")],
    db: Db = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Write every reviewed answer as a labelled set: `screener eval FOLDER` measures the grader
    on it and `screener calibrate FOLDER` fits the grader to it."""
    from ..review import export_labels, reports_of

    with _opened(db, database_url) as (interview, store):
        done = export_labels(store, reports_of(interview), folder)
    print(
        f"{done.answers} reviewed answers of {done.candidates} sessions ({done.tourist_calls} "
        f"tourist calls) written to {folder}; measure the grader on them with: screener eval "
        f"{folder}",
        file=sys.stderr,
    )
