"""Token prices and the cost of calls, from a data file (``prices.yaml``), overridable."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict

from .._errors import UserError
from .._models import TokenUsage
from .base import Usage

_DEFAULT = Path(__file__).with_name("prices.yaml")


class Price(BaseModel):
    """Dollars per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: float
    output: float
    cache_read: float | None = None
    cache_write: float | None = None


@cache
def price_table(override: str | None = None) -> dict[str, Price]:
    """The price table: the packaged file, then ``$SCREENER_PRICES`` (or ``override``) on top."""
    table: dict[str, Price] = {}
    for path in [_DEFAULT, *([Path(override)] if override else [])]:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            table.update({k: Price.model_validate(v) for k, v in data.get("models", {}).items()})
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise UserError(f"{path}: bad price table: {exc}") from None
    return table


def price_for(model: str) -> Price | None:
    """The price of the longest table entry that prefixes ``model``; None if unknown."""
    table = price_table(os.environ.get("SCREENER_PRICES"))
    matches = [name for name in table if model.startswith(name)]
    return table[max(matches, key=len)] if matches else None


def cost_usd(model: str, usage: Usage) -> float | None:
    """Dollars for ``usage`` on ``model``; cache reads and writes at their own rates."""
    price = price_for(model)
    if price is None:
        return None
    read = price.cache_read if price.cache_read is not None else price.input
    write = price.cache_write if price.cache_write is not None else price.input
    total = (
        usage.input_tokens * price.input
        + usage.output_tokens * price.output
        + usage.cache_read_tokens * read
        + usage.cache_write_tokens * write
    )
    return total / 1_000_000


def token_usage(model: str, usage: Usage, *, calls: int, cache_hits: int = 0) -> TokenUsage:
    """The verdict-level record of ``usage``."""
    return TokenUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        cost_usd=cost_usd(model, usage),
        calls=calls,
        cache_hits=cache_hits,
    )
