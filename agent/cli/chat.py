"""``screener chat``: a screening interview in the terminal.

On a TTY: a multi-line answer editor (Enter starts a new line, Alt+Enter sends; pasted text
arrives whole; a counter shows the limit; ``/skip`` records no answer after a confirmation; see
:mod:`agent.cli._editor`) and "question k of n". Otherwise each line of standard input is one
answer, and end of input ends the session with its report, so sessions can be scripted.

A full disk, a read-only, locked or damaged session database stops the chat with one line that
names the file and what to do, and once a session has started, how to resume it: every answer
saved before is kept. The file is checked before the chat starts (``PRAGMA quick_check``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer
from platformdirs import user_data_dir

from ._options import (
    BaseUrl,
    EscalateTo,
    Fallback,
    NoCache,
    Provider,
    Samples,
    grader_options,
    runnable,
)

if TYPE_CHECKING:
    from rich.console import Console

    from .._models import Report
    from ..interview import Interview, Step


def default_db() -> Path:
    """``$SCREENER_DB``, else ``sessions.sqlite`` under the user's data directory."""
    env = os.environ.get("SCREENER_DB")
    return Path(env) if env else Path(user_data_dir("screener")) / "sessions.sqlite"


def chat(
    track: Annotated[
        Literal["ai-engineer", "ml-engineer"], typer.Option(help="Which role to screen for.")
    ] = "ai-engineer",
    questions: Annotated[int, typer.Option(help="How many questions to ask.", min=1)] = 3,
    question_ids: Annotated[
        str | None, typer.Option(help="Comma-separated question ids to ask, in order.")
    ] = None,
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    escalate_to: EscalateTo = None,
    max_followups: Annotated[int, typer.Option(help="Probes per question at most.", min=0)] = 1,
    db: Annotated[Path | None, typer.Option(help="SQLite file holding sessions.")] = None,
    resume: Annotated[str | None, typer.Option(help="Continue this session id.")] = None,
    report_out: Annotated[
        Path | None, typer.Option(help="Write the report to PATH.json and PATH.md.")
    ] = None,
) -> None:
    """Interview a candidate in the terminal and print the hiring manager's report."""
    from rich.console import Console

    from .._database import check_sqlite
    from .._errors import DatabaseError
    from ..grading.base import get_grader
    from ..interview import Interview

    tty = sys.stdin.isatty()
    console = Console(stderr=False, highlight=False, soft_wrap=not tty)
    db_path = db or default_db()
    options = grader_options(fallback, base_url, samples, no_cache, escalate_to)
    check_sqlite(db_path, option="--db")  # a damaged, read-only or locked file: one line
    with Interview.open(db_path, graders=lambda spec: get_grader(spec, options)) as interview:
        if resume:
            step = interview.current(resume)
        else:
            ids = (
                [q.strip() for q in question_ids.split(",") if q.strip()] if question_ids else None
            )
            step = interview.start(
                track=track,
                question_ids=ids,
                questions=questions,
                provider=provider,
                max_followups=max_followups,
            )
        resume_with = runnable("chat", "--resume", step.session_id, "--db", db_path)
        print(
            f"session {step.session_id} (resume with: {resume_with})", file=sys.stderr, flush=True
        )
        try:
            step = _converse(interview, step, console, tty, resume_with)
        except DatabaseError as exc:
            raise exc.then(
                f"resume with: {resume_with} (the answers saved before this are kept)"
            ) from None
        assert step.report is not None
        _show_report(console, step.report, tty)
        if report_out:
            for path in write_report(step.report, report_out):
                print(f"report written to {path}", file=sys.stderr)


def _converse(
    interview: Interview, step: Step, console: Console, tty: bool, resume_with: str
) -> Step:
    """Ask and record answers until the session ends; return its last step (with the report)."""
    from rich.panel import Panel

    from .._constants import MAX_ANSWER_CHARS
    from .._errors import AnswerTooLongError
    from ._editor import HELP, AnswerEditor

    editor = AnswerEditor(MAX_ANSWER_CHARS) if tty else None
    if tty:
        console.print(
            Panel.fit(
                f"Answer with concrete examples from your own work.\n{HELP}", title="screener"
            )
        )
    while not step.done:
        _show_prompt(console, step, tty)
        try:
            text = editor.read() if editor else _read_line()
        except KeyboardInterrupt:
            print(
                f"\npaused; every answer so far is saved. Resume with: {resume_with}",
                file=sys.stderr,
            )
            raise typer.Exit(130) from None
        if text is None:
            if tty:
                console.print()
            step = interview.end(step.session_id)
            break
        try:
            step = interview.answer(step.session_id, text)
        except AnswerTooLongError as exc:
            print(f"screener: {exc}", file=sys.stderr, flush=True)
    return step


def write_report(report: Report, target: Path) -> list[Path]:
    """Write ``report`` as ``target.json`` and ``target.md``."""
    from ..report import render_markdown

    base = target.with_suffix("") if target.suffix in {".json", ".md"} else target
    base.parent.mkdir(parents=True, exist_ok=True)
    json_path, md_path = base.with_suffix(".json"), base.with_suffix(".md")
    json_path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    md_path.write_text(render_markdown(report).rstrip("\n") + "\n", encoding="utf-8")
    return [json_path, md_path]


def _show_prompt(console: Console, step: Step, tty: bool) -> None:
    label = "Follow-up" if step.kind == "probe" else "Question"
    header = f"[{label} - question {step.question_number} of {step.total_questions}]"
    if tty:
        console.print(f"\n[bold cyan]{header}[/bold cyan]\n[bold]{step.prompt}[/bold]")
    else:
        print(f"{header} {step.prompt}", flush=True)


def _read_line() -> str | None:
    """One answer per line of standard input; None at end of input."""
    line = sys.stdin.readline()
    return None if line == "" else line.rstrip("\n")


def _show_report(console: Console, report: Report, tty: bool) -> None:
    from rich.markdown import Markdown
    from rich.table import Table

    from ..report import flag_word, render_markdown

    if not tty:
        print(render_markdown(report), flush=True)
        return
    table = Table(title=f"Session {report.session_id}: overall {report.overall}")
    for col in ("question", "competency", "score", "missing evidence"):
        table.add_column(col)
    for r in report.questions:
        table.add_row(
            r.question_id, r.competency, str(r.verdict.score), ", ".join(r.verdict.missing)
        )
    console.print(table)
    for r in report.questions:
        for evidence in r.verdict.evidence[:2]:
            console.print(f"  {r.question_id}: \u201c{evidence.quote}\u201d", markup=False)
    word = flag_word(report.tourist)
    style = {"YES": "bold red", "no": "green"}.get(word, "yellow")
    console.print(f"Prompt-tourist flag: [{style}]{word}[/{style}]")
    for reason in report.tourist.reasons:
        console.print(f"  - {reason}", markup=False)
    console.print(Markdown(f"**Recommendation.** {report.recommendation}"))
