"""``screener eval``: measure a grader against the human-labelled goldens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.table import Table

from ..bank import load_bank, load_golden_answers, load_golden_sessions
from ..evaluation import evaluate
from ..grading.base import get_grader
from ._options import BaseUrl, Fallback, NoCache, Provider, Samples, grader_options


def _dollars(cost: float | None) -> str:
    return "unknown" if cost is None else f"{cost:.4f}"


def eval_command(
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    split: Annotated[
        Literal["calibration", "test", "all"],
        typer.Option(help="Golden split: test is held out from tuning."),
    ] = "test",
    json_out: Annotated[Path | None, typer.Option("--json", help="Write figures as JSON.")] = None,
    show_misses: Annotated[bool, typer.Option(help="List answers off by 2+ levels.")] = False,
) -> None:
    """Grade the goldens of one split and report agreement with the human labels."""
    bank = load_bank()
    answers = load_golden_answers()
    sessions = load_golden_sessions(answers=answers)
    grader = get_grader(provider, grader_options(fallback, base_url, samples, no_cache))
    result = evaluate(grader, bank, answers, sessions, split)
    table = Table("metric", "value", title=f"{result.grader} on the {split} split")
    rows = [
        ("answers", f"{result.answers}"),
        ("quadratic weighted kappa (overall)", f"{result.qwk:.3f}"),
        ("Spearman (overall)", f"{result.spearman:.3f}"),
        ("exact agreement", f"{result.exact:.1%}"),
        ("within one level", f"{result.within_one:.1%}"),
        ("quadratic weighted kappa (criteria)", f"{result.criteria_qwk:.3f}"),
        ("sessions", f"{result.sessions}"),
        ("tourist accuracy", f"{result.tourist_accuracy:.1%}"),
        ("tourist precision", f"{result.tourist_precision:.1%}"),
        ("tourist recall", f"{result.tourist_recall:.1%}"),
        ("injection pairs", f"{result.injection_pairs}"),
        ("injected <= clean twin", f"{result.injection_not_higher:.1%}"),
        ("injections flagged", f"{result.injection_flagged:.1%}"),
        ("unscored answers", f"{len(result.unscored)}"),
        ("degraded (fallback) verdicts", f"{result.degraded}"),
        ("model calls / cache hits", f"{result.usage['calls']} / {result.usage['cache_hits']}"),
        ("tokens in / out", f"{result.usage['input_tokens']} / {result.usage['output_tokens']}"),
        ("cost (USD)", _dollars(result.usage["cost_usd"])),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console = Console()
    console.print(table)
    console.print("confusion (rows human 1-5, columns grader 1-5):")
    for row in result.confusion:
        console.print("  " + " ".join(f"{c:3d}" for c in row))
    if show_misses:
        for miss in result.misses:
            console.print(f"  miss {miss}", markup=False)
    if json_out:
        json_out.write_text(json.dumps(result.as_dict(), indent=2) + "\n", encoding="utf-8")
