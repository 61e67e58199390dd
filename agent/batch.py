"""Grading written answers from a file: the library behind ``screener grade``.

Input is JSONL (one ``{"candidate_id", "question_id", "answer"}`` object per line) or CSV with
those columns. Rows are validated one at a time: a bad row becomes one :class:`InputError` naming
file, line and field, and every good row is still graded. Verdicts are appended and flushed as
they are produced, so an interrupted run keeps what it had graded.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from statistics import mean
from typing import Any, TextIO

from ._errors import InputError, UserError
from ._models import Verdict
from .bank import QuestionBank
from .grading.base import Grader, grade_blocking
from .grading.tourist import tourist_flag
from .interview import MAX_ANSWER_CHARS

REQUIRED_FIELDS = ("candidate_id", "question_id", "answer")


@dataclass(frozen=True)
class AnswerRow:
    """One answer to grade, with where it came from."""

    line: int
    candidate_id: str
    question_id: str
    answer: str


def read_answers(path: Path, bank: QuestionBank) -> Iterator[AnswerRow | InputError]:
    """Stream the rows of an answers file, yielding an error in place of each bad row."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(path, line, "", "file is not UTF-8 text") from None
    if not text.strip():
        raise InputError(path, 1, "", "file is empty; expected one answer per line")
    rows = _csv_rows(path, text) if path.suffix.lower() == ".csv" else _jsonl_rows(path, text)
    seen: dict[tuple[str, str], int] = {}
    for item in rows:
        if isinstance(item, InputError):
            yield item
            continue
        line, data = item
        error = _check_row(path, line, data, bank, seen)
        if error is not None:
            yield error
            continue
        seen[(data["candidate_id"], data["question_id"])] = line
        yield AnswerRow(line, data["candidate_id"], data["question_id"], data["answer"])


def _jsonl_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]] | InputError]:
    for number, line in enumerate(io.StringIO(text), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputError(path, number, "", f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        if not isinstance(data, dict):
            yield InputError(path, number, "", "expected a JSON object")
            continue
        yield number, data


def _csv_rows(path: Path, text: str) -> Iterator[tuple[int, dict[str, Any]] | InputError]:
    reader = csv.DictReader(io.StringIO(text))
    missing = [f for f in REQUIRED_FIELDS if f not in (reader.fieldnames or [])]
    if missing:
        raise InputError(path, 1, missing[0], f"missing column; header needs {REQUIRED_FIELDS}")
    line = 1
    for row in reader:
        start, line = line + 1, reader.line_num
        yield start, {k: v for k, v in row.items() if k is not None}


def _check_row(
    path: Path,
    line: int,
    data: dict[str, Any],
    bank: QuestionBank,
    seen: dict[tuple[str, str], int],
) -> InputError | None:
    for name in REQUIRED_FIELDS:
        if name not in data or data[name] is None:
            return InputError(path, line, name, "missing; expected a string")
        if not isinstance(data[name], str):
            return InputError(
                path, line, name, f"expected a string, got {type(data[name]).__name__}"
            )
    if not data["candidate_id"].strip():
        return InputError(path, line, "candidate_id", "empty; expected an id")
    if data["question_id"] not in bank:
        return InputError(path, line, "question_id", f"unknown question {data['question_id']!r}")
    if len(data["answer"]) > MAX_ANSWER_CHARS:
        return InputError(
            path, line, "answer", f"{len(data['answer']):,} characters; limit {MAX_ANSWER_CHARS:,}"
        )
    key = (data["candidate_id"], data["question_id"])
    if key in seen:
        return InputError(path, line, "question_id", f"duplicate of line {seen[key]} for {key[0]}")
    return None


def verdict_row(row: AnswerRow, verdict: Verdict) -> dict[str, Any]:
    """The output record of one graded answer."""
    return {
        "candidate_id": row.candidate_id,
        "question_id": row.question_id,
        "score": verdict.score,
        "criteria": verdict.criteria,
        "evidence": verdict.quotes,
        "missing": verdict.missing,
        "injection": verdict.injection,
        "flags": verdict.flags,
        "explanation": verdict.explanation,
        "empty": verdict.empty,
        "grader": verdict.grader.model_dump(),
        "verdict": verdict.model_dump(mode="json"),
    }


@dataclass
class GradeResult:
    graded: int
    errors: list[InputError]
    verdicts: dict[str, list[tuple[str, Verdict]]]


def grade_file(
    path: Path,
    out: TextIO,
    bank: QuestionBank,
    grader: Grader,
    *,
    on_error: Callable[[InputError], None] | None = None,
) -> GradeResult:
    """Grade every good row of ``path``, writing one JSON line per verdict to ``out`` at once."""
    result = GradeResult(0, [], defaultdict(list))
    for item in read_answers(path, bank):
        if isinstance(item, InputError):
            result.errors.append(item)
            if on_error is not None:
                on_error(item)
            continue
        verdict = grade_blocking(grader, bank.get(item.question_id), item.answer)
        out.write(json.dumps(verdict_row(item, verdict), ensure_ascii=False) + "\n")
        out.flush()
        result.graded += 1
        result.verdicts[item.candidate_id].append((item.question_id, verdict))
    return result


def write_summary(path: Path, result: GradeResult, bank: QuestionBank) -> None:
    """One CSV row per candidate: overall, per-competency scores, tourist flag and reasons."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "candidate_id",
                "overall",
                "answered",
                "unscored",
                "competencies",
                "tourist",
                "reasons",
            ]
        )
        for candidate, graded in result.verdicts.items():
            scores = [v.score for _, v in graded if v.score is not None]
            comps: dict[str, list[int]] = defaultdict(list)
            for qid, v in graded:
                if v.score is not None:
                    comps[bank.get(qid).competency].append(v.score)
            flag = tourist_flag([v for _, v in graded])
            writer.writerow(
                [
                    candidate,
                    f"{mean(scores):.2f}" if scores else "",
                    len(graded),
                    sum(v.score is None for _, v in graded),
                    "; ".join(f"{c}={mean(s):.2f}" for c, s in comps.items()),
                    "true" if flag.flagged else "false",
                    " | ".join(flag.reasons),
                ]
            )
