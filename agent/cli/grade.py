"""``screener grade``: grade a file of written answers."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from .._errors import InputError
from ..bank import load_bank
from ..batch import grade_file, write_summary
from ..grading.base import get_grader
from ..report import total_usage
from ._options import BaseUrl, Fallback, NoCache, Provider, Samples, grader_options


def grade(
    answers: Annotated[
        Path, typer.Argument(help="JSONL or CSV: candidate_id, question_id, answer.")
    ],
    out: Annotated[Path, typer.Option(help="Where to write one JSON verdict per line.")],
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    summary: Annotated[
        Path | None, typer.Option(help="Also write one CSV row per candidate.")
    ] = None,
) -> None:
    """Grade every answer in ANSWERS; bad rows are listed and the good ones still graded."""
    bank = load_bank()
    grader = get_grader(provider, grader_options(fallback, base_url, samples, no_cache))

    def report_error(error: InputError) -> None:
        print(f"screener: error: {error}", file=sys.stderr, flush=True)

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        result = grade_file(answers, handle, bank, grader, on_error=report_error)
    if summary:
        write_summary(summary, result, bank)
    verdicts = [v for graded in result.verdicts.values() for _, v in graded]
    spent = total_usage([v.usage for v in verdicts if v.usage is not None])
    unscored = sum(v.score is None for v in verdicts)
    degraded = sum(v.degraded for v in verdicts)
    cost = "unknown" if spent.cost_usd is None else f"${spent.cost_usd:.4f}"
    print(
        f"graded {result.graded} answer(s) into {out}; {len(result.errors)} bad row(s); "
        f"{unscored} unscored; {degraded} degraded; {spent.calls} model call(s), "
        f"{spent.cache_hits} cache hit(s), cost {cost}",
        file=sys.stderr,
    )
    if result.errors:
        raise typer.Exit(1)
