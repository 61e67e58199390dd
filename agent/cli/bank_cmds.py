"""``screener questions``, ``screener validate`` and ``screener schema``: the question bank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from .._resources import golden_dir
from ..bank import load_bank, load_golden_answers, load_golden_sessions, write_schemas


def questions(
    track: Annotated[str | None, typer.Option(help="Only this track.")] = None,
) -> None:
    """List the question bank."""
    table = Table("id", "track", "competency", "question")
    for q in load_bank():
        if track is None or q.track == track:
            table.add_row(q.id, q.track, q.competency, q.text)
    Console().print(table)


def validate(
    directory: Annotated[Path | None, typer.Argument(help="A golden/ directory.")] = None,
) -> None:
    """Validate the question bank, golden answers and sessions; print what was checked."""
    root = directory or golden_dir()
    bank = load_bank(root / "questions")
    answers = load_golden_answers(root)
    sessions = load_golden_sessions(root, answers)
    print(f"ok: {len(bank)} questions, {len(answers)} golden answers, {len(sessions)} sessions")


def schema(
    out: Annotated[Path, typer.Option(help="Directory for the JSON Schema files.")] = Path(
        "golden/schema"
    ),
) -> None:
    """Write JSON Schemas of the golden file formats, for editors."""
    for path in write_schemas(out):
        print(path)
