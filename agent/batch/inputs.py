"""Reading answers files and take-home question files, one row at a time.

An answers file is JSONL (one ``{"candidate_id", "question_id", "answer"}`` object per line) or
CSV with those columns (any others are ignored). It is streamed: a row is decoded, parsed and
checked on its own, so memory does not grow with the file and a bad row becomes one
:class:`AnswerFileError` naming file, line, column and field while every good row is still read.

Columns are 1-based: in JSONL the character where the offending field (or the parse error)
starts; in CSV the position of the field in the header. Errors that leave nothing to read (a
missing file, an empty file, a CSV header without a required column) are raised; the rest are
yielded in place of their rows.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._errors import BankError, InputError, UserError
from .._models import TakeHomeFile
from ..bank import QuestionBank, line_in_file, load_yaml_model
from ..interview import MAX_ANSWER_CHARS

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


def read_answers(
    path: Path, bank: QuestionBank, *, max_chars: int = MAX_ANSWER_CHARS
) -> Iterator[AnswerRow | AnswerFileError]:
    """Stream the rows of an answers file, yielding an error in place of each bad row."""
    csv_file = path.suffix.lower() == ".csv"
    records = _csv_records(path) if csv_file else _jsonl_records(path)
    seen: dict[tuple[str, str], int] = {}
    empty = True
    for record in records:
        empty = False
        if isinstance(record, AnswerFileError):
            yield record
            continue
        line, data, columns = record
        error = _check(path, line, data, columns, bank, seen, max_chars)
        if error is not None:
            yield error
            continue
        seen[(data["candidate_id"], data["question_id"])] = line
        yield AnswerRow(line, data["candidate_id"], data["question_id"], data["answer"])
    if empty:
        raise AnswerFileError(path, 1, 1, "", "file is empty; expected one answer per row")


Record = tuple[int, dict[str, Any], dict[str, int]]  # line, fields, column of each field


def _lines(path: Path) -> Iterator[tuple[int, str, AnswerFileError | None]]:
    """(line number, text, encoding error or None) for every physical line, decoded alone."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    with handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                yield number, raw.decode("utf-8"), None
            except UnicodeDecodeError as exc:
                column = len(raw[: exc.start].decode("utf-8", errors="replace")) + 1
                bad = raw[exc.start : exc.start + 1].hex()
                reason = f"not UTF-8 text (byte 0x{bad}); save the file as UTF-8"
                text = raw.decode("utf-8", errors="replace")
                yield number, text, AnswerFileError(path, number, column, "", reason)


def _jsonl_records(path: Path) -> Iterator[Record | AnswerFileError]:
    for number, line, error in _lines(path):
        if not line.strip():
            continue
        if error is not None:
            yield error
            continue
        line = line.rstrip("\r\n")
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield AnswerFileError(path, number, exc.colno, "", f"invalid JSON: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield AnswerFileError(path, number, 1, "", "expected a JSON object")
            continue
        columns = {name: line.find(f'"{name}"') + 1 or 1 for name in REQUIRED_FIELDS}
        yield number, data, columns


def _csv_records(path: Path) -> Iterator[Record | AnswerFileError]:
    bad_lines: dict[int, AnswerFileError] = {}
    last = 0

    def text() -> Iterator[str]:
        nonlocal last
        for number, line, error in _lines(path):
            last = number
            if error is not None:
                bad_lines[number] = error
            yield line

    reader = csv.reader(text())
    header = next(reader, None)
    if header is None or not any(h.strip() for h in header):
        return
    header = [h.strip() for h in header]
    for name in REQUIRED_FIELDS:
        if name not in header:
            column = len(header) + 1
            reason = f"missing column; the header needs {', '.join(REQUIRED_FIELDS)}"
            raise AnswerFileError(path, 1, column, name, reason)
    columns = {name: header.index(name) + 1 for name in REQUIRED_FIELDS}
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
        yield line, data, columns


def _check(
    path: Path,
    line: int,
    data: dict[str, Any],
    columns: dict[str, int],
    bank: QuestionBank,
    seen: dict[tuple[str, str], int],
    max_chars: int,
) -> AnswerFileError | None:
    def error(name: str, reason: str) -> AnswerFileError:
        return AnswerFileError(path, line, columns[name], name, reason)

    for name in REQUIRED_FIELDS:
        if data.get(name) is None:
            return error(name, "missing; expected a string")
        if not isinstance(data[name], str):
            return error(name, f"expected a string, got {type(data[name]).__name__}")
    if not data["candidate_id"].strip():
        return error("candidate_id", "empty; expected an id")
    if data["question_id"] not in bank:
        hint = "; add it with --questions FILE" if data["question_id"].strip() else ""
        return error("question_id", f"unknown question {data['question_id']!r}{hint}")
    if len(data["answer"]) > max_chars:
        return error("answer", f"{len(data['answer']):,} characters; the limit is {max_chars:,}")
    key = (data["candidate_id"], data["question_id"])
    if key in seen:
        return error("question_id", f"duplicate of line {seen[key]} for candidate {key[0]!r}")
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
