"""Throughput within limits: concurrency, token buckets, and adaptive back-off on HTTP 429."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from conftest import STRONG_ANSWERS
from providers.conftest import RespxTransport, anthropic_tool_reply, judge_input

from agent import LLMJudge, ProviderError, QuestionBank, ScriptedModel
from agent.batch import BatchOptions, LimitSettings, grade_file, read_rows
from agent.batch.limits import AdaptiveGate, LimitedModel, TokenBucket, estimate_tokens
from agent.batch.runner import limit_models
from agent.grading.base import FallbackGrader, GraderOptions, get_grader
from agent.grading.offline import OfflineGrader
from agent.providers.fake import naive_judge

from .conftest import row, write_jsonl


class Clock:
    """A fake monotonic clock whose sleeps advance it."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_token_bucket_allows_a_burst_then_paces() -> None:
    clock = Clock()
    bucket = TokenBucket(60, clock=clock, sleep=clock.sleep)  # one a second, burst of 60

    async def take(n: int) -> None:
        for _ in range(n):
            await bucket.take(1)

    asyncio.run(take(60))
    assert clock.slept == [], "a minute's budget is available at once"
    asyncio.run(take(3))
    assert clock.slept == pytest.approx([1.0, 1.0, 1.0])
    tokens = TokenBucket(1200, clock=clock, sleep=clock.sleep)
    asyncio.run(tokens.take(1200))
    waited = asyncio.run(tokens.take(600))
    assert waited == pytest.approx(30.0), "600 tokens at 20 a second"
    assert estimate_tokens("x" * 400, max_tokens=100) == 200


def test_adaptive_gate_halves_on_429_and_recovers_after_the_cooldown() -> None:
    clock = Clock()
    gate = AdaptiveGate(16, cooldown=10, clock=clock)

    async def scenario() -> list[int]:
        seen = []
        gate.rate_limited()
        seen.append(gate.limit)
        gate.rate_limited()
        seen.append(gate.limit)
        await gate.acquire()
        await gate.release(ok=True)
        seen.append(gate.limit)  # still cooling down
        clock.now += 11
        await gate.acquire()
        await gate.release(ok=True)
        seen.append(gate.limit)
        clock.now += 11
        await gate.acquire()
        await gate.release(ok=True)
        seen.append(gate.limit)
        return seen

    assert asyncio.run(scenario()) == [8, 4, 4, 8, 16]


class SlowModel(ScriptedModel):
    """The naive judge after a pause; records the most calls in flight at once."""

    def __init__(self, pause: float = 0.01, fail_429: int = 0) -> None:
        super().__init__(naive_judge, model="slow")
        self.pause, self.fail_429 = pause, fail_429
        self.in_flight = self.peak = 0

    async def structured(self, **kwargs: Any) -> Any:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.pause)
            if self.fail_429 > 0:
                self.fail_429 -= 1
                raise ProviderError("fake", "slow", "rate limited", status_code=429)
            return await super().structured(**kwargs)
        finally:
            self.in_flight -= 1


def _answers(tmp_path: Path, n: int) -> Path:
    texts = list(STRONG_ANSWERS.items())
    return write_jsonl(
        tmp_path / "a.jsonl",
        *(row(f"c{i}", texts[i % 3][0], f"{texts[i % 3][1]} ({i})") for i in range(n)),
    )


def _judge(model: ScriptedModel) -> FallbackGrader:
    return FallbackGrader([LLMJudge(model), OfflineGrader()])


def test_calls_run_at_the_requested_concurrency(tmp_path: Path, bank: QuestionBank) -> None:
    model = SlowModel()
    result = grade_file(
        _answers(tmp_path, 40),
        tmp_path / "g.jsonl",
        bank,
        _judge(model),
        BatchOptions(limits=LimitSettings(concurrency=8)),
    )
    assert result.graded == 40 and model.peak == 8


def test_a_429_after_sdk_retries_halves_concurrency_and_retries_the_call(
    tmp_path: Path, bank: QuestionBank
) -> None:
    model = SlowModel(fail_429=3)
    grader = _judge(model)
    settings = LimitSettings(concurrency=8, backoff=0.001, cooldown=60)
    result = grade_file(
        _answers(tmp_path, 24), tmp_path / "g.jsonl", bank, grader, BatchOptions(limits=settings)
    )
    assert result.graded == 24 and result.degraded == 0, "no row fell back to offline"
    assert result.rate_limited == 3
    judge = grader.chain[0]
    assert isinstance(judge, LLMJudge) and isinstance(judge.model, LimitedModel)
    assert judge.model.limits.gate.limit < 8, "still halved inside the cool-down"
    rows = list(read_rows(tmp_path / "g.jsonl"))
    assert {r["grader"]["name"] for r in rows} == {"fake:slow"}


def test_rate_retries_are_bounded_then_the_fallback_grades(
    tmp_path: Path, bank: QuestionBank
) -> None:
    model = SlowModel(fail_429=100)
    settings = LimitSettings(concurrency=2, backoff=0.0, rate_retries=2)
    result = grade_file(
        _answers(tmp_path, 2),
        tmp_path / "g.jsonl",
        bank,
        _judge(model),
        BatchOptions(limits=settings),
    )
    assert result.degraded == 2 and result.rate_limited == 4
    assert model.fail_429 == 100 - 6, "three tries per row"


def test_requests_per_minute_pace_the_calls(tmp_path: Path, bank: QuestionBank) -> None:
    model = SlowModel(pause=0)
    grader = _judge(model)
    settings = LimitSettings(concurrency=4, rpm={"fake": 600})  # ten a second after a burst
    limits = limit_models(grader, settings)
    assert set(limits) == {"fake"}
    bucket = limits["fake"].requests
    assert bucket is not None
    bucket.level = 0.0  # no burst left: every call waits 0.1 s
    result = grade_file(
        _answers(tmp_path, 5), tmp_path / "g.jsonl", bank, grader, BatchOptions(limits=settings)
    )
    # five calls at ten a second from an empty bucket take half a second, however much of it
    # the grading itself fills (the bucket refills meanwhile, so less of it is spent waiting)
    assert result.graded == 5 and result.seconds >= 0.45
    assert 0 < limits["fake"].waited <= 0.55


def test_real_sdk_429s_beyond_its_retries_are_retried_by_the_limiter(
    tmp_path: Path, bank: QuestionBank, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    router = respx.Router(assert_all_called=False, assert_all_mocked=True)
    ids = [c.id for c in bank.get("regression-suite").rubric]
    limited = httpx.Response(429, headers={"retry-after": "0"}, json={"type": "error"})
    ok = httpx.Response(200, json=anthropic_tool_reply(judge_input(ids, 3)))
    route = router.post("https://api.anthropic.com/v1/messages").mock(
        side_effect=[limited, limited, limited, ok]
    )
    import httpx2

    options = GraderOptions(
        http_client=httpx2.AsyncClient(transport=RespxTransport(router)),
        cache=False,
        max_retries=1,  # the SDK tries twice, then the limiter retries the call
        reference_examples=False,
        calibration=False,
    )
    answers = write_jsonl(
        tmp_path / "a.jsonl", row("alice", "regression-suite", STRONG_ANSWERS["regression-suite"])
    )
    settings = LimitSettings(concurrency=4, backoff=0.0)
    result = grade_file(
        answers,
        tmp_path / "g.jsonl",
        bank,
        get_grader("anthropic:claude-x", options),
        BatchOptions(limits=settings),
    )
    assert route.call_count == 4
    assert result.rate_limited == 1 and result.degraded == 0
    (record,) = read_rows(tmp_path / "g.jsonl")
    assert record["score"] == 3 and record["grader"]["name"] == "anthropic:claude-x"
    assert json.loads(route.calls[-1].request.content)["model"] == "claude-x"
