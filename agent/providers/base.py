"""Chat models behind one small async interface, registered by name and imported lazily.

A provider spec is ``family:model`` (``anthropic:claude-sonnet-4-5``, ``openai:gpt-5``,
``fake:naive``). The family's module is imported only when it is used, so the base install needs
no SDK. Authentication (key, base URL, HTTP client) lives in :class:`ProviderSettings`; request
and response translation lives in each module, so one OpenAI adapter serves OpenAI and every
OpenAI-compatible server (vLLM, Ollama, llama.cpp) through ``base_url``.
"""

from __future__ import annotations

import importlib
import os
import tomllib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from platformdirs import user_config_dir
from pydantic import BaseModel

from .._errors import MissingDependencyError, MissingKeyError, UserError

ModelT = TypeVar("ModelT", bound=BaseModel)
T = TypeVar("T")

#: Provider families and the module that implements each.
FAMILIES = {
    "anthropic": "agent.providers.anthropic",
    "openai": "agent.providers.openai",
    "fake": "agent.providers.fake",
}


@dataclass(frozen=True)
class Usage:
    """Tokens used by one or more calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


@dataclass(frozen=True)
class Completion(Generic[T]):
    """A model's reply: the parsed value and what it cost in tokens."""

    value: T
    usage: Usage
    provider: str
    model: str


#: HTTP clients under the SDKs: their default (httpx2), or their aiohttp backend, which costs
#: about 1.3 ms less CPU a call and suits many concurrent calls on one event loop (batch
#: grading; ``evals/bench/batch_throughput.py``). An aiohttp session belongs to the event loop
#: that first uses it, so interactive use, which may grade on several loops, keeps httpx2.
HTTP_BACKENDS = ("httpx2", "aiohttp")


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach a provider. ``http_client`` is injectable (tests give a mock transport)."""

    api_key: str | None = None
    base_url: str | None = None
    timeout: float = 60.0
    max_retries: int = 4
    http_client: Any = None
    http_backend: str = "httpx2"  # one of HTTP_BACKENDS, when http_client is not given
    extra: dict[str, Any] = field(default_factory=dict)

    def client_for(self, sdk: Any) -> Any:
        """The ``http_client`` to give ``sdk`` (the openai or anthropic module)."""
        if self.http_client is not None or self.http_backend == "httpx2":
            return self.http_client
        if self.http_backend != "aiohttp":
            raise UserError(
                f"unknown HTTP backend {self.http_backend!r}; use one of {HTTP_BACKENDS}"
            )
        try:
            return sdk.DefaultAioHttpClient(timeout=self.timeout)
        except RuntimeError:  # the SDK was installed without its aiohttp extra
            raise MissingDependencyError("llm", "the aiohttp HTTP backend") from None


class ChatModel(ABC):
    """One chat model of one provider."""

    provider: str
    model: str
    #: The name looked up in the price table (the model name unless a provider says otherwise).
    price_key: str | None = None

    @abstractmethod
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
        """A reply validated as ``response_model`` (tool call / JSON schema).

        A reply that fails validation is re-asked with the validation error up to
        ``max_retries`` times, then :class:`~agent._errors.ReplyInvalidError`. A provider
        failure after the SDK's own retries is :class:`~agent._errors.ProviderError`.
        """

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
        """:meth:`structured` at the least client CPU a call, for bulk grading.

        The same request and the same errors; providers whose SDK path is costly override it
        (see :mod:`agent.providers.structured`).
        """
        return await self.structured(
            system=system,
            user=user,
            response_model=response_model,
            max_tokens=max_tokens,
            temperature=temperature,
            max_retries=max_retries,
            context=context,
        )

    @abstractmethod
    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        """A plain-text reply."""

    @property
    def spec(self) -> str:
        """``family:model``."""
        return f"{self.provider}:{self.model}"


def config_path() -> Path:
    """The user's config file: ``$SCREENER_CONFIG`` or ``config.toml`` in the config dir."""
    env = os.environ.get("SCREENER_CONFIG")
    return Path(env) if env else Path(user_config_dir("screener")) / "config.toml"


def resolve_key(variable: str, name: str, *, required: bool = True) -> str | None:
    """An API key from the environment, else ``[keys] <name>`` in the config file."""
    value = os.environ.get(variable)
    if value:
        return value
    path = config_path()
    if path.is_file():
        try:
            keys = tomllib.loads(path.read_text(encoding="utf-8")).get("keys", {})
        except tomllib.TOMLDecodeError as exc:
            raise UserError(f"{path}: invalid TOML: {exc}") from None
        if isinstance(keys.get(name), str) and keys[name]:
            return str(keys[name])
    if required:
        raise MissingKeyError(variable, path)
    return None


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``family:model``; the model part may contain further colons."""
    family, sep, model = spec.partition(":")
    if not sep or not model:
        raise UserError(f"provider {spec!r} must look like family:model, e.g. anthropic:MODEL")
    if family not in FAMILIES:
        raise UserError(
            f"unknown provider family {family!r}; known: offline, {', '.join(FAMILIES)}"
        )
    return family, model


ModelFactory = Callable[[str, ProviderSettings], ChatModel]


def get_model(spec: str, settings: ProviderSettings | None = None) -> ChatModel:
    """The chat model for ``spec``, importing its provider module on first use."""
    family, model = parse_spec(spec)
    module = importlib.import_module(FAMILIES[family])
    factory: ModelFactory = module.create
    return factory(model, settings or ProviderSettings())
