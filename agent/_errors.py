"""Errors raised by screener.

Class tree::

    ScreenerError                 base of everything raised on purpose
    +-- UserError                 the user can fix it; the CLI prints one line, no traceback
    |   +-- BankError             a question-bank or golden file is malformed
    |   +-- InputError            a row of an answers file is malformed (file, line, field)
    |   +-- UnknownQuestionError  a question id that is not in the bank
    |   +-- SessionNotFoundError  --resume names a session the database does not hold
    |   +-- DatabaseError         a database is full, read-only, locked or damaged (names it)
    |   +-- AnswerTooLongError    an answer over MAX_ANSWER_CHARS; the candidate may answer again
    |   +-- MissingKeyError       a provider's API key is not configured (names the variable)
    |   +-- MissingDependencyError an optional extra is not installed (names the extra)
    |   +-- OutputError           a file could not be written (disk full, read-only, no permission)
    +-- GraderError               a grader could not produce a verdict
        +-- ProviderError         a provider call failed after retries (status, body)
        +-- ReplyInvalidError     the model's reply failed validation after re-asking
"""

from __future__ import annotations

import errno
from pathlib import Path


class ScreenerError(Exception):
    """Base class of every error screener raises on purpose."""


class UserError(ScreenerError):
    """An error the user can fix; shown as one line without a traceback."""


class BankError(UserError):
    """A question-bank, golden or prompt file failed validation."""

    def __init__(self, path: Path | str, line: int | None, field: str, reason: str) -> None:
        self.path, self.line, self.field, self.reason = str(path), line, field, reason
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {field}: {reason}" if field else f"{where}: {reason}")


class InputError(UserError):
    """A row of an answers file is malformed."""

    def __init__(self, path: Path | str, line: int, field: str, reason: str) -> None:
        self.path, self.line, self.field, self.reason = str(path), line, field, reason
        prefix = f"{self.path}:{line}"
        super().__init__(f"{prefix}: {field}: {reason}" if field else f"{prefix}: {reason}")


class UnknownQuestionError(UserError):
    """A question id that the bank does not hold."""

    def __init__(self, question_id: str) -> None:
        self.question_id = question_id
        super().__init__(f"unknown question id {question_id!r} (see `screener questions`)")


class SessionNotFoundError(UserError):
    """A session id that the checkpoint database does not hold."""


class DatabaseError(UserError):
    """A database could not be opened, read or written: names it, the cause and the fix.

    ``kind`` is ``"full"``, ``"read-only"``, ``"locked"``, ``"damaged"`` or ``"unavailable"``.
    Nothing is deleted or rewritten when one is raised: what was saved before is kept.
    :meth:`then` adds what to do afterwards (e.g. how to resume).
    """

    def __init__(self, location: str, kind: str, problem: str, fix: str) -> None:
        self.location, self.kind, self.problem, self.fix = location, kind, problem, fix
        super().__init__(f"{location}: {problem}; {fix}")

    def then(self, next_step: str) -> DatabaseError:
        """The same error with ``next_step`` appended to its fix."""
        fix = f"{self.fix}, then {next_step}"
        return DatabaseError(self.location, self.kind, self.problem, fix)


class AnswerTooLongError(UserError):
    """An answer longer than the documented limit."""

    def __init__(self, length: int, limit: int) -> None:
        self.length, self.limit = length, limit
        super().__init__(
            f"answer is {length:,} characters; the limit is {limit:,}. "
            "Please shorten it and answer again."
        )


class GraderError(ScreenerError):
    """A grader could not produce a verdict for an answer."""


class MissingKeyError(UserError):
    """A provider's API key is not configured."""

    def __init__(self, variable: str, config_path: Path | str) -> None:
        self.variable = variable
        super().__init__(
            f"{variable} is not set; export it, or add it under [keys] in {config_path}"
        )


class MissingDependencyError(UserError):
    """An optional extra is needed for this feature."""

    def __init__(self, extra: str, feature: str) -> None:
        self.extra = extra
        super().__init__(
            f"{feature} needs the '{extra}' extra: pip install 'screening-agent[{extra}]'"
        )


#: errno values that mean "no room": the fix is to free space, not to choose another path.
NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


class OutputError(UserError):
    """A file could not be written: names the file, the cause and what to do.

    ``option`` is how the user chooses the path (``--out``); ``then`` says what re-running does,
    e.g. "run the same command again; the rows already written are kept".
    """

    def __init__(self, path: Path | str, error: OSError, option: str, then: str) -> None:
        self.path, self.errno = str(path), error.errno
        if error.errno in NO_ROOM:
            fix = "free some space"
        else:
            fix = f"make it writable or give {option} another path"
        cause = error.strerror or str(error)
        super().__init__(f"{self.path}: cannot write ({cause}): {fix}, then {then}")


class ProviderError(GraderError):
    """A model provider call failed after the SDK's retries."""

    def __init__(
        self,
        provider: str,
        model: str,
        message: str,
        status_code: int | None = None,
        body: object = None,
    ) -> None:
        self.provider, self.model, self.status_code, self.body = provider, model, status_code, body
        status = f" (HTTP {status_code})" if status_code else ""
        super().__init__(f"{provider}:{model}{status}: {message}")


class ReplyInvalidError(GraderError):
    """The model's reply failed schema validation even after re-asking with the error."""
