"""Drive the real anthropic and openai SDKs against respx routes.

The SDKs send HTTP through httpx2, which respx does not patch. :class:`RespxTransport` is an
httpx2 transport that hands each request to a respx router (as an httpx request) and returns its
response, so routes see real SDK traffic and can be asserted on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import pytest
import respx

from agent import Question, Verdict
from agent.grading.base import Grader, GraderOptions, grade_blocking
from agent.grading.reference import judges_in
from agent.providers.base import ChatModel, Completion, ModelT


class RespxTransport(httpx2.AsyncBaseTransport):
    """httpx2 -> respx bridge."""

    def __init__(self, router: respx.Router) -> None:
        self.router = router

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        mirrored = httpx.Request(
            request.method,
            str(request.url),
            headers=list(request.headers.multi_items()),
            content=body,
        )
        try:
            response = await self.router.async_handler(mirrored)
        except httpx.TimeoutException as exc:
            raise httpx2.ReadTimeout(str(exc), request=request) from exc
        except httpx.ConnectError as exc:
            raise httpx2.ConnectError(str(exc), request=request) from exc
        content = await response.aread()
        return httpx2.Response(
            response.status_code, headers=list(response.headers.multi_items()), content=content
        )


@pytest.fixture
def router() -> Iterator[respx.Router]:
    """A respx router that fails the test on any request no route matches."""
    r = respx.Router(assert_all_called=False, assert_all_mocked=True)
    yield r
    r.reset()


@pytest.fixture
def http_client(router: respx.Router) -> httpx2.AsyncClient:
    """An httpx2 client whose every request goes to ``router``."""
    return httpx2.AsyncClient(transport=RespxTransport(router))


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The SDKs' retry waits, recorded instead of slept (back-off switched off in tests)."""
    waited: list[float] = []

    async def no_wait(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(anyio, "sleep", no_wait)
    return waited


@pytest.fixture
def options(http_client: httpx2.AsyncClient, tmp_path: Path) -> GraderOptions:
    """Grader options wired to the mock transport, with a private cache and 2 SDK retries."""
    return GraderOptions(
        http_client=http_client,
        cache_path=tmp_path / "cache.sqlite",
        max_retries=2,
        timeout=5.0,
        reference_examples=False,
    )


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Fake keys, and no user config file."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test")
    monkeypatch.setenv("SCREENER_CONFIG", str(tmp_path / "absent.toml"))


class DirectModel(ChatModel):
    """Sends structured calls down a model's direct path (what ``screener grade`` does)."""

    def __init__(self, inner: ChatModel) -> None:
        self.inner, self.provider, self.model = inner, inner.provider, inner.model
        self.price_key = inner.price_key

    async def structured(self, **kwargs: Any) -> Completion[ModelT]:  # type: ignore[override]
        return await self.inner.structured_direct(**kwargs)

    async def text(self, **kwargs: Any) -> Completion[str]:  # type: ignore[override]
        return await self.inner.text(**kwargs)


GradeFn = Callable[[Grader, Question, str], Verdict]


@pytest.fixture(params=["instructor", "direct"])
def grade(request: pytest.FixtureRequest) -> GradeFn:
    """Grade through instructor (chat, eval) or through the direct path (batch grading).

    Every HTTP-level behaviour holds on both: same bodies, re-asks, retries and errors.
    """
    return grade_blocking if request.param == "instructor" else direct_grade


def direct_grade(grader: Grader, question: Question, answer: str) -> Verdict:
    """:func:`grade_blocking` with every judge's structured calls on the direct path."""
    for judge in judges_in(grader):
        if not isinstance(judge.model, DirectModel):
            judge.model = DirectModel(judge.model)
    return grade_blocking(grader, question, answer)


def judge_input(criteria: list[str], score: int = 4, quote: str = "") -> dict[str, Any]:
    """A JudgeOutput payload grading every criterion ``score`` with one quote."""
    return {
        "criteria": [
            {
                "criterion_id": c,
                "score": score,
                "rationale": "r",
                "quotes": [quote] if quote else [],
            }
            for c in criteria
        ],
        "claims": [],
        "artefacts": [],
        "injection_suspected": False,
    }


def anthropic_tool_reply(
    payload: dict[str, Any], usage: dict[str, int] | None = None
) -> dict[str, Any]:
    """An Anthropic Messages reply whose content is one tool_use block."""
    return {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [{"type": "tool_use", "id": "tu_1", "name": "JudgeOutput", "input": payload}],
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": usage
        or {
            "input_tokens": 900,
            "output_tokens": 150,
            "cache_read_input_tokens": 1200,
            "cache_creation_input_tokens": 0,
        },
    }


def openai_tool_reply(payload: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat completion whose message is one tool call."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 0,
        "model": "gpt-test",
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_1",
                            "type": "function",
                            "function": {"name": "JudgeOutput", "arguments": json.dumps(payload)},
                        }
                    ],
                },
            }
        ],
        "usage": {"prompt_tokens": 800, "completion_tokens": 100, "total_tokens": 900},
    }
