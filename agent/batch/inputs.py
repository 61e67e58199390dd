"""Reading answers files and take-home question files, one row at a time.

An answers file is JSONL (one ``{"candidate_id", "question_id", "answer"}`` object per line) or
CSV with those columns (any others are ignored). It is streamed: a row is decoded, parsed and
checked on its own, so memory does not grow with the file and a bad row becomes one
:class:`AnswerFileError` naming file, line, column and field while every good row is still read.
A bad row is anything that cannot be graded and written as it is: bytes that are not text in
the file's encoding, malformed JSON or CSV, JSON nested too deeply to parse or a number too
long to read, a field given twice, a missing or non-string field, a lone surrogate escape
(``"\\udc80"``, which no UTF-8 file can hold), an unknown question, a duplicate answer, an answer
over the limit, or a physical line over :func:`line_limit` characters (skipped unread).

The encoding is UTF-8, with or without a byte-order mark; a file that starts with a UTF-16 or
UTF-32 byte-order mark (Windows PowerShell 5 writes UTF-16 with ``>`` and ``Out-File``) is read
in that encoding. A first line that is mostly NUL bytes, UTF-16 or UTF-32 without a mark, is
refused.

Columns are 1-based: in JSONL the character where the offending field (or the parse error)
starts; in CSV the position of the field in the header. Errors that leave nothing to read (a
missing file, an empty file, an encoding that cannot be read, a CSV header without a required
column or with a column twice) are raised; the rest are yielded in place of their rows.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._constants import MAX_ANSWER_CHARS
from .._errors import BankError, InputError, UserError
from .._models import TakeHomeFile
from ..bank import QuestionBank, line_in_file, load_yaml_model

REQUIRED_FIELDS = ("candidate_id", "question_id", "answer")


class AnswerFileError(InputError):
    """A bad answers file or row: file, line, column, field and what is wrong."""

    def __init__(self, path: Path | str, line: int, column: int, field: str, reason: str) -> None:
        super().__init__(path, line, field, reason)
        self.column = column
        where = f"{self.path}:{line}:{column}"
        self.args = (f"{where}: {field}: {reason}" if field else f"{where}: {reason}",)


@dataclass(frozen=True)
class AnswerRow:
    """One answer to grade, with the line it starts on."""

    line: int
    candidate_id: str
    question_id: str
    answer: str


def line_limit(max_chars: int) -> int:
    """The longest physical line read, in characters: 1 MiB, or 16 per character of the
    answer limit when that is more (an answer escaped in JSON takes up to 12 a character)."""
    return max(1 << 20, 16 * max_chars)


def read_answers(
    path: Path, bank: QuestionBank, *, max_chars: int = MAX_ANSWER_CHARS
) -> Iterator[AnswerRow | AnswerFileError]:
    """Stream the rows of an answers file, yielding an error in place of each bad row."""
    csv_file = path.suffix.lower() == ".csv"
    lines = _lines(path, line_limit(max_chars))
    records = _csv_records(path, lines) if csv_file else _jsonl_records(path, lines)
    seen: dict[tuple[str, str], int] = {}
    empty = True
    for record in records:
        empty = False
        if isinstance(record, AnswerFileError):
            yield record
            continue
        line, data, column_of = record
        error = _check(path, line, data, column_of, bank, seen, max_chars)
        if error is not None:
            yield error
            continue
        seen[(data["candidate_id"], data["question_id"])] = line
        yield AnswerRow(line, data["candidate_id"], data["question_id"], data["answer"])
    if empty:
        raise AnswerFileError(path, 1, 1, "", "file is empty; expected one answer per row")


Record = tuple[int, dict[str, Any], Callable[[str], int]]  # line, fields, column of a field
Line = tuple[int, str, AnswerFileError | None]  # number, text, why the line is bad (or None)

#: Byte-order marks, longest first (the UTF-32 LE mark starts with the UTF-16 LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_SAVE_AS_UTF8 = "save the file as UTF-8"


def _lines(path: Path, limit: int) -> Iterator[Line]:
    """Every physical line of ``path`` as text, each decoded and checked alone.

    UTF-8 is decoded with ``surrogateescape`` and UTF-16/32 with ``surrogatepass``, so a bad
    byte or an unpaired surrogate stays in its line as a surrogate and makes that line (only)
    bad. A line over ``limit`` characters is skipped without being held in memory; its text is
    replaced by the quote it leaves open, if any, so a CSV reader stays in step.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    head = raw.peek(4096)[:4096]
    codec, name, bom = "utf-8", "UTF-8", b""
    for mark, codec_of_mark, name_of_mark in _BOMS:
        if head.startswith(mark):
            codec, name, bom = codec_of_mark, name_of_mark, mark
            break
    first = head.split(b"\n", 1)[0]
    if not bom and first.count(0) * 4 >= len(first) > 0:
        raw.close()
        reason = (
            "NUL bytes in the first line: UTF-16 or UTF-32 text without a byte-order mark? "
            + _SAVE_AS_UTF8
        )
        raise AnswerFileError(path, 1, 1, "", reason)
    raw.read(len(bom))
    errors = "surrogateescape" if codec == "utf-8" else "surrogatepass"
    text = io.TextIOWrapper(raw, encoding=codec, errors=errors, newline="\n")
    number = 0
    with text:
        try:
            while line := text.readline(limit + 1):
                number += 1
                if len(line) > limit and not line.endswith("\n"):
                    quotes = line.count('"') + _skip_line(text, limit)
                    reason = f"line is longer than {limit:,} characters; it was not read"
                    yield (
                        number,
                        '"' * (quotes % 2) + "\n",
                        AnswerFileError(path, number, 1, "", reason),
                    )
                    continue
                at = _surrogate_at(line)
                if at is None:
                    yield number, line, None
                    continue
                if codec == "utf-8":  # an undecodable byte, kept by surrogateescape
                    what = f"not UTF-8 text (byte 0x{ord(line[at]) - 0xDC00:02x})"
                else:
                    what = f"not {name} text (unpaired surrogate 0x{ord(line[at]):04x})"
                error = AnswerFileError(path, number, at + 1, "", f"{what}; {_SAVE_AS_UTF8}")
                yield number, _SURROGATE.sub("\ufffd", line), error
        except UnicodeDecodeError as exc:  # UTF-16/32 only: a cut-off unit, a code point too big
            reason = f"not {name} text ({exc.reason}) at or after this line; {_SAVE_AS_UTF8}"
            raise AnswerFileError(path, number + 1, 1, "", reason) from None


def _surrogate_at(text: str) -> int | None:
    """Where the first surrogate of ``text`` is (the only thing UTF-8 cannot encode), if any."""
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return exc.start
    return None


def _skip_line(text: io.TextIOWrapper, limit: int) -> int:
    """Read the rest of an over-long line in pieces; the double quotes it held."""
    quotes = 0
    while piece := text.readline(limit):
        quotes += piece.count('"')
        if piece.endswith("\n"):
            break
    return quotes


class _Object(list[tuple[str, Any]]):
    """A JSON object as its (name, value) pairs, so that a name given twice can be reported."""


def _jsonl_records(path: Path, lines: Iterator[Line]) -> Iterator[Record | AnswerFileError]:
    for number, line, error in lines:
        if error is not None:
            yield error
            continue
        if line.isspace():
            continue
        line = line.rstrip("\r\n")  # so that a parse error at the end has the line's column
        # The pairs hook (to report a name given twice) costs; use it only when one may be.
        mentions = sum(line.count(f'"{name}"') for name in REQUIRED_FIELDS)
        twice_maybe = mentions > len(REQUIRED_FIELDS)
        try:
            data = json.loads(line, object_pairs_hook=_Object if twice_maybe else None)
        except json.JSONDecodeError as exc:
            yield AnswerFileError(path, number, exc.colno, "", f"invalid JSON: {exc.msg}")
            continue
        except RecursionError:
            yield AnswerFileError(path, number, 1, "", "invalid JSON: nested too deeply to read")
            continue
        except ValueError as exc:  # a number over sys.get_int_max_str_digits() digits
            yield AnswerFileError(path, number, 1, "", f"invalid JSON: {str(exc).split(':')[0]}")
            continue
        if not isinstance(data, dict | _Object):
            yield AnswerFileError(path, number, 1, "", "expected a JSON object")
            continue
        column_of = _finder(line)
        if isinstance(data, _Object):
            names = [name for name, _ in data]
            twice = next((name for name in REQUIRED_FIELDS if names.count(name) > 1), None)
            if twice is not None:
                column = line.find(f'"{twice}"', column_of(twice)) + 1 or 1
                reason = "given twice in this object; keep one"
                yield AnswerFileError(path, number, column, twice, reason)
                continue
            data = dict(data)
        if "\\ud" in line or "\\uD" in line:  # only an escape puts a lone surrogate in a string
            lone = _lone_surrogate(path, number, data, column_of)
            if lone is not None:
                yield lone
                continue
        yield number, data, column_of


def _finder(line: str) -> Callable[[str], int]:
    """The column of a field of a JSON line: where its name starts (looked up on an error)."""
    return lambda name: line.find(f'"{name}"') + 1 or 1


def _lone_surrogate(
    path: Path, number: int, data: dict[str, Any], column_of: Callable[[str], int]
) -> AnswerFileError | None:
    """The error of the first required field holding a lone surrogate (``"\\udc80"``), if any."""
    for name in REQUIRED_FIELDS:
        value = data.get(name)
        at = _surrogate_at(value) if isinstance(value, str) else None
        if isinstance(value, str) and at is not None:
            reason = (
                f"lone surrogate \\u{ord(value[at]):04x} at character {at + 1}: not Unicode "
                "text, so it cannot be graded or written; remove it or escape a whole pair"
            )
            return AnswerFileError(path, number, column_of(name), name, reason)
    return None


def _csv_records(path: Path, lines: Iterator[Line]) -> Iterator[Record | AnswerFileError]:
    bad_lines: dict[int, AnswerFileError] = {}
    last = 0

    def text() -> Iterator[str]:
        nonlocal last
        for number, line, error in lines:
            last = number
            if error is not None:
                bad_lines[number] = error
            yield line

    reader = csv.reader(text())
    try:
        header = next(reader, None)
    except csv.Error as exc:
        raise AnswerFileError(path, 1, 1, "", f"malformed CSV header: {exc}") from None
    if bad_lines:  # the header is needed to read any row
        raise bad_lines[min(bad_lines)]
    if header is None or not any(h.strip() for h in header):
        return
    header = [h.strip() for h in header]
    first_at: dict[str, int] = {}
    for column, name in enumerate(header, start=1):
        if name in first_at:
            reason = f"duplicate column (also column {first_at[name]}); rename or remove one"
            raise AnswerFileError(path, 1, column, name, reason)
        if name:
            first_at[name] = column
    for name in REQUIRED_FIELDS:
        if name not in header:
            column = len(header) + 1
            reason = f"missing column; the header needs {', '.join(REQUIRED_FIELDS)}"
            raise AnswerFileError(path, 1, column, name, reason)
    columns = {name: header.index(name) + 1 for name in REQUIRED_FIELDS}
    column_of = columns.__getitem__
    start = last + 1
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield AnswerFileError(path, start, 1, "", f"malformed CSV: {exc}")
            start = last + 1
            continue
        line, start = start, last + 1
        bad = [bad_lines.pop(n) for n in sorted(bad_lines) if n >= line]
        if bad:
            yield bad[0]
            continue
        if not any(f.strip() for f in fields):
            continue
        data: dict[str, Any] = {name: None for name in REQUIRED_FIELDS}
        for name, column in columns.items():
            if column <= len(fields):
                data[name] = fields[column - 1]
        yield line, data, column_of


def _shown(value: str, most: int = 60) -> str:
    """``value`` quoted for an error line: on one line, and cut when long."""
    return repr(value if len(value) <= most else value[:most] + "...")


def _type_name(value: object) -> str:
    return "dict" if isinstance(value, _Object) else type(value).__name__


def _check(
    path: Path,
    line: int,
    data: dict[str, Any],
    column_of: Callable[[str], int],
    bank: QuestionBank,
    seen: dict[tuple[str, str], int],
    max_chars: int,
) -> AnswerFileError | None:
    def error(name: str, reason: str) -> AnswerFileError:
        return AnswerFileError(path, line, column_of(name), name, reason)

    for name in REQUIRED_FIELDS:
        if data.get(name) is None:
            return error(name, "missing; expected a string")
        if not isinstance(data[name], str):
            return error(name, f"expected a string, got {_type_name(data[name])}")
    if not data["candidate_id"].strip():
        return error("candidate_id", "empty; expected an id")
    if data["question_id"] not in bank:
        hint = "; add it with --questions FILE" if data["question_id"].strip() else ""
        return error("question_id", f"unknown question {_shown(data['question_id'])}{hint}")
    if len(data["answer"]) > max_chars:
        return error("answer", f"{len(data['answer']):,} characters; the limit is {max_chars:,}")
    key = (data["candidate_id"], data["question_id"])
    if key in seen:
        return error("question_id", f"duplicate of line {seen[key]} for candidate {_shown(key[0])}")
    return None


def load_questions(path: Path, bank: QuestionBank) -> QuestionBank:
    """The bank plus the take-home questions of ``path`` (a ``questions: [...]`` YAML file).

    A malformed file, or a question id that the bank or the file already has, is a
    :class:`~agent._errors.BankError` naming the file and line.
    """
    extra = load_yaml_model(path, TakeHomeFile).questions
    seen: set[str] = set()
    for index, question in enumerate(extra):
        where = "the question bank" if question.id in bank else "this file"
        if question.id in bank or question.id in seen:
            line = line_in_file(path, ["questions", index, "id"])
            raise BankError(path, line, "id", f"question id {question.id!r} is already in {where}")
        seen.add(question.id)
    return QuestionBank([*bank.questions, *extra])
