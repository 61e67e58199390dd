"""Staying inside a provider's limits: request and token budgets, and back-off on HTTP 429.

Each provider family (``anthropic``, ``openai``, ...) gets one :class:`ProviderLimits`:

* two token buckets, requests per minute and tokens per minute (a call's tokens are estimated
  from its text, four characters a token, plus its ``max_tokens``), each refilling continuously
  and allowing a burst of one minute's budget;
* an :class:`AdaptiveGate` on calls in flight. It starts at ``--concurrency``; a 429 that
  survives the SDK's own retries halves it (down to 1) for a cool-down period, after which it
  doubles back step by step towards the ceiling.

:class:`LimitedModel` wraps a :class:`~agent.providers.base.ChatModel`: every call waits for its
budget and a slot, and a call that still gets a 429 is retried after the gate has halved, a
bounded number of times. The SDK's own retries (with ``retry-after``) stay on underneath.
Structured calls take the model's direct path (``ChatModel.structured_direct``), which spends
the least client CPU a call (:mod:`agent.providers.structured`).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .._errors import ProviderError
from ..providers.base import ChatModel, Completion, ModelT

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """``per_minute`` units a minute, refilled continuously, with a burst of one minute's worth."""

    def __init__(
        self,
        per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("a rate limit must be positive")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.level = self.capacity
        self._clock, self._sleep = clock, sleep
        self._stamp = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self.level = min(self.capacity, self.level + (now - self._stamp) * self.rate)
        self._stamp = now

    async def take(self, amount: float) -> float:
        """Wait until ``amount`` units are available and take them; the seconds waited."""
        amount = min(amount, self.capacity)  # a call larger than the budget waits for a full one
        waited = 0.0
        async with self._lock:  # first come, first served
            self._refill()
            while self.level < amount:
                pause = (amount - self.level) / self.rate
                await self._sleep(pause)
                waited += pause
                self._refill()
            self.level -= amount
        return waited


class AdaptiveGate:
    """Calls in flight, at most ``limit``; halved on a rate limit, restored after a cool-down."""

    def __init__(
        self, ceiling: int, *, cooldown: float = 20.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ceiling = self.limit = max(1, ceiling)
        self.cooldown = cooldown
        self.in_flight = 0
        self.halvings = 0
        self._clock = clock
        self._calm_after = 0.0
        self._changed = asyncio.Condition()

    async def acquire(self) -> None:
        """Wait for a free slot."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_flight < self.limit)
            self.in_flight += 1

    async def release(self, *, ok: bool) -> None:
        """Free a slot; a success after the cool-down doubles the limit back towards the ceiling."""
        async with self._changed:
            self.in_flight -= 1
            now = self._clock()
            if ok and self.limit < self.ceiling and now >= self._calm_after:
                self.limit = min(self.ceiling, self.limit * 2)
                self._calm_after = now + self.cooldown
            self._changed.notify_all()

    def rate_limited(self) -> None:
        """A 429 got through: halve the limit and hold it for the cool-down."""
        self.limit = max(1, self.limit // 2)
        self.halvings += 1
        self._calm_after = self._clock() + self.cooldown


@dataclass
class ProviderLimits:
    """The budgets and the gate of one provider family."""

    gate: AdaptiveGate
    requests: TokenBucket | None = None
    tokens: TokenBucket | None = None
    rate_limited: int = 0
    waited: float = field(default=0.0)

    async def enter(self, estimated_tokens: int) -> None:
        """Wait for the request and token budgets, then for a slot."""
        if self.requests is not None:
            self.waited += await self.requests.take(1)
        if self.tokens is not None:
            self.waited += await self.tokens.take(estimated_tokens)
        await self.gate.acquire()


@dataclass(frozen=True)
class LimitSettings:
    """Per-provider limits: requests and tokens a minute (None: unlimited), and 429 handling."""

    concurrency: int = 8
    rpm: dict[str, int] = field(default_factory=dict)
    tpm: dict[str, int] = field(default_factory=dict)
    rate_retries: int = 4
    backoff: float = 5.0
    cooldown: float = 20.0

    def for_provider(self, provider: str, *, sleep: Sleep = asyncio.sleep) -> ProviderLimits:
        """Fresh limits for one provider family (``"*"`` entries apply to every provider)."""
        rpm = self.rpm.get(provider, self.rpm.get("*"))
        tpm = self.tpm.get(provider, self.tpm.get("*"))
        return ProviderLimits(
            gate=AdaptiveGate(self.concurrency, cooldown=self.cooldown),
            requests=TokenBucket(rpm, sleep=sleep) if rpm else None,
            tokens=TokenBucket(tpm, sleep=sleep) if tpm else None,
        )


def estimate_tokens(*texts: str, max_tokens: int = 0) -> int:
    """A rough token count for budgeting: four characters a token, plus the reply's allowance."""
    return math.ceil(sum(len(t) for t in texts) / 4) + max_tokens


class LimitedModel(ChatModel):
    """A chat model whose calls respect a provider's limits and back off on HTTP 429."""

    def __init__(
        self,
        inner: ChatModel,
        limits: ProviderLimits,
        settings: LimitSettings,
        *,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.inner, self.limits, self.settings = inner, limits, settings
        self.provider, self.model, self.price_key = inner.provider, inner.model, inner.price_key
        self._sleep = sleep

    async def _call(self, estimated: int, call: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(self.settings.rate_retries + 1):
            await self.limits.enter(estimated)
            ok = False
            try:
                result = await call()
                ok = True
                return result
            except ProviderError as exc:
                if exc.status_code != 429 or attempt == self.settings.rate_retries:
                    raise
                self.limits.rate_limited += 1
                self.limits.gate.rate_limited()
            finally:
                await self.limits.gate.release(ok=ok)
            await self._sleep(self.settings.backoff * 2**attempt)
        raise AssertionError("unreachable")

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
        async def call() -> Completion[ModelT]:
            return await self.inner.structured_direct(
                system=system,
                user=user,
                response_model=response_model,
                max_tokens=max_tokens,
                temperature=temperature,
                max_retries=max_retries,
                context=context,
            )

        return await self._call(estimate_tokens(system, user, max_tokens=max_tokens), call)

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        async def call() -> Completion[str]:
            return await self.inner.text(
                system=system, user=user, max_tokens=max_tokens, temperature=temperature
            )

        return await self._call(estimate_tokens(system, user, max_tokens=max_tokens), call)
