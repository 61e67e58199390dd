"""Grading through the providers' batch APIs (``--batch-api``): half the price, no rate limits.

Anthropic Message Batches and the OpenAI Batch API take many requests at once and return the
results within 24 hours at half the price. Rows are graded by the same code as in real time
(injection layer, spotlighting, grounding, fallbacks, scales); the difference is below the
judge: every judge's model is wrapped in a :class:`BatchingModel`, whose calls do not go out at
once but wait in a :class:`BatchCollector`. When every row in flight is waiting (or a batch is
full), the collector submits the waiting requests as one batch, polls it with growing pauses,
downloads the results and hands each call its reply, which is validated as in real time.

* **Restart.** Submitted batches are recorded (id, provider, request ids) in
  ``GRADES.jsonl.batches.json`` before polling starts. A re-run recomputes each request's id
  from its content (the random spotlight boundary left out) and, when a recorded batch holds
  it, polls that batch instead of submitting again. The file is removed when a run finishes.
* **Failures.** A request the batch reports as errored or expired, a reply that fails
  validation, or a batch that cannot be submitted is made again in real time through the
  ordinary model (re-asking, SDK retries, then the fallback chain).
* **Cost.** Calls served by a batch are charged at the provider's batch discount (50%).
* ``--samples k`` asks each sample after the previous one, so it takes k batch rounds.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import re
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from .._errors import OutputError, UserError
from .._models import Question, Verdict
from ..bank import QuestionBank
from ..grading.base import Grader
from ..providers.base import ChatModel, Completion, ModelT, Usage
from ..providers.cost import cost_usd
from ..providers.structured import CallSpec, WireFormat, validate
from .inputs import AnswerRow
from .limits import Sleep
from .output import GradesFile, replace_text
from .runner import BatchOptions, BatchResult, Progress, grade_rows, iter_judges

log = logging.getLogger("screener")


@dataclass(frozen=True)
class BatchApiOptions:
    """Batch sizes, polling schedule and price of the batch APIs."""

    max_requests: int = 5000  # requests in one submitted batch
    rows_in_flight: int = 10000  # rows graded at once (each waits for its batch)
    poll_first: float = 10.0  # seconds before the first status check
    poll_max: float = 300.0
    poll_factor: float = 1.5
    settle: float = 0.05  # wait this long for more requests before submitting
    discount: float = 0.5  # batch price as a share of the real-time price


class BatchItemError(Exception):
    """A request of a batch produced no usable reply; it is made again in real time."""


# --- the record of submitted batches ---------------------------------------------------------


class StoredBatch(BaseModel):
    """A batch submitted to a provider."""

    model_config = ConfigDict(extra="forbid")

    id: str
    provider: str
    model: str
    custom_ids: list[str]
    submitted: float


class _StoreFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batches: list[StoredBatch] = []


class BatchStore:
    """``GRADES.jsonl.batches.json``: the batches this output file is waiting for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.batches: list[StoredBatch] = []
        if path.is_file():
            try:
                self.batches = _StoreFile.model_validate_json(path.read_text("utf-8")).batches
            except (ValidationError, OSError, UnicodeDecodeError):
                self.batches = []  # unreadable: submit again rather than fail
        self._by_custom_id = {c: b for b in self.batches for c in b.custom_ids}

    def batch_of(self, custom_id: str) -> StoredBatch | None:
        """The recorded batch that holds this request, if any."""
        return self._by_custom_id.get(custom_id)

    def add(self, batch: StoredBatch) -> None:
        """Record a submitted batch (written atomically before it is polled).

        The batch is already submitted, so a file that cannot be written (a full disk) does not
        stop this run from collecting it: it is a warning that a re-run would submit again.
        """
        self.batches.append(batch)
        self._by_custom_id.update(dict.fromkeys(batch.custom_ids, batch))
        text = _StoreFile(batches=self.batches).model_dump_json(indent=1)
        try:
            replace_text(self.path, text, "--out", "run the same command again")
        except OutputError as exc:
            cause = os.strerror(exc.errno) if exc.errno else "cannot write"
            log.warning(
                "%s: batch %s not recorded (%s); this run still collects it, but a re-run after "
                "an interruption would submit it again",
                self.path,
                batch.id,
                cause,
            )

    def clear(self) -> None:
        """Forget every batch (the run is complete)."""
        self.batches, self._by_custom_id = [], {}
        self.path.unlink(missing_ok=True)


# --- provider adapters -----------------------------------------------------------------------


class BatchAdapter:
    """Submission, polling and results of one provider's batch API.

    Request bodies and replies have the shapes of the model's :class:`WireFormat`, the ones its
    direct real-time calls use.
    """

    provider = ""

    async def submit(self, client: Any, requests: list[tuple[str, dict[str, Any]]]) -> str:
        """Submit ``(custom_id, body)`` requests as one batch; its id."""
        raise NotImplementedError

    async def ended(self, client: Any, batch_id: str) -> bool:
        """True when the batch has finished processing (successfully or not)."""
        raise NotImplementedError

    def results(self, client: Any, batch_id: str) -> AsyncIterator[tuple[str, Any]]:
        """``(custom_id, reply as a dict, or BatchItemError)`` for every request of a batch."""
        raise NotImplementedError


class AnthropicBatches(BatchAdapter):
    """Anthropic Message Batches (``/v1/messages/batches``)."""

    provider = "anthropic"

    async def submit(self, client: Any, requests: list[tuple[str, dict[str, Any]]]) -> str:
        batch = await client.messages.batches.create(
            requests=[{"custom_id": cid, "params": body} for cid, body in requests]
        )
        return str(batch.id)

    async def ended(self, client: Any, batch_id: str) -> bool:
        batch = await client.messages.batches.retrieve(batch_id)
        return bool(batch.processing_status == "ended")

    async def results(self, client: Any, batch_id: str) -> AsyncIterator[tuple[str, Any]]:
        decoder = await client.messages.batches.results(batch_id)
        async for entry in decoder:
            outcome = entry.result
            if outcome.type == "succeeded":
                yield entry.custom_id, outcome.message.model_dump(mode="json")
            else:
                yield entry.custom_id, BatchItemError(f"anthropic batch request {outcome.type}")


class OpenAIBatches(BatchAdapter):
    """The OpenAI Batch API (a JSONL file of ``/v1/chat/completions`` requests)."""

    provider = "openai"
    _ENDED = frozenset({"completed", "failed", "expired", "cancelled"})

    async def submit(self, client: Any, requests: list[tuple[str, dict[str, Any]]]) -> str:
        lines = [
            json.dumps(
                {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions", "body": body}
            )
            for cid, body in requests
        ]
        content = ("\n".join(lines) + "\n").encode()
        uploaded = await client.files.create(
            file=("screener-batch.jsonl", content, "application/jsonl"), purpose="batch"
        )
        batch = await client.batches.create(
            input_file_id=uploaded.id, endpoint="/v1/chat/completions", completion_window="24h"
        )
        return str(batch.id)

    async def ended(self, client: Any, batch_id: str) -> bool:
        batch = await client.batches.retrieve(batch_id)
        return batch.status in self._ENDED

    async def results(self, client: Any, batch_id: str) -> AsyncIterator[tuple[str, Any]]:
        batch = await client.batches.retrieve(batch_id)
        for file_id in (batch.output_file_id, batch.error_file_id):
            if not file_id:
                continue
            content = await client.files.content(file_id)
            for line in content.text.splitlines():
                if not line.strip():
                    continue
                item = json.loads(line)
                response = item.get("response") or {}
                if response.get("status_code") == 200:
                    yield item["custom_id"], response["body"]
                else:
                    reason = item.get("error") or f"HTTP {response.get('status_code')}"
                    yield item["custom_id"], BatchItemError(f"openai batch request: {reason}")


ADAPTERS: dict[str, BatchAdapter] = {"anthropic": AnthropicBatches(), "openai": OpenAIBatches()}


# --- the collector ---------------------------------------------------------------------------

#: Usage of the calls a batch served for the row being graded (for the batch discount).
_SERVED: ContextVar[list[tuple[str, Usage]] | None] = ContextVar("batch_served", default=None)
_BOUNDARY = re.compile(r"ANSWER-[0-9a-f]{8,}")


@dataclass
class _Call:
    model: BatchingModel
    custom_id: str
    body: dict[str, Any]


@dataclass
class BatchCollector:
    """Gathers the calls of the rows in flight into batches; submits, polls and collects them."""

    store: BatchStore
    options: BatchApiOptions
    sleep: Sleep = asyncio.sleep
    workers: int = 1
    active: int = 0  # rows being graded
    waiting: int = 0  # calls waiting for a batch
    exhausted: bool = False  # no more rows will start
    closed: bool = False
    submitted: list[str] = field(default_factory=list)
    _unsubmitted: list[_Call] = field(default_factory=list)
    _waiters: dict[str, list[asyncio.Future[Any]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    _results: dict[str, Any] = field(default_factory=dict)
    _pollers: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _counts: Counter[str] = field(default_factory=Counter)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)

    def custom_id(self, spec: str, body: dict[str, Any]) -> str:
        """A request id from the request's content, stable across runs (boundary left out).

        Identical requests (the same answer twice, or the next sample) are numbered in order.
        """
        blob = _BOUNDARY.sub("ANSWER-", json.dumps([spec, body], sort_keys=True))
        digest = hashlib.sha256(blob.encode()).hexdigest()[:40]
        number = self._counts[digest]
        self._counts[digest] += 1
        return f"{digest}-{number}"

    def changed(self) -> None:
        """Something the collector waits on has changed."""
        self._changed.set()

    async def request(self, model: BatchingModel, custom_id: str, body: dict[str, Any]) -> Any:
        """The raw reply to one request, once its batch is collected."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters[custom_id].append(future)
        stored = self.store.batch_of(custom_id)
        if stored is not None:
            self._poll(stored, model)
        else:
            self._unsubmitted.append(_Call(model, custom_id, body))
        self.waiting += 1
        self.changed()
        try:
            return await future
        finally:
            self.waiting -= 1

    def _ready(self) -> bool:
        if len(self._unsubmitted) >= self.options.max_requests:
            return True
        everyone_waits = self.waiting >= self.active and (
            self.exhausted or self.active >= self.workers
        )
        return bool(self._unsubmitted) and everyone_waits

    async def run(self) -> None:
        """Submit batches whenever the rows in flight wait on them, until closed."""
        while True:
            await self._changed.wait()
            self._changed.clear()
            if self.closed:
                return
            if self._ready():
                await asyncio.sleep(self.options.settle)  # let the last calls of a round arrive
                while self._ready():
                    await self._submit()

    async def close(self) -> None:
        """Stop; pollers still running are cancelled."""
        self.closed = True
        self.changed()
        for task in self._pollers.values():
            task.cancel()
        await asyncio.gather(*self._pollers.values(), return_exceptions=True)

    async def _submit(self) -> None:
        calls = self._unsubmitted[: self.options.max_requests]
        del self._unsubmitted[: self.options.max_requests]
        by_model: dict[int, list[_Call]] = defaultdict(list)
        for call in calls:
            by_model[id(call.model)].append(call)
        for group in by_model.values():
            model = group[0].model
            try:
                batch_id = await model.adapter.submit(
                    model.client, [(c.custom_id, c.body) for c in group]
                )
            except Exception as exc:  # noqa: BLE001 - any failure: grade these in real time
                for call in group:
                    self._resolve(call.custom_id, BatchItemError(f"batch not submitted: {exc}"))
                continue
            stored = StoredBatch(
                id=batch_id,
                provider=model.provider,
                model=model.model,
                custom_ids=[c.custom_id for c in group],
                submitted=time.time(),
            )
            self.store.add(stored)
            self.submitted.append(batch_id)
            self._poll(stored, model)

    def _poll(self, stored: StoredBatch, model: BatchingModel) -> None:
        task = self._pollers.get(stored.id)
        if task is None or task.done():
            self._pollers[stored.id] = asyncio.create_task(self._collect(stored, model))

    async def _collect(self, stored: StoredBatch, model: BatchingModel) -> None:
        delay = self.options.poll_first
        failures = 0
        try:
            while True:
                try:
                    if await model.adapter.ended(model.client, stored.id):
                        break
                    failures = 0
                except Exception:  # noqa: BLE001 - transient polling errors are retried
                    failures += 1
                    if failures > 5:
                        raise
                await self.sleep(delay)
                delay = min(self.options.poll_max, delay * self.options.poll_factor)
            async for custom_id, outcome in model.adapter.results(model.client, stored.id):
                self._results[custom_id] = outcome
        except Exception as exc:  # noqa: BLE001 - the batch is lost to us: grade in real time
            for custom_id in stored.custom_ids:
                self._results.setdefault(custom_id, BatchItemError(f"batch {stored.id}: {exc}"))
        for custom_id in stored.custom_ids:
            outcome = self._results.pop(custom_id, BatchItemError("no result (expired?)"))
            self._resolve(custom_id, outcome)

    def _resolve(self, custom_id: str, outcome: Any) -> None:
        for future in self._waiters.pop(custom_id, []):
            if future.done():
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


class BatchingModel(ChatModel):
    """A chat model whose structured calls go through the collector's batches."""

    def __init__(
        self, inner: ChatModel, collector: BatchCollector, adapter: BatchAdapter, wire: WireFormat
    ) -> None:
        self.inner, self.collector, self.adapter, self.wire = inner, collector, adapter, wire
        self.provider, self.model, self.price_key = inner.provider, inner.model, inner.price_key
        self.client: Any = getattr(inner, "client", None)

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
        call = CallSpec(self.model, system, user, response_model, max_tokens, temperature)
        body = self.wire.body(call)
        custom_id = self.collector.custom_id(self.inner.spec, body)
        try:
            reply = await self.collector.request(self, custom_id, body)
            value = validate(response_model, self.wire.payload(reply), context)
            usage = self.wire.usage(reply)
        except (BatchItemError, ValidationError, ValueError, AttributeError, TypeError):
            return await self.inner.structured_direct(  # in real time, re-asking and retrying
                system=system,
                user=user,
                response_model=response_model,
                max_tokens=max_tokens,
                temperature=temperature,
                max_retries=max_retries,
                context=context,
            )
        served = _SERVED.get()
        if served is not None:
            served.append((self.price_key or self.model, usage))
        return Completion(value, usage, self.provider, self.model)

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        return await self.inner.text(
            system=system, user=user, max_tokens=max_tokens, temperature=temperature
        )


def discounted(verdict: Verdict, served: list[tuple[str, Usage]], discount: float) -> Verdict:
    """``verdict`` with the calls a batch served charged at the batch price."""
    usage = verdict.usage
    if not served or usage is None or usage.cost_usd is None:
        return verdict
    full = sum(cost_usd(key, used) or 0.0 for key, used in served)
    cost = round(max(0.0, usage.cost_usd - full * (1 - discount)), 8)
    return verdict.model_copy(update={"usage": usage.model_copy(update={"cost_usd": cost})})


async def grade_with_batch_api(
    rows: Iterator[tuple[AnswerRow, str]],
    grader: Grader,
    bank: QuestionBank,
    grades: GradesFile,
    result: BatchResult,
    progress: Progress,
    options: BatchOptions,
    *,
    sleep: Sleep = asyncio.sleep,
    on_failure: Callable[[int, str], None] | None = None,
) -> None:
    """Grade ``rows`` with every judge's calls going through its provider's batch API.

    A row the grader fails on goes to ``on_failure(line, reason)`` (see :func:`grade_rows`).
    """
    api = options.batch_api_options
    api = api if isinstance(api, BatchApiOptions) else BatchApiOptions()
    store = BatchStore(grades.path.with_name(grades.path.name + ".batches.json"))
    collector = BatchCollector(store, api, sleep=sleep, workers=api.rows_in_flight)
    wrapped: dict[int, BatchingModel] = {}
    judges = list(iter_judges(grader))
    if not judges:
        raise UserError(
            "--batch-api needs an LLM provider: --provider anthropic:MODEL or openai:MODEL"
        )
    for judge in judges:
        model = judge.model
        adapter = ADAPTERS.get(model.provider)
        wire = getattr(model, "wire", None)
        if adapter is None or getattr(model, "client", None) is None or wire is None:
            raise UserError(f"--batch-api supports anthropic and openai, not {model.spec}")
        if id(model) not in wrapped:
            wrapped[id(model)] = BatchingModel(model, collector, adapter, wire)
        judge.model = wrapped[id(model)]

    async def grade_one(question: Question, answer: str) -> Verdict:
        served: list[tuple[str, Usage]] = []
        token = _SERVED.set(served)
        collector.active += 1
        try:
            verdict = await grader.grade(question, answer)
        finally:
            collector.active -= 1
            collector.changed()
            _SERVED.reset(token)
        return discounted(verdict, served, api.discount)

    def exhausted() -> None:
        collector.exhausted = True
        collector.changed()

    running = asyncio.create_task(collector.run())
    try:
        await grade_rows(
            rows,
            grade_one,
            bank,
            grades,
            result,
            progress,
            api.rows_in_flight,
            on_exhausted=exhausted,
            on_failure=on_failure,
        )
    finally:
        await collector.close()
        await running
        result.batches = list(collector.submitted)
    store.clear()
