"""OpenAI Chat Completions through the official SDK, with structured output by instructor.

The same adapter serves any OpenAI-compatible server (vLLM, Ollama, llama.cpp server) through
``--base-url``; a local server needs no key (``OPENAI_API_KEY`` is used when set).
"""

from __future__ import annotations

from typing import Any

from .._errors import MissingDependencyError
from .base import ChatModel, Completion, ModelT, ProviderSettings, Usage, resolve_key
from .structured import call_instructor, provider_error

try:
    import instructor
    import openai
except ImportError:  # pragma: no cover - exercised only without the extra
    openai = None  # type: ignore[assignment]
    instructor = None  # type: ignore[assignment]


class OpenAIModel(ChatModel):
    """A model behind the OpenAI API or an OpenAI-compatible server."""

    provider = "openai"

    def __init__(self, model: str, settings: ProviderSettings) -> None:
        if openai is None or instructor is None:
            raise MissingDependencyError("llm", "the openai provider")
        self.model = model
        key = settings.api_key or resolve_key(
            "OPENAI_API_KEY", "openai", required=settings.base_url is None
        )
        self.client = openai.AsyncOpenAI(
            api_key=key or "not-needed-for-local-server",
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=settings.http_client,
        )
        # Local servers rarely support tool calling well; JSON schema mode works on all of them.
        mode = instructor.Mode.JSON_SCHEMA if settings.base_url else instructor.Mode.TOOLS
        self.instructor = instructor.from_openai(self.client, mode=mode)

    @staticmethod
    def _messages(system: str, user: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

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
        value, raw = await call_instructor(
            self,
            self.instructor,
            api_errors=(openai.APIError,),
            model=self.model,
            messages=self._messages(system, user),
            response_model=response_model,
            max_tokens=max_tokens,
            temperature=temperature,
            max_retries=max_retries,
            context=context,
        )
        return Completion(value, _usage(raw), self.provider, self.model)

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        try:
            raw = await self.client.chat.completions.create(
                model=self.model,
                messages=self._messages(system, user),  # type: ignore[arg-type]
                max_tokens=max_tokens,
                temperature=temperature,
            )
        except openai.APIError as exc:
            raise provider_error(self, exc) from exc
        text = (raw.choices[0].message.content or "").strip() if raw.choices else ""
        return Completion(text, _usage(raw), self.provider, self.model)


def _usage(raw: Any) -> Usage:
    usage = getattr(raw, "usage", None)
    if usage is None:
        return Usage()
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", 0) or 0
    return Usage(
        input_tokens=(getattr(usage, "prompt_tokens", 0) or 0) - cached,
        output_tokens=getattr(usage, "completion_tokens", 0) or 0,
        cache_read_tokens=cached,
    )


def create(model: str, settings: ProviderSettings) -> ChatModel:
    """Factory used by the provider registry."""
    return OpenAIModel(model, settings)
