"""Anthropic Messages API through the official SDK, with structured output by instructor.

The judge's static system prompt (instructions, rubric, examples) is sent as a system block
with ``cache_control`` so repeated grading of the same question reads it from Anthropic's prompt
cache; cached tokens are counted in :class:`~agent.providers.base.Usage`.

The current Messages API takes no ``temperature``; it is not sent, so ``--samples`` draws on the
model's default sampling. Structured calls force one tool call; :class:`AnthropicWire` is that
request and reply shape for the direct path and Message Batches.
"""

from __future__ import annotations

from typing import Any

from .._errors import MissingDependencyError
from .base import ChatModel, Completion, ModelT, ProviderSettings, Usage, resolve_key
from .structured import REASK, CallSpec, SDKModel, WireFormat, call_instructor, provider_error

try:
    import anthropic
    import instructor
except ImportError:  # pragma: no cover - exercised only without the extra
    anthropic = None  # type: ignore[assignment]
    instructor = None  # type: ignore[assignment]


class AnthropicModel(SDKModel):
    """A Claude model."""

    provider = "anthropic"

    def __init__(self, model: str, settings: ProviderSettings) -> None:
        if anthropic is None or instructor is None:
            raise MissingDependencyError("llm", "the anthropic provider")
        self.model = model
        self.api_errors = (anthropic.APIError,)
        key = settings.api_key or resolve_key("ANTHROPIC_API_KEY", "anthropic")
        self.client = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=settings.client_for(anthropic),
        )
        self.instructor = instructor.from_anthropic(self.client, mode=instructor.Mode.TOOLS)
        self.wire = AnthropicWire()

    @staticmethod
    def _system(system: str) -> list[dict[str, Any]]:
        return [{"type": "text", "text": system, "cache_control": {"type": "ephemeral"}}]

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
            api_errors=(anthropic.APIError,),
            model=self.model,
            system=self._system(system),
            messages=[{"role": "user", "content": user}],
            response_model=response_model,
            max_tokens=max_tokens,
            max_retries=max_retries,
            context=context,
        )
        return Completion(
            value, self.wire.usage(raw.model_dump(warnings=False)), self.provider, self.model
        )

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        try:
            raw = await self.client.messages.create(
                model=self.model,
                system=self._system(system),
                messages=[{"role": "user", "content": user}],
                max_tokens=max_tokens,
            )
        except anthropic.APIError as exc:
            raise provider_error(self, exc) from exc
        text = "".join(getattr(block, "text", "") for block in raw.content).strip()
        return Completion(
            text, self.wire.usage(raw.model_dump(warnings=False)), self.provider, self.model
        )


class AnthropicWire(WireFormat):
    """The Messages API with a cached system block and one forced tool."""

    path = "/v1/messages"

    def body(self, call: CallSpec) -> dict[str, Any]:
        from instructor.processing.schema import generate_anthropic_schema

        tool = generate_anthropic_schema(call.response_model)  # cached by instructor
        return {
            "model": call.model,
            "max_tokens": call.max_tokens,
            "system": AnthropicModel._system(call.system),
            "messages": [{"role": "user", "content": call.user}],
            "tools": [tool],
            "tool_choice": {
                "type": "tool",
                "name": tool["name"],
                "disable_parallel_tool_use": True,
            },
        }

    @staticmethod
    def _tool_uses(reply: dict[str, Any]) -> list[dict[str, Any]]:
        content = reply.get("content")
        if not isinstance(content, list):
            return []
        return [b for b in content if isinstance(b, dict) and b.get("type") == "tool_use"]

    def payload(self, reply: dict[str, Any]) -> dict[str, Any]:
        for block in self._tool_uses(reply):
            if isinstance(block.get("input"), dict):
                return dict(block["input"])
        raise ValueError("the reply has no tool call")

    def usage(self, reply: dict[str, Any]) -> Usage:
        usage = reply.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        return Usage(
            input_tokens=usage.get("input_tokens") or 0,
            output_tokens=usage.get("output_tokens") or 0,
            cache_read_tokens=usage.get("cache_read_input_tokens") or 0,
            cache_write_tokens=usage.get("cache_creation_input_tokens") or 0,
        )

    def reask(self, reply: dict[str, Any], error: str) -> list[dict[str, Any]]:
        uses = self._tool_uses(reply)
        content = reply.get("content") if isinstance(reply.get("content"), list) else []
        assistant = {"role": "assistant", "content": content or "(no reply)"}
        if not uses:
            return [assistant, {"role": "user", "content": REASK.format(error=error)}]
        results = [
            {
                "type": "tool_result",
                "tool_use_id": block.get("id"),
                "content": REASK.format(error=error),
                "is_error": True,
            }
            for block in uses
        ]
        return [assistant, {"role": "user", "content": results}]


def create(model: str, settings: ProviderSettings) -> ChatModel:
    """Factory used by the provider registry."""
    return AnthropicModel(model, settings)
