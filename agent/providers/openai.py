"""OpenAI Chat Completions through the official SDK, with structured output by instructor.

The same adapter serves any OpenAI-compatible server (vLLM, Ollama, llama.cpp server) through
``--base-url``; a local server needs no key (``OPENAI_API_KEY`` is used when set). Structured
calls use a forced tool call on OpenAI and a JSON-schema response format on other servers;
:class:`OpenAIWire` is that request and reply shape for the direct path and the Batch API.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel

from .._errors import MissingDependencyError
from .base import ChatModel, Completion, ModelT, ProviderSettings, Usage, resolve_key
from .structured import REASK, CallSpec, SDKModel, WireFormat, call_instructor, provider_error

try:
    import instructor
    import openai
except ImportError:  # pragma: no cover - exercised only without the extra
    openai = None  # type: ignore[assignment]
    instructor = None  # type: ignore[assignment]


class OpenAIModel(SDKModel):
    """A model behind the OpenAI API or an OpenAI-compatible server."""

    provider = "openai"

    def __init__(self, model: str, settings: ProviderSettings) -> None:
        if openai is None or instructor is None:
            raise MissingDependencyError("llm", "the openai provider")
        self.model = model
        self.api_errors = (openai.APIError,)
        key = settings.api_key or resolve_key(
            "OPENAI_API_KEY", "openai", required=settings.base_url is None
        )
        self.client = openai.AsyncOpenAI(
            api_key=key or "not-needed-for-local-server",
            base_url=settings.base_url,
            timeout=settings.timeout,
            max_retries=settings.max_retries,
            http_client=settings.client_for(openai),
        )
        # Local servers rarely support tool calling well; JSON schema mode works on all of them.
        json_mode = settings.base_url is not None
        mode = instructor.Mode.JSON_SCHEMA if json_mode else instructor.Mode.TOOLS
        self.instructor = instructor.from_openai(self.client, mode=mode)
        self.wire = OpenAIWire(json_mode=json_mode)

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
        return Completion(
            value, self.wire.usage(raw.model_dump(warnings=False)), self.provider, self.model
        )

    async def text(
        self, *, system: str, user: str, max_tokens: int = 300, temperature: float = 0.3
    ) -> Completion[str]:
        try:
            raw = await self.client.chat.completions.create(
                model=self.model,
                messages=self._messages(system, user),
                max_tokens=max_tokens,
                temperature=temperature,
            )
        except openai.APIError as exc:
            raise provider_error(self, exc) from exc
        text = (raw.choices[0].message.content or "").strip() if raw.choices else ""
        return Completion(
            text, self.wire.usage(raw.model_dump(warnings=False)), self.provider, self.model
        )


class OpenAIWire(WireFormat):
    """Chat Completions with a forced tool call, or a JSON-schema response format."""

    path = "/chat/completions"

    def __init__(self, *, json_mode: bool) -> None:
        self.json_mode = json_mode

    def body(self, call: CallSpec) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": call.model,
            "messages": OpenAIModel._messages(call.system, call.user),
            "max_tokens": call.max_tokens,
            "temperature": call.temperature,
        }
        if self.json_mode:
            body["response_format"] = _response_format(call.response_model)
        else:
            from instructor.processing.schema import generate_openai_schema

            tool = generate_openai_schema(call.response_model)  # cached by instructor
            body["tools"] = [{"type": "function", "function": tool}]
            body["tool_choice"] = {"type": "function", "function": {"name": tool["name"]}}
        return body

    @staticmethod
    def _message(reply: dict[str, Any]) -> dict[str, Any]:
        try:
            message = reply["choices"][0]["message"]
        except (KeyError, IndexError, TypeError) as exc:
            raise ValueError("the reply has no message") from exc
        if not isinstance(message, dict):
            raise ValueError("the reply has no message")
        return message

    def payload(self, reply: dict[str, Any]) -> str:
        message = self._message(reply)
        for call in message.get("tool_calls") or []:
            arguments = (call.get("function") or {}).get("arguments")
            if arguments:
                return str(arguments)
        content = message.get("content")
        if not content:
            raise ValueError("the reply has neither a tool call nor content")
        return str(content)

    def usage(self, reply: dict[str, Any]) -> Usage:
        usage = reply.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        cached = (usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0
        return Usage(
            input_tokens=(usage.get("prompt_tokens") or 0) - cached,
            output_tokens=usage.get("completion_tokens") or 0,
            cache_read_tokens=cached,
        )

    def reask(self, reply: dict[str, Any], error: str) -> list[dict[str, Any]]:
        try:
            message = self._message(reply)
        except ValueError:
            message = {}
        calls = message.get("tool_calls") or []
        assistant = {"role": "assistant", "content": message.get("content") or ""}
        if calls:
            assistant["tool_calls"] = calls
            return [assistant] + [
                {"role": "tool", "tool_call_id": c.get("id"), "content": REASK.format(error=error)}
                for c in calls
            ]
        if self.json_mode:
            fix = f"Correct your JSON ONLY RESPONSE, based on the following errors:\n{error}"
            return [assistant, {"role": "user", "content": fix}]
        return [assistant, {"role": "user", "content": REASK.format(error=error)}]


@cache
def _response_format(model: type[BaseModel]) -> dict[str, Any]:
    """instructor's JSON-schema response format for ``model``, built once."""
    schema = model.model_json_schema()
    return {"type": "json_schema", "json_schema": {"name": model.__name__, "schema": schema}}


def create(model: str, settings: ProviderSettings) -> ChatModel:
    """Factory used by the provider registry."""
    return OpenAIModel(model, settings)
