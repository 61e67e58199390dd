"""Prompt templates: files under ``prompts/``, validated into a typed model, rendered strictly.

A template declares its variables; a placeholder the declaration lacks, a declared variable the
text never uses, or a render call that misses or adds a variable is an error. Every template has a
content hash that verdicts and reports record, so a result can be traced to the exact prompt.
"""

from __future__ import annotations

import hashlib
import string
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ._errors import BankError
from ._resources import prompts_dir
from .bank import load_yaml_model


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


class PromptTemplate(BaseModel):
    """A prompt file: a system part (static, cacheable) and a user part (per call)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    version: int = Field(ge=1)
    description: str
    variables: list[str]
    system: str
    user: str

    @model_validator(mode="after")
    def _declared(self) -> PromptTemplate:
        used = _placeholders(self.system) | _placeholders(self.user)
        undeclared = sorted(used - set(self.variables))
        unused = sorted(set(self.variables) - used)
        if undeclared:
            raise ValueError(f"placeholders {undeclared} are not declared in variables")
        if unused:
            raise ValueError(f"variables {unused} are declared but never used")
        return self

    @property
    def sha256(self) -> str:
        """Content hash of the template (system, user, variables, version)."""
        body = "\x00".join([self.name, str(self.version), self.system, self.user, *self.variables])
        return hashlib.sha256(body.encode()).hexdigest()

    def render(self, **values: str) -> tuple[str, str]:
        """(system, user) with every declared variable filled; missing or unknown ones fail."""
        missing = sorted(set(self.variables) - set(values))
        unknown = sorted(set(values) - set(self.variables))
        if missing or unknown:
            raise ValueError(f"prompt {self.name}: missing {missing}, unknown {unknown}")
        system_vars = {k: v for k, v in values.items() if k in _placeholders(self.system)}
        user_vars = {k: v for k, v in values.items() if k in _placeholders(self.user)}
        return self.system.format(**system_vars), self.user.format(**user_vars)

    def render_system(self, **values: str) -> str:
        """Only the static system part (for prompt caching); needs only its own variables."""
        needed = _placeholders(self.system)
        if set(values) != needed:
            raise ValueError(f"prompt {self.name} system part needs exactly {sorted(needed)}")
        return self.system.format(**values)

    def render_user(self, **values: str) -> str:
        """Only the per-call user part; needs only its own variables."""
        needed = _placeholders(self.user)
        if set(values) != needed:
            raise ValueError(f"prompt {self.name} user part needs exactly {sorted(needed)}")
        return self.user.format(**values)


def load_prompt(name: str, directory: Path | None = None) -> PromptTemplate:
    """Load and validate ``prompts/<name>.yaml``."""
    return _load_prompt(name, str(directory or prompts_dir()))


@cache
def _load_prompt(name: str, directory: str) -> PromptTemplate:
    path = Path(directory) / f"{name}.yaml"
    if not path.is_file():
        raise BankError(path, None, "", "prompt file not found")
    template = load_yaml_model(path, PromptTemplate)
    if template.name != name:
        raise BankError(path, None, "name", f"is {template.name!r}; expected {name!r}")
    return template


def sha256_text(text: str) -> str:
    """Hex SHA-256 of a text."""
    return hashlib.sha256(text.encode()).hexdigest()
