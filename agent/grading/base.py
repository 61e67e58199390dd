"""The grader interface every grader family implements, and the factory that builds them.

A grader turns (question, answer) into a :class:`~agent._models.Verdict`. The one method is async
so that network graders (the LLM judge) and the offline grader share an interface; callers that
are not async use :func:`grade_blocking`.

Provider specs: ``offline``, or ``family:model`` for a chat model (``anthropic:...``,
``openai:...``, ``fake:...``), which becomes an :class:`~agent.grading.judge.LLMJudge`. An LLM
grader always sits in a :class:`FallbackGrader` chain ending with the offline grader, so no
answer is lost when every provider is down.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .._errors import ProviderError, UserError
from .._models import GraderInfo, Question, Verdict

T = TypeVar("T")


class Grader(ABC):
    """Grades one answer to one question against the question's rubric."""

    info: GraderInfo

    @abstractmethod
    async def grade(self, question: Question, answer: str) -> Verdict:
        """The verdict on ``answer`` (the main answer and any follow-up answers, joined)."""

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        """The follow-up to ask. Graders without a language model ask the bank's probe as is."""
        return probe

    def fingerprint(self) -> str:
        """A hash of everything about this grader that can change a verdict."""
        return hashlib.sha256(f"{self.info.name}\x00{self.info.version}".encode()).hexdigest()


def run_blocking(coro: Awaitable[T]) -> T:
    """Run a coroutine from synchronous code, inside or outside an event loop."""

    async def wrapper() -> T:
        return await coro

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wrapper())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, wrapper()).result()


def grade_blocking(grader: Grader, question: Question, answer: str) -> Verdict:
    """:meth:`Grader.grade` from synchronous code."""
    return run_blocking(grader.grade(question, answer))


class FallbackGrader(Grader):
    """Tries each grader in turn; a provider failure moves on and marks the verdict degraded."""

    def __init__(self, chain: Sequence[Grader]) -> None:
        if not chain:
            raise ValueError("a fallback chain needs at least one grader")
        self.chain = list(chain)
        self.info = self.chain[0].info

    async def grade(self, question: Question, answer: str) -> Verdict:
        failed: list[str] = []
        reasons: list[str] = []
        for index, grader in enumerate(self.chain):
            try:
                verdict = await grader.grade(question, answer)
            except ProviderError as exc:
                if index == len(self.chain) - 1:
                    raise
                failed.append(grader.info.name)
                reasons.append(str(exc))
                continue
            if not failed:
                return verdict
            note = f"degraded: {', '.join(failed)} failed ({'; '.join(reasons)[:300]})"
            return verdict.model_copy(
                update={
                    "degraded": True,
                    "fallback_from": failed,
                    "flags": [*verdict.flags, f"{note}; graded by {grader.info.name}"],
                }
            )
        raise AssertionError("unreachable")

    async def phrase_probe(
        self, question: Question, probe: str, missing: list[str], answer: str
    ) -> str:
        return await self.chain[0].phrase_probe(question, probe, missing, answer)

    def fingerprint(self) -> str:
        return hashlib.sha256("|".join(g.fingerprint() for g in self.chain).encode()).hexdigest()


@dataclass(frozen=True)
class GraderOptions:
    """How to build a grader from the command line or the web."""

    fallbacks: tuple[str, ...] = ()
    base_url: str | None = None
    samples: int = 1
    cache: bool = True
    cache_path: Path | None = None
    timeout: float = 60.0
    max_retries: int = 4
    http_client: Any = None
    http_backend: str = "httpx2"  # see agent.providers.base.HTTP_BACKENDS
    reference_examples: bool = True
    calibration: bool = True
    escalate_to: str | None = None


def get_grader(spec: str, options: GraderOptions | None = None) -> Grader:
    """The grader for ``spec`` with its fallback chain (always ending offline for LLMs)."""
    options = options or GraderOptions()
    if spec == "cascade":
        return _cascade(options)
    primary = _single(spec, options)
    if options.calibration:
        from ..calibration import calibrated

        primary = calibrated(primary)
    chain = [primary] + [_single(f, options) for f in options.fallbacks]
    if spec != "offline" and not any(g.info.name == "offline" for g in chain):
        chain.append(_single("offline", options))
    return primary if len(chain) == 1 else FallbackGrader(chain)


def _single(spec: str, options: GraderOptions) -> Grader:
    from .offline import OfflineGrader

    if spec == "offline":
        from .trained import TrainedGrader, load_artifact

        artifact = load_artifact()
        return TrainedGrader(artifact) if artifact is not None else OfflineGrader()
    if spec == "offline-rules":
        return OfflineGrader()
    if ":" not in spec:
        raise UserError(
            f"unknown provider {spec!r}; use offline, offline-rules, anthropic:MODEL, "
            "openai:MODEL or fake:NAME"
        )
    from ..providers.base import ProviderSettings, get_model
    from ..providers.cache import ResponseCache
    from .judge import LLMJudge

    settings = ProviderSettings(
        base_url=options.base_url,
        timeout=options.timeout,
        max_retries=options.max_retries,
        http_client=options.http_client,
        http_backend=options.http_backend,
    )
    model = get_model(spec, settings)
    cache = ResponseCache(options.cache_path) if options.cache else None
    examples = _reference_examples() if options.reference_examples else {}
    return LLMJudge(model, samples=options.samples, cache=cache, examples=examples)


def _cascade(options: GraderOptions) -> Grader:
    from .cascade import CascadeGrader
    from .trained import TrainedGrader, load_artifact

    if not options.escalate_to or options.escalate_to.startswith(("offline", "cascade")):
        raise UserError("--provider cascade needs --escalate-to PROVIDER (an LLM judge)")
    artifact = load_artifact()
    if artifact is None:
        raise UserError("the cascade needs the trained offline grader: run `screener train`")
    inner = GraderOptions(**{**options.__dict__, "escalate_to": None})
    escalate = get_grader(options.escalate_to, inner)
    threshold = artifact.cascade["confidence_threshold"]
    return CascadeGrader(TrainedGrader(artifact), escalate, threshold)


def _reference_examples() -> dict[str, list[Any]]:
    """Calibration-split golden answers at levels 1, 3 and 5 per question (never test items)."""
    from ..bank import load_golden_answers

    try:
        answers = load_golden_answers()
    except UserError:
        return {}
    by_question: dict[str, list[Any]] = {}
    for level in (1, 3, 5):
        for answer in answers:
            if answer.split != "calibration" or answer.labels.overall != level:
                continue
            if answer.style == "injection":
                continue
            chosen = by_question.setdefault(answer.question_id, [])
            if all(a.labels.overall != level for a in chosen):
                chosen.append(answer)
    return by_question
