"""The grader interface every grader family implements, and the registry that names them.

A grader turns (question, answer) into a :class:`~agent._models.Verdict`. The one method is async
so that network graders (the LLM judge) and the offline grader share an interface; callers that
are not async use :func:`grade_blocking`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from abc import ABC, abstractmethod
from collections.abc import Callable

from .._errors import UserError
from .._models import GraderInfo, Question, Verdict


class Grader(ABC):
    """Grades one answer to one question against the question's rubric."""

    info: GraderInfo

    @abstractmethod
    async def grade(self, question: Question, answer: str) -> Verdict:
        """The verdict on ``answer`` (the main answer and any follow-up answers, joined)."""


def grade_blocking(grader: Grader, question: Question, answer: str) -> Verdict:
    """Run :meth:`Grader.grade` from synchronous code, inside or outside an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(grader.grade(question, answer))
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, grader.grade(question, answer)).result()


_REGISTRY: dict[str, Callable[[str], Grader]] = {}


def register(name: str) -> Callable[[Callable[[str], Grader]], Callable[[str], Grader]]:
    """Register a grader factory under ``name``; the factory receives the model part of the spec."""

    def decorator(factory: Callable[[str], Grader]) -> Callable[[str], Grader]:
        _REGISTRY[name] = factory
        return factory

    return decorator


def get_grader(spec: str) -> Grader:
    """The grader named by ``spec``: ``offline``, or ``family:model`` for a registered family."""
    from . import offline  # noqa: F401  (registers "offline")

    family, _, model = spec.partition(":")
    factory = _REGISTRY.get(family)
    if factory is None:
        known = ", ".join(sorted(_REGISTRY))
        raise UserError(f"unknown provider {spec!r}; available here: {known}")
    return factory(model)
