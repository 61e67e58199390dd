"""``screener questions``, ``screener validate`` and ``screener schema``: the question bank."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, get_args

import typer

from .._constants import Track
from .._errors import UserError


def questions(
    track: Annotated[
        str | None, typer.Option(help=f"Only this track: {' or '.join(get_args(Track))}.")
    ] = None,
) -> None:
    """List the question bank."""
    from rich.console import Console
    from rich.table import Table

    from ..bank import load_bank

    tracks = get_args(Track)
    if track is not None and track not in tracks:
        raise UserError(f"unknown track {track!r}; the tracks are {', '.join(tracks)}")
    table = Table("id", "track", "competency", "question")
    for q in load_bank():
        if track is None or q.track == track:
            table.add_row(q.id, q.track, q.competency, q.text)
    Console().print(table)


def validate(
    directory: Annotated[Path | None, typer.Argument(help="A golden/ directory.")] = None,
) -> None:
    """Validate the question bank, golden answers and sessions; print what was checked."""
    from .._resources import golden_dir
    from ..bank import load_bank, load_golden_answers, load_golden_sessions

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
    from ..bank import write_schemas

    for path in write_schemas(out):
        print(path)
