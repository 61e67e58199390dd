"""Structured replies: through instructor, or straight through the SDK for bulk grading.

**instructor** (:func:`call_instructor`) serves interactive use: it re-asks the model with the
validation error when a reply does not fit the schema, and when it gives up it raises
``InstructorRetryException`` whose cause is either the last validation error (the reply was
invalid: the answer stays unscored) or the provider's own exception after the SDK's retries
(the provider failed: a fallback may take over). This module makes that split.

**Direct** (:func:`call_direct`) serves ``screener grade``, where the client's CPU per call
bounds the throughput: at 64 calls in flight and 200 ms a reply, one event loop has 3.1 ms of
CPU per call. instructor 1.17 costs about 9 ms a call on top of the SDK (it re-checks the
response model for async validators and rebuilds the request on every call), and the SDK's
``create`` another 2 ms for the recursive transform of its typed parameters and the
construction of its typed reply (``evals/bench/batch_throughput.py`` prints the figures). The
direct path sends the very body instructor sends (same tool or JSON schema, from instructor's
own cached schema functions) through the SDK client's ``post`` (so the key, base URL, timeout,
retries with ``retry-after`` and the SDK's error types all stay), reads the reply as JSON,
validates it with pydantic and re-asks with the error as instructor does. A
:class:`WireFormat` per provider holds the request and reply shapes; the provider batch APIs
(:mod:`agent.batch.provider_batch`) use the same ones.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, cast

from pydantic import BaseModel, ValidationError

from .._errors import ProviderError, ReplyInvalidError
from .base import ChatModel, Completion, ModelT, T, Usage

#: What a re-ask tells the model (instructor's wording).
REASK = "Validation Error found:\n{error}\nRecall the function correctly, fix the errors"


async def call_instructor(
    chat_model: ChatModel,
    client: Any,
    *,
    api_errors: tuple[type[Exception], ...],
    response_model: type[ModelT],
    **kwargs: Any,
) -> tuple[ModelT, Any]:
    """``client.create_with_completion(...)`` with errors mapped to Provider/ReplyInvalid."""
    from instructor.core.exceptions import InstructorRetryException

    try:
        value, raw = await client.create_with_completion(response_model=response_model, **kwargs)
    except InstructorRetryException as exc:
        cause = exc.__cause__
        if isinstance(cause, api_errors):
            raise provider_error(chat_model, cause) from exc
        if cause is None or isinstance(cause, ValidationError | json.JSONDecodeError | ValueError):
            attempts = getattr(exc, "n_attempts", "?")
            raise ReplyInvalidError(
                f"{chat_model.spec}: reply failed validation after {attempts} attempt(s): {cause}"
            ) from exc
        raise provider_error(chat_model, cause) from exc
    except api_errors as exc:
        raise provider_error(chat_model, exc) from exc
    return value, raw


def provider_error(model: ChatModel, exc: BaseException) -> ProviderError:
    """An SDK exception as a :class:`ProviderError` carrying status code and body."""
    status = getattr(exc, "status_code", None)
    body = getattr(exc, "body", None)
    return ProviderError(model.provider, model.model, f"{type(exc).__name__}: {exc}", status, body)


@dataclass(frozen=True)
class CallSpec:
    """One structured call, as the judge asks for it."""

    model: str
    system: str
    user: str
    response_model: type[BaseModel]
    max_tokens: int
    temperature: float


class WireFormat(ABC):
    """One provider's request body for a structured call, and how its reply is read.

    Replies are the JSON the provider sent, as plain dicts. :meth:`payload` raises
    ``ValueError`` when a reply carries no structured output at all.
    """

    #: The endpoint, relative to the SDK client's base URL.
    path: str

    @abstractmethod
    def body(self, call: CallSpec) -> dict[str, Any]:
        """The request body (as instructor would send it)."""

    @abstractmethod
    def payload(self, reply: dict[str, Any]) -> str | dict[str, Any]:
        """The structured output: JSON text, or an already decoded object."""

    @abstractmethod
    def usage(self, reply: dict[str, Any]) -> Usage:
        """The tokens the reply reports."""

    @abstractmethod
    def reask(self, reply: dict[str, Any], error: str) -> list[dict[str, Any]]:
        """The messages that hand ``error`` back to the model after ``reply``."""


def validate(
    response_model: type[ModelT], payload: str | dict[str, Any], context: dict[str, Any] | None
) -> ModelT:
    """``payload`` validated as ``response_model`` (``ValidationError`` when it does not fit)."""
    if isinstance(payload, str):
        return response_model.model_validate_json(payload, context=context)
    return response_model.model_validate(payload, context=context)


class SDKModel(ChatModel):
    """A chat model behind an official SDK client, whose direct path is :func:`call_direct`."""

    client: Any
    wire: WireFormat
    #: The SDK's exceptions (mapped to :class:`ProviderError`).
    api_errors: tuple[type[Exception], ...]

    def completion(self, value: T, raw: Any) -> Completion[T]:
        """``value`` with the token use of ``raw``, a reply object of the SDK."""
        usage = self.wire.usage(raw.model_dump(warnings=False))
        return Completion(value, usage, self.provider, self.model)

    async def structured_direct(
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
        return await call_direct(
            self,
            self.client,
            self.wire,
            call,
            api_errors=self.api_errors,
            max_retries=max_retries,
            context=context,
        )


async def call_direct(
    chat_model: ChatModel,
    client: Any,
    wire: WireFormat,
    call: CallSpec,
    *,
    api_errors: tuple[type[Exception], ...],
    max_retries: int = 1,
    context: dict[str, Any] | None = None,
) -> Completion[ModelT]:
    """One structured call through ``client.post``; see the module docstring.

    The usage of every attempt is counted. Errors are those of :meth:`ChatModel.structured`.
    """
    import httpx2  # the HTTP client of the current SDKs (an [llm] dependency)

    body = wire.body(call)
    usage = Usage()
    error: Exception | None = None
    for _attempt in range(max_retries + 1):
        try:
            response = await client.post(wire.path, body=body, cast_to=httpx2.Response)
            reply = response.json()
        except api_errors as exc:
            raise provider_error(chat_model, exc) from exc
        except ValueError as exc:  # not JSON: the provider's fault, not the model's
            raise provider_error(chat_model, exc) from exc
        if not isinstance(reply, dict):
            not_object = ValueError(f"the reply is not a JSON object: {str(reply)[:200]}")
            raise provider_error(chat_model, not_object)
        usage = usage + wire.usage(reply)
        try:
            value = validate(cast(type[ModelT], call.response_model), wire.payload(reply), context)
        except (ValidationError, ValueError) as exc:
            error = exc
            body = {**body, "messages": [*body["messages"], *wire.reask(reply, str(exc))]}
            continue
        return Completion(value, usage, chat_model.provider, chat_model.model)
    raise ReplyInvalidError(
        f"{chat_model.spec}: reply failed validation after {max_retries + 1} attempt(s): {error}"
    )
