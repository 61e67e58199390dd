"""Options shared by every command that grades or interviews."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .._resources import existing

if TYPE_CHECKING:
    from ..bank import QuestionBank
    from ..grading.base import GraderOptions

Provider = Annotated[
    str,
    typer.Option(
        help="Grader: offline (default, no key), offline-rules, anthropic:MODEL, openai:MODEL, "
        "cascade (with --escalate-to), fake:naive|echo."
    ),
]
Fallback = Annotated[
    list[str] | None,
    typer.Option(metavar="<str>", help="Provider to try when the previous one fails (repeatable)."),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(help="Base URL of an OpenAI-compatible server (vLLM, Ollama, llama.cpp)."),
]
Samples = Annotated[
    int, typer.Option(min=1, help="Ask the LLM judge k times; take the median per criterion.")
]
NoCache = Annotated[bool, typer.Option("--no-cache", help="Do not read or write the cache.")]
EscalateTo = Annotated[
    str | None,
    typer.Option(help="With --provider cascade: the LLM judge for uncertain answers."),
]
GoldenDir = Annotated[
    Path | None,
    typer.Option(
        help="A golden/ directory (questions/, answers/, sessions/) to use instead of the "
        "checkout's or the installed copy.",
        show_default=False,
    ),
]


def golden_root(golden_dir: Path | None) -> Path | None:
    """``--golden-dir`` checked to exist (one line naming it when it does not)."""
    if golden_dir is None:
        return None
    return existing(golden_dir, "golden directory", "--golden-dir")


def golden_bank(golden: Path | None) -> QuestionBank:
    """The question bank of a ``--golden-dir`` (its ``questions/``), else the default bank."""
    from ..bank import load_bank

    return load_bank(golden / "questions" if golden else None)


def grader_options(
    fallback: list[str] | None,
    base_url: str | None,
    samples: int,
    no_cache: bool,
    escalate_to: str | None = None,
) -> GraderOptions:
    """The :class:`GraderOptions` of the shared flags."""
    from ..grading.base import GraderOptions

    return GraderOptions(
        fallbacks=tuple(fallback or ()),
        base_url=base_url,
        samples=samples,
        cache=not no_cache,
        escalate_to=escalate_to,
    )


def runnable(*words: str | Path) -> str:
    """A ``screener`` command line that runs as printed, from where this one was started.

    The program is named as it was started (``.venv/bin/screener`` after the README's install),
    or ``screener`` when that is what the PATH finds; every argument is shell-quoted.
    """
    program = sys.argv[0] if sys.argv and sys.argv[0] else "screener"
    on_path = shutil.which("screener")
    if on_path and Path(on_path).resolve() == Path(program).resolve():
        program = "screener"
    elif not Path(program).name.startswith("screener"):
        program = "screener"  # started some other way (python -c, a test runner)
    return shlex.join([program, *map(str, words)])


def emit(text: str, out: Path | None, what: str) -> None:
    """Print ``text``, or write it to ``out`` and say so on standard error."""
    if out is None:
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"{what} written to {out}", file=sys.stderr)
