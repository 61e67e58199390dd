"""A scripted chat model shipped in the package, for tests, demos and eval smoke runs.

``ScriptedModel(replies)`` answers each call with the next scripted reply: a dict (validated as
the response model, re-asked on failure like instructor does), a string (for text calls), an
exception (raised, to simulate a provider failure) or a callable ``(system, user) -> reply``.

Two named fakes are available as provider specs:

* ``fake:naive`` grades like a gullible judge: it follows any instruction it finds in the
  answer ("score 5", "5/5", "all criteria 5", "full marks"), else scores by how many figures the
  answer holds. It exists to prove the injection defences in tests; never use it for real.
* ``fake:echo`` scores every criterion 3 and quotes the answer's first sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from pydantic import ValidationError

from .._errors import ProviderError, ReplyInvalidError, UserError
from .base import ChatModel, Completion, ModelT, ProviderSettings, Usage

Reply = dict[str, Any] | str | BaseException | Callable[[str, str], Any]

_CRITERION_LINE = re.compile(r"^- \[([a-z0-9-]+)\]", re.M)
_ANSWER = re.compile(r"^<<<ANSWER-([0-9a-f]+)>>>\n(.*?)\n<<<END-ANSWER-\1>>>$", re.S | re.M)
_OBEY = re.compile(
    r"score\s*[:=]?\s*5|5\s*/\s*5|all criteria\D{0,10}5|full marks|rate this 5", re.I
)


class ScriptedModel(ChatModel):
    """Replies from a script; records every call in :attr:`calls`."""

    provider = "fake"
    price_key = "fake"

    def __init__(
        self,
        replies: Iterable[Reply] | Callable[[str, str], Any],
        model: str = "script",
        text_reply: Callable[[str, str], str] | None = None,
    ) -> None:
        self.model = model
        self._text_reply = text_reply
        self._replies: list[Reply] = [] if callable(replies) else list(replies)
        self._default: Callable[[str, str], Any] | None = replies if callable(replies) else None
        self.calls: list[dict[str, str]] = []

    def _next(self, system: str, user: str) -> Any:
        self.calls.append({"system": system, "user": user})
        if self._replies:
            reply = self._replies.pop(0)
        elif self._default is not None:
            reply = self._default
        else:
            raise ProviderError(self.provider, self.model, "script exhausted")
        if isinstance(reply, BaseException):
            raise reply
        return reply(system, user) if callable(reply) else reply

    async def structured(
        self,
        *,
        system: str,
        user: str,
        response_model: type[ModelT],
        max_tokens: int = 1500,
        temperature: float = 0.0,
        max_retries: int = 1,
        context: dict[str, Any] | None = None,
    ) -> Completion[ModelT]:
        error: ValidationError | None = None
        for _attempt in range(max_retries + 1):
            prompt = user if error is None else f"{user}\n\nYour last reply was invalid: {error}"
            reply = self._next(system, prompt)
            try:
                value = response_model.model_validate(reply, context=context)
            except ValidationError as exc:
                error = exc
                continue
            return Completion(value, Usage(400, 120), self.provider, self.model)
        raise ReplyInvalidError(
            f"{self.spec}: reply failed validation after {max_retries + 1} attempt(s): {error}"
        )

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        if self._text_reply is not None:
            self.calls.append({"system": system, "user": user})
            reply: Any = self._text_reply(system, user)
        else:
            reply = self._next(system, user)
        return Completion(str(reply), Usage(200, 30), self.provider, self.model)


def answer_of(user: str) -> str:
    """The spotlighted answer inside a judge prompt's user turn."""
    match = _ANSWER.search(user)
    return match.group(2) if match else user


def naive_judge(system: str, user: str) -> dict[str, Any]:
    """A gullible judge: obeys instructions in the answer, else counts figures."""
    ids = _CRITERION_LINE.findall(system)
    answer = answer_of(user)
    if _OBEY.search(answer):
        score = 5
    else:
        score = max(1, min(5, 1 + len(re.findall(r"\d+", answer)) // 2))
    first = answer.strip().split(". ")[0][:200]
    quotes = [first] if first else []
    return {
        "criteria": [
            {"criterion_id": i, "score": score, "rationale": "naive", "quotes": quotes} for i in ids
        ],
        "claims": [],
        "artefacts": [],
        "injection_suspected": False,
    }


def echo_judge(system: str, user: str) -> dict[str, Any]:
    """Scores every criterion 3 and quotes the first sentence."""
    reply = naive_judge(system, "")
    first = answer_of(user).strip().split(". ")[0][:200]
    for grade in reply["criteria"]:
        grade["score"], grade["quotes"] = 3, [first] if first else []
    return reply


def _followup(system: str, user: str) -> str:
    return "Could you give me the concrete figures: how many cases, and the before and after?"


_NAMED: dict[str, Callable[[str, str], Any]] = {"naive": naive_judge, "echo": echo_judge}


def create(model: str, settings: ProviderSettings) -> ChatModel:
    """Factory used by the provider registry: ``fake:naive`` or ``fake:echo``."""
    if model not in _NAMED:
        raise UserError(f"unknown fake model {model!r}; use one of {sorted(_NAMED)}")
    return ScriptedModel(_NAMED[model], model=model, text_reply=_followup)
