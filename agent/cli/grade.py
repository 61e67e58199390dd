"""``screener grade``: grade a file of written answers, at scale and resumably."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._constants import MAX_ANSWER_CHARS
from ._options import BaseUrl, EscalateTo, Fallback, NoCache, Provider, Samples, grader_options

if TYPE_CHECKING:
    from ..bank import QuestionBank
    from ..grading.base import Grader

Rpm = Annotated[
    list[str] | None,
    typer.Option(
        metavar="[PROVIDER=]N",
        help="Requests per minute for each provider, e.g. 500 or anthropic=4000 (repeatable).",
    ),
]
Tpm = Annotated[
    list[str] | None,
    typer.Option(
        metavar="[PROVIDER=]N",
        help="Tokens per minute for each provider (estimated from the prompt and the reply "
        "allowance), e.g. 200000 or anthropic=400000 (repeatable).",
    ),
]


def _per_provider(values: list[str] | None, flag: str) -> dict[str, int]:
    limits: dict[str, int] = {}
    for value in values or []:
        name, sep, number = value.rpartition("=")
        try:
            amount = int(number)
        except ValueError:
            amount = 0
        if amount <= 0:
            raise typer.BadParameter(
                f"{value!r}: expected N or PROVIDER=N with N > 0", param_hint=flag
            )
        limits[name if sep else "*"] = amount
    return limits


def grade(
    answers: Annotated[
        Path,
        typer.Argument(metavar="ANSWERS", help="JSONL or CSV: candidate_id, question_id, answer."),
    ],
    out: Annotated[
        Path,
        typer.Option(help="One JSON verdict per line; an existing file is resumed, not redone."),
    ],
    questions: Annotated[
        Path | None,
        typer.Option(
            help="YAML of take-home questions: id, text, rubric or reference_answer, scale."
        ),
    ] = None,
    provider: Provider = "offline",
    fallback: Fallback = None,
    base_url: BaseUrl = None,
    samples: Samples = 1,
    no_cache: NoCache = False,
    escalate_to: EscalateTo = None,
    concurrency: Annotated[
        int, typer.Option(min=1, help="Model calls in flight at once (halved on HTTP 429).")
    ] = 8,
    http: Annotated[
        str,
        typer.Option(
            help="HTTP client under the SDKs: aiohttp (their backend for many concurrent "
            "calls, less CPU a call) or httpx2 (their default)."
        ),
    ] = "aiohttp",
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Grading processes, one event loop each (default: one per core, plus one "
            "for an LLM provider). Calls in flight and per-minute budgets are shared among them.",
            show_default=False,
        ),
    ] = None,
    rpm: Rpm = None,
    tpm: Tpm = None,
    batch_api: Annotated[
        bool,
        typer.Option(
            "--batch-api", help="Grade through Anthropic/OpenAI batch APIs (half price, hours)."
        ),
    ] = False,
    examples: Annotated[
        Path | None,
        typer.Option(
            help="JSONL of graded answers: question_id, answer, score (on the question's "
            "scale). Reference-only questions are graded as these examples teach."
        ),
    ] = None,
    examples_cv: Annotated[
        bool,
        typer.Option(
            "--examples-cv/--no-examples-cv",
            help="Say what the examples are worth, cross-validated on themselves (5 folds of "
            "answers and of questions; about a minute for 3,000 examples).",
        ),
    ] = True,
    summary: Annotated[
        Path | None, typer.Option(help="Also write one CSV row per candidate.")
    ] = None,
    html: Annotated[
        Path | None, typer.Option(help="Also write a ranked HTML report of the candidates.")
    ] = None,
    max_answer_chars: Annotated[
        int, typer.Option(min=1, help="Longest answer accepted; longer rows are bad rows.")
    ] = MAX_ANSWER_CHARS,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar (for CI).")] = False,
) -> None:
    """Grade every answer in ANSWERS; bad rows are listed and the good ones still graded.

    Re-running the same command after an interruption grades only the rows the --out file lacks.
    """
    from ..bank import load_bank
    from ..batch import (
        AnswerFileError,
        BatchOptions,
        LimitSettings,
        NoProgress,
        grade_file,
        load_questions,
        write_html,
        write_summary,
    )
    from ..batch.output import refuse_overwrite
    from ..batch.provider_batch import BatchApiOptions
    from ..batch.runner import Progress
    from ..grading.base import get_grader
    from ..providers.base import HTTP_BACKENDS

    refuse_overwrite(
        {"ANSWERS": answers, "--questions": questions, "--examples": examples},
        {"--out": out, "--summary": summary, "--html": html},
    )
    bank = load_bank()
    if questions is not None:
        bank = load_questions(questions, bank)
    if http not in HTTP_BACKENDS:
        raise typer.BadParameter(f"expected one of {', '.join(HTTP_BACKENDS)}", param_hint="--http")
    options = replace(
        grader_options(fallback, base_url, samples, no_cache, escalate_to), http_backend=http
    )
    grader = get_grader(provider, options)
    if examples is not None:
        grader = _with_examples(grader, examples, bank, check=examples_cv)
    batch = BatchOptions(
        limits=LimitSettings(
            concurrency=concurrency,
            rpm=_per_provider(rpm, "--rpm"),
            tpm=_per_provider(tpm, "--tpm"),
        ),
        max_chars=max_answer_chars,
        settings={
            "provider": provider,
            "fallbacks": list(fallback or []),
            "samples": samples,
            "base_url": base_url,
        },
        batch_api=batch_api,
        batch_api_options=BatchApiOptions(),
        workers=workers or 0,
    )

    def report_error(error: AnswerFileError) -> None:
        print(f"screener: error: {error}", file=sys.stderr, flush=True)

    progress: Progress = NoProgress()
    if not quiet and sys.stderr.isatty():
        from ..batch.progress import RichProgress

        progress = RichProgress()
    result = grade_file(answers, out, bank, grader, batch, on_error=report_error, progress=progress)
    if summary:
        write_summary(summary, out)
    if html:
        write_html(html, out, bank, answers, max_chars=max_answer_chars)
    spent = result.usage
    cost = "unknown" if spent.cost_usd is None else f"${spent.cost_usd:.4f}"
    kept = f" ({result.resumed} kept from an earlier run)" if result.resumed else ""
    print(
        f"graded {result.graded} answer(s) into {out}{kept}; {len(result.errors)} bad row(s); "
        f"{result.unscored} unscored; {result.degraded} degraded; {spent.calls} model call(s), "
        f"{spent.cache_hits} cache hit(s), cost {cost}; {result.rate_limited} rate-limited; "
        f"{result.seconds:.1f} s"
        + (f" in {result.workers} worker processes" if result.workers > 1 else ""),
        file=sys.stderr,
    )
    if result.errors:
        raise typer.Exit(1)


def _with_examples(grader: Grader, path: Path, bank: QuestionBank, *, check: bool) -> Grader:
    """The take-home router with the examples of ``path``; with ``check``, prints what they are
    worth, measured on themselves (out of fold), beside the reference alone."""
    from ..grading.examples import MIN_EXAMPLES, ExampleModel, read_examples
    from ..grading.reference import TakeHomeGrader, reference_alone_f1

    questions = {q.id: q for q in bank}
    model = ExampleModel(read_examples(path, questions), questions)
    line = (
        f"examples: {len(model.examples)} graded answer(s) to {len(model.by_question)} question(s)"
    )
    if not model.enough:
        line += f": too few to learn from (at least {MIN_EXAMPLES}), graded from the references"
    elif check:
        figures = model.cross_validate()
        line += (
            f"; top-of-scale macro-F1 out of fold: {figures['answers held out']:.3f} with "
            f"examples of the same question, {figures['questions held out']:.3f} with examples "
            f"of other questions only, {reference_alone_f1(model):.3f} from the reference alone"
        )
    print(line, file=sys.stderr)
    return TakeHomeGrader(grader, examples=model)
