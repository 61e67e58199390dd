"""Structured replies through instructor, with its errors sorted into ours.

instructor re-asks the model with the validation error when a reply does not fit the schema. When
it gives up it raises ``InstructorRetryException`` whose cause is either the last validation error
(the reply was invalid: the answer stays unscored) or the provider's own exception after the
SDK's retries (the provider failed: a fallback may take over). This module makes that split.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from .._errors import ProviderError, ReplyInvalidError
from .base import ChatModel, ModelT


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
